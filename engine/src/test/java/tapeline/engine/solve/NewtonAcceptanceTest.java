package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * Newton's acceptance near the optimum (issue 23): strictly convex logistic fits per row, 6
 * parameters and 200 points each, whose last steps decrease the cost by less than its rounding.
 * Judged against the closed-form gradient {@code X^T (sigmoid(X b) - y)}, computed here.
 */
class NewtonAcceptanceTest {

    static final int POINTS = 200;
    static final int FEATURES = 5;

    /** Row data: x[f][i][lane] and y[i][lane], from a fixed seed. */
    static Map<String, double[][]> logisticRows(int lanes, long seed) {
        Random rnd = new Random(seed);
        Map<String, double[][]> in = new LinkedHashMap<>();
        for (int f = 1; f <= FEATURES; f++) in.put("x" + f, new double[POINTS][lanes]);
        in.put("y", new double[POINTS][lanes]);
        for (int l = 0; l < lanes; l++) {
            double[] beta = new double[FEATURES + 1];
            for (int f = 0; f <= FEATURES; f++) beta[f] = rnd.nextGaussian();
            for (int i = 0; i < POINTS; i++) {
                double z = beta[0];
                for (int f = 1; f <= FEATURES; f++) {
                    double x = rnd.nextGaussian();
                    in.get("x" + f)[i][l] = x;
                    z += beta[f] * x;
                }
                in.get("y")[i][l] = rnd.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
            }
        }
        return in;
    }

    static final String COST = "sum(log(1 + exp(b0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5))"
            + " - y * (b0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5))";

    static BlockSolver logisticSolver(SolverSettings s) {
        List<VariableSpec> vars = new java.util.ArrayList<>();
        for (int f = 0; f <= FEATURES; f++) vars.add(new VariableSpec("b" + f, 1));
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (int f = 1; f <= FEATURES; f++) sizes.put("x" + f, POINTS);
        sizes.put("y", POINTS);
        return new BlockSolver(Expression.parse("cost", COST), vars, sizes, "newton", Map.of(), s, DType.FLOAT64);
    }

    /** The closed-form gradient's norm at lane l's result. */
    static double gradNorm(BlockResult r, Map<String, double[][]> in, int l) {
        double[] g = new double[FEATURES + 1];
        for (int i = 0; i < POINTS; i++) {
            double z = r.values()[0][0][l];
            for (int f = 1; f <= FEATURES; f++) z += r.values()[f][0][l] * in.get("x" + f)[i][l];
            double e = 1 / (1 + Math.exp(-z)) - in.get("y")[i][l];
            g[0] += e;
            for (int f = 1; f <= FEATURES; f++) g[f] += e * in.get("x" + f)[i][l];
        }
        double s = 0;
        for (double v : g) s += v * v;
        return Math.sqrt(s);
    }

    /**
     * 64 rows at {@code tolerance.grad = 1e-12}: before the gradient decided the steps the cost cannot
     * see, 24 of them ended MAX_STEPS after 50 steps with gradients of 1e-11..1e-7. Now every row ends
     * CONVERGED within 10 steps, its closed-form gradient at most the tolerance (plus the rounding of
     * the tape's sum); compiled and interpreted give the same bits.
     */
    @Test
    void logisticRowsConvergeBelowTheCostsRounding() {
        int lanes = 64;
        Map<String, double[][]> in = logisticRows(lanes, 23);
        BlockSolver solver = logisticSolver(new SolverSettings(50, 1e-12, 0));
        BlockResult r = solver.solve(lanes, in, Map.of(), Map.of());
        for (int l = 0; l < lanes; l++) {
            assertThat(r.status()[l]).as("row %d: grad %s", l, r.gradNorm()[l]).isEqualTo(LaneStatus.CONVERGED);
            assertThat(r.steps()[l]).as("row %d", l).isLessThanOrEqualTo(10);
            assertThat(r.gradNorm()[l]).isLessThanOrEqualTo(1e-12);
            assertThat(gradNorm(r, in, l)).as("row %d: the closed-form gradient", l).isLessThan(1e-12 + 1e-13);
        }
        BlockResult interpreted = solver.withCodegen(false).solve(lanes, in, Map.of(), Map.of());
        for (int v = 0; v <= FEATURES; v++) {
            assertThat(interpreted.values()[v][0]).containsExactly(r.values()[v][0]);
        }
        assertThat(interpreted.steps()).containsExactly(r.steps());
    }

