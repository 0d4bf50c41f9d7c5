package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * A row's residuals on an element tape ({@link ElementTape}: the body recorded once, the elements
 * of a chunk of rows on lanes) against the same rows on the row's own unrolled tape (the reference,
 * {@link BlockSolver#withElementTape}{@code (false)}), the Jacobian against central differences,
 * and which expressions qualify.
 */
class ElementTapeTest {

    static final int N = 50;
    static final List<VariableSpec> ABC = List.of(new VariableSpec("a", 1), new VariableSpec("b", 1), new VariableSpec("c", 1));

    static BlockSolver exp3(String residual, String optimizer, DType dtype) {
        return BlockSolver.leastSquares(List.of(Expression.parse("residuals", residual)), ABC,
                Map.of("x", N, "y", N), optimizer, Map.of(), new SolverSettings(200, 1e-12, 1e-12, false, 1e-12), dtype);
    }

    /** Noisy {@code y = a exp(-b x) + c} rows, a few of them hard (far starts, scale 1e3). */
    static Map<String, double[][]> rows(int lanes, long seed) {
        Random rnd = new Random(seed);
        double[][] x = new double[N][lanes];
        double[][] y = new double[N][lanes];
        for (int l = 0; l < lanes; l++) {
            double a = 0.5 + 4 * rnd.nextDouble();
            double b = 0.1 + 2 * rnd.nextDouble();
            double c = rnd.nextGaussian();
            double scale = l % 7 == 0 ? 1e3 : 1;
            for (int i = 0; i < N; i++) {
                x[i][l] = 5.0 * i / (N - 1);
                y[i][l] = scale * (a * Math.exp(-b * x[i][l]) + c) + 0.01 * rnd.nextGaussian();
            }
        }
        Map<String, double[][]> in = new LinkedHashMap<>();
        in.put("x", x);
        in.put("y", y);
        return in;
    }

    static Map<String, double[][]> starts(int lanes) {
        double[][] a = new double[1][lanes];
        double[][] b = new double[1][lanes];
        double[][] c = new double[1][lanes];
        for (int l = 0; l < lanes; l++) {
            a[0][l] = l % 5 == 0 ? 100 : 1;
            b[0][l] = l % 3 == 0 ? 5 : 0.5;
            c[0][l] = 0;
        }
        return Map.of("a", a, "b", b, "c", c);
    }

    /**
     * lm on the element tape has the unrolled tape's bits for values, cost, steps, statuses and
     * standard errors: the body on an element is the same ops as its unrolled component, in the same
     * order, and the cost sums the squares in the same chain. Only the gradient norm, the cost's
     * gradient {@code 2 J^T r} summed per row in the elements' order (the unrolled reverse pass
     * accumulates it in another order), differs, by at most 1e-12 relative to {@code ||J|| ||r||}.
     */
    @Test
    void lmOnTheElementTapeHasTheUnrolledTapesBits() {
        for (DType dtype : List.of(DType.FLOAT64, DType.FLOAT32)) {
            int lanes = 300;
            BlockSolver lanesOn = exp3("y - (a * exp(-b * x) + c)", "lm", dtype).withStandardErrors(StandardErrors.Kind.RESIDUALS);
            BlockSolver unrolled = lanesOn.withElementTape(false);
            Map<String, double[][]> in = rows(lanes, 7);
            BlockResult e = lanesOn.solve(lanes, in, starts(lanes), Map.of());
            assertThat(lanesOn.kernelPath().describe()).contains("element tape").contains("50 elements a row");
            BlockResult u = unrolled.solve(lanes, in, starts(lanes), Map.of());
            assertThat(unrolled.kernelPath().describe()).doesNotContain("element tape");
            int converged = 0;
            for (int l = 0; l < lanes; l++) {
                for (int k = 0; k < 3; k++) {
                    assertThat(bits(e.values()[k][0][l])).as("%s lane %d var %d", dtype, l, k).isEqualTo(bits(u.values()[k][0][l]));
                    assertThat(bits(e.standardErrors()[k][0][l])).isEqualTo(bits(u.standardErrors()[k][0][l]));
                }
                assertThat(bits(e.cost()[l])).isEqualTo(bits(u.cost()[l]));
                assertThat(e.steps()[l]).isEqualTo(u.steps()[l]);
                assertThat(e.status()[l]).isEqualTo(u.status()[l]);
                // Each of the two sums of N terms 2 r_i J_ik is within N u sum_i |2 r_i J_ik| <= 2 N u ||r|| ||J_k||
                // of the exact one (u the dtype's unit roundoff), with ||J_k|| <= 5 sqrt(N) max(1, |a|) here
                // (x in [0, 5], b > 0 at the fits): twice that bounds their difference, per component.
                double unit = dtype == DType.FLOAT64 ? 0x1p-53 : 0x1p-24;
                double jk = 5 * Math.sqrt(N) * Math.max(1, Math.abs(u.values()[0][0][l]));
                double bound = 2 * Math.sqrt(3) * 2 * N * unit * Math.sqrt(u.cost()[l]) * jk;
                assertThat(Math.abs(e.gradNorm()[l] - u.gradNorm()[l])).as("%s grad_norm lane %d", dtype, l).isLessThanOrEqualTo(bound);
                if (e.status()[l] == LaneStatus.CONVERGED) converged++;
            }
            if (dtype == DType.FLOAT64) assertThat(converged).isGreaterThan(lanes * 9 / 10); // float32 at these tolerances runs to MAX_STEPS on both paths
        }
    }

    /** The element tape's compiled passes give its interpreter's bits (ElementCompiledTest has every op), and a row's bits do not depend on its block. */
    @Test
    void codegenAndPartitioningDoNotChangeTheBits() {
        int lanes = 120;
        BlockSolver s = exp3("y - (a * exp(-b * x) + c)", "lm", DType.FLOAT64);
        Map<String, double[][]> in = rows(lanes, 11);
        BlockResult all = s.solve(lanes, in, starts(lanes), Map.of());
        BlockResult interpreted = s.withCodegen(false).solve(lanes, in, starts(lanes), Map.of());
        // rows 37..119 alone, as another partition would see them
        int from = 37;
        int rest = lanes - from;
        Map<String, double[][]> part = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            double[][] c = new double[v.length][rest];
            for (int i = 0; i < v.length; i++) System.arraycopy(v[i], from, c[i], 0, rest);
            part.put(k, c);
        });
        Map<String, double[][]> init = new LinkedHashMap<>();
        starts(lanes).forEach((k, v) -> init.put(k, new double[][] {java.util.Arrays.copyOfRange(v[0], from, lanes)}));
        BlockResult tail = s.solve(rest, part, init, Map.of());
        for (int l = 0; l < lanes; l++) {
            assertThat(bits(all.gradNorm()[l])).isEqualTo(bits(interpreted.gradNorm()[l]));
            assertThat(bits(all.cost()[l])).isEqualTo(bits(interpreted.cost()[l]));
            for (int k = 0; k < 3; k++) assertThat(bits(all.values()[k][0][l])).isEqualTo(bits(interpreted.values()[k][0][l]));
            if (l < from) continue;
            assertThat(bits(all.gradNorm()[l])).isEqualTo(bits(tail.gradNorm()[l - from]));
            assertThat(all.steps()[l]).isEqualTo(tail.steps()[l - from]);
            for (int k = 0; k < 3; k++) assertThat(bits(all.values()[k][0][l])).isEqualTo(bits(tail.values()[k][0][l - from]));
        }
    }

    /** The element tape's Jacobian against central differences of its own residuals, at points off the fit. */
    @Test
    void jacobianMatchesCentralDifferences() {
        BlockSolver s = exp3("y - (a * exp(-b * x) + c) / (1 + c^2) + sin(a * x)", "lm", DType.FLOAT64);
        BlockRun.Compiled c = BlockRun.compile(s, 4);
        assertThat(c.elements()).isNotNull();
        Map<String, double[][]> in = rows(4, 3);
        // the row tape's input leaves follow the variables' in the solver's input order
        tapeline.engine.tape.Tape rowTape = c.tape();
        int at = 3;
        for (Map.Entry<String, Integer> e : s.inputSizes().entrySet()) {
            for (int i = 0; i < e.getValue(); i++) System.arraycopy(in.get(e.getKey())[i], 0, rowTape.valueBuffer(c.leaves()[at++]), 0, 4);
        }
        double[][] values = {{1.3, -0.4, 2.2, 0.7}, {0.2, 0.9, 1.5, 0.05}, {-0.3, 0.4, 2.0, -1.1}};
        int[] rows = {0, 1, 2, 3};
        double[][] r = new double[4][N]; // row by row: r[p][i], jac[p][k N + i]
        double[][] jac = new double[4][N * 3];
        c.elements().residuals(rowTape, values, rows, 4, r, jac);
        double[][] rp = new double[4][N];
        double[][] rm = new double[4][N];
        for (int k = 0; k < 3; k++) {
            double[][] plus = copy(values);
            double[][] minus = copy(values);
            for (int p = 0; p < 4; p++) {
                double h = 1e-6 * Math.max(1, Math.abs(values[k][p]));
                plus[k][p] += h;
                minus[k][p] -= h;
            }
            c.elements().residuals(rowTape, plus, rows, 4, rp, null);
            c.elements().residuals(rowTape, minus, rows, 4, rm, null);
            for (int p = 0; p < 4; p++) {
                double h = plus[k][p] - values[k][p];
                for (int i = 0; i < N; i++) {
                    double fd = (rp[p][i] - rm[p][i]) / (2 * h);
                    // truncation h^2 f''' and the residual's rounding eps |r| / h
                    double tol = 1e-7 * Math.max(1, Math.abs(fd)) + 1e-9 * Math.abs(r[p][i]);
                    assertThat(jac[p][k * N + i]).as("J[%d][%d] row %d", i, k, p).isCloseTo(fd, within(tol));
                }
            }
        }
        // and the residuals are the expression's own values
        for (int p = 0; p < 4; p++) {
            double a = values[0][p];
            double b = values[1][p];
            double cc = values[2][p];
            for (int i = 0; i < N; i++) {
                double x = in.get("x")[i][p];
                double want = in.get("y")[i][p] - (a * Math.exp(-b * x) + cc) / (1 + cc * cc) + Math.sin(a * x);
                assertThat(r[p][i]).isCloseTo(want, within(1e-12 * Math.max(1, Math.abs(want))));
            }
        }
    }

    /** Only bodies that read every array element by element qualify; the others say why, and the log line says it too. */
    @Test
    void onlyElementwiseResidualsQualify() {
        assertThat(ElementTape.why(exp3("y - a * exp(-b * x) - c", "lm", DType.FLOAT64))).isNull();
        assertThat(ElementTape.why(logistic("newton", N))).isNull();
        BlockSolver notASum = new BlockSolver(Expression.parse("cost", "sum((y - a * x)^2) + b^2"), ABC.subList(0, 2),
                Map.of("x", N, "y", N), "newton", Map.of(), new SolverSettings(50, 0, 0), DType.FLOAT64);
        assertThat(ElementTape.why(notASum)).contains("not one sum(...)");
        BlockSolver nested = new BlockSolver(Expression.parse("cost", "sum((y - a * x - b * sum(x))^2)"), ABC.subList(0, 2),
                Map.of("x", N, "y", N), "trust", Map.of(), new SolverSettings(50, 0, 0), DType.FLOAT64);
        assertThat(ElementTape.why(nested)).contains("reduce an array (sum(x))");
        assertThat(ElementTape.why(exp3("y - a * exp(-b * x[0]) - c", "lm", DType.FLOAT64))).contains("read one element (x[0])");
        assertThat(ElementTape.why(exp3("y - a * sum(x) / 50 - c * b", "lm", DType.FLOAT64))).contains("reduce an array (sum(x))");
        assertThat(ElementTape.why(exp3("y - a * dot(x, x) - c * b", "lm", DType.FLOAT64))).contains("reduce an array");
        BlockSolver list = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - a * x"), Expression.parse("residuals", "b - c")),
                ABC, Map.of("x", N, "y", N), "lm", Map.of(), new SolverSettings(50, 0, 0, false, 0), DType.FLOAT64);
        assertThat(ElementTape.why(list)).contains("a list of 2 expressions");
        BlockSolver vectorVar = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - w * x")),
                List.of(new VariableSpec("w", N)), Map.of("x", N, "y", N), "lm", Map.of(), new SolverSettings(50, 0, 0, false, 0), DType.FLOAT64);
        assertThat(ElementTape.why(vectorVar)).contains("variable w is a vector");
        BlockSolver lengths = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - a * x + b * z[0] + c")),
                ABC, Map.of("x", N, "y", N, "z", 3), "lm", Map.of(), new SolverSettings(50, 0, 0, false, 0), DType.FLOAT64);
        assertThat(ElementTape.why(lengths)).contains("read one element (z[0])");
        // a scalar input is copied per lane: it qualifies
        BlockSolver scalarInput = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - a * exp(-b * x) - c * t")),
                ABC, Map.of("x", N, "y", N, "t", 1), "lm", Map.of(), new SolverSettings(50, 0, 0, false, 0), DType.FLOAT64);
        assertThat(ElementTape.why(scalarInput)).isNull();

        // the unrolled path's log line says why
        BlockSolver indexed = exp3("y - (a * exp(-b * x) + c) + 0 * x[0]", "lm", DType.FLOAT64);
        indexed.solve(2, rows(2, 5), starts(2), Map.of());
        assertThat(indexed.kernelPath().describe()).contains("unrolled tape: the residuals read one element (x[0])");
    }

    /** A scalar input copied per lane gives the unrolled tape's bits as well. */
    @Test
    void aScalarInputIsCopiedPerLane() {
        int lanes = 40;
        BlockSolver s = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - (a * exp(-b * x) + c * t)")),
                ABC, Map.of("x", N, "y", N, "t", 1), "lm", Map.of(), new SolverSettings(200, 1e-12, 1e-12, false, 1e-12), DType.FLOAT64);
        Map<String, double[][]> in = rows(lanes, 13);
        double[][] t = new double[1][lanes];
        for (int l = 0; l < lanes; l++) t[0][l] = 0.5 + l;
        in.put("t", t);
        BlockResult e = s.solve(lanes, in, starts(lanes), Map.of());
        assertThat(s.kernelPath().describe()).contains("element tape");
        BlockResult u = s.withElementTape(false).solve(lanes, in, starts(lanes), Map.of());
        for (int l = 0; l < lanes; l++) {
            for (int k = 0; k < 3; k++) assertThat(bits(e.values()[k][0][l])).isEqualTo(bits(u.values()[k][0][l]));
            assertThat(e.status()[l]).isEqualTo(u.status()[l]);
        }
    }

    static final String M = "(b + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4 + w5 * x5)";
    static final List<String> W = List.of("b", "w1", "w2", "w3", "w4", "w5");

    /** The 6-parameter logistic fit per row: {@code cost = sum(softplus(m) - y * m)} over {@code points}-element arrays. */
    static BlockSolver logistic(String optimizer, int points) {
        List<VariableSpec> vars = new java.util.ArrayList<>();
        for (String w : W) vars.add(new VariableSpec(w, 1));
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String c : List.of("x1", "x2", "x3", "x4", "x5", "y")) sizes.put(c, points);
        return new BlockSolver(Expression.parse("cost", "sum(softplus(" + M + ") - y * " + M + ")"), vars, sizes,
                optimizer, Map.of(), new SolverSettings(100, 1e-9, 0), DType.FLOAT64);
    }

    static Map<String, double[][]> logisticRows(int lanes, int points, long seed) {
        Random rnd = new Random(seed);
        Map<String, double[][]> in = new LinkedHashMap<>();
        for (String c : List.of("x1", "x2", "x3", "x4", "x5", "y")) in.put(c, new double[points][lanes]);
        for (int l = 0; l < lanes; l++) {
            double[] w = new double[6];
            for (int k = 0; k < 6; k++) w[k] = rnd.nextGaussian();
            for (int i = 0; i < points; i++) {
                double m = w[0];
                for (int k = 1; k <= 5; k++) {
                    double x = rnd.nextGaussian();
                    in.get("x" + k)[i][l] = x;
                    m += w[k] * x;
                }
                in.get("y")[i][l] = rnd.nextDouble() < 1 / (1 + Math.exp(-m)) ? 1 : 0;
            }
        }
        return in;
    }

    /**
     * newton and trust on the element tape against the unrolled tape: the cost's gradient and Hessian
     * are sums over a row's elements taken in another order, so the bits differ. On the strictly convex
     * logistic fit every row's parameters agree to 1e-7 (1 + |x|) and its cost to 1e-12 relative (both
     * paths stop within the gradient tolerance 1e-9 of the same minimiser); a row at the edge of the
     * tolerances may end CONVERGED on one path and MAX_STEPS on the other (trust's stall near the optimum,
     * issue 23), so the counts agree to 1 in 30 of the rows. On exp3 the rows converged on both agree to
     * 1e-6 (1 + |x|) and the counts to 1 in 20.
     */
    @Test
    void newtonAndTrustOnTheElementTapeAgreeWithTheUnrolledTape() {
        int lanes = 60;
        for (String opt : List.of("newton", "trust")) {
            BlockSolver on = logistic(opt, 200);
            Map<String, double[][]> in = logisticRows(lanes, 200, 17);
            BlockResult e = on.solve(lanes, in, Map.of(), Map.of());
            assertThat(on.kernelPath().describe()).contains("element tape: the cost").contains("200 elements a row");
            BlockSolver off = on.withElementTape(false);
            BlockResult u = off.solve(lanes, in, Map.of(), Map.of());
            assertThat(off.kernelPath().describe()).doesNotContain("element tape");
            // A row at the edge of the tolerances (newton's and trust's stall near the optimum, issue 23) may
            // end CONVERGED on one path and MAX_STEPS on the other: at most 1 in 20, at the same point.
            int converged = 0;
            int differ = 0;
            for (int l = 0; l < lanes; l++) {
                if (e.status()[l] != u.status()[l]) {
                    differ++;
                    assertThat(List.of(e.status()[l], u.status()[l])).containsOnly(LaneStatus.CONVERGED, LaneStatus.MAX_STEPS);
                }
                if (e.status()[l] == LaneStatus.CONVERGED) converged++;
                for (int k = 0; k < 6; k++) {
                    double x = u.values()[k][0][l];
                    assertThat(e.values()[k][0][l]).as("%s lane %d %s", opt, l, W.get(k)).isCloseTo(x, within(1e-7 * (1 + Math.abs(x))));
                }
                assertThat(e.cost()[l]).isCloseTo(u.cost()[l], within(1e-12 * Math.abs(u.cost()[l])));
            }
            int convergedUnrolled = 0;
            for (int l = 0; l < lanes; l++) if (u.status()[l] == LaneStatus.CONVERGED) convergedUnrolled++;
            // measured: newton 60 and 60 (none differ), trust 47 and 48 (7 differ)
            assertThat(differ).as(opt).isLessThanOrEqualTo(lanes / 6);
            assertThat(Math.abs(converged - convergedUnrolled)).as(opt).isLessThanOrEqualTo(lanes / 30);
            assertThat(converged).as(opt).isGreaterThan(lanes / 2);
            BlockSolver ls = exp3("y - (a * exp(-b * x) + c)", opt, DType.FLOAT64);
            Map<String, double[][]> rows = rows(lanes, 19);
            BlockResult re = ls.solve(lanes, rows, starts(lanes), Map.of());
            assertThat(ls.kernelPath().describe()).contains("element tape: the residuals");
            BlockResult ru = ls.withElementTape(false).solve(lanes, rows, starts(lanes), Map.of());
            int convergedE = 0;
            int convergedU = 0;
            for (int l = 0; l < lanes; l++) {
                if (re.status()[l] == LaneStatus.CONVERGED) convergedE++;
                if (ru.status()[l] == LaneStatus.CONVERGED) convergedU++;
                if (re.status()[l] != LaneStatus.CONVERGED || ru.status()[l] != LaneStatus.CONVERGED) continue;
                for (int k = 0; k < 3; k++) {
                    double x = ru.values()[k][0][l];
                    assertThat(re.values()[k][0][l]).as("%s exp3 lane %d", opt, l).isCloseTo(x, within(1e-6 * (1 + Math.abs(x))));
                }
            }
            assertThat(Math.abs(convergedE - convergedU)).as(opt + " exp3").isLessThanOrEqualTo(lanes / 20);
            assertThat(convergedE).as(opt + " exp3").isGreaterThan(lanes / 6); // measured: trust 51 of 60 on both paths (24 before session 22: rows at the minimiser whose radius had collapsed failed the step test); the 9 left have gradients of 1e-10..1e-7 against the absolute 1e-12
        }
    }

    /** The per-row sums of the body's gradients and Hessians against central differences of the per-row cost. */
    @Test
    void perRowGradientAndHessianMatchCentralDifferences() {
        int lanes = 3;
        int points = 40;
        BlockSolver s = logistic("newton", points);
        BlockRun.Compiled c = BlockRun.compile(s, lanes);
        assertThat(c.elements()).isNotNull();
        assertThat(c.hessian()).as("the row tape's derivative program is not recorded").isNull();
        Map<String, double[][]> in = logisticRows(lanes, points, 23);
        tapeline.engine.tape.Tape rowTape = c.tape();
        int at = 6;
        for (Map.Entry<String, Integer> e : s.inputSizes().entrySet()) {
            for (int i = 0; i < e.getValue(); i++) System.arraycopy(in.get(e.getKey())[i], 0, rowTape.valueBuffer(c.leaves()[at++]), 0, lanes);
        }
        double[][] x = new double[6][lanes];
        Random rnd = new Random(5);
        for (double[] v : x) for (int p = 0; p < lanes; p++) v[p] = 0.7 * rnd.nextGaussian();
        int[] rows = {0, 1, 2};
        double[] cost = new double[lanes];
        double[][] g = new double[6][lanes];
        double[][][] h = new double[6][6][lanes];
        c.elements().derivatives(rowTape, x, rows, lanes, cost, g, h);
        double[] cp = new double[lanes];
        double[] cm = new double[lanes];
        double[][] gp = new double[6][lanes];
        double[][] gm = new double[6][lanes];
        double[] c0 = new double[lanes];
        double[][] g0 = new double[6][lanes];
        c.elements().gradients(rowTape, x, rows, lanes, c0, g0);
        for (int k = 0; k < 6; k++) {
            double hh = 1e-5;
            double[][] plus = copy(x);
            double[][] minus = copy(x);
            for (int p = 0; p < lanes; p++) {
                plus[k][p] += hh;
                minus[k][p] -= hh;
            }
            c.elements().costs(rowTape, plus, rows, lanes, cp);
            c.elements().costs(rowTape, minus, rows, lanes, cm);
            c.elements().gradients(rowTape, plus, rows, lanes, null, gp);
            c.elements().gradients(rowTape, minus, rows, lanes, null, gm);
            for (int p = 0; p < lanes; p++) {
                assertThat(bits(g0[k][p])).as("the gradient pass and the Hessian program's gradient").isEqualTo(bits(g[k][p]));
                assertThat(c0[p]).isEqualTo(cost[p]);
                double fd = (cp[p] - cm[p]) / (2 * hh);
                assertThat(g[k][p]).as("g[%d] row %d", k, p).isCloseTo(fd, within(1e-6 * (1 + Math.abs(fd))));
                for (int j = 0; j < 6; j++) {
                    double fd2 = (gp[j][p] - gm[j][p]) / (2 * hh);
                    assertThat(h[j][k][p]).as("H[%d][%d] row %d", j, k, p).isCloseTo(fd2, within(1e-6 * (1 + Math.abs(fd2))));
                }
            }
        }
        // and the cost is the row's own sum, written out
        for (int p = 0; p < lanes; p++) {
            double want = 0;
            for (int i = 0; i < points; i++) {
                double m = x[0][p];
                for (int k = 1; k <= 5; k++) m += x[k][p] * in.get("x" + k)[i][p];
                want += Math.log1p(Math.exp(m)) - in.get("y")[i][p] * m;
            }
            assertThat(cost[p]).isCloseTo(want, within(1e-11 * Math.abs(want)));
        }
    }

    /** newton and trust on the element tape: compiled and interpreted give the same bits, and a row's bits do not depend on its block. */
    @Test
    void newtonAndTrustBitsDoNotDependOnCodegenOrBlock() {
        int lanes = 50;
        for (String opt : List.of("newton", "trust")) {
            BlockSolver s = logistic(opt, 100);
            Map<String, double[][]> in = logisticRows(lanes, 100, 29);
            BlockResult all = s.solve(lanes, in, Map.of(), Map.of());
            BlockResult interpreted = s.withCodegen(false).solve(lanes, in, Map.of(), Map.of());
            int from = 21;
            int rest = lanes - from;
            Map<String, double[][]> part = new LinkedHashMap<>();
            in.forEach((k, v) -> {
                double[][] c = new double[v.length][rest];
                for (int i = 0; i < v.length; i++) System.arraycopy(v[i], from, c[i], 0, rest);
                part.put(k, c);
            });
            BlockResult tail = s.solve(rest, part, Map.of(), Map.of());
            for (int l = 0; l < lanes; l++) {
                assertThat(bits(all.gradNorm()[l])).isEqualTo(bits(interpreted.gradNorm()[l]));
                for (int k = 0; k < 6; k++) assertThat(bits(all.values()[k][0][l])).isEqualTo(bits(interpreted.values()[k][0][l]));
                if (l < from) continue;
                assertThat(all.steps()[l]).isEqualTo(tail.steps()[l - from]);
                assertThat(bits(all.cost()[l])).isEqualTo(bits(tail.cost()[l - from]));
                for (int k = 0; k < 6; k++) assertThat(bits(all.values()[k][0][l])).as(opt).isEqualTo(bits(tail.values()[k][0][l - from]));
            }
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    private static long bits(double v) {
        return Double.doubleToRawLongBits(v);
    }
}
