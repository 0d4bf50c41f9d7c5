package tapeline.engine.optim;

import java.util.Map;

import tapeline.engine.tape.DType;

/**
 * Gradient descent with optional momentum, exactly as Keras 3 computes it
 * ({@code keras/src/optimizers/sgd.py}):
 * <pre>
 *   momentum = 0:   w -= g * lr
 *   otherwise:      m  = m * momentum - g * lr
 *                   w += m                                   (plain)
 *                   w += m * momentum - g * lr               (nesterov)
 * </pre>
 * Defaults: {@code learning_rate 0.01, momentum 0, nesterov false}.
 *
 * <pre>{@code
 * Optimizer sgd = new Sgd(Arguments.of("sgd", Map.of("momentum", Hyper.of(0.9))), DType.FLOAT64);
 * }</pre>
 */
public final class Sgd extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper momentum;
    private final boolean nesterov;
    private final boolean useMomentum;
    private double[][] m;

    public Sgd(Arguments args, DType dtype) {
        super(args, dtype, 0.01);
        momentum = hyper("momentum", 0.0, Arguments.Range.UNIT_CLOSED);
        nesterov = args.flag("nesterov", false);
        // Keras keeps momentum slots only when momentum != 0; a per-lane momentum always keeps them.
        useMomentum = !momentum.isUniform() || momentum.value() != 0;
        checkArguments();
    }

    /** Plain SGD with the given learning rate. */
    public static Sgd withLearningRate(double learningRate, DType dtype) {
        return new Sgd(Arguments.of("sgd", Map.of("learning_rate", Hyper.of(learningRate))), dtype);
    }

    @Override
    protected void build(int slots) {
        m = new double[slots][];
        for (int k = 0; k < slots && useMomentum; k++) m[k] = newState(k);
    }

    /** {@link #update}'s arithmetic as source, for a uniform learning rate and momentum. */
    @Override
    protected UpdateSource updateSource() {
        if (!lr().isUniform() || !momentum.isUniform()) return null;
        boolean f32 = dtype == DType.FLOAT32;
        if (!useMomentum) {
            return new UpdateSource(f32 ? "$w[i] = (float) $w[i] - (float) $g * (float) $c0;\n"
                    : "$w[i] = $w[i] - $g * $c0;\n", 0, 2);
        }
        if (f32) {
            return new UpdateSource("""
                    float lr = (float) $c0;
                    float mu = (float) $c1;
                    float gi = (float) $g;
                    float mi = (float) $s0[i] * mu - gi * lr;
                    $s0[i] = mi;
                    """ + (nesterov ? "$w[i] = (float) $w[i] + (mi * mu - gi * lr);\n" : "$w[i] = (float) $w[i] + mi;\n"), 1, 2);
        }
        return new UpdateSource("""
                double lr = $c0;
                double mu = $c1;
                double mi = $s0[i] * mu - $g * lr;
                $s0[i] = mi;
                """ + (nesterov ? "$w[i] += mi * mu - $g * lr;\n" : "$w[i] += mi;\n"), 1, 2);
    }

    @Override
    protected double[][] slotState(int k) {
        return useMomentum ? new double[][] {m[k]} : new double[0][];
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        out[0] = lr().value();
        out[1] = momentum.value();
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        boolean f32 = dtype == DType.FLOAT32;
        if (!useMomentum) {
            for (int i = 0; i < n; i++) {
                w[i] = f32 ? (float) w[i] - (float) g[i] * (float) rate.at(i) : w[i] - g[i] * rate.at(i);
            }
            return;
        }
        double[] mk = m[k];
        for (int i = 0; i < n; i++) {
            if (f32) {
                float lr = (float) rate.at(i);
                float mu = (float) momentum.at(i);
                float gi = (float) g[i];
                float mi = (float) mk[i] * mu - gi * lr;
                mk[i] = mi;
                w[i] = (float) w[i] + (nesterov ? mi * mu - gi * lr : mi);
            } else {
                double lr = rate.at(i);
                double mu = momentum.at(i);
                double mi = mk[i] * mu - g[i] * lr;
                mk[i] = mi;
                w[i] += nesterov ? mi * mu - g[i] * lr : mi;
            }
        }
    }
}
