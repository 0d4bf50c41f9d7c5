package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.LaneStatus;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.solve.Verdict;

/**
 * {@link Op#DOT}'s second-order rule: the Hessian of a cost through {@code dot} (a model's
 * {@code dot(w, x)} with shared weights, the node {@link Tape#recordDot} makes in float64) against
 * finite differences of its gradient, and against the same cost written out
 * ({@code w0*x0 + w1*x1 + ...}), whose arithmetic is the same, bit for bit. Before the rule a
 * Hessian, newton or the verdict through a DOT node was refused ("op DOT has no rule").
 */
class DotSecondOrderTest {
    private static final int LANES = 13;

    /** One problem: shared weights w (and b), per-lane data x and y. */
    record Model(double[][] w, double[] b, double[][] x, double[] y) {
        static Model random(long seed, int k) {
            Random r = new Random(seed);
            double[][] w = new double[k][1];
            double[][] x = new double[k][LANES];
            double[] y = new double[LANES];
            for (int j = 0; j < k; j++) {
                w[j][0] = -1 + 2 * r.nextDouble();
                for (int l = 0; l < LANES; l++) x[j][l] = -2 + 4 * r.nextDouble();
            }
            for (int l = 0; l < LANES; l++) y[l] = -1 + 2 * r.nextDouble();
            return new Model(w, new double[] {0.3 - r.nextDouble()}, x, y);
        }

        Model withW(int j, double v) {
            double[][] w2 = new double[w.length][];
            for (int i = 0; i < w.length; i++) w2[i] = w[i].clone();
            w2[j][0] = v;
            return new Model(w2, b, x, y);
        }
    }

    /** The costs: a least-squares fit, a logistic loss, and dot with shared-by-shared pairs and a repeated weight. */
    static final Map<String, String> COSTS = Map.of(
            "least squares", "square(y - (b + dot(w, x)))",
            "logistic", "softplus(b + dot(w, x)) - y * (b + dot(w, x))",
            "shared pairs", "square(dot(w, x) * 0.5 + dot(w, w) - y) + sin(dot(w, x)) * b");

    /** The same costs with every dot written out, left to right. */
    static String writtenOut(String cost, int k) {
        StringBuilder wx = new StringBuilder("(");
        StringBuilder ww = new StringBuilder("(");
        for (int j = 0; j < k; j++) {
            wx.append(j == 0 ? "" : " + ").append("w[").append(j).append("] * x[").append(j).append(']');
            ww.append(j == 0 ? "" : " + ").append("w[").append(j).append("] * w[").append(j).append(']');
        }
        return cost.replace("dot(w, x)", wx.append(')').toString()).replace("dot(w, w)", ww.append(')').toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"least squares", "logistic", "shared pairs"})
    void hessianThroughDotEqualsTheWrittenOutSumBitForBitAndFiniteDifferences(String name) {
        for (long seed = 1; seed <= 4; seed++) {
            for (int k : new int[] {1, 2, 5}) {
                Model m = Model.random(seed * 31 + k, k);
                String cost = COSTS.get(name);
                Result dot = evaluate(cost, m, true);
                Result spelled = evaluate(writtenOut(cost, k), m, false);
                String what = name + ", k = " + k + ", seed " + seed;
                assertThat(dot.value).as(what + ": value").isEqualTo(spelled.value);
                assertThat(dot.grad).as(what + ": gradient").isEqualTo(spelled.grad);
                assertThat(dot.hess).as(what + ": Hessian").isDeepEqualTo(spelled.hess);
                // Against central differences of the gradient (first-order rules) in each weight and b.
                for (int j = 0; j <= k; j++) {
                    double[] numeric = differenceOfGradient(cost, m, j);
                    for (int i = 0; i <= k; i++) {
                        double tol = 1e-6 * Math.max(1, Math.abs(numeric[i]));
                        assertThat(dot.hess[i][j]).as("%s: H[%d][%d]", what, i, j).isCloseTo(numeric[i], within(tol));
                    }
                }
            }
        }
    }

