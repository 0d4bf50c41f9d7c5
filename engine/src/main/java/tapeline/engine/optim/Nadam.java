package tapeline.engine.optim;

import java.util.Arrays;

import tapeline.engine.tape.DType;

/**
 * Nadam, exactly as Keras 3 computes it ({@code keras/src/optimizers/nadam.py}). Once per step,
 * before any variable ({@code _backend_update_step}):
 * <pre>
 *   u_product = u_product * beta_1 * (1 - 0.5 * 0.96^t)          (u_product starts at 1)
 * </pre>
 * then for every variable ({@code update_step}):
 * <pre>
 *   u_t   = beta_1 * (1 - 0.5 * 0.96^t)
 *   u_t1  = beta_1 * (1 - 0.5 * 0.96^(t+1))
 *   m    += (g - m) * (1 - beta_1)
 *   v    += (g^2 - v) * (1 - beta_2)
 *   m_hat = (u_t1 * m) / (1 - u_product * u_t1) + ((1 - u_t) * g) / (1 - u_product)
 *   v_hat = v / (1 - beta_2^t)
 *   w    -= (m_hat * lr) / (sqrt(v_hat) + epsilon)
 * </pre>
 * Defaults: {@code learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7}. Unlike Adam,
 * Nadam casts {@code beta_1} and {@code beta_2} to the variable dtype first, so in float32
 * {@code 1 - beta_1} is a float32 subtraction ({@code 1 - 0.9f}), not a cast double.
 *
 * <p>The float64 block path divides with {@code /}, four divisions per element where Adam has one,
 * which makes it about twice Adam's update while {@code u_product} matters. Once
 * {@code 1 - u_product} rounds to exactly 1 (from step 224 with the default {@code beta_1}) the two
 * {@code m_hat} divisions are by 1, which is exact, and the path leaves them out. Dividing by the
 * per-step divisors through a reciprocal and an FMA correction (Markstein) is bit-exact only for
 * dividends that are zero or far from underflow and overflow, and every per-element check of that we
 * tried cost on Java 17 as much as the divisions it saves, or more (C2 does not vectorise it well):
 * see BENCHMARKS.md and the branch {@code nadam-fma-experiment}.
 *
 * <p>{@code u_product} is optimizer state that depends only on the step and {@code beta_1}: one
 * number for the whole optimizer, serialised with it. With a per-lane {@code beta_1} each lane
 * has its own {@code u_product} (what that lane would have alone), which moves with its lane.
 *
 * <pre>{@code
 * Optimizer nadam = Optimizers.create("nadam", Map.of("learning_rate", Hyper.of(0.01)), DType.FLOAT32);
 * }</pre>
 */
public final class Nadam extends Optimizer {
    private static final long serialVersionUID = 1L;
    private static final double DECAY = 0.96;

    private final Hyper beta1;
    private final Hyper beta2;
    private final Hyper epsilon;
    private final boolean uniform;

    private double[][] m;
    private double[][] v;
    /** Keras's {@code _u_product} when beta_1 is uniform. */
    private double uProduct = 1.0;
    /** One {@code u_product} per lane when beta_1 is per lane, else null. */
    private double[] uProducts;

    // The uniform float64 path's per-step scalars, made once per step in beginStep (not per variable)
    // by the same functions as elsewhere, so the same bits. 0.96^(t+1) of one step is 0.96^t of the
    // next: Math.pow is a function, so keeping it changes nothing but the time (Math.pow per step and
    // block is what the update of 1024 lanes feels).
    private transient long decayNextStep;  // the step whose 0.96^step decayNext holds; 0: none (steps start at 1)
    private transient double decayNext;
    private transient double stepUt;       // u_t
    private transient double stepUt1;      // u_{t+1}
    private transient double stepBc2;      // 1 - beta_2^t

    public Nadam(Arguments args, DType dtype) {
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
        v = new double[slots][];
        for (int k = 0; k < slots; k++) {
            m[k] = newState(k);
            v[k] = newState(k);
        }
        if (!beta1.isUniform()) {
            uProducts = newLaneState();
            Arrays.fill(uProducts, 1.0);
        }
    }

