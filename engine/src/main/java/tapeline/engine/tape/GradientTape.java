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
 *
 * <p><b>Higher derivatives.</b> {@link #gradientTensors} returns the gradient as tensors recorded on
 * the tape (the reverse pass written with the same ops, {@link SymbolicBackward}), which can be
 * differentiated again. A {@linkplain #nested() nested} tape records on its enclosing tape's
 * recording, as TensorFlow's nested {@code GradientTape}s do, so the familiar form works:
 *
 * <pre>{@code
 * Variable x = Variable.scalar("x", 3.0, DType.FLOAT64);
 * try (GradientTape outer = new GradientTape()) {
 *     GradientTape inner = outer.nested();
 *     Tensor xt = inner.read(x);
 *     Tensor y = xt.pow(3);                                     // x^3
 *     Tensor dy = inner.gradientTensors(y, x)[0];               // 3 x^2 = 27
 *     double d2y = outer.gradient(dy, x)[0][0];                 // 6 x = 18
 * }
 * }</pre>
 *
 * {@link #jacobian}, {@link #hessian} and {@link #hessianVectorProduct} are the usual helpers on top.
 */
public final class GradientTape implements AutoCloseable {
    private final Tape tape;
    private final boolean persistent;
    private final java.util.IdentityHashMap<Variable, Tensor> reads;
    /** The tape this one is nested in (it shares its recording), or null. */
    private final GradientTape enclosing;
    private boolean used;

    /** A non-persistent float64 tape. */
    public GradientTape() {
        this(DType.FLOAT64, false);
    }

    public GradientTape(DType dtype, boolean persistent) {
        this.tape = new Tape(Objects.requireNonNull(dtype, "dtype"));
        this.persistent = persistent;
        this.reads = new java.util.IdentityHashMap<>();
        this.enclosing = null;
    }

    private GradientTape(GradientTape enclosing, boolean persistent) {
        this.tape = enclosing.tape;
        this.persistent = persistent;
        this.reads = enclosing.reads; // a variable is one tensor for both tapes
        this.enclosing = enclosing;
    }

    /**
     * A non-persistent tape nested in this one: what it records, this one records too, and the
     * gradients it gives as tensors ({@link #gradientTensors}) are recorded on this one, so they
     * can be differentiated here. Closing it leaves this one recording.
     */
    public GradientTape nested() {
        return new GradientTape(this, false);
    }

    /** A nested tape that may be asked for gradients many times. */
    public GradientTape nestedPersistent() {
        return new GradientTape(this, true);
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
        use(target);
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

    /**
     * The gradient of {@code target} with respect to each variable as tensors recorded on the tape,
     * which can be differentiated again (null for an unconnected source, or a zero tensor with
     * {@link UnconnectedGradients#ZERO}). Each has the variable's shape.
     *
     * @throws IllegalArgumentException if an op on the way has no derivative program (the message
     *     names it)
     */
    public Tensor[] gradientTensors(Tensor target, Variable... sources) {
        return gradientTensors(target, UnconnectedGradients.NONE, sources);
    }

    public Tensor[] gradientTensors(Tensor target, UnconnectedGradients unconnected, Variable... sources) {
        Tensor[] ts = readsOf(sources);
        use(target);
        int[] nodes = new int[sources.length];
        for (int i = 0; i < sources.length; i++) nodes[i] = ts[i] == null ? -1 : ts[i].node();
        int[] g = tape.gradientProgram(target.node(), nodes);
        Tensor[] out = new Tensor[sources.length];
        for (int i = 0; i < sources.length; i++) {
            if (g[i] >= 0) {
                out[i] = new Tensor(tape, g[i]);
            } else if (unconnected == UnconnectedGradients.ZERO) {
                tape.beginDerived();
                try {
                    out[i] = sources[i].isPerLane()
                            ? new Tensor(tape, tape.constant(new double[sources[i].storage().length]))
                            : new Tensor(tape, tape.scalar(0.0));
                } finally {
                    tape.endDerived();
                }
            }
        }
        return out;
    }

    /**
     * {@code J[i][j]}: the derivative of {@code targets[i]} with respect to {@code sources[j]}, lane
     * by lane (each lane one problem: lane l of a per-lane target against lane l of a per-lane
     * source); zeros where unconnected. One reverse pass per target.
     *
     * <pre>{@code
     * double[][][] J = tape.jacobian(new Tensor[] {u.mul(v), u.add(v)}, U, V);   // {{v, u}, {1, 1}} per lane
     * }</pre>
     */
    public double[][][] jacobian(Tensor[] targets, Variable... sources) {
        Tensor[] ts = readsOf(sources);
        if (targets.length > 0) use(targets[0]);
        double[][][] out = new double[targets.length][sources.length][];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i].tape() != tape) throw new IllegalArgumentException("target " + i + " was not recorded on this tape");
            tape.backward(targets[i].node());
            for (int j = 0; j < sources.length; j++) {
                double[] g = ts[j] == null ? null : tape.gradient(ts[j].node());
                int len = sources[j].storage().length;
                out[i][j] = g == null ? new double[len] : java.util.Arrays.copyOf(g, len);
            }
        }
        return out;
    }

    /**
     * The Hessian of {@code target} with respect to the variables: {@code H[i][j][lane]}, symmetric,
     * zeros where unconnected. Records the gradient's program once, then one reverse pass per
     * variable. A per-lane target has one Hessian per lane.
     *
     * <pre>{@code
     * double[][][] H = tape.hessian(u.square().sub(v.square()), U, V);   // {{2, 0}, {0, -2}} in every lane
     * }</pre>
     */
    public double[][][] hessian(Tensor target, Variable... sources) {
        HessianProgram h = hessianProgram(target, sources);
        double[][] g = new double[sources.length][];
        double[][][] out = new double[sources.length][sources.length][];
        for (int i = 0; i < sources.length; i++) {
            g[i] = new double[sources[i].storage().length];
            for (int j = 0; j < sources.length; j++) out[i][j] = new double[Math.max(g[i].length, sources[j].storage().length)];
        }
        h.evaluate(g, out);
        return out;
    }

    /**
     * {@code H v}: the Hessian of {@code target} times {@code v} ({@code v[i]}: one value per lane of
     * variable i, or one value), per lane, in one reverse pass through {@code grad . v}: a small
     * multiple of one gradient's cost whatever the number of variables.
     */
    public double[][] hessianVectorProduct(Tensor target, Variable[] sources, double[][] v) {
        HessianProgram h = hessianProgram(target, sources);
        double[][] vv = new double[sources.length][];
        double[][] out = new double[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            int len = sources[i].storage().length;
            if (v[i].length != len && v[i].length != 1) {
                throw new IllegalArgumentException("v[" + i + "] needs " + len + " values (or one), got " + v[i].length);
            }
            vv[i] = new double[len];
            for (int l = 0; l < len; l++) vv[i][l] = v[i].length == 1 ? v[i][0] : v[i][l];
            out[i] = new double[len];
        }
        h.hessianVectorProduct(vv, out);
        return out;
    }

    private HessianProgram hessianProgram(Tensor target, Variable[] sources) {
        Tensor[] ts = readsOf(sources);
        use(target);
        int[] nodes = new int[sources.length];
        for (int i = 0; i < sources.length; i++) {
            // A variable never read is unconnected: a fresh leaf stands for it (no gradient reaches it).
            nodes[i] = ts[i] != null ? ts[i].node() : read(sources[i]).node();
        }
        return HessianProgram.record(tape, target.node(), nodes);
    }

    private Tensor[] readsOf(Variable[] sources) {
        Tensor[] ts = new Tensor[sources.length];
        for (int i = 0; i < sources.length; i++) ts[i] = reads.get(sources[i]);
        return ts;
    }

    /** Counts one answer of this tape (a non-persistent tape gives one) and checks the target. */
    private void use(Tensor target) {
        if (used && !persistent) {
            throw new IllegalStateException("a non-persistent GradientTape can compute gradients only once;"
                    + " make it with GradientTape.persistent() to ask again");
        }
        if (target.tape() != tape) {
            throw new IllegalArgumentException("the target was not recorded on this tape");
        }
        used = true;
    }

    /**
     * Ends recording; gradients may still be asked for afterwards, as with TF's {@code with} block.
     * A nested tape leaves its enclosing tape recording.
     */
    @Override
    public void close() {
        if (enclosing == null) tape.close();
    }
}
