package tapeline.engine.optim.lbfgs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tapeline.engine.optim.lbfgs.QuasiNewton.Event;
import tapeline.engine.optim.lbfgs.QuasiNewton.Stop;

/**
 * The solvers driven directly by closed-form functions (no tape, no Spark): classic test functions
 * reach their known minima, every accepted L-BFGS step satisfies the strong Wolfe conditions (checked
 * from the values the test itself fed in), OWL-QN meets soft-thresholding and coordinate descent,
 * and a copy taken at any evaluation, in the middle of a line search too, ends with the same bits.
 */
public class QuasiNewtonTest {

    /** f and its gradient, written out. */
    interface Fn {
        double value(double[] x, double[] grad);
    }

    static final Fn ROSENBROCK = (x, g) -> { // extended Rosenbrock: sum over pairs, minimum 0 at (1, ..., 1)
        double f = 0;
        Arrays.fill(g, 0);
        for (int i = 0; i + 1 < x.length; i += 2) {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            f += a * a + 100 * b * b;
            g[i] += -2 * a - 400 * x[i] * b;
            g[i + 1] += 200 * b;
        }
        return f;
    };

    static final Fn BEALE = (x, g) -> { // minimum 0 at (3, 0.5)
        double a = 1.5 - x[0] + x[0] * x[1];
        double b = 2.25 - x[0] + x[0] * x[1] * x[1];
        double c = 2.625 - x[0] + x[0] * x[1] * x[1] * x[1];
        g[0] = 2 * a * (x[1] - 1) + 2 * b * (x[1] * x[1] - 1) + 2 * c * (x[1] * x[1] * x[1] - 1);
        g[1] = 2 * a * x[0] + 2 * b * 2 * x[0] * x[1] + 2 * c * 3 * x[0] * x[1] * x[1];
        return a * a + b * b + c * c;
    };

    static final Fn WOOD = (x, g) -> { // minimum 0 at (1, 1, 1, 1)
        double a = x[1] - x[0] * x[0];
        double b = 1 - x[0];
        double c = x[3] - x[2] * x[2];
        double d = 1 - x[2];
        double e = x[1] + x[3] - 2;
        double h = x[1] - x[3];
        g[0] = -400 * x[0] * a - 2 * b;
        g[1] = 200 * a + 20 * e + 0.2 * h;
        g[2] = -360 * x[2] * c - 2 * d;
        g[3] = 180 * c + 20 * e - 0.2 * h;
        return 100 * a * a + b * b + 90 * c * c + d * d + 10 * e * e + 0.1 * h * h;
    };

    /** What a run saw: the solver, how it stopped, and the objective at every evaluation. */
    record Run(QuasiNewton qn, Stop stop, int evaluations) {}

    /** Drives the solver to a stop, asserting the strong Wolfe conditions at every accepted L-BFGS step. */
    static Run minimize(QuasiNewton qn, Fn fn, int steps, double tolLoss, double tolGrad) {
        double[] prevX = null;
        double prevF = 0;
        double[] prevG = null;
        int evaluations = 0;
        while (true) {
            double[] x = qn.point();
            double[] g = new double[x.length];
            double f = fn.value(x, g);
            evaluations++;
            Event e = qn.tell(f, g);
            if (e == Event.STALLED) return new Run(qn, Stop.STALLED, evaluations);
            if (e != Event.ITERATE) continue;
            if (prevX != null && !qn.isOwlqn()) {
                double gp0 = 0;
                double gp = 0;
                for (int k = 0; k < x.length; k++) {
                    gp0 += prevG[k] * (x[k] - prevX[k]);
                    gp += g[k] * (x[k] - prevX[k]);
                }
                assertThat(gp0).as("a descent step").isNegative();
                assertThat(f).as("sufficient decrease at iteration %d", qn.iteration())
                        .isLessThanOrEqualTo(prevF + StrongWolfeLineSearch.C1 * gp0);
                assertThat(Math.abs(gp)).as("curvature at iteration %d", qn.iteration())
                        .isLessThanOrEqualTo(StrongWolfeLineSearch.C2 * Math.abs(gp0));
            }
            assertThat(qn.x()).isEqualTo(x);
            prevX = x;
            prevF = f;
            prevG = g;
            Stop stop = qn.check(steps, tolLoss, tolGrad);
            if (stop != null) return new Run(qn, stop, evaluations);
        }
    }

