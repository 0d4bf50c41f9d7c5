package tapeline.engine.tape;

/**
 * A value recorded on a tape: a batch of lanes (or one value for all lanes), computed as soon as it
 * is recorded. Ops on tensors record new tensors on the same tape.
 *
 * <pre>{@code
 * Tensor cost = x0.mul(w.square()).add(x1.mul(w)).add(x2);   // x0*w^2 + x1*w + x2
 * }</pre>
 */
public final class Tensor {
    private static final int NONE = -1;

    private final Tape tape;
    private final int node;

    Tensor(Tape tape, int node) {
        this.tape = tape;
        this.node = node;
    }

    /** The tape this tensor was recorded on. */
    public Tape tape() {
        return tape;
    }

    /** Its node number on the tape. */
    public int node() {
        return node;
    }

    /** A copy of the values: one per lane, or one for a scalar. */
    public double[] values() {
        return tape.values(node);
    }

    /** The first (for a scalar, the only) value. */
    public double value() {
        return tape.valueBuffer(node)[0];
    }

    /** True if the tensor holds one value per lane. */
    public boolean isPerLane() {
        return tape.isLaneShaped(node);
    }

    public Tensor add(Tensor o) { return binary(Op.ADD, o); }
    public Tensor sub(Tensor o) { return binary(Op.SUB, o); }
    public Tensor mul(Tensor o) { return binary(Op.MUL, o); }
    public Tensor div(Tensor o) { return binary(Op.DIV, o); }
    /** {@code this^o} with both sides on the tape. */
    public Tensor pow(Tensor o) { return binary(Op.POW, o); }
    public Tensor min(Tensor o) { return binary(Op.MIN, o); }
    public Tensor max(Tensor o) { return binary(Op.MAX, o); }
    public Tensor lessThan(Tensor o) { return binary(Op.LESS, o); }
    public Tensor lessOrEqual(Tensor o) { return binary(Op.LESS_EQUAL, o); }
    public Tensor greaterThan(Tensor o) { return o.binary(Op.LESS, this); }
    public Tensor greaterOrEqual(Tensor o) { return o.binary(Op.LESS_EQUAL, this); }
    public Tensor equalTo(Tensor o) { return binary(Op.EQUAL, o); }
    public Tensor notEqualTo(Tensor o) { return binary(Op.NOT_EQUAL, o); }

    public Tensor add(double k) { return add(constant(k)); }
    public Tensor sub(double k) { return sub(constant(k)); }
    public Tensor mul(double k) { return mul(constant(k)); }
    public Tensor div(double k) { return div(constant(k)); }

    /** {@code this^k} for a constant exponent; {@code k = 2} is recorded as {@link #square()}. */
    public Tensor pow(double k) {
        return k == 2.0 ? square() : unary(Op.POWK, k);
    }

    public Tensor neg() { return unary(Op.NEG, 0); }
    public Tensor square() { return unary(Op.SQUARE, 0); }
    public Tensor sqrt() { return unary(Op.SQRT, 0); }
    public Tensor exp() { return unary(Op.EXP, 0); }
    public Tensor log() { return unary(Op.LOG, 0); }
    public Tensor log1p() { return unary(Op.LOG1P, 0); }
    public Tensor expm1() { return unary(Op.EXPM1, 0); }
    public Tensor sin() { return unary(Op.SIN, 0); }
    public Tensor cos() { return unary(Op.COS, 0); }
    public Tensor tan() { return unary(Op.TAN, 0); }
    public Tensor tanh() { return unary(Op.TANH, 0); }
    public Tensor atan() { return unary(Op.ATAN, 0); }
    /** {@code asin}: NaN outside [-1, 1], an infinite gradient at its ends. */
    public Tensor asin() { return unary(Op.ASIN, 0); }
    /** {@code acos}: NaN outside [-1, 1], an infinite gradient at its ends. */
    public Tensor acos() { return unary(Op.ACOS, 0); }
    public Tensor sinh() { return unary(Op.SINH, 0); }
    public Tensor cosh() { return unary(Op.COSH, 0); }
    /** {@code atan2(this, x)}: the angle of the point (x, this), in [-pi, pi], as {@link Math#atan2}. */
    public Tensor atan2(Tensor x) { return binary(Op.ATAN2, x); }
    public Tensor sigmoid() { return unary(Op.SIGMOID, 0); }
    public Tensor softplus() { return unary(Op.SOFTPLUS, 0); }
    public Tensor relu() { return unary(Op.RELU, 0); }
    public Tensor abs() { return unary(Op.ABS, 0); }
    /** Sum over lanes: one value. */
    public Tensor sum() { return unary(Op.SUM, 0); }
    /** Mean over lanes: one value. */
    public Tensor mean() { return unary(Op.MEAN, 0); }

    /** {@code condition > 0 ? ifTrue : ifFalse}, lane by lane; no gradient flows into the condition. */
    public static Tensor select(Tensor condition, Tensor ifTrue, Tensor ifFalse) {
        Tape t = ifTrue.sameTape(ifFalse).sameTape(condition).tape;
        return new Tensor(t, t.record(Op.SELECT, ifTrue.node, ifFalse.node, condition.node, 0.0));
    }

    /**
     * {@code u[0] v[0] + u[1] v[1] + ...}, recorded as one node ({@link Tape#recordDot}); lane by
     * lane, with shared and per-lane components mixed freely.
     *
     * <pre>{@code
     * Tensor fit = Tensor.dot(w, x).add(b);   // w: 20 shared scalars, x: 20 columns
     * }</pre>
     */
    public static Tensor dot(Tensor[] u, Tensor[] v) {
        if (u.length != v.length || u.length == 0) {
            throw new IllegalArgumentException("dot needs two non-empty vectors of the same length, got "
                    + u.length + " and " + v.length + " components");
        }
        int[] a = new int[u.length];
        int[] b = new int[v.length];
        for (int j = 0; j < u.length; j++) {
            u[0].sameTape(u[j]).sameTape(v[j]);
            a[j] = u[j].node;
            b[j] = v[j].node;
        }
        return new Tensor(u[0].tape, u[0].tape.recordDot(a, b));
    }

    private Tensor constant(double k) {
        return new Tensor(tape, tape.scalar(k));
    }

    private Tensor unary(Op o, double k) {
        return new Tensor(tape, tape.record(o, node, NONE, NONE, k));
    }

    private Tensor binary(Op o, Tensor other) {
        sameTape(other);
        return new Tensor(tape, tape.record(o, node, other.node, NONE, 0.0));
    }

    private Tensor sameTape(Tensor other) {
        if (other.tape != tape) {
            throw new IllegalArgumentException("tensors from two different tapes cannot be combined");
        }
        return this;
    }

    @Override
    public String toString() {
        return "Tensor(" + tape.op(node) + ", " + java.util.Arrays.toString(values()) + ")";
    }
}
