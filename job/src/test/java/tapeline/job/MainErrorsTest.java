package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/** Exit codes and messages of {@link Main#run}: 2 names the problem and writes nothing; 1 is a failure while running. */
class MainErrorsTest extends SparkSuite {

    @TempDir
    Path dir;
    Path in;
    Path out;

    @BeforeEach
    void data() {
        in = csv(dir.resolve("in.csv"), "id,x0,x1,x2", List.of("1,1,-10,25", "2,5,-7,13"));
        out = dir.resolve("out");
    }

    Path job(String... extra) {
        String[] base = {"cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 10",
                "input.path = " + in, "output.path = " + out};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void noArgumentsIsAUsageError() {
        Run r = main();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("usage:");
    }

    @Test
    void anUnknownKeyExitsTwoWithDidYouMeanAndWritesNothing() {
        Run r = main(job("optimiser = adam").toString(), "stepz=3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("2 configuration problems")
                .contains("unknown key 'optimiser' (did you mean 'optimizer'?)")
                .contains("unknown key 'stepz' (did you mean 'steps'?)");
        assertThat(out).doesNotExist();
    }

    @Test
    void aBadExpressionShowsThePosition() {
        Run r = main(job().toString(), "cost=x0 * w^2 + + * x1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cost, position 13: expected a number, name").contains("^");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingColumnNamesTheNameAndItsPosition() {
        Run r = main(job().toString(), "cost=x0 * w^2 + x1 * w + x3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cost, position 20: 'x3' is neither a variable nor an input column");
        assertThat(out).doesNotExist();
    }

    @Test
    void existingOutputIsLeftUntouched() throws Exception {
        Files.createDirectories(out);
        Path marker = Files.writeString(out.resolve("precious.txt"), "keep me");
        Run r = main(job().toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("output.path: '" + out + "' already exists").contains("output.mode=overwrite");
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files).containsExactly(marker);
        }
        assertThat(Files.readString(marker)).isEqualTo("keep me");
    }

    @Test
    void overwriteReplacesExistingOutputButNeverTheInput() throws Exception {
        Files.createDirectories(out);
        Files.writeString(out.resolve("old.txt"), "old");
        Run r = main(job("output.mode = overwrite").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("old.txt")).doesNotExist();
        assertThat(output(out, "parquet").count()).isEqualTo(2);

        Run onInput = main(job("output.mode = overwrite").toString(), "output.path=" + dir);
        assertThat(onInput.code()).isEqualTo(2);
        assertThat(onInput.err()).contains("holds the input");
        assertThat(in).exists();
    }

    @Test
    void problemsFoundWithTheSchemaAreReportedTogether() throws Exception {
        Files.createDirectories(out);
        Run r = main(job("init.w = start", "optimizer.learning_rate = lr").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("3 configuration problems")
                .contains("init.w: no input column 'start'")
                .contains("optimizer.learning_rate: no input column 'lr'")
                .contains("already exists");
    }

    @Test
    void aMissingInputIsAConfigError() {
        Run r = main(job().toString(), "input.path=" + dir.resolve("nope.csv"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("input.path: nothing at '" + dir.resolve("nope.csv") + "'");
    }

    @Test
    void engineChecksAreConfigErrorsToo() {
        Run r = main(job().toString(), "cost=x0 * nosuch(w) + x1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cost, position");
        assertThat(out).doesNotExist();
    }

    @Test
    void aFailureWhileRunningExitsOne() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Run r = main(job().toString(), "output.path=" + file.resolve("sub"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("tapeline: the job failed");
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }
}
