package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.optim.schedule.CosineDecay;
import tapeline.engine.optim.schedule.ExponentialDecay;
import tapeline.engine.optim.schedule.LearningRateSchedule;
import tapeline.engine.optim.schedule.PiecewiseConstantDecay;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Variable;

/**
 * Clipping, weight decay and schedules against values worked out by hand from Keras's
 * {@code base_optimizer.py} and {@code learning_rate_schedule.py}; and the errors for nonsense
 * settings. SGD with learning rate 1 makes {@code w_new = w - g_clipped}, so the clipped gradient
 * can be read off the variable.
 */
class ClippingDecayScheduleTest {

    static Optimizer sgd(DType dtype, Object... kv) {
        Map<String, Hyper> args = new LinkedHashMap<>();
        args.put("learning_rate", Hyper.of(1.0));
        for (int i = 0; i < kv.length; i += 2) args.put((String) kv[i], Hyper.of(((Number) kv[i + 1]).doubleValue()));
        return Optimizers.create("sgd", args, dtype);
    }

    /** One step from w = 0 on slots grouped into variables; returns the new w (= -clipped g). */
    static double[] stepFromZero(Optimizer opt, int[] variableOfSlot, double... g) {
        double[][] values = new double[g.length][1];
        double[][] grads = new double[g.length][];
        boolean[] perLane = new boolean[g.length];
        for (int k = 0; k < g.length; k++) {
            grads[k] = new double[] {g[k]};
            perLane[k] = true;
        }
        opt.build(1, perLane, variableOfSlot);
        opt.step(values, grads, 1);
        double[] w = new double[g.length];
        for (int k = 0; k < g.length; k++) w[k] = values[k][0];
        return w;
    }

    @Test
    void clipnormClipsEachVariableOverItsOwnComponents() {
        // One vector variable (3, 4): norm 5 > 1, g = g * 1 / max(5, 1).
        assertThat(stepFromZero(sgd(DType.FLOAT64, "clipnorm", 1), new int[] {0, 0}, 3, 4))
                .containsExactly(-(3.0 * 1.0 / 5.0), -(4.0 * 1.0 / 5.0));
        // Two scalar variables: each is clipped to its own norm, |g| = 3 and 4.
        assertThat(stepFromZero(sgd(DType.FLOAT64, "clipnorm", 1), new int[] {0, 1}, 3, 4))
                .containsExactly(-(3.0 * 1.0 / 3.0), -(4.0 * 1.0 / 4.0));
        // Below the threshold: g * c / c, which Keras computes all the same.
        assertThat(stepFromZero(sgd(DType.FLOAT64, "clipnorm", 0.7), new int[] {0, 0}, 0.3, 0.1))
                .containsExactly(-(0.3 * 0.7 / 0.7), -(0.1 * 0.7 / 0.7));
        // float32: every op in float.
        float n = (float) Math.sqrt(3f * 3f + 4f * 4f);
        assertThat(stepFromZero(sgd(DType.FLOAT32, "clipnorm", 0.3), new int[] {0, 0}, 3, 4))
                .containsExactly(-(double) (3f * 0.3f / Math.max(n, 0.3f)), -(double) (4f * 0.3f / Math.max(n, 0.3f)));
    }

    @Test
    void globalClipnormScalesAllOfALanesGradientsTogether() {
        double scale = 1.0 * Math.min(1.0 / 5.0, 1.0 / 1.0) + (5.0 - 5.0);
        assertThat(stepFromZero(sgd(DType.FLOAT64, "global_clipnorm", 1), new int[] {0, 1}, 3, 4))
                .containsExactly(-(3 * scale), -(4 * scale));
        // Below the threshold the scale is c * (1/c), applied as Keras applies it.
        double c = 0.3;
        double n = Math.sqrt(0.1 * 0.1 + 0.2 * 0.2);
        double s = c * Math.min(1.0 / n, 1.0 / c) + (n - n);
        assertThat(stepFromZero(sgd(DType.FLOAT64, "global_clipnorm", c), new int[] {0, 1}, 0.1, 0.2))
                .containsExactly(-(0.1 * s), -(0.2 * s));
        // Per lane: lane 0 has norm 5 (clipped), lane 1 norm 0.5 (kept); neither sees the other.
        Optimizer opt = sgd(DType.FLOAT64, "global_clipnorm", 1);
        double[][] values = {{0, 0}, {0, 0}};
        double[][] grads = {{3, 0.3}, {4, 0.4}};
        opt.build(2, new boolean[] {true, true});
        opt.step(values, grads, 2);
        double keep = 1.0 * Math.min(1.0 / Math.sqrt(0.3 * 0.3 + 0.4 * 0.4), 1.0);
        assertThat(values[0]).containsExactly(-(3 * scale), -(0.3 * keep));
        assertThat(values[1]).containsExactly(-(4 * scale), -(0.4 * keep));
    }

