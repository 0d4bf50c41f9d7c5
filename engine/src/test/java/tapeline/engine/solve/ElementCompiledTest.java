package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;

/**
 * The element tape's compiled passes ({@link tapeline.engine.codegen.ElementProgram}) against its
 * interpreter (the reference: {@code engine.codegen = false}), bit for bit, for every op the element
 * path reads, in both dtypes, on every pass ElementTape has: residuals and the Jacobian (lm), the
 * row sums of the cost, of its gradient and of the element Hessians (newton, trust). Then whole
 * solves (lm, newton, trust) compiled against interpreted, and the compiled gradient and Hessian
 * against central differences of the compiled cost.
 */
class ElementCompiledTest {
    static final int N = 7;
    /** Rows: more than one chunk of {@link ElementTape#CHUNK_LANES} element lanes (292 rows of 7). */
    static final int ROWS = 300;
    static final List<VariableSpec> UV = List.of(new VariableSpec("u", 1), new VariableSpec("v", 1));

    /** One body per op (each used twice, or with an array and a scalar), as EveryOpTest has them for the sweep. */
    static final String[] BODIES = {
        "u * x + v * c + u * u * y", "u - v * x - c * u", "u / (1.5 + square(v) + x * x) + v / (c + 3)", "-u * x + -(v * c)",
        "pow(1.5 + square(u), v * x) + pow(1.5 + square(v), 0.3 * u)", "(1.5 + square(u * x))^-2.5 + u^3 * y + v^0 * u",
        "square(u - y) + square(u * v * x)", "sqrt(1.5 + square(u * x)) * v + sqrt(2 + square(v))",
        "exp(tanh(u * x)) * v + exp(v * c)", "log(1.5 + square(u - x)) * v + log(2 + v * v)",
        "log1p(1.5 + square(u * x)) + log1p(square(v)) * u", "expm1(tanh(u * x)) * v + expm1(v * c)",
        "sin(u * x) * v + sin(v * c)", "cos(u * x) * v + cos(v * c)", "tan(tanh(u * x)) * v + tan(0.5 * tanh(v))",
        "tanh(u * x) * v + tanh(v * c)", "sigmoid(u * x) * v + sigmoid(v * c)", "softplus(u * x) * v + softplus(v * c - y)",
        "relu(u - x) * v + relu(v * c) + relu(u)", "abs(u - x) * v + abs(v * c) + abs(u)",
        "min(u, x) * c + min(v, y) + min(u, 0.5)", "max(u, x) * c + max(v, y) + max(u, 0.5)",
        "select(u - x, u * c, v * v) + select(y, u, v)",
        "(u < x) * u + (u <= c) * v + (u == x) * v + (u != y) * u + (v > x) * u",
        "atan(u * x) * v + atan(v * c)", "asin(0.9 * tanh(u * x)) * v + asin(0.5 * tanh(v))",
        "acos(0.9 * tanh(u * x)) * v + acos(0.5 * tanh(v))", "sinh(u * x) * v + sinh(v * c)", "cosh(u * x) * v + cosh(v * c)",
        "atan2(u, x + 3) * v + atan2(v * c, 1 + u * u)", "pi * u * x + v", "y - x + 0 * u",
        "softplus(u + v * x) - y * (u + v * x)", "y - (u * exp(-v * x) + c)"};

    static String[] bodies() {
        return BODIES;
    }

    @ParameterizedTest
    @MethodSource("bodies")
    void everyOpGivesTheInterpretersBits(String body) {
        for (DType dtype : DType.values()) {
            // as residuals (residuals, Jacobian, and newton's passes on the squares) and as a cost sum(body)
            compare(BlockSolver.leastSquares(List.of(Expression.parse("residuals", body)), UV, sizes(), "newton", Map.of(),
                    new SolverSettings(50, 1e-10, 0), dtype), body + " as residuals in " + dtype);
            compare(new BlockSolver(Expression.parse("cost", "sum(" + body + ")"), UV, sizes(), "newton", Map.of(),
                    new SolverSettings(50, 1e-10, 0), dtype), "sum(" + body + ") in " + dtype);
        }
    }

