package tapeline.job.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LocalFiles} against Hadoop's own local file system (which sets permissions by running
 * {@code chmod}): the same permission bits on every file, checksum file and directory they make,
 * under several umasks and explicit permissions; the same bytes read back; a missing file an error.
 */
class LocalFilesTest {
    @TempDir
    java.nio.file.Path dir;

    static Configuration conf(String umask) {
        Configuration c = new Configuration(false);
        c.set("fs.permissions.umask-mode", umask);
        return c;
    }

    static FileSystem open(FileSystem fs, java.nio.file.Path root, Configuration c) throws IOException {
        fs.initialize(root.toUri(), c);
        return fs;
    }

    static String perms(java.nio.file.Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Writes, with the file system given, what a Spark job's output commit writes: nested directories, a file, an empty marker. */
    static void write(FileSystem fs, java.nio.file.Path root) throws IOException {
        Path base = new Path(root.toUri());
        assertThat(fs.mkdirs(new Path(base, "out/_temporary/0/task_1"))).isTrue();
        try (FSDataOutputStream o = fs.create(new Path(base, "out/_temporary/0/task_1/part-00000.csv"), true)) {
            o.write("g,b\n1,2.5\n".getBytes(StandardCharsets.UTF_8));
        }
        fs.create(new Path(base, "out/_SUCCESS"), true).close();
        assertThat(fs.mkdirs(new Path(base, "explicit"), new FsPermission((short) 0750))).isTrue();
        try (FSDataOutputStream o = fs.create(new Path(base, "explicit/f"), new FsPermission((short) 0640), true, 4096,
                (short) 1, 1 << 20, null)) {
            o.write(1);
        }
    }

    static final List<String> MADE = List.of("out", "out/_temporary", "out/_temporary/0", "out/_temporary/0/task_1",
            "out/_temporary/0/task_1/part-00000.csv", "out/_temporary/0/task_1/.part-00000.csv.crc", "out/_SUCCESS",
            "out/._SUCCESS.crc", "explicit", "explicit/f", "explicit/.f.crc");

    @Test
    void setsThePermissionsHadoopsChmodSets() throws IOException {
        for (String umask : List.of("022", "077", "002", "027")) {
            java.nio.file.Path hadoop = Files.createDirectories(dir.resolve("hadoop-" + umask));
            java.nio.file.Path ours = Files.createDirectories(dir.resolve("ours-" + umask));
            write(open(new LocalFileSystem(), hadoop, conf(umask)), hadoop);
            write(open(new LocalFiles(), ours, conf(umask)), ours);
            for (String made : MADE) {
                assertThat(Files.exists(ours.resolve(made))).as("%s (umask %s)", made, umask).isTrue();
                assertThat(perms(ours.resolve(made))).as("%s (umask %s)", made, umask).isEqualTo(perms(hadoop.resolve(made)));
            }
            assertThat(Files.readAllBytes(ours.resolve("out/_temporary/0/task_1/part-00000.csv")))
                    .isEqualTo(Files.readAllBytes(hadoop.resolve("out/_temporary/0/task_1/part-00000.csv")));
            assertThat(Files.readAllBytes(ours.resolve("out/_temporary/0/task_1/.part-00000.csv.crc")))
                    .as("the checksum file").isEqualTo(Files.readAllBytes(hadoop.resolve("out/_temporary/0/task_1/.part-00000.csv.crc")));
        }
    }

    @Test
    void setPermissionAsChmodDoes() throws IOException {
        FileSystem ours = open(new LocalFiles(), dir, conf("022"));
        FileSystem hadoop = open(new LocalFileSystem(), dir, conf("022"));
        java.nio.file.Path a = Files.createFile(dir.resolve("a"));
        java.nio.file.Path b = Files.createFile(dir.resolve("b"));
        for (short mode : new short[] {0, 0400, 0644, 0755, 0600, 0777, 0111, 0246}) {
            ours.setPermission(new Path(a.toUri()), new FsPermission(mode));
            hadoop.setPermission(new Path(b.toUri()), new FsPermission(mode));
            assertThat(perms(a)).as("mode %o", mode).isEqualTo(perms(b));
        }
        assertThatThrownBy(() -> ours.setPermission(new Path(dir.resolve("missing").toUri()), new FsPermission((short) 0644)))
                .isInstanceOf(IOException.class);
    }

    @Test
    void isWhatFileUrisGetWhenConfigured() throws IOException {
        Configuration c = conf("022");
        c.set("fs.file.impl", LocalFiles.class.getName());
        c.setBoolean("fs.file.impl.disable.cache", true);
        assertThat(new Path(dir.toUri()).getFileSystem(c)).isInstanceOf(LocalFiles.class);
    }
}
