package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * lmpar's subproblem against closed forms: the damped step {@code (J^T J + par D^2) s = -J^T r}, and the
 * radius condition that lmpar's answer must meet.
 */
class LmSubproblemTest {

    /**
     * Orthogonal columns, one of them 1e-45 (Box 3D's x2 column at x2 = 1000) and tiny against
     * {@code sqrt(par) = 1e-20}: the closed form is {@code s_k = -J_k'r / (||J_k||^2 + par D_k^2)} per
     * column, s2 = -1e-5. Refactoring {@code [J; sqrt(par) D]} by Householder (the solver before
     * session 22) cancelled r's O(1) component along that column to its rounding and gave |s2| near 1e4.
     */
    @Test
    void aTinyColumnGetsTheClosedFormStep() {
        double c = 1e-45;
        double[][] jac = {{1, 0}, {1, 0}, {0, c}};
        double[] r = {1, -3, 1};
        double[] diag = {1, 1};
        double par = 1e-40;
        double[] s = new LmSubproblem(3, 2).dampedStep(jac, r, diag, par);
        assertThat(s[0]).isCloseTo(-(1 - 3) / (2 + par), within(1e-15));
        assertThat(s[1]).isCloseTo(-(c * 1) / (c * c + par), within(1e-5 * 1e-12));
    }

    /** Random Jacobians and scalings: the damped step against the normal equations solved by Gaussian elimination. */
    @Test
    void theDampedStepSolvesTheNormalEquations() {
        Random rnd = new Random(23);
        for (int trial = 0; trial < 50; trial++) {
            int m = 1 + rnd.nextInt(5);
            int n = m + rnd.nextInt(6);
            double[][] jac = new double[n][m];
            double[] r = new double[n];
            double[] diag = new double[m];
            for (int i = 0; i < n; i++) {
                r[i] = rnd.nextGaussian();
                for (int k = 0; k < m; k++) jac[i][k] = rnd.nextGaussian();
            }
            for (int k = 0; k < m; k++) diag[k] = 0.1 + rnd.nextDouble();
            double par = trial % 5 == 0 ? 0 : Math.pow(10, -3 + 5 * rnd.nextDouble());
            double[] s = new LmSubproblem(n, m).dampedStep(jac, r, diag, par);
            double[][] a = new double[m][m + 1];
            for (int j = 0; j < m; j++) {
                for (int k = 0; k < m; k++) for (int i = 0; i < n; i++) a[j][k] += jac[i][j] * jac[i][k];
                a[j][j] += par * diag[j] * diag[j];
                for (int i = 0; i < n; i++) a[j][m] -= jac[i][j] * r[i];
            }
            double[] want = gauss(a, m);
            for (int k = 0; k < m; k++) assertThat(s[k]).as("trial %d, k %d", trial, k).isCloseTo(want[k], within(1e-9 * (1 + Math.abs(want[k]))));
        }
    }

    /**
     * lmpar's contract on the tiny-column problem for a radius the Gauss-Newton step exceeds: either
     * {@code par = 0} and {@code ||D s|| <= 1.1 delta}, or {@code | ||D s|| - delta | <= 0.1 delta}.
     */
    @Test
    void theStepMeetsTheRadius() {
        double[][] jac = {{1, 0}, {1, 0}, {0, 1e-45}};
        double[] r = {1, -3, 1};
        double[] diag = {1, 1};
        for (double delta : new double[] {1e-3, 0.5, 10, 1e3}) {
            LmSubproblem sub = new LmSubproblem(3, 2);
            double par = sub.solve(jac, r, diag, delta, 0);
            double[] s = sub.step();
            double dxnorm = Math.hypot(diag[0] * s[0], diag[1] * s[1]);
            if (par == 0) assertThat(dxnorm).as("delta %s", delta).isLessThanOrEqualTo(1.1 * delta);
            else assertThat(Math.abs(dxnorm - delta)).as("delta %s, par %s", delta, par).isLessThanOrEqualTo(0.1 * delta);
        }
    }

