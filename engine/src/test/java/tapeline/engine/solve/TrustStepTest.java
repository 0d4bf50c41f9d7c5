package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * {@code optimizer = trust} against closed forms: {@code u^2 - v^2 + v^4} has a saddle at (0, 0)
 * and minima at (0, +-1/sqrt 2) with cost -1/4; Rosenbrock's minimum is (1, 1). The cost never rises
 * along a lane's path (the path is deterministic, so the run cut at k steps is the path's k-th point),
 * a lane ends CONVERGED only by the tolerances, and its bits do not depend on the compiled path, on a
 * pause shipped mid-run, or on the other lanes of its block.
 */
class TrustStepTest {

    static final String SADDLE = "u^2 - v^2 + v^4";
    static final String ROSENBROCK = "100 * (v - u^2)^2 + (1 - u)^2";

    static BlockSolver solver(String cost, SolverSettings s) {
        return new BlockSolver(Expression.parse("cost", cost), List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)),
                Map.of(), "trust", Map.of(), s, DType.FLOAT64);
    }

    static Map<String, double[][]> start(double[] u, double[] v) {
        return Map.of("u", new double[][] {u}, "v", new double[][] {v});
    }

    @Test
    void leavesASaddleAndTheVerdictSaysMinimum() {
        // At (0, 0) the gradient is exactly 0: the tolerance passes, but the Hessian diag(2, -2) says
        // the point is a saddle, and the model's step along v falls.
        BlockResult r = solver(SADDLE, new SolverSettings(100, 1e-10, 0, true)).solve(1, Map.of(), start(new double[] {0}, new double[] {0}), Map.of());
        assertThat(r.status()).containsExactly(LaneStatus.CONVERGED);
        assertThat(r.verdict()).containsExactly(Verdict.MINIMUM);
        assertThat(r.values()[0][0][0]).isCloseTo(0, within(1e-10));
        assertThat(Math.abs(r.values()[1][0][0])).isCloseTo(Math.sqrt(0.5), within(1e-10));
        assertThat(r.cost()[0]).isCloseTo(-0.25, within(1e-15));
        assertThat(r.curvature()[0]).isCloseTo(2, within(1e-8)); // Hessian at the minimum: diag(2, 8)
    }

    @Test
    void indefiniteStartsReachTheMinima() {
        // (1, 0.1): Hessian diag(2, -1.88), indefinite; (0.5, -0.2): diag(2, -1.52).
        BlockResult r = solver(SADDLE, new SolverSettings(100, 1e-10, 0, true))
                .solve(2, Map.of(), start(new double[] {1, 0.5}, new double[] {0.1, -0.2}), Map.of());
        assertThat(r.status()).containsOnly(LaneStatus.CONVERGED);
        assertThat(r.verdict()).containsOnly(Verdict.MINIMUM);
        assertThat(r.values()[1][0][0]).isCloseTo(Math.sqrt(0.5), within(1e-10));
        assertThat(r.values()[1][0][1]).isCloseTo(-Math.sqrt(0.5), within(1e-10));
    }

    @Test
    void rosenbrockReachesItsMinimumWithoutEverClimbing() {
        double[] u = {-1.2, 2, -3};
        double[] v = {1, -2, 8};
        double[] previous = solver(ROSENBROCK, new SolverSettings(0, 0, 0)).solve(3, Map.of(), start(u, v), Map.of()).cost();
        for (int k = 1; k <= 60; k++) {
            BlockResult r = solver(ROSENBROCK, new SolverSettings(k, 0, 0)).solve(3, Map.of(), start(u, v), Map.of());
            assertThat(r.status()).as("no tolerance: never CONVERGED").containsOnly(LaneStatus.MAX_STEPS);
            for (int l = 0; l < 3; l++) assertThat(r.cost()[l]).as("lane %d step %d", l, k).isLessThanOrEqualTo(previous[l]);
            previous = r.cost();
        }
        BlockResult r = solver(ROSENBROCK, new SolverSettings(200, 1e-12, 0, true)).solve(3, Map.of(), start(u, v), Map.of());
        assertThat(r.status()).containsOnly(LaneStatus.CONVERGED);
        assertThat(r.verdict()).containsOnly(Verdict.MINIMUM);
        for (int l = 0; l < 3; l++) {
            assertThat(r.values()[0][0][l]).isCloseTo(1, within(1e-9));
            assertThat(r.values()[1][0][l]).isCloseTo(1, within(1e-9));
        }
    }

    @Test
    void theHardCaseStepsAlongTheNegativeCurvatureDownhill() {
        // H = diag(-1e-3, 1e30), g = (1e7, 1e20) at (0, 0), first radius 1: g's part along u is 1e-13 of
        // its norm, so the subproblem is solved as the hard case, u = tau, |tau| = sqrt(1 - v^2). The
        // subproblem's minimiser (Moré-Sorensen) has u = -a_u / (l_u + lam) < 0: the linear term 1e7 u
        // must fall. Before session 22 tau was always +, and the step climbed along u (the model's
        // predicted fall went negative where the v part was smaller: MGH Meyer 100x sat to MAX_STEPS).
        String cost = "-0.0005 * u^2 + 5e29 * v^2 + 1e7 * u + 1e20 * v";
        BlockResult r = solver(cost, new SolverSettings(1, 0, 0)).solve(1, Map.of(), start(new double[] {0}, new double[] {0}), Map.of());
        assertThat(r.values()[0][0][0]).isCloseTo(-1, within(1e-9));
        assertThat(r.values()[1][0][0]).isCloseTo(-1e-10, within(1e-15)); // -g_v / H_vv
        assertThat(r.cost()[0]).isCloseTo(-0.0005 - 1e7 + 5e9 - 1e10, within(1e-3));
    }

    @Test
    void anUnboundedCostIsNeverConverged() {
        // u^2 - v^2 falls without bound along v: the radius doubles on every accepted step.
        BlockResult r = solver("u^2 - v^2", new SolverSettings(2000, 1e-8, 0)).solve(1, Map.of(), start(new double[] {1}, new double[] {0.5}), Map.of());
        assertThat(r.status()).containsExactly(LaneStatus.DIVERGED);
    }

    static void assertSameBits(BlockResult a, BlockResult b, int laneA, int laneB) {
        for (int k = 0; k < 2; k++) {
            assertThat(Double.doubleToRawLongBits(a.values()[k][0][laneA])).isEqualTo(Double.doubleToRawLongBits(b.values()[k][0][laneB]));
        }
        assertThat(Double.doubleToRawLongBits(a.cost()[laneA])).isEqualTo(Double.doubleToRawLongBits(b.cost()[laneB]));
        assertThat(a.steps()[laneA]).isEqualTo(b.steps()[laneB]);
        assertThat(a.status()[laneA]).isEqualTo(b.status()[laneB]);
    }

    static final SolverSettings BITS = new SolverSettings(200, 1e-12, 0, true);
    static final double[] U = {-1.2, 2, -3};
    static final double[] V = {1, -2, 8};

    @Test
    void compiledAndInterpretedAgree() {
        BlockSolver onCompiled = solver(ROSENBROCK, BITS);
        BlockResult compiled = onCompiled.solve(3, Map.of(), start(U, V), Map.of());
        assertThat(onCompiled.kernelPath().compiled()).as(onCompiled.kernelPath().describe()).isTrue();
        BlockResult interpreted = solver(ROSENBROCK, BITS).withCodegen(false).solve(3, Map.of(), start(U, V), Map.of());
        for (int l = 0; l < 3; l++) assertSameBits(compiled, interpreted, l, l);
    }

    @Test
    void serialisedMidRunContinuesBitwise() throws Exception {
        BlockResult alone = solver(ROSENBROCK, BITS).solve(3, Map.of(), start(U, V), Map.of());
        BlockRun run = solver(ROSENBROCK, BITS).start(3, Map.of(), start(U, V), Map.of());
        run.advance(7);
        BlockRun copy = BlockSolverTest.roundTrip(run);
        copy.advance(Integer.MAX_VALUE);
        BlockResult shipped = copy.result();
        for (int l = 0; l < 3; l++) assertSameBits(alone, shipped, l, l);
    }

    @Test
    void aRowsPathDoesNotDependOnItsBlock() {
        BlockResult all = solver(ROSENBROCK, BITS).solve(3, Map.of(), start(U, V), Map.of());
        BlockResult alone = solver(ROSENBROCK, BITS).solve(1, Map.of(), start(new double[] {U[2]}, new double[] {V[2]}), Map.of());
        assertSameBits(all, alone, 2, 0);
    }
}