    @Test
    void rosenbrockConvergesFromTheClassicStart() {
        Run r = minimize(QuasiNewton.lbfgs(new double[] {-1.2, 1}, 10), ROSENBROCK, 500, 0, 1e-10);
        assertThat(r.stop()).isEqualTo(Stop.GRAD);
        assertThat(r.qn().x()[0]).isCloseTo(1, within(1e-7));
        assertThat(r.qn().x()[1]).isCloseTo(1, within(1e-7));
        assertThat(r.evaluations()).isLessThan(100);
    }

    @Test
    void extendedRosenbrockInTwentyDimensionsConverges() {
        double[] x0 = new double[20];
        for (int i = 0; i < 20; i += 2) {
            x0[i] = -1.2;
            x0[i + 1] = 1;
        }
        Run r = minimize(QuasiNewton.lbfgs(x0, 10), ROSENBROCK, 1000, 0, 1e-10);
        assertThat(r.stop()).isEqualTo(Stop.GRAD);
        for (double v : r.qn().x()) assertThat(v).isCloseTo(1, within(1e-6));
    }

    @Test
    void bealeAndWoodConverge() {
        Run beale = minimize(QuasiNewton.lbfgs(new double[] {1, 1}, 5), BEALE, 500, 0, 1e-10);
        assertThat(beale.stop()).isEqualTo(Stop.GRAD);
        assertThat(beale.qn().x()[0]).isCloseTo(3, within(1e-7));
        assertThat(beale.qn().x()[1]).isCloseTo(0.5, within(1e-7));
        Run wood = minimize(QuasiNewton.lbfgs(new double[] {-3, -1, -3, -1}, 10), WOOD, 500, 0, 1e-10);
        assertThat(wood.stop()).isEqualTo(Stop.GRAD);
        for (double v : wood.qn().x()) assertThat(v).isCloseTo(1, within(1e-7));
    }

