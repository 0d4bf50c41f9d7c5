package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.RunRecord;
import tapeline.job.testing.Records;
import tapeline.job.testing.SparkSuite;

/**
 * The same bits on both Spark lines: the same sweep, train and score run through {@code submit.sh}
 * on the default line's jar (Spark 3.5, Scala 2.12) and on the other line's (Spark 4, Scala 2.13),
 * their outputs compared bit for bit and their run records field for field; only the Spark version,
 * the application id, the times and the output paths may differ. The notebook's digits (w = 5.000001
 * and 0.7 in the seed sweep) are checked on each line, and so is the first log line, which names the
 * Spark that ran.
 *
 * <p>Runs in the non-default line's build ({@code mvn -Pspark-4 verify}, the second leg of
 * {@code .ci/run}), where the default line's jar is also at hand (submit.sh builds it when it is
 * missing); in the default line's build there is nothing to compare with yet, and it is skipped.
 */
class SparkLinesIT extends SparkSuite {
    private static final String DEFAULT_LINE = "3.5";
    private static final String OTHER_LINE = "4";
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
    /** The record's fields that say when, where and on which Spark a run happened, not what it computed. */
    private static final List<String> CIRCUMSTANCES = List.of("spark_version", "application_id", "started_at",
            "finished_at", "seconds");

    /** A line of conf/log4j2.properties' layout: time, level, logger, message. */
    private static final Pattern LOG_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d [A-Z]+ \\w+: .*");

    @TempDir
    Path dir;

    @BeforeAll
    static void onlyInTheOtherLinesBuild() {
        String line = System.getenv().getOrDefault("TAPELINE_SPARK_LINE", DEFAULT_LINE);
        Assumptions.assumeTrue(line.equals(OTHER_LINE),
                "the Spark " + line + " build: the lines are compared in the Spark " + OTHER_LINE + " build (.ci/run)");
    }

    @Test
    void theSeedSweepIsTheSameOnBothLinesAndGivesTheNotebooksDigits() {
        Map<String, Path> out = onBothLines("seed", "conf/seed-sweep.properties");
        SameOutput.assertIdentical(spark(), out.get(DEFAULT_LINE), out.get(OTHER_LINE), SameOutput.SWEEP);
        assertSameRecords(out);
    }

    @Test
    void trainAndScoreAreTheSameOnBothLines() {
        Map<String, Path> train = onBothLines("train", "conf/train-linear.properties", "steps=100", "tolerance.grad=0");
        SameOutput.assertIdentical(spark(), train.get(DEFAULT_LINE), train.get(OTHER_LINE), SameOutput.TRAIN);
        assertSameRecords(train);

        // Each line scores with its own trained parameters (the same bits, as just checked).
        Map<String, Path> score = new LinkedHashMap<>();
        for (String line : List.of(DEFAULT_LINE, OTHER_LINE)) {
            score.put(line, run(line, "score", "conf/score-linear.properties", "params.path=" + train.get(line)));
        }
        SameOutput.assertIdentical(spark(), score.get(DEFAULT_LINE), score.get(OTHER_LINE),
                List.of(new SameOutput.Part("", "y")));
        assertSameRecords(score);
    }

    /** Runs a config embedded on each line; returns the output path by line. */
    private Map<String, Path> onBothLines(String name, String... args) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String line : List.of(DEFAULT_LINE, OTHER_LINE)) {
            Path o = run(line, name, args);
            if (name.equals("seed")) {
                String stdout = read(dir.resolve(line + "-" + name + ".out"));
                assertThat(stdout).as("the seed sweep on Spark %s", line).contains("5.000001").contains("0.7 ");
            }
            out.put(line, o);
        }
        return out;
    }

    /** One embedded run through submit.sh on {@code line}; checks its exit, its first log line and its record's Spark. */
    private Path run(String line, String name, String... args) {
        Path out = dir.resolve(line).resolve(name);
        String[] all = Stream.concat(Stream.of(args), Stream.of("output.path=" + out, "spark.ui.enabled=false",
                "spark.ui.showConsoleProgress=false")).toArray(String[]::new);
        if (name.equals("train")) { // its checkpoints too under the line's directory, not the config's out/
            all = Stream.concat(Stream.of(all), Stream.of("checkpoint.path=" + out + "-checkpoints")).toArray(String[]::new);
        }
        Submission.Result r = Submission.start(repo(), dir, line + "-" + name, Map.of("TAPELINE_SPARK_LINE", line),
                List.of(all)).await(RUN_TIMEOUT);
        assertThat(r.code()).as("%s on Spark %s: %s", name, line, r.err()).isZero();

        String spark = sparkVersionOf(line);
        assertThat(spark).startsWith(line + ".");
        String firstLogLine = r.err().lines().filter(l -> LOG_LINE.matcher(l).matches()).findFirst().orElse("");
        assertThat(firstLogLine).as("the first log line of %s on Spark %s", name, line)
                .contains("INFO Main: tapeline ").contains(" job on Spark " + spark + " (Scala ");
        JsonNode record = Records.read(out);
        assertThat(Records.errors(record)).isEmpty();
        assertThat(record.get("spark_version").asText()).isEqualTo(spark);
        assertThat(record.get("status").asText()).isEqualTo("succeeded");
        return out;
    }

    /** The two lines' records agree on every field but the circumstances (the paths made the same first). */
    private void assertSameRecords(Map<String, Path> out) {
        JsonNode a = withoutCircumstances(DEFAULT_LINE, out.get(DEFAULT_LINE));
        JsonNode b = withoutCircumstances(OTHER_LINE, out.get(OTHER_LINE));
        assertThat(b).as("the run records of %s", out.values()).isEqualTo(a);
        // And the circumstances are there on both, the Spark versions different.
        JsonNode ra = Records.read(out.get(DEFAULT_LINE));
        JsonNode rb = Records.read(out.get(OTHER_LINE));
        for (String field : CIRCUMSTANCES) {
            assertThat(ra.has(field)).as(field).isTrue();
            assertThat(rb.has(field)).as(field).isTrue();
        }
        assertThat(ra.get("spark_version")).isNotEqualTo(rb.get("spark_version"));
    }

    /** A run's record with the circumstances removed and its line's directory (in paths) written {@code <line>}. */
    private JsonNode withoutCircumstances(String line, Path output) {
        String text = read(output.resolve(RunRecord.FILE)).replace(dir.resolve(line).toString(), "<line>");
        ObjectNode r = (ObjectNode) Records.parse(text);
        CIRCUMSTANCES.forEach(r::remove);
        return r;
    }

    /** The Spark version of a line's build: the version in the name of its lib/spark-core_*.jar. */
    private static String sparkVersionOf(String line) {
        Path lib = repo().resolve(line.equals(DEFAULT_LINE) ? "job/target/lib" : "job/target/spark-" + line + "/lib");
        try (Stream<Path> s = Files.list(lib)) {
            Pattern p = Pattern.compile("spark-core_[0-9.]+-([0-9.]+)\\.jar");
            return s.map(f -> p.matcher(f.getFileName().toString())).filter(Matcher::matches).map(m -> m.group(1))
                    .findFirst().orElseThrow(() -> new AssertionError("no spark-core jar in " + lib));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