    /** The rule's cases, by the numbers: Armijo where the cost resolves the change, the gradient where it does not. */
    @Test
    void theCostDecidesWhatItCanResolveTheGradientTheRest() {
        double f0 = 1.0;
        double r = NewtonAcceptance.resolution(f0, DType.FLOAT64);
        assertThat(r).isEqualTo(4096 * Math.ulp(1.0));
        // Far from the optimum: plain Armijo.
        assertThat(NewtonAcceptance.byCost(f0, 0.5, 1, -1, 1e-4, DType.FLOAT64)).isEqualTo(NewtonAcceptance.Judged.TAKE);
        assertThat(NewtonAcceptance.byCost(f0, 0.99999, 1, -1, 0.5, DType.FLOAT64)).isEqualTo(NewtonAcceptance.Judged.REFUSE);
        assertThat(NewtonAcceptance.byCost(f0, 1.001, 1, -1e-20, 1e-4, DType.FLOAT64)).isEqualTo(NewtonAcceptance.Judged.REFUSE);
        assertThat(NewtonAcceptance.byCost(f0, Double.NaN, 1, -1, 1e-4, DType.FLOAT64)).isEqualTo(NewtonAcceptance.Judged.REFUSE);
        // A change within the rounding, Armijo asking for less than it: the gradient decides,
        // a rise of a few ulps included, an unchanged cost included.
        assertThat(NewtonAcceptance.byCost(f0, f0 + 8 * Math.ulp(1.0), 1, -1e-20, 1e-4, DType.FLOAT64))
                .isEqualTo(NewtonAcceptance.Judged.BY_GRADIENT);
        assertThat(NewtonAcceptance.byCost(f0, f0, 1, -1e-20, 1e-4, DType.FLOAT64)).isEqualTo(NewtonAcceptance.Judged.BY_GRADIENT);
        assertThat(NewtonAcceptance.byGradient(1e-8, 1e-15, 1)).isTrue();      // a quadratic-region Newton step
        assertThat(NewtonAcceptance.byGradient(1e-8, 0.75e-8, 0.5)).isTrue();   // (1 - t/2) exactly
        assertThat(NewtonAcceptance.byGradient(1e-8, 0.76e-8, 0.5)).isFalse();
        assertThat(NewtonAcceptance.byGradient(1e-14, 0.99e-14, 1)).isFalse();  // moved within the gradient's rounding
        assertThat(NewtonAcceptance.byGradient(1e-8, Double.NaN, 1)).isFalse();
        // A trust-region trial: half of the model's predicted fall of the gradient norm, (g0 + model) / 2.
        assertThat(NewtonAcceptance.byModelGradient(1e-8, 1e-15, 0)).isTrue();       // an interior Newton step
        assertThat(NewtonAcceptance.byModelGradient(1e-8, 0.59e-8, 0.2e-8)).isTrue();  // below (1 + 0.2) / 2
        assertThat(NewtonAcceptance.byModelGradient(1e-8, 0.61e-8, 0.2e-8)).isFalse();
        assertThat(NewtonAcceptance.byModelGradient(1e-8, 0.5e-8, 1e-8)).isFalse();   // the model predicts no fall
        assertThat(NewtonAcceptance.byModelGradient(1e-8, Double.NaN, 0)).isFalse();
        // float32: its own ulps.
        assertThat(NewtonAcceptance.resolution(1.0, DType.FLOAT32)).isEqualTo(4096 * (double) Math.ulp(1.0f));
    }
}