    @Test
    void clipvalueClipsEachComponent() {
        assertThat(stepFromZero(sgd(DType.FLOAT64, "clipvalue", 2), new int[] {0, 0, 0}, 5, -7, 0.5))
                .containsExactly(-2.0, 2.0, -0.5);
    }

    @Test
    void applyGradientsLeavesTheCallersGradientsAlone() {
        Optimizer opt = sgd(DType.FLOAT64, "clipvalue", 2);
        Variable w = Variable.scalar("w", 0, DType.FLOAT64);
        double[][] g = {{5}};
        opt.applyGradients(g, w);
        assertThat(g[0][0]).isEqualTo(5);
        assertThat(w.value()).isEqualTo(-2);
    }

    @Test
    void weightDecayComesBeforeTheUpdateAndUsesThatStepsLearningRate() {
        // Keras: w = w - w * wd * lr, then update_step.
        Map<String, Hyper> args = Map.of("learning_rate", Hyper.of(0.1), "weight_decay", Hyper.of(0.5));
        Optimizer opt = Optimizers.create("sgd", args, DType.FLOAT64);
        Variable w = Variable.scalar("w", 2, DType.FLOAT64);
        opt.applyGradients(new double[][] {{1}}, w);
        double decayed = 2 - 2 * 0.5 * 0.1;
        assertThat(w.value()).isEqualTo(decayed - 1 * 0.1);
        // float32
        Optimizer opt32 = Optimizers.create("sgd", args, DType.FLOAT32);
        Variable w32 = Variable.scalar("w", 2, DType.FLOAT32);
        opt32.applyGradients(new double[][] {{1}}, w32);
        float d32 = 2f - 2f * 0.5f * 0.1f;
        assertThat(w32.value()).isEqualTo((double) (d32 - 1f * 0.1f));
        // With a schedule the decay uses schedule(iterations): 1.0 at step 1, 0.5 at step 2.
        Optimizer sched = Optimizers.create("sgd", Map.of("weight_decay", Hyper.of(0.1)), DType.FLOAT64,
                new PiecewiseConstantDecay(new long[] {0}, new double[] {1.0, 0.5}));
        Variable ws = Variable.scalar("w", 1, DType.FLOAT64);
        sched.applyGradients(new double[][] {{0}}, ws);
        sched.applyGradients(new double[][] {{0}}, ws);
        double w1 = 1 - 1 * 0.1 * 1.0;
        assertThat(ws.value()).isEqualTo(w1 - w1 * 0.1 * 0.5);
    }

    @Test
    void theScheduleIsEvaluatedAtIterationsBeforeTheIncrement() {
        Optimizer opt = Optimizers.create("sgd", Map.of(), DType.FLOAT64,
                new PiecewiseConstantDecay(new long[] {0, 1}, new double[] {1.0, 0.5, 0.25}));
        Variable w = Variable.scalar("w", 0, DType.FLOAT64);
        opt.applyGradients(new double[][] {{1}}, w);
        assertThat(w.value()).isEqualTo(-1.0);
        opt.applyGradients(new double[][] {{1}}, w);
        assertThat(w.value()).isEqualTo(-1.5);
        opt.applyGradients(new double[][] {{1}}, w);
        assertThat(w.value()).isEqualTo(-1.75);
    }

