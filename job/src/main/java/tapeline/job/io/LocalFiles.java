package tapeline.job.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * Hadoop's local file system ({@code file:}), checksums and all, but for one thing: where Hadoop has
 * no native library (tapeline's embedded runs never do), {@link RawLocalFileSystem} sets every new
 * file's and directory's permission by starting a {@code chmod} process, two of them for each file
 * written (the file and its {@code .crc}); this one sets the same bits through {@code java.nio}.
 * A grouped run of 16 partitions started about a hundred such processes (a file written took 22 to
 * 52 ms at load 12), seven of them on the driver's own path: the output directory, the commit, the
 * run record (docs/start-and-stop.md).
 * Permissions Java cannot set alone (sticky bit) and non-POSIX file systems go to Hadoop's own way.
 *
 * <p>{@code Main} makes it {@code fs.file.impl} for embedded runs (unless the config sets that key):
 * <pre>{@code
 * spark.hadoop.fs.file.impl = tapeline.job.io.LocalFiles
 * }</pre>
 */
public final class LocalFiles extends LocalFileSystem {

    public LocalFiles() {
        super(new Raw());
    }

    /** The raw side: permissions by {@code java.nio} where Hadoop would start {@code chmod}. */
    static final class Raw extends RawLocalFileSystem {
        @Override
        public void setPermission(Path p, FsPermission permission) throws IOException {
            java.io.File file = pathToFile(p);
            if (NativeIO.isAvailable() || permission.getStickyBit()
                    || !file.toPath().getFileSystem().supportedFileAttributeViews().contains("posix")) {
                super.setPermission(p, permission);
                return;
            }
            // As chmod on the path: links followed; a missing file an IOException.
            Files.setPosixFilePermissions(file.toPath(), posix(permission.toShort()));
        }
    }

    /** The nine permission bits of {@code mode} (as {@code chmod} takes them, octal {@code 0777} and below). */
    static Set<PosixFilePermission> posix(short mode) {
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) s.add(order[bit]);
        }
        return s;
    }
}
