package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * {@code submit.sh}'s class-data-sharing archive for embedded runs (docs/class-data-sharing.md): the first run
 * makes it, the next one maps the job's classes from it (the JVM's {@code -Xlog:class+load} says
 * {@code source: shared objects file (top)}) and writes the same bits; a stale archive (older than the
 * job jar) is remade; {@code TAPELINE_CDS=0} neither uses nor makes one; no CDS message reaches stdout.
 * The archives go to a directory of the test's own ({@code TAPELINE_CDS_DIR}), not next to the jars.
 * Runs on the default line only (CI's time budget: four embedded runs); the Spark 4 line's archive was
 * checked by hand (docs/class-data-sharing.md) and uses the same code in {@code submit.sh}.
 */
@Tag(StandaloneClusterIT.DEFAULT_LINE_ONLY)
class ClassDataSharingIT extends SparkSuite {
    private static final String LINE = System.getenv().getOrDefault("TAPELINE_SPARK_LINE", "3.5");
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);
    private static final String SHARED = "tapeline.job.Main source: shared objects file (top)";

    @TempDir
    Path dir;

    @Test
    void theFirstRunMakesTheArchiveTheNextUsesItAStaleOneIsRemadeAndTheBitsStayTheSame() throws IOException {
        Path cds = dir.resolve("cds");

        // 1. No archive yet: the run makes one at its exit (its own classes come from the jars).
        Run made = run("made", cds, Map.of());
        List<Path> archives = archives(cds);
        assertThat(archives).as("the archives in %s after the first run", cds).hasSize(1);
        Path archive = archives.get(0);
        assertThat(archive.getFileName().toString()).matches("tapeline-jdk[0-9]+\\.jsa");
        assertThat(made.classLoads()).doesNotContain(SHARED);
        FileTime madeAt = Files.getLastModifiedTime(archive);

        // 2. The archive is current: the run maps the job's classes from it, leaves it as it is, same bits.
        Run used = run("used", cds, Map.of());
        assertThat(used.classLoads()).contains(SHARED);
        assertThat(archives(cds)).containsExactly(archive);
        assertThat(Files.getLastModifiedTime(archive)).isEqualTo(madeAt);
        SameOutput.assertIdentical(spark(), made.output(), used.output(), SameOutput.SWEEP);
        assertThat(summary(used.stdout(), used.output())).isEqualTo(summary(made.stdout(), made.output()));

        // 3. Older than the job jar, so stale; TAPELINE_CDS=0: neither used nor remade.
        FileTime stale = FileTime.fromMillis(Files.getLastModifiedTime(jar()).toMillis() - 3_600_000L);
        Files.setLastModifiedTime(archive, stale);
        Run off = run("off", cds, Map.of("TAPELINE_CDS", "0"));
        assertThat(off.classLoads()).doesNotContain(SHARED).contains("tapeline.job.Main source: file:");
        assertThat(archives(cds)).containsExactly(archive);
        assertThat(Files.getLastModifiedTime(archive)).isEqualTo(stale);
        SameOutput.assertIdentical(spark(), made.output(), off.output(), SameOutput.SWEEP);

        // 4. The stale archive, CDS on: not used, and remade in its place.
        Run remade = run("remade", cds, Map.of());
        assertThat(remade.classLoads()).doesNotContain(SHARED);
        assertThat(archives(cds)).containsExactly(archive);
        assertThat(Files.getLastModifiedTime(archive)).isGreaterThan(Files.getLastModifiedTime(jar()));
        SameOutput.assertIdentical(spark(), made.output(), remade.output(), SameOutput.SWEEP);
    }

    @Test
    void aCheckRunMakesNoArchive() throws IOException {
        Path cds = dir.resolve("cds-check");
        Submission.Result r = Submission.start(REPO, dir, "check", env(cds, Map.of()),
                List.of("conf/seed-sweep.properties", "--check", "output.path=" + dir.resolve("check-out"))).await(RUN_TIMEOUT);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(archives(cds)).isEmpty();
    }

    /** One embedded run of the seed sweep; its classes' sources logged by the JVM to a file of its own. */
    private Run run(String name, Path cds, Map<String, String> extra) {
        Path out = dir.resolve(name);
        Path loads = dir.resolve(name + ".classload");
        Map<String, String> env = new java.util.HashMap<>(env(cds, extra));
        env.put("TAPELINE_JAVA_OPTS", "-Xlog:class+load=info:file=" + loads);
        Submission.Result r = Submission.start(REPO, dir, name, env, List.of("conf/seed-sweep.properties",
                "output.path=" + out, "spark.ui.enabled=false", "spark.ui.showConsoleProgress=false")).await(RUN_TIMEOUT);
        assertThat(r.code()).as("%s: %s", name, r.err()).isZero();
        // stdout is the summary only: no JVM message about the archive (they default to stdout).
        assertThat(r.out()).as("stdout of %s", name).startsWith("tapeline sweep: ")
                .doesNotContain("[warning]").doesNotContainIgnoringCase("shared archive").doesNotContain("cds");
        // The notebook's digits.
        assertThat(r.out()).contains("5.000001").contains("0.7 ");
        // No temporary archive left behind.
        try (Stream<Path> s = Files.exists(cds) ? Files.list(cds) : Stream.empty()) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("."))).as("temporary files in %s", cds).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Run(out, r.out(), read(loads));
    }

    private static Map<String, String> env(Path cds, Map<String, String> extra) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("TAPELINE_SPARK_LINE", LINE, "TAPELINE_CDS_DIR", cds.toString()));
        env.putAll(extra);
        return env;
    }

    private record Run(Path output, String stdout, String classLoads) {}

    /** The summary without what differs between runs of the same job: times, speeds and the output path. */
    private static String summary(String stdout, Path output) {
        return stdout.replace(output.toString(), "<out>").replaceAll("in [0-9.]+ s", "in <t> s")
                .replaceAll("\\([0-9,.]+ config-steps/s\\)", "(<speed>)");
    }

    private static List<Path> archives(Path cds) throws IOException {
        if (!Files.exists(cds)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(cds)) {
            return new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".jsa")
                    && !p.getFileName().toString().startsWith(".")).sorted().toList());
        }
    }

    private static Path jar() {
        return LINE.equals("3.5") ? REPO.resolve("job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar")
                : REPO.resolve("job/target/spark-" + LINE + "/tapeline-job_2.13-0.1.0-SNAPSHOT.jar");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
