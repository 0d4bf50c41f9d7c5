package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * A {@link TrainedModel}'s standard errors ({@code Trainer.setStderr(true)}): held, saved in the train
 * job's {@code stderr = true} layout and loaded back, also from a CLI output. Oracles: statsmodels'
 * OLS {@code bse} / {@code cov_params()} and Logit's, in {@code engine/src/test/resources/train/stderr-reference.txt}
 * ({@code scripts/train-stderr-reference.py}, as the engine's TrainLmTest uses them); the CLI's own
 * {@code params} and {@code covariance} tables on the same data and settings, bit for bit.
 */
class TrainedModelStderrTest extends SparkSuite {
    static final String RESIDUALS = "y - (b + b0 * x0 + b1 * x1 + b2 * x2)";
    static final String LOGIT_LOSS = "softplus(-(2 * y - 1) * (b + w0 * z0 + w1 * z1))";

    @TempDir
    static Path dir;
    static Map<String, List<double[]>> ref;
    static Path ols;
    static Path logit;

    @BeforeAll
    static void reference() throws IOException {
        ref = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("../engine/src/test/resources/train/stderr-reference.txt"))) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] parts = line.trim().split("\\s+");
            double[] v = new double[parts.length - 1];
            for (int i = 1; i < parts.length; i++) v[i - 1] = Double.parseDouble(parts[i]);
            ref.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(v);
        }
        ols = csv(dir.resolve("ols.csv"), "y,x0,x1,x2", lines(ref.get("ols_row")));
        logit = csv(dir.resolve("logit.csv"), "y,z0,z1", lines(ref.get("logit_row")));
    }

    static List<String> lines(List<double[]> rows) {
        List<String> out = new ArrayList<>();
        for (double[] r : rows) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < r.length; i++) s.append(i == 0 ? "" : ",").append(r[i]); // Double.toString: the same double back
            out.add(s.toString());
        }
        return out;
    }

    Dataset<Row> read(Path csv) {
        return InputReader.read(spark(), new InputSpec(csv.toString(), Format.CSV)); // as the jobs read it
    }

    static Trainer olsTrainer() {
        return new Trainer().setResiduals(RESIDUALS).setVariables("b, b0, b1, b2").setOptimizer("lm").setSteps(100)
                .setToleranceLoss(1e-12).setToleranceStep(1e-12).setStderr(true);
    }

    static String[] olsKeys(Path out, String... extra) {
        List<String> k = new ArrayList<>(List.of("job = train", "residuals = " + RESIDUALS, "variables = b, b0, b1, b2",
                "optimizer = lm", "steps = 100", "tolerance.loss = 1e-12", "tolerance.step = 1e-12", "stderr = true",
                "input.path = " + ols, "output.path = " + out));
        k.addAll(List.of(extra));
        return k.toArray(String[]::new);
    }

    @Test
    void olsStandardErrorsAndCovarianceAreStatsmodels() {
        TrainedModel m = olsTrainer().fit(read(ols));
        assertThat(m.standardErrors().keySet()).containsExactly("b", "b0", "b1", "b2"); // the parameters' order
        double[] want = ref.get("ols_params").get(0);
        double[] bse = ref.get("ols_bse").get(0);
        List<double[]> cov = ref.get("ols_cov");
        int k = 0;
        for (String name : m.parameters().keySet()) {
            assertThat(m.parameters().get(name)).as(name).isCloseTo(want[k], within(1e-10 * Math.max(1, Math.abs(want[k]))));
            assertThat(m.standardErrors().get(name)).as("se " + name).isCloseTo(bse[k], within(1e-9 * bse[k]));
            k++;
        }
        Matrix c = m.covariance().orElseThrow();
        assertThat(c.numRows()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertThat(c.apply(i, j)).as("cov %d %d", i, j).isCloseTo(cov.get(i)[j], within(1e-9 * bse[i] * bse[j]));
            }
        }
        assertThat(m.standardErrorsReason()).isEmpty();
    }

    @Test
    void logitNllStandardErrorsAreStatsmodels() {
        TrainedModel m = new Trainer().setLoss(LOGIT_LOSS).setVariables("b, w0, w1").setCostKind("nll").setStderr(true)
                .setOptimizer("newton").setReduce("sum").setSteps(100).setToleranceGrad(1e-12).fit(read(logit));
        double[] want = ref.get("logit_params").get(0);
        double[] bse = ref.get("logit_bse").get(0);
        int k = 0;
        for (String name : m.parameters().keySet()) {
            assertThat(m.parameters().get(name)).as(name).isCloseTo(want[k], within(1e-8));
            assertThat(m.standardErrors().get(name)).as("se " + name).isCloseTo(bse[k], within(1e-7 * bse[k]));
            k++;
        }
        assertThat(m.covariance()).isPresent();
    }

    @Test
    void savedAndLoadedTheyAreTheCliLayoutAndTheSameBits() throws Exception {
        TrainedModel m = olsTrainer().fit(read(ols));
        Path saved = dir.resolve("api-saved");
        m.write().overwrite().save(saved.toString());
        Path cli = dir.resolve("cli-ols");
        Run run = main(config(dir, olsKeys(cli)).toString());
        assertThat(run.code()).as(run.err()).isZero();
        // The saved model's tables are the CLI's (the CLI fits through the same stage): schema, rows, bits.
        for (String table : List.of("params", "covariance")) {
            assertSameFrame(spark().read().parquet(cli.resolve(table).toString()),
                    spark().read().parquet(saved.resolve(table).toString()));
        }
        // Its record says where they are, as the CLI's does, and holds to the published schema.
        assertThat(Files.readString(saved.resolve("_tapeline.json"))).contains("\"standard_errors\"")
                .containsPattern("\"available\"\\s*:\\s*true");
        assertThat(tapeline.job.testing.Records.errors(tapeline.job.testing.Records.read(saved))).isEmpty();
        TrainedModel back = TrainedModel.load(saved.toString());
        assertThat(back.standardErrors()).containsExactlyEntriesOf(m.standardErrors());
        assertThat(back.covariance().orElseThrow().toArray()).containsExactly(m.covariance().orElseThrow().toArray());
        TrainedModel fromCli = TrainedModel.load(cli.toString());
        assertThat(fromCli.parameters()).containsExactlyEntriesOf(m.parameters());
        assertThat(fromCli.standardErrors()).containsExactlyEntriesOf(m.standardErrors());
        assertThat(fromCli.covariance().orElseThrow().toArray()).containsExactly(m.covariance().orElseThrow().toArray());
        // and the CLI's se column itself
        for (Row r : spark().read().parquet(cli.resolve("params").toString()).collectAsList()) {
            assertThat(fromCli.standardErrors().get(r.getString(0))).isEqualTo(r.getDouble(2));
        }
    }

    @Test
    void aCsvCliOutputLoadsWithItsStandardErrors() {
        Path cli = dir.resolve("cli-ols-csv");
        Run run = main(config(dir, olsKeys(cli, "output.format = csv")).toString());
        assertThat(run.code()).as(run.err()).isZero();
        TrainedModel fromCli = TrainedModel.load(cli.toString());
        TrainedModel api = olsTrainer().fit(read(ols));
        // CSV holds each double as its shortest text: the same bits back.
        assertThat(fromCli.standardErrors()).containsExactlyEntriesOf(api.standardErrors());
        assertThat(fromCli.covariance().orElseThrow().toArray()).containsExactly(api.covariance().orElseThrow().toArray());
    }

    @Test
    void aSingularFitHasNoneAndSaysWhyAlsoAfterASaveAndFromTheCli() throws Exception {
        Trainer singular = new Trainer().setResiduals("y - (a + c) * x0").setVariables("a, c").setOptimizer("lm")
                .setStderr(true);
        TrainedModel m = singular.fit(read(ols));
        assertThat(m.standardErrors()).isEmpty();
        assertThat(m.covariance()).isEmpty();
        assertThat(m.standardErrorsReason()).hasValueSatisfying(r -> assertThat(r).contains("J^T J is"));
        Path saved = dir.resolve("singular-saved");
        m.write().overwrite().save(saved.toString());
        // As the CLI writes a singular fit: the se column there and null.
        for (Row r : spark().read().parquet(saved.resolve("params").toString()).collectAsList()) {
            assertThat(r.isNullAt(2)).isTrue();
        }
        TrainedModel back = TrainedModel.load(saved.toString());
        assertThat(back.standardErrors()).isEmpty();
        assertThat(back.standardErrorsReason()).isEqualTo(m.standardErrorsReason());

        Path cli = dir.resolve("singular-cli-csv");
        Run run = main(config(dir, "job = train", "residuals = y - (a + c) * x0", "variables = a, c", "optimizer = lm",
                "stderr = true", "output.format = csv", "input.path = " + ols, "output.path = " + cli).toString());
        assertThat(run.code()).as(run.err()).isZero();
        TrainedModel fromCli = TrainedModel.load(cli.toString()); // an all-null se column in CSV reads as text: no matter
        assertThat(fromCli.standardErrors()).isEmpty();
        assertThat(fromCli.standardErrorsReason()).isEqualTo(m.standardErrorsReason());
    }

    @Test
    void withoutStderrThereAreNoneAndNoSeColumn() throws Exception {
        TrainedModel m = new Trainer().setResiduals(RESIDUALS).setVariables("b, b0, b1, b2").setOptimizer("lm").fit(read(ols));
        assertThat(m.standardErrors()).isEmpty();
        assertThat(m.covariance()).isEmpty();
        assertThat(m.standardErrorsReason()).hasValueSatisfying(r -> assertThat(r).contains("stderr = false"));
        Path saved = dir.resolve("plain-saved");
        m.write().overwrite().save(saved.toString());
        assertThat(spark().read().parquet(saved.resolve("params").toString()).columns()).containsExactly("name", "value");
        assertThat(Files.exists(saved.resolve("covariance"))).isFalse();
        assertThat(TrainedModel.load(saved.toString()).standardErrors()).isEmpty();
    }
}
