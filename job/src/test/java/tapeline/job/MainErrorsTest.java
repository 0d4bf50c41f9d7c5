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
    void aCsvColumnOfArraysIsOneConfigErrorNamingTheColumn() throws Exception {
        // Written as Python's csv writes a list: quoted, since the text holds commas.
        Path arrays = csv(dir.resolve("arrays.csv"), "y,x", List.of("1,\"[1.0, -10.0, 25.0]\"", "2,\"[5.0, -7.0, 13.0]\""));
        String expected = "column x holds text like an array ('[1.0, -10.0, 25.0]' in its first row), and CSV has no arrays:"
                + " use JSON or Parquet, or columns x0, x1, ...";
        Run sweep = main(job("cost = (y - dot(w, x))^2", "variables = w[3]", "input.path = " + arrays).toString());
        assertThat(sweep.code()).as(sweep.out() + sweep.err()).isEqualTo(2);
        assertThat(sweep.err()).contains(expected).doesNotContain("not a number");
        assertThat(out).doesNotExist();

        Run train = main(config(dir, "job = train", "loss = (y - dot(w, x))^2", "variables = w[3]", "steps = 3",
                "input.path = " + arrays, "output.path = " + out).toString());
        assertThat(train.code()).as(train.out() + train.err()).isEqualTo(2);
        assertThat(train.err()).contains(expected);
        assertThat(out).doesNotExist();
    }

    @Test
    void aLaterRowOfArrayTextSaysWhyInItsReason() {
        // The first row is a number, so the schema check lets it through; row 2's reason says what is wrong.
        Path mixed = csv(dir.resolve("mixed.csv"), "id,x0,x1,x2", List.of("1,1,-10,25", "2,\"[5.0, 1.0]\",-7,13"));
        Run r = main(job("input.path = " + mixed, "output.format = json").toString(), "show.rows=0");
        assertThat(r.code()).as(r.err()).isZero();
        List<org.apache.spark.sql.Row> rows = output(out, "json").orderBy("id").collectAsList();
        assertThat(rows.get(0).<String>getAs("status")).isNotEqualTo("INVALID");
        assertThat(rows.get(1).<String>getAs("status")).isEqualTo("INVALID");
        assertThat(rows.get(1).<String>getAs("error")).isEqualTo("column x0: not a number: '[5.0, 1.0]'"
                + " (text like an array: CSV has no arrays: use JSON or Parquet, or a column per element)");
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
