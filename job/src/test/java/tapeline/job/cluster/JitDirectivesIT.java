package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * {@code submit.sh}'s compiler directives for embedded runs (docs/jit.md, {@code tapeline.job.Jit}), seen by
 * the JVM's own {@code -XX:+PrintCompilation}: with them C2 may not compile the JDK's or Spark's methods
 * ("made not compilable on level 4 ... excluded by CompileCommand") and compiles tapeline's; with
 * {@code TAPELINE_JIT=default} no method is excluded. Both runs print the notebook's digits and write the
 * same bits. {@code TAPELINE_JIT=tapeline} forces the directives whatever this machine's cores (auto adds
 * them on up to 4). Default line only (CI's time budget); the code path is the same on Spark 4.
 */
@Tag(StandaloneClusterIT.DEFAULT_LINE_ONLY)
class JitDirectivesIT extends SparkSuite {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);
    private static final String EXCLUDED = "excluded by CompileCommand";

    @TempDir
    Path dir;

    @Test
    void c2CompilesTapelinesCodeOnlyUnlessTheUserSaysDefault() {
        Submission.Result with = run("with", "tapeline");
        assertThat(with.err()).contains("JIT: C2 for tapeline's code only");
        List<String> excluded = with.out().lines().filter(l -> l.contains(EXCLUDED)).toList();
        assertThat(excluded).as("methods C2 was not let compile").isNotEmpty()
                .anySatisfy(l -> assertThat(l).contains("java."))
                .noneSatisfy(l -> assertThat(l).contains("tapeline."));

        Submission.Result without = run("without", "default");
        assertThat(without.err()).contains("JIT: the JVM's own (TAPELINE_JIT=default)");
        assertThat(without.out()).doesNotContain(EXCLUDED);

        SameOutput.assertIdentical(spark(), dir.resolve("with"), dir.resolve("without"), SameOutput.SWEEP);
    }

    @Test
    void anUnknownChoiceIsAUsageError() {
        Submission.Result r = Submission.start(REPO, dir, "bad", Map.of("TAPELINE_JIT", "c1"),
                List.of("conf/seed-sweep.properties", "output.path=" + dir.resolve("bad"))).await(RUN_TIMEOUT);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("TAPELINE_JIT='c1'").contains("auto, tapeline or default");
    }

    private Submission.Result run(String name, String jit) {
        Submission.Result r = Submission.start(REPO, dir, name,
                Map.of("TAPELINE_JIT", jit, "TAPELINE_JAVA_OPTS", "-XX:+PrintCompilation"),
                List.of("conf/seed-sweep.properties", "output.path=" + dir.resolve(name), "spark.ui.showConsoleProgress=false"))
                .await(RUN_TIMEOUT);
        assertThat(r.code()).as("%s: %s", name, r.err()).isZero();
        assertThat(r.out()).as(name).contains("5.000001").contains("0.7 ");
        return r;
    }
}
