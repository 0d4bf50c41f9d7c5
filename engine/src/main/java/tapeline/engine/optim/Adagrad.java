package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Adagrad, exactly as Keras 3 computes it ({@code keras/src/optimizers/adagrad.py}):
 * <pre>
 *   acc starts at initial_accumulator_value
 *   acc += g^2
 *   w   -= (lr * g) / sqrt(acc + epsilon)
 * </pre>
 * Defaults: {@code learning_rate 0.001, initial_accumulator_value 0.1, epsilon 1e-7}.
 *
 * <pre>{@code
 * Optimizer ada = Optimizers.create("adagrad", Map.of("learning_rate", Hyper.of(1.0)), DType.FLOAT64);
 * }</pre>
 */
public final class Adagrad extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper initialAccumulator;
    private final Hyper epsilon;
    private final boolean uniform;
    private double[][] acc;

    public Adagrad(Arguments args, DType dtype) {
        super(args, dtype, 0.001);
        initialAccumulator = hyper("initial_accumulator_value", 0.1, Arguments.Range.NON_NEGATIVE);
        epsilon = hyper("epsilon", 1e-7, Arguments.Range.POSITIVE);
        uniform = learningRate.isUniform() && epsilon.isUniform();
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        acc = new double[slots][];
        for (int k = 0; k < slots; k++) {
            acc[k] = newState(k);
            // Keras initialises the accumulator with Constant(initial_accumulator_value) in the variable's dtype.
            for (int i = 0; i < acc[k].length; i++) acc[k][i] = dtype.round(initialAccumulator.at(i));
        }
    }

    /** {@link #update}'s arithmetic as source, for uniform hyper-parameters. */
    @Override
    protected UpdateSource updateSource() {
        if (!uniform || !lr().isUniform()) return null;
        if (dtype == DType.FLOAT64) {
            return new UpdateSource("""
                    double gi = $g;
                    double ai = $s0[i] + gi * gi;
                    $s0[i] = ai;
                    $w[i] -= $c0 * gi / Math.sqrt(ai + $c1);
                    """, 1, 2);
        }
        return new UpdateSource("""
                float gi = (float) $g;
                float ai = (float) $s0[i] + gi * gi;
                $s0[i] = ai;
                $w[i] = (float) $w[i] - (float) $c0 * gi / (float) Math.sqrt(ai + (float) $c1);
                """, 1, 2);
    }

    @Override
    protected double[][] slotState(int k) {
        return new double[][] {acc[k]};
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        out[0] = lr().value();
        out[1] = epsilon.value();
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] ak = acc[k];
        if (dtype == DType.FLOAT64 && uniform && rate.isUniform()) {
            double lr = rate.value();
            double eps = epsilon.value();
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double ai = ak[i] + gi * gi;
                ak[i] = ai;
                w[i] -= lr * gi / Math.sqrt(ai + eps);
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double ai = ak[i] + gi * gi;
                ak[i] = ai;
                w[i] -= rate.at(i) * gi / Math.sqrt(ai + epsilon.at(i));
            }
        } else {
            for (int i = 0; i < n; i++) {
                float gi = (float) g[i];
                float ai = (float) ak[i] + gi * gi;
                ak[i] = ai;
                w[i] = (float) w[i] - (float) rate.at(i) * gi / (float) Math.sqrt(ai + (float) epsilon.at(i));
            }
        }
    }
}
