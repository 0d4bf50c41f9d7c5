package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * {@code submit.sh}'s JIT for embedded runs (docs/jit.md, {@code tapeline.job.Jit}), seen by the JVM's own
 * {@code -XX:+PrintCompilation}: with C1 alone no method is compiled above tier 1; with the JVM's own JIT
 * C2 compiles (tier 4). Both runs print the notebook's digits and write the same bits. {@code auto} starts a
 * grouped fit on C1 alone on up to 4 cores (this machine's cores decide what the test expects), any other
 * job on the JVM's own JIT, and a compiler flag of the user's own wins over it. Default line
 * only (CI's time budget); the code path is the same on Spark 4.
 */
@Tag(StandaloneClusterIT.DEFAULT_LINE_ONLY)
class JitIT extends SparkSuite {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);
    /** A PrintCompilation line: time, compile id, flags (%, s, !, b, n), tier, method. */
    private static final Pattern COMPILED = Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sb!n ]*\\s([0-4])\\s+\\S+::", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void c1AloneCompilesNothingAboveTierOneAndWritesTheSameBitsAsTheJvmsOwn() {
        Submission.Result c1 = run("c1", "c1", "", SEED);
        assertThat(c1.err()).contains("JIT: C1 only (-XX:TieredStopAtLevel=1; TAPELINE_JIT=c1;");
        assertThat(tiers(c1.out())).as("tiers compiled at with C1 alone").contains(1).isSubsetOf(0, 1);

        Submission.Result own = run("own", "default", "", SEED);
        assertThat(own.err()).contains("JIT: the JVM's own (TieredStopAtLevel=4; TAPELINE_JIT=default)");
        assertThat(tiers(own.out())).as("tiers compiled at with the JVM's own JIT").contains(3, 4);

        SameOutput.assertIdentical(spark(), dir.resolve("c1"), dir.resolve("own"), SameOutput.SWEEP);
    }

    @Test
    void autoStartsAGroupedFitOnC1AloneOnUpToFourCoresAndTheUsersOwnFlagWins() {
        int cores = Runtime.getRuntime().availableProcessors();
        String[] grouped = {"conf/train-grouped.properties", "steps=20"};
        Submission.Result fit = run("grouped", "auto", "", grouped);
        if (cores <= 4) {
            assertThat(fit.err()).contains("JIT: C1 only (-XX:TieredStopAtLevel=1; TAPELINE_JIT=auto: a grouped fit on " + cores);
            assertThat(tiers(fit.out())).contains(1).isSubsetOf(0, 1);
        } else {
            assertThat(fit.err()).contains("JIT: the JVM's own (TieredStopAtLevel=4; TAPELINE_JIT=auto: a grouped fit on " + cores);
            assertThat(tiers(fit.out())).contains(4);
        }
        Submission.Result plain = run("plain", "auto", "", "conf/train-linear.properties", "steps=5",
                "checkpoint.path=" + dir.resolve("plain-checkpoints"));
        assertThat(plain.err()).contains("JIT: the JVM's own (TieredStopAtLevel=4; TAPELINE_JIT=auto: C1 alone is for grouped fits)");
        assertThat(tiers(plain.out())).contains(4);

        Submission.Result mine = run("mine", "auto", "-XX:TieredStopAtLevel=3", grouped);
        assertThat(mine.err()).contains("JIT: the JVM's own (TieredStopAtLevel=3; TAPELINE_JIT=auto: the JVM option -XX:TieredStopAtLevel=3 is the user's choice)");
        assertThat(tiers(mine.out())).contains(3).doesNotContain(4);
    }

    @Test
    void anUnknownChoiceIsAUsageError() {
        Submission.Result r = Submission.start(REPO, dir, "bad", Map.of("TAPELINE_JIT", "tapeline"),
                List.of("conf/seed-sweep.properties", "output.path=" + dir.resolve("bad"))).await(RUN_TIMEOUT);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("TAPELINE_JIT='tapeline'").contains("auto, c1 or default");
        assertThat(dir.resolve("bad")).doesNotExist();
    }

    /** The tiers methods were compiled at (0: native wrappers), from more than 100 PrintCompilation lines. */
    private static java.util.SortedSet<Integer> tiers(String out) {
        Matcher m = COMPILED.matcher(out);
        java.util.SortedSet<Integer> tiers = new java.util.TreeSet<>();
        int lines = 0;
        for (; m.find(); lines++) {
            tiers.add(Integer.parseInt(m.group(1)));
        }
        assertThat(lines).as("PrintCompilation's lines").isGreaterThan(100);
        return tiers;
    }

    private static final String SEED = "conf/seed-sweep.properties";

    private Submission.Result run(String name, String jit, String opts, String... config) {
        List<String> args = new java.util.ArrayList<>(List.of(config));
        args.addAll(List.of("output.path=" + dir.resolve(name), "spark.ui.showConsoleProgress=false"));
        Submission.Result r = Submission.start(REPO, dir, name,
                Map.of("TAPELINE_JIT", jit, "TAPELINE_JAVA_OPTS", ("-XX:+PrintCompilation " + opts).trim()), args)
                .await(RUN_TIMEOUT);
        assertThat(r.code()).as("%s: %s", name, r.err()).isZero();
        if (config[0].equals(SEED)) {
            assertThat(r.out()).as(name).contains("5.000001").contains("0.7 ");
        }
        return r;
    }
}
