package tapeline.engine.tape;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The recording: a program of ops over batches of lanes, as plain data.
 *
 * <p>Node {@code i} computes {@code op[i]} from the nodes {@code in0[i], in1[i], in2[i]} (-1 where
 * unused) and the constant {@code param[i]}. Every node holds a value per lane (a <em>lane</em>
 * node) or one value for all lanes (a <em>scalar</em> node). Nodes are numbered in recording
 * order, which is already a topological order: {@link #forward()} is one loop up the program and
 * {@link #backward(int)} one loop down it. The program and its buffers are reused step after step
 * without allocation, and the whole tape is {@link Serializable}, where closures would not be.
 *
 * <p>Most users want {@link GradientTape}; the solver drives a {@code Tape} directly.
 */
public final class Tape implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int NONE = -1;

    private final DType dtype;
    /** Lanes per lane buffer, fixed by the first lane value recorded; 0 until then. */
    private int lanes;
    /** Lanes in use, {@code <= lanes}: the solver shrinks it as lanes finish. */
    private int active;

    private Op[] op = new Op[16];
    private int[] in0 = new int[16];
    private int[] in1 = new int[16];
    private int[] in2 = new int[16];
    private double[] param = new double[16];
    /** Per lane (true) or one value for all lanes (false). */
    private boolean[] laneShaped = new boolean[16];
    /** Depends on a watched value, so gradients flow into it. */
    private boolean[] needsGrad = new boolean[16];
    /** Depends on a variable, so {@link #forward()} recomputes it; the rest is computed once. */
    private boolean[] varying = new boolean[16];
    private double[][] value = new double[16][];
    /** A {@link Op#DOT} node's pairs after the first ({@code u1, v1, u2, v2, ...}); null for other nodes. */
    private int[][] morePairs = new int[16][];
    private int size;
    private boolean recording = true;
    /** Derivative programs being recorded ({@link SymbolicBackward}): allowed after {@link #close()}. */
    private transient int deriving;
    /** A lane constant of ones (MEAN's derivative program counts the lanes with it); -1 until needed. */
    private int onesLane = NONE;
    private transient boolean[] live;
    private transient int liveFor = NONE;

    /** Each node's cotangent: its own buffer, or one it shares read-only ({@code aliased}). */
    private transient double[][] adjoint;
    private transient double[][] own;
    private transient boolean[] aliased;
    private transient boolean[] written;
    private transient double[] ones;
    private transient double[] scratch;
    private transient double[] pairSums;

    /** An empty tape computing in {@code dtype}. */
    public Tape(DType dtype) {
        this.dtype = dtype;
    }

    public DType dtype() {
        return dtype;
    }

    /** Lanes per lane value (0 while only scalars were recorded). */
    public int lanes() {
        return lanes;
    }

    /** Lanes that ops compute, the first {@code activeLanes()} of every lane buffer. */
    public int activeLanes() {
        return active;
    }

    /** Number of recorded nodes. */
    public int size() {
        return size;
    }

    public Op op(int node) {
        return op[node];
    }

    public boolean isLaneShaped(int node) {
        return laneShaped[node];
    }

    public boolean needsGradient(int node) {
        return needsGrad[node];
    }

    /** Input {@code j} (0, 1 or 2) of a node, or -1 where the op has none. */
    public int input(int node, int j) {
        return switch (j) {
            case 0 -> in0[node];
            case 1 -> in1[node];
            case 2 -> in2[node];
            default -> throw new IllegalArgumentException("input must be 0, 1 or 2, got " + j);
        };
    }

    /** The constant parameter of a node (the exponent of {@link Op#POWK}; 0 for other ops). */
    public double param(int node) {
        return param[node];
    }

    /**
     * The pairs of a {@link Op#DOT} node, {@code u0, v0, u1, v1, ...} (its inputs 0 and 1 first);
     * for any other node its inputs 0 and 1 (-1 where unused).
     */
    public int[] pairs(int node) {
        int[] more = morePairs[node];
        int[] all = new int[2 + (more == null ? 0 : more.length)];
        all[0] = in0[node];
        all[1] = in1[node];
        if (more != null) System.arraycopy(more, 0, all, 2, more.length);
        return all;
    }

    /** Whether a node depends on a variable, so that {@link #forward()} recomputes it. */
    public boolean isVarying(int node) {
        return varying[node];
    }

    void beginDerived() {
        deriving++;
    }

    void endDerived() {
        deriving--;
    }

    /** The node of a lane constant of ones, recorded on first use. */
    int onesLane() {
        if (onesLane == NONE) {
            double[] ones = new double[lanes];
            Arrays.fill(ones, 1.0);
            onesLane = constant(ones);
        }
        return onesLane;
    }

    /**
     * Records the program computing the gradient of the sum of {@code target}'s lanes with respect
     * to each source, and returns its nodes (-1 for a source the target does not depend on). The
     * program is made of ordinary nodes: {@link #forward()} recomputes it with the cost, and
     * {@link #backward(int)} from one of its nodes gives second derivatives. See {@link SymbolicBackward}.
     *
     * <pre>{@code
     * int g = tape.gradientProgram(cost, new int[] {w})[0];   // dcost/dw, as nodes
     * tape.backward(g);                                        // tape.gradient(w): d2cost/dw2, per lane
     * }</pre>
     *
     * @throws IllegalArgumentException naming an op on the way that has no derivative program
     */
    public int[] gradientProgram(int target, int[] sources) {
        if (target < 0 || target >= size) {
            throw new IllegalArgumentException("no node " + target + " on this tape of " + size + " nodes");
        }
        return SymbolicBackward.record(this, target, sources);
    }

    // ---- leaves -------------------------------------------------------------------------------

    /** A per-lane constant: one value per lane, copied (and rounded to the dtype). */
    public int constant(double[] perLane) {
        double[] own = Arrays.copyOf(perLane, perLane.length);
        dtype.round(own, own.length);
        return leaf(own, true, false, false);
    }

    /** A scalar constant, the same in every lane. */
    public int scalar(double v) {
        return leaf(new double[] {dtype.round(v)}, false, false, false);
    }

    /**
     * A variable whose values live in {@code storage}: the tape reads them, never copies them, so an
     * optimizer updating {@code storage} in place is seen by the next {@link #forward()}.
     *
     * @param perLane true: {@code storage} holds one value per lane; false: {@code storage[0]} is
     *     shared by all lanes and its gradient is the sum over lanes
     * @param trainable whether gradients are taken with respect to it (watched)
     */
    public int variable(double[] storage, boolean perLane, boolean trainable) {
        return leaf(storage, perLane, trainable, true);
    }

    /** Marks a node as a source of gradients, as {@code tf.GradientTape.watch} does. */
    public void watch(int node) {
        if (op[node] != Op.LEAF) {
            throw new IllegalArgumentException(
                    "only a leaf (a variable or a constant) can be watched; node " + node + " is " + op[node]);
        }
        needsGrad[node] = true;
    }

    private int leaf(double[] buffer, boolean perLane, boolean watched, boolean isVariable) {
        if (perLane) {
            claimLanes(buffer.length, "a per-lane value");
        } else if (buffer.length < 1) {
            throw new IllegalArgumentException("a scalar needs one value, got an empty array");
        }
        int i = append(Op.LEAF, NONE, NONE, NONE, 0.0, perLane);
        value[i] = buffer;
        needsGrad[i] = watched;
        varying[i] = isVariable;
        return i;
    }

    private void claimLanes(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " needs at least one lane, got " + n);
        }
        if (lanes == 0) {
            lanes = n;
            active = n;
        } else if (lanes != n) {
            throw new IllegalArgumentException(
                    what + " has " + n + " lanes but this tape has " + lanes + " lanes");
        }
    }

    // ---- recording ----------------------------------------------------------------------------

    /**
     * Records {@code op} over the given inputs, broadcasting a scalar input against a lane input,
     * computes it at once and returns the new node.
     */
    public int record(Op o, int a, int b, int c, double k) {
        if (!recording && deriving == 0) {
            throw new IllegalStateException("this tape has been closed: record ops inside its try block");
        }
        if (o == Op.LEAF) {
            throw new IllegalArgumentException("leaves are made with constant(), scalar() or variable()");
        }
        int[] in = {a, b, c};
        for (int j = 0; j < 3; j++) {
            boolean used = j < o.arity();
            if (used && (in[j] < 0 || in[j] >= size)) {
                throw new IllegalArgumentException(o + " input " + j + " is not a node of this tape: " + in[j]);
            }
            if (!used) in[j] = NONE;
        }
        boolean lane;
        if (o == Op.BROADCAST) {
            if (laneShaped[a]) return a;
            if (lanes == 0) throw new IllegalStateException("broadcast needs a tape with lanes");
            lane = true;
        } else if (o.reducesLanes()) {
            if (!laneShaped[a]) in[0] = broadcastIfLanes(a);
            if (!laneShaped[in[0]]) return in[0]; // a scalar tape: the sum of one lane is itself
            lane = false;
        } else {
            lane = false;
            for (int j = 0; j < o.arity(); j++) lane |= laneShaped[in[j]];
            // In float64 ADD, SUB and MUL read a shared input directly (its gradient is reduced where it
            // is made); in float32 it is copied to lanes first, so that every contribution is rounded
            // to float32 before the lane sum, as TF rounds the gradient of a broadcast.
            boolean direct = o.readsSharedInputs() && dtype == DType.FLOAT64;
            if (lane && !direct) {
                for (int j = 0; j < o.arity(); j++) {
                    if (!laneShaped[in[j]]) in[j] = record(Op.BROADCAST, in[j], NONE, NONE, 0.0);
                }
            }
        }
        int i = append(o, in[0], in[1], in[2], k, lane);
        value[i] = new double[lane ? lanes : 1];
        boolean grad = false;
        boolean vary = false;
        int differentiable = o == Op.SELECT ? 2 : o.arity();
        for (int j = 0; j < o.arity(); j++) {
            vary |= varying[in[j]];
            if (j < differentiable) grad |= needsGrad[in[j]];
        }
        needsGrad[i] = grad && o.differentiable();
        varying[i] = vary;
        compute(i);
        return i;
    }

    /**
     * Records {@code dot(u, v) = u[0] v[0] + u[1] v[1] + ...} as one {@link Op#DOT} node: its value is
     * that of the written-out sum of products, bit for bit (same products, same order of additions),
     * without a buffer per product or per partial sum, and a shared {@code u[j]} or {@code v[j]} is
     * read directly (its gradient is the lane reduction). In float32, where every product and partial
     * sum rounds to float32 as TF's do, it records the written-out sum itself; so it does when no
     * component is shared (a sweep's per-lane vectors: the same bits, and a form the compiled
     * kernels of {@code engine.codegen} know).
     */
    public int recordDot(int[] u, int[] v) {
        if (u.length != v.length || u.length == 0) {
            throw new IllegalArgumentException("dot needs two non-empty lists of the same length, got "
                    + u.length + " and " + v.length);
        }
        boolean shared = false;
        for (int j = 0; j < u.length; j++) {
            for (int x : new int[] {u[j], v[j]}) {
                if (x < 0 || x >= size) throw new IllegalArgumentException("dot input is not a node of this tape: " + x);
                shared |= !laneShaped[x] && lanes > 1;
            }
        }
        if (dtype != DType.FLOAT64 || !shared) {
            int s = record(Op.MUL, u[0], v[0], NONE, 0.0);
            for (int j = 1; j < u.length; j++) s = record(Op.ADD, s, record(Op.MUL, u[j], v[j], NONE, 0.0), NONE, 0.0);
            return s;
        }
        if (!recording) {
            throw new IllegalStateException("this tape has been closed: record ops inside its try block");
        }
        boolean lane = false;
        boolean grad = false;
        boolean vary = false;
        for (int j = 0; j < u.length; j++) {
            for (int x : new int[] {u[j], v[j]}) {
                lane |= laneShaped[x];
                grad |= needsGrad[x];
                vary |= varying[x];
            }
        }
        int i = append(Op.DOT, u[0], v[0], NONE, 0.0, lane);
        if (u.length > 1) {
            int[] more = new int[2 * (u.length - 1)];
            for (int j = 1; j < u.length; j++) {
                more[2 * j - 2] = u[j];
                more[2 * j - 1] = v[j];
            }
            morePairs[i] = more;
        }
        value[i] = new double[lane ? lanes : 1];
        needsGrad[i] = grad;
        varying[i] = vary;
        compute(i);
        return i;
    }

    private int broadcastIfLanes(int a) {
        return lanes == 0 ? a : record(Op.BROADCAST, a, NONE, NONE, 0.0);
    }

    private int append(Op o, int a, int b, int c, double k, boolean lane) {
        if (size == op.length) grow();
        op[size] = o;
        in0[size] = a;
        in1[size] = b;
        in2[size] = c;
        param[size] = k;
        laneShaped[size] = lane;
        morePairs[size] = null;
        adjoint = null; // the adjoint buffers are sized to the program: remake them on next use
        live = null;
        return size++;
    }

    private void grow() {
        int n = op.length * 2;
        op = Arrays.copyOf(op, n);
        in0 = Arrays.copyOf(in0, n);
        in1 = Arrays.copyOf(in1, n);
        in2 = Arrays.copyOf(in2, n);
        param = Arrays.copyOf(param, n);
        laneShaped = Arrays.copyOf(laneShaped, n);
        needsGrad = Arrays.copyOf(needsGrad, n);
        varying = Arrays.copyOf(varying, n);
        value = Arrays.copyOf(value, n);
        morePairs = Arrays.copyOf(morePairs, n);
    }

    /** Stops recording: later {@link #record} calls fail; forward, backward and reads still work. */
    public void close() {
        recording = false;
    }

    // ---- running ------------------------------------------------------------------------------

    /** Recomputes every node that depends on a variable, from the variables' current values. */
    public void forward() {
        for (int i = 0; i < size; i++) {
            if (varying[i] && op[i] != Op.LEAF) compute(i);
        }
    }

    /**
     * Recomputes the nodes up to {@code last} that depend on a variable: the cost without the
     * derivative programs recorded after it (a line search's trial points).
     */
    public void forwardTo(int last) {
        for (int i = 0; i <= last && i < size; i++) {
            if (varying[i] && op[i] != Op.LEAF) compute(i);
        }
    }

    /**
     * Recomputes only what {@link #backward}{@code (target)} reads: on a step that wants gradients
     * and not the cost, values that no backward rule reads (often the cost itself and the sums
     * leading to it) are skipped.
     */
    public void forwardForGradient(int target) {
        if (liveFor != target || live == null || live.length < size) markLive(target);
        for (int i = 0; i < size; i++) {
            if (live[i] && varying[i] && op[i] != Op.LEAF) compute(i);
        }
    }

    /** Marks the values the reverse pass from target reads, and everything they are computed from. */
    private void markLive(int target) {
        live = new boolean[size];
        for (int i = target; i >= 0; i--) {
            Op o = op[i];
            if (o == Op.LEAF) continue;
            boolean runsBackward = needsGrad[i] && o.differentiable();
            int[] more = morePairs[i];
            for (int p = 0; p < 1 + (more == null ? 0 : more.length / 2); p++) {
                int a = p == 0 ? in0[i] : more[2 * p - 2];
                int b = p == 0 ? in1[i] : more[2 * p - 1];
                int c = p == 0 ? in2[i] : NONE;
                if (runsBackward) {
                    int r = (needsGrad[a] ? o.readsForA() : 0) | (b != NONE && needsGrad[b] ? o.readsForB() : 0);
                    if ((r & Op.A) != 0) live[a] = true;
                    if ((r & Op.B) != 0) live[b] = true;
                    if ((r & Op.C) != 0) live[c] = true;
                    if ((r & Op.Z) != 0) live[i] = true;
                }
                if (live[i]) {
                    for (int in : new int[] {a, b, c}) {
                        if (in != NONE) live[in] = true;
                    }
                }
            }
        }
        liveFor = target;
    }

    /** Recomputes every node, constants included (after lanes were moved or constants changed). */
    public void recomputeAll() {
        for (int i = 0; i < size; i++) {
            if (op[i] != Op.LEAF) compute(i);
        }
    }

    private void compute(int i) {
        int n = iterationLength(i);
        op[i].forward(buf(in0[i]), buf(in1[i]), buf(in2[i]), param[i], value[i], n);
        int[] more = morePairs[i];
        if (more != null) { // DOT: pair j adds its products into the same output (k = j)
            for (int p = 0; p < more.length; p += 2) {
                op[i].forward(value[more[p]], value[more[p + 1]], null, p / 2 + 1, value[i], n);
            }
        }
        dtype.round(value[i], laneShaped[i] ? active : 1);
    }

    /** Lanes the op at node i loops over: its lane input's for a reduction, else its own. */
    private int iterationLength(int i) {
        boolean lane = laneShaped[i] || (in0[i] != NONE && laneShaped[in0[i]]);
        return lane ? active : 1;
    }

    private double[] buf(int node) {
        return node == NONE ? null : value[node];
    }

    /**
     * Reverse pass: the gradient of the sum of {@code target}'s lanes (one seed per lane) with
     * respect to every node that needs one. Cotangents accumulate; a node the target does not
     * reach keeps none ({@link #gradient(int)} returns null for it).
     */
    public void backward(int target) {
        if (adjoint == null || adjoint.length < size) allocateAdjoints();
        Arrays.fill(written, 0, size, false);
        alias(target, ones); // the seed: a shared buffer of ones, never written to
        for (int i = target; i >= 0; i--) {
            if (!written[i] || op[i] == Op.LEAF || !needsGrad[i]) continue;
            Op o = op[i];
            int a = in0[i];
            int b = o.arity() >= 2 ? in1[i] : NONE;
            int n = iterationLength(i);
            double[] gz = adjoint[i];
            // What a rule would only copy is shared instead: the cotangent of a sum, and the other
            // factor of a product whose cotangent is the seed (1 * b is b itself, in either dtype),
            // when the shapes agree (a shared input of a lane op gets a lane reduction instead).
            boolean sameA = laneShaped[a] == laneShaped[i];
            boolean sameB = b != NONE && laneShaped[b] == laneShaped[i];
            boolean seedProduct = o == Op.MUL && gz == ones && sameA && sameB;
            double[] throughA = (o == Op.ADD || o == Op.SUB) && sameA ? gz : seedProduct ? value[b] : null;
            double[] throughB = o == Op.ADD && sameB ? gz : seedProduct ? value[a] : null;
            if (needsGrad[a]) {
                if (throughA != null) pass(a, throughA);
                else contribute(i, a, true, a, b, n);
            }
            if (b != NONE && needsGrad[b]) {
                if (throughB != null) pass(b, throughB);
                else contribute(i, b, false, a, b, n);
            }
            int[] more = morePairs[i];
            if (more != null) { // DOT's further pairs, each as a product
                for (int p = 0; p < more.length; p += 2) {
                    if (p + 2 < more.length && sharedTimesData(i, more[p], more[p + 1])
                            && sharedTimesData(i, more[p + 2], more[p + 3]) && more[p] != more[p + 2]) {
                        // Two shared w's against two data columns (the linear model's case): both lane
                        // reductions in one sweep, each in laneDot's order, so the same bits.
                        if (pairSums == null) pairSums = new double[2];
                        Op.laneDot2(gz, value[more[p + 1]], value[more[p + 3]], n, pairSums);
                        addReduced(more[p], pairSums[0]);
                        addReduced(more[p + 2], pairSums[1]);
                        p += 2;
                        continue;
                    }
                    if (needsGrad[more[p]]) contribute(i, more[p], true, more[p], more[p + 1], n);
                    if (needsGrad[more[p + 1]]) contribute(i, more[p + 1], false, more[p], more[p + 1], n);
                }
            }
        }
        // Leaves' gradients are handed out (an optimizer may clip them in place): they get their own.
        for (int x = 0; x <= target; x++) {
            if (op[x] == Op.LEAF && written[x] && aliased[x]) {
                System.arraycopy(adjoint[x], 0, own[x], 0, length(x));
                adjoint[x] = own[x];
                aliased[x] = false;
            }
        }
    }

    /**
     * Node i's contribution to its input x, which is the rule's first input {@code a} if
     * {@code first}, else {@code b} (for most ops a and b are node i's inputs; for a DOT node, one of
     * its pairs). The first contribution is written; a later one is added to what x has, in the same
     * pass in float64. In float32 each contribution is rounded before it is added, as TF does, so it
     * goes through scratch.
     */
    private void contribute(int i, int x, boolean first, int a, int b, int n) {
        double[] base = written[x] ? adjoint[x] : null; // x's cotangent so far: its own, or shared
        double[] out = own[x];
        boolean f32 = dtype == DType.FLOAT32;
        double[] g = f32 && base != null ? scratch : out;
        op[i].backward(adjoint[i], value[a], buf(b), buf(in2[i]), param[i], value[i],
                first ? g : null, first ? null : g, f32 ? null : base, n);
        if (f32) {
            int len = length(x);
            dtype.round(g, len);
            if (base != null) {
                for (int j = 0; j < len; j++) out[j] = base[j] + g[j];
                dtype.round(out, len);
            }
        }
        adjoint[x] = out;
        aliased[x] = false;
        written[x] = true;
    }

    /** Whether node i's pair (u, v) is a shared u that wants a gradient times lanes v that do not. */
    private boolean sharedTimesData(int i, int u, int v) {
        return laneShaped[i] && active > 1 && needsGrad[u] && !laneShaped[u] && laneShaped[v] && !needsGrad[v];
    }

    /** Adds a lane reduction s to a shared node's cotangent, as a rule with a shared input does. */
    private void addReduced(int x, double s) {
        double[] out = own[x];
        out[0] = written[x] ? adjoint[x][0] + s : s;
        adjoint[x] = out;
        aliased[x] = false;
        written[x] = true;
    }

    /** Adds a cotangent that passes through unchanged: shared if x has none yet, else summed. */
    private void pass(int x, double[] shared) {
        if (!written[x]) {
            alias(x, shared);
            return;
        }
        double[] base = adjoint[x];
        double[] out = own[x];
        int n = length(x);
        for (int j = 0; j < n; j++) out[j] = base[j] + shared[j];
        dtype.round(out, n);
        adjoint[x] = out;
        aliased[x] = false;
    }

    private void alias(int x, double[] shared) {
        adjoint[x] = shared;
        aliased[x] = true;
        written[x] = true;
    }

    private void allocateAdjoints() {
        own = new double[size][];
        for (int i = 0; i < size; i++) own[i] = new double[laneShaped[i] ? Math.max(lanes, 1) : 1];
        adjoint = own.clone();
        aliased = new boolean[size];
        written = new boolean[size];
        ones = new double[Math.max(lanes, 1)];
        Arrays.fill(ones, 1.0);
        scratch = new double[Math.max(lanes, 1)];
    }

    private int length(int node) {
        return laneShaped[node] ? active : 1;
    }

    // ---- reading ------------------------------------------------------------------------------

    /** A tensor handle for a node of this tape, to record further ops on it. */
    public Tensor tensor(int node) {
        if (node < 0 || node >= size) {
            throw new IllegalArgumentException("no node " + node + " on this tape of " + size + " nodes");
        }
        return new Tensor(this, node);
    }

    /** The live value buffer of a node (its first {@link #activeLanes()} entries, or one). */
    public double[] valueBuffer(int node) {
        return value[node];
    }

    /**
     * The live gradient buffer of a node after {@link #backward}, or null if it got none. Read it,
     * do not write it: only a leaf's is its own (another node's may be shared with other nodes).
     */
    public double[] gradient(int node) {
        return written != null && node < written.length && written[node] ? adjoint[node] : null;
    }

    /** A copy of a node's values: one per active lane, or one for a scalar node. */
    public double[] values(int node) {
        return Arrays.copyOf(value[node], length(node));
    }

    // ---- lanes --------------------------------------------------------------------------------

    /**
     * Moves lane {@code from} of every lane leaf (variables and constants) to lane {@code to}. The
     * solver calls it to pack the lanes still running to the front; derived values are stale until
     * {@link #recomputeAll()}.
     */
    public void moveLane(int from, int to) {
        for (int i = 0; i < size; i++) {
            if (op[i] == Op.LEAF && laneShaped[i]) value[i][to] = value[i][from];
        }
    }

    /**
     * Moves lane {@code from}'s values to lane {@code to} in the given per-lane leaves only: for a
     * caller that keeps the other leaves' values elsewhere (a row's array elements, which the tape
     * holds one buffer per element: moving them all costs a cache miss each).
     */
    public void moveLane(int from, int to, int[] leaves) {
        for (int i : leaves) {
            if (op[i] != Op.LEAF || !laneShaped[i]) throw new IllegalArgumentException("node " + i + " is not a per-lane leaf");
            value[i][to] = value[i][from];
        }
    }

    /**
     * Makes a per-lane variable read {@code storage} from now on, instead of the array it was
     * recorded with: a chunk of rows that already lies in an array of its own is used where it is,
     * not copied in. The tape reads {@code storage[0..activeLanes())}, so it must be at least that
     * long whenever the tape runs. Values derived from the variable are stale until the next
     * {@link #forward()}.
     */
    public void rebind(int variable, double[] storage) {
        if (op[variable] != Op.LEAF || !laneShaped[variable] || !varying[variable]) {
            throw new IllegalArgumentException("only a per-lane variable can be rebound; node " + variable + " is not one");
        }
        if (storage.length < active) {
            throw new IllegalArgumentException("node " + variable + " reads " + active + " lanes, got an array of " + storage.length);
        }
        value[variable] = storage;
    }

    /** Restricts every op to the first {@code n} lanes. */
    public void setActiveLanes(int n) {
        if (n < 0 || n > lanes) {
            throw new IllegalArgumentException("active lanes must be in [0, " + lanes + "], got " + n);
        }
        active = n;
    }

    /** The program as text, one node a line, for debugging and error messages. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Tape(" + dtype + ", " + lanes + " lanes)\n");
        for (int i = 0; i < size; i++) {
            s.append(String.format("%4d %-10s", i, op[i]));
            if (in0[i] != NONE) s.append(' ').append(in0[i]);
            if (in1[i] != NONE) s.append(' ').append(in1[i]);
            if (in2[i] != NONE) s.append(' ').append(in2[i]);
            if (morePairs[i] != null) for (int m : morePairs[i]) s.append(' ').append(m);
            if (op[i] == Op.POWK) s.append(" k=").append(param[i]);
            s.append(laneShaped[i] ? " lanes" : " scalar");
            if (needsGrad[i]) s.append(" grad");
            s.append('\n');
        }
        return s.toString();
    }
}
