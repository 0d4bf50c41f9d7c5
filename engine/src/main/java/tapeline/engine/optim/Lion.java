package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Lion, exactly as Keras 3 computes it ({@code keras/src/optimizers/lion.py}):
 * <pre>
 *   w -= lr * sign(m * beta_1 + g * (1 - beta_1))
 *   m  = m * beta_2 + g * (1 - beta_2)
 * </pre>
 * The variable moves first, with the interpolation of the old momentum; the momentum is updated
 * after. Defaults: {@code learning_rate 0.001, beta_1 0.9, beta_2 0.99}; Keras requires
 * {@code beta_1} in (0, 1] ("otherwise the optimizer degenerates to SignSGD"). Lion takes no
 * epsilon. Keras casts both betas to the variable dtype first, so in float32 {@code 1 - beta_1}
 * is a float32 subtraction. The step is {@code lr} per component whatever the gradient's size:
 * Lion's learning rate is typically 3-10x smaller than AdamW's.
 *
 * <pre>{@code
 * Optimizer lion = Optimizers.create("lion", Map.of("learning_rate", Hyper.of(1e-4)), DType.FLOAT32);
 * }</pre>
 */
public final class Lion extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper beta1;
    private final Hyper beta2;
    private final boolean uniform;
    private double[][] m;

    public Lion(Arguments args, DType dtype) {
        super(args, dtype, 0.001);
        beta1 = hyper("beta_1", 0.9, Arguments.Range.UNIT_LEFT_OPEN);
        beta2 = hyper("beta_2", 0.99, Arguments.Range.UNIT_CLOSED);
        uniform = learningRate.isUniform() && beta1.isUniform() && beta2.isUniform();
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        m = new double[slots][];
        for (int k = 0; k < slots; k++) m[k] = newState(k);
    }

    /** {@link #update}'s arithmetic as source, for uniform hyper-parameters. */
    @Override
    protected UpdateSource updateSource() {
        if (!uniform || !lr().isUniform()) return null;
        if (dtype == DType.FLOAT64) {
            return new UpdateSource("""
                    double gi = $g;
                    double mi = $s0[i];
                    $w[i] -= $c0 * tapeline.engine.optim.Lion.sign(mi * $c1 + gi * $c3);
                    $s0[i] = mi * $c2 + gi * $c4;
                    """, 1, 5);
        }
        return new UpdateSource("""
                float b1 = (float) $c1;
                float b2 = (float) $c2;
                float gi = (float) $g;
                float mi = (float) $s0[i];
                $w[i] = (float) $w[i] - (float) $c0 * Math.signum(mi * b1 + gi * (1f - b1));
                $s0[i] = mi * b2 + gi * (1f - b2);
                """, 1, 5);
    }

    @Override
    protected double[][] slotState(int k) {
        return new double[][] {m[k]};
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        out[0] = lr().value();
        out[1] = beta1.value();
        out[2] = beta2.value();
        out[3] = 1.0 - beta1.value();
        out[4] = 1.0 - beta2.value();
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] mk = m[k];
        if (dtype == DType.FLOAT64 && uniform && rate.isUniform()) {
            double lr = rate.value();
            double b1 = beta1.value();
            double b2 = beta2.value();
            double c1 = 1.0 - b1;
            double c2 = 1.0 - b2;
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double mi = mk[i];
                w[i] -= lr * sign(mi * b1 + gi * c1);
                mk[i] = mi * b2 + gi * c2;
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                double b2 = beta2.at(i);
                double gi = g[i];
                double mi = mk[i];
                w[i] -= rate.at(i) * Math.signum(mi * b1 + gi * (1.0 - b1));
                mk[i] = mi * b2 + gi * (1.0 - b2);
            }
        } else {
            for (int i = 0; i < n; i++) {
                float b1 = (float) beta1.at(i);
                float b2 = (float) beta2.at(i);
                float gi = (float) g[i];
                float mi = (float) mk[i];
                w[i] = (float) w[i] - (float) rate.at(i) * Math.signum(mi * b1 + gi * (1f - b1));
                mk[i] = mi * b2 + gi * (1f - b2);
            }
        }
    }

    /**
     * {@code Math.signum}, bit for bit (zeros keep their sign, NaN stays NaN), but branch-free so
     * the loop vectorises on Java 17: any non-zero double times 2^2046 is at least about 1e292, so
     * clamping it to [-1, 1] leaves its sign.
     */
    public static double sign(double x) {
        return Math.min(1.0, Math.max(-1.0, x * 0x1p1023 * 0x1p1023));
    }
}
