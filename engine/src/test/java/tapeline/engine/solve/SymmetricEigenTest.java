package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import tapeline.engine.Theories;

/**
 * The Jacobi eigen-solver against the definition: {@code A v = l v} for every pair, the vectors
 * orthonormal, the eigenvalues ascending and summing to the trace; plus closed forms.
 */
class SymmetricEigenTest {

    @Test
    void decomposesRandomSymmetricMatrices() {
        // QuickTheories tries n = 1 and n = 16 first (its all-minimum and all-maximum cases).
        Theories.qt(200).forAll(integers().between(1, 16), Theories.seeds()).checkAssert(SymmetricEigenTest::decomposes);
    }

    static void decomposes(int n, long seed) {
        Random rnd = new Random(seed);
        double[][] a = new double[n][n];
        double scale = Math.pow(10, rnd.nextInt(7) - 3); // 1e-3 .. 1e3
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = scale * (2 * rnd.nextDouble() - 1);
            }
        }
        SymmetricEigen e = new SymmetricEigen(n);
        e.decompose(a);
        double norm = 0;
        for (double[] row : a) for (double x : row) norm = Math.max(norm, Math.abs(x));
        double tol = 1e-12 * n * norm;
        double trace = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            trace += a[i][i];
            sum += e.value(i);
            if (i > 0) assertThat(e.value(i)).isGreaterThanOrEqualTo(e.value(i - 1));
            for (int k = 0; k < n; k++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[k][j] * e.vector(i, j);
                assertThat(av).as("(A v_%d)[%d]", i, k).isCloseTo(e.value(i) * e.vector(i, k), within(tol));
            }
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int k = 0; k < n; k++) dot += e.vector(i, k) * e.vector(j, k);
                assertThat(dot).isCloseTo(i == j ? 1 : 0, within(1e-12 * n));
            }
        }
        assertThat(sum).isCloseTo(trace, within(tol * n));
    }

    @Test
    void theSameBitsAsTheFullRotations() {
        // Every kind of spectrum, sizes 1 to 16, well and badly scaled; symmetric bit for bit (the
        // halved path) and one ulp off symmetric (the full rotations, as before).
        Random rnd = new Random(24);
        SymmetricEigen[] fresh = new SymmetricEigen[17];
        OldJacobi[] old = new OldJacobi[17];
        int cases = 0;
        int rotated = 0;
        for (int trial = 0; trial < 4000; trial++) {
            int n = trial % 4 == 0 ? 1 + rnd.nextInt(16) : 2 + rnd.nextInt(7);
            SymmetricCases.Kind kind = SymmetricCases.Kind.values()[rnd.nextInt(SymmetricCases.Kind.values().length)];
            double[][] a = SymmetricCases.draw(rnd, n, kind, rnd.nextBoolean());
            if (n > 1 && trial % 5 == 0) { // not symmetric bit for bit
                int i = 1 + rnd.nextInt(n - 1);
                int j = rnd.nextInt(i);
                a[i][j] = Math.nextUp(a[i][j]);
            }
            if (fresh[n] == null) {
                fresh[n] = new SymmetricEigen(n);
                old[n] = new OldJacobi(n);
            }
            fresh[n].decompose(a);
            old[n].decompose(a);
            for (int i = 0; i < n; i++) {
                assertThat(Double.doubleToRawLongBits(fresh[n].value(i))).as("trial %d (%s, n = %d): value %d", trial, kind, n, i)
                        .isEqualTo(Double.doubleToRawLongBits(old[n].value(i)));
                for (int k = 0; k < n; k++) {
                    assertThat(Double.doubleToRawLongBits(fresh[n].vector(i, k))).as("trial %d: vector %d[%d]", trial, i, k)
                            .isEqualTo(Double.doubleToRawLongBits(old[n].vector(i, k)));
                }
            }
            if (n > 1 && fresh[n].vector(0, 0) != 0 && fresh[n].vector(0, 0) != 1) rotated++;
            cases++;
        }
        assertThat(cases).isEqualTo(4000);
        assertThat(rotated).as("cases that took rotations").isGreaterThan(2000);
    }

    @Test
    void closedForms() {
        SymmetricEigen e = new SymmetricEigen(2);
        e.decompose(new double[][] {{2, 1}, {1, 2}});
        assertThat(e.smallest()).isCloseTo(1, within(1e-15));
        assertThat(e.largest()).isCloseTo(3, within(1e-15));
        e.decompose(new double[][] {{2, -2}, {-2, 2}}); // (u - v)^2: a valley, eigenvalues 0 and 4
        assertThat(e.smallest()).isCloseTo(0, within(1e-15));
        assertThat(e.largest()).isCloseTo(4, within(1e-15));
        e.decompose(new double[][] {{1, Double.NaN}, {Double.NaN, 1}});
        assertThat(e.smallest()).isNaN();
        SymmetricEigen one = new SymmetricEigen(1);
        one.decompose(new double[][] {{-7.5}});
        assertThat(one.smallest()).isEqualTo(-7.5);
        assertThat(one.vector(0, 0)).isEqualTo(1.0);
    }

    /**
     * SymmetricEigen as it was before its symmetric path and flat arrays (session 24), verbatim but for
     * the name: the reference the new one must match bit for bit.
     */
    static final class OldJacobi {
        private static final int MAX_SWEEPS = 60;

        private final int n;
        private final double[][] a;
        private final double[][] v;
        private final double[] values;
        private final int[] order;

        OldJacobi(int n) {
            if (n < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + n);
            this.n = n;
            this.a = new double[n][n];
            this.v = new double[n][n];
            this.values = new double[n];
            this.order = new int[n];
        }

        /** Decomposes the symmetric matrix {@code m} (only read). */
        public void decompose(double[][] m) {
            boolean finite = true;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] = m[i][j];
                    v[i][j] = i == j ? 1 : 0;
                    finite &= Double.isFinite(m[i][j]);
                }
            }
            if (!finite) {
                java.util.Arrays.fill(values, Double.NaN);
                for (int i = 0; i < n; i++) order[i] = i;
                return;
            }
            for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
                double off = 0;
                double diag = 0;
                for (int i = 0; i < n; i++) {
                    diag += a[i][i] * a[i][i];
                    for (int j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
                }
                if (off == 0 || off <= 1e-34 * diag) break; // off-diagonal below (1e-17 of the diagonal)^2
                for (int p = 0; p < n; p++) {
                    for (int q = p + 1; q < n; q++) {
                        if (a[p][q] != 0) rotate(p, q);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                values[i] = a[i][i];
                order[i] = i;
            }
            // Ascending order by insertion sort (n is small).
            for (int i = 1; i < n; i++) {
                int k = order[i];
                int j = i - 1;
                while (j >= 0 && values[order[j]] > values[k]) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = k;
            }
        }

        /** Zeroes a[p][q] by a rotation in the (p, q) plane (Golub and Van Loan, Algorithm 8.5.1). */
        private void rotate(int p, int q) {
            double apq = a[p][q];
            double theta = (a[q][q] - a[p][p]) / (2 * apq);
            double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
            if (theta == 0) t = 1;
            if (Double.isInfinite(theta * theta)) t = 0.5 / theta; // huge theta: t ~ 1 / (2 theta)
            double c = 1 / Math.sqrt(t * t + 1);
            double s = t * c;
            for (int k = 0; k < n; k++) {
                double akp = a[k][p];
                double akq = a[k][q];
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
            }
            for (int k = 0; k < n; k++) {
                double apk = a[p][k];
                double aqk = a[q][k];
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
            }
            a[p][q] = 0;
            a[q][p] = 0;
            for (int k = 0; k < n; k++) {
                double vkp = v[k][p];
                double vkq = v[k][q];
                v[k][p] = c * vkp - s * vkq;
                v[k][q] = s * vkp + c * vkq;
            }
        }

        /** The i-th smallest eigenvalue (i = 0: the smallest). */
        public double value(int i) {
            return values[order[i]];
        }

        /** Component k of the eigenvector of {@link #value(int) value(i)} (unit length). */
        public double vector(int i, int k) {
            return v[k][order[i]];
        }

        /** The smallest eigenvalue. */
        public double smallest() {
            return value(0);
        }

        /** The largest eigenvalue. */
        public double largest() {
            return value(n - 1);
        }
    }
}
