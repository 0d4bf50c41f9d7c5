package tapeline.engine.tape;

import java.util.Objects;

/**
 * Records the ops computed on its tensors and gives their gradients, like {@code tf.GradientTape}.
 *
 * <pre>{@code
 * Variable w = Variable.scalar("w", 0.0, DType.FLOAT64);
 * try (GradientTape tape = new GradientTape()) {
 *     Tensor wt = tape.read(w);                                 // trainable: watched automatically
 *     Tensor cost = wt.square().sub(wt.mul(10)).add(25);        // w^2 - 10 w + 25
 *     double dw = tape.gradient(cost, w)[0][0];                 // -10 at w = 0
 * }
 * }</pre>
 *
 * <p>A tensor with several lanes is differentiated as the sum of its lanes, so a batch of
 * independent problems gets each lane's own gradient. A non-persistent tape answers one
 * {@code gradient} call; a {@linkplain #persistent() persistent} one answers any number.
 */
public final class GradientTape implements AutoCloseable {
    private final Tape tape;
    private final boolean persistent;
    private final java.util.IdentityHashMap<Variable, Tensor> reads = new java.util.IdentityHashMap<>();
    private boolean used;

    /** A non-persistent float64 tape. */
    public GradientTape() {
        this(DType.FLOAT64, false);
    }

    public GradientTape(DType dtype, boolean persistent) {
        this.tape = new Tape(Objects.requireNonNull(dtype, "dtype"));
        this.persistent = persistent;
    }

    /** A float64 tape that may be asked for gradients many times. */
    public static GradientTape persistent() {
        return new GradientTape(DType.FLOAT64, true);
    }

    /** The recording underneath (plain data: op codes and index arrays). */
    public Tape tape() {
        return tape;
    }

    /** The tensor for a variable's current value; reading it twice gives the same tensor. */
    public Tensor read(Variable v) {
        if (v.dtype() != tape.dtype()) {
            throw new IllegalArgumentException("variable " + v.name() + " is " + v.dtype()
                    + " but this tape computes in " + tape.dtype());
        }
        return reads.computeIfAbsent(v, k -> new Tensor(tape, tape.variable(k.storage(), k.isPerLane(), true)));
    }

    /** A per-lane constant (not watched). */
    public Tensor constant(double... perLane) {
        return new Tensor(tape, tape.constant(perLane));
    }

    /** A scalar constant, the same in every lane. */
    public Tensor scalar(double value) {
        return new Tensor(tape, tape.scalar(value));
    }

    /** Watches a constant so that gradients with respect to it can be asked for; returns it. */
    public Tensor watch(Tensor constant) {
        tape.watch(constant.node());
        return constant;
    }

    /** A tensor that has the same values but passes no gradient back ({@code tf.stop_gradient}). */
    public Tensor stopGradient(Tensor t) {
        double[] v = t.values();
        return t.isPerLane() ? constant(v) : scalar(v[0]);
    }

    /** Gradients of {@code target} with respect to each variable; null for an unconnected one. */
    public double[][] gradient(Tensor target, Variable... sources) {
        return gradient(target, UnconnectedGradients.NONE, sources);
    }

    public double[][] gradient(Tensor target, UnconnectedGradients unconnected, Variable... sources) {
        Tensor[] ts = new Tensor[sources.length];
        for (int i = 0; i < sources.length; i++) {
            ts[i] = reads.get(sources[i]); // null: never read on this tape, so unconnected
        }
        double[][] out = gradient(target, unconnected, ts);
        for (int i = 0; i < sources.length; i++) {
            if (ts[i] == null && unconnected == UnconnectedGradients.ZERO) {
                out[i] = new double[sources[i].storage().length];
            }
        }
        return out;
    }

    /** Gradients of {@code target} with respect to each source tensor; null for an unconnected one. */
    public double[][] gradient(Tensor target, Tensor... sources) {
        return gradient(target, UnconnectedGradients.NONE, sources);
    }

    public double[][] gradient(Tensor target, UnconnectedGradients unconnected, Tensor... sources) {
        if (used && !persistent) {
            throw new IllegalStateException("a non-persistent GradientTape can compute gradients only once;"
                    + " make it with GradientTape.persistent() to ask again");
        }
        if (target.tape() != tape) {
            throw new IllegalArgumentException("the target was not recorded on this tape");
        }
        used = true;
        tape.backward(target.node());
        double[][] out = new double[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            Tensor s = sources[i];
            double[] g = s == null ? null : tape.gradient(s.node());
            if (s != null && s.tape() != tape) {
                throw new IllegalArgumentException("source " + i + " was not recorded on this tape");
            }
            if (g != null) {
                out[i] = java.util.Arrays.copyOf(g, s.values().length);
            } else if (unconnected == UnconnectedGradients.ZERO && s != null) {
                out[i] = new double[s.values().length];
            }
        }
        return out;
    }

    /** Ends recording; gradients may still be asked for afterwards, as with TF's {@code with} block. */
    @Override
    public void close() {
        tape.close();
    }
}
