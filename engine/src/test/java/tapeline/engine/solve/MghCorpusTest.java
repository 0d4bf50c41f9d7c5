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
                    // Converged somewhere unpublished: it must at least be stationary, by a measure blind
                    // to the cost's size and the parameters' units.
                    double cos = cosine(p, r, f);
                    report.append(String.format("    (unpublished end: cosine %.3e, x %s)%n", cos, java.util.Arrays.toString(point(p, r, f))));
                    if (!(cos <= STATIONARY)) {
                        bad.add(String.format("%s %sx: ended CONVERGED at cost %s with gradient norm %s, cosine %s", p.name(),
                                (int) FACTORS[f], r.cost()[f], r.gradNorm()[f], cos));
                    }
                }
            }
        }
        return solved;
    }

    /**
     * The largest cosine of a row that ended CONVERGED somewhere unpublished: 100x lmder's gtol guard
     * ({@link LmStep#COSINE}, sqrt(eps)), for a point that ftol or xtol ended near a stationary point.
     */
    static final double STATIONARY = 1e-6;
    static final double EPS = Math.ulp(1.0);

    static double[] point(MghProblem p, BlockResult r, int lane) {
        double[] x = new double[p.n()];
        for (int k = 0; k < p.n(); k++) x[k] = r.values()[k][0][lane];
        return x;
    }

    /**
     * MINPACK's first-order measure at a row's end (lmder's gtol test): the largest cosine between the
     * residuals r and a column of their Jacobian J, |J_k'r| / (||J_k|| ||r||), over the columns that
     * are not zero at float64's rounding of ||J||; 0 where r = 0. It does not change with the cost's size or the parameters'
     * units, where ||J'r|| against the cost does. It fails where it should: before LmStep's runaway test
     * came first, lm unscaled ended Jennrich-Sampson 10x CONVERGED at cosine 0.999 and Meyer 100x at 0.12.
     * Default lm's Jennrich-Sampson 10x end, sum of squares 259.58 (the minimum is 124.362), passes:
     * 259.58 is the infimum along x1 -> -inf (min over t of sum (2+2i - e^(i t))^2, t = 0.331485), no
     * stationary point at finite x (the x1 column's cosine is 0.16 at every x1 from -5 to -40), but
     * the lane is at x1 = -2.1e7 where that column is exactly 0 in float64 and the x2 column's cosine
     * is 2e-8: stationary at working precision, where scipy's lm also ends (ftol, x1 = -3663)
     * (scripts/mgh-stationary.py).
     * r and J are evaluated at the row's final values on a fresh tape of the same residuals.
     */
    static double cosine(MghProblem p, BlockResult result, int lane) {
        BlockSolver s = solver(p, "lm", Map.of(), new SolverSettings(1, 0, 0, false, 0));
        BlockRun.Compiled c = BlockRun.compile(s, 1);
        for (int k = 0; k < p.n(); k++) c.tape().valueBuffer(c.leaves()[k])[0] = result.values()[k][0][lane];
        int n = c.residuals().length;
        double[][] r = new double[1][n];
        double[][] jac = new double[1][n * p.n()]; // column by column: jac[0][k n + i]
        LmStep.jacobian(c.tape(), c.cost(), c.residuals(), java.util.Arrays.copyOf(c.leaves(), p.n()), 1, r, jac);
        double rn = 0;
        for (int i = 0; i < n; i++) rn += r[0][i] * r[0][i];
        rn = Math.sqrt(rn);
        if (rn == 0) return 0;
        double[] jr = new double[p.n()];
        double[] jn = new double[p.n()];
        double frob = 0;
        for (int k = 0; k < p.n(); k++) {
            for (int i = 0; i < n; i++) {
                jr[k] += jac[0][k * n + i] * r[0][i];
                jn[k] += jac[0][k * n + i] * jac[0][k * n + i];
            }
            frob += jn[k];
            jn[k] = Math.sqrt(jn[k]);
        }
        frob = Math.sqrt(frob);
        double worst = 0;
        for (int k = 0; k < p.n(); k++) {
            // A column at the rounding of J's (Box 3D at x2 = 1000: 1e-44) is a zero column in float64,
            // as lmder skips exact zeros: its cosine measures nothing the cost can show.
            if (jn[k] > EPS * frob) worst = Math.max(worst, Math.abs(jr[k]) / (jn[k] * rn));
        }
        return worst;
    }

    @Test
    void lmSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        // The per-row default since session 24: jac_scaling = 0.5 (BlockSolver.withPerRowDefaults).
        int solved = run("lm", Map.of(), new SolverSettings(2000, 1e-15, 1e-15, false, 1e-15), report, bad);
        System.out.println(report + "lm (default, jac_scaling 0.5) solved " + solved + " of " + 3 * MghProblem.all().size());
        // Beale 100x reaches x1 = -4e6 on its valley to infinity (||J'r|| / ||r||^2 3.7e-4, cosine 7.6e-8):
        // session 23's LmStep asks a row that ran away for ||J'r|| <= sqrt(eps) ||r||^2, so it ends MAX_STEPS.
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // D = the square root of the column norms, never decreasing: 95, scipy trf's count. Not solved: the 7
        // every scaling misses (Powell badly scaled 100x, Beale 10x/100x, Jennrich-Sampson 10x/100x, Gulf
        // 100x, Box 3D 100x), Box 3D 10x (CONVERGED at the stationary point of cost 0.07559, cosine 6e-11)
        // and Chebyquad 10x/100x (MAX_STEPS). Against MINPACK's jac_scaling = 1 (93, below) it gains Powell
        // badly scaled 10x and Biggs EXP6 100x. Only per row: job = train's lm keeps 1, since with 0.5 it
        // cannot solve NIST's MGH17 start 1 (TrainLmTest, docs/curve-fitting.md).
        assertThat(solved).isEqualTo(95);
    }

    @Test
    void lmMinpackScaledSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("lm", Map.of("jac_scaling", 1.0), new SolverSettings(2000, 1e-15, 1e-15, false, 1e-15), report, bad);
        System.out.println(report + "lm jac_scaling 1 solved " + solved + " of " + 3 * MghProblem.all().size());
        // Beale from 10x and 100x creep along Beale's valley to infinity (x1 -> inf, the cost falling to
        // its infimum 0.4520): lmder's xtol passes there, but LmStep's stationarity guard keeps them running.
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // D = the column norms (MINPACK's mode 1; the per-row default until session 24). MINPACK's own lmder
        // (scipy's leastsq, mode 1) solves 93 of the same starts with the same tolerances, the same starts
        // as this (scripts/mgh-minpack.py). Before session 22 this was 92:
        // lmpar's damped solve refactored [J; sqrt(par) D] by Householder, which on a column of J tiny
        // against sqrt(par) returns a step far outside the radius (LmSubproblem), and Gaussian 100x
        // ended at a stationary point of cost 0.281. scipy: trf 95, BFGS 92, trust-exact 93 (bench-curvefit.py).
        assertThat(solved).isEqualTo(93);
    }

    @Test
    void trustSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("trust", Map.of(), new SolverSettings(2000, 1e-10, 0), report, bad);
        System.out.println(report + "trust solved " + solved + " of " + 3 * MghProblem.all().size());
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // scipy on the same starts: trust-exact 93, trf 95 (bench-curvefit.py). 93 until session 22, with D
        // from the Hessian's diagonal (now optimizer.hess_scaling = true). Session 22: D = 1 by default,
        // trf's scaling (TrustRegion says why), 95: gains Beale 10x/100x, Biggs EXP6 1x/100x, Osborne 1
        // 100x, loses Gaussian 100x, Osborne 1 10x, Brown almost-linear 100x; then the hard case's step
        // along v_min downhill (it was always +tau) and no radius growth on a prediction of no fall, 96:
        // gains Box 3D 100x. Not solved: Powell badly scaled 10x/100x (the valley to cost 1e-8 at x2 ->
        // inf), Meyer 100x, Osborne 1 10x (MAX_STEPS), Jennrich-Sampson 100x (cost overflows at the start),
        // Gulf 100x (gradient and Hessian exactly 0 at the start: trf, lm and trust-exact stop there too),
        // Gaussian 100x, Trigonometric 10x, Brown almost-linear 100x (stationary points of higher cost:
        // CONVERGED there, stationary).
        assertThat(solved).isEqualTo(96);
    }

    @Test
    void trustHessianScaledSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("trust", Map.of("hess_scaling", 1.0), new SolverSettings(2000, 1e-10, 0), report, bad);
        System.out.println(report + "trust hess_scaling solved " + solved + " of " + 3 * MghProblem.all().size());
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // trust's default before session 22. Not solved: Powell badly scaled 10x/100x, Beale 10x/100x,
        // Meyer 100x (D_1 grew to 5e37), Biggs EXP6 1x/100x (100x: D_4 = 3e-9 at the start), Jennrich-Sampson
        // 100x, Gulf 100x, Box 3D 100x, Osborne 1 100x, Trigonometric 10x.
        assertThat(solved).isEqualTo(93);
    }

    @Test
    void lmUnscaledSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("lm", Map.of("jac_scaling", 0.0), new SolverSettings(2000, 1e-15, 1e-15, false, 1e-15), report, bad);
        System.out.println(report + "lm unscaled solved " + solved + " of " + 3 * MghProblem.all().size());
        // Before LmStep's runaway test came ahead of its other allowances, Jennrich-Sampson 10x (cosine
        // 0.999, cost 1.9e9) and Meyer 100x (cosine 0.12, cost 1.8e8) ended CONVERGED here.
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        // MINPACK's lmder with diag = 1 (leastsq, mode 2) solves the same 95 (scripts/mgh-minpack.py);
        // scipy's trf (x_scale 1) 95. It was 96 before session 22's lmpar (LmSubproblem): Biggs EXP6
        // 100x then reached 5.66e-3 through a step that the Householder refactoring put outside the
        // radius; now it stalls at 0.306 as MINPACK's does, and Box 3D 10x, lost to such a step, is solved.
        assertThat(solved).isEqualTo(95);
    }

    @Test
    void newtonSolvesTheCorpus() {
        StringBuilder report = new StringBuilder();
        List<String> bad = new ArrayList<>();
        int solved = run("newton", Map.of(), new SolverSettings(2000, 1e-10, 0), report, bad);
        System.out.println(report + "newton solved " + solved + " of " + 3 * MghProblem.all().size());
        // Before the sweep's newton also asked for a minimum at working precision (Stationarity: no
        // negative curvature and a Newton decrement within the cost's rounding, in the variables scaled to
        // unit curvature), Kowalik-Osborne 100x and Osborne 1 100x ended CONVERGED by the absolute
        // tolerance.grad alone (||g|| 1e-10 and 7e-11, cosine 1e-5 and 0.57).
        assertThat(bad).as("rows CONVERGED away from a stationary point").isEmpty();
        assertThat(solved).isEqualTo(87);
    }
}
