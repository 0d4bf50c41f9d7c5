package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.DoubleUnaryOperator;
import java.util.function.IntToDoubleFunction;

import org.junit.jupiter.api.Test;

import tapeline.engine.tape.DType;

/**
 * The rule on trajectories written out by hand (one variable, a sample at every step, so a window is
 * {@value Divergence#SAMPLES} steps): what it must call divergent and what it must not.
 */
class DivergenceTest {

    /** A one-variable lane: where it is at step t, its cost and its derivative there. */
    record Lane(IntToDoubleFunction x, DoubleUnaryOperator cost, DoubleUnaryOperator grad) { }

    /** Feeds the lanes to a rule sampling every step; returns the step at which each was flagged (-1: never) and its reason. */
    static Object[][] run(DType dtype, int steps, Lane... lanes) {
        int n = lanes.length;
        Divergence d = new Divergence(n, 1, 1, dtype);
        double[][] values = new double[1][n];
        double[][] grads = new double[1][n];
        double[] cost = new double[n];
        Object[][] out = new Object[n][] ;
        for (int i = 0; i < n; i++) out[i] = new Object[] {-1, null};
        for (int t = 0; t <= steps; t++) {
            for (int i = 0; i < n; i++) {
                values[0][i] = lanes[i].x().applyAsDouble(t);
                cost[i] = lanes[i].cost().applyAsDouble(values[0][i]);
                grads[0][i] = lanes[i].grad().applyAsDouble(values[0][i]);
            }
            assertThat(d.samples(t)).isTrue();
            if (d.observe(t, cost, grads, values, n) > 0) {
                for (int i = 0; i < n; i++) {
                    if (d.reason(i) != null && (int) out[i][0] < 0) out[i] = new Object[] {t, d.reason(i)};
                }
            }
            d.beforeStep(values, n);
            for (int i = 0; i < n; i++) values[0][i] = lanes[i].x().applyAsDouble(t + 1);
            d.afterStep(values, n);
        }
        return out;
    }

    static final Lane LINEAR = new Lane(t -> 0.0 - 0.1 * t, w -> w, w -> 1);

    @Test
    void aLinearCostIsFlaggedAfterItsWindowsWithAReasonThatStatesWhatWasSeen() {
        Object[][] r = run(DType.FLOAT64, 100, LINEAR);
        // Window [0, 8) has no window before it to compare its slope with; [8, 16), [16, 24), [24, 32) run away.
        assertThat(r[0][0]).isEqualTo((Divergence.WINDOWS + 1) * Divergence.SAMPLES);
        assertThat((String) r[0][1]).startsWith("cost falls without bound: it fell from 0.0 at the start to -3.2")
                .contains("gradient norm 1.0 to 1.0").contains("(every step)").containsPattern("moved 0\\.(8|7999)\\d* where its first step times 8 is 0\\.(8|7999)");
    }

    @Test
    void growingSteps_andStepsShrinkingLikeAdagrads_areStillARunaway() {
        Lane accelerating = new Lane(t -> -0.001 * t * t, w -> w, w -> 1);
        Lane adagrad = new Lane(t -> -Math.sqrt(t + 1), w -> w, w -> 1);
        Object[][] r = run(DType.FLOAT64, 200, accelerating, adagrad);
        assertThat((int) r[0][0]).isPositive();
        assertThat((int) r[1][0]).isPositive();
    }

    @Test
    void aQuadraticApproachedFromFarAwayIsNot() {
        // The minimiser is 10^6 away and every step is the same length: only the gradient's shrinking tells.
        Lane far = new Lane(t -> 1e6 - 0.1 * t, w -> w * w - 1e12, w -> 2 * w);
        assertThat(run(DType.FLOAT64, 400, far)[0][0]).isEqualTo(-1);
    }

    @Test
    void aLaneDancingNearAMinimumIsNot_evenWithAFallingCostAndAGrowingGradient() {
        // Steps of 0.01 back and forth, drifting by 1e-4 per step: the displacement is a small part of the path.
        Lane dance = new Lane(t -> 1e-4 * t + (t % 2 == 0 ? 0 : 0.01), w -> -w * 1e-3, w -> 1 + w);
        assertThat(run(DType.FLOAT64, 400, dance)[0][0]).isEqualTo(-1);
    }

