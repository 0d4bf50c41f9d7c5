package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

import org.junit.jupiter.api.Test;

import tapeline.engine.optim.KerasReference.Ref;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Variable;

/**
 * Nadam's float64 block path over a long run whose gradients become exactly 0, against the plain
 * formula ({@link KerasReference#nadam64}), bit for bit. With a zero gradient {@code m} decays by
 * {@code beta_1} per step into the subnormals (and then sticks at a few subnormal ulps), the range
 * where any division done other than by {@code /} is most likely to differ.
 */
class NadamLongRunTest {

    static final int STEPS = 8000;

    @Test
    void gradientsThatBecomeZeroDecayIntoSubnormalsBitwise() {
        double[] x = KerasOptimizersTest.NOTEBOOK;
        // One block, uniform hyper-parameters (the block path), one gradient sequence per lane.
        Random rnd = new Random(11);
        double[] noise = new double[STEPS + 1];
        for (int i = 0; i <= STEPS; i++) noise[i] = rnd.nextGaussian();
        IntToDoubleFunction[] lanes = {
                step -> step == 1 ? 1.0 : 0.0,                // m from 0.1 down into the subnormals
                step -> step == 1 ? 1e-300 : 0.0,             // everything tiny, w itself tiny and moving
                step -> step == 1 ? -3e-310 : 0.0,            // a subnormal gradient
                step -> step <= 10 ? 1e-200 * step : 0.0,
                step -> 0.0,                                   // zeros throughout
                step -> step == 1 ? 1e200 : 0.0,               // v overflows
                step -> noise[step],                           // never zero
                step -> step <= 100 ? noise[step] : 0.0,       // normal, then zero: decays from there
                step -> step <= 50 ? 1e-300 * noise[step] : 0.0, // tiny, then zero: w tiny and moving
                null,                                          // the quadratic, from w = 0 (a normal lane)
        };
        int n = lanes.length;
        Optimizer opt = Optimizers.create("nadam", Map.of("learning_rate", Hyper.of(0.1)), DType.FLOAT64);
        Variable w = Variable.perLane("w", new double[n], DType.FLOAT64);
        Ref[] ref = new Ref[n];
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) ref[i] = KerasReference.nadam64(0.1, 0.9, 0.999, 1e-7);
        boolean sawSubnormalStep = false;
        for (int step = 1; step <= STEPS; step++) {
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = lanes[i] == null ? KerasOptimizersTest.gradient(x, w.values()[i], DType.FLOAT64)
                        : lanes[i].applyAsDouble(step);
                double before = expected[i];
                expected[i] = ref[i].step(lanes[i] == null ? KerasOptimizersTest.gradient(x, before, DType.FLOAT64) : g[i]);
                double moved = Math.abs(expected[i] - before);
                sawSubnormalStep |= moved > 0 && moved < Double.MIN_NORMAL;
            }
            opt.applyGradients(new double[][] {g}, w);
            for (int i = 0; i < n; i++) {
                assertThat(Double.doubleToRawLongBits(w.values()[i])).as("lane %d step %d: %s vs %s", i, step,
                        w.values()[i], expected[i]).isEqualTo(Double.doubleToRawLongBits(expected[i]));
            }
        }
        // The run did reach the range it is about: some lane moved by a subnormal amount.
        assertThat(sawSubnormalStep).isTrue();
    }
}