    /**
     * lmder's order, one factorisation per iteration: lanes whose trials interleave (as LmStep's do, a
     * round of trials over all lanes at a time), each lane's J factored at its first trial and its factors
     * kept and restored for the later ones, give for every trial the same {@code par} and step, to the bit,
     * as {@link LmSubproblem#solve}, which factors J afresh each time (the path before session 25). Random
     * problems, including rank-deficient J (a zero column, two equal columns), fewer residuals than
     * variables, and radii shrinking from past the Gauss-Newton step to far inside it.
     */
    @Test
    void oneFactorisationPerIterationGivesTheSameStepsToTheBit() {
        Random rnd = new Random(2325);
        int checked = 0;
        int damped = 0;
        for (int round = 0; round < 200; round++) {
            int m = 1 + rnd.nextInt(6);
            int n = rnd.nextInt(4) == 0 ? Math.max(1, m - 1 - rnd.nextInt(m)) : m + rnd.nextInt(40);
            int lanes = 1 + rnd.nextInt(5);
            double[][] jac = new double[lanes][n * m]; // column by column, as lm keeps a row's J
            double[][] r = new double[lanes][n];
            double[][] diag = new double[lanes][m];
            double[] delta = new double[lanes];
            double[] par = new double[lanes];
            for (int p = 0; p < lanes; p++) {
                int kind = rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    r[p][i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 2);
                    for (int k = 0; k < m; k++) jac[p][k * n + i] = rnd.nextGaussian() * Math.pow(10, (k % 3) * 2 - 2);
                    if (kind == 1) jac[p][(m - 1) * n + i] = 0; // a zero column: rank m - 1
                    if (kind == 2 && m > 1) jac[p][n + i] = jac[p][i]; // two equal columns
                }
                for (int k = 0; k < m; k++) diag[p][k] = Math.pow(10, 2 * rnd.nextDouble() - 1);
                delta[p] = Math.pow(10, 3 - 4 * rnd.nextDouble());
                par[p] = rnd.nextBoolean() ? 0 : Math.pow(10, -4 + 4 * rnd.nextDouble());
            }
            LmSubproblem fresh = new LmSubproblem(n, m);
            LmSubproblem kept = new LmSubproblem(n, m, lanes);
            assertThat(kept.keepsLanes()).isTrue();
            boolean[] factored = new boolean[lanes];
            double[] keptPar = par.clone();
            for (int trial = 0; trial < 8; trial++) {
                for (int p = 0; p < lanes; p++) {
                    if (rnd.nextInt(4) == 0) continue; // a lane that sits a round out (it accepted, or is probing)
                    double want = fresh.solve(jac[p], r[p], diag[p], delta[p], par[p]);
                    double[] wantStep = fresh.step().clone();
                    if (factored[p]) kept.restore(p);
                    else {
                        kept.factor(jac[p], r[p]);
                        kept.keep(p);
                        factored[p] = true;
                    }
                    double got = kept.solveFactored(jac[p], r[p], diag[p], delta[p], keptPar[p]);
                    assertThat(Double.doubleToRawLongBits(got)).as("round %d, trial %d, lane %d: par", round, trial, p)
                            .isEqualTo(Double.doubleToRawLongBits(want));
                    for (int k = 0; k < m; k++) {
                        assertThat(Double.doubleToRawLongBits(kept.step()[k])).as("round %d, trial %d, lane %d, k %d", round, trial, p, k)
                                .isEqualTo(Double.doubleToRawLongBits(wantStep[k]));
                    }
                    checked++;
                    if (want != 0) damped++;
                    par[p] = want;
                    keptPar[p] = got;
                    delta[p] *= 0.1 + 0.4 * rnd.nextDouble(); // a refused trial: lmder shrinks the radius
                }
            }
        }
        assertThat(checked).isGreaterThan(3000);
        assertThat(damped).as("trials whose radius the Gauss-Newton step exceeded").isGreaterThan(1000);
    }

    private static double[] gauss(double[][] a, int m) {
        for (int k = 0; k < m; k++) {
            int best = k;
            for (int i = k + 1; i < m; i++) if (Math.abs(a[i][k]) > Math.abs(a[best][k])) best = i;
            double[] t = a[k];
            a[k] = a[best];
            a[best] = t;
            for (int i = k + 1; i < m; i++) {
                double f = a[i][k] / a[k][k];
                for (int j = k; j <= m; j++) a[i][j] -= f * a[k][j];
            }
        }
        double[] x = new double[m];
        for (int k = m - 1; k >= 0; k--) {
            double v = a[k][m];
            for (int j = k + 1; j < m; j++) v -= a[k][j] * x[j];
            x[k] = v / a[k][k];
        }
        return x;
    }
}
