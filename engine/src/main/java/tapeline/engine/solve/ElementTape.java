package tapeline.engine.solve;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tapeline.engine.codegen.ElementProgram;
import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expr;
import tapeline.engine.expr.Expression;
import tapeline.engine.expr.Function;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.HessianProgram;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * A per-row residual recorded once, on a tape whose lanes are the array elements of a chunk of
 * rows: {@code residuals = y - a * exp(-b * x)} over 50-point array columns is a body of a few
 * nodes evaluated on 50 lanes per row, where the row's own tape unrolls it into 50 x as many nodes.
 * Each lane holds one element of one row: that row's parameters (copied per lane) and the
 * element's inputs (a scalar input copied per lane). One forward pass gives every element's
 * residual, one reverse pass (seeded with one per lane) every element's gradient, i.e. the rows
 * of each row's Jacobian. The grouped train's arrangement (rows on lanes, parameters shared,
 * per-group sums), with the elements as the rows.
 *
 * <p>Only a residual whose body reads every vector input element by element qualifies
 * ({@link #why}): no {@code x[k]}, {@code dot}, {@code sum}. Then the body on one element is, op
 * for op, the same arithmetic as that element's component of the unrolled tape, in the same order,
 * so the residuals and the Jacobian have the unrolled tape's bits; only sums over a row's elements
 * (the cost's gradient) are summed here in the elements' order, never across rows.
 *
 * <pre>{@code
 * ElementTape e = ElementTape.record(solver, rowInputLeaves);   // null where why(solver) != null
 * e.residuals(rowTape, values, rows, count, r, jac);           // r[p][i], jac[p][k n + i]
 * }</pre>
 */
final class ElementTape implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Element lanes per chunk: a body's buffers stay in L2 (a few dozen nodes of 16 KB). */
    static final int CHUNK_LANES = 2048;

    private final Tape tape;
    private final DType dtype;
    /** Elements per row (the vector inputs' common length). */
    private final int n;
    /** The variables' leaves on the element tape, in slot order. */
    private final int[] vars;
    /** Each input's leaf on the element tape, in the solver's input order. */
    private final int[] inputs;
    /** Each input's leaves on the row tape (one: a scalar copied per lane; n: one per element). */
    private final int[][] rowInputs;
    /** The residual's node (least squares), or -1 for a cost sum(body). */
    private final int residual;
    /** The node of one element's term of the cost: the residual's square, or the sum's body. */
    private final int body;
    /** The body's gradient and Hessian program (newton, trust, the verdict), or null. */
    private final HessianProgram hessian;
    private final int rows;
    private final String expression;
    /** Whether the passes run compiled ({@link ElementProgram}) when the generator handles the tape. */
    private final boolean codegen;
    /** The compiled passes, made on first use (also after deserialisation), or null before. */
    private transient ElementProgram program;

    private ElementTape(Tape tape, DType dtype, int n, int[] vars, int[] inputs, int[][] rowInputs, int residual,
                        int body, HessianProgram hessian, String expression, boolean codegen) {
        this.tape = tape;
        this.dtype = dtype;
        this.n = n;
        this.vars = vars;
        this.inputs = inputs;
        this.rowInputs = rowInputs;
        this.residual = residual;
        this.body = body;
        this.hessian = hessian;
        this.rows = Math.max(1, CHUNK_LANES / n);
        this.expression = expression;
        this.codegen = codegen;
    }

    /**
     * The compiled passes, or null when they do not run: codegen off, or a tape the generator does
     * not handle ({@link #describe} says why). The interpreter is the reference: the same bits.
     */
    private ElementProgram program() {
        if (!codegen) return null;
        if (program == null) {
            program = ElementProgram.prepare(tape, residual, body, vars, hessian == null ? null : hessian.gradientNodes());
        }
        return program.compiled() ? program : null;
    }

    /** Why the passes run on the interpreter ("engine.codegen = false", the generator's or compiler's reason), or null when compiled. */
    String interpretedBecause() {
        if (!codegen) return "engine.codegen = false";
        program();
        return program.reason();
    }

    /** The generated source, or null. */
    String source() {
        if (codegen) program();
        return program == null ? null : program.source();
    }

    /**
     * Why the solver's residuals cannot go on an element tape (the unrolled tape is used), or null
     * when they can: one residual expression over array inputs of one length n, scalar variables,
     * reading every array element by element.
     */
    static String why(BlockSolver solver) {
        if (solver.cost() != null) {
            Expr root = solver.cost().root();
            if (!(root instanceof Expr.Call c && c.op() == Function.SUM)) return "the cost is not one sum(...) over the arrays' elements";
            Map<String, Integer> sizes = new LinkedHashMap<>(solver.inputSizes());
            for (VariableSpec v : solver.variables()) {
                if (v.size() != 1) return "variable " + v.name() + " is a vector (" + v.size() + " components)";
                sizes.put(v.name(), 1);
            }
            int[] length = {0};
            String bad = elementwise(((Expr.Call) root).args().get(0), sizes, length);
            if (bad != null) return "the cost's sum(...) would " + bad.replace("read ", "read ").replace("reduce ", "reduce ");
            if (length[0] < 2) return "the cost's sum(...) reads no array input";
            return null;
        }
        if (solver.residuals().size() != 1) {
            return solver.residuals().isEmpty() ? "the cost is not given as residuals"
                    : "the residuals are a list of " + solver.residuals().size() + " expressions, not one vector expression";
        }
        Expression r = solver.residuals().get(0);
        Map<String, Integer> sizes = new LinkedHashMap<>(solver.inputSizes());
        for (VariableSpec v : solver.variables()) {
            if (v.size() != 1) return "variable " + v.name() + " is a vector (" + v.size() + " components)";
            sizes.put(v.name(), 1);
        }
        int[] length = {0};
        String bad = elementwise(r.root(), sizes, length);
        if (bad != null) return "the residuals " + bad;
        if (length[0] < 2) return "the residuals read no array input";
        return null;
    }

    /** Why {@code e} is not elementwise over the vectors of one length (recorded in {@code length[0]}), or null. */
    private static String elementwise(Expr e, Map<String, Integer> sizes, int[] length) {
        if (e instanceof Expr.Num) return null;
        if (e instanceof Expr.Name nm) {
            Integer size = sizes.get(nm.name());
            if (size == null || size == 1) return null; // pi, a scalar variable or input (an unknown name fails elsewhere)
            if (length[0] != 0 && length[0] != size) {
                return "read arrays of different lengths (" + length[0] + " and " + size + ")";
            }
            length[0] = size;
            return null;
        }
        if (e instanceof Expr.Index ix) return "read one element (" + ix + ")";
        if (e instanceof Expr.Unary u) return elementwise(u.operand(), sizes, length);
        if (e instanceof Expr.Binary b) {
            String l = elementwise(b.left(), sizes, length);
            return l != null ? l : elementwise(b.right(), sizes, length);
        }
        if (e instanceof Expr.Call c) {
            if (c.op() == Function.SUM || c.op() == Function.DOT) return "reduce an array (" + c + ")";
            for (Expr a : c.args()) {
                String w = elementwise(a, sizes, length);
                if (w != null) return w;
            }
            return null;
        }
        return "have an expression node " + e.getClass().getSimpleName();
    }

    /** The common length of the arrays the residual reads (after {@link #why} said yes). */
    private static int length(BlockSolver solver) {
        Map<String, Integer> sizes = new LinkedHashMap<>(solver.inputSizes());
        for (VariableSpec v : solver.variables()) sizes.put(v.name(), 1);
        int[] length = {0};
        elementwise(solver.cost() != null ? ((Expr.Call) solver.cost().root()).args().get(0) : solver.residuals().get(0).root(),
                sizes, length);
        return length[0];
    }

    /**
     * Records the solver's one residual expression on an element tape, with {@code rowInputs} the
     * row tape's leaves of each input (in the solver's input order). Only after {@link #why} said yes.
     */
    static ElementTape record(BlockSolver solver, int[][] rowInputs, boolean secondOrder) {
        int n = length(solver);
        int lanes = Math.max(1, CHUNK_LANES / n) * n;
        Tape tape = new Tape(solver.dtype());
        Map<String, Tensor[]> bindings = new LinkedHashMap<>();
        List<Integer> vars = new ArrayList<>();
        for (VariableSpec v : solver.variables()) {
            int node = tape.variable(new double[lanes], true, true);
            vars.add(node);
            bindings.put(v.name(), new Tensor[] {tape.tensor(node)});
        }
        int[] inputs = new int[solver.inputSizes().size()];
        int j = 0;
        for (String name : solver.inputSizes().keySet()) {
            // A variable that is not watched: its values change per chunk, and forward recomputes what depends on it.
            inputs[j] = tape.variable(new double[lanes], true, false);
            bindings.put(name, new Tensor[] {tape.tensor(inputs[j])});
            j++;
        }
        int res = -1;
        int body;
        Expression expr;
        if (solver.cost() != null) {
            // sum(body) over one-component bindings is the body itself (Compiler's sum of one term)
            expr = solver.cost();
            body = perLane(tape, Compiler.compile(expr, bindings));
        } else {
            expr = solver.residuals().get(0);
            res = perLane(tape, Compiler.compile(expr, bindings));
            body = tape.tensor(res).square().node(); // the unrolled cost's term, op for op
        }
        int[] varNodes = vars.stream().mapToInt(Integer::intValue).toArray();
        HessianProgram hessian = secondOrder ? HessianProgram.record(tape, body, varNodes) : null;
        tape.close();
        return new ElementTape(tape, solver.dtype(), n, varNodes, inputs, rowInputs, res, body, hessian, expr.source(),
                solver.codegen());
    }

    private static int perLane(Tape tape, Tensor t) {
        return t.isPerLane() ? t.node() : tape.record(tapeline.engine.tape.Op.BROADCAST, t.node(), -1, -1, 0);
    }

    /** Elements per row. */
    int elements() {
        return n;
    }

    /** Nodes of the body, as recorded. */
    int nodes() {
        return tape.size();
    }

    /** One phrase for the task's log line. */
    String describe(int unrolledNodes) {
        return "element tape: " + (residual >= 0 ? "the residuals " : "the cost ") + expression + " recorded once (" + nodes() + " nodes, in place of "
                + unrolledNodes + " unrolled), " + n + " elements a row on lanes";
    }

    /**
     * The residuals of rows {@code rows[0..count)} (positions on the row tape) at the parameter
     * values {@code values[k][p]}, into {@code r[p][i]}; with {@code jac} not null also their
     * Jacobian, {@code jac[p][k n + i]} (a row's J column by column, one array). Row by row, as lm reads
     * them: a row's residuals and its Jacobian are two contiguous arrays, not one cache line in each of n m buffers.
     */
    void residuals(Tape rowTape, double[][] values, int[] rows, int count, double[][] r, double[][] jac) {
        residuals(inputs(rowTape), values, rows, count, r, jac);
    }

    /** As above, with the block's {@link Rows}. */
    void residuals(Rows in, double[][] values, int[] rows, int count, double[][] r, double[][] jac) {
        int m = vars.length;
        ElementProgram compiled = program();
        for (int c0 = 0; c0 < count; c0 += this.rows) {
            int rc = load(in, values, rows, c0, count);
            if (compiled != null) {
                compiledResiduals(compiled, rows, c0, rc, r, jac);
                continue;
            }
            tape.forwardTo(residual);
            double[] rv = tape.valueBuffer(residual);
            for (int q = 0; q < rc; q++) System.arraycopy(rv, q * n, r[rows[c0 + q]], 0, n);
            if (jac == null) continue;
            tape.backward(residual);
            double[][] g = new double[m][];
            for (int k = 0; k < m; k++) g[k] = tape.gradient(vars[k]);
            scatter(g, rows, c0, rc, jac);
        }
    }

    /**
     * Each chunk row's Jacobian from the per-element gradients {@code g[k][q n + i]} (null: 0) into
     * {@code jac[p][k n + i]}: a column of a row's J is n contiguous values of {@code g[k]}, one copy.
     */
    private void scatter(double[][] g, int[] rows, int c0, int rc, double[][] jac) {
        int m = vars.length;
        for (int q = 0; q < rc; q++) {
            double[] rowJac = jac[rows[c0 + q]];
            int at = q * n;
            for (int k = 0; k < m; k++) {
                if (g[k] == null) java.util.Arrays.fill(rowJac, k * n, k * n + n, 0.0);
                else System.arraycopy(g[k], at, rowJac, k * n, n);
            }
        }
    }

    private transient double[] cr;
    private transient double[][] cjac;

    /** {@link #residuals} of one loaded chunk by the compiled pass: the same per-element values, scattered the same way. */
    private void compiledResiduals(ElementProgram compiled, int[] rows, int c0, int rc, double[][] r, double[][] jac) {
        int m = vars.length;
        if (cr == null) {
            cr = new double[tape.lanes()];
            cjac = new double[m][tape.lanes()];
        }
        compiled.residuals(cr, jac == null ? null : cjac, rc * n);
        for (int q = 0; q < rc; q++) System.arraycopy(cr, q * n, r[rows[c0 + q]], 0, n);
        if (jac != null) scatter(cjac, rows, c0, rc, jac);
    }

    /**
     * A block's inputs, row by row: array input j's elements of the row at lane position p at
     * {@code [p n, p n + n)} of {@code byRow[j]} (a scalar input: {@code byRow[j][p]}). The row tape
     * holds element i of every row in a buffer of its own, so copying a row's n elements from it
     * touches n cache lines per input, on every pass; this copy is made once per block and a row's
     * n elements are one contiguous copy ({@link #load}). The block moves its rows with {@link #moveLane}.
     */
    final class Rows implements Serializable {
        private static final long serialVersionUID = 1L;
        /** Lanes per tile of the transpose: a cache line of each element's buffer. */
        private static final int TILE = 8;
        private final double[][] byRow;

        Rows(Tape rowTape, int lanes) {
            // The arrays of the last block, when they fit: a tape serves one block at a time.
            boolean reuse = rowsBuffers != null && rowsLanes == lanes;
            byRow = reuse ? rowsBuffers : new double[inputs.length][];
            rowsBuffers = byRow;
            rowsLanes = lanes;
            for (int j = 0; j < inputs.length; j++) {
                int size = rowInputs[j].length;
                if (size != 1 && size != n) continue; // an input the body does not read
                if (size == 1) {
                    if (byRow[j] == null) byRow[j] = new double[lanes];
                    System.arraycopy(rowTape.valueBuffer(rowInputs[j][0]), 0, byRow[j], 0, lanes);
                    continue;
                }
                double[] to = byRow[j] == null ? new double[lanes * n] : byRow[j];
                // A transpose in tiles of TILE lanes: each tile's rows (TILE n doubles) stay in the
                // cache while every element's buffer is read into them (one element at a time over all
                // lanes wrote a cache line per value, n doubles apart).
                double[][] from = new double[n][];
                for (int i = 0; i < n; i++) from[i] = rowTape.valueBuffer(rowInputs[j][i]);
                for (int p0 = 0; p0 < lanes; p0 += TILE) {
                    int p1 = Math.min(lanes, p0 + TILE);
                    for (int i = 0; i < n; i++) {
                        double[] f = from[i];
                        for (int p = p0; p < p1; p++) to[p * n + i] = f[p];
                    }
                }
                byRow[j] = to;
            }
        }

        /** The row at lane position {@code from} is now at {@code to} (the row tape's moveLane). */
        void moveLane(int from, int to) {
            for (int j = 0; j < byRow.length; j++) {
                double[] b = byRow[j];
                if (b == null) continue;
                if (rowInputs[j].length == 1) b[to] = b[from];
                else System.arraycopy(b, from * n, b, to * n, n);
            }
        }
    }

    private transient double[][] rowsBuffers;
    private transient int rowsLanes;

    /** The row tape's inputs as {@link Rows}, for a call that is given the row tape (tests; the kernel keeps its Rows). */
    private Rows inputs(Tape rowTape) {
        return new Rows(rowTape, rowTape.lanes());
    }

    /**
     * Copies the chunk of rows {@code rows[c0..)} (at most a chunk's worth) into the element tape's
     * leaves and sets its active lanes; returns the number of rows in the chunk.
     */
    private int load(Rows in, double[][] values, int[] rows, int c0, int count) {
        int m = vars.length;
        int rc = Math.min(this.rows, count - c0);
        for (int k = 0; k < m; k++) {
            double[] v = tape.valueBuffer(vars[k]);
            double[] from = values[k];
            for (int q = 0; q < rc; q++) java.util.Arrays.fill(v, q * n, q * n + n, from[rows[c0 + q]]);
        }
        for (int j = 0; j < inputs.length; j++) {
            double[] v = tape.valueBuffer(inputs[j]);
            double[] from = in.byRow[j];
            if (from == null) continue; // an input the residual does not read
            if (rowInputs[j].length == 1) {
                for (int q = 0; q < rc; q++) java.util.Arrays.fill(v, q * n, q * n + n, from[rows[c0 + q]]);
            } else {
                for (int q = 0; q < rc; q++) System.arraycopy(from, rows[c0 + q] * n, v, q * n, n);
            }
        }
        tape.setActiveLanes(rc * n);
        return rc;
    }

    /** Row p's cost: the chunk's body values {@code b[q n .. q n + n)} summed in the elements' order (the unrolled chain's bits). */
    private double rowSum(double[] b, int q) {
        int at = q * n;
        double s = b[at];
        for (int i = 1; i < n; i++) s = dtype.round(s + b[at + i]);
        return s;
    }

    /**
     * The cost of rows {@code rows[0..count)} at their current values into {@code cost[p]}: the
     * body's values summed per row in the elements' order, as the unrolled tape sums them (its bits).
     */
    void costs(Tape rowTape, double[][] values, int[] rows, int count, double[] cost) {
        costs(inputs(rowTape), values, rows, count, cost);
    }

    /** As above, with the block's {@link Rows}. */
    void costs(Rows in, double[][] values, int[] rows, int count, double[] cost) {
        ElementProgram compiled = program();
        for (int c0 = 0; c0 < count; c0 += this.rows) {
            int rc = load(in, values, rows, c0, count);
            if (compiled != null) {
                compiled.costs(rows, c0, rc, n, cost);
                continue;
            }
            tape.forwardTo(body);
            double[] b = tape.valueBuffer(body);
            for (int q = 0; q < rc; q++) cost[rows[c0 + q]] = rowSum(b, q);
        }
    }

    /**
     * The cost ({@link #costs}) and its gradient of rows {@code rows[0..count)}: one reverse pass
     * of the body gives every element's gradient, summed per row in the elements' order.
     */
    void gradients(Tape rowTape, double[][] values, int[] rows, int count, double[] cost, double[][] grad) {
        gradients(inputs(rowTape), values, rows, count, cost, grad);
    }

    /** As above, with the block's {@link Rows}. */
    void gradients(Rows in, double[][] values, int[] rows, int count, double[] cost, double[][] grad) {
        ElementProgram compiled = program();
        for (int c0 = 0; c0 < count; c0 += this.rows) {
            int rc = load(in, values, rows, c0, count);
            if (compiled != null) {
                compiled.gradients(rows, c0, rc, n, cost, grad);
                continue;
            }
            tape.forwardTo(body);
            double[] b = tape.valueBuffer(body);
            if (cost != null) for (int q = 0; q < rc; q++) cost[rows[c0 + q]] = rowSum(b, q);
            tape.backward(body);
            for (int k = 0; k < vars.length; k++) {
                double[] g = tape.gradient(vars[k]);
                for (int q = 0; q < rc; q++) grad[k][rows[c0 + q]] = g == null ? 0 : rowSum(g, q);
            }
        }
    }

    private transient double[][] eg;
    private transient double[][][] eh;

    /**
     * The cost, gradient and Hessian of rows {@code rows[0..count)}: the body's Hessian program on
     * the element lanes (every element's gradient and the upper half of its Hessian, row i of it
     * from the reverse pass of gradient node i: {@link HessianProgram#evaluateUpper}), summed per row
     * in the elements' order ({@code hess[i][j][p]}, the lower half the upper's mirror).
     */
    void derivatives(Tape rowTape, double[][] values, int[] rows, int count, double[] cost, double[][] grad,
                     double[][][] hess) {
        derivatives(inputs(rowTape), values, rows, count, cost, grad, hess);
    }

    /** As above, with the block's {@link Rows}. */
    void derivatives(Rows in, double[][] values, int[] rows, int count, double[] cost, double[][] grad, double[][][] hess) {
        derivatives(in, values, rows, count, cost, grad, hess, null);
    }

    /**
     * As above; with {@code reverse} not null also {@link #gradients}' values at the same point
     * ({@code reverse[k][p]}), from the same forward pass when compiled (the interpreter takes both passes).
     */
    void derivatives(Rows in, double[][] values, int[] rows, int count, double[] cost, double[][] grad, double[][][] hess,
                     double[][] reverse) {
        if (reverse != null && program() == null) {
            derivatives(in, values, rows, count, cost, grad, hess, null);
            gradients(in, values, rows, count, null, reverse);
            return;
        }
        int m = vars.length;
        if (eg == null) {
            eg = new double[m][tape.lanes()];
            eh = new double[m][m][tape.lanes()];
        }
        ElementProgram compiled = program();
        for (int c0 = 0; c0 < count; c0 += this.rows) {
            int rc = load(in, values, rows, c0, count);
            if (compiled != null) {
                compiled.derivatives(rows, c0, rc, n, cost, grad, hess, reverse);
                continue;
            }
            tape.forward(); // the body and its gradient program
            double[] b = tape.valueBuffer(body);
            for (int q = 0; q < rc; q++) cost[rows[c0 + q]] = rowSum(b, q);
            hessian.evaluateUpper(eg, eh); // each element's upper half, from one reverse pass per row of it
            for (int k = 0; k < m; k++) {
                for (int q = 0; q < rc; q++) grad[k][rows[c0 + q]] = rowSum(eg[k], q);
                for (int j = k; j < m; j++) {
                    double[] e = eh[k][j];
                    for (int q = 0; q < rc; q++) {
                        int p = rows[c0 + q];
                        hess[k][j][p] = rowSum(e, q);
                        hess[j][k][p] = hess[k][j][p];
                    }
                }
            }
        }
    }

    /** Whether the passes run compiled. */
    boolean compiledPasses() {
        return program() != null;
    }

    /** Whether the body's Hessian program was recorded. */
    boolean secondOrder() {
        return hessian != null;
    }

    /** Whether this is a residual (least squares) rather than a cost sum(body). */
    boolean residuals() {
        return residual >= 0;
    }

    /**
     * Each row's sum of squares from its residuals {@code r[p][i]}, in the elements' order, rounded
     * as the unrolled tape rounds its chain of squares and sums (so it has the unrolled cost's bits).
     */
    void sumOfSquares(double[][] r, int[] rows, int count, double[] out) {
        for (int q = 0; q < count; q++) out[rows[q]] = sumOfSquares(r[rows[q]]); // a method a row: compiled early (LmStep)
    }

    /** One row's sum of squares, in the elements' order. */
    private double sumOfSquares(double[] rp) {
        double s = dtype.round(rp[0] * rp[0]);
        for (int i = 1; i < n; i++) s = dtype.round(s + dtype.round(rp[i] * rp[i]));
        return s;
    }
}
