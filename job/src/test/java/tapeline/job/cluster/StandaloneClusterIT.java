package tapeline.job.cluster;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.cluster.StandaloneCluster.Executor;
import tapeline.job.cluster.StandaloneCluster.Secret;
import tapeline.job.testing.SparkSuite;

/**
 * The end-to-end path a user takes to a cluster: {@code submit.sh --master spark://...} against a
 * standalone cluster of separate JVMs with authentication on (scripts/local-cluster.sh). Every
 * cluster run is compared bitwise with the same config run embedded ({@code submit.sh}, local[*]).
 * The local Spark of {@link SparkSuite} only writes inputs and reads outputs back.
 *
 * <p>Runs in the integration-test phase ({@code mvn verify}): it needs the packaged job jar and
 * {@code job/target/lib}, from which the cluster's Spark home is built. On the Spark line a build is
 * for (the Spark 4 build's cluster is a Spark 4 one). The tests tagged {@value #DEFAULT_LINE_ONLY} run
 * in the default line's build only ({@code .ci/run} excludes them from the Spark 4 leg, for time):
 * they run the same tapeline code as the others, at more rows and steps, with the train job's
 * checkpoints (which the job's own tests cover on both lines), or test Spark's own machinery (a lost
 * executor's tasks run again, the cluster's shared secret), which the seed sweep and the train job
 * on the Spark 4 cluster pass through too.
 */
class StandaloneClusterIT extends SparkSuite {
    /** The JUnit tag of the tests that {@code .ci/run} runs on the default Spark line only. */
    static final String DEFAULT_LINE_ONLY = "default-line-only";

    @RegisterExtension
    static final StandaloneCluster cluster = new StandaloneCluster();

    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

    /** For every cluster submission: quiet, no UI, and no task before both executors have registered. */
    private static final List<String> CLUSTER_KEYS = List.of("spark.ui.enabled=false",
            "spark.ui.showConsoleProgress=false", "spark.scheduler.minRegisteredResourcesRatio=1.0",
            "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");

    private static final Pattern RUNNING = Pattern.compile("Running task (\\d+)\\.\\d+ in stage (\\d+)\\.\\d+ \\(TID (\\d+)\\)");
    private static final Pattern FINISHED = Pattern.compile("Finished task \\S+ in stage \\S+ \\(TID (\\d+)\\)");

    @TempDir
    Path dir;

    @Test
    void theSeedSweepOnTheClusterIsTheEmbeddedRunBitForBit() {
        Path embedded = embedded("seed", "conf/seed-sweep.properties");
        ClusterRun run = onCluster("seed", Secret.RIGHT, "conf/seed-sweep.properties");

        assertThat(run.result().out()).contains("8 rows").contains("5.000001").contains("0.7 ");
        assertRanOnExecutors(run, 1);
        SameOutput.assertIdentical(spark(), embedded, run.output(), SameOutput.SWEEP);
    }

    @Test
    @Tag(DEFAULT_LINE_ONLY)
    void aHundredThousandRowSweepOnTheClusterIsTheEmbeddedRunBitForBit() {
        Path in = quadratics(100_000, 8);
        String[] keys = {"conf/bench-sweep.properties", "input.path=" + in, "input.format=parquet", "steps=200"};
        Path embedded = embedded("100k", keys);
        // Small splits: each input file is a task of its own, so both executors get work.
        ClusterRun run = onCluster("100k", Secret.RIGHT, concat(keys, "spark.sql.files.maxPartitionBytes=1m"));

        assertThat(run.result().out()).contains("100,000 rows").contains("MAX_STEPS 100,000");
        assertRanOnExecutors(run, 2);
        SameOutput.assertIdentical(spark(), embedded, run.output(), SameOutput.SWEEP);
    }

    @Test
    @Tag(DEFAULT_LINE_ONLY)
    void anExecutorKilledMidSweepChangesNothing() throws Exception {
        Path in = quadratics(40_000, 8);
        String[] keys = {"conf/bench-sweep.properties", "input.path=" + in, "input.format=parquet", "steps=4000"};
        Path clean = embedded("kill", keys);

        Path out = dir.resolve("kill-cluster");
        try (Submission s = cluster.submit(dir, "kill-cluster", Secret.RIGHT,
                withCluster(concat(keys, "spark.sql.files.maxPartitionBytes=1m"), out))) {
            killAnExecutorMidSweep(s, out, clean);
        }
    }

