package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.TrainLoop.Settings;
import tapeline.engine.train.TrainLoop.Status;
import tapeline.engine.train.TrainLoop.TrainResult;

/** The train loop's stopping by the divergence rule, on objectives written out by hand (no Spark, no tape). */
class TrainLoopDivergenceTest {

    /** One "row" whose loss is a . p (linear: unbounded below) or |p - a|^2 (a minimum at a). */
    static TrainLoop.GradientPass linear(double[] a) {
        return (p, step) -> {
            double loss = 0;
            for (int k = 0; k < a.length; k++) loss += a[k] * p[k];
            return new GradientSums(1, loss, a.clone());
        };
    }

    static TrainLoop.GradientPass squares(double[] a) {
        return (p, step) -> {
            double loss = 0;
            double[] g = new double[a.length];
            for (int k = 0; k < a.length; k++) {
                loss += (p[k] - a[k]) * (p[k] - a[k]);
                g[k] = 2 * (p[k] - a[k]);
            }
            return new GradientSums(1, loss, g);
        };
    }

    static TrainState start(int n) {
        Optimizer adam = Optimizers.create("adam", Map.of("learning_rate", Hyper.of(0.05)), DType.FLOAT64);
        boolean[] perLane = new boolean[n];
        adam.build(1, perLane, new int[n]);
        return TrainState.start(new double[n], adam);
    }

    @Test
    void aLinearLossStopsDivergedWithTheReason() throws Exception {
        TrainResult r = TrainLoop.run(start(3), new Settings(200, 0, 0, Reduce.MEAN, 0), linear(new double[] {1, -2, 0.5}),
                TrainLoop.Listener.NONE, s -> {});
        assertThat(r.status()).isEqualTo(Status.DIVERGED);
        // A check every step, windows of 8; the first window only sets the slope, three more follow.
        assertThat(r.state().step()).isEqualTo(32);
        assertThat(r.message()).startsWith("step 32: loss falls without bound: it fell from 0.0 at the start to "
                + r.finalLoss() + ", by more than its starting magnitude");
        assertThat(r.finalLoss()).isLessThan(-1);
    }

    @Test
    void aLossWithAMinimumRunsToItsEnd() throws Exception {
        TrainResult r = TrainLoop.run(start(2), new Settings(300, 0, 0, Reduce.MEAN, 0), squares(new double[] {40, -25}),
                TrainLoop.Listener.NONE, s -> {});
        assertThat(r.status()).isEqualTo(Status.MAX_STEPS);
        assertThat(r.message()).isNull();
    }

    @Test
    void aResumedRunStopsAtTheSameStepAsAnUninterruptedOne() throws Exception {
        double[] a = {0.3, -1};
        Settings s = new Settings(400, 0, 0, Reduce.MEAN, 10);
        TrainResult whole = TrainLoop.run(start(2), s, linear(a), TrainLoop.Listener.NONE, st -> {});
        List<byte[]> saved = new ArrayList<>();
        TrainLoop.run(start(2), new Settings(25, 0, 0, Reduce.MEAN, 10), linear(a), TrainLoop.Listener.NONE, st -> saved.add(bytes(st)));
        // Resumed from step 20, mid-window, with more steps: the rule's windows come from the checkpoint.
        TrainState at20 = read(saved.get(saved.size() - 1));
        assertThat(at20.step()).isEqualTo(20);
        assertThat(at20.divergence()).isNotNull();
        TrainResult resumed = TrainLoop.run(at20, s, linear(a), TrainLoop.Listener.NONE, st -> {});
        assertThat(whole.status()).isEqualTo(Status.DIVERGED);
        assertThat(resumed.status()).isEqualTo(Status.DIVERGED);
        assertThat(resumed.state().step()).isEqualTo(whole.state().step());
        assertThat(resumed.state().params()).isEqualTo(whole.state().params());
        assertThat(resumed.message()).isEqualTo(whole.message());
    }

    /** One "row" whose loss is -|p - a|^4: unbounded below, ever steeper. */
    static TrainLoop.GradientPass minusQuartic(double[] a) {
        return (p, step) -> {
            double r2 = 0;
            for (int k = 0; k < a.length; k++) r2 += (p[k] - a[k]) * (p[k] - a[k]);
            double[] g = new double[a.length];
            for (int k = 0; k < a.length; k++) g[k] = -4 * r2 * (p[k] - a[k]);
            return new GradientSums(1, -r2 * r2, g);
        };
    }

    static TrainResult lbfgs(int n, int steps, TrainLoop.GradientPass pass) throws Exception {
        return TrainLoop.run(TrainState.start(tapeline.engine.optim.lbfgs.QuasiNewton.lbfgs(new double[n], 10)),
                new Settings(steps, 0, 0, Reduce.MEAN, 0), pass, TrainLoop.Listener.NONE, s -> {});
    }

    @Test
    void lbfgsOnALinearLossStopsDivergedNotStalled() throws Exception {
        // The strong-Wolfe search never finds a flattening slope on a line: it runs out still falling, twice.
        TrainResult r = lbfgs(3, 100, linear(new double[] {1, -2, 0.5}));
        assertThat(r.status()).as(r.message()).isEqualTo(Status.DIVERGED);
        assertThat(r.message()).contains("the objective falls without bound").contains("it fell at every trial");
        // The parameters are the last iterate's (no trial was accepted): the start.
        assertThat(r.state().params()).containsExactly(0, 0, 0);
    }

    @Test
    void lbfgsOnAnEverSteeperUnboundedLossStopsDiverged() throws Exception {
        TrainResult r = lbfgs(2, 100, minusQuartic(new double[] {0.5, -0.25}));
        assertThat(r.status()).as(r.message()).isEqualTo(Status.DIVERGED);
        assertThat(r.message()).contains("the objective falls without bound");
    }

    @Test
    void lbfgsAtTheLimitOfPrecisionOnALossWithAMinimumIsNeverDiverged() throws Exception {
        // No tolerance: the run goes on until the line search fails at the precision limit (STALLED) or
        // the gradient vanishes; either way the minimiser, never DIVERGED.
        TrainResult r = lbfgs(2, 200, squares(new double[] {40, -25}));
        assertThat(r.status()).as(r.message()).isIn(Status.STALLED, Status.CONVERGED, Status.MAX_STEPS);
        assertThat(r.state().params()[0]).isCloseTo(40, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(r.state().params()[1]).isCloseTo(-25, org.assertj.core.api.Assertions.within(1e-9));
    }

    static byte[] bytes(Object o) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(b)) {
            out.writeObject(o);
        }
        return b.toByteArray();
    }

    static TrainState read(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (TrainState) in.readObject();
        }
    }
}
