package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import tapeline.engine.optim.KerasReference.Ref;
import tapeline.engine.optim.schedule.CosineDecay;
import tapeline.engine.optim.schedule.ExponentialDecay;
import tapeline.engine.optim.schedule.LearningRateSchedule;
import tapeline.engine.optim.schedule.PiecewiseConstantDecay;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Variable;

/**
 * Every Keras optimizer on the notebook's quadratic {@code x0*w^2 + x1*w + x2}: the first steps
 * against {@link KerasReference}, the minimiser after many steps, per-lane independence and
 * serialisation mid-run.
 */
class KerasOptimizersTest {

    static final double[] NOTEBOOK = {1, -10, 25};

    /** An optimizer setting and its independent reference (null where the engine issue's tests cover it). */
    record Case(String label, String optimizer, Map<String, Double> args, BiFunction<DType, Void, Ref> ref) {
        Optimizer create(DType dtype) {
            return Optimizers.create(optimizer, hypers(args), dtype);
        }
    }

    static Map<String, Hyper> hypers(Map<String, Double> args) {
        Map<String, Hyper> h = new LinkedHashMap<>();
        args.forEach((k, v) -> h.put(k, Hyper.of(v)));
        return h;
    }

    static Case c(String label, String optimizer, Map<String, Double> args, java.util.function.Supplier<Ref> r64,
                  java.util.function.Supplier<Ref> r32) {
        return new Case(label, optimizer, args, (d, x) -> d == DType.FLOAT32 ? r32.get() : r64.get());
    }

    static List<Case> cases() {
        return List.of(
                c("rmsprop", "rmsprop", Map.of("learning_rate", 0.1),
                        () -> KerasReference.rmsprop64(0.1, 0.9, 0, 1e-7, false),
                        () -> KerasReference.rmsprop32(0.1, 0.9, 0, 1e-7, false)),
                c("rmsprop centered momentum", "rmsprop",
                        Map.of("learning_rate", 0.05, "rho", 0.8, "momentum", 0.5, "centered", 1.0, "epsilon", 1e-6),
                        () -> KerasReference.rmsprop64(0.05, 0.8, 0.5, 1e-6, true),
                        () -> KerasReference.rmsprop32(0.05, 0.8, 0.5, 1e-6, true)),
                c("adagrad", "adagrad", Map.of("learning_rate", 0.5),
                        () -> KerasReference.adagrad64(0.5, 0.1, 1e-7),
                        () -> KerasReference.adagrad32(0.5, 0.1, 1e-7)),
                c("adagrad init 1", "adagrad", Map.of("learning_rate", 1.0, "initial_accumulator_value", 1.0),
                        () -> KerasReference.adagrad64(1.0, 1.0, 1e-7),
                        () -> KerasReference.adagrad32(1.0, 1.0, 1e-7)),
                c("adamw", "adamw", Map.of("learning_rate", 0.1),
                        () -> KerasReference.adamw64(0.1, 0.004, 0.9, 0.999, 1e-7),
                        () -> KerasReference.adamw32(0.1, 0.004, 0.9, 0.999, 1e-7)),
                c("adamw wd 0.3", "adamw", Map.of("learning_rate", 0.1, "weight_decay", 0.3),
                        () -> KerasReference.adamw64(0.1, 0.3, 0.9, 0.999, 1e-7),
                        () -> KerasReference.adamw32(0.1, 0.3, 0.9, 0.999, 1e-7)),
                c("adam with weight_decay", "adam", Map.of("learning_rate", 0.1, "weight_decay", 0.3),
                        () -> KerasReference.adamw64(0.1, 0.3, 0.9, 0.999, 1e-7),
                        () -> KerasReference.adamw32(0.1, 0.3, 0.9, 0.999, 1e-7)),
                c("adamax", "adamax", Map.of("learning_rate", 0.1),
                        () -> KerasReference.adamax64(0.1, 0.9, 0.999, 1e-7),
                        () -> KerasReference.adamax32(0.1, 0.9, 0.999, 1e-7)),
                c("nadam", "nadam", Map.of("learning_rate", 0.1),
                        () -> KerasReference.nadam64(0.1, 0.9, 0.999, 1e-7),
                        () -> KerasReference.nadam32(0.1, 0.9, 0.999, 1e-7)),
                c("nadam beta_1 0.8", "nadam", Map.of("learning_rate", 0.1, "beta_1", 0.8, "beta_2", 0.99),
                        () -> KerasReference.nadam64(0.1, 0.8, 0.99, 1e-7),
                        () -> KerasReference.nadam32(0.1, 0.8, 0.99, 1e-7)),
                c("lion", "lion", Map.of("learning_rate", 0.1),
                        () -> KerasReference.lion64(0.1, 0.9, 0.99),
                        () -> KerasReference.lion32(0.1, 0.9, 0.99)));
    }

