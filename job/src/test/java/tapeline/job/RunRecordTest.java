package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.RunRecord;
import tapeline.job.testing.Records;
import tapeline.job.testing.SparkSuite;

/**
 * The run record ({@code _tapeline.json}), the data-quality gate ({@code max.invalid}, exit 3) and
 * check mode ({@code --check}), end to end through {@link Main#run} on local Spark. Every record is
 * validated against the JSON Schema in the repository; its counts are compared with the output
 * read back by Spark.
 */
class RunRecordTest extends SparkSuite {

    @TempDir
    Path dir;
    Path in;
    Path out;

    @BeforeEach
    void data() {
        // Row 3 has text in a number column: INVALID. Rows 1 and 2 are the notebook's.
        in = csv(dir.resolve("in.csv"), "id,x0,x1,x2", List.of("1,1,-10,25", "2,5,-7,13", "3,1,abc,0", "4,2,-4,1"));
        out = dir.resolve("out");
    }

    Path sweep(String... extra) {
        String[] base = {"cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 50",
                "input.path = " + in, "output.path = " + out};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    Path train(Path data, String... extra) {
        String[] base = {"job = train", "loss = (y - (b + w * x))^2", "variables = b, w", "optimizer.learning_rate = 0.1",
                "steps = 30", "input.path = " + data, "output.path = " + out};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    Path linear(String... extraLines) {
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double x = i / 10.0;
            lines.add((1 + 2 * x) + "," + x);
        }
        lines.addAll(List.of(extraLines));
        return csv(dir.resolve("linear.csv"), "y,x", lines);
    }

    /** The rows of a sweep's output by status. */
    static java.util.Map<String, Long> statusCounts(List<Row> rows) {
        java.util.Map<String, Long> by = new java.util.TreeMap<>();
        rows.forEach(r -> by.merge(r.getAs("status"), 1L, Long::sum));
        return by;
    }

    static JsonNode valid(Path outputPath) {
        JsonNode r = Records.read(outputPath);
        assertThat(Records.errors(r)).as(r.toPrettyString()).isEmpty();
        return r;
    }

    @Test
    void aSweepRecordsWhatItDidAndRedactsSecrets() throws Exception {
        Run run = main(sweep("spark.authenticate.secret = s3cr3t", "spark.hadoop.fs.s3a.session.token = t0ken").toString(),
                "show.rows=0");
        assertThat(run.code()).as(run.err()).isZero();

        JsonNode r = valid(out);
        assertThat(r.get("record_version").asInt()).isEqualTo(1);
        assertThat(r.get("job").asText()).isEqualTo("sweep");
        assertThat(r.get("status").asText()).isEqualTo("succeeded");
        assertThat(r.get("spark_version").asText()).isEqualTo(spark().version());
        assertThat(r.get("application_id").asText()).isEqualTo(spark().sparkContext().applicationId());
        assertThat(r.get("tapeline_version").asText()).isNotEqualTo("unknown");
        // Counts against the output itself.
        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(r.get("rows_read").asLong()).isEqualTo(rows.size());
        long invalid = rows.stream().filter(x -> x.getAs("status").equals("INVALID")).count();
        assertThat(r.get("rows_by_status").get("INVALID").asLong()).isEqualTo(invalid).isEqualTo(1);
        long steps = rows.stream().mapToLong(x -> (Integer) x.getAs("steps")).sum();
        assertThat(r.get("steps").asLong()).isEqualTo(steps);
        assertThat(r.get("quality_gate").get("passed").asBoolean()).isTrue();
        // Every key, the command line's override included; secrets never.
        assertThat(r.get("config").get("show.rows").asText()).isEqualTo("0");
        assertThat(r.get("config").get("steps").asText()).isEqualTo("50");
        // ... and the keys left unset, at the values they had.
        assertThat(r.get("config").get("optimizer").asText()).isEqualTo("adam");
        assertThat(r.get("config").get("block.size").asText()).isEqualTo("1024");
        assertThat(r.get("config").get("input.format").asText()).isEqualTo("csv");
        // ... the optimizer's arguments among them, at Keras 3's defaults (keras/src/optimizers/adam.py:
        // learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False); None is no value.
        assertThat(r.get("config").get("optimizer.learning_rate").asText()).isEqualTo("0.001");
        assertThat(r.get("config").get("optimizer.beta_1").asText()).isEqualTo("0.9");
        assertThat(r.get("config").get("optimizer.beta_2").asText()).isEqualTo("0.999");
        assertThat(Double.parseDouble(r.get("config").get("optimizer.epsilon").asText())).isEqualTo(1e-7);
        assertThat(r.get("config").get("optimizer.amsgrad").asText()).isEqualTo("0");
        assertThat(r.get("config").has("optimizer.weight_decay")).isFalse();
        assertThat(r.get("config").has("optimizer.clipnorm")).isFalse();
        assertThat(r.get("config").get("spark.authenticate.secret").asText()).isEqualTo(RunRecord.REDACTED);
        assertThat(r.get("config").get("spark.hadoop.fs.s3a.session.token").asText()).isEqualTo(RunRecord.REDACTED);
        String text = Files.readString(out.resolve(RunRecord.FILE));
        assertThat(text).doesNotContain("s3cr3t").doesNotContain("t0ken");
        assertThat(r.get("seconds").get("solve_and_write").asDouble()).isPositive();
        // Spark's readers skip it, and no temporary file is left.
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("_tmp"));
        }
    }

    @Test
    void theRecordListsTheArgumentsOfTheOptimizerUsedAtItsDefaults() {
        // keras/src/optimizers/sgd.py: SGD(learning_rate=0.01, momentum=0.0, nesterov=False, ...).
        Run run = main(sweep("optimizer = sgd", "optimizer.momentum = 0.5").toString(), "show.rows=0");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode config = valid(out).get("config");
        assertThat(config.get("optimizer.momentum").asText()).isEqualTo("0.5");
        assertThat(config.get("optimizer.learning_rate").asText()).isEqualTo("0.01");
        assertThat(config.get("optimizer.nesterov").asText()).isEqualTo("0");
        assertThat(config.has("optimizer.beta_1")).isFalse(); // Adam's, not SGD's
    }

    @Test
    void theSchemaRejectsARecordThatContradictsItself() throws Exception {
        assertThat(main(sweep().toString(), "show.rows=0").code()).isZero();
        ObjectNode r = (ObjectNode) valid(out);
        r.put("exit_code", 1); // succeeded with exit 1
        assertThat(Records.errors(r)).isNotEmpty();
        ObjectNode noCounts = (ObjectNode) Records.read(out);
        noCounts.remove("rows_read");
        assertThat(Records.errors(noCounts)).isNotEmpty();
    }

    @Test
    void aSweepOverTheGateExitsThreeKeepsItsOutputAndRecordsTheFailure() {
        Run run = main(sweep("max.invalid = 0").toString(), "show.rows=0");
        assertThat(run.code()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("max.invalid: 1 invalid row of 4 read, more than the 0 allowed")
                .contains("column x1: not a number: 'abc'");
        // stdout carries the summary too, as after a run that succeeded: the counts and the first reasons.
        assertThat(run.out()).contains("tapeline sweep: the data-quality gate failed: 1 invalid row of 4 read,"
                        + " more than the 0 allowed (max.invalid)")
                .contains("  first reasons:" + System.lineSeparator() + "    column x1: not a number: 'abc'");
        String byStatus = run.out().lines().filter(l -> l.startsWith("  rows by status: ")).findFirst().orElseThrow();
        statusCounts(output(out, "parquet").collectAsList()).forEach((status, n) -> assertThat(byStatus).contains(status + " " + n));
        // The output is committed (the INVALID rows and their reasons are in it) and the record says the gate failed.
        assertThat(output(out, "parquet").count()).isEqualTo(4);
        JsonNode r = valid(out);
        assertThat(r.get("status").asText()).isEqualTo("gate_failed");
        assertThat(r.get("exit_code").asInt()).isEqualTo(3);
        assertThat(r.get("quality_gate").get("invalid_rows").asLong()).isEqualTo(1);
        assertThat(r.get("quality_gate").get("max_invalid").asText()).isEqualTo("0");
        assertThat(r.get("quality_gate").get("first_reasons").get(0).asText()).isEqualTo("column x1: not a number: 'abc'");
        long steps = output(out, "parquet").collectAsList().stream().mapToLong(x -> (Integer) x.getAs("steps")).sum();
        assertThat(r.get("steps").asLong()).isEqualTo(steps).isPositive();
    }

    @Test
    void aPercentageGateIsAShareOfTheRowsRead() {
        // 1 of 4 is 25%: within 25%, over 24.9%.
        assertThat(main(sweep("max.invalid = 25%").toString(), "show.rows=0").code()).isZero();
        assertThat(valid(out).get("quality_gate").get("passed").asBoolean()).isTrue();
        Run over = main(sweep("max.invalid = 24.9%", "output.mode = overwrite").toString(), "show.rows=0");
        assertThat(over.code()).as(over.err()).isEqualTo(3);
        Run bad = main(sweep("max.invalid = lots").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("max.invalid: expected a whole number of rows >= 0 or a percentage");
    }

    @Test
    void aTrainRecordsHowTheFitEnded() {
        Run run = main(train(linear()).toString());
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode r = valid(out);
        assertThat(r.get("job").asText()).isEqualTo("train");
        assertThat(r.get("rows_read").asLong()).isEqualTo(40);
        assertThat(r.get("steps").asLong()).isEqualTo(30);
        List<Row> history = spark().read().parquet(out.resolve("history").toString()).orderBy("step").collectAsList();
        Row last = history.get(history.size() - 1);
        JsonNode t = r.get("train");
        assertThat(t.get("steps").asInt()).isEqualTo(last.getInt(0)).isEqualTo(30);
        assertThat(t.get("final_loss").asDouble()).isEqualTo(last.getDouble(1));
        assertThat(t.get("final_grad_norm").asDouble()).isEqualTo(last.getDouble(2));
        assertThat(t.get("stop_reason").asText()).isEqualTo("MAX_STEPS");
        // The learning rate as given; Adam's other arguments at Keras's defaults.
        assertThat(r.get("config").get("optimizer.learning_rate").asText()).isEqualTo("0.1");
        assertThat(r.get("config").get("optimizer.beta_1").asText()).isEqualTo("0.9");
        assertThat(r.get("config").get("optimizer.beta_2").asText()).isEqualTo("0.999");
        assertThat(r.get("config").get("optimizer.amsgrad").asText()).isEqualTo("0");
        assertThat(r.get("seconds").has("load")).isTrue();
    }

    @Test
    void aTrainOverTheGateStopsBeforeTrainingAndLeavesOnlyTheRecord() throws Exception {
        Path data = linear("oops,1", ",2");
        Run run = main(train(data, "bad.rows = skip", "max.invalid = 1").toString());
        assertThat(run.code()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("2 invalid rows of 42 read, more than the 1 allowed");
        assertThat(run.out()).contains("tapeline train: the data-quality gate failed: 2 invalid rows of 42 read,"
                        + " more than the 1 allowed (max.invalid)")
                .contains("  rows by status: skipped 2, used 40")
                .contains("  steps: 0")
                .contains("  first reasons:" + System.lineSeparator() + "    ")
                .contains("'oops'");
        try (Stream<Path> files = Files.list(out)) { // (and the local file system's checksum, ._tapeline.json.crc)
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")))
                    .containsExactly(RunRecord.FILE);
        }
        JsonNode r = valid(out);
        assertThat(r.get("status").asText()).isEqualTo("gate_failed");
        assertThat(r.get("rows_by_status").get("skipped").asLong()).isEqualTo(2);
        assertThat(r.has("train")).isFalse();
        assertThat(r.get("steps").asLong()).isZero();

        Run within = main(train(data, "bad.rows = skip", "max.invalid = 5%", "output.mode = overwrite").toString());
        assertThat(within.code()).as(within.err()).isZero();
        assertThat(valid(out).get("quality_gate").get("invalid_rows").asLong()).isEqualTo(2);
    }

    @Test
    void aRunThatFailsLeavesNoRecordThatClaimsSuccess() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Run run = main(sweep().toString(), "output.path=" + file.resolve("sub"));
        assertThat(run.code()).isEqualTo(1);
        assertThat(file.resolveSibling(RunRecord.FILE)).doesNotExist();
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }

    @Test
    void checkModeRunsBothRoundsAndWritesNothing() {
        Run ok = main(sweep().toString(), "--check");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("the config is fine");
        assertThat(out).doesNotExist();

        // Round 2 (the input's schema): the same message as a real run, and nothing written either way.
        String conf = sweep().toString();
        Run checked = main(conf, "--check", "cost=x0 * w^2 + x1 * w + x3");
        Run real = main(conf, "cost=x0 * w^2 + x1 * w + x3");
        assertThat(checked.code()).isEqualTo(2);
        assertThat(real.code()).isEqualTo(2);
        assertThat(checked.err()).isEqualTo(real.err()).contains("'x3' is neither a variable nor an input column");
        assertThat(out).doesNotExist();

        // Round 1 (the file alone), for a train too.
        Run train = main(train(linear()).toString(), "steps=many", "--check");
        assertThat(train.code()).isEqualTo(2);
        assertThat(train.err()).contains("steps: expected a whole number");
        assertThat(out).doesNotExist();
    }
}
