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
}