    /** The quadratic's gradient {@code 2*x0*w + x1}, in the dtype (exact products for x0 = 1). */
    static double gradient(double[] x, double w, DType dtype) {
        if (dtype == DType.FLOAT32) return (float) (2 * (float) x[0]) * (float) w + (float) x[1];
        return 2 * x[0] * w + x[1];
    }

    static void assertSame(double actual, double expected, DType dtype, String what) {
        if (dtype == DType.FLOAT32) {
            assertThat(Float.floatToRawIntBits((float) actual)).as("%s: %s vs %s", what, actual, expected)
                    .isEqualTo(Float.floatToRawIntBits((float) expected));
        } else {
            assertThat(actual).as(what).isCloseTo(expected, within(1e-15 * Math.abs(expected)));
        }
    }

    @TestFactory
    List<DynamicTest> firstThreeStepsMatchTheKerasFormula() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            for (DType dtype : DType.values()) {
                tests.add(DynamicTest.dynamicTest(c.label() + " " + dtype, () -> {
                    Variable w = Variable.scalar("w", 0, dtype);
                    Optimizer opt = c.create(dtype);
                    Ref ref = c.ref().apply(dtype, null);
                    double expected = 0;
                    for (int step = 1; step <= 3; step++) {
                        double g = gradient(NOTEBOOK, expected, dtype);
                        expected = ref.step(g);
                        opt.minimize(tape -> GoldenAdamTest.cost(tape, w, NOTEBOOK), w);
                        assertSame(w.value(), expected, dtype, "w after step " + step);
                    }
                    assertThat(expected).isNotZero();
                }));
            }
        }
        return tests;
    }

    /**
     * 200 steps against the reference, bitwise in both dtypes: a one-ulp difference in a
     * coefficient (say {@code (float) (1 - 0.9)} where Keras has {@code 1f - 0.9f}) may hide in
     * three steps but not in two hundred.
     */
    @TestFactory
    List<DynamicTest> longTrajectoriesMatchTheKerasFormulaBitwise() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            for (DType dtype : DType.values()) {
                for (double[] x : new double[][] {NOTEBOOK, {0.7, 3.1, 0}}) {
                    tests.add(DynamicTest.dynamicTest(c.label() + " " + dtype + " " + java.util.Arrays.toString(x), () -> {
                        Variable w = Variable.scalar("w", 0, dtype);
                        Optimizer opt = c.create(dtype);
                        Ref ref = c.ref().apply(dtype, null);
                        double expected = 0;
                        for (int step = 1; step <= 200; step++) {
                            double g = gradient(x, expected, dtype);
                            expected = ref.step(g);
                            opt.applyGradients(new double[][] {{gradient(x, w.value(), dtype)}}, w);
                            assertThat(Double.doubleToRawLongBits(w.value())).as("w after step %d: %s vs %s", step,
                                    w.value(), expected).isEqualTo(Double.doubleToRawLongBits(expected));
                        }
                    }));
                }
            }
        }
        return tests;
    }

    /** Settings that converge on the quadratic, with the steps they need and the tolerance met. */
    record Run(String optimizer, Map<String, Double> args, LearningRateSchedule schedule, int steps, double tol) { }

    static List<Run> converging() {
        // Sign-like updates (RMSprop, Lion) hover within about lr of the minimum: a decaying
        // schedule brings them in, as one would in Keras.
        LearningRateSchedule decay = new ExponentialDecay(0.1, 1, 0.999, false);
        return List.of(
                new Run("sgd", Map.of("learning_rate", 0.05), null, 2000, 1e-9),
                new Run("adam", Map.of("learning_rate", 0.1), null, 3000, 1e-5),
                new Run("rmsprop", Map.of(), decay, 20000, 1e-6),
                new Run("rmsprop", Map.of("centered", 1.0, "momentum", 0.5), decay, 20000, 1e-6),
                new Run("adagrad", Map.of("learning_rate", 1.0), null, 3000, 1e-9),
                new Run("adamw", Map.of("learning_rate", 0.1, "weight_decay", 0.0), null, 3000, 1e-5),
                new Run("adamax", Map.of("learning_rate", 0.1), null, 3000, 1e-5),
                new Run("nadam", Map.of("learning_rate", 0.1), null, 3000, 1e-5),
                new Run("lion", Map.of(), decay, 20000, 1e-6));
    }

    @TestFactory
    List<DynamicTest> manyStepsReachTheClosedFormMinimiser() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Run r : converging()) {
            for (double[] x : new double[][] {NOTEBOOK, {5, -7, 13}, {0.5, 3, 1}}) {
                tests.add(DynamicTest.dynamicTest(r.optimizer() + r.args() + " " + java.util.Arrays.toString(x), () -> {
                    Variable w = Variable.scalar("w", 0, DType.FLOAT64);
                    Optimizer opt = Optimizers.create(r.optimizer(), hypers(r.args()), DType.FLOAT64, r.schedule());
                    for (int i = 0; i < r.steps(); i++) opt.minimize(tape -> GoldenAdamTest.cost(tape, w, x), w);
                    assertThat(w.value()).isCloseTo(-x[1] / (2 * x[0]), within(r.tol()));
                }));
            }
        }
        return tests;
    }

    /** Per-lane settings of each optimizer: three lanes that differ in every listed hyper-parameter. */
    static Map<String, Map<String, double[]>> perLaneSettings() {
        Map<String, Map<String, double[]>> s = new LinkedHashMap<>();
        s.put("sgd", Map.of("momentum", new double[] {0, 0.5, 0.9}));
        s.put("adam", Map.of("beta_1", new double[] {0.9, 0.5, 0.0}, "beta_2", new double[] {0.999, 0.9, 0.99}));
        s.put("rmsprop", Map.of("rho", new double[] {0.9, 0.8, 0.95}, "momentum", new double[] {0, 0.5, 0.9},
                "epsilon", new double[] {1e-7, 1e-3, 1e-5}));
        s.put("adagrad", Map.of("initial_accumulator_value", new double[] {0.1, 0, 1}));
        s.put("adamw", Map.of("weight_decay", new double[] {0.004, 0.1, 0}));
        s.put("adamax", Map.of("beta_1", new double[] {0.9, 0.8, 0.3}, "beta_2", new double[] {0.999, 0.9, 0.99}));
        s.put("nadam", Map.of("beta_1", new double[] {0.9, 0.8, 0.5}, "beta_2", new double[] {0.999, 0.9, 0.99}));
        s.put("lion", Map.of("beta_1", new double[] {0.9, 0.5, 1.0}, "beta_2", new double[] {0.99, 0.9, 0.5}));
        return s;
    }

    @TestFactory
    List<DynamicTest> aBlockOfLanesFollowsEachLaneAloneBitwise() {
        double[] lr = {0.1, 0.05, 0.02};
        double[][] x = {{1, 2, 0.5}, {-10, 3, -1}};
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, Map<String, double[]>> e : perLaneSettings().entrySet()) {
            for (String extra : new String[] {"none", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay"}) {
                for (DType dtype : DType.values()) {
                    if (extra.equals("weight_decay") && e.getKey().equals("adamw")) continue;
                    tests.add(DynamicTest.dynamicTest(e.getKey() + " + " + extra + " " + dtype, () -> {
                        Map<String, double[]> lanes = new LinkedHashMap<>(e.getValue());
                        lanes.put("learning_rate", lr);
                        if (!extra.equals("none")) lanes.put(extra, extra.equals("weight_decay")
                                ? new double[] {0, 0.01, 0.2} : new double[] {0.5, 2, 100});
                        Map<String, Hyper> block = new LinkedHashMap<>();
                        lanes.forEach((k, v) -> block.put(k, Hyper.perLane(v)));
                        Optimizer all = Optimizers.create(e.getKey(), block, dtype);
                        Variable wAll = Variable.perLane("w", new double[3], dtype);
                        Optimizer[] alone = new Optimizer[3];
                        Variable[] wAlone = new Variable[3];
                        for (int i = 0; i < 3; i++) {
                            Map<String, Hyper> mine = new LinkedHashMap<>();
                            final int lane = i;
                            lanes.forEach((k, v) -> mine.put(k, Hyper.of(v[lane])));
                            alone[i] = Optimizers.create(e.getKey(), mine, dtype);
                            wAlone[i] = Variable.scalar("w", 0, dtype);
                        }
                        for (int step = 1; step <= 40; step++) {
                            double[] g = new double[3];
                            for (int i = 0; i < 3; i++) {
                                g[i] = gradient(new double[] {x[0][i], x[1][i]}, wAll.values()[i], dtype);
                                alone[i].applyGradients(new double[][] {{gradient(new double[] {x[0][i], x[1][i]},
                                        wAlone[i].value(), dtype)}}, wAlone[i]);
                            }
                            all.applyGradients(new double[][] {g}, wAll);
                            for (int i = 0; i < 3; i++) {
                                assertThat(Double.doubleToRawLongBits(wAll.values()[i])).as("lane %d step %d", i, step)
                                        .isEqualTo(Double.doubleToRawLongBits(wAlone[i].value()));
                            }
                        }
                    }));
                }
            }
        }
        return tests;
    }

    static List<LearningRateSchedule> schedules() {
        List<LearningRateSchedule> s = new ArrayList<>();
        s.add(null);
        s.add(new ExponentialDecay(0.1, 5, 0.9, false));
        s.add(new ExponentialDecay(0.1, 5, 0.9, true));
        s.add(new CosineDecay(0.1, 20));
        s.add(new CosineDecay(0.01, 20, 0.1, 0.2, 5));
        s.add(new PiecewiseConstantDecay(new long[] {3, 10}, new double[] {0.1, 0.05, 0.01}));
        return s;
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @TestFactory
    List<DynamicTest> serialisedMidRunContinuesBitwise() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : Optimizers.kerasNames()) {
            for (LearningRateSchedule schedule : schedules()) {
                for (DType dtype : DType.values()) {
                    tests.add(DynamicTest.dynamicTest(name + " " + schedule + " " + dtype, () -> {
                        // Two lanes with a per-lane learning rate (or a schedule) and a global clip.
                        Map<String, Hyper> args = new HashMap<>();
                        if (schedule == null) args.put("learning_rate", Hyper.perLane(new double[] {0.1, 0.03}));
                        args.put("global_clipnorm", Hyper.of(4.0));
                        Optimizer opt = Optimizers.create(name, args, dtype, schedule);
                        Variable w = Variable.perLane("w", new double[] {0, 1}, dtype);
                        double[][] x = {{1, 5}, {-10, -7}};
                        Object[] state = {opt, w};
                        for (int i = 0; i < 7; i++) stepOnce((Optimizer) state[0], (Variable) state[1], x, dtype);
                        Object[] copy = roundTrip(state);
                        for (int i = 0; i < 20; i++) {
                            stepOnce(opt, w, x, dtype);
                            stepOnce((Optimizer) copy[0], (Variable) copy[1], x, dtype);
                            assertThat(((Variable) copy[1]).values()).as("step %d", 8 + i).isEqualTo(w.values());
                        }
                        assertThat(((Optimizer) copy[0]).iterations()).isEqualTo(27);
                    }));
                }
            }
        }
        return tests;
    }

    static void stepOnce(Optimizer opt, Variable w, double[][] x, DType dtype) {
        double[] v = w.values();
        double[] g = new double[v.length];
        for (int i = 0; i < v.length; i++) g[i] = gradient(new double[] {x[0][i], x[1][i]}, v[i], dtype);
        opt.applyGradients(new double[][] {g}, w);
    }
}