    @Test
    void aCostThatNeverFallsBelowZeroIsNotFromAPositiveStart() {
        // A steepening descent (like a hill of Himmelblau's function) but the cost stays above 0.
        Lane hill = new Lane(t -> 0.01 * t, w -> 1000 - w * w, w -> -2 * w);
        assertThat(run(DType.FLOAT64, 300, hill)[0][0]).isEqualTo(-1);
        // The same hill from a start where the cost is 0 falls by more than its starting magnitude: flagged.
        Lane fromZero = new Lane(t -> 0.01 * t, w -> -w * w, w -> -2 * w);
        assertThat((int) run(DType.FLOAT64, 300, fromZero)[0][0]).isPositive();
    }

    @Test
    void aVariableBeyondTheDtypesBoundIsFlaggedAtOnce() {
        Lane huge = new Lane(t -> 1e20 * (t + 1), w -> 0, w -> 0);
        Object[][] f32 = run(DType.FLOAT32, 3, huge);
        assertThat(f32[0][0]).isEqualTo(0);
        assertThat((String) f32[0][1]).isEqualTo("a variable's magnitude passed 1.8446744073709552E19 (1.0E20 after 0 steps),"
                + " where its square is no longer finite in float32");
        assertThat(run(DType.FLOAT64, 3, huge)[0][0]).isEqualTo(-1);
        // The bound is where the square stops being finite, in each dtype's arithmetic.
        double b64 = Divergence.bound(DType.FLOAT64);
        assertThat(b64 * b64).isInfinite();
        assertThat(Math.nextDown(b64) * Math.nextDown(b64)).isFinite();
        float b32 = (float) Divergence.bound(DType.FLOAT32);
        assertThat(b32 * b32).isInfinite();
        assertThat(Math.nextDown(b32) * Math.nextDown(b32)).isFinite();
    }

    @Test
    void movedLanesKeepTheirHistory() {
        // Lane 1 runs away, lane 0 approaches a minimum; half-way lane 0 ends and lane 1 moves to position 0.
        Divergence d = new Divergence(2, 1, 1, DType.FLOAT64);
        double[][] v = new double[1][2];
        double[][] g = new double[1][2];
        double[] c = new double[2];
        int flaggedAt = -1;
        int n = 2;
        for (int t = 0; t <= 100 && flaggedAt < 0; t++) {
            if (t == 12) {
                d.moveLane(1, 0);
                n = 1;
            }
            int linear = n == 2 ? 1 : 0;
            v[0][linear] = -0.1 * t;
            c[linear] = v[0][linear];
            g[0][linear] = 1;
            if (n == 2) {
                v[0][0] = 5 - 0.1 * t;
                c[0] = v[0][0] * v[0][0];
                g[0][0] = 2 * v[0][0];
            }
            if (d.observe(t, c, g, v, n) > 0) flaggedAt = t;
            d.beforeStep(v, n);
            v[0][linear] = -0.1 * (t + 1);
            if (n == 2) v[0][0] = 5 - 0.1 * (t + 1);
            d.afterStep(v, n);
        }
        assertThat(flaggedAt).isEqualTo((Divergence.WINDOWS + 1) * Divergence.SAMPLES);
    }

    @Test
    void aShortRunSamplesMoreOftenSoThatItCanBeJudged() {
        // Four windows of 8 samples fit in the run, at most 32 steps apart.
        assertThat(Divergence.every(100_000)).isEqualTo(32);
        assertThat(Divergence.every(1024)).isEqualTo(32);
        assertThat(Divergence.every(1000)).isEqualTo(16);
        assertThat(Divergence.every(500)).isEqualTo(8);
        assertThat(Divergence.every(200)).isEqualTo(4);
        assertThat(Divergence.every(40)).isEqualTo(1);
        assertThat(Divergence.every(0)).isEqualTo(1);
        for (int steps : new int[] {32, 100, 500, 1000, 5000}) {
            assertThat((Divergence.WINDOWS + 1) * Divergence.SAMPLES * Divergence.every(steps)).isLessThanOrEqualTo(steps);
        }
    }
}
