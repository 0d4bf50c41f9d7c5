package tapeline.job.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The run record, {@code _tapeline.json}: what a run did, written into {@code output.path} after
 * the output is committed, so that a scheduler can read one small file instead of parsing stdout.
 * Its shape is {@code record_version} 1, described field by field in README.md ("The run record") and
 * by the JSON Schema {@code tapeline/job/run-record.schema.json} (in the job jar, and in the
 * repository under {@code job/src/main/resources}).
 *
 * <p>Written as Spark writes {@code _SUCCESS}: to a temporary name in the same directory, then
 * renamed, so a reader sees a whole record or none. Its name starts with {@code _}, so Spark's
 * readers of the output directory skip it.
 *
 * <pre>{@code
 * Map<String, Object> r = RunRecord.start("sweep", keys);
 * r.put("status", "succeeded"); ...
 * RunRecord.write(r, "out/seed-sweep", hadoopConf);
 * }</pre>
 */
public final class RunRecord {
    /** The record's file name in {@code output.path}. */
    public static final String FILE = "_tapeline.json";
    /** The shape's version; a change that breaks a reader gets a new one. */
    public static final int VERSION = 1;
    /** What a redacted value reads. */
    public static final String REDACTED = "*****(redacted)";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunRecord() {}

    /**
     * A record's first fields: {@code record_version}, {@code job}, the versions and the effective
     * config, secrets redacted.
     */
    public static Map<String, Object> start(String job, Map<String, String> keys) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("record_version", VERSION);
        r.put("job", job);
        r.put("tapeline_version", tapelineVersion());
        r.put("config", redacted(keys));
        return r;
    }

    /**
     * The keys with every value whose key names a secret replaced: {@code spark.authenticate.secret}
     * and any key holding {@code secret}, {@code password} or {@code token} (any case), e.g.
     * {@code input.option.password}, {@code spark.hadoop.fs.s3a.session.token}.
     */
    public static Map<String, String> redacted(Map<String, String> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        keys.forEach((k, v) -> out.put(k, isSecret(k) ? REDACTED : v));
        return out;
    }

    /** Whether a key's value must not appear in a record. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.equals("spark.authenticate.secret") || k.contains("secret") || k.contains("password") || k.contains("token");
    }

    /** A number for the record: non-finite values (a diverged loss) become null, which JSON can hold. */
    public static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /** The record as its JSON text. */
    public static String json(Map<String, Object> record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the record to {@code dir/_tapeline.json}: a temporary file in {@code dir}, then a rename
     * over any record of an earlier run.
     */
    public static Path write(Map<String, Object> record, String dir, Configuration hadoop) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(hadoop);
        Path target = new Path(d, FILE);
        Path tmp = new Path(d, FILE + "._tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(json(record).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (fs.exists(target)) {
            fs.delete(target, false);
        }
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException("cannot rename " + tmp + " to " + target);
        }
        return fs.makeQualified(target);
    }

    /** The version the build put into the jar ({@code version.properties}), or {@code unknown}. */
    public static String tapelineVersion() {
        try (InputStream in = RunRecord.class.getResourceAsStream("/tapeline/job/version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "unknown");
                return v.startsWith("${") ? "unknown" : v;
            }
        } catch (IOException e) {
            // fall through: the record says unknown rather than fail a run that succeeded
        }
        return "unknown";
    }

    /** The first {@code n} of {@code reasons}. */
    public static List<String> first(List<String> reasons, int n) {
        return List.copyOf(reasons.subList(0, Math.min(n, reasons.size())));
    }
}
