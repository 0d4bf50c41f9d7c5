package tapeline.job.score;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.Records;
import tapeline.job.testing.SparkSuite;

/**
 * The score job end to end through {@link tapeline.job.Main#run}: a train on local Spark, then its
 * parameters applied to new rows. Oracle: the same predictions computed here in plain Java from the
 * params file Spark reads back.
 */
class ScoreJobTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path trained;

    /** Fits y = b + w.x (3 features) once for the class (on the suite's session, so after it starts). */
    @BeforeEach
    void train() {
        if (trained != null) {
            return;
        }
        Random r = new Random(5);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            double x2 = r.nextGaussian();
            lines.add(String.format(Locale.ROOT, "%.6f,%.6f,%.6f,%.6f", 0.5 + 2 * x0 - x1 + 0.25 * x2, x0, x1, x2));
        }
        Path data = csv(dir.resolve("train.csv"), "y,x0,x1,x2", lines);
        Run run = main(config(dir, "job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]",
                "optimizer.learning_rate = 0.1", "steps = 60", "input.path = " + data,
                "output.path = " + dir.resolve("trained")).toString());
        assertThat(run.code()).as(run.err()).isZero();
        trained = dir.resolve("trained");
    }

    Map<String, Double> params() {
        Map<String, Double> m = new HashMap<>();
        for (Row r : spark().read().parquet(trained.resolve("params").toString()).collectAsList()) {
            m.put(r.getString(0), r.getDouble(1));
        }
        return m;
    }

    static double num(Object cell) {
        return cell instanceof Number n ? n.doubleValue() : Double.parseDouble(cell.toString());
    }

    Path score(Path out, String... extra) {
        Path rows = csv(dir.resolve("new.csv"), "id,x0,x1,x2,y",
                List.of("1,1,0,0,2.5", "2,0,1,0,-0.5", "3,0.5,-2,4,4.5", "4,abc,0,0,1"));
        String[] base = {"job = score", "params.path = " + trained, "input.path = " + rows, "output.path = " + out,
                "output.prediction = b + dot(w, x)", "output.residual = y - (b + dot(w, x))"};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void predictionsAreTheFittedParametersAppliedToEachRow() {
        Path out = dir.resolve("scored");
        Run run = main(score(out).toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("SCORED 3").contains("INVALID 1");

        Map<String, Double> p = params();
        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(rows).hasSize(4);
        for (Row r : rows.subList(0, 3)) {
            double x0 = num(r.get(1)); // text: the column holds 'abc' too
            double x1 = num(r.get(2));
            double x2 = num(r.get(3));
            double expected = p.get("b") + (p.get("w[0]") * x0 + p.get("w[1]") * x1 + p.get("w[2]") * x2); // dot sums left to right
            assertThat((Double) r.getAs("prediction")).isEqualTo(expected);
            assertThat((Double) r.getAs("residual")).isEqualTo(num(r.get(4)) - expected);
            assertThat((String) r.getAs("status")).isEqualTo("SCORED");
            assertThat((Object) r.getAs("error")).isNull();
        }
        Row bad = rows.get(3);
        assertThat((String) bad.getAs("status")).isEqualTo("INVALID");
        assertThat((String) bad.getAs("error")).isEqualTo("column x0: not a number: 'abc'");
        assertThat((Object) bad.getAs("prediction")).isNull();

        JsonNode record = Records.read(out);
        assertThat(Records.errors(record)).isEmpty();
        assertThat(record.get("job").asText()).isEqualTo("score");
        assertThat(record.get("rows_by_status").get("SCORED").asLong()).isEqualTo(3);
        assertThat(record.get("score").get("parameters").asInt()).isEqualTo(4);
    }

    @Test
    void aParameterTheParamsDoNotHaveIsAConfigErrorNamingIt() {
        Path out = dir.resolve("missing");
        Run run = main(score(out, "output.shifted = c + b").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("output.shifted, position 0: 'c' is neither a fitted parameter of")
                .contains("(parameters: [b, w]");
        assertThat(out).doesNotExist();

        Run sizes = main(score(out, "output.bad = dot(w, z)").toString(), "--check");
        assertThat(sizes.code()).isEqualTo(2);
        assertThat(sizes.err()).contains("'z' is neither a fitted parameter");
    }

    @Test
    void theParamsDirectoryItselfAndTheGate() {
        Path out = dir.resolve("gated");
        Run run = main(score(out, "params.path = " + trained.resolve("params"), "max.invalid = 0").toString());
        assertThat(run.code()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("1 invalid row of 4 read").contains("column x0: not a number: 'abc'");
        JsonNode record = Records.read(out);
        assertThat(Records.errors(record)).isEmpty();
        assertThat(record.get("status").asText()).isEqualTo("gate_failed");
    }

    /** The train run of the class, written as CSV this time (once). */
    static Path csvModel;

    Path csvModel() {
        if (csvModel == null) {
            Path data = dir.resolve("train.csv");
            Run run = main(config(dir, "job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]",
                    "optimizer.learning_rate = 0.1", "steps = 60", "input.path = " + data, "output.format = csv",
                    "output.path = " + dir.resolve("trained-csv")).toString());
            assertThat(run.code()).as(run.err()).isZero();
            csvModel = dir.resolve("trained-csv");
        }
        return csvModel;
    }

    /**
     * The new user: a train run that wrote CSV, then a score with no params.format. Oracle: the
     * same rows scored with the parquet model of the same data and settings (the params are the same
     * bits; CSV keeps a double's shortest round-trip text).
     */
    @Test
    void aCsvModelDirectoryIsReadAsItsRunRecordSaysWithoutParamsFormat() {
        Path model = csvModel();
        Path fromCsv = dir.resolve("scored-from-csv");
        Run run = main(score(fromCsv, "params.path = " + model).toString());
        assertThat(run.code()).as(run.err()).isZero();
        Path fromParquet = dir.resolve("scored-from-parquet");
        assertThat(main(score(fromParquet).toString()).code()).isZero();
        assertThat(output(fromCsv, "parquet").collectAsList()).isEqualTo(output(fromParquet, "parquet").collectAsList());
        // the params directory itself finds the record beside it
        Run inner = main(score(dir.resolve("scored-inner"), "params.path = " + model.resolve("params")).toString());
        assertThat(inner.code()).as(inner.err()).isZero();
    }

    @Test
    void aParamsFormatThatContradictsTheRecordIsAConfigErrorNamingTheFiles() {
        Path out = dir.resolve("contradicted");
        Run run = main(score(out, "params.path = " + csvModel(), "params.format = parquet").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("params.format: is parquet, but ").contains("written as csv")
                .containsPattern("files in .*params: \\[part-00000-.*\\.csv");
        assertThat(out).doesNotExist();
        // agreeing with the record is fine
        Run same = main(score(out, "params.path = " + csvModel(), "params.format = csv").toString(), "--check");
        assertThat(same.code()).as(same.err()).isZero();
    }

    @Test
    void aDamagedOrForeignDirectoryIsAClearConfigError() throws Exception {
        // a damaged record
        Path damaged = dir.resolve("damaged");
        copy(trained, damaged);
        java.nio.file.Files.writeString(damaged.resolve("_tapeline.json"), "{\"record_version\": 1, \"job\": \"tra");
        Run stale = main(score(dir.resolve("o0"), "params.path = " + damaged).toString());
        assertThat(stale.code()).isEqualTo(2);
        assertThat(stale.err()).contains("_tapeline.json is damaged (its checksum does not match");
        java.nio.file.Files.delete(damaged.resolve("._tapeline.json.crc")); // edited by hand: no checksum to disagree
        Run run = main(score(dir.resolve("o1"), "params.path = " + damaged).toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("_tapeline.json is not a readable run record (damaged JSON");
        // a sweep's output: a record of another job
        Path sweep = dir.resolve("a-sweep");
        Path coeffs = csv(dir.resolve("coeffs.csv"), "id,x0,x1,x2", List.of("1,1,2,3"));
        assertThat(main(config(dir, "cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 5",
                "input.path = " + coeffs, "output.path = " + sweep).toString()).code()).isZero();
        java.nio.file.Files.createDirectories(sweep.resolve("params"));
        Run foreign = main(score(dir.resolve("o2"), "params.path = " + sweep).toString());
        assertThat(foreign.code()).isEqualTo(2);
        assertThat(foreign.err()).contains("is the output of a sweep job").contains("not of a train job");
        // a directory of something else altogether, no record: the files found are named
        Path other = dir.resolve("other");
        java.nio.file.Files.createDirectories(other);
        java.nio.file.Files.writeString(other.resolve("notes.txt"), "hello");
        Run plain = main(score(dir.resolve("o3"), "params.path = " + other).toString());
        assertThat(plain.code()).isEqualTo(2);
        assertThat(plain.err()).contains("cannot read parameters (columns name, value) from").contains("[notes.txt]");
        assertThat(plain.err()).doesNotContain("\tat ");
    }

    static void copy(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> all = java.nio.file.Files.walk(from)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(t);
                } else {
                    java.nio.file.Files.copy(f, t);
                }
            }
        }
    }
}
