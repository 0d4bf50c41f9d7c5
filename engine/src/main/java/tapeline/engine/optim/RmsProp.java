package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * RMSprop, exactly as Keras 3 computes it ({@code keras/src/optimizers/rmsprop.py}):
 * <pre>
 *   v  = rho * v + (1 - rho) * g^2
 *   a  = rho * a + (1 - rho) * g                 (centered only)
 *   d  = centered ? (v - a^2) + epsilon : v + epsilon
 *   dw = (lr * g) / sqrt(d)
 *   momentum &gt; 0:  m = momentum * m + dw;  w -= m
 *   otherwise:     w -= dw
 * </pre>
 * Defaults: {@code learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7, centered false}.
 * {@code 1 - rho} is computed in double, then cast (Keras does it on Python floats). A per-lane
 * {@code momentum} always keeps the momentum slots; a lane with momentum 0 then takes
 * {@code m = 0 * m + dw = dw}, the same numbers as without them.
 *
 * <pre>{@code
 * Optimizer rms = Optimizers.create("rmsprop", Map.of("rho", Hyper.of(0.95)), DType.FLOAT32);
 * }</pre>
 */
public final class RmsProp extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper rho;
    private final Hyper momentum;
    private final Hyper epsilon;
    private final boolean centered;
    private final boolean useMomentum;
    private final boolean uniform;

    private double[][] v;
    private double[][] a;
    private double[][] m;

    public RmsProp(Arguments args, DType dtype) {
        super(args, dtype, 0.001);
        rho = hyper("rho", 0.9, Arguments.Range.UNIT_OPEN);
        momentum = hyper("momentum", 0.0, Arguments.Range.UNIT_CLOSED);
        epsilon = hyper("epsilon", 1e-7, Arguments.Range.POSITIVE);
        centered = args.flag("centered", false);
        useMomentum = !momentum.isUniform() || momentum.value() > 0;
        uniform = learningRate.isUniform() && rho.isUniform() && epsilon.isUniform();
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        v = new double[slots][];
        a = new double[slots][];
        m = new double[slots][];
        for (int k = 0; k < slots; k++) {
            v[k] = newState(k);
            if (centered) a[k] = newState(k);
            if (useMomentum) m[k] = newState(k);
        }
    }

    /** {@link #update}'s arithmetic as source, for uniform hyper-parameters (the general loop, which the hot one equals). */
    @Override
    protected UpdateSource updateSource() {
        if (!uniform || !lr().isUniform() || !momentum.isUniform()) return null;
        int states = 1 + (centered ? 1 : 0) + (useMomentum ? 1 : 0);
        String ms = centered ? "$s2" : "$s1";
        if (dtype == DType.FLOAT64) {
            return new UpdateSource("""
                    double lr = $c0;
                    double r = $c1;
                    double gi = $g;
                    double vi = r * $s0[i] + (1 - r) * (gi * gi);
                    $s0[i] = vi;
                    """ + (centered ? """
                    double ai = r * $s1[i] + (1 - r) * gi;
                    $s1[i] = ai;
                    double d = vi - ai * ai + $c2;
                    """ : """
                    double d = vi + $c2;
                    """) + """
                    double dw = lr * gi / Math.sqrt(d);
                    """ + (useMomentum ? """
                    double mi = $c3 * MS[i] + dw;
                    MS[i] = mi;
                    $w[i] -= mi;
                    """.replace("MS", ms) : """
                    $w[i] -= dw;
                    """), states, 5);
        }
        return new UpdateSource("""
                float lr = (float) $c0;
                float r = (float) $c1;
                float c = (float) $c4;
                float gi = (float) $g;
                float vi = r * (float) $s0[i] + c * (gi * gi);
                $s0[i] = vi;
                """ + (centered ? """
                float ai = r * (float) $s1[i] + c * gi;
                $s1[i] = ai;
                float d = vi - ai * ai + (float) $c2;
                """ : """
                float d = vi + (float) $c2;
                """) + """
                float dw = lr * gi / (float) Math.sqrt(d);
                """ + (useMomentum ? """
                float mi = (float) $c3 * (float) MS[i] + dw;
                MS[i] = mi;
                $w[i] = (float) $w[i] - mi;
                """.replace("MS", ms) : """
                $w[i] = (float) $w[i] - dw;
                """), states, 5);
    }

    @Override
    protected double[][] slotState(int k) {
        java.util.List<double[]> s = new java.util.ArrayList<>(java.util.List.of(v[k]));
        if (centered) s.add(a[k]);
        if (useMomentum) s.add(m[k]);
        return s.toArray(new double[0][]);
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        out[0] = lr().value();
        out[1] = rho.value();
        out[2] = epsilon.value();
        out[3] = momentum.value();
        out[4] = 1 - rho.value();
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] vk = v[k];
        double[] ak = a[k];
        double[] mk = m[k];
        if (dtype == DType.FLOAT64 && uniform && rate.isUniform() && !centered && !useMomentum) {
            // The default configuration: a plain loop the JIT vectorises.
            double lr = rate.value();
            double r = rho.value();
            double c = 1 - r;
            double eps = epsilon.value();
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double vi = r * vk[i] + c * (gi * gi);
                vk[i] = vi;
                w[i] -= lr * gi / Math.sqrt(vi + eps);
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double lr = rate.at(i);
                double r = rho.at(i);
                double gi = g[i];
                double vi = r * vk[i] + (1 - r) * (gi * gi);
                vk[i] = vi;
                double d;
                if (centered) {
                    double ai = r * ak[i] + (1 - r) * gi;
                    ak[i] = ai;
                    d = vi - ai * ai + epsilon.at(i);
                } else {
                    d = vi + epsilon.at(i);
                }
                double dw = lr * gi / Math.sqrt(d);
                if (useMomentum) {
                    double mi = momentum.at(i) * mk[i] + dw;
                    mk[i] = mi;
                    w[i] -= mi;
                } else {
                    w[i] -= dw;
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                float lr = (float) rate.at(i);
                float r = (float) rho.at(i);
                float c = (float) (1 - rho.at(i));
                float gi = (float) g[i];
                float vi = r * (float) vk[i] + c * (gi * gi);
                vk[i] = vi;
                float d;
                if (centered) {
                    float ai = r * (float) ak[i] + c * gi;
                    ak[i] = ai;
                    d = vi - ai * ai + (float) epsilon.at(i);
                } else {
                    d = vi + (float) epsilon.at(i);
                }
                float dw = lr * gi / (float) Math.sqrt(d);
                if (useMomentum) {
                    float mi = (float) momentum.at(i) * (float) mk[i] + dw;
                    mk[i] = mi;
                    w[i] = (float) w[i] - mi;
                } else {
                    w[i] = (float) w[i] - dw;
                }
            }
        }
    }
}
