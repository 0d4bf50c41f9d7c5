package tapeline.job;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.job.config.CommonConfig;
import tapeline.job.config.ConfigException;
import tapeline.job.config.ConfigFile;
import tapeline.job.sweep.SweepJob;
import tapeline.job.score.ScoreJob;
import tapeline.job.train.TrainJob;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.io.LocalFiles;

/**
 * The entry point {@code submit.sh} and {@code spark-submit} call:
 * {@code tapeline.job.Main CONF [key=value ...]}. It reads the keys, picks the {@link Job} the
 * {@code job} key names ({@link SweepJob}, {@link TrainJob}, {@link ScoreJob}, each computing through its
 * Spark ML stage: {@link StageJobs}) and takes it through its steps; the work is in the job and its stage.
 *
 * <p>Exit codes: 0 the job ran; 2 a usage or configuration error (the message names the key, the
 * expression position or the column; nothing is written); 1 a failure while running; 3 the
 * data-quality gate ({@code max.invalid}) failed. After the output is committed, the run record
 * {@code _tapeline.json} goes into {@code output.path} ({@link RunRecord}); a gate that failed
 * records so, and a failed run records so into an {@code output.path} that exists.
 *
 * <pre>{@code
 * int code = Main.run(new String[] {"conf/seed-sweep.properties", "steps=10"}, System.out, System.err);
 * }</pre>
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int GATE_FAILED = 3;

    /** The argument that stops a run after its checks. */
    public static final String CHECK = "--check";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The jobs, by the value of the {@code job} key. */
    static final Map<String, Supplier<Job<?, ?, ?>>> JOBS = jobs();

    private static Map<String, Supplier<Job<?, ?, ?>>> jobs() {
        Map<String, Supplier<Job<?, ?, ?>>> m = new LinkedHashMap<>();
        // Each job runs its stage (tapeline.ml): the keys become the stage's Params, the job writes what it computes.
        m.put("sweep", StageJobs::sweep);
        m.put("train", StageJobs::train);
        m.put("score", StageJobs::score);
        return Collections.unmodifiableMap(m);
    }

    /**
     * Runs a job and returns its exit code instead of exiting. Uses the JVM's SparkSession if one is
     * already running (and leaves it running); otherwise starts one from the config's {@code spark.*}
     * keys ({@code local[*]} unless a master is given) and stops it at the end. With {@code --check}
     * among the arguments it stops after the two rounds of checks: nothing is run or written.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 1 || args[0].equals("-h") || args[0].equals("--help")) {
            err.println("usage: tapeline.job.Main CONF [--check] [key=value ...]");
            err.println("  CONF: a .properties job config (see conf/ and README.md); key=value overrides a key of it");
            err.println("  --check: check the config and the input's schema, run nothing, write nothing (exit 0 or 2)");
            return USAGE;
        }
        String conf = args[0];
        List<String> overrides = new ArrayList<>();
        boolean checkOnly = false;
        for (String a : Arrays.copyOfRange(args, 1, args.length)) {
            if (a.equals(CHECK)) {
                checkOnly = true;
            } else {
                overrides.add(a);
            }
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> keys;
        try {
            keys = ConfigFile.read(Path.of(conf), overrides, problems);
        } catch (ConfigException e) {
            err.println("tapeline: " + conf + ": " + e.getMessage());
            return USAGE;
        }
        String kind = keys.getOrDefault("job", "sweep").trim().toLowerCase(Locale.ROOT);
        Supplier<Job<?, ?, ?>> job = JOBS.get(kind);
        if (job == null) {
            problems.add("job: expected one of " + String.join(", ", JOBS.keySet()) + ", got '" + keys.get("job") + "'");
            err.println("tapeline: " + conf + ": " + new ConfigException(problems).getMessage());
            return USAGE;
        }
        if (kind.equals("train") && GroupedTrainConfig.isGrouped(keys)) {
            job = StageJobs::groupedTrain; // one fit per group: its own loop (docs/grouped-train.md)
        } else if (kind.equals("score") && GroupedTrainConfig.isGrouped(keys)) {
            job = StageJobs::groupedScore; // each row with its group's parameters
        }
        QualityGate gate = QualityGate.parse(keys.get(QualityGate.KEY), problems);
        return run(job.get(), keys, problems, gate, checkOnly, conf, out, err);
    }

    /** The four steps of {@link Job}, with the exit codes and the run record of the class comment. */
    private static <C extends CommonConfig, P, R extends JobResult> int run(Job<C, P, R> job, Map<String, String> keys,
            List<String> problems, QualityGate gate, boolean checkOnly, String conf, PrintStream out, PrintStream err) {
        C config;
        try {
            config = job.configure(keys, problems);
        } catch (ConfigException e) {
            err.println("tapeline: " + conf + ": " + e.getMessage());
            return USAGE;
        }

        // The first line of the log says what runs: the Spark on the class path (the cluster's, under
        // spark-submit), which the run record names too (spark_version).
        LOG.info("tapeline {}: the {} job on Spark {} (Scala {})", RunRecord.tapelineVersion(), job.kind(),
                org.apache.spark.package$.MODULE$.SPARK_VERSION(), scala.util.Properties.versionNumberString());
        RunRecord record = new RunRecord(job.kind(), keys, job.defaults(), config);
        Phases phases = new Phases();
        phases.begin("start");
        SparkSession existing = runningSession();
        boolean owned = existing == null;
        SparkSession spark;
        if (owned && System.getProperty(Jit.PROPERTY) != null) { // submit.sh's embedded runs (docs/jit.md)
            LOG.info(Jit.describe(config instanceof GroupedTrainConfig));
        }
        try {
            spark = owned ? start(config.appName(), config.spark()) : existing;
        } catch (RuntimeException e) {
            err.println("tapeline: cannot start Spark: " + e.getMessage());
            return FAILED;
        }
        try {
            phases.begin("schema_check");
            P checked = job.check(spark, config);
            phases.end();
            if (checkOnly) {
                out.println("tapeline: " + conf + ": the config is fine (checked alone and against the input's schema);"
                        + " nothing was run or written");
                out.flush();
                return OK;
            }
            R result = job.run(spark, checked, gate, phases);
            // The output is committed: the record says so. Failing to write it fails the run (exit 1).
            record.succeeded(spark, phases, result, gate).write(spark);
            out.print(job.summarise(result));
            out.flush();
            return OK;
        } catch (ConfigException e) {
            if (spark.sparkContext().isStopped()) {
                // Not the config: Spark died under the job (e.g. a cluster that refused the application),
                // and reading the input was merely the first thing to notice.
                err.println("tapeline: the job failed: Spark stopped before the job ran (see Spark's log above): "
                        + e.getMessage());
                return FAILED;
            }
            err.println("tapeline: " + conf + ": " + e.getMessage());
            return USAGE;
        } catch (QualityGate.Failed g) {
            err.println("tapeline: the data-quality gate failed: " + g.getMessage());
            // stdout too, as a run that succeeded: a person reading it sees the counts and why.
            out.print(g.summary(job.kind()));
            out.flush();
            // Written even where the job wrote nothing (train stops before training): the record is
            // how a scheduler learns why.
            record.gateFailed(spark, phases, g, gate).writeQuietly(spark, true, err);
            return GATE_FAILED;
        } catch (Exception e) { // Scala code throws checked exceptions (IOException) undeclared
            LOG.error("the {} job failed", job.kind(), e);
            String cause = rootCause(e);
            err.println("tapeline: the " + (job.kind().equals("sweep") ? "" : job.kind() + " ") + "job failed: " + cause);
            // Never a record that claims success: one that says failed, where there is an output directory.
            record.failed(spark, phases, cause, gate).writeQuietly(spark, false, err);
            return FAILED;
        } finally {
            if (owned) {
                spark.stop();
            }
        }
    }

    /** The JVM's running session (a test's, a notebook's), or null. */
    static SparkSession runningSession() {
        scala.Option<SparkSession> s = SparkSession.getDefaultSession();
        return s.isDefined() && !s.get().sparkContext().isStopped() ? s.get() : null;
    }

    static SparkSession start(String appName, java.util.Map<String, String> sparkKeys) {
        SparkConf conf = new SparkConf(); // picks up spark.* system properties, as spark-submit sets them
        conf.setAppName(appName);
        sparkKeys.forEach(conf::set);
        if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]"); // the embedded run: no Spark installation needed
        }
        if (!conf.contains("spark.ui.showConsoleProgress")) {
            conf.set("spark.ui.showConsoleProgress", "true"); // a long sweep shows its progress
        }
        local(conf);
        LOG.info("starting Spark: master {}, app {}", conf.get("spark.master"), appName);
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * What an embedded run (a {@code local} master) starts without, unless the config sets the key
     * (docs/start-and-stop.md): the web UI ({@code spark.ui.enabled=false}: a run's Jetty server
     * and its stop cost about a second of a short run, and the console progress bar does not need it),
     * the shuffle's compression ({@code spark.shuffle.compress=false}: its files stay on this machine's
     * disk, and lz4 on a grouped run's doubles saved 8% of the bytes for about 1 s of CPU in 14),
     * and Hadoop's {@code chmod} process per file written ({@link LocalFiles} as {@code fs.file.impl},
     * where it is on the class path Hadoop loads from, as in {@code submit.sh}'s runs). A cluster
     * master keeps Spark's defaults.
     *
     * @return {@code conf}
     */
    static SparkConf local(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if (!master.equals("local") && !master.startsWith("local[")) {
            return conf;
        }
        if (!conf.contains("spark.ui.enabled")) {
            conf.set("spark.ui.enabled", "false");
        }
        if (!conf.contains("spark.shuffle.compress")) {
            conf.set("spark.shuffle.compress", "false");
        }
        if (!conf.contains("spark.hadoop.fs.file.impl")
                && LocalFiles.class.getClassLoader() == org.apache.hadoop.fs.FileSystem.class.getClassLoader()) {
            conf.set("spark.hadoop.fs.file.impl", LocalFiles.class.getName());
        }
        return conf;
    }

    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t == e ? String.valueOf(e.getMessage()) : e.getClass().getSimpleName() + ": " + t;
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
