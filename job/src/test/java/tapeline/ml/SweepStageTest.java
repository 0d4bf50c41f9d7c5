package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * {@link Sweep} from Java on local Spark. Oracles: the notebook's printed digits (5.000001, 0.7); the
 * sweep job's own output through {@code Main} (the CLI) on the same input and settings, bit for bit.
 */
class SweepStageTest extends SparkSuite {

    @TempDir
    static Path dir;

    static final StructType COEFFS = new StructType().add("id", DataTypes.IntegerType).add("x0", DataTypes.DoubleType)
            .add("x1", DataTypes.DoubleType).add("x2", DataTypes.DoubleType);

    Dataset<Row> notebookRows() {
        return spark().createDataFrame(List.of(RowFactory.create(1, 1.0, -10.0, 25.0), RowFactory.create(2, 5.0, -7.0, 13.0)),
                COEFFS);
    }

    static Sweep notebookSweep() {
        return new Sweep().setCost("x0 * w^2 + x1 * w + x2").setVariables("w").setOptimizer("adam")
                .setOptimizerArg("learning_rate", 0.1).setSteps(1000).setDtype("float32");
    }

    @Test
    void theNotebooksTwoRowsThroughTransform() {
        List<Row> rows = notebookSweep().transform(notebookRows()).orderBy("id").collectAsList();
        assertThat(Float.toString(rows.get(0).<Float>getAs("w"))).isEqualTo("5.000001");
        assertThat(Float.toString(rows.get(1).<Float>getAs("w"))).isEqualTo("0.7");
        assertThat(rows.get(0).<String>getAs("status")).isEqualTo("MAX_STEPS");
        assertThat(rows.get(0).<Integer>getAs("steps")).isEqualTo(1000);
    }

