package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Adamax, exactly as Keras 3 computes it ({@code keras/src/optimizers/adamax.py}):
 * <pre>
 *   m  += (g - m) * (1 - beta_1)
 *   u   = max(beta_2 * u, |g|)
 *   w  -= (lr * m) / ((1 - beta_1^t) * (u + epsilon))
 * </pre>
 * Note where {@code epsilon} sits: added to {@code u}, inside the product with the bias
 * correction. Defaults: {@code learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7}.
 * In float32, {@code 1 - beta_1} is computed in double then cast (Python float), while
 * {@code beta_1^t} and {@code 1 - beta_1^t} are float32 tensor arithmetic.
 *
 * <pre>{@code
 * Optimizer adamax = Optimizers.create("adamax", Map.of("learning_rate", Hyper.of(0.002)), DType.FLOAT64);
 * }</pre>
 */
public final class Adamax extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper beta1;
    private final Hyper beta2;
    private final Hyper epsilon;
    private final boolean uniform;

    private double[][] m;
    private double[][] u;
    // 1 - beta_1^t for the step, valid when beta_1 is uniform.
    private double correction;

    public Adamax(Arguments args, DType dtype) {
        super(args, dtype, 0.001);
        beta1 = hyper("beta_1", 0.9, Arguments.Range.UNIT_OPEN);
        beta2 = hyper("beta_2", 0.999, Arguments.Range.UNIT_OPEN);
        epsilon = hyper("epsilon", 1e-7, Arguments.Range.POSITIVE);
        uniform = learningRate.isUniform() && beta1.isUniform() && beta2.isUniform() && epsilon.isUniform();
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        m = new double[slots][];
        u = new double[slots][];
        for (int k = 0; k < slots; k++) {
            m[k] = newState(k);
            u[k] = newState(k);
        }
    }

    @Override
    protected void beginStep(long t) {
        if (beta1.isUniform()) correction = correction(beta1.value(), t);
    }

    private double correction(double b1, long t) {
        if (dtype == DType.FLOAT32) return 1f - (float) Math.pow((float) b1, (float) t);
        return 1 - Math.pow(b1, t);
    }

    /** {@link #update}'s arithmetic as source, for uniform hyper-parameters. */
    @Override
    protected UpdateSource updateSource() {
        if (!uniform || !lr().isUniform()) return null;
        if (dtype == DType.FLOAT64) {
            return new UpdateSource("""
                    double gi = $g;
                    double mi = $s0[i] + (gi - $s0[i]) * $c1;
                    double ui = Math.max($c2 * $s1[i], Math.abs(gi));
                    $s0[i] = mi;
                    $s1[i] = ui;
                    $w[i] -= $c0 * mi / ($c4 * (ui + $c3));
                    """, 2, 5);
        }
        return new UpdateSource("""
                float bc = (float) $c4;
                float gi = (float) $g;
                float mi = (float) $s0[i];
                mi = mi + (gi - mi) * (float) $c1;
                float ui = Math.max((float) $c2 * (float) $s1[i], Math.abs(gi));
                $s0[i] = mi;
                $s1[i] = ui;
                $w[i] = (float) $w[i] - (float) $c0 * mi / (bc * (ui + (float) $c3));
                """, 2, 5);
    }

    @Override
    protected double[][] slotState(int k) {
        return new double[][] {m[k], u[k]};
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        out[0] = lr().value();
        out[1] = 1 - beta1.value();
        out[2] = beta2.value();
        out[3] = epsilon.value();
        out[4] = correction;
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] mk = m[k];
        double[] uk = u[k];
        if (dtype == DType.FLOAT64 && uniform && rate.isUniform()) {
            double lr = rate.value();
            double c1 = 1 - beta1.value();
            double b2 = beta2.value();
            double eps = epsilon.value();
            double bc = correction;
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * c1;
                double ui = Math.max(b2 * uk[i], Math.abs(gi));
                mk[i] = mi;
                uk[i] = ui;
                w[i] -= lr * mi / (bc * (ui + eps));
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                double bc = beta1.isUniform() ? correction : correction(b1, t);
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * (1 - b1);
                double ui = Math.max(beta2.at(i) * uk[i], Math.abs(gi));
                mk[i] = mi;
                uk[i] = ui;
                w[i] -= rate.at(i) * mi / (bc * (ui + epsilon.at(i)));
            }
        } else {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                float bc = (float) (beta1.isUniform() ? correction : correction(b1, t));
                float gi = (float) g[i];
                float mi = (float) mk[i];
                mi = mi + (gi - mi) * (float) (1 - b1);
                float ui = Math.max((float) beta2.at(i) * (float) uk[i], Math.abs(gi));
                mk[i] = mi;
                uk[i] = ui;
                w[i] = (float) w[i] - (float) rate.at(i) * mi / (bc * (ui + (float) epsilon.at(i)));
            }
        }
    }
}
