package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * The "bad params fail at {@code set} or at {@code transformSchema} with the config's
 * messages, never inside a task", for every stage: the {@link Trainer} (plain and grouped), the
 * {@link TrainedModel} (plain and grouped) and the {@link Sweep}. Each bad setting is refused by an
 * {@code IllegalArgumentException} while a listener sees no Spark job start (so no task ran), and
 * the same setting as a config key through {@code Main} (the CLI) exits 2 with the same message: the
 * oracle is the job's own parser and binder.
 */
class BadParamsBeforeAnyTaskTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path train;
    static Path score;
    static Path cliPlain;
    static Path cliGrouped;

    static final String LOSS = "(y - (b + dot(w, x)))^2";

    @BeforeEach
    void data() {
        if (train != null) {
            return;
        }
        Random r = new Random(5);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            lines.add(String.format(Locale.ROOT, "s%d,%.6f,%.6f,%.6f", i % 3, 1 + 2 * x0 - x1 + 0.1 * r.nextGaussian(), x0, x1));
        }
        train = csv(dir.resolve("train.csv"), "store,y,x0,x1", lines);
        score = csv(dir.resolve("score.csv"), "id,store,x0,x1", List.of("1,s0,0.5,0.25", "2,s9,1,2"));
        cliPlain = dir.resolve("cli-plain");
        assertThat(main(config(dir, "job = train", "loss = " + LOSS, "variables = b, w[2]", "optimizer = lbfgs", "steps = 50",
                "input.path = " + train, "output.path = " + cliPlain).toString()).code()).isZero();
        cliGrouped = dir.resolve("cli-grouped");
        assertThat(main(config(dir, "job = train", "group.by = store", "loss = " + LOSS, "variables = b, w[2]",
                "optimizer = lbfgs", "steps = 50", "input.path = " + train, "output.path = " + cliGrouped).toString()).code())
                .isZero();
    }

    Dataset<Row> read(Path csv) {
        return InputReader.read(spark(), new InputSpec(csv.toString(), Format.CSV));
    }

    /** The message {@code call} fails with, asserting it is an IllegalArgumentException raised before any Spark job. */
    String refusedBeforeAnyJob(ThrowingCallable call) {
        AtomicInteger jobs = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                jobs.incrementAndGet();
            }
        };
        drain();
        spark().sparkContext().addSparkListener(listener);
        Throwable thrown;
        try {
            thrown = catchThrowable(call);
            drain();
        } finally {
            spark().sparkContext().removeSparkListener(listener);
        }
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        assertThat(jobs.get()).as("Spark jobs started before '%s' was refused", thrown.getMessage()).isZero();
        return thrown.getMessage();
    }

    void drain() {
        try {
            spark().sparkContext().listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** The CLI's error text for a config of {@code lines}, which it must refuse as a config error (exit 2). */
    String cliRefuses(String... lines) {
        Path out = dir.resolve("cli-out-" + System.nanoTime());
        List<String> all = new ArrayList<>(List.of(lines));
        all.add("output.path = " + out);
        Run run = main(config(dir, all.toArray(String[]::new)).toString());
        assertThat(run.code()).as("exit code; stderr: %s", run.err()).isEqualTo(2);
        return run.err();
    }

    /** The stage's refusal and the CLI's both carry {@code message}. */
    void sameMessage(String message, ThrowingCallable stage, String... cli) {
        assertThat(refusedBeforeAnyJob(stage)).contains(message);
        assertThat(cliRefuses(cli)).contains(message);
    }

    static Trainer plain() {
        return new Trainer().setLoss(LOSS).setVariables("b, w[2]").setOptimizer("lbfgs").setSteps(50);
    }

    @Test
    void theTrainersBadParams() {
        String[] base = {"job = train", "variables = b, w[2]", "optimizer = lbfgs", "input.path = " + train};
        Dataset<Row> frame = read(train);
        sameMessage("loss, position 6", () -> new Trainer().setLoss("(y - b"), cat(base, "loss = (y - b"));
        sameMessage("'z' is neither a variable nor an input column",
                () -> plain().setLoss("(y - (b + dot(w, z)))^2").fit(frame), cat(base, "loss = (y - (b + dot(w, z)))^2"));
        sameMessage("dtype: optimizer = lbfgs computes in float64", () -> plain().setDtype("float32").transformSchema(frame.schema()),
                cat(base, "loss = " + LOSS, "dtype = float32"));
        sameMessage("dtype: optimizer = lbfgs computes in float64", () -> plain().setDtype("float32").fit(frame),
                cat(base, "loss = " + LOSS, "dtype = float32"));
        sameMessage("steps:", () -> plain().setSteps(-1), cat(base, "loss = " + LOSS, "steps = -1"));
        sameMessage("optimizer:", () -> plain().setOptimizer("lbgfs"), cat(base, "loss = " + LOSS, "optimizer = lbgfs"));
        sameMessage("residuals", () -> plain().setResiduals("y - b").fit(frame), cat(base, "loss = " + LOSS, "residuals = y - b"));
    }

    @Test
    void theGroupedTrainersBadParams() {
        String[] base = {"job = train", "loss = " + LOSS, "variables = b, w[2]", "optimizer = lbfgs", "input.path = " + train};
        Dataset<Row> frame = read(train);
        Trainer grouped = plain().setGroupBy("store");
        sameMessage("group.by: expected column names separated by commas", () -> new Trainer().setGroupBy("store,,sku"),
                cat(base, "group.by = store,,sku"));
        sameMessage("group.by: no column 'shop' in the input", () -> plain().setGroupBy("shop").fit(frame), cat(base, "group.by = shop"));
        sameMessage("group.by: no column 'shop' in the input", () -> plain().setGroupBy("shop").transformSchema(frame.schema()),
                cat(base, "group.by = shop"));
        sameMessage("batch.fraction: not for a grouped train", () -> grouped.copy(new org.apache.spark.ml.param.ParamMap())
                .setBatchFraction(0.5).fit(frame), cat(base, "group.by = store", "batch.fraction = 0.5"));
        sameMessage("group.max.rows", () -> grouped.setGroupMaxRows(0), cat(base, "group.by = store", "group.max.rows = 0"));
    }

    @Test
    void thePlainModelsBadParams() {
        TrainedModel m = TrainedModel.load(cliPlain.toString());
        Dataset<Row> frame = read(score);
        String[] base = {"job = score", "params.path = " + cliPlain, "input.path = " + score};
        sameMessage("output.p, position 3", () -> m.setOutput("p", "b + "), cat(base, "output.p = b + "));
        sameMessage("dtype:", () -> m.setDtype("float16"), cat(base, "output.p = b", "dtype = float16"));
        sameMessage("block.size:", () -> m.setBlockSize(0), cat(base, "output.p = b", "block.size = 0"));
        TrainedModel unknown = m.copy(new org.apache.spark.ml.param.ParamMap()).setOutput("p", "b + dot(w, z)");
        sameMessage("'z' is neither a fitted parameter of", () -> unknown.transform(frame), cat(base, "output.p = b + dot(w, z)"));
        sameMessage("'z' is neither a fitted parameter of", () -> unknown.transformSchema(frame.schema()),
                cat(base, "output.p = b + dot(w, z)"));
        TrainedModel clash = m.copy(new org.apache.spark.ml.param.ParamMap()).setOutput("x0", "b");
        sameMessage("output.x0: the input already has a column 'x0'", () -> clash.transform(frame), cat(base, "output.x0 = b"));
    }

    @Test
    void theGroupedModelsBadParams() {
        TrainedModel m = TrainedModel.load(cliGrouped.toString()).setOutput("p", "b + dot(w, x)");
        assertThat(m.isGrouped()).isTrue();
        Dataset<Row> frame = read(score);
        String[] base = {"job = score", "group.by = store", "params.path = " + cliGrouped, "input.path = " + score};
        Dataset<Row> noStore = frame.drop("store");
        Path noStoreCsv = csv(dir.resolve("no-store.csv"), "id,x0,x1", List.of("1,0.5,0.25"));
        sameMessage("group.by: no column 'store' in the input", () -> m.transform(noStore),
                "job = score", "group.by = store", "params.path = " + cliGrouped, "input.path = " + noStoreCsv,
                "output.p = b + dot(w, x)");
        sameMessage("group.by: no column 'store' in the input", () -> m.transformSchema(noStore.schema()),
                "job = score", "group.by = store", "params.path = " + cliGrouped, "input.path = " + noStoreCsv,
                "output.p = b + dot(w, x)");
        TrainedModel unknown = m.copy(new org.apache.spark.ml.param.ParamMap()).setOutput("p", "b + dot(w, z)");
        sameMessage("'z' is neither a fitted parameter of", () -> unknown.transform(frame), cat(base, "output.p = b + dot(w, z)"));
        Path withB = csv(dir.resolve("with-b.csv"), "id,store,x0,x1,b", List.of("1,s0,0.5,0.25,7"));
        sameMessage("input: has a column 'b', which is also a fitted parameter",
                () -> m.transform(frame.withColumn("b", functions.lit(7.0))),
                "job = score", "group.by = store", "params.path = " + cliGrouped, "input.path = " + withB, "output.p = b + dot(w, x)");
        Path withStatus = csv(dir.resolve("with-status.csv"), "id,store,x0,x1,status", List.of("1,s0,0.5,0.25,new"));
        sameMessage("input: has a column 'status', which the score's output adds",
                () -> m.transform(frame.withColumn("status", functions.lit("new"))),
                "job = score", "group.by = store", "params.path = " + cliGrouped, "input.path = " + withStatus,
                "output.p = b + dot(w, x)");
        // group.by other than the fit's: refused either way (the model: its rows have no such key column;
        // the CLI: the record says the grouping), before any job
        TrainedModel region = m.copy(new org.apache.spark.ml.param.ParamMap().put(m.groupBy(), "region")).setOutput("p", "b");
        assertThat(refusedBeforeAnyJob(() -> region.transform(frame.withColumn("region", functions.lit("r")))))
                .contains("group.by:").contains("has no key column 'region'");
        Path withRegion = csv(dir.resolve("with-region.csv"), "id,store,region,x0,x1", List.of("1,s0,r,0.5,0.25"));
        assertThat(cliRefuses("job = score", "group.by = region", "params.path = " + cliGrouped, "input.path = " + withRegion,
                "output.p = b")).contains("group.by: is region, but");
    }

    @Test
    void theSweepsBadParams() {
        Path coeffs = csv(dir.resolve("coeffs.csv"), "id,x0,x1,x2", List.of("1,1,-10,25"));
        Dataset<Row> frame = read(coeffs);
        String[] base = {"job = sweep", "variables = w", "input.path = " + coeffs};
        sameMessage("cost, position 7", () -> new Sweep().setCost("x0 * w^"), cat(base, "cost = x0 * w^"));
        sameMessage("'x9' is neither a variable nor an input column",
                () -> new Sweep().setCost("x9 * w^2").setVariables("w").transform(frame), cat(base, "cost = x9 * w^2"));
        sameMessage("'x9' is neither a variable nor an input column",
                () -> new Sweep().setCost("x9 * w^2").setVariables("w").transformSchema(frame.schema()), cat(base, "cost = x9 * w^2"));
    }

    static String[] cat(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
