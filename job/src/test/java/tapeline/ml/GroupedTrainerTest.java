package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * {@link Trainer#setGroupBy}: the grouped fit and its grouped {@link TrainedModel}. Oracles: each
 * group's least-squares solution from its normal equations, solved here in plain Java (an independent
 * implementation); the grouped train and grouped score jobs' own output through {@code Main} (the CLI)
 * on the same data and settings, bit for bit.
 */
class GroupedTrainerTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path train;
    static Path score;
    /** Each group's rows: store, y, x0, x1. */
    static Map<String, List<double[]>> rows;

    static final String LOSS = "(y - (b + dot(w, x)))^2";
    static final int GROUPS = 5;

    /**
     * Five stores, y = g + (1 + g) x0 - g x1 + noise, 40 rows each; a store whose every row lacks y
     * (INVALID with bad.rows = skip). Score rows of every store, one the train never saw, and the bad one.
     */
    @BeforeEach
    void data() {
        if (train != null) {
            return;
        }
        Random r = new Random(2222);
        rows = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            for (int i = 0; i < 40; i++) {
                double x0 = Double.parseDouble(String.format(Locale.ROOT, "%.6f", r.nextGaussian()));
                double x1 = Double.parseDouble(String.format(Locale.ROOT, "%.6f", r.nextGaussian()));
                double y = Double.parseDouble(String.format(Locale.ROOT, "%.6f", g + (1 + g) * x0 - g * x1 + 0.1 * r.nextGaussian()));
                rows.computeIfAbsent("s" + g, k -> new ArrayList<>()).add(new double[] {y, x0, x1});
                lines.add(String.format(Locale.ROOT, "s%d,%.6f,%.6f,%.6f", g, y, x0, x1));
            }
        }
        lines.add("bad,,1,2");
        lines.add("bad,,3,4");
        train = csv(dir.resolve("train.csv"), "store,y,x0,x1", lines);
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 35; i++) {
            String store = i % 7 < GROUPS ? "s" + (i % 7) : i % 7 == GROUPS ? "unseen" : "bad";
            held.add(String.format(Locale.ROOT, "%d,%s,%.3f,%.3f", i, store, 0.1 * i, -0.05 * i));
        }
        score = csv(dir.resolve("score.csv"), "id,store,x0,x1", held);
    }

    Dataset<Row> read(Path csv) {
        return InputReader.read(spark(), new InputSpec(csv.toString(), Format.CSV)); // as the jobs read it
    }

    static Trainer perStore() {
        return new Trainer().setGroupBy("store").setLoss(LOSS).setVariables("b, w[2]").setOptimizer("lbfgs")
                .setSteps(200).setToleranceGrad(1e-12).setBadRows("skip").setOutput("prediction", "b + dot(w, x)");
    }

    /** The CLI's grouped train of {@link #train} with {@link #perStore()}'s settings. */
    Path cliTrain(String name, String format) {
        Path out = dir.resolve(name);
        Run run = main(config(dir, "job = train", "group.by = store", "loss = " + LOSS, "variables = b, w[2]",
                "optimizer = lbfgs", "steps = 200", "tolerance.grad = 1e-12", "bad.rows = skip", "input.path = " + train,
                "output.path = " + out, "output.format = " + format).toString());
        assertThat(run.code()).as(run.err()).isZero();
        return out;
    }

    /** The CLI's grouped score of {@link #score} with the parameters at {@code params}. */
    Path cliScore(String name, Path params, String... extra) {
        Path out = dir.resolve(name);
        List<String> lines = new ArrayList<>(List.of("job = score", "group.by = store", "params.path = " + params,
                "output.prediction = b + dot(w, x)", "input.path = " + score, "output.path = " + out));
        lines.addAll(List.of(extra));
        Run run = main(config(dir, lines.toArray(String[]::new)).toString());
        assertThat(run.code()).as(run.err()).isZero();
        return out;
    }

    /** A frame through parquet, as the CLI's output is read back (the same nullability), ordered by {@code by}. */
    Dataset<Row> throughParquet(Dataset<Row> frame, String name, String by) {
        Path p = dir.resolve(name);
        frame.write().parquet(p.toString());
        return spark().read().parquet(p.toString()).orderBy(by);
    }

    @Test
    void eachGroupsParametersAreItsNormalEquationsSolution() {
        TrainedModel m = perStore().fit(read(train));
        assertThat(m.isGrouped()).isTrue();
        Map<String, Row> byStore = new LinkedHashMap<>();
        for (Row g : m.groupParameters().collectAsList()) {
            byStore.put(g.getAs("store"), g);
        }
        assertThat(byStore).hasSize(GROUPS + 1);
        for (int g = 0; g < GROUPS; g++) {
            Row fit = byStore.get("s" + g);
            assertThat((String) fit.getAs("status")).isEqualTo("CONVERGED");
            double[] expected = leastSquares(rows.get("s" + g));
            List<Double> w = fit.getList(fit.fieldIndex("w"));
            assertThat((double) fit.getAs("b")).as("store s%d, b", g).isCloseTo(expected[0], within(1e-7));
            assertThat(w.get(0)).as("store s%d, w[0]", g).isCloseTo(expected[1], within(1e-7));
            assertThat(w.get(1)).as("store s%d, w[1]", g).isCloseTo(expected[2], within(1e-7));
            assertThat((long) fit.getAs("rows")).isEqualTo(40L);
        }
        Row bad = byStore.get("bad");
        assertThat((String) bad.getAs("status")).isEqualTo("INVALID");
        assertThat((Object) bad.getAs("b")).isNull();
        assertThatThrownBy(m::parameters).isInstanceOf(IllegalStateException.class).hasMessageContaining("groupParameters()");
    }

    /** (X'X) beta = X'y for X = [1, x0, x1], by Gaussian elimination with partial pivoting. */
    static double[] leastSquares(List<double[]> groupRows) {
        double[][] a = new double[3][4];
        for (double[] r : groupRows) {
            double[] x = {1, r[1], r[2]};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    a[i][j] += x[i] * x[j];
                }
                a[i][3] += x[i] * r[0];
            }
        }
        for (int c = 0; c < 3; c++) {
            int p = c;
            for (int i = c + 1; i < 3; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
            double[] t = a[c]; a[c] = a[p]; a[p] = t;
            for (int i = c + 1; i < 3; i++) {
                double f = a[i][c] / a[c][c];
                for (int j = c; j < 4; j++) a[i][j] -= f * a[c][j];
            }
        }
        double[] beta = new double[3];
        for (int i = 2; i >= 0; i--) {
            double s = a[i][3];
            for (int j = i + 1; j < 3; j++) s -= a[i][j] * beta[j];
            beta[i] = s / a[i][i];
        }
        return beta;
    }

    @Test
    void fitAndTransformGiveTheCliOutputBitForBit() {
        Path cli = cliTrain("cli-groups", "parquet");
        TrainedModel m = perStore().fit(read(train));
        assertSameFrame(spark().read().parquet(cli.toString()).orderBy("store"),
                throughParquet(m.groupParameters(), "api-groups", "store"));

        // The CLI's output loaded as a model scores as job = score does with it: every column, the error's text too.
        TrainedModel loaded = TrainedModel.load(cli.toString());
        assertThat(loaded.isGrouped()).isTrue();
        assertThat(loaded.getOrDefault(loaded.groupBy())).isEqualTo("store");
        Path cliScored = cliScore("cli-scored", cli);
        Dataset<Row> api = throughParquet(loaded.setOutput("prediction", "b + dot(w, x)").transform(read(score)),
                "api-scored-loaded", "id");
        assertSameFrame(output(cliScored, "parquet"), api);
        assertThat(api.where("status = 'NO_MODEL'").count()).isEqualTo(10);
        assertThat(api.where("status = 'SCORED'").count()).isEqualTo(25);
        assertThat(api.where("store = 'unseen'").first().<String>getAs("error"))
                .isEqualTo("no fitted parameters for group store=unseen in " + new org.apache.hadoop.fs.Path(cli.toString()));

        // The fitted model scores the same bits; its NO_MODEL rows name the model instead of a directory.
        Dataset<Row> fitted = throughParquet(m.transform(read(score)), "api-scored-fitted", "id");
        assertSameFrame(output(cliScored, "parquet").drop("error"), fitted.drop("error"));
        assertThat(fitted.where("store = 'bad'").first().<String>getAs("error"))
                .isEqualTo("no fitted parameters for group store=bad in model " + m.uid());
    }

    /**
     * {@code setStderr(true)} with {@code setGroupBy}: the groups' standard-error columns are the CLI's
     * bit for bit (their values are tested in GroupedStderrTest), and the model still scores with the
     * parameters alone.
     */
    @Test
    void standardErrorsPerGroupAreTheClisBitForBit() {
        Path cli = dir.resolve("cli-se");
        Run run = main(config(dir, "job = train", "group.by = store", "residuals = y - (b + dot(w, x))", "variables = b, w[2]",
                "optimizer = lm", "stderr = true", "bad.rows = skip", "input.path = " + train, "output.path = " + cli).toString());
        assertThat(run.code()).as(run.err()).isZero();
        TrainedModel m = new Trainer().setGroupBy("store").setResiduals("y - (b + dot(w, x))").setVariables("b, w[2]")
                .setOptimizer("lm").setStderr(true).setBadRows("skip").setOutput("prediction", "b + dot(w, x)").fit(read(train));
        Dataset<Row> groups = throughParquet(m.groupParameters(), "api-se", "store");
        assertThat(groups.columns()).contains("b_se", "w_se", "covariance", "se_reason");
        assertSameFrame(spark().read().parquet(cli.toString()).orderBy("store"), groups);
        Dataset<Row> scored = m.transform(read(score));
        assertThat(scored.where("status = 'SCORED'").count()).isEqualTo(25);
    }

    @Test
    void aSavedGroupedModelScoresWithTheScoreJobAndLoadsBack() throws Exception {
        TrainedModel m = perStore().fit(read(train));
        Path saved = dir.resolve("saved-groups");
        m.write().overwrite().save(saved.toString());
        assertThat(saved.resolve("params")).exists();
        assertThat(saved.resolve("metadata")).exists();
        var record = tapeline.job.testing.Records.read(saved);
        assertThat(record.get("config").get("group.by").asText()).isEqualTo("store");
        assertThat(record.get("output").get("format").asText()).isEqualTo("parquet");

        Path cliScored = cliScore("cli-scored-saved", saved);
        Dataset<Row> api = throughParquet(m.transform(read(score)), "api-scored-saved", "id");
        assertSameFrame(output(cliScored, "parquet").drop("error"), api.drop("error"));

        TrainedModel again = TrainedModel.load(saved.toString());
        assertThat(again.uid()).isEqualTo(m.uid());
        assertThat(again.isGrouped()).isTrue();
        assertThat(again.getOrDefault(again.outputs())).containsExactly("prediction=b + dot(w, x)");
        assertSameFrame(throughParquet(m.groupParameters(), "groups-before", "store"),
                throughParquet(again.groupParameters(), "groups-after", "store"));
    }

    @Test
    void aCsvGroupedOutputLoadsAsAModel() {
        Path cli = cliTrain("cli-groups-csv", "csv");
        TrainedModel loaded = TrainedModel.load(cli.toString());
        // params.format: the grouped score job does not read a grouped output's record yet (the model does)
        Path cliScored = cliScore("cli-scored-csv", cli, "params.format = csv");
        assertSameFrame(output(cliScored, "parquet"),
                throughParquet(loaded.setOutput("prediction", "b + dot(w, x)").transform(read(score)), "api-scored-csv", "id"));
    }

    @Test
    void badGroupParamsFailAtSetOrAtTransformSchemaWithTheConfigsMessages() {
        assertThatThrownBy(() -> new Trainer().setGroupBy("store,,sku"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group.by: expected column names separated by commas");
        assertThatThrownBy(() -> new Trainer().setGroupMaxRows(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group.max.rows");
        Dataset<Row> frame = read(train);
        assertThatThrownBy(() -> perStore().setGroupBy("shop").transformSchema(frame.schema()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group.by: no column 'shop' in the input");
        assertThatThrownBy(() -> perStore().setBatchFraction(0.5).transformSchema(frame.schema()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch.fraction: not for a grouped train");
        // bad.rows = fatal (the default): the bad store's rows stop the fit before any group is solved
        assertThatThrownBy(() -> perStore().setBadRows("fatal").fit(frame))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 bad rows of 202");
    }
}
