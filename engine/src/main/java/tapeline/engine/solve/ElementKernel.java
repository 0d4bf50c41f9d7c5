package tapeline.engine.solve;

import tapeline.engine.codegen.KernelPath;
import tapeline.engine.codegen.StepKernel;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;

/**
 * A block's cost, gradient (and for newton and trust its Hessian) from its {@link ElementTape},
 * into the row tape's cost buffer and per-row arrays. For lm: the residuals r and their Jacobian J
 * of every row, the cost {@code sum r_i^2} (the unrolled tape's bits) and the gradient
 * {@code 2 J^T r} summed per row in the elements' order; it keeps r and J for {@link LmStep}, which
 * would otherwise take them again at the same point ({@link #take}). Otherwise: the body's
 * per-element gradients (one reverse pass) and Hessians (its Hessian program) summed per row in
 * the elements' order, never across rows. With codegen on, the element tape's passes run compiled
 * ({@link tapeline.engine.codegen.ElementProgram}), with the interpreter's bits.
 */
final class ElementKernel implements StepKernel, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final ElementTape elements;
    private final Tape rowTape;
    private final int costNode;
    private final double[][] values;
    private final DType dtype;
    private transient KernelPath path;
    private final int n;
    private final int m;
    private final double[][] r;
    /** The trial points' residuals (r stays the current point's: the next trial's proposal reads it). */
    private final double[][] trial;
    private final double[][][] jac;
    private final double[][] grads;
    private final int[] all;
    /** Whether r and J are kept for lm (else only the body's sums are taken). */
    private final boolean lm;
    private final int[] rows;
    /** The block's inputs row by row, made once (moved with the rows: {@link #moveLane}). */
    private final ElementTape.Rows in;
    private double[][] trialGrad;
    /** Whether r and J hold the rows' values at their current point, in their current positions. */
    private boolean fresh;

    ElementKernel(ElementTape elements, Tape rowTape, int costNode, double[][] values, DType dtype, boolean lm) {
        this.lm = lm;
        this.elements = elements;
        this.rowTape = rowTape;
        this.costNode = costNode;
        this.values = values;
        this.dtype = dtype;
        this.n = elements.elements();
        this.m = values.length;
        int lanes = rowTape.lanes();
        this.r = lm ? new double[n][lanes] : null;
        this.trial = lm ? new double[n][lanes] : null;
        this.jac = lm ? new double[n][m][lanes] : null;
        this.rows = new int[lanes];
        this.grads = new double[m][lanes];
        this.all = new int[lanes];
        for (int p = 0; p < lanes; p++) all[p] = p;
        this.in = elements.new Rows(rowTape, lanes); // the row tape's inputs are loaded before the kernel is made
        this.ahead = !lm && elements.secondOrder() && elements.compiledPasses() ? new Ahead() : null;
    }

    /** The row at lane position {@code from} moved to {@code to} (with the row tape's lanes). */
    void moveLane(int from, int to) {
        in.moveLane(from, to);
        if (ahead != null) ahead.moveLane(from, to);
    }

    /** The residuals' buffers, {@code [n][lanes]}. */
    double[][] r() {
        return r;
    }

    /** The Jacobian's buffers, {@code [n][m][lanes]}. */
    double[][][] jac() {
        return jac;
    }

    /** Whether r and J are those of the first {@code active} rows where they are now; clears it. */
    boolean take() {
        boolean f = fresh;
        fresh = false;
        return f;
    }

    /** Rows moved or values changed: r and J are stale. */
    void stale() {
        fresh = false;
    }

    /** r and J of the first {@code active} rows at their current values. */
    void evaluate(int active) {
        elements.residuals(in, values, all, active, r, jac);
        fresh = true;
    }

    /** The sum of squares of rows {@code rows[0..count)} at their current values, into the row tape's cost buffer. */
    void costs(int[] rows, int count) {
        elements.residuals(in, values, rows, count, trial, null);
        elements.sumOfSquares(trial, rows, count, rowTape.valueBuffer(costNode));
    }

    /** The cost, gradient and Hessian of the first {@code active} rows (newton, trust, the verdict). */
    void derivatives(int active, double[][] g, double[][][] h) {
        if (ahead != null && ahead.at(values, active)) {
            ahead.into(rowTape.valueBuffer(costNode), g, h, active);
            return;
        }
        elements.derivatives(in, values, all, active, rowTape.valueBuffer(costNode), g, h);
    }

    /**
     * The derivatives taken with the last {@link #gradients} (compiled, second order): a block's
     * iteration asks for the gradient (its convergence test), then at the same point for the
     * Hessian (newton's and trust's step); the compiled pass gives both from one forward pass
     * (its exponentials and logarithms are most of a pass). The same values as a second pass would
     * give: the same generated statements on the same inputs.
     */
    private final class Ahead implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final double[] cost = new double[values[0].length];
        final double[][] g = new double[m][values[0].length];
        final double[][][] h = new double[m][m][values[0].length];
        /** The point they were taken at, per row position, and how many rows. */
        final double[][] x = new double[m][values[0].length];
        int rows = -1;

        void take(int active, double[] costs) {
            elements.derivatives(in, values, all, active, cost, g, h, grads);
            System.arraycopy(cost, 0, costs, 0, active);
            for (int k = 0; k < m; k++) System.arraycopy(values[k], 0, x[k], 0, active);
            rows = active;
        }

        /** Whether the rows {@code [0, active)} are where they were taken, bit for bit. */
        boolean at(double[][] now, int active) {
            if (rows < 0 || active > rows) return false;
            for (int k = 0; k < m; k++) {
                double[] a = now[k];
                double[] b = x[k];
                for (int p = 0; p < active; p++) {
                    if (Double.doubleToRawLongBits(a[p]) != Double.doubleToRawLongBits(b[p])) return false;
                }
            }
            return true;
        }

        void into(double[] costs, double[][] gOut, double[][][] hOut, int active) {
            System.arraycopy(cost, 0, costs, 0, active);
            for (int k = 0; k < m; k++) {
                System.arraycopy(g[k], 0, gOut[k], 0, active);
                for (int j = 0; j < m; j++) System.arraycopy(h[k][j], 0, hOut[k][j], 0, active);
            }
            rows = -1; // once: the step moves the rows next
        }

        void moveLane(int from, int to) {
            if (rows < 0) return;
            cost[to] = cost[from];
            for (int k = 0; k < m; k++) {
                g[k][to] = g[k][from];
                x[k][to] = x[k][from];
                for (int j = 0; j < m; j++) h[k][j][to] = h[k][j][from];
            }
        }
    }

    /** Set when the passes are compiled and second order (newton, trust): see {@link Ahead}. */
    private final Ahead ahead;

    /** The cost of the rows with {@code which[p]} among the first {@code active}, into the row tape's cost buffer. */
    void costs(boolean[] which, int active) {
        int count = 0;
        for (int p = 0; p < active; p++) if (which[p]) rows[count++] = p;
        elements.costs(in, values, rows, count, rowTape.valueBuffer(costNode));
    }

    /** The gradient of the rows with {@code which[p]} among the first {@code active}, at their current values, into {@link #trialGradients()}. */
    void gradientsOf(boolean[] which, int active) {
        if (trialGrad == null) trialGrad = new double[m][rowTape.lanes()];
        int count = 0;
        for (int p = 0; p < active; p++) if (which[p]) rows[count++] = p;
        elements.gradients(in, values, rows, count, null, trialGrad);
    }

    /** The buffers {@link #gradientsOf} fills, {@code [m][lanes]}. */
    double[][] trialGradients() {
        return trialGrad;
    }

    @Override
    public boolean gradients(boolean withCost, double[][] out, int active) {
        if (!lm) {
            if (ahead != null) ahead.take(active, rowTape.valueBuffer(costNode));
            else elements.gradients(in, values, all, active, rowTape.valueBuffer(costNode), grads);
            for (int k = 0; k < m; k++) out[k] = grads[k];
            return withCost && finite(active);
        }
        evaluate(active);
        elements.sumOfSquares(r, all, active, rowTape.valueBuffer(costNode));
        for (int k = 0; k < m; k++) {
            double[] g = grads[k];
            for (int p = 0; p < active; p++) {
                double s = 0;
                for (int i = 0; i < n; i++) s = dtype.round(s + dtype.round(dtype.round(2.0 * r[i][p]) * jac[i][k][p]));
                g[p] = s;
            }
            out[k] = g;
        }
        return withCost && finite(active);
    }

    private boolean finite(int active) {
        double[] cost = rowTape.valueBuffer(costNode);
        boolean ok = true;
        for (int p = 0; p < active && ok; p++) {
            ok = Double.isFinite(cost[p]);
            for (int k = 0; k < m && ok; k++) ok = Double.isFinite(grads[k][p]);
        }
        return ok;
    }

    @Override
    public void cost(int active) {
        // gradients() always leaves the cost in the buffer
    }

    @Override
    public boolean step(Optimizer optimizer, boolean withCost, int active) {
        return false;
    }

    @Override
    public Checked keptStep(Optimizer optimizer, double[][] grads, double[][] kept, int active) {
        return Checked.UNFUSED;
    }

    @Override
    public KernelPath path() {
        if (path == null) {
            String why = elements.interpretedBecause();
            path = why == null ? new KernelPath(true, false, elements.describe(costNode + 1), elements.source())
                    : new KernelPath(false, false, elements.describe(costNode + 1) + "; its passes interpreted: " + why, elements.source());
        }
        return path;
    }
}
