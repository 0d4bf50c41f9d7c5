package tapeline.job.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One run of {@code submit.sh} as a separate process, as a user would start it: stdout and stderr go
 * to {@code <dir>/<name>.out|.err}. While it runs, the PIDs of its driver JVM (the descendant that runs
 * {@code SparkSubmit} or, embedded, {@code tapeline.job.Main}) are recorded, so a test can tell the
 * driver from the executors.
 */
public final class Submission implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;
    private final Set<Long> driverPids = ConcurrentHashMap.newKeySet();

    private Submission(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
        Thread watch = new Thread(this::watchDriver, "watch " + name);
        watch.setDaemon(true);
        watch.start();
    }

    /** Starts {@code <repo>/submit.sh ARGS} with {@code env} added to this JVM's environment. */
    public static Submission start(Path repo, Path dir, String name, Map<String, String> env, List<String> args) {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(repo.resolve("submit.sh").toString())
                .directory(repo.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.command().addAll(args);
        pb.environment().putAll(env);
        try {
            return new Submission(name, pb.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a finished run returned and printed. */
    public record Result(int code, String out, String err, Set<Long> driverPids) {}

    /** Waits for the run to end, at most {@code timeout}; a run that takes longer is killed and fails the test. */
    public Result await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("submit.sh (" + name + ") did not finish within " + timeout + "; its stderr:\n"
                        + StandaloneCluster.read(err));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Result(process.exitValue(), StandaloneCluster.read(out), StandaloneCluster.read(err), Set.copyOf(driverPids));
    }

    /** Kills the run and its JVMs if still running (a test that failed half-way leaves nothing behind). */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** The driver JVMs seen so far. */
    public Set<Long> driverPids() {
        return Set.copyOf(driverPids);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The driver's stderr so far. */
    public String err() {
        return StandaloneCluster.read(err);
    }

    private static boolean isDriver(String commandLine) {
        // (not the launcher JVM spark-submit runs first to build the driver's command line)
        return !commandLine.contains("org.apache.spark.launcher.Main")
                && (commandLine.contains("org.apache.spark.deploy.SparkSubmit") || commandLine.contains("tapeline.job.Main"));
    }

    private void watchDriver() {
        while (process.isAlive()) {
            process.descendants()
                    .filter(p -> isDriver(p.info().commandLine().orElse("")))
                    .forEach(p -> driverPids.add(p.pid()));
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
