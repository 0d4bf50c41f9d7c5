package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * The Moré-Garbow-Hillstrom least-squares corpus from the textbook start, 10x and 100x it (MINPACK's
 * test driver's starts), one lane per start: how many each optimizer solves (reaches a published
 * optimal sum of squares), and that no row ends CONVERGED away from a stationary point.
 */
class MghCorpusTest {

    static final double[] FACTORS = {1, 10, 100};

    static BlockSolver solver(MghProblem p, String optimizer, Map<String, Double> args, SolverSettings s) {
        List<VariableSpec> vars = new ArrayList<>();
        for (int k = 1; k <= p.n(); k++) vars.add(new VariableSpec("x" + k, 1));
        return BlockSolver.leastSquares(Expression.parseList("residuals", p.residuals()), vars, Map.of(),
                optimizer, args, s, DType.FLOAT64);
    }

    /** The three starts of a problem as three lanes. */
    static BlockResult solve(BlockSolver solver, MghProblem p) {
        Map<String, double[][]> init = new LinkedHashMap<>();
        for (int k = 0; k < p.n(); k++) {
            double[] lanes = new double[FACTORS.length];
            for (int f = 0; f < FACTORS.length; f++) lanes[f] = p.start(FACTORS[f])[k];
            init.put("x" + (k + 1), new double[][] {lanes});
        }
        return solver.solve(FACTORS.length, Map.of(), init, Map.of());
    }

    /** Counts solved starts; fails on a CONVERGED row that is not stationary. Returns the count. */
    static int run(String optimizer, Map<String, Double> args, SolverSettings s, StringBuilder report, List<String> bad) {
        int solved = 0;
        for (MghProblem p : MghProblem.all()) {
            BlockResult r = solve(solver(p, optimizer, args, s), p);
            for (int f = 0; f < FACTORS.length; f++) {
                boolean ok = p.solvedBy(r.cost()[f]);
                if (ok) solved++;
                report.append(String.format("%-20s %4sx: %-6s %-9s %5d steps cost %.6e grad %.3e%n", p.name(),
                        (int) FACTORS[f], ok ? "solved" : "-", r.status()[f], r.steps()[f], r.cost()[f], r.gradNorm()[f]));
                if (r.status()[f] == LaneStatus.CONVERGED && !ok) {
                    // Converged somewhere unpublished: it must at least be stationary (relative to the cost's size).
                    if (!(r.gradNorm()[f] <= 1e-6 * Math.max(1, r.cost()[f]))) {
                        bad.add(String.format("%s %sx: ended CONVERGED at cost %s with gradient norm %s", p.name(),
                                (int) FACTORS[f], r.cost()[f], r.gradNorm()[f]));
                    }
                }
            }
        }
        return solved;
    }

    @Test
    void lmSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("lm", Map.of(), new SolverSettings(2000, 1e-15, 1e-15, false, 1e-15), report, bad);
        System.out.println(report + "lm solved " + solved + " of " + 3 * MghProblem.all().size());
        // Beale from 10x and 100x creep along Beale's valley to infinity (x1 -> inf, the cost falling to
        // its infimum 0.4520): lmder's xtol passes there, but LmStep's stationarity guard keeps them running.
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        assertThat(solved).isEqualTo(92); // scipy on the same starts: trf 95, lm 93, BFGS 92, trust-exact 93 (bench-curvefit.py)
    }

    @Test
    void trustSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("trust", Map.of(), new SolverSettings(2000, 1e-10, 0), report, bad);
        System.out.println(report + "trust solved " + solved + " of " + 3 * MghProblem.all().size());
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // scipy on the same starts: trust-exact 93, trf 95 (bench-curvefit.py). Not solved: Powell badly
        // scaled 10x/100x, Beale 10x/100x, Meyer 100x, Biggs EXP6 1x/100x (MAX_STEPS, short of a stationary
        // point), Jennrich-Sampson 100x (cost overflows at the start), Gulf 100x (gradient exactly 0 at the
        // start), Box 3D 100x, Osborne 1 100x, Trigonometric 10x (stationary points of higher cost:
        // CONVERGED there, stationary).
        assertThat(solved).isEqualTo(93);
    }
}