    @Test
    void schedulesGiveTheDocumentedValues() {
        LearningRateSchedule stair = new ExponentialDecay(0.1, 10, 0.5, true);
        assertThat(List.of(stair.at(0, DType.FLOAT64), stair.at(9, DType.FLOAT64), stair.at(10, DType.FLOAT64),
                stair.at(25, DType.FLOAT64))).containsExactly(0.1 * Math.pow(0.5, 0), 0.1 * Math.pow(0.5, 0),
                0.1 * Math.pow(0.5, 1), 0.1 * Math.pow(0.5, 2));
        LearningRateSchedule smooth = new ExponentialDecay(0.1, 10, 0.5, false);
        assertThat(smooth.at(5, DType.FLOAT64)).isEqualTo(0.1 * Math.pow(0.5, 5 / 10.0));
        assertThat(smooth.at(5, DType.FLOAT32)).isEqualTo((double) (0.1f * (float) Math.pow(0.5f, 5f / 10f)));

        LearningRateSchedule cos = new CosineDecay(1.0, 10);
        assertThat(cos.at(0, DType.FLOAT64)).isEqualTo(1.0);
        assertThat(cos.at(5, DType.FLOAT64)).isEqualTo(1.0 * ((1 - 0.0) * (0.5 * (1 + Math.cos(Math.PI * 0.5))) + 0.0));
        assertThat(cos.at(10, DType.FLOAT64)).isEqualTo(0.0);
        assertThat(cos.at(25, DType.FLOAT64)).isEqualTo(0.0); // step is capped at decay_steps
        LearningRateSchedule alpha = new CosineDecay(2.0, 10, 0.1, Double.NaN, 0);
        assertThat(alpha.at(10, DType.FLOAT64)).isEqualTo(2.0 * ((1 - 0.1) * 0.0 + 0.1));
        float c32 = 0.5f * (1f + (float) Math.cos((float) Math.PI * (3f / 10f)));
        assertThat(alpha.at(3, DType.FLOAT32)).isEqualTo((double) (2f * ((float) (1 - 0.1) * c32 + 0.1f)));

        // Warm-up from 0 to 1 over 5 steps, then cosine over 10 steps.
        LearningRateSchedule warm = new CosineDecay(0.0, 10, 0.0, 1.0, 5);
        assertThat(warm.at(0, DType.FLOAT64)).isEqualTo(0.0);
        assertThat(warm.at(2, DType.FLOAT64)).isEqualTo((1.0 - 0.0) * (2.0 / 5.0) + 0.0);
        assertThat(warm.at(5, DType.FLOAT64)).isEqualTo(1.0);
        assertThat(warm.at(10, DType.FLOAT64)).isEqualTo(0.5 * (1 + Math.cos(Math.PI * (5.0 / 10.0))));
        assertThat(warm.at(15, DType.FLOAT64)).isEqualTo(0.0);
        assertThat(warm.at(99, DType.FLOAT64)).isEqualTo(0.0);

        LearningRateSchedule pw = new PiecewiseConstantDecay(new long[] {100, 110}, new double[] {1.0, 0.5, 0.1});
        assertThat(List.of(pw.at(0, DType.FLOAT64), pw.at(100, DType.FLOAT64), pw.at(101, DType.FLOAT64),
                pw.at(110, DType.FLOAT64), pw.at(111, DType.FLOAT64))).containsExactly(1.0, 1.0, 0.5, 0.5, 0.1);
        assertThat(pw.at(200, DType.FLOAT32)).isEqualTo((double) 0.1f);
    }

    @Test
    void aPerLaneSweepThroughTheSolverMatchesEachLaneAlone() {
        Expression cost = Expression.parse("cost", "x0 * w^2 + x1 * w + x2");
        Map<String, Integer> xs = Map.of("x0", 1, "x1", 1, "x2", 1);
        Map<String, double[][]> in = Map.of("x0", new double[][] {{1, 2, 0.5}}, "x1", new double[][] {{-10, 3, -1}},
                "x2", new double[][] {{0, 0, 0}});
        double[] rho = {0.9, 0.5, 0.99};
        double[] clip = {1, 0.5, 100};
        BlockSolver solver = new BlockSolver(cost, List.of(new VariableSpec("w", 1)), xs, "rmsprop",
                Map.of("learning_rate", 0.05), new SolverSettings(300, 0, 0), DType.FLOAT32);
        BlockResult all = solver.solve(3, in, Map.of(), Map.of("rho", rho, "clipnorm", clip));
        for (int i = 0; i < 3; i++) {
            final int lane = i;
            BlockSolver one = new BlockSolver(cost, List.of(new VariableSpec("w", 1)), xs, "rmsprop",
                    Map.of("learning_rate", 0.05, "rho", rho[i], "clipnorm", clip[i]), new SolverSettings(300, 0, 0),
                    DType.FLOAT32);
            Map<String, double[][]> mine = new LinkedHashMap<>();
            in.forEach((k, v) -> mine.put(k, new double[][] {{v[0][lane]}}));
            BlockResult r = one.solve(1, mine, Map.of(), Map.of());
            assertThat(all.values()[0][0][i]).as("lane %d", i).isEqualTo(r.values()[0][0][0]);
        }
    }

