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
        elements.residuals(rowTape, values, all, active, r, jac);
        fresh = true;
    }

    /** The sum of squares of rows {@code rows[0..count)} at their current values, into the row tape's cost buffer. */
    void costs(int[] rows, int count) {
        elements.residuals(rowTape, values, rows, count, trial, null);
        elements.sumOfSquares(trial, rows, count, rowTape.valueBuffer(costNode));
    }

    /** The cost, gradient and Hessian of the first {@code active} rows (newton, trust, the verdict). */
    void derivatives(int active, double[][] g, double[][][] h) {
        elements.derivatives(rowTape, values, all, active, rowTape.valueBuffer(costNode), g, h);
    }

    /** The cost of the rows with {@code which[p]} among the first {@code active}, into the row tape's cost buffer. */
    void costs(boolean[] which, int active) {
        int count = 0;
        for (int p = 0; p < active; p++) if (which[p]) rows[count++] = p;
        elements.costs(rowTape, values, rows, count, rowTape.valueBuffer(costNode));
    }

    /** The gradient of the rows with {@code which[p]} among the first {@code active}, at their current values, into {@link #trialGradients()}. */
    void gradientsOf(boolean[] which, int active) {
        if (trialGrad == null) trialGrad = new double[m][rowTape.lanes()];
        int count = 0;
        for (int p = 0; p < active; p++) if (which[p]) rows[count++] = p;
        elements.gradients(rowTape, values, rows, count, null, trialGrad);
    }

    /** The buffers {@link #gradientsOf} fills, {@code [m][lanes]}. */
    double[][] trialGradients() {
        return trialGrad;
    }

    @Override
    public boolean gradients(boolean withCost, double[][] out, int active) {
        if (!lm) {
            elements.gradients(rowTape, values, all, active, rowTape.valueBuffer(costNode), grads);
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
