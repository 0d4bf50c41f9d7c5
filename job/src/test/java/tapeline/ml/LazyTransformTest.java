package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * The "building the transform runs no Spark job": a listener counts the jobs and stages that
 * start while {@code transform} builds its plan (none), then while an action runs it (some), for the
 * grouped model (fitted, loaded from a grouped train's Parquet and CSV output, with its join broadcast
 * or shuffled, with adaptive execution on or off), the plain model and the sweep over a frame whose
 * plan has an exchange. The rows the action gives are checked against each group's parameters
 * applied here in Java ({@code b + w0 x0 + w1 x1}), and a row of an unseen or null key is
 * {@code NO_MODEL} with its key in {@code error}.
 */
class LazyTransformTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path train;
    static Path score;

    static final String LOSS = "(y - (b + dot(w, x)))^2";

    /** Three stores, y = g + (1 + g) x0 - g x1 + noise; score rows of each store, of an unseen one and of a null key. */
    @BeforeEach
    void data() {
        if (train != null) {
            return;
        }
        Random r = new Random(31);
        List<String> lines = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            for (int i = 0; i < 30; i++) {
                double x0 = r.nextGaussian();
                double x1 = r.nextGaussian();
                lines.add(String.format(Locale.ROOT, "s%d,%.6f,%.6f,%.6f", g, g + (1 + g) * x0 - g * x1 + 0.1 * r.nextGaussian(),
                        x0, x1));
            }
        }
        train = csv(dir.resolve("train.csv"), "store,y,x0,x1", lines);
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String store = switch (i % 5) {
                case 3 -> "unseen";
                case 4 -> "";           // a null key (CSV's empty cell)
                default -> "s" + (i % 5);
            };
            held.add(String.format(Locale.ROOT, "%d,%s,%.3f,%.3f", i, store, 0.1 * i, -0.05 * i));
        }
        score = csv(dir.resolve("score.csv"), "id,store,x0,x1", held);
    }

    Dataset<Row> read(Path csv) {
        return InputReader.read(spark(), new InputSpec(csv.toString(), Format.CSV));
    }

    static Trainer perStore() {
        return new Trainer().setGroupBy("store").setLoss(LOSS).setVariables("b, w[2]").setOptimizer("lbfgs")
                .setSteps(200).setToleranceGrad(1e-12).setOutput("prediction", "b + dot(w, x)");
    }

    /** Jobs and stages started while {@code build} runs, then while {@code action} runs on its result. */
    record Counts(int buildJobs, int buildStages, int actionJobs) {}

    <T> Counts count(Supplier<T> build, java.util.function.Consumer<T> action) {
        AtomicInteger jobs = new AtomicInteger();
        AtomicInteger stages = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                jobs.incrementAndGet();
            }

            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
                stages.incrementAndGet();
            }
        };
        drain();
        spark().sparkContext().addSparkListener(listener);
        try {
            T built = build.get();
            drain();
            int buildJobs = jobs.get();
            int buildStages = stages.get();
            action.accept(built);
            drain();
            return new Counts(buildJobs, buildStages, jobs.get() - buildJobs);
        } finally {
            spark().sparkContext().removeSparkListener(listener);
        }
    }

    /** Waits until the listeners have seen every event posted so far. */
    void drain() {
        try {
            spark().sparkContext().listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the listener bus did not drain", e);
        }
    }

    /** Each group's {@code b, w0, w1} by store, from the model's rows (collected: a test's three groups). */
    static Map<String, double[]> parameters(TrainedModel m) {
        Map<String, double[]> out = new HashMap<>();
        for (Row g : m.groupParameters().where("status = 'CONVERGED'").collectAsList()) {
            List<Double> w = g.getList(g.fieldIndex("w"));
            out.put(g.getAs("store"), new double[] {g.getAs("b"), w.get(0), w.get(1)});
        }
        return out;
    }

    /** The scored rows checked against the parameters applied here; NO_MODEL rows name their key. */
    static void checkScores(List<Row> rows, Map<String, double[]> params, String source) {
        assertThat(rows).hasSize(25);
        int scored = 0;
        for (Row row : rows) {
            String store = row.getAs("store");
            double x0 = row.getAs("x0");
            double x1 = row.getAs("x1");
            if (store != null && params.containsKey(store)) {
                double[] p = params.get(store);
                assertThat(row.<String>getAs("status")).isEqualTo("SCORED");
                assertThat(row.<Double>getAs("prediction")).as("row %s", row).isCloseTo(p[0] + p[1] * x0 + p[2] * x1, within(1e-12));
                assertThat((Object) row.getAs("error")).isNull();
                scored++;
            } else {
                assertThat(row.<String>getAs("status")).as("row %s", row).isEqualTo("NO_MODEL");
                assertThat((Object) row.getAs("prediction")).isNull();
                assertThat(row.<String>getAs("error")).isEqualTo("no fitted parameters for group store=" + store + " in " + source);
            }
        }
        assertThat(scored).isEqualTo(15);
        assertThat(params).containsOnlyKeys("s0", "s1", "s2");
    }

    @Test
    void aFittedGroupedModelsTransformRunsNothingUntilAnAction() {
        TrainedModel m = perStore().fit(read(train));
        Map<String, double[]> params = parameters(m);
        Dataset<Row> input = read(score);
        List<List<Row>> result = new ArrayList<>();
        Counts c = count(() -> m.transform(input), out -> result.add(out.collectAsList()));
        assertThat(c.buildJobs()).as("Spark jobs run while building the grouped transform").isZero();
        assertThat(c.buildStages()).as("Spark stages run while building the grouped transform").isZero();
        assertThat(c.actionJobs()).as("the action runs the plan").isPositive();
        checkScores(result.get(0), params, "model " + m.uid());
    }

    /**
     * The join broadcast (adaptive execution on, the default), shuffled (no broadcast: a model too big for
     * one), and without adaptive execution (where a broadcast would start as soon as the plan is made):
     * lazy every way, the same rows.
     */
    @Test
    void lazyWhetherTheJoinIsBroadcastOrShuffledWithOrWithoutAdaptiveExecution() {
        TrainedModel m = perStore().fit(read(train));
        Map<String, double[]> params = parameters(m);
        String[][] settings = {
                {"spark.sql.adaptive.enabled", "true", "spark.sql.autoBroadcastJoinThreshold", "-1"},
                {"spark.sql.adaptive.enabled", "false", "spark.sql.autoBroadcastJoinThreshold", "10485760"},
                {"spark.sql.adaptive.enabled", "false", "spark.sql.autoBroadcastJoinThreshold", "-1"}};
        for (String[] s : settings) {
            Map<String, String> before = new HashMap<>();
            for (int i = 0; i < s.length; i += 2) {
                before.put(s[i], spark().conf().get(s[i]));
                spark().conf().set(s[i], s[i + 1]);
            }
            try {
                Dataset<Row> input = read(score);
                List<List<Row>> result = new ArrayList<>();
                Counts c = count(() -> m.transform(input), out -> result.add(out.collectAsList()));
                assertThat(c.buildJobs()).as("jobs at build with %s", List.of(s)).isZero();
                assertThat(c.buildStages()).as("stages at build with %s", List.of(s)).isZero();
                assertThat(c.actionJobs()).isPositive();
                checkScores(result.get(0), params, "model " + m.uid());
            } finally {
                before.forEach((k, v) -> spark().conf().set(k, v));
            }
        }
    }

    /** A grouped train's output loaded (Parquet: array columns, sized by the record; CSV: w_0, w_1 columns). */
    @Test
    void aLoadedGroupedModelsTransformRunsNothingUntilAnAction() {
        for (String format : List.of("parquet", "csv")) {
            Path out = dir.resolve("cli-" + format);
            Run run = main(config(dir, "job = train", "group.by = store", "loss = " + LOSS, "variables = b, w[2]",
                    "optimizer = lbfgs", "steps = 200", "tolerance.grad = 1e-12", "input.path = " + train,
                    "output.path = " + out, "output.format = " + format).toString());
            assertThat(run.code()).as(run.err()).isZero();
            TrainedModel m = TrainedModel.load(out.toString()).setOutput("prediction", "b + dot(w, x)");
            Map<String, double[]> params = format.equals("parquet") ? parameters(m) : parameters(TrainedModel.load(
                    dir.resolve("cli-parquet").toString()));
            Dataset<Row> input = read(score);
            List<List<Row>> result = new ArrayList<>();
            Counts c = count(() -> m.transform(input), o -> result.add(o.collectAsList()));
            assertThat(c.buildJobs()).as("jobs at build, %s model", format).isZero();
            assertThat(c.buildStages()).as("stages at build, %s model", format).isZero();
            assertThat(c.actionJobs()).isPositive();
            checkScores(result.get(0), params, new org.apache.hadoop.fs.Path(out.toString()).toString());
        }
    }

    /**
     * The plain model and the sweep over a frame whose plan has an exchange (a repartition by a column):
     * with adaptive execution, planning it runs the shuffle, so the stages take their rows planned by the
     * action ({@code LazyRows}).
     */
    @Test
    void thePlainModelAndTheSweepOverAnExchangeRunNothingUntilAnAction() {
        TrainedModel plain = new Trainer().setLoss("(y - (b + w * x0))^2").setVariables("b, w").setOptimizer("lbfgs")
                .setSteps(100).setOutput("prediction", "b + w * x0").fit(read(train));
        double b = plain.parameters().get("b");
        double w = plain.parameters().get("w");
        Dataset<Row> shuffled = read(score).repartition(3, functions.col("store"));
        List<List<Row>> scored = new ArrayList<>();
        Counts c = count(() -> plain.transform(shuffled), out -> scored.add(out.collectAsList()));
        assertThat(c.buildJobs()).as("jobs at build, plain model over a repartition").isZero();
        assertThat(c.buildStages()).isZero();
        assertThat(c.actionJobs()).isPositive();
        assertThat(scored.get(0)).hasSize(25);
        for (Row row : scored.get(0)) {
            assertThat(row.<Double>getAs("prediction")).isEqualTo(b + w * row.<Double>getAs("x0"));
        }

        // the sweep minimises (x0 - v)^2 per row: v = x0
        Sweep sweep = new Sweep().setCost("(x0 - v)^2").setVariables("v").setOptimizer("newton").setSteps(20);
        List<List<Row>> swept = new ArrayList<>();
        Counts s = count(() -> sweep.transform(shuffled), out -> swept.add(out.collectAsList()));
        assertThat(s.buildJobs()).as("jobs at build, sweep over a repartition").isZero();
        assertThat(s.buildStages()).isZero();
        assertThat(s.actionJobs()).isPositive();
        for (Row row : swept.get(0)) {
            assertThat(row.<Double>getAs("v")).isCloseTo(row.<Double>getAs("x0"), within(1e-9));
        }
    }
}