    @Test
    void nonsenseSettingsFailAtConstructionNamingArgumentAndValue() {
        assertThatThrownBy(() -> Optimizers.validate("rmsprop", Map.of("learning_rate", -0.1)))
                .hasMessageContaining("optimizer.learning_rate").hasMessageContaining("-0.1");
        assertThatThrownBy(() -> Optimizers.validate("nadam", Map.of("beta_1", 1.0)))
                .hasMessageContaining("optimizer.beta_1").hasMessageContaining("1.0");
        assertThatThrownBy(() -> Optimizers.validate("adamax", Map.of("epsilon", 0.0)))
                .hasMessageContaining("optimizer.epsilon").hasMessageContaining("0.0");
        assertThatThrownBy(() -> Optimizers.validate("lion", Map.of("beta_1", 0.0)))
                .hasMessageContaining("optimizer.beta_1 must be in (0, 1]");
        assertThatThrownBy(() -> Optimizers.validate("adamw", Map.of("weight_decay", -1.0)))
                .hasMessageContaining("optimizer.weight_decay").hasMessageContaining("-1.0");
        assertThatThrownBy(() -> Optimizers.validate("adagrad", Map.of("initial_accumulator_value", -1.0)))
                .hasMessageContaining("optimizer.initial_accumulator_value");
        assertThatThrownBy(() -> Optimizers.validate("sgd", Map.of("clipnorm", 1.0, "clipvalue", 0.5)))
                .hasMessageContaining("clipnorm=1.0").hasMessageContaining("clipvalue=0.5");
        assertThatThrownBy(() -> Optimizers.validate("adam", Map.of("global_clipnorm", 1.0, "clipnorm", 2.0)))
                .hasMessageContaining("clipnorm=2.0").hasMessageContaining("global_clipnorm=1.0");
        assertThatThrownBy(() -> Optimizers.validate("lion", Map.of("epsilon", 1e-7)))
                .hasMessageContaining("no argument 'epsilon'");
        assertThatThrownBy(() -> Optimizers.create("sgd", Map.of("learning_rate", Hyper.of(0.1)), DType.FLOAT64,
                new CosineDecay(0.1, 10))).hasMessageContaining("learning_rate").hasMessageContaining("schedule");
        assertThatThrownBy(() -> new ExponentialDecay(0.1, 0, 0.9, false)).hasMessageContaining("schedule.decay_steps")
                .hasMessageContaining("0.0");
        assertThatThrownBy(() -> new CosineDecay(-1, 10)).hasMessageContaining("schedule.initial_learning_rate");
        assertThatThrownBy(() -> new PiecewiseConstantDecay(new long[] {1}, new double[] {1}))
                .hasMessageContaining("one value fewer");
        // Every optimizer takes the base arguments, with Keras's defaults.
        for (String name : Optimizers.kerasNames()) {
            assertThat(Optimizers.arguments(name)).contains("learning_rate", "weight_decay", "clipnorm", "clipvalue",
                    "global_clipnorm");
        }
        assertThat(Optimizers.create("adamw", Map.of(), DType.FLOAT64).weightDecay().value()).isEqualTo(0.004);
        assertThat(Optimizers.create("adam", Map.of(), DType.FLOAT64).weightDecay()).isNull();
        assertThat(Optimizers.create("lion", Map.of(), DType.FLOAT64).learningRate().value()).isEqualTo(0.001);
    }
}
