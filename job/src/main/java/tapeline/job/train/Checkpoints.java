package tapeline.job.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import tapeline.engine.train.TrainState;

/**
 * The train job's checkpoints in a directory of any Hadoop FileSystem: {@code checkpoint-000000040.ckpt}
 * holds the state after 40 steps. A file is written under a temporary name and renamed when complete,
 * so a reader never sees half of one; and each file starts with a header (magic, payload length,
 * CRC-32C) so that a truncated or damaged file is named in an error instead of being loaded.
 *
 * <pre>{@code
 * Checkpoints cp = new Checkpoints("hdfs:///tmp/run1/ckpt", hadoopConf, fingerprint);
 * cp.save(state);                         // atomically
 * Optional<TrainState> s = cp.newest();   // CheckpointException naming a bad file
 * }</pre>
 *
 * <p>Layout: {@value #MAGIC} (ASCII), payload length (8 bytes), CRC-32C of the payload (8 bytes), then
 * the payload: a Java-serialised {@link Saved} (the job's fingerprint and the {@link TrainState}).
 * The newest two checkpoints are kept; older ones are deleted after a new one is in place.
 */
public final class Checkpoints {
    static final String MAGIC = "TAPELINE-CHECKPOINT-1\n";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{9})\\.ckpt");
    private static final int KEEP = 2;

    private final Path dir;
    private final Configuration conf;
    private final String fingerprint;

    /** A damaged, truncated or foreign checkpoint file; the message names it. */
    public static final class CheckpointException extends IOException {
        CheckpointException(String message) {
            super(message);
        }
    }

    /** What one file holds. {@code fingerprint} says which job wrote it (loss, variables, optimizer, ...). */
    record Saved(String fingerprint, TrainState state) implements Serializable {}

    /**
     * @param fingerprint a description of everything that must match for a resume to be meaningful
     */
    public Checkpoints(String dir, Configuration conf, String fingerprint) {
        this.dir = new Path(dir);
        this.conf = conf;
        this.fingerprint = fingerprint;
    }

    /** Writes {@code state} as {@code checkpoint-<step>.ckpt}: temp file, then rename. */
    public void save(TrainState state) throws IOException {
        FileSystem fs = fs();
        fs.mkdirs(dir);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(new Saved(fingerprint, state));
        }
        byte[] payload = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(payload);
        String name = String.format("checkpoint-%09d.ckpt", state.step());
        Path tmp = new Path(dir, "." + name + ".tmp");
        Path target = new Path(dir, name);
        try (FSDataOutputStream out = fs.create(tmp, true)) {
            out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
            out.writeLong(payload.length);
            out.writeLong(crc.getValue());
            out.write(payload);
            out.hsync();
        }
        fs.delete(target, false); // a stale one of the same step (overwrite mode): rename does not replace
        if (!fs.rename(tmp, target)) {
            throw new IOException("cannot rename " + tmp + " to " + target);
        }
        List<FileStatus> all = list(fs);
        for (int i = 0; i < all.size() - KEEP; i++) {
            fs.delete(all.get(i).getPath(), false);
        }
    }

    /** The checkpoint files present, oldest first (temporary files of unfinished writes are not listed). */
    public List<FileStatus> list() throws IOException {
        return list(fs());
    }

    private List<FileStatus> list(FileSystem fs) throws IOException {
        if (!fs.exists(dir)) {
            return List.of();
        }
        List<FileStatus> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isFile() && NAME.matcher(s.getPath().getName()).matches()) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(s -> s.getPath().getName()));
        return out;
    }

    /** Deletes every checkpoint file (a fresh run with {@code output.mode=overwrite}). */
    public void clear() throws IOException {
        FileSystem fs = fs();
        for (FileStatus s : list(fs)) {
            fs.delete(s.getPath(), false);
        }
    }

    /**
     * The newest checkpoint's state, or empty when there is none.
     *
     * @throws CheckpointException if the newest file is truncated, damaged, not a checkpoint, or was
     *     written by a different job; it is never skipped in silence
     */
    public Optional<TrainState> newest() throws IOException {
        FileSystem fs = fs();
        List<FileStatus> all = list(fs);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(read(fs, all.get(all.size() - 1).getPath()));
    }

    private TrainState read(FileSystem fs, Path file) throws IOException {
        String where = "checkpoint " + fs.makeQualified(file);
        String advice = "; delete it to resume from the checkpoint before it, or set resume=false";
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        long size = fs.getFileStatus(file).getLen();
        try (DataInputStream in = new DataInputStream(fs.open(file))) {
            byte[] head = new byte[magic.length];
            long length;
            long crcValue;
            try {
                in.readFully(head);
                if (!Arrays.equals(head, magic)) {
                    throw new CheckpointException(where + ": not a tapeline checkpoint (it does not start with "
                            + MAGIC.trim() + ")" + advice);
                }
                length = in.readLong();
                crcValue = in.readLong();
            } catch (EOFException e) {
                throw new CheckpointException(where + ": truncated: " + size + " bytes, shorter than the header" + advice);
            }
            long expected = magic.length + 16L + length;
            if (length < 0 || size != expected) {
                throw new CheckpointException(where + ": " + (size < expected ? "truncated" : "has extra bytes")
                        + ": the header announces " + length + " payload bytes (" + expected + " in all), the file has "
                        + size + advice);
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            CRC32C crc = new CRC32C();
            crc.update(payload);
            if (crc.getValue() != crcValue) {
                throw new CheckpointException(where + ": damaged: its CRC-32C does not match its header" + advice);
            }
            Saved saved;
            try (ObjectInputStream o = new ContextObjectInputStream(new ByteArrayInputStream(payload))) {
                saved = (Saved) o.readObject();
            } catch (ClassNotFoundException | ClassCastException | IOException e) {
                throw new CheckpointException(where + ": cannot be read (written by another version of tapeline?): " + e);
            }
            if (!saved.fingerprint().equals(fingerprint)) {
                throw new CheckpointException(where + ": written by a different job:\n  it has  " + saved.fingerprint()
                        + "\n  this is " + fingerprint + "\nUse another checkpoint.path, or resume=false with output.mode=overwrite");
            }
            return saved.state();
        }
    }

    /**
     * The file system, without Hadoop's client-side .crc files on a local one: each checkpoint carries
     * its own checksum, and a damaged file must fail with this class's message, not a ChecksumException.
     */
    private FileSystem fs() throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        return fs instanceof org.apache.hadoop.fs.ChecksumFileSystem c ? c.getRawFileSystem() : fs;
    }

    /** Step number of a checkpoint file name, or -1. */
    static int stepOf(Path p) {
        Matcher m = NAME.matcher(p.getName());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * Resolves classes with the thread's context class loader: under spark-submit the job's classes
     * are there, not in the loader ObjectInputStream would pick by default.
     */
    private static final class ContextObjectInputStream extends ObjectInputStream {
        ContextObjectInputStream(InputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            ClassLoader cl = Thread.currentThread().getContextClassLoader();
            if (cl != null) {
                try {
                    return Class.forName(desc.getName(), false, cl);
                } catch (ClassNotFoundException e) {
                    // fall back to the default below
                }
            }
            return super.resolveClass(desc);
        }
    }
}
