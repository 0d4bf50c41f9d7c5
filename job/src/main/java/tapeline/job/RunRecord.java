package tapeline.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.job.config.CommonConfig;
import tapeline.job.config.OutputSpec;
import tapeline.job.io.OutputWriter;

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
 * RunRecord record = new RunRecord("sweep", keys, job.defaults(), config);   // before Spark starts
 * ...
 * record.succeeded(spark, phases, result, gate).write(spark);                // after the output is committed
 * }</pre>
 */
public final class RunRecord {
    private static final Logger LOG = LoggerFactory.getLogger(RunRecord.class);

    /** The record's file name in {@code output.path}. */
    public static final String FILE = "_tapeline.json";
    /** The shape's version; a change that breaks a reader gets a new one. */
    public static final int VERSION = 1;
    /** What a redacted value reads. */
    public static final String REDACTED = "*****(redacted)";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Object> fields = new LinkedHashMap<>();
    private final CommonConfig config;
    private final String started = Instant.now().toString();

    /**
     * A record's first fields: {@code record_version}, {@code job}, the version and the effective
     * config: {@code keys} as given, then {@code defaults} for the keys left unset, secrets redacted.
     */
    public RunRecord(String job, Map<String, String> keys, Map<String, String> defaults, CommonConfig config) {
        this.config = config;
        Map<String, String> effective = new TreeMap<>(keys);
        defaults.forEach(effective::putIfAbsent);
        effective.put("app.name", config.appName());
        if (config.input().table() == null) {
            effective.putIfAbsent("input.format", config.input().format().sparkName());
        }
        fields.put("record_version", VERSION);
        fields.put("job", job);
        fields.put("tapeline_version", tapelineVersion());
        fields.put("config", redacted(effective));
    }

    /** The run succeeded: its counts, the gate passed, the job's own entries ({@code train}, {@code score}). */
    public RunRecord succeeded(SparkSession spark, Phases phases, JobResult r, QualityGate gate) {
        describe(spark, phases);
        counts(r.rowsRead(), r.rowsByStatus(), r.stepsTaken());
        fields.put("quality_gate", gate(gate, r.invalidRows(), gate.passes(r.invalidRows(), r.rowsRead()), List.of()));
        fields.putAll(r.details());
        return outcome("succeeded", Main.OK, null);
    }

    /** The data-quality gate failed. */
    public RunRecord gateFailed(SparkSession spark, Phases phases, QualityGate.Failed g, QualityGate gate) {
        describe(spark, phases);
        counts(g.rowsRead(), g.byStatus(), g.steps());
        fields.put("quality_gate", gate(gate, g.invalid(), false, g.reasons()));
        return outcome("gate_failed", Main.GATE_FAILED, g.getMessage());
    }

    /** The run failed ({@code cause}); what it counted is not known. */
    public RunRecord failed(SparkSession spark, Phases phases, String cause, QualityGate gate) {
        describe(spark, phases);
        counts(null, null, null);
        fields.put("quality_gate", gate(gate, null, null, List.of()));
        return outcome("failed", Main.FAILED, cause);
    }

    /** The fields, in the order they are written. */
    public Map<String, Object> fields() {
        return fields;
    }

    /**
     * Writes the record of a run whose output is committed: into {@code output.path}, or the
     * location of {@code output.table}; a JDBC output without {@code output.path} gets none (logged).
     */
    public void write(SparkSession spark) throws Exception {
        String dir = OutputWriter.recordDirectory(spark, config.output());
        if (dir == null) {
            LOG.warn("no output.path: the run record is not written (set output.path for a {} output)",
                    config.output().format());
            return;
        }
        write(fields, dir, spark.sparkContext().hadoopConfiguration());
    }

    /**
     * Writes the record of a run that did not succeed. With {@code create} (a gate that failed) into
     * {@code output.path} even when the job wrote nothing there; without (a failure), only into an
     * output directory that exists (partly written, or an earlier run's: its record then says this run
     * failed), so a path that does not exist stays so and a retry with {@code output.mode=error} can
     * run. A failure to write is said on {@code err}; the exit code stands.
     */
    public void writeQuietly(SparkSession spark, boolean create, PrintStream err) {
        OutputSpec output = config.output();
        String dir = null;
        try {
            dir = output.path() != null ? output.path()
                    : output.table() != null && spark.catalog().tableExists(output.table())
                    ? OutputWriter.recordDirectory(spark, output) : null;
            if (dir == null) {
                return;
            }
            Path d = new Path(dir);
            FileSystem fs = d.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (create ? !fs.exists(d) && !fs.mkdirs(d) : !fs.getFileStatus(d).isDirectory()) {
                return;
            }
            write(fields, dir, spark.sparkContext().hadoopConfiguration());
        } catch (FileNotFoundException e) {
            // no output directory: nothing to record into
        } catch (Exception e) {
            err.println("tapeline: the run record could not be written to " + dir + ": " + e.getMessage());
        }
    }

    /** The fields every outcome has: Spark, times, input and output. */
    private void describe(SparkSession spark, Phases phases) {
        phases.end();
        fields.put("spark_version", spark.version());
        fields.put("application_id", spark.sparkContext().applicationId());
        fields.put("started_at", started);
        fields.put("finished_at", Instant.now().toString());
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("format", config.input().format().sparkName());
        in.put("path", config.input().path());
        in.put("table", config.input().table());
        fields.put("input", in);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("format", config.output().format().sparkName());
        o.put("path", config.output().path());
        o.put("table", config.output().table());
        o.put("mode", config.output().mode().name().toLowerCase(Locale.ROOT));
        o.put("partition_by", config.output().partitionBy());
        fields.put("output", o);
        Map<String, Object> seconds = new LinkedHashMap<>(phases.seconds());
        seconds.put("total", phases.seconds().values().stream().mapToDouble(Double::doubleValue).sum());
        fields.put("seconds", seconds);
    }

    private void counts(Long rowsRead, Map<String, Long> byStatus, Long steps) {
        fields.put("rows_read", rowsRead);
        fields.put("rows_by_status", byStatus == null ? null : new TreeMap<>(byStatus));
        fields.put("steps", steps);
    }

    private static Map<String, Object> gate(QualityGate gate, Long invalid, Boolean passed, List<String> reasons) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("max_invalid", gate.limit());
        g.put("invalid_rows", invalid);
        g.put("passed", passed);
        g.put("first_reasons", List.copyOf(reasons.subList(0, Math.min(QualityGate.SHOWN_REASONS, reasons.size()))));
        return g;
    }

    private RunRecord outcome(String status, int exitCode, String message) {
        fields.put("status", status);
        fields.put("exit_code", exitCode);
        fields.put("message", message);
        return this;
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

    /** A record as its JSON text. */
    public static String json(Map<String, Object> record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a record to {@code dir/_tapeline.json}: a temporary file in {@code dir}, then a rename
     * over any record of an earlier run.
     */
    public static Path write(Map<String, Object> record, String dir, Configuration hadoop) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(hadoop);
        Path target = new Path(d, FILE);
        Path tmp = new Path(d, FILE + "._tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(json(record).getBytes(StandardCharsets.UTF_8));
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
}