    /**
     * Through the GradientTape API (what used to be refused with "op DOT"): shared a, b and lanes
     * x = 1, 2, 3; {@code y = dot([a, b], [a x, b])} is {@code a^2 x + b^2} in each lane, so the
     * Hessian of its lane sum is {@code [[2 (1 + 2 + 3), 0], [0, 2 * 3]]}.
     */
    @Test
    void gradientTapeHessianThroughDotIsTheClosedForm() {
        Variable a = Variable.scalar("a", 0.5, DType.FLOAT64);
        Variable b = Variable.scalar("b", -1.5, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor x = tape.constant(1, 2, 3);
            Tensor ta = tape.read(a);
            Tensor tb = tape.read(b);
            Tensor y = Tensor.dot(new Tensor[] {ta, tb}, new Tensor[] {ta.mul(x), tb});
            assertThat(tape.tape().op(y.node())).isEqualTo(Op.DOT);
            double[][][] h = tape.hessian(y, a, b);
            assertThat(h[0][0]).containsExactly(12.0);
            assertThat(h[0][1]).containsExactly(0.0);
            assertThat(h[1][0]).containsExactly(0.0);
            assertThat(h[1][1]).containsExactly(6.0);
        }
    }

    /**
     * A shared value read directly by a lane op (float64's ADD, SUB, MUL, DOT) whose cotangent is a
     * scalar (the seed, or one that stands for the same value in every lane): its gradient is that
     * value times the number of lanes, as the numeric rule's lane sum gives. The gradient program
     * gave the scalar itself (1 instead of 3 below) until the reduction took scalars too.
     */
    @ParameterizedTest
    @ValueSource(strings = {"x + s", "x - s", "s * s + x", "x + dot(s, 2)", "dot(s, s) - x", "dot(x, s) + s"})
    void aSharedInputOfALaneOpGetsTheLaneSumAlsoOfAScalarCotangent(String text) {
        for (DType dtype : DType.values()) {
            Tape t = new Tape(dtype);
            int s = t.variable(new double[] {0.5}, false, true);
            Tensor x = t.tensor(t.constant(new double[] {1, 2, 3}));
            Tensor y = Compiler.compile(Expression.parse(text), Map.of("x", new Tensor[] {x}, "s", new Tensor[] {t.tensor(s)}));
            int g = t.gradientProgram(y.node(), new int[] {s})[0];
            t.forward();
            t.backward(y.node());
            assertThat(t.values(g)).as(text + " in " + dtype).containsExactly(t.gradient(s)[0]);
        }
        // and the closed form, for one of them: d/ds sum(x + s^2) over 3 lanes = 6 s = 3
        Tape t = new Tape(DType.FLOAT64);
        int s = t.variable(new double[] {0.5}, false, true);
        int y = t.tensor(t.constant(new double[] {1, 2, 3})).add(t.tensor(s).mul(t.tensor(s))).node();
        int g = t.gradientProgram(y, new int[] {s})[0];
        t.forward();
        assertThat(t.values(g)).containsExactly(3.0);
    }

    /** The node under test really is a DOT (not the written-out sum recordDot makes without shared parts). */
    @Test
    void theCostRecordsADotNode() {
        Model m = Model.random(5, 3);
        Tape t = new Tape(DType.FLOAT64);
        record(t, COSTS.get("least squares"), m, true);
        boolean hasDot = false;
        for (int i = 0; i < t.size(); i++) hasDot |= t.op(i) == Op.DOT;
        assertThat(hasDot).as(t.toString()).isTrue();
    }