    @Test
    void anIllConditionedQuadraticMeetsItsLinearSolve() {
        // f = 0.5 x'Ax - b'x with A = Q diag(1..1e4) Q' (Q a fixed rotation): the minimiser solves Ax = b.
        int n = 12;
        double[][] a = new double[n][n];
        java.util.Random r = new java.util.Random(3);
        double[][] m = new double[n][n];
        for (double[] row : m) for (int j = 0; j < n; j++) row[j] = r.nextGaussian();
        for (int i = 0; i < n; i++) { // Gram-Schmidt: the rows of m become orthonormal, so cond(A) = 1e4 exactly
            for (int p = 0; p < i; p++) {
                double d = 0;
                for (int j = 0; j < n; j++) d += m[i][j] * m[p][j];
                for (int j = 0; j < n; j++) m[i][j] -= d * m[p][j];
            }
            double norm = 0;
            for (int j = 0; j < n; j++) norm += m[i][j] * m[i][j];
            for (int j = 0; j < n; j++) m[i][j] /= Math.sqrt(norm);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += m[k][i] * m[k][j] * Math.pow(10, 4.0 * k / (n - 1));
                a[i][j] = s;
            }
        }
        double[] b = new double[n];
        for (int i = 0; i < n; i++) b[i] = 1e3 * r.nextGaussian(); // large: the gradient test's floor of 1e-8 is then far below
        Fn quad = (x, g) -> {
            double f = 0;
            for (int i = 0; i < n; i++) {
                double ax = 0;
                for (int j = 0; j < n; j++) ax += a[i][j] * x[j];
                g[i] = ax - b[i];
                f += 0.5 * x[i] * ax - b[i] * x[i];
            }
            return f;
        };
        Run run = minimize(QuasiNewton.lbfgs(new double[n], 10), quad, 2000, 0, 1e-11);
        // scipy's L-BFGS-B (maxcor 10) on a problem of this kind also needs ~240 iterations and ends
        // with its line search failing near 1e-7 relative: the objective's rounding limits both.
        assertThat(run.stop()).isIn(Stop.GRAD, Stop.STALLED);
        double[] exact = solve(a, b);
        double[] x = run.qn().x();
        double err = 0;
        double size = 0;
        for (int i = 0; i < n; i++) {
            err += (x[i] - exact[i]) * (x[i] - exact[i]);
            size += exact[i] * exact[i];
        }
        assertThat(Math.sqrt(err / size)).as("relative error").isLessThan(1e-6);
    }

    @Test
    void owlqnMeetsSoftThresholdingWithExactZeros() {
        // f = 0.5 |x - c|^2 + l1 |x|_1: x_i = sign(c_i) max(|c_i| - l1, 0); the last component is not penalised.
        double[] c = {3, -0.2, 0.05, -2, 0.7, -0.4};
        double l1 = 0.5;
        boolean[] pen = {true, true, true, true, true, false};
        Fn f = (x, g) -> {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                g[i] = x[i] - c[i];
                s += 0.5 * g[i] * g[i];
            }
            return s;
        };
        Run r = minimize(QuasiNewton.owlqn(new double[6], 10, l1, pen), f, 200, 0, 1e-12);
        double[] x = r.qn().x();
        for (int i = 0; i < 5; i++) {
            double expected = Math.signum(c[i]) * Math.max(Math.abs(c[i]) - l1, 0);
            if (expected == 0) assertThat(x[i]).as("component %d", i).isEqualTo(0.0);
            else assertThat(x[i]).as("component %d", i).isCloseTo(expected, within(1e-9));
        }
        assertThat(x[5]).isCloseTo(c[5], within(1e-9));
    }

    @Test
    void owlqnMeetsCoordinateDescentOnACorrelatedLasso() {
        // f = 0.5 x'Ax - b'x + l1 |x|_1 with A correlated; truth by cyclic coordinate descent to 1e-15.
        int n = 8;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i][j] = Math.pow(0.7, Math.abs(i - j)) * (1 + 0.1 * i * (i == j ? 1 : 0));
        double[] b = {1.5e3, -0.3e3, 0.05e3, 2.0e3, -1.2e3, 0.1e3, 0.0, 0.6e3}; // x 1e3: far above the 1e-8 gradient floor
        double l1 = 0.4e3;
        double[] cd = new double[n];
        for (int sweep = 0; sweep < 100_000; sweep++) {
            double change = 0;
            for (int i = 0; i < n; i++) {
                double r = b[i];
                for (int j = 0; j < n; j++) if (j != i) r -= a[i][j] * cd[j];
                double v = Math.signum(r) * Math.max(Math.abs(r) - l1, 0) / a[i][i];
                change = Math.max(change, Math.abs(v - cd[i]));
                cd[i] = v;
            }
            if (change == 0) break;
        }
        Fn f = (x, g) -> {
            double s = 0;
            for (int i = 0; i < n; i++) {
                double ax = 0;
                for (int j = 0; j < n; j++) ax += a[i][j] * x[j];
                g[i] = ax - b[i];
                s += 0.5 * x[i] * ax - b[i] * x[i];
            }
            return s;
        };
        boolean[] pen = new boolean[n];
        Arrays.fill(pen, true);
        Run r = minimize(QuasiNewton.owlqn(new double[n], 10, l1, pen), f, 500, 0, 1e-13);
        double[] x = r.qn().x();
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            if (cd[i] == 0) {
                zeros++;
                assertThat(x[i]).as("component %d", i).isEqualTo(0.0);
            } else {
                assertThat(x[i]).as("component %d", i).isCloseTo(cd[i], within(1e-9 * Math.abs(cd[i])));
            }
        }
        assertThat(zeros).as("the problem has zeros to find").isPositive();
    }

    @Test
    void aCopyTakenAtAnyEvaluationEndsWithTheSameBits() {
        for (boolean owl : new boolean[] {false, true}) {
            double[] x0 = {-1.2, 1, -1.2, 1};
            QuasiNewton start = owl ? QuasiNewton.owlqn(x0, 4, 0.01, new boolean[] {true, true, true, false})
                    : QuasiNewton.lbfgs(x0, 4);
            Run whole = minimize(start.copy(), ROSENBROCK, 300, 0, 1e-10);
            List<Integer> midSearch = new ArrayList<>();
            for (int k = 1; k < whole.evaluations(); k++) {
                QuasiNewton qn = start.copy();
                boolean trialBefore = false;
                for (int i = 0; i < k; i++) {
                    double[] x = qn.point();
                    double[] g = new double[x.length];
                    trialBefore = qn.tell(ROSENBROCK.value(x, g), g) == Event.TRIAL;
                }
                if (trialBefore) midSearch.add(k);
                Run resumed = minimize(qn.copy(), ROSENBROCK, 300, 0, 1e-10);
                assertThat(resumed.qn().x()).as("copied after %d evaluations", k).isEqualTo(whole.qn().x());
                assertThat(resumed.qn().totalPasses()).isEqualTo(whole.qn().totalPasses());
            }
            assertThat(midSearch).as("some copies were taken in the middle of a line search").isNotEmpty();
        }
    }

    @Test
    void breezesLossTestComparesTheLastTwentyIterates() {
        // sum x_i^4: its Hessian vanishes at the minimum, so L-BFGS closes in slowly and the loss test ends it.
        Fn quartic = (x, g) -> {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                g[i] = 4 * x[i] * x[i] * x[i];
                f += x[i] * x[i] * x[i] * x[i];
            }
            return f;
        };
        double tol = 1e-6;
        QuasiNewton qn = QuasiNewton.lbfgs(new double[] {1, 2, 3}, 10);
        List<Double> values = new ArrayList<>();
        Stop stop;
        while (true) {
            double[] x = qn.point();
            double[] g = new double[3];
            if (qn.tell(quartic.value(x, g), g) != Event.ITERATE) continue;
            values.add(qn.value());
            stop = qn.check(1000, tol, 0);
            if (stop != null) break;
        }
        assertThat(stop).isEqualTo(Stop.LOSS);
        // Independently: stopped at the first k >= 20 where |F_k - max(F_{k-19..k})| <= tol |F_0|.
        int k = values.size() - 1;
        assertThat(k).isGreaterThanOrEqualTo(QuasiNewton.LOSS_HISTORY);
        for (int j = QuasiNewton.LOSS_HISTORY; j <= k; j++) {
            double max = values.subList(j - 19, j + 1).stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            boolean met = Math.abs(values.get(j) - max) <= tol * Math.abs(values.get(0));
            assertThat(met).as("the test at iterate %d", j).isEqualTo(j == k);
        }
        assertThat(qn.explain(Stop.LOSS, 1000, tol, 0)).contains("over the last 20 steps");
    }

    @Test
    void theLineSearchAcceptsOnlyStrongWolfeSteps() {
        // phi(t) = (t - 2)^2 - 4: phi(0) = 0, phi'(0) = -4; Wolfe steps are those near 2.
        StrongWolfeLineSearch ls = new StrongWolfeLineSearch(0, -4, 0.1);
        int evals = 0;
        StrongWolfeLineSearch.Verdict v;
        double t;
        do {
            t = ls.trial();
            v = ls.tell((t - 2) * (t - 2) - 4, 2 * (t - 2));
            evals++;
        } while (v == StrongWolfeLineSearch.Verdict.CONTINUE);
        assertThat(v).isEqualTo(StrongWolfeLineSearch.Verdict.ACCEPT);
        assertThat(Math.abs(2 * (t - 2))).isLessThanOrEqualTo(0.9 * 4);
        assertThat((t - 2) * (t - 2) - 4).isLessThanOrEqualTo(1e-4 * t * -4);
        assertThat(evals).isLessThanOrEqualTo(StrongWolfeLineSearch.MAX_BRACKET + StrongWolfeLineSearch.MAX_ZOOM);
        // A step into a region where the function is not defined is bisected back.
        StrongWolfeLineSearch far = new StrongWolfeLineSearch(0, -4, 100);
        do {
            t = far.trial();
            double f = t > 5 ? Double.NaN : (t - 2) * (t - 2) - 4;
            v = far.tell(f, t > 5 ? Double.NaN : 2 * (t - 2));
        } while (v == StrongWolfeLineSearch.Verdict.CONTINUE);
        assertThat(v).isEqualTo(StrongWolfeLineSearch.Verdict.ACCEPT);
        assertThat(t).isLessThan(5);
    }

    /** Gaussian elimination with partial pivoting. */
    public static double[] solve(double[][] a0, double[] b0) {
        int n = b0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = Arrays.copyOf(a0[i], n + 1);
            a[i][n] = b0[i];
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
            double[] tmp = a[c];
            a[c] = a[p];
            a[p] = tmp;
            for (int i = c + 1; i < n; i++) {
                double m = a[i][c] / a[c][c];
                for (int j = c; j <= n; j++) a[i][j] -= m * a[c][j];
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = a[i][n];
            for (int j = i + 1; j < n; j++) s -= a[i][j] * x[j];
            x[i] = s / a[i][i];
        }
        return x;
    }
}