    @Override
    protected void beginStep(long t) {
        if (dtype == DType.FLOAT64 && uniform) {
            double b1 = beta1.value();
            double decay = decayNextStep == t ? decayNext : Math.pow(DECAY, t);
            decayNext = Math.pow(DECAY, t + 1);
            decayNextStep = t + 1;
            uProduct = nextProduct64(uProduct, b1, decay);
            stepUt = u64(b1, decay);
            stepUt1 = u64(b1, decayNext);
            stepBc2 = 1 - Math.pow(beta2.value(), t);
        } else if (uProducts == null) {
            uProduct = nextProduct(uProduct, beta1.value(), t);
        } else {
            for (int i = 0; i < uProducts.length; i++) uProducts[i] = nextProduct(uProducts[i], beta1.at(i), t);
        }
    }

    private double nextProduct(double up, double b1, long t) {
        if (dtype == DType.FLOAT32) {
            return (float) up * (float) b1 * (1f - 0.5f * pow32((float) DECAY, t));
        }
        return nextProduct64(up, b1, Math.pow(DECAY, t));
    }

    /** {@code u_product * beta_1 * (1 - 0.5 * 0.96^t)} in float64, given {@code 0.96^t}. */
    private static double nextProduct64(double up, double b1, double decayPower) {
        return up * b1 * (1.0 - 0.5 * decayPower);
    }

    /** {@code beta_1 * (1 - 0.5 * 0.96^step)}, Keras's {@code u_t} (step t) and {@code u_t_1} (step t+1). */
    private double u(double b1, long step) {
        if (dtype == DType.FLOAT32) return (float) b1 * (1f - 0.5f * pow32((float) DECAY, step));
        return u64(b1, Math.pow(DECAY, step));
    }

    /** {@code beta_1 * (1 - 0.5 * 0.96^step)} in float64, given {@code 0.96^step}. */
    private static double u64(double b1, double decayPower) {
        return b1 * (1.0 - 0.5 * decayPower);
    }

    private static float pow32(float base, long step) {
        return (float) Math.pow(base, (float) step);
    }

    /** {@link #update}'s float32 arithmetic as source, for uniform hyper-parameters (u_product then is one number). */
    @Override
    protected UpdateSource updateSource() {
        if (!uniform || !lr().isUniform()) return null;
        if (dtype == DType.FLOAT64) {
            // update()'s uniform float64 loop, its two m_hat forms as two bodies chosen once per step (the
            // last scalar), in a loop of its own after the gradients': fused into the gradient loop C2 did
            // not vectorise it (2.7x Adam's step, with or without the per-step choice; 1.5x in its own).
            String head = """
                    double gi = $g;
                    double mi = $s0[i] + (gi - $s0[i]) * $c4;
                    double vi = $s1[i] + (gi * gi - $s1[i]) * $c5;
                    $s0[i] = mi;
                    $s1[i] = vi;
                    """;
            String tail = "$w[i] -= mHat * $c7 / (Math.sqrt(vi / $c6) + $c8);\n";
            return new UpdateSource(head + "double mHat = $c0 * mi / $c1 + $c3 * gi / $c2;\n" + tail,
                    head + "double mHat = $c0 * mi + $c3 * gi;\n" + tail, true, 2, 10);
        }
        return new UpdateSource("""
                float b1 = (float) $c4;
                float b2 = (float) $c5;
                float up = (float) $c2;
                float ut = (float) $c0;
                float ut1 = (float) $c1;
                float gi = (float) $g;
                float mi = (float) $s0[i];
                float vi = (float) $s1[i];
                mi = mi + (gi - mi) * (1f - b1);
                vi = vi + (gi * gi - vi) * (1f - b2);
                $s0[i] = mi;
                $s1[i] = vi;
                float mHat = ut1 * mi / (1f - up * ut1) + (1f - ut) * gi / (1f - up);
                float vHat = vi / (1f - (float) $c3);
                $w[i] = (float) $w[i] - mHat * (float) $c6 / ((float) Math.sqrt(vHat) + (float) $c7);
                """, 2, 8);
    }

    @Override
    protected double[][] slotState(int k) {
        return new double[][] {m[k], v[k]};
    }

