package tapeline.engine.tape;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The gradient and the Hessian of one cost, per lane, on a tape: the gradient's program is
 * recorded once ({@link Tape#gradientProgram}), then every {@link #evaluate} reads the gradient
 * from its nodes and takes one reverse pass per source through it for the Hessian's rows.
 * Recorded once, it is replayed step after step like the cost.
 *
 * <pre>{@code
 * HessianProgram h = HessianProgram.record(tape, cost, new int[] {u, v});
 * tape.forward();                                      // the cost and its gradient program
 * double[][] g = new double[2][lanes];
 * double[][][] H = new double[2][2][lanes];
 * h.evaluate(g, H);                                    // H[i][j][lane] = d2 cost / d src_i d src_j
 * }</pre>
 *
 * <p>A lane is one problem: with per-lane sources, lane {@code l} of the result is the Hessian of
 * lane {@code l}'s cost. The result is symmetric. Both halves are computed here and agree to
 * rounding. For per-lane sources (a sweep's variables) each entry is their mean, {@code (H + H^T) / 2}.
 * For shared sources (a train tape's parameters, whose Hessian is a sum over the lanes) the upper
 * triangle ({@code j >= i}, row i's reverse pass) is mirrored into the lower, so that the compiled
 * Hessian ({@code codegen.HessianKernel}, train tapes only), which computes only the upper triangle's
 * lane sums, gives the same bits; the upper half is as accurate as the mean. (The sweep's row tape keeps
 * the mean: no compiled Hessian runs there, and its solvers' bits stay as they were; the sweep's element
 * tape, whose Hessian is compiled, takes the upper half: {@link #evaluateUpper}.) A Hessian-vector product
 * needs one pass instead of one per source: {@link #hessianVectorProduct}.
 */
public final class HessianProgram implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Tape tape;
    private final int[] sources;
    private final int[] gradient;

    private HessianProgram(Tape tape, int[] sources, int[] gradient) {
        this.tape = tape;
        this.sources = sources.clone();
        this.gradient = gradient;
    }

    /** Records the gradient program of {@code cost} with respect to {@code sources} (nodes). */
    public static HessianProgram record(Tape tape, int cost, int[] sources) {
        return new HessianProgram(tape, sources, tape.gradientProgram(cost, sources));
    }

    /** The gradient's nodes, one per source; -1 where the cost does not depend on the source. */
    public int[] gradientNodes() {
        return gradient.clone();
    }

    /**
     * Fills {@code grad[i][lane]} and {@code hess[i][j][lane]} for the tape's active lanes, from the
     * values of the last {@link Tape#forward()}. Symmetrised: the mean of both halves per lane, the upper
     * triangle mirrored for shared sources (see the class comment).
     */
    public void evaluate(double[][] grad, double[][][] hess) {
        int n = sources.length;
        for (int i = 0; i < n; i++) {
            int len = tape.isLaneShaped(sources[i]) ? tape.activeLanes() : 1;
            if (gradient[i] < 0) {
                Arrays.fill(grad[i], 0, len, 0.0);
                for (int j = 0; j < n; j++) Arrays.fill(hess[i][j], 0, len, 0.0);
                continue;
            }
            copy(tape.valueBuffer(gradient[i]), tape.isLaneShaped(gradient[i]), grad[i], len);
            tape.backward(gradient[i]);
            for (int j = 0; j < n; j++) {
                double[] h = tape.gradient(sources[j]);
                if (h == null) Arrays.fill(hess[i][j], 0, len, 0.0);
                else copy(h, tape.isLaneShaped(sources[j]), hess[i][j], len);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                boolean lane = tape.isLaneShaped(sources[i]);
                if (lane != tape.isLaneShaped(sources[j])) continue; // a shared and a per-lane source: no pairing
                if (!lane) { // shared sources (a train tape's parameters): the upper triangle, mirrored
                    hess[j][i][0] = hess[i][j][0];
                    continue;
                }
                double[] a = hess[i][j];
                double[] b = hess[j][i];
                for (int l = 0; l < tape.activeLanes(); l++) {
                    double m = 0.5 * (a[l] + b[l]);
                    a[l] = m;
                    b[l] = m;
                }
            }
        }
    }

    /**
     * As {@link #evaluate}, but every entry from one pass, for per-lane sources too: {@code hess[i][j]}
     * for {@code j >= i} is row i's reverse pass (from gradient node i) at source j, mirrored into
     * {@code hess[j][i]}; the passes' lower halves are not read. The element tape's Hessian
     * ({@code solve.ElementTape}), whose compiled form ({@code codegen.ElementSource}) then walks
     * only what each row's upper half needs and keeps no lower half to average with. Either half is
     * the same derivative rounded along a different path; the mean of both is no more accurate than one.
     */
    public void evaluateUpper(double[][] grad, double[][][] hess) {
        int n = sources.length;
        for (int source : sources) {
            if (!tape.isLaneShaped(source)) {
                throw new IllegalStateException("evaluateUpper is for per-lane sources; node " + source + " is shared (use evaluate)");
            }
        }
        for (int i = 0; i < n; i++) {
            int len = tape.activeLanes();
            if (gradient[i] < 0) {
                Arrays.fill(grad[i], 0, len, 0.0);
                for (int j = i; j < n; j++) Arrays.fill(hess[i][j], 0, len, 0.0);
                continue;
            }
            copy(tape.valueBuffer(gradient[i]), tape.isLaneShaped(gradient[i]), grad[i], len);
            tape.backward(gradient[i]);
            for (int j = i; j < n; j++) {
                double[] h = tape.gradient(sources[j]);
                if (h == null) Arrays.fill(hess[i][j], 0, len, 0.0);
                else copy(h, tape.isLaneShaped(sources[j]), hess[i][j], len);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                System.arraycopy(hess[i][j], 0, hess[j][i], 0, tape.activeLanes());
            }
        }
    }

    /**
     * {@code out[j][lane] = sum_i H[j][i][lane] v[i][lane]} for the active lanes, at the variables'
     * current values: one forward pass and one reverse pass through {@code sum_i grad_i * v_i},
     * whose program is recorded on the first call (v is copied into buffers the tape reads). About
     * the cost of two or three gradients, whatever the number of sources.
     */
    public void hessianVectorProduct(double[][] v, double[][] out) {
        if (v.length != sources.length) {
            throw new IllegalArgumentException("a vector of " + sources.length + " components is needed, got " + v.length);
        }
        if (hvpNode < 0) recordHvp();
        for (int i = 0; i < sources.length; i++) {
            int len = tape.isLaneShaped(sources[i]) ? tape.activeLanes() : 1;
            System.arraycopy(v[i], 0, hvpVector[i], 0, len);
        }
        tape.forward();
        tape.backward(hvpNode);
        for (int j = 0; j < sources.length; j++) {
            int len = tape.isLaneShaped(sources[j]) ? tape.activeLanes() : 1;
            double[] h = tape.gradient(sources[j]);
            if (h == null) Arrays.fill(out[j], 0, len, 0.0);
            else copy(h, tape.isLaneShaped(sources[j]), out[j], len);
        }
    }

    /**
     * Records the program of {@link #hessianVectorProduct} now rather than at the first product, so
     * that a solver's steady state never grows the tape.
     */
    public void prepareHessianVectorProduct() {
        if (hvpNode < 0) recordHvp();
    }

    /** The node of {@code grad . v}, or -1 until the first product. */
    private int hvpNode = -1;
    /** The vector v, as buffers of non-trainable variables the tape reads. */
    private double[][] hvpVector;

    private void recordHvp() {
        tape.beginDerived();
        try {
            hvpVector = new double[sources.length][];
            Tensor sum = tape.tensor(tape.scalar(0.0));
            for (int i = 0; i < sources.length; i++) {
                boolean lane = tape.isLaneShaped(sources[i]);
                hvpVector[i] = new double[lane ? tape.lanes() : 1];
                if (gradient[i] < 0) continue;
                Tensor vi = tape.tensor(tape.variable(hvpVector[i], lane, false));
                sum = sum.add(tape.tensor(gradient[i]).mul(vi));
            }
            hvpNode = sum.node();
        } finally {
            tape.endDerived();
        }
    }

    private static void copy(double[] from, boolean perLane, double[] to, int len) {
        if (perLane) System.arraycopy(from, 0, to, 0, len);
        else Arrays.fill(to, 0, len, from[0]);
    }
}
