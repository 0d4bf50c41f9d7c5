package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Spark standalone cluster of separate JVMs (one master, two workers of 1 core and 1 GiB) for one
 * test class, started and stopped through the user-facing {@code scripts/local-cluster.sh}, so the
 * tests exercise the script too.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final StandaloneCluster cluster = new StandaloneCluster();
 * ...
 * Submission run = cluster.submit(dir, "seed", Secret.RIGHT, "conf/seed-sweep.properties", "output.path=" + out);
 * }</pre>
 *
 * <p>Its state (Spark home, secret, logs, the workers' work dirs) lives under
 * {@code job/target/it-cluster}, its ports are free ones picked at start, so it never meets a cluster
 * a user started with the script's defaults. It is stopped after the class, and by a JVM shutdown hook
 * if the JVM ends first; after stopping, every process it started must be gone and its ports free.
 */
public final class StandaloneCluster implements BeforeAllCallback, AfterAllCallback {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(4);
    private static final String EXECUTOR_CLASS = "CoarseGrainedExecutorBackend";

    private final Path repo = Path.of("..").toAbsolutePath().normalize();
    private final Path state = repo.resolve("job/target/it-cluster");
    private final List<Integer> ports = freeConsecutivePorts(4); // master, master UI, worker UIs
    private Thread shutdownHook;

    /** Whether a submission carries the cluster's secret, a wrong one or none. */
    public enum Secret { RIGHT, WRONG, NONE }

    @Override
    public void beforeAll(ExtensionContext context) {
        script("down"); // whatever a JVM killed before its hook ran left behind in this state dir
        shutdownHook = new Thread(() -> script("down"), "stop the standalone cluster");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        script("up");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<ProcessHandle> started = daemons();
        try {
            script("down");
        } finally {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        for (ProcessHandle p : started) {
            assertThat(p.isAlive()).as("process %d (%s) after down", p.pid(), p.info().command().orElse("?")).isFalse();
        }
        assertThat(executors()).as("executor JVMs after down").isEmpty();
        for (int port : ports) {
            assertThat(listening(port)).as("port %d after down", port).isFalse();
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + ports.get(0);
    }

    public Path sparkHome() {
        return state.resolve("spark-home");
    }

    public Path repo() {
        return repo;
    }

    /** The master's JSON view ({@code /json/}): workers, applications. */
    public String masterJson() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + ports.get(1) + "/json/")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The master and worker JVMs, by the PIDs the script recorded. */
    public List<ProcessHandle> daemons() {
        List<ProcessHandle> out = new ArrayList<>();
        for (String name : List.of("master", "worker-1", "worker-2")) {
            pid(name).flatMap(ProcessHandle::of).ifPresent(out::add);
        }
        return out;
    }

    /** The executor JVMs the workers run now: their child processes. */
    public List<Executor> executors() {
        List<Executor> out = new ArrayList<>();
        for (int w = 1; w <= 2; w++) {
            Optional<ProcessHandle> worker = pid("worker-" + w).flatMap(ProcessHandle::of);
            if (worker.isEmpty()) {
                continue;
            }
            for (ProcessHandle child : worker.get().children().toList()) {
                // One snapshot of the process: a child caught while it execs can show the class in one read
                // and not yet its arguments in another. Without both ids it is skipped; the next poll sees it.
                ProcessHandle.Info info = child.info();
                List<String> args = List.of(info.arguments().orElse(new String[0]));
                int app = args.indexOf("--app-id");
                int id = args.indexOf("--executor-id");
                if (String.join(" ", args).contains(EXECUTOR_CLASS) && app >= 0 && app + 1 < args.size() && id >= 0 && id + 1 < args.size()) {
                    out.add(new Executor(child, args.get(app + 1), args.get(id + 1),
                            state.resolve("work/worker-" + w).resolve(args.get(app + 1)).resolve(args.get(id + 1))));
                }
            }
        }
        return out;
    }

    /** An executor JVM: its process, application, id and directory (its stderr lists the tasks it ran). */
    public record Executor(ProcessHandle process, String app, String id, Path dir) {
        public String log() {
            return read(dir.resolve("stderr"));
        }
    }

    /** The logs of every executor an application had (alive or not), from the workers' work dirs. */
    public Map<Path, String> executorLogs(String app) {
        Map<Path, String> out = new HashMap<>();
        for (int w = 1; w <= 2; w++) {
            Path dir = state.resolve("work/worker-" + w).resolve(app);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.forEach(e -> out.put(e, read(e.resolve("stderr"))));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return out;
    }

    /**
     * Starts {@code submit.sh ARGS --master <this cluster>} with the secret in the environment (or a
     * wrong one, or none), stdout and stderr to files in {@code dir}.
     */
    public Submission submit(Path dir, String name, Secret secret, String... args) {
        Map<String, String> env = new HashMap<>();
        env.put("SPARK_HOME", sparkHome().toString());
        switch (secret) {
            case RIGHT -> env.put("TAPELINE_SPARK_SECRET_FILE", state.resolve("secret").toString());
            case WRONG -> env.put("TAPELINE_SPARK_SECRET", "not-the-cluster-secret");
            case NONE -> { }
        }
        List<String> cmd = new ArrayList<>(List.of(args));
        cmd.addAll(List.of("--master", masterUrl()));
        return Submission.start(repo, dir, name, env, cmd);
    }

    private Optional<Long> pid(String daemon) {
        Path f = state.resolve("pids").resolve(daemon + ".pid");
        return Files.exists(f) ? Optional.of(Long.parseLong(read(f).trim())) : Optional.empty();
    }

    /** Runs the script with this cluster's state dir and ports; fails with its output when it fails. */
    private void script(String command) {
        try {
            Files.createDirectories(state);
            Path log = state.resolve("script-" + command + ".log");
            ProcessBuilder pb = new ProcessBuilder(repo.resolve("scripts/local-cluster.sh").toString(), command)
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("TAPELINE_CLUSTER_DIR", state.toString());
            pb.environment().put("TAPELINE_MASTER_PORT", String.valueOf(ports.get(0)));
            pb.environment().put("TAPELINE_MASTER_UI_PORT", String.valueOf(ports.get(1)));
            pb.environment().put("TAPELINE_WORKER_UI_PORT", String.valueOf(ports.get(2)));
            pb.environment().put("TAPELINE_CLUSTER_TIMEOUT", "150");
            Process p = pb.start();
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("scripts/local-cluster.sh " + command + " did not finish within "
                        + SCRIPT_TIMEOUT + ":\n" + read(log));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("scripts/local-cluster.sh " + command + " failed (exit " + p.exitValue() + "):\n"
                        + read(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** n consecutive ports free on the loopback interface now (the script checks again before binding). */
    private static List<Integer> freeConsecutivePorts(int n) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first;
            try (ServerSocket s = new ServerSocket(0)) {
                first = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<Integer> out = new ArrayList<>();
            for (int p = first; p < first + n && p < 65536 && !listening(p); p++) {
                out.add(p);
            }
            if (out.size() == n) {
                return out;
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports found on 127.0.0.1");
    }
}