    private void killAnExecutorMidSweep(Submission s, Path out, Path clean) throws Exception {
        Executor victim = awaitExecutorMidTask(s, 0, 3, Duration.ofMinutes(3));
        victim.process().destroyForcibly(); // SIGKILL: no shutdown hook, the executor just vanishes
        assertThat(victim.process().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS).isAlive()).isFalse();
        assertThat(s.isAlive()).as("the job was still running when its executor was killed").isTrue();

        Submission.Result r = s.await(RUN_TIMEOUT);
        assertThat(r.code()).as(r.err()).isZero();
        // The driver saw the executor go and ran its task again.
        assertThat(r.err()).contains("Lost executor " + victim.id());
        assertThat(r.out()).contains("40,000 rows").contains("MAX_STEPS 40,000");
        assertThat(spark().read().parquet(out.toString()).select("id").distinct().count()).isEqualTo(40_000);
        SameOutput.assertIdentical(spark(), clean, out, SameOutput.SWEEP);
    }

    @Test
    @Tag(DEFAULT_LINE_ONLY)
    void aSubmissionWithoutTheSecretOrWithAWrongOneIsRefusedAndTheClusterServesOnAfterwards() {
        Path none = dir.resolve("no-secret");
        Path wrong = dir.resolve("wrong-secret");
        try (Submission s1 = cluster.submit(dir, "no-secret", Secret.NONE, "conf/seed-sweep.properties",
                "output.path=" + none, "app.name=stranger without a secret", "spark.ui.enabled=false");
             Submission s2 = cluster.submit(dir, "wrong-secret", Secret.WRONG, "conf/seed-sweep.properties",
                "output.path=" + wrong, "app.name=stranger with a wrong secret", "spark.ui.enabled=false")) {
            refusedWhileTheClusterServesOthers(s1, s2, none, wrong);
        }
    }

    private void refusedWhileTheClusterServesOthers(Submission s1, Submission s2, Path none, Path wrong) {
        // Refused at once; then Spark retries the registration (3 x 20 s) before it gives up.
        awaitLog(s1, "Expected SaslMessage");
        awaitLog(s2, "SaslException");

        // Meanwhile, and after both were turned away, the cluster serves the one that has the secret.
        ClusterRun run = onCluster("after-strangers", Secret.RIGHT, "conf/seed-sweep.properties");
        assertThat(run.result().out()).contains("8 rows");
        assertRanOnExecutors(run, 1);

        Submission.Result r1 = s1.await(RUN_TIMEOUT);
        Submission.Result r2 = s2.await(RUN_TIMEOUT);
        assertThat(r1.code()).as(r1.err()).isEqualTo(1);
        assertThat(r1.err()).contains("All masters are unresponsive");
        assertThat(r2.code()).as(r2.err()).isEqualTo(1);
        assertThat(r2.err()).contains("All masters are unresponsive");
        assertThat(none).doesNotExist();
        assertThat(wrong).doesNotExist();
        String master = cluster.masterJson();
        assertThat(master).doesNotContain("stranger").contains("tapeline seed sweep").contains("\"aliveworkers\" : 2");
    }

    private static void awaitLog(Submission s, String text) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!s.err().contains(text)) {
            assertThat(System.nanoTime() < deadline).as("'%s' in the driver's log within 2 min:\n%s", text, s.err()).isTrue();
            sleep(200);
        }
    }

    // ---- the train job (issue 5) -------------------------------------------------------------------

    /** conf/train-linear.properties, every step run (no early stop), the cached rows in 4 partitions on the cluster. */
    private String[] train(String name, int steps) {
        return new String[] {"conf/train-linear.properties", "steps=" + steps, "tolerance.grad=0",
                "checkpoint.path=" + dir.resolve(name + "-checkpoints")};
    }

    @Test
    void theTrainJobOnTheClusterIsTheEmbeddedRunBitForBit() {
        Path embedded = embedded("train", train("train-embedded", 40));
        ClusterRun run = onCluster("train", Secret.RIGHT, concat(train("train-cluster", 40), "partitions=4"));

        assertThat(run.result().out()).contains("tapeline train");
        assertEveryStepSawEveryRow(run.result().err(), 40);
        assertRanOnExecutors(run, 2);
        SameOutput.assertIdentical(spark(), embedded, run.output(), SameOutput.TRAIN);
    }

    @Test
    @Tag(DEFAULT_LINE_ONLY)
    void anExecutorKilledMidTrainChangesNothing() throws Exception {
        Path clean = embedded("train-kill", train("train-kill-embedded", 80));
        Path out = dir.resolve("train-kill-cluster");
        try (Submission s = cluster.submit(dir, "train-kill-cluster", Secret.RIGHT,
                withCluster(concat(train("train-kill-cluster", 80), "partitions=4"), out))) {
            // A gradient pass is one short stage; any task of a stage past the 30th is mid-training.
            Executor victim = awaitExecutorMidTask(s, 30, 1, Duration.ofMinutes(3));
            victim.process().destroyForcibly(); // SIGKILL: its cached row blocks go with it
            assertThat(s.isAlive()).as("the job was still running when its executor was killed").isTrue();

            Submission.Result r = s.await(RUN_TIMEOUT);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).contains("Lost executor " + victim.id());
            assertEveryStepSawEveryRow(r.err(), 80);
            SameOutput.assertIdentical(spark(), clean, out, SameOutput.TRAIN);
        }
    }

    @Test
    @Tag(DEFAULT_LINE_ONLY)
    void aTrainDriverKilledMidWayResumesFromItsCheckpointToTheSameParameters() {
        Path clean = embedded("train-resume", train("train-resume-embedded", 100));
        String[] keys = concat(train("train-resume-cluster", 100), "checkpoint.every=20", "partitions=4");
        Path out = dir.resolve("train-resume-cluster");
        try (Submission first = cluster.submit(dir, "train-resume-first", Secret.RIGHT, withCluster(keys, out))) {
            awaitLog(first, "checkpoint: step 40 written");
            Submission.Result killed;
            first.driverPids().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly)); // SIGKILL
            killed = first.await(Duration.ofMinutes(1));
            assertThat(killed.code()).as("exit of the run whose driver was killed").isNotZero();
            assertThat(killed.out()).doesNotContain("tapeline train");
        }
        assertThat(out).doesNotExist();

        Submission.Result resumed = cluster.submit(dir, "train-resume-second", Secret.RIGHT,
                withCluster(concat(keys, "resume=true"), out)).await(RUN_TIMEOUT);
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).containsPattern("resuming from the checkpoint of step [1-9][0-9]*");
        SameOutput.assertIdentical(spark(), clean, out, List.of(new SameOutput.Part("params", "name")));
    }

    /** Every step's log line ({@code step N  loss ...  rows R}) counts all 2,000 rows, once. */
    private static void assertEveryStepSawEveryRow(String driverLog, int steps) {
        Matcher m = Pattern.compile("step (\\d+) .* rows (\\d+) ").matcher(driverLog);
        Set<Integer> seen = new HashSet<>();
        while (m.find()) {
            assertThat(Integer.parseInt(m.group(2))).as("rows in step %s", m.group(1)).isEqualTo(2000);
            seen.add(Integer.parseInt(m.group(1)));
        }
        assertThat(seen).as("steps logged").hasSizeGreaterThanOrEqualTo(steps);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** A cluster run: what submit.sh returned, where it wrote, and the executor JVMs seen while it ran. */
    record ClusterRun(Submission.Result result, Path output, List<Executor> executors) {}

    /** Runs a config through {@code submit.sh} on embedded Spark (local[*]); returns its output path. */
    private Path embedded(String name, String... args) {
        Path out = dir.resolve(name + "-embedded");
        Submission s = Submission.start(cluster.repo(), dir, name + "-embedded", Map.of(),
                List.of(concat(args, "output.path=" + out, "spark.ui.enabled=false", "spark.ui.showConsoleProgress=false")));
        Submission.Result r = s.await(RUN_TIMEOUT);
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }

    /** Runs a config through {@code submit.sh --master <cluster>}, noting the executors while it runs. */
    private ClusterRun onCluster(String name, Secret secret, String... args) {
        Path out = dir.resolve(name + "-cluster");
        Submission s = cluster.submit(dir, name + "-cluster", secret, withCluster(args, out));
        List<Executor> seen = new ArrayList<>();
        Set<Long> pids = new HashSet<>();
        while (s.isAlive()) {
            for (Executor e : cluster.executors()) {
                if (pids.add(e.process().pid())) {
                    seen.add(e);
                }
            }
            sleep(200);
        }
        Submission.Result r = s.await(RUN_TIMEOUT);
        assertThat(r.code()).as(r.err()).isZero();
        return new ClusterRun(r, out, seen);
    }

    /**
     * The tasks ran in executor JVMs that are not the driver: the executors (children of the workers)
     * were seen while the job ran, none is the driver or this JVM, each one's log names its own PID,
     * and at least {@code min} of them finished tasks of the application.
     */
    private static void assertRanOnExecutors(ClusterRun run, int min) {
        Set<Long> drivers = run.result().driverPids();
        assertThat(drivers).as("the driver JVM, seen while submit.sh ran").isNotEmpty();
        assertThat(run.executors()).as("executor JVMs seen while the job ran").isNotEmpty();
        assertThat(run.executors().stream().map(Executor::app).distinct()).as("one application").hasSize(1);
        long working = 0;
        for (Executor e : run.executors()) {
            long pid = e.process().pid();
            assertThat(drivers).as("driver PIDs").doesNotContain(pid);
            assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
            String log = e.log();
            assertThat(log).as("log of executor %s", e.id()).contains("Started daemon with process name: " + pid + "@");
            if (FINISHED.matcher(log).find()) {
                working++;
            }
        }
        assertThat(working).as("executors that finished tasks").isGreaterThanOrEqualTo(min);
    }

    /**
     * Waits until the job is in full swing: a stage numbered at least {@code minStage} with at least
     * {@code minTasks} tasks started, one of them still running on some executor; returns that executor.
     */
    private Executor awaitExecutorMidTask(Submission s, int minStage, int minTasks, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(s.isAlive()).as("the job ended before an executor could be killed: %s", s.err()).isTrue();
            // One read of each log per poll: the logs grow while they are read, and the stage counts and
            // the search for a running task must see the same text.
            Map<Executor, String> logs = new java.util.LinkedHashMap<>();
            for (Executor e : cluster.executors()) {
                logs.put(e, e.log());
            }
            Map<Integer, Integer> tasksByStage = new java.util.HashMap<>();
            for (String log : logs.values()) {
                Matcher m = RUNNING.matcher(log);
                while (m.find()) {
                    tasksByStage.merge(Integer.parseInt(m.group(2)), 1, Integer::sum);
                }
            }
            for (Map.Entry<Executor, String> entry : logs.entrySet()) {
                Executor e = entry.getKey();
                Optional<String> busy = runningTid(entry.getValue(), tasksByStage, minStage, minTasks);
                if (busy.isPresent()) {
                    return e;
                }
            }
            sleep(100);
        }
        throw new AssertionError("no executor was running a task of stage >= " + minStage + " within " + timeout + "; driver log:\n" + s.err());
    }

    /** A task this executor started and has not finished, of a stage >= minStage with >= minTasks started. */
    private static Optional<String> runningTid(String log, Map<Integer, Integer> tasksByStage, int minStage, int minTasks) {
        Set<String> finished = new HashSet<>();
        Matcher f = FINISHED.matcher(log);
        while (f.find()) {
            finished.add(f.group(1));
        }
        Matcher m = RUNNING.matcher(log);
        while (m.find()) {
            int stage = Integer.parseInt(m.group(2));
            if (stage >= minStage && tasksByStage.get(stage) >= minTasks && !finished.contains(m.group(3))) {
                return Optional.of(m.group(3));
            }
        }
        return Optional.empty();
    }

    /** n random quadratics {@code id, x0 > 0, x1, x2} as Parquet in {@code files} files (seeded). */
    private Path quadratics(int n, int files) {
        Path in = dir.resolve("quadratics-" + n);
        spark().range(0, n, 1, files)
                .select(col("id"), rand(42).multiply(4).plus(0.5).as("x0"), rand(43).multiply(20).minus(10).as("x1"),
                        rand(44).multiply(10).minus(5).as("x2"))
                .write().parquet(in.toString());
        assertThat(Files.isDirectory(in)).isTrue();
        return in;
    }

    private static String[] withCluster(String[] args, Path out) {
        return Stream.concat(Stream.of(concat(args, "output.path=" + out)), CLUSTER_KEYS.stream()).toArray(String[]::new);
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