    /**
     * The element Hessian (each element's upper half, row i from gradient node i's reverse pass,
     * summed per row) against two references, for every body, both dtypes, as residuals and as a
     * cost: the row's own unrolled tape's {@code HessianProgram.evaluate} (the mean of both halves per
     * lane, the element path's arithmetic before session 23, on a tape of its own with its own order
     * of sums), to rounding; and in float64 central differences of the element gradient (float32's
     * rounding leaves a difference quotient no digits to compare). Symmetric bit for bit.
     */
    @ParameterizedTest
    @MethodSource("bodies")
    void hessianMatchesTheUnrolledMeanAndCentralDifferences(String body) {
        for (DType dtype : DType.values()) {
            hessianAgainstReferences(BlockSolver.leastSquares(List.of(Expression.parse("residuals", body)), UV, sizes(), "newton",
                    Map.of(), new SolverSettings(50, 1e-10, 0), dtype), body + " as residuals in " + dtype);
            hessianAgainstReferences(new BlockSolver(Expression.parse("cost", "sum(" + body + ")"), UV, sizes(), "newton", Map.of(),
                    new SolverSettings(50, 1e-10, 0), dtype), "sum(" + body + ") in " + dtype);
        }
    }

    private static void hessianAgainstReferences(BlockSolver solver, String what) {
        DType dtype = solver.dtype();
        boolean f64 = dtype == DType.FLOAT64;
        BlockRun.Compiled on = BlockRun.compile(solver, ROWS);
        BlockRun.Compiled unrolled = BlockRun.compile(solver.withElementTape(false).withCodegen(false), ROWS);
        assertThat(on.elements().interpretedBecause()).as(what).isNull();
        assertThat(unrolled.elements()).as(what).isNull();
        Random rnd = new Random(what.hashCode() + 1);
        fillInputs(on, rnd, dtype);
        copyInputs(on, unrolled);
        double[][] values = new double[2][ROWS];
        for (int p = 0; p < ROWS; p++) {
            values[0][p] = p == 0 ? 0 : dtype.round(rnd.nextGaussian());
            values[1][p] = p == 0 ? 0 : dtype.round(0.8 * rnd.nextGaussian());
        }
        int[] rows = new int[ROWS];
        for (int p = 0; p < ROWS; p++) rows[p] = p;
        double[] cost = new double[ROWS];
        double[][] grad = new double[2][ROWS];
        double[][][] hess = new double[2][2][ROWS];
        on.elements().derivatives(on.tape(), values, rows, ROWS, cost, grad, hess);
        // the unrolled row tape at the same points: its Hessian program, both halves averaged
        Tape t = unrolled.tape();
        for (int k = 0; k < 2; k++) System.arraycopy(values[k], 0, t.valueBuffer(unrolled.leaves()[k]), 0, ROWS);
        t.recomputeAll(); // the inputs were written after recording: every node, the ones without a variable too
        double[][] g0 = new double[2][ROWS];
        double[][][] h0 = new double[2][2][ROWS];
        unrolled.hessian().evaluate(g0, h0);
        // the sums' order and the halves differ: a few ulps of the terms (7 of them, of either sign)
        double tol = f64 ? 1e-11 : 1e-4;
        for (int p = 0; p < ROWS; p++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < 2; j++) {
                    assertThat(Double.doubleToLongBits(hess[k][j][p])).as("%s: symmetric, row %d", what, p)
                            .isEqualTo(Double.doubleToLongBits(hess[j][k][p]));
                    double want = h0[k][j][p];
                    if (!Double.isFinite(want)) {
                        assertThat(hess[k][j][p]).as("%s: H[%d][%d] row %d", what, k, j, p).isEqualTo(want);
                        continue;
                    }
                    assertThat(hess[k][j][p]).as("%s: H[%d][%d] row %d against the unrolled mean", what, k, j, p)
                            .isCloseTo(want, within(tol * Math.max(1, Math.abs(want))));
                }
            }
        }
        if (!f64) return;
        double h = 1e-6;
        double[][] gp = new double[2][ROWS];
        double[][] gm = new double[2][ROWS];
        for (int k = 0; k < 2; k++) {
            double[][] plus = copy(values);
            double[][] minus = copy(values);
            for (int p = 0; p < ROWS; p++) {
                plus[k][p] += h;
                minus[k][p] -= h;
            }
            on.elements().gradients(on.tape(), plus, rows, ROWS, null, gp);
            on.elements().gradients(on.tape(), minus, rows, ROWS, null, gm);
            for (int p = 1; p < ROWS; p++) { // row 0 sits on the kinks (u = v = x = 0): no difference quotient there
                for (int j = 0; j < 2; j++) {
                    double fd = (gp[j][p] - gm[j][p]) / (2 * h);
                    if (!Double.isFinite(fd) || !Double.isFinite(hess[j][k][p])) continue;
                    // truncation h^2 |g'''| and the gradient's rounding 1e-16 |g| / h
                    assertThat(hess[j][k][p]).as("%s: H[%d][%d] row %d against central differences", what, j, k, p)
                            .isCloseTo(fd, within(1e-5 * Math.max(1, Math.abs(fd))));
                }
            }
        }
    }

    static Map<String, Integer> sizes() {
        Map<String, Integer> s = new LinkedHashMap<>();
        s.put("x", N);
        s.put("y", N);
        s.put("c", 1);
        return s;
    }

    /** Every pass of the compiled element tape against the interpreted one, on the same rows and points. */
    private static void compare(BlockSolver solver, String what) {
        BlockRun.Compiled on = BlockRun.compile(solver, ROWS);
        BlockRun.Compiled off = BlockRun.compile(solver.withCodegen(false), ROWS);
        assertThat(on.elements()).as(what).isNotNull();
        assertThat(on.elements().interpretedBecause()).as(what).isNull(); // the compiled path runs
        assertThat(off.elements().interpretedBecause()).as(what).isEqualTo("engine.codegen = false");
        DType dtype = solver.dtype();
        Random rnd = new Random(what.hashCode());
        fillInputs(on, rnd, dtype);
        copyInputs(on, off);
        double[][] values = new double[2][ROWS];
        for (int p = 0; p < ROWS; p++) {
            // row 0 at the kinks (u = x = 0, v = 0), the others random
            values[0][p] = p == 0 ? 0 : dtype.round(rnd.nextGaussian());
            values[1][p] = p == 0 ? 0 : dtype.round(0.8 * rnd.nextGaussian());
        }
        int[] rows = new int[ROWS];
        for (int p = 0; p < ROWS; p++) rows[p] = ROWS - 1 - p; // positions need not be in order
        int count = ROWS - 3; // and a partial last chunk
        ElementTape a = on.elements();
        ElementTape b = off.elements();
        if (a.residuals()) {
            double[][] r1 = new double[ROWS][N]; // row by row: r[p][i], jac[p][k N + i]
            double[][] r2 = new double[ROWS][N];
            double[][] j1 = new double[ROWS][N * 2];
            double[][] j2 = new double[ROWS][N * 2];
            a.residuals(on.tape(), values, rows, count, r1, j1);
            b.residuals(off.tape(), values, rows, count, r2, j2);
            for (int p = 0; p < ROWS; p++) {
                same(r1[p], r2[p], what + ": residuals of row " + p);
                same(j1[p], j2[p], what + ": J of row " + p);
            }
            a.residuals(on.tape(), values, rows, count, r1, null);
            for (int p = 0; p < ROWS; p++) same(r1[p], r2[p], what + ": residuals of row " + p + " without J");
        }
        double[] c1 = new double[ROWS];
        double[] c2 = new double[ROWS];
        a.costs(on.tape(), values, rows, count, c1);
        b.costs(off.tape(), values, rows, count, c2);
        same(c1, c2, what + ": costs");
        double[][] g1 = new double[2][ROWS];
        double[][] g2 = new double[2][ROWS];
        java.util.Arrays.fill(c1, 0);
        java.util.Arrays.fill(c2, 0);
        a.gradients(on.tape(), values, rows, count, c1, g1);
        b.gradients(off.tape(), values, rows, count, c2, g2);
        same(c1, c2, what + ": gradients' costs");
        for (int k = 0; k < 2; k++) same(g1[k], g2[k], what + ": gradient " + k);
        a.gradients(on.tape(), values, rows, count, null, g1);
        for (int k = 0; k < 2; k++) same(g1[k], g2[k], what + ": gradient " + k + " without the cost");
        assertThat(a.secondOrder()).as(what).isTrue();
        double[][][] h1 = new double[2][2][ROWS];
        double[][][] h2 = new double[2][2][ROWS];
        java.util.Arrays.fill(c1, 0);
        a.derivatives(on.tape(), values, rows, count, c1, g1, h1);
        b.derivatives(off.tape(), values, rows, count, c2, g2, h2);
        same(c1, c2, what + ": derivatives' costs");
        for (int k = 0; k < 2; k++) {
            same(g1[k], g2[k], what + ": derivatives' gradient " + k);
            for (int j = 0; j < 2; j++) same(h1[k][j], h2[k][j], what + ": H[" + k + "][" + j + "]");
        }
        // The one pass newton and trust take per point (ElementKernel.Known): cost, gradient program, Hessian and
        // the reverse pass's gradient together, each with the bits of the interpreter's own pass for it.
        double[] c3 = new double[ROWS];
        double[][] g3 = new double[2][ROWS];
        double[][] r3 = new double[2][ROWS];
        double[][][] h3 = new double[2][2][ROWS];
        a.derivatives(a.new Rows(on.tape(), ROWS), values, rows, count, c3, g3, h3, r3);
        double[][] gr = new double[2][ROWS];
        b.gradients(off.tape(), values, rows, count, null, gr);
        same(c3, c2, what + ": the one pass's costs");
        for (int k = 0; k < 2; k++) {
            same(g3[k], g2[k], what + ": the one pass's gradient program " + k);
            same(r3[k], gr[k], what + ": the one pass's reverse gradient " + k);
            for (int j = 0; j < 2; j++) same(h3[k][j], h2[k][j], what + ": the one pass's H[" + k + "][" + j + "]");
        }
    }

    /** Random inputs on the row tape (x with exact zeros, for the kinks), rounded to the dtype. */
    private static void fillInputs(BlockRun.Compiled c, Random rnd, DType dtype) {
        Tape t = c.tape();
        for (int leaf = 2; leaf < c.leaves().length; leaf++) {
            double[] buf = t.valueBuffer(c.leaves()[leaf]);
            for (int p = 0; p < ROWS; p++) buf[p] = (leaf < 2 + N && p % 5 == 0) || p == 0 ? 0 : dtype.round(1.5 * rnd.nextGaussian());
        }
    }

    private static void copyInputs(BlockRun.Compiled from, BlockRun.Compiled to) {
        for (int leaf = 2; leaf < from.leaves().length; leaf++) {
            System.arraycopy(from.tape().valueBuffer(from.leaves()[leaf]), 0, to.tape().valueBuffer(to.leaves()[leaf]), 0, ROWS);
        }
    }

    private static void same(double[] got, double[] want, String what) {
        for (int p = 0; p < got.length; p++) {
            assertThat(Double.doubleToLongBits(got[p])).as("%s, row %d: %s vs %s", what, p, got[p], want[p])
                    .isEqualTo(Double.doubleToLongBits(want[p]));
        }
    }

    /** Whole solves: lm, newton and trust on exp3 and newton and trust on the logistic fit, compiled against interpreted. */
    @Test
    void solvesGiveTheInterpretersBits() {
        int lanes = 90;
        for (DType dtype : DType.values()) {
            for (String opt : List.of("lm", "newton", "trust")) {
                BlockSolver s = ElementTapeTest.exp3("y - (a * exp(-b * x) + c)", opt, dtype);
                Map<String, double[][]> in = ElementTapeTest.rows(lanes, 5);
                BlockResult got = s.solve(lanes, in, ElementTapeTest.starts(lanes), Map.of());
                assertThat(s.kernelPath().compiled()).as(s.kernelPath().describe()).isTrue();
                assertThat(s.kernelPath().describe()).contains("element tape");
                BlockResult want = s.withCodegen(false).solve(lanes, in, ElementTapeTest.starts(lanes), Map.of());
                sameResult(got, want, "exp3 " + opt + " " + dtype, 3);
            }
        }
        for (String opt : List.of("newton", "trust")) {
            BlockSolver s = ElementTapeTest.logistic(opt, 200);
            Map<String, double[][]> in = ElementTapeTest.logisticRows(lanes, 200, 23);
            BlockResult got = s.solve(lanes, in, Map.of(), Map.of());
            assertThat(s.kernelPath().compiled()).as(s.kernelPath().describe()).isTrue();
            BlockResult want = s.withCodegen(false).solve(lanes, in, Map.of(), Map.of());
            sameResult(got, want, "logistic " + opt, 6);
        }
    }

    private static void sameResult(BlockResult got, BlockResult want, String what, int m) {
        same(got.cost(), want.cost(), what + " cost");
        same(got.gradNorm(), want.gradNorm(), what + " grad_norm");
        assertThat(got.steps()).as(what).isEqualTo(want.steps());
        assertThat(got.status()).as(what).isEqualTo(want.status());
        for (int k = 0; k < m; k++) same(got.values()[k][0], want.values()[k][0], what + " variable " + k);
    }

    /**
     * The compiled gradient and Hessian of the logistic body against central differences of the
     * compiled cost and gradient (the rules are the interpreter's, so this checks the wiring: which
     * node, which variable, which entry of the triangle goes where).
     */
    @Test
    void compiledDerivativesMatchCentralDifferences() {
        int rowsN = 5;
        BlockSolver s = ElementTapeTest.logistic("newton", 200);
        BlockRun.Compiled c = BlockRun.compile(s, rowsN);
        ElementTape e = c.elements();
        assertThat(e.interpretedBecause()).isNull();
        Map<String, double[][]> in = ElementTapeTest.logisticRows(rowsN, 200, 29);
        int at = 6;
        for (Map.Entry<String, Integer> x : s.inputSizes().entrySet()) {
            for (int i = 0; i < x.getValue(); i++) {
                System.arraycopy(in.get(x.getKey())[i], 0, c.tape().valueBuffer(c.leaves()[at++]), 0, rowsN);
            }
        }
        Random rnd = new Random(3);
        double[][] values = new double[6][rowsN];
        for (double[] v : values) for (int p = 0; p < rowsN; p++) v[p] = 0.5 * rnd.nextGaussian();
        int[] rows = {0, 1, 2, 3, 4};
        double[] cost = new double[rowsN];
        double[][] grad = new double[6][rowsN];
        double[][][] hess = new double[6][6][rowsN];
        e.derivatives(c.tape(), values, rows, rowsN, cost, grad, hess);
        double[] cp = new double[rowsN];
        double[] cm = new double[rowsN];
        double[][] gp = new double[6][rowsN];
        double[][] gm = new double[6][rowsN];
        for (int k = 0; k < 6; k++) {
            double h = 1e-5;
            double[][] plus = copy(values);
            double[][] minus = copy(values);
            for (int p = 0; p < rowsN; p++) {
                plus[k][p] += h;
                minus[k][p] -= h;
            }
            e.costs(c.tape(), plus, rows, rowsN, cp);
            e.costs(c.tape(), minus, rows, rowsN, cm);
            e.gradients(c.tape(), plus, rows, rowsN, null, gp);
            e.gradients(c.tape(), minus, rows, rowsN, null, gm);
            for (int p = 0; p < rowsN; p++) {
                double fd = (cp[p] - cm[p]) / (2 * h);
                // truncation h^2 |f'''| (a few hundred here) and the cost's rounding 1e-16 |f| / h
                assertThat(grad[k][p]).as("g[%d] row %d", k, p).isCloseTo(fd, within(1e-5 * Math.max(1, Math.abs(fd))));
                for (int j = 0; j < 6; j++) {
                    double hd = (gp[j][p] - gm[j][p]) / (2 * h);
                    assertThat(hess[j][k][p]).as("H[%d][%d] row %d", j, k, p).isCloseTo(hd, within(1e-5 * Math.max(1, Math.abs(hd))));
                }
            }
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }
}