    @Test
    void transformIsAPlanAndTransformSchemaIsItsSchema() throws Exception {
        Dataset<Row> in = notebookRows();
        AtomicInteger jobs = new AtomicInteger();
        SparkListener count = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                jobs.incrementAndGet();
            }
        };
        spark().sparkContext().addSparkListener(count);
        try {
            Sweep s = notebookSweep().setVerdict(true);
            StructType schema = s.transformSchema(in.schema());
            Dataset<Row> out = s.transform(in);
            spark().sparkContext().listenerBus().waitUntilEmpty();
            assertThat(jobs.get()).as("Spark jobs run while building the transform").isZero();
            assertThat(out.schema()).isEqualTo(schema);
            assertThat(schema.fieldNames()).containsExactly("id", "x0", "x1", "x2", "w", "cost", "grad_norm", "steps",
                    "status", "error", "curvature", "verdict");
            assertThat(out.count()).isEqualTo(2); // the listener does see jobs: the action runs one
            spark().sparkContext().listenerBus().waitUntilEmpty();
            assertThat(jobs.get()).isPositive();
        } finally {
            spark().sparkContext().removeSparkListener(count);
        }
    }

    /** The seed sweep's config through ./submit.sh's entry point and through the stage: the same bits. */
    @Test
    void theApiGivesTheCliOutputBitForBit() {
        Path cli = dir.resolve("cli-sweep");
        Path conf = repo().resolve("conf/seed-sweep.properties");
        String data = repo().resolve("data/seed_coefficients.csv").toString();
        Run run = main(conf.toString(), "input.path=" + data, "output.path=" + cli, "verdict=true");
        assertThat(run.code()).as(run.err()).isZero();

        Dataset<Row> input = InputReader.read(spark(), new InputSpec(data, Format.CSV));
        Dataset<Row> api = notebookSweep().setInit("w", 0).setToleranceGrad(0).setToleranceStep(0).setVerdict(true)
                .transform(input);
        Path apiOut = dir.resolve("api-sweep");
        api.write().parquet(apiOut.toString());
        assertSameFrame(output(cli, "parquet"), output(apiOut, "parquet"));
        assertThat(output(apiOut, "parquet").count()).isEqualTo(8);
    }

    /**
     * The config file itself through {@link Sweep#fromConfig} and through {@code Main}: the same bits.
     */
    @Test
    void theConfigFilesKeysThroughFromConfigGiveTheCliOutput() throws Exception {
        Path conf = repo().resolve("conf/seed-sweep.properties");
        String data = repo().resolve("data/seed_coefficients.csv").toString();
        Path cli = dir.resolve("cli-sweep-keys");
        Run run = main(conf.toString(), "input.path=" + data, "output.path=" + cli, "optimizer.beta_1=0.85");
        assertThat(run.code()).as(run.err()).isZero();

        java.util.Map<String, String> keys = tapeline.job.config.ConfigFile.read(conf,
                List.of("input.path=" + data, "optimizer.beta_1=0.85"), new java.util.ArrayList<>());
        Sweep s = Sweep.fromConfig(keys);
        assertThat(s.configKeys()).containsEntry("cost", "x0 * w^2 + x1 * w + x2").containsEntry("optimizer.learning_rate", "0.1")
                .containsEntry("optimizer.beta_1", "0.85").containsEntry("init.w", "0").containsEntry("dtype", "float32")
                .doesNotContainKeys("input.path", "output.path", "show.rows", "app.name");

        Path apiOut = dir.resolve("api-sweep-keys");
        s.transform(InputReader.read(spark(), new InputSpec(data, Format.CSV))).write().parquet(apiOut.toString());
        assertSameFrame(output(cli, "parquet"), output(apiOut, "parquet"));
    }

    @Test
    void fromConfigReportsEveryBadKeyAtOnceWithTheJobsMessages() {
        assertThatThrownBy(() -> Sweep.fromConfig(java.util.Map.of("cost", "x0 * w^", "variables", "w", "steps", "ten",
                "input.path", "ignored.csv")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cost, position 7")
                .hasMessageContaining("steps: expected a whole number >= 1, got 'ten'");
    }

    @Test
    void badParamsFailAtSetOrAtTransformSchemaWithTheConfigsMessages() {
        assertThatThrownBy(() -> new Sweep().setCost("x0 * w^"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cost, position 7");
        assertThatThrownBy(() -> new Sweep().setSteps(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps: expected");
        assertThatThrownBy(() -> new Sweep().setDtype("float16"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dtype: expected float64 or float32, got 'float16'");
        assertThatThrownBy(() -> new Sweep().setOptimizer("adamm"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optimizer:");
        assertThatThrownBy(() -> new Sweep().setOptimizerArg("learnin_rate", 0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optimizer.learnin_rate");
        // a name that is no column: at transformSchema, before any task
        Sweep s = new Sweep().setCost("x0 * w^2 + z * w").setVariables("w");
        assertThatThrownBy(() -> s.transformSchema(COEFFS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'z' is neither a variable nor an input column");
        assertThatThrownBy(() -> new Sweep().setCost("x0 * w^2").transformSchema(COEFFS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variables: required, but not set");
        assertThat(notebookSweep().explainParams()).contains("cost: config key cost").contains("current: x0 * w^2 + x1 * w + x2")
                .contains("steps: config key steps");
    }

    /** List-valued Params read as their config entries in {@code explainParams}, not as Java array names. */
    @Test
    void explainParamsShowsListValuedParamsAsEntries() {
        String text = notebookSweep().setOptimizerArg("beta_1", 0.9).setInit("w", "x2").explainParams();
        assertThat(text).contains("optimizerArgs: config keys optimizer.<argument>: name=value entries"
                + " (a number, or a column read per row) (default: none, current: learning_rate=0.1, beta_1=0.9)");
        assertThat(text).contains("init: config keys init.<variable>: name=value entries (a number or a column)"
                + " (default: none, current: w=x2)");
        assertThat(text).contains("steps: config key steps: optimizer steps per row at most (default: 1000, current: 1000)");
        assertThat(text).doesNotContain("[Ljava");
        // another stage's Param: Spark's own ownership check still holds
        assertThatThrownBy(() -> new Sweep().explainParam(new Sweep().init())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void saveAndLoadRoundTrip() throws Exception {
        Sweep s = notebookSweep().setInit("w", 0.5).setVerdict(true);
        Path p = dir.resolve("saved-sweep");
        s.write().overwrite().save(p.toString());
        Sweep back = Sweep.load(p.toString());
        assertThat(back.uid()).isEqualTo(s.uid());
        assertThat(back.configKeys()).isEqualTo(s.configKeys());
        assertThat(back.getOrDefault(back.optimizerArgs())).containsExactly("learning_rate=0.1");
        assertThat(back.getOrDefault(back.init())).containsExactly("w=0.5");
        assertThat(back.isSet(back.blockSize())).isFalse(); // a default stays a default
        assertSameFrame(s.transform(notebookRows()).orderBy("id"), back.transform(notebookRows()).orderBy("id"));
        assertThatThrownBy(() -> s.save(p.toString())).hasMessageContaining("already exists");
        assertThatThrownBy(() -> TrainedModel.load(p.toString())).hasMessageContaining("TrainedModel.load");
    }

    /**
     * {@code residuals}, {@code optimizer = lm}, {@code stderr} through the stage: the CLI's bits (CurveFitSweepTest
     * checks that job against closed-form least squares), a save/load round trip, and the config's messages.
     */
    @Test
    void leastSquaresParamsGiveTheCliOutputAndRoundTrip() throws Exception {
        Path in = csv(dir.resolve("pts.csv"), "id,y1,y2,y3", List.of("1,1.0,2.1,2.9", "2,0.5,0.4,0.7", "3,-3,1,4.5"));
        String residuals = "y1 - (a + b), y2 - (a + 2 * b), y3 - (a + 3 * b)";
        Path cli = dir.resolve("cli-lm");
        Run run = main(config(dir, "residuals = " + residuals, "variables = a, b", "optimizer = lm", "steps = 100",
                "tolerance.cost = 1e-14", "tolerance.step = 1e-14", "stderr = true", "input.path = " + in,
                "output.path = " + cli).toString());
        assertThat(run.code()).as(run.err()).isZero();
        Sweep s = new Sweep().setStderr(true).setOptimizer("lm").setResiduals(residuals).setVariables("a, b").setSteps(100)
                .setToleranceCost(1e-14).setToleranceStep(1e-14);
        Dataset<Row> frame = InputReader.read(spark(), new InputSpec(in.toString(), Format.CSV));
        assertThat(s.transformSchema(frame.schema()).fieldNames()).contains("a_se", "b_se");
        Path api = dir.resolve("api-lm");
        s.transform(frame).write().parquet(api.toString());
        assertSameFrame(output(cli, "parquet"), output(api, "parquet"));

        Path saved = dir.resolve("saved-lm");
        s.write().save(saved.toString());
        Sweep back = Sweep.load(saved.toString());
        assertThat(back.configKeys()).isEqualTo(s.configKeys()).containsEntry("residuals", residuals)
                .containsEntry("stderr", "true").containsEntry("optimizer", "lm");
        assertThat(Sweep.fromConfig(s.configKeys()).configKeys()).isEqualTo(s.configKeys());

        assertThatThrownBy(() -> new Sweep().setResiduals("y1 - (a + b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("residuals, position");
        assertThatThrownBy(() -> new Sweep().setCostKind("mse")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cost.kind: expected nll");
        // lm with a cost, stderr without residuals or nll: whole-config problems, at transformSchema
        assertThatThrownBy(() -> new Sweep().setOptimizer("lm").setCost("(a - y1)^2").setVariables("a")
                .transformSchema(frame.schema())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("optimizer: lm (Levenberg-Marquardt) needs the cost as residuals");
        assertThatThrownBy(() -> new Sweep().setStderr(true).setCost("(a - y1)^2").setVariables("a")
                .transformSchema(frame.schema())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stderr: standard errors need the cost as residuals");
    }
}