    @Override
    protected void stepScalars(double[] out, long t) {
        if (dtype == DType.FLOAT64) { // as update()'s uniform float64 path names them
            out[0] = stepUt1;
            out[1] = 1 - uProduct * stepUt1;
            out[2] = 1 - uProduct;
            out[3] = 1 - stepUt;
            out[4] = 1 - beta1.value();
            out[5] = 1 - beta2.value();
            out[6] = stepBc2;
            out[7] = lr().value();
            out[8] = epsilon.value();
            out[9] = out[1] == 1.0 && out[2] == 1.0 ? 1.0 : 0.0; // the divisors are exactly 1: leave them out
            return;
        }
        float b1 = (float) beta1.value();
        float b2 = (float) beta2.value();
        out[0] = (float) u(b1, t);
        out[1] = (float) u(b1, t + 1);
        out[2] = (float) uProduct;
        out[3] = pow32(b2, t);
        out[4] = b1;
        out[5] = b2;
        out[6] = lr().value();
        out[7] = epsilon.value();
    }

    @Override
    protected void update(int k, double[] w, double[] g, int n, long t) {
        Hyper rate = lr();
        double[] mk = m[k];
        double[] vk = v[k];
        if (dtype == DType.FLOAT64 && uniform && rate.isUniform()) {
            double b1 = beta1.value();
            double b2 = beta2.value();
            double ut = stepUt;
            double ut1 = stepUt1;
            double d1 = 1 - uProduct * ut1;
            double d2 = 1 - uProduct;
            double k2 = 1 - ut;
            double c1 = 1 - b1;
            double c2 = 1 - b2;
            double bc2 = stepBc2;
            double lr = rate.value();
            double eps = epsilon.value();
            // Once u_product has fallen below half an ulp of 1 (from step 224 with beta_1 = 0.9), both
            // m_hat divisors are exactly 1, and x / 1 is x in IEEE 754 (NaN, infinities and subnormals
            // included): the same bits without two of the four divisions. The test is loop-invariant,
            // so C2 unswitches the loop into two vectorised copies.
            boolean unitDivisors = d1 == 1.0 && d2 == 1.0;
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * c1;
                double vi = vk[i] + (gi * gi - vk[i]) * c2;
                mk[i] = mi;
                vk[i] = vi;
                double mHat = unitDivisors ? ut1 * mi + k2 * gi : ut1 * mi / d1 + k2 * gi / d2;
                w[i] -= mHat * lr / (Math.sqrt(vi / bc2) + eps);
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < n; i++) {
                double b1 = beta1.at(i);
                double b2 = beta2.at(i);
                double up = uProducts == null ? uProduct : uProducts[i];
                double ut = u(b1, t);
                double ut1 = u(b1, t + 1);
                double gi = g[i];
                double mi = mk[i] + (gi - mk[i]) * (1 - b1);
                double vi = vk[i] + (gi * gi - vk[i]) * (1 - b2);
                mk[i] = mi;
                vk[i] = vi;
                double mHat = ut1 * mi / (1 - up * ut1) + (1 - ut) * gi / (1 - up);
                double vHat = vi / (1 - Math.pow(b2, t));
                w[i] -= mHat * rate.at(i) / (Math.sqrt(vHat) + epsilon.at(i));
            }
        } else {
            for (int i = 0; i < n; i++) {
                float b1 = (float) beta1.at(i);
                float b2 = (float) beta2.at(i);
                float up = (float) (uProducts == null ? uProduct : uProducts[i]);
                float ut = (float) u(b1, t);
                float ut1 = (float) u(b1, t + 1);
                float gi = (float) g[i];
                float mi = (float) mk[i];
                float vi = (float) vk[i];
                mi = mi + (gi - mi) * (1f - b1);
                vi = vi + (gi * gi - vi) * (1f - b2);
                mk[i] = mi;
                vk[i] = vi;
                float mHat = ut1 * mi / (1f - up * ut1) + (1f - ut) * gi / (1f - up);
                float vHat = vi / (1f - pow32(b2, t));
                w[i] = (float) w[i] - mHat * (float) rate.at(i) / ((float) Math.sqrt(vHat) + (float) epsilon.at(i));
            }
        }
    }
}
