package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.tape.DType;

/**
 * Newton's direction rule against its definition, on matrices built with known eigenvalues and
 * eigenvectors ({@code H = Q diag(l) Q'}, Q a random orthogonal matrix): the truth
 * {@code d = -Q diag(1 / max(|l_i|, zero)) Q' g} is computed from Q and l directly, independently of
 * both the Cholesky and the Jacobi paths.
 */
class NewtonDirectionTest {

    @Test
    void positiveDefiniteWellConditionedIsMinusHInverseGByCholesky() {
        Random r = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + r.nextInt(8);
            double[] l = new double[m];
            double scale = Math.pow(10, r.nextInt(13) - 6);
            for (int i = 0; i < m; i++) l[i] = scale * Math.pow(10, 4 * r.nextDouble()); // condition <= 1e4
            check(r, m, l, DType.FLOAT64, true, 1e-9);
        }
    }

    @Test
    void indefiniteTakesNegativeCurvatureByMagnitude() {
        Random r = new Random(2);
        for (int trial = 0; trial < 200; trial++) {
            int m = 2 + r.nextInt(7);
            double[] l = new double[m];
            for (int i = 0; i < m; i++) l[i] = (0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
            l[0] = -Math.abs(l[0]);
            l[1] = Math.abs(l[1]);
            NewtonDirection nd = check(r, m, l, DType.FLOAT64, false, 1e-9);
            assertThat(nd.lastCholesky()).isFalse();
        }
    }

    @Test
    void nearlySingularFloorsTheSmallEigenvaluesAsTheEigenRuleDoes() {
        Random r = new Random(3);
        for (int trial = 0; trial < 100; trial++) {
            int m = 2 + r.nextInt(7);
            double[] l = new double[m];
            for (int i = 0; i < m; i++) l[i] = 1 + r.nextDouble();
            l[r.nextInt(m)] = 1e-12; // below 1e-8 of the largest: floored
            // The floored direction is huge along that eigenvector: compare relative to its size.
            check(r, m, l, DType.FLOAT64, false, 1e-6);
        }
    }

    @Test
    void float32UsesItsOwnTolerance() {
        Random r = new Random(4);
        double[] l = {1, 2, 1e-6}; // above 1e-8, below 1e-4 of the largest: floored in float32 only
        check(r, 3, l, DType.FLOAT32, false, 1e-6);
        check(r, 3, l, DType.FLOAT64, true, 1e-6);
    }

    @Test
    void zeroHessianGivesMinusG() {
        NewtonDirection nd = new NewtonDirection(3);
        double[] d = new double[3];
        nd.direction(new double[3][3], new double[] {1, -2, 3}, DType.FLOAT64, d);
        assertThat(d).containsExactly(-1, 2, -3);
        assertThat(nd.lastCholesky()).isFalse();
    }

    @Test
    void theExampleOfTheJavadoc() {
        double[] d = new double[2];
        new NewtonDirection(2).direction(new double[][] {{2, 0}, {0, 4}}, new double[] {2, 4}, DType.FLOAT64, d);
        assertThat(d).containsExactly(-1, -1);
    }

    /** Builds H from l and a random Q, checks the rule's d against the definition; returns the rule. */
    private static NewtonDirection check(Random r, int m, double[] l, DType dtype, boolean cholesky, double tol) {
        double[][] q = orthogonal(r, m);
        double[][] h = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int k = 0; k < m; k++) s += q[i][k] * l[k] * q[j][k];
                h[i][j] = s;
            }
        }
        for (int i = 0; i < m; i++) for (int j = 0; j < i; j++) h[i][j] = h[j][i]; // exactly symmetric
        double[] g = new double[m];
        for (int i = 0; i < m; i++) g[i] = r.nextGaussian();
        double largest = 0;
        for (double v : l) largest = Math.max(largest, Math.abs(v));
        double zero = Math.max((dtype == DType.FLOAT32 ? 1e-4 : 1e-8) * largest, Double.MIN_NORMAL);
        double[] truth = new double[m];
        for (int k = 0; k < m; k++) {
            double proj = 0;
            for (int i = 0; i < m; i++) proj += q[i][k] * g[i];
            double scale = proj / Math.max(Math.abs(l[k]), zero);
            for (int i = 0; i < m; i++) truth[i] -= scale * q[i][k];
        }
        NewtonDirection nd = new NewtonDirection(m);
        double[] d = new double[m];
        nd.direction(h, g, dtype, d);
        assertThat(nd.lastCholesky()).as("Cholesky path for eigenvalues %s", java.util.Arrays.toString(l)).isEqualTo(cholesky);
        double norm = 0;
        for (double v : truth) norm = Math.max(norm, Math.abs(v));
        for (int i = 0; i < m; i++) {
            assertThat(Math.abs(d[i] - truth[i])).as("d[%d] of %s, eigenvalues %s", i, java.util.Arrays.toString(d),
                    java.util.Arrays.toString(l)).isLessThanOrEqualTo(tol * norm);
        }
        double slope = 0;
        for (int i = 0; i < m; i++) slope += g[i] * d[i];
        assertThat(slope).as("a descent direction").isLessThan(0);
        return nd;
    }

    /** A random orthogonal matrix: Gram-Schmidt (twice) of Gaussian columns. */
    private static double[][] orthogonal(Random r, int m) {
        double[][] q = new double[m][m];
        for (int k = 0; k < m; k++) {
            double[] c = new double[m];
            for (int i = 0; i < m; i++) c[i] = r.nextGaussian();
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < k; j++) {
                    double dot = 0;
                    for (int i = 0; i < m; i++) dot += q[i][j] * c[i];
                    for (int i = 0; i < m; i++) c[i] -= dot * q[i][j];
                }
            }
            double n = 0;
            for (double v : c) n += v * v;
            n = Math.sqrt(n);
            for (int i = 0; i < m; i++) q[i][k] = c[i] / n;
        }
        return q;
    }
}
