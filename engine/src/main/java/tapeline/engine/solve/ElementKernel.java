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
 * {@code 2 J^T r} summed per row in the elements' order; it keeps r and J for {@link LmStep}, row by
 * row with the point they were taken at, and a trial point's too ({@link #ensure}). Otherwise: the body's
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
    /**
     * lm: each row's residuals {@code r[p][i]} and Jacobian {@code jac[p][k n + i]} (column by column, one
     * array a row: 16 bytes a residual per row less than an array per residual) at {@code at[k][p]} (when {@code have[p]}).
     */
    private final double[][] r;
    private final double[][] jac;
    /**
     * lm: the same at each row's last trial point (r stays the current point's: the next trial's
     * proposal reads it). An accepted trial's r and J are swapped in (row by row, by reference)
     * instead of being taken again at the next iteration: lmder's order, J once per accepted step.
     */
    private final double[][] trial;
    private final double[][] trialJac;
    private final double[][] at;
    private final double[][] trialAt;
    private final boolean[] have;
    private final boolean[] haveTrial;
    /** lm: each row's sum of squares at {@code at}, and at its trial point (swapped in with the trial's r and J). */
    private final double[] rowCost;
    private final double[] trialCost;
    private final double[][] grads;
    private final int[] all;
    /** Whether r and J are kept for lm (else only the body's sums are taken). */
    private final boolean lm;
    private final int[] rows;
    /** The block's inputs row by row, made once (moved with the rows: {@link #moveLane}). */
    private final ElementTape.Rows in;
    private double[][] trialGrad;

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
        this.r = lm ? new double[lanes][n] : null;
        this.jac = lm ? new double[lanes][n * m] : null;
        this.trial = lm ? new double[lanes][n] : null;
        this.trialJac = lm ? new double[lanes][n * m] : null;
        this.at = lm ? new double[m][lanes] : null;
        this.trialAt = lm ? new double[m][lanes] : null;
        this.have = lm ? new boolean[lanes] : null;
        this.haveTrial = lm ? new boolean[lanes] : null;
        this.rowCost = lm ? new double[lanes] : null;
        this.trialCost = lm ? new double[lanes] : null;
        this.rows = new int[lanes];
        this.grads = new double[m][lanes];
        this.all = new int[lanes];
        for (int p = 0; p < lanes; p++) all[p] = p;
        this.in = elements.new Rows(rowTape, lanes); // the row tape's inputs are loaded before the kernel is made
        this.known = !lm && elements.secondOrder() && elements.compiledPasses() ? new Known() : null;
    }

    /** The row at lane position {@code from} moved to {@code to} (with the row tape's lanes). */
    void moveLane(int from, int to) {
        in.moveLane(from, to);
        if (known != null) known.moveLane(from, to);
        if (lm) {
            // exchanged, not copied: every position keeps arrays of its own
            swap(r, from, to);
            swap(jac, from, to);
            swap(trial, from, to);
            swap(trialJac, from, to);
            have[to] = have[from];
            haveTrial[to] = haveTrial[from];
            rowCost[to] = rowCost[from];
            trialCost[to] = trialCost[from];
            for (int k = 0; k < m; k++) {
                at[k][to] = at[k][from];
                trialAt[k][to] = trialAt[k][from];
            }
        }
    }

    private static <T> void swap(T[] a, int i, int j) {
        T t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /** The residuals, row by row: {@code r()[p][i]}, as {@link #ensure} leaves them. */
    double[][] r() {
        return r;
    }

    /** The Jacobian, row by row and column by column: {@code jac()[p][k n + i]}. */
    double[][] jac() {
        return jac;
    }

    /**
     * r and J of the first {@code active} rows at their current values: kept where a row is at the
     * point they were taken at, swapped in from its trial where it is at that (an accepted step),
     * else taken (one pass for the rows left). The same bits either way: a row's pass reads only its
     * own elements and point.
     */
    void ensure(int active) {
        int count = 0;
        for (int p = 0; p < active; p++) {
            if (have[p] && at(at, p)) continue;
            if (haveTrial[p] && at(trialAt, p)) {
                double[] t = r[p];
                r[p] = trial[p];
                trial[p] = t;
                double[] tj = jac[p];
                jac[p] = trialJac[p];
                trialJac[p] = tj;
                for (int k = 0; k < m; k++) at[k][p] = trialAt[k][p];
                rowCost[p] = trialCost[p];
                have[p] = true;
                haveTrial[p] = false;
                continue;
            }
            rows[count++] = p;
        }
        if (count == 0) return;
        elements.residuals(in, values, rows, count, r, jac);
        elements.sumOfSquares(r, rows, count, rowCost);
        mark(rows, count, at, have);
    }

    /** Whether row p's values are {@code point[.][p]}, bit for bit. */
    private boolean at(double[][] point, int p) {
        for (int k = 0; k < m; k++) {
            if (Double.doubleToRawLongBits(values[k][p]) != Double.doubleToRawLongBits(point[k][p])) return false;
        }
        return true;
    }

    private void mark(int[] rows, int count, double[][] point, boolean[] known) {
        for (int q = 0; q < count; q++) {
            int p = rows[q];
            known[p] = true;
            for (int k = 0; k < m; k++) point[k][p] = values[k][p];
        }
    }

    /**
     * The sum of squares of rows {@code rows[0..count)} at their current (trial) values, into the row
     * tape's cost buffer; their r and J there are kept for {@link #ensure}, where a trial is accepted.
     */
    void costs(int[] rows, int count) {
        elements.residuals(in, values, rows, count, trial, trialJac);
        mark(rows, count, trialAt, haveTrial);
        double[] cost = rowTape.valueBuffer(costNode);
        elements.sumOfSquares(trial, rows, count, cost);
        for (int q = 0; q < count; q++) trialCost[rows[q]] = cost[rows[q]];
    }

    /** The cost, gradient and Hessian of the first {@code active} rows (newton, trust, the verdict). */
    void derivatives(int active, double[][] g, double[][][] h) {
        if (known == null) {
            elements.derivatives(in, values, all, active, rowTape.valueBuffer(costNode), g, h);
            return;
        }
        known.ensure(null, active);
        System.arraycopy(known.cost, 0, rowTape.valueBuffer(costNode), 0, active);
        for (int k = 0; k < m; k++) {
            System.arraycopy(known.g[k], 0, g[k], 0, active);
            for (int j = 0; j < m; j++) System.arraycopy(known.h[k][j], 0, h[k][j], 0, active);
        }
    }

    /**
     * Each row's cost, gradient, Hessian and reverse-pass gradient at the point they were last taken
     * (compiled, second order: newton and trust), by the compiled pass that gives them all from one
     * forward pass, whose exponentials and logarithms are most of its time. A block's iteration asks
     * for the gradient (its convergence test), then at the same point for the Hessian (the step), then
     * for the costs (and near the end the gradients) of its trial points, and the next iteration
     * for the gradient and Hessian where the trial was accepted: each of these is served from here
     * when the row is where they were taken, bit for bit, so a row's forward pass runs once per point,
     * not once per question. The trial's cost pass takes the whole derivatives (about 1.7x a cost
     * pass: the gradient and Hessian on top of the same exp and log) and they are used unless the
     * trial is rejected. The same values as separate passes give: the same generated statements on
     * the same inputs ({@code costs}, {@code gradients} and {@code derivatives} of the element
     * program agree bit for bit; ElementCompiledTest).
     */
    private final class Known implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final double[] cost = new double[values[0].length];
        final double[][] g = new double[m][values[0].length];
        final double[][][] h = new double[m][m][values[0].length];
        final double[][] reverse = new double[m][values[0].length];
        /** The point row p's values were taken at, when {@code taken[p]}. */
        final double[][] x = new double[m][values[0].length];
        final boolean[] taken = new boolean[values[0].length];
        private final int[] todo = new int[values[0].length];

        /** Rows {@code [0, active)} with {@code which[p]} (all when null) known at their current values: takes those that are not. */
        void ensure(boolean[] which, int active) {
            int count = 0;
            for (int p = 0; p < active; p++) if ((which == null || which[p]) && !at(p)) todo[count++] = p;
            if (count == 0) return;
            elements.derivatives(in, values, todo, count, cost, g, h, reverse);
            for (int q = 0; q < count; q++) {
                int p = todo[q];
                taken[p] = true;
                for (int k = 0; k < m; k++) x[k][p] = values[k][p];
            }
        }

        /** Whether row p's values are where they were taken, bit for bit. */
        private boolean at(int p) {
            if (!taken[p]) return false;
            for (int k = 0; k < m; k++) {
                if (Double.doubleToRawLongBits(values[k][p]) != Double.doubleToRawLongBits(x[k][p])) return false;
            }
            return true;
        }

        void moveLane(int from, int to) {
            taken[to] = taken[from];
            if (!taken[from]) return;
            cost[to] = cost[from];
            for (int k = 0; k < m; k++) {
                g[k][to] = g[k][from];
                reverse[k][to] = reverse[k][from];
                x[k][to] = x[k][from];
                for (int j = 0; j < m; j++) h[k][j][to] = h[k][j][from];
            }
        }
    }

    /** Set when the passes are compiled and second order (newton, trust): see {@link Known}. */
    private final Known known;

    /** The cost of the rows with {@code which[p]} among the first {@code active}, into the row tape's cost buffer. */
    void costs(boolean[] which, int active) {
        if (known != null) {
            known.ensure(which, active);
            double[] c = rowTape.valueBuffer(costNode);
            for (int p = 0; p < active; p++) if (which[p]) c[p] = known.cost[p];
            return;
        }
        int count = 0;
        for (int p = 0; p < active; p++) if (which[p]) rows[count++] = p;
        elements.costs(in, values, rows, count, rowTape.valueBuffer(costNode));
    }

    /** The gradient of the rows with {@code which[p]} among the first {@code active}, at their current values, into {@link #trialGradients()}. */
    void gradientsOf(boolean[] which, int active) {
        if (trialGrad == null) trialGrad = new double[m][rowTape.lanes()];
        if (known != null) {
            known.ensure(which, active);
            for (int k = 0; k < m; k++) {
                for (int p = 0; p < active; p++) if (which[p]) trialGrad[k][p] = known.reverse[k][p];
            }
            return;
        }
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
            if (known != null) {
                known.ensure(null, active);
                System.arraycopy(known.cost, 0, rowTape.valueBuffer(costNode), 0, active);
                for (int k = 0; k < m; k++) System.arraycopy(known.reverse[k], 0, grads[k], 0, active);
            } else {
                elements.gradients(in, values, all, active, rowTape.valueBuffer(costNode), grads);
            }
            for (int k = 0; k < m; k++) out[k] = grads[k];
            return withCost && finite(active);
        }
        ensure(active);
        System.arraycopy(rowCost, 0, rowTape.valueBuffer(costNode), 0, active);
        for (int p = 0; p < active; p++) gradient(p); // a method a row: compiled early, not this loop on stack replacement
        for (int k = 0; k < m; k++) out[k] = grads[k];
        return withCost && finite(active);
    }

    /** Row p's gradient {@code 2 J^T r}, summed in the elements' order, into {@code grads[k][p]}. */
    private void gradient(int p) {
        double[] rp = r[p];
        double[] jp = jac[p];
        for (int k = 0; k < m; k++) {
            double s = 0;
            for (int i = 0; i < n; i++) s = dtype.round(s + dtype.round(dtype.round(2.0 * rp[i]) * jp[k * n + i]));
            grads[k][p] = s;
        }
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
