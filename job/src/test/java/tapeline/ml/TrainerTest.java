package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
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
 * {@link Trainer}, {@link TrainedModel} and their persistence on local Spark. Oracles: the train and
 * score jobs' own output through {@code Main} (the CLI) on the same data and settings, bit for bit;
 * the data's generating coefficients; for tuning, problems whose best regularisation is known.
 */
class TrainerTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path train;
    static Path heldOut;

    static final String LOSS = "(y - (b + dot(w, x)))^2";

    /** y = 0.5 + 2 x0 - x1 + 0.25 x2 + small noise; 300 rows to fit, 50 held out (ids for ordering). */
    @BeforeEach
    void data() {
        if (train != null) {
            return;
        }
        Random r = new Random(22);
        List<String> fit = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 350; i++) {
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            double x2 = r.nextGaussian();
            String line = String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f", i, 0.5 + 2 * x0 - x1 + 0.25 * x2
                    + 0.01 * r.nextGaussian(), x0, x1, x2);
            (i < 300 ? fit : held).add(line);
        }
        train = csv(dir.resolve("train.csv"), "id,y,x0,x1,x2", fit);
        heldOut = csv(dir.resolve("held.csv"), "id,y,x0,x1,x2", held);
    }

    Dataset<Row> read(Path csv) {
        return InputReader.read(spark(), new InputSpec(csv.toString(), Format.CSV)); // as the jobs read it
    }

    static Trainer lbfgs() {
        return new Trainer().setLoss(LOSS).setVariables("b, w[3]").setOptimizer("lbfgs").setSteps(100);
    }

    Map<String, Double> cliParams(Path out, String format) {
        var reader = spark().read().format(format);
        if (format.equals("csv")) {
            reader = reader.option("header", "true").option("inferSchema", "true");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (Row row : reader.load(out.resolve("params").toString()).collectAsList()) {
            m.put(row.getString(0), row.getDouble(1));
        }
        return m;
    }

    Path cliTrain(String name, String... extra) {
        Path out = dir.resolve(name);
        List<String> lines = new ArrayList<>(List.of("job = train", "loss = " + LOSS, "variables = b, w[3]",
                "optimizer = lbfgs", "steps = 100", "input.path = " + train, "output.path = " + out));
        lines.addAll(List.of(extra));
        Run run = main(config(dir, lines.toArray(String[]::new)).toString());
        assertThat(run.code()).as(run.err()).isZero();
        return out;
    }

    @Test
    void fitSaveAndScoreGiveTheCliOutputBitForBit() throws Exception {
        Path cli = cliTrain("cli-train");
        TrainedModel model = lbfgs().setOutput("prediction", "b + dot(w, x)").fit(read(train));
        assertThat(model.parameters()).containsExactlyEntriesOf(cliParams(cli, "parquet"));
        assertThat(model.parameters().keySet()).containsExactly("b", "w[0]", "w[1]", "w[2]");
        // the generating coefficients, to the noise's precision
        assertThat(model.parameters().get("w[0]")).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(model.summary().status()).isEqualTo("CONVERGED");
        assertThat(model.summary().objectiveHistory()).hasSize(model.summary().steps() + 1);

        Path saved = dir.resolve("api-model");
        model.write().overwrite().save(saved.toString());
        for (String part : List.of("params", "history")) {
            assertSameFrame(spark().read().parquet(cli.resolve(part).toString()),
                    spark().read().parquet(saved.resolve(part).toString()));
        }
        // the record of a saved model is a run record as the schema describes it, and says parquet
        var record = tapeline.job.testing.Records.read(saved);
        assertThat(tapeline.job.testing.Records.errors(record)).isEmpty();
        assertThat(record.get("output").get("format").asText()).isEqualTo("parquet");
        assertThat(record.get("train").get("stop_reason").asText()).isEqualTo("CONVERGED");
        assertThat(saved.resolve("metadata")).exists();
        assertThat(saved.resolve("loss.png")).exists();

        // a saved model scores with job = score, as the API scores: the same bits
        Path cliScore = dir.resolve("cli-score");
        Run run = main(config(dir, "job = score", "params.path = " + saved, "input.path = " + heldOut,
                "output.path = " + cliScore, "output.prediction = b + dot(w, x)").toString());
        assertThat(run.code()).as(run.err()).isZero();
        Path apiScore = dir.resolve("api-score");
        model.transform(read(heldOut)).write().parquet(apiScore.toString());
        assertSameFrame(output(cliScore, "parquet"), output(apiScore, "parquet"));
        assertThat(output(apiScore, "parquet").where("status = 'SCORED'").count()).isEqualTo(50);
    }

    @Test
    void aCliOutputLoadsAsAModelWhateverItsFormat() {
        Path cli = cliTrain("cli-train-csv", "output.format = csv");
        TrainedModel m = TrainedModel.load(cli.toString());
        assertThat(m.parameters()).containsExactlyEntriesOf(cliParams(cli, "csv"));
        assertThat(m.parameters()).containsExactlyEntriesOf(lbfgs().fit(read(train)).parameters()); // csv keeps the bits
        assertThat(m.summary().status()).isEqualTo("CONVERGED");
        assertThat(m.summary().history().count()).isEqualTo(m.summary().steps() + 1L);
        assertThat(m.getOrDefault(m.dtype())).isEqualTo("float64");
        List<Row> scored = m.setOutput("prediction", "b + dot(w, x)").transform(read(heldOut)).collectAsList();
        assertThat(scored).hasSize(50);
        // its params directory alone loads too (no summary then is not claimed: the record is beside it)
        assertThat(TrainedModel.load(cli.resolve("params").toString()).parameters()).isEqualTo(m.parameters());
    }

    @Test
    void aForeignOrMissingDirectoryIsAClearError() {
        Path sweep = dir.resolve("a-sweep");
        Path coeffs = csv(dir.resolve("coeffs.csv"), "id,x0,x1,x2", List.of("1,1,2,3"));
        assertThat(main(config(dir, "cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 5",
                "input.path = " + coeffs, "output.path = " + sweep).toString()).code()).isZero();
        // its record says what it is (a sweep's output, whose rows are in the directory itself, as a grouped train's are)
        assertThatThrownBy(() -> TrainedModel.load(sweep.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is the output of a sweep job").hasMessageContaining("not of a train job");
        assertThatThrownBy(() -> TrainedModel.load(dir.resolve("nothing-here").toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nothing at");
    }

    @Test
    void aPipelineWithAVectorAssemblerSavesAndLoadsAsAWhole() throws Exception {
        VectorAssembler assemble = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2"}).setOutputCol("features");
        Trainer trainer = new Trainer().setLoss("(y - (b + dot(w, features)))^2").setVariables("b, w[3]")
                .setOptimizer("lbfgs").setSteps(100).setOutput("prediction", "b + dot(w, features)");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assemble, trainer});
        Path unfitted = dir.resolve("pipeline");
        pipeline.write().overwrite().save(unfitted.toString());
        Pipeline pipelineBack = Pipeline.load(unfitted.toString());
        assertThat(((Trainer) pipelineBack.getStages()[1]).configKeys()).isEqualTo(trainer.configKeys());

        PipelineModel fitted = pipeline.fit(read(train));
        TrainedModel inside = (TrainedModel) fitted.stages()[1];
        // the vector column is the same numbers as the three columns: the same fit as the CLI's
        assertThat(inside.parameters()).containsExactlyEntriesOf(lbfgs().fit(read(train)).parameters());
        Path saved = dir.resolve("pipeline-model");
        fitted.write().overwrite().save(saved.toString());
        PipelineModel back = PipelineModel.load(saved.toString());
        assertThat(((TrainedModel) back.stages()[1]).parameters()).isEqualTo(inside.parameters());
        assertSameFrame(fitted.transform(read(heldOut)).orderBy("id"), back.transform(read(heldOut)).orderBy("id"));

        // a Sweep in a pipeline, saved and loaded with it
        Sweep sweep = new Sweep().setCost("(y - v)^2").setVariables("v").setSteps(20);
        PipelineModel withSweep = new Pipeline().setStages(new PipelineStage[] {assemble, sweep}).fit(read(heldOut));
        Path sweepSaved = dir.resolve("pipeline-sweep");
        withSweep.write().overwrite().save(sweepSaved.toString());
        assertSameFrame(withSweep.transform(read(heldOut)).orderBy("id"),
                PipelineModel.load(sweepSaved.toString()).transform(read(heldOut)).orderBy("id"));
    }

    /**
     * Ridge on two generated problems whose best strength is known: pure noise on few rows (the
     * strongest penalty wins: the unpenalised fit chases the noise) and an exact linear law (no penalty
     * wins: any shrinks the true coefficients).
     */
    /**
     * The CLI's keys through {@link Trainer#fromConfig} (what the train job does with them: keys, Params,
     * keys): the same parameters, bit for bit, for a mini-batch Adam fit with a start, an optimizer
     * argument at a non-default value and a regularization.
     */
    @Test
    void theCliKeysThroughFromConfigFitTheCliParameters() {
        String[] settings = {"optimizer = adam", "optimizer.learning_rate = 0.05", "optimizer.beta_1 = 0.85",
                "steps = 40", "batch.fraction = 0.5", "batch.seed = 11", "init.w = 0.1, 0.2, 0.3",
                "regularization = 0.01 * sum(w^2)"};
        Path cli = dir.resolve("cli-train-keys");
        List<String> lines = new ArrayList<>(List.of("job = train", "loss = " + LOSS, "variables = b, w[3]",
                "input.path = " + train, "output.path = " + cli));
        lines.addAll(List.of(settings));
        Run run = main(config(dir, lines.toArray(String[]::new)).toString());
        assertThat(run.code()).as(run.err()).isZero();

        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : lines) {
            keys.put(line.substring(0, line.indexOf('=')).trim(), line.substring(line.indexOf('=') + 1).trim());
        }
        Trainer t = Trainer.fromConfig(keys);
        assertThat(t.configKeys()).containsEntry("optimizer.learning_rate", "0.05").containsEntry("optimizer.beta_1", "0.85")
                .containsEntry("init.w", "0.1, 0.2, 0.3").containsEntry("batch.seed", "11")
                .doesNotContainKeys("input.path", "output.path");
        assertThat(t.fit(read(train)).parameters()).containsExactlyEntriesOf(cliParams(cli, "parquet"));
        assertThatThrownBy(() -> Trainer.fromConfig(Map.of("loss", "(y - b)^2", "variables", "b", "bad.rows", "maybe",
                "batch.fraction", "1.5")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad.rows:")
                .hasMessageContaining("batch.fraction:");
    }

    /** Least squares by Levenberg-Marquardt through the stage: the CLI's parameters bit for bit, and the bad combinations at set or fit. */
    @Test
    void residualsAndLmGiveTheCliParameters() {
        Path cli = dir.resolve("cli-train-lm");
        Run run = main(config(dir, "job = train", "residuals = y - (b + dot(w, x))", "variables = b, w[3]", "optimizer = lm",
                "tolerance.step = 1e-10", "stderr = true", "input.path = " + train, "output.path = " + cli).toString());
        assertThat(run.code()).as(run.err()).isZero();
        Trainer t = new Trainer().setResiduals("y - (b + dot(w, x))").setVariables("b, w[3]").setOptimizer("lm")
                .setToleranceStep(1e-10).setStderr(true);
        assertThat(t.configKeys()).containsEntry("residuals", "y - (b + dot(w, x))").containsEntry("stderr", "true");
        assertThat(t.fit(read(train)).parameters()).containsExactlyEntriesOf(cliParams(cli, "parquet"));
        assertThatThrownBy(() -> new Trainer().setResiduals("y - (b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("residuals");
        assertThatThrownBy(() -> new Trainer().setCostKind("mse")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cost.kind");
        // loss and residuals together: the config's message naming both, before any Spark job
        assertThatThrownBy(() -> new Trainer().setLoss(LOSS).setResiduals("y - b").setVariables("b, w[3]").fit(read(train)))
                .hasMessageContaining("residuals");
    }

    @Test
    void tuningPicksTheKnownRegularisation() {
        assertThat(bestLambda(false, false)).isEqualTo(100.0);
        assertThat(bestLambda(true, false)).isEqualTo(0.0);
    }

    /**
     * {@code CrossValidator} (3 folds) over the same grid: on pure noise the strongest shrinkage predicts
     * best, on an exact linear law none; the same answers as the single split.
     */
    @Test
    void crossValidationPicksTheKnownRegularisation() {
        assertThat(bestLambda(false, true)).isEqualTo(100.0);
        assertThat(bestLambda(true, true)).isEqualTo(0.0);
    }

    double bestLambda(boolean exactLaw, boolean crossValidate) {
        Random r = new Random(exactLaw ? 7 : 8);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double[] x = new double[8];
            StringBuilder s = new StringBuilder();
            double y = 0;
            for (int k = 0; k < x.length; k++) {
                x[k] = r.nextGaussian();
                y += (k + 1) * x[k];
                s.append(',').append(String.format(Locale.ROOT, "%.6f", x[k]));
            }
            y = exactLaw ? y : r.nextGaussian();
            lines.add(String.format(Locale.ROOT, "%d,%.6f", i, y) + s);
        }
        Path file = csv(dir.resolve("ridge-" + exactLaw + ".csv"), "id,y,x0,x1,x2,x3,x4,x5,x6,x7", lines);
        Trainer ridge = new Trainer().setLoss(LOSS).setVariables("b, w[8]").setOptimizer("lbfgs").setSteps(200)
                .setRegularization("lambda * sum(w^2)").setOutput("prediction", "b + dot(w, x)");
        ParamMap[] grid = new ParamGridBuilder().addGrid(ridge.lambda(), new double[] {0.0, 0.1, 100.0}).build();
        RegressionEvaluator rmse = new RegressionEvaluator().setLabelCol("y").setPredictionCol("prediction");
        org.apache.spark.ml.Model<?> best;
        if (crossValidate) {
            CrossValidatorModel cv = new CrossValidator().setEstimator(ridge).setEstimatorParamMaps(grid).setEvaluator(rmse)
                    .setNumFolds(3).setSeed(3).fit(read(file));
            assertThat(cv.avgMetrics()).hasSize(3); // one mean RMSE over the 3 folds per grid point
            for (double m : cv.avgMetrics()) {
                assertThat(m).isFinite().isPositive();
            }
            best = cv.bestModel();
        } else {
            TrainValidationSplit tvs = new TrainValidationSplit().setEstimator(ridge).setEstimatorParamMaps(grid)
                    .setEvaluator(rmse).setTrainRatio(0.6).setSeed(3);
            best = tvs.fit(read(file)).bestModel();
        }
        Trainer parent = (Trainer) best.parent();
        return (Double) parent.getOrDefault(parent.lambda());
    }

    @Test
    void badParamsFailAtSetOrAtTransformSchemaWithTheConfigsMessages() {
        assertThatThrownBy(() -> new Trainer().setLoss("(y - b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loss, position 6");
        assertThatThrownBy(() -> new Trainer().setBadRows("maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad.rows:");
        assertThatThrownBy(() -> new Trainer().setBatchFraction(1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch.fraction:");
        assertThatThrownBy(() -> new Trainer().setRegularization("lambda * sum(y^2)"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'y' is not a variable");
        assertThatThrownBy(() -> new Trainer().setOutput("prediction", "b + "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output.prediction, position 3");
        Dataset<Row> frame = read(train);
        assertThatThrownBy(() -> lbfgs().setDtype("float32").transformSchema(frame.schema()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dtype: optimizer = lbfgs computes in float64");
        assertThatThrownBy(() -> lbfgs().setLoss("(y - (b + dot(w, z)))^2").fit(frame))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'z' is neither a variable nor an input column");
        assertThat(lbfgs().setOutput("prediction", "b + dot(w, x)").transformSchema(frame.schema()).fieldNames())
                .containsExactly("id", "y", "x0", "x1", "x2", "prediction", "status", "error");
        assertThat(lbfgs().explainParams()).contains("toleranceGrad: config key tolerance.grad").contains("lambda:");
        String text = lbfgs().setOptimizerArg("memory", 7).setInit("w", "0.1, 0.2, 0.3").setOutput("prediction", "b + dot(w, x)")
                .explainParams();
        assertThat(text).contains("(default: none, current: memory=7)").contains("(default: none, current: w=0.1, 0.2, 0.3)")
                .contains("(default: none, current: prediction=b + dot(w, x))").doesNotContain("[Ljava");
    }

}
