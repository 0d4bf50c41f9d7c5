package tapeline.engine.optim;

import java.util.Map;

import tapeline.engine.tape.DType;

/**
 * Adam, exactly as Keras 3 computes it ({@code keras/src/optimizers/adam.py}):
 * <pre>
 *   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
 *   m    += (g - m) * (1 - beta_1)
 *   v    += (g^2 - v) * (1 - beta_2)
 *   v_hat = max(v_hat, v)                       (amsgrad only; then v_hat replaces v below)
 *   w    -= m * alpha / (sqrt(v) + epsilon)
 * </pre>
 * Defaults: {@code learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad false}.
 * In float32 every operation rounds to float, and {@code 1 - beta_1}, {@code 1 - beta_2} are
 * computed in double first, as Keras does on Python floats: that is what reproduces the notebook's
 * {@code 0.09999931}.
 *
 * <pre>{@code
 * Optimizer adam = Adam.withLearningRate(0.1, DType.FLOAT32);
 * }</pre>
 */
public class Adam extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper beta1;
    private final Hyper beta2;
    private final Hyper epsilon;
    private final boolean amsgrad;
    private final boolean uniform;

    private double[][] m;
    private double[][] v;
    private double[][] vHat;
    // Per-step scalars, valid when every hyper-parameter is uniform.
    private double alpha;

    public Adam(Arguments args, DType dtype) {
        this(args, dtype, Double.NaN);
    }

    /** For {@link AdamW}: Adam whose {@code weight_decay} defaults to {@code defaultWeightDecay}. */
    Adam(Arguments args, DType dtype, double defaultWeightDecay) {
        super(args, dtype, 0.001, defaultWeightDecay);
        beta1 = hyper("beta_1", 0.9, Arguments.Range.UNIT_OPEN);
        beta2 = hyper("beta_2", 0.999, Arguments.Range.UNIT_OPEN);
        epsilon = hyper("epsilon", 1e-7, Arguments.Range.POSITIVE);
        amsgrad = args.flag("amsgrad", false);
        uniform = learningRate.isUniform() && beta1.isUniform() && beta2.isUniform() && epsilon.isUniform();
        checkArguments();
    }

    /** Adam with Keras defaults and the given learning rate. */
    public static Adam withLearningRate(double learningRate, DType dtype) {
        return new Adam(Arguments.of("adam", Map.of("learning_rate", Hyper.of(learningRate))), dtype);
    }

    @Override
    protected final void build(int slots) {
        m = new double[slots][];
        v = new double[slots][];
        vHat = amsgrad ? new double[slots][] : null;
        for (int k = 0; k < slots; k++) {
            m[k] = newState(k);
            v[k] = newState(k);
            if (amsgrad) vHat[k] = newState(k);
        }
    }

    @Override
    protected final void beginStep(long t) {
        if (uniform) alpha = alpha(lr().value(), beta1.value(), beta2.value(), t);
    }

    private double alpha(double lr, double b1, double b2, long t) {
        if (dtype == DType.FLOAT32) {
            float step = t;
            float b1p = (float) Math.pow((float) b1, step);
            float b2p = (float) Math.pow((float) b2, step);
            return (float) lr * (float) Math.sqrt(1f - b2p) / (1f - b1p);
        }
        return lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
    }

    /** {@link #update}'s arithmetic as source, for uniform hyper-parameters: the same order, the same casts. */
    @Override
    protected final UpdateSource updateSource() {
        if (!uniform) return null;
        if (dtype == DType.FLOAT64) {
            String moments = """
                    double gi = $g;
                    double mi = $s0[i] + (gi - $s0[i]) * $c1;
                    double vi = $s1[i] + (gi * gi - $s1[i]) * $c2;
                    $s0[i] = mi;
                    $s1[i] = vi;
                    """;
            String largestV = amsgrad ? "vi = $s2[i] = Math.max($s2[i], vi);\n" : ""; // amsgrad's third slot
            return new UpdateSource(moments + largestV + "$w[i] -= mi * $c0 / (Math.sqrt(vi) + $c3);\n", amsgrad ? 3 : 2, 4);
        }
        return new UpdateSource("""
                float a = (float) $c0;
                float c1 = (float) $c1;
                float c2 = (float) $c2;
                float gi = (float) $g;
                float mi = (float) $s0[i];
                float vi = (float) $s1[i];
                mi = mi + (gi - mi) * c1;
                vi = vi + (gi * gi - vi) * c2;
                $s0[i] = mi;
                $s1[i] = vi;
                """ + (amsgrad ? """
                vi = Math.max((float) $s2[i], vi);
                $s2[i] = vi;
                """ : "") + """
                $w[i] = (float) $w[i] - mi * a / ((float) Math.sqrt(vi) + (float) $c3);
                """, amsgrad ? 3 : 2, 4);
    }

    @Override
    protected final double[][] slotState(int k) {
        return amsgrad ? new double[][] {m[k], v[k], vHat[k]} : new double[][] {m[k], v[k]};
    }

    @Override
    protected final void stepScalars(double[] out, long t) {
        out[0] = alpha;
        out[1] = 1 - beta1.value();
        out[2] = 1 - beta2.value();
        out[3] = epsilon.value();
    }

    @Override
    protected final void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] mk = m[k];
        double[] vk = v[k];
        double[] hk = amsgrad ? vHat[k] : null;
        if (dtype == DType.FLOAT64 && uniform && !amsgrad) {
            // The hot path of a sweep: plain arrays, no branches, so the JIT vectorises it.
            double a = alpha;
            double c1 = 1 - beta1.value();
            double c2 = 1 - beta2.value();
            double eps = epsilon.value();
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * c1;
                double vi = vk[i] + (gi * gi - vk[i]) * c2;
                mk[i] = mi;
                vk[i] = vi;
                w[i] -= mi * a / (Math.sqrt(vi) + eps);
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                double b2 = beta2.at(i);
                double a = uniform ? alpha : alpha(rate.at(i), b1, b2, t);
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * (1 - b1);
                double vi = vk[i] + (gi * gi - vk[i]) * (1 - b2);
                mk[i] = mi;
                vk[i] = vi;
                if (amsgrad) vi = hk[i] = Math.max(hk[i], vi);
                w[i] -= mi * a / (Math.sqrt(vi) + epsilon.at(i));
            }
        } else {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                double b2 = beta2.at(i);
                float a = (float) (uniform ? alpha : alpha(rate.at(i), b1, b2, t));
                float c1 = (float) (1 - b1);
                float c2 = (float) (1 - b2);
                float gi = (float) g[i];
                float mi = (float) mk[i];
                float vi = (float) vk[i];
                mi = mi + (gi - mi) * c1;
                vi = vi + (gi * gi - vi) * c2;
                mk[i] = mi;
                vk[i] = vi;
                if (amsgrad) {
                    vi = Math.max((float) hk[i], vi);
                    hk[i] = vi;
                }
                w[i] = (float) w[i] - mi * a / ((float) Math.sqrt(vi) + (float) epsilon.at(i));
            }
        }
    }
}