    /**
     * A sweep whose cost takes dot of a per-lane variable with a literal (shared): newton and the
     * verdict now run through the DOT node and find the closed-form minimiser u = c / 2, v = 0.
     */
    @Test
    void newtonAndTheVerdictRunThroughDotInASweep() {
        BlockSolver s = new BlockSolver(Expression.parse("cost", "square(dot(u, 2) - c) + square(v) * cosh(v)"),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), "newton", Map.of(),
                new SolverSettings(50, 1e-12, 0, true), DType.FLOAT64);
        int n = 9;
        double[] c = new double[n];
        double[] u0 = new double[n];
        double[] v0 = new double[n];
        for (int l = 0; l < n; l++) {
            c[l] = -2 + 0.5 * l;
            u0[l] = 1 - 0.25 * l;
            v0[l] = 0.1 * l - 0.4;
        }
        Map<String, double[][]> inputs = Map.of("c", new double[][] {c});
        Map<String, double[][]> init = Map.of("u", new double[][] {u0}, "v", new double[][] {v0});
        BlockResult r = s.solve(n, inputs, init, Map.of());
        BlockResult interpreted = s.withCodegen(false).solve(n, inputs, init, Map.of());
        for (int l = 0; l < n; l++) {
            assertThat(r.status()[l]).as("lane %d: %s", l, r.error()[l]).isEqualTo(LaneStatus.CONVERGED);
            assertThat(r.values()[0][0][l]).isCloseTo(c[l] / 2, within(1e-9));
            assertThat(r.values()[1][0][l]).isCloseTo(0.0, within(1e-9));
            assertThat(r.verdict()[l]).isEqualTo(Verdict.MINIMUM);
            assertThat(Double.doubleToLongBits(r.values()[0][0][l])).isEqualTo(Double.doubleToLongBits(interpreted.values()[0][0][l]));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    record Result(double value, double[] grad, double[][] hess) { }

    /** Records the cost over the model on t; returns the sources (w0..w{k-1}, b) and the cost node. */
    private static int[] record(Tape t, String cost, Model m, boolean vector) {
        int k = m.w().length;
        Tensor[] w = new Tensor[k];
        Tensor[] x = new Tensor[k];
        int[] nodes = new int[k + 2];
        for (int j = 0; j < k; j++) {
            nodes[j] = t.variable(m.w()[j], false, true);
            w[j] = t.tensor(nodes[j]);
            x[j] = t.tensor(t.constant(m.x()[j]));
        }
        nodes[k] = t.variable(m.b(), false, true);
        Tensor y = t.tensor(t.constant(m.y()));
        Tensor out = Compiler.compile(Expression.parse("cost", cost),
                Map.of("w", w, "x", x, "b", new Tensor[] {t.tensor(nodes[k])}, "y", new Tensor[] {y}));
        nodes[k + 1] = out.node();
        return nodes;
    }

    /** The summed cost, its gradient and its Hessian in (w0..w{k-1}, b), from a HessianProgram. */
    private static Result evaluate(String cost, Model m, boolean vector) {
        Tape t = new Tape(DType.FLOAT64);
        int[] nodes = record(t, cost, m, vector);
        int k = m.w().length;
        int[] src = Arrays.copyOf(nodes, k + 1);
        HessianProgram h = HessianProgram.record(t, nodes[k + 1], src);
        t.forward();
        double[][] g = new double[k + 1][1];
        double[][][] hess = new double[k + 1][k + 1][1];
        h.evaluate(g, hess);
        double value = Op.laneSum(t.valueBuffer(nodes[k + 1]), LANES);
        double[] grad = new double[k + 1];
        double[][] hh = new double[k + 1][k + 1];
        for (int i = 0; i <= k; i++) {
            grad[i] = g[i][0];
            for (int j = 0; j <= k; j++) hh[i][j] = hess[i][j][0];
        }
        return new Result(value, grad, hh);
    }

    /** The first-order gradient (Tape.backward) at the model. */
    private static double[] gradient(String cost, Model m) {
        Tape t = new Tape(DType.FLOAT64);
        int[] nodes = record(t, cost, m, true);
        int k = m.w().length;
        t.backward(nodes[k + 1]);
        double[] g = new double[k + 1];
        for (int i = 0; i <= k; i++) g[i] = t.gradient(nodes[i]) == null ? 0 : t.gradient(nodes[i])[0];
        return g;
    }

    /** d(gradient)/d(source j) by central differences; source k is b. */
    private static double[] differenceOfGradient(String cost, Model m, int j) {
        int k = m.w().length;
        double at = j < k ? m.w()[j][0] : m.b()[0];
        double h = 1e-5 * Math.max(1, Math.abs(at));
        Function<Double, Model> move = v -> j < k ? m.withW(j, v) : new Model(m.w(), new double[] {v}, m.x(), m.y());
        double[] up = gradient(cost, move.apply(at + h));
        double[] down = gradient(cost, move.apply(at - h));
        double[] d = new double[k + 1];
        for (int i = 0; i <= k; i++) d[i] = (up[i] - down[i]) / (2 * h);
        return d;
    }
}
