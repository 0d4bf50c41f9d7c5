package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The L D L' factorisation against the eigen-decomposition of the same matrix: the inverse's trace
 * {@code sum 1 / l_i}, the form {@code g' H^-1 g = sum (v_i . g)^2 / l_i} and the solve; and its cheap
 * test against the eigenvalues: wherever {@link Ldl#certainlyAboveZero} holds, every eigenvalue is
 * above {@link Verdict#zero} (so the verdict's and trust's sign tests need no decomposition).
 */
class LdlTest {

    @Test
    void closedForms() {
        Ldl f = new Ldl(2);
        double[][] h = {{2, 0}, {0, 4}};
        assertThat(f.factor(h)).isTrue();
        assertThat(f.traceInverse()).isEqualTo(0.75);
        assertThat(f.inverseForm(new double[] {2, 4})).isEqualTo(6.0);
        double[] d = new double[2];
        f.solveNegative(new double[] {2, 4}, d);
        assertThat(d).containsExactly(-1.0, -1.0);
        assertThat(f.factor(new double[][] {{1, 2}, {2, 1}})).as("indefinite").isFalse();
        assertThat(f.factor(new double[][] {{1, 1}, {1, 1}})).as("singular").isFalse();
        assertThat(f.factor(new double[][] {{1, 0}, {0, Double.NaN}})).as("NaN").isFalse();
        assertThat(f.certainlyAboveZero(new double[][] {{1, 0}, {0, 1e-7}}, 1e-8)).isTrue();
        assertThat(f.certainlyAboveZero(new double[][] {{1, 0}, {0, 1e-9}}, 1e-8)).as("below the zero").isFalse();
    }

    @Test
    void agreesWithTheEigenDecomposition() {
        Random rnd = new Random(77);
        int certain = 0;
        int definite = 0;
        for (int trial = 0; trial < 20000; trial++) {
            int n = 1 + rnd.nextInt(10);
            SymmetricCases.Kind kind = SymmetricCases.Kind.values()[rnd.nextInt(SymmetricCases.Kind.values().length)];
            double[][] h = SymmetricCases.draw(rnd, n, kind, rnd.nextBoolean());
            double rel = rnd.nextInt(4) == 0 ? 1e-4 : 1e-8;
            Ldl f = new Ldl(n);
            SymmetricEigen e = new SymmetricEigen(n);
            e.decompose(h);
            double zero = Math.max(rel * Math.max(Math.abs(e.smallest()), Math.abs(e.largest())), Double.MIN_NORMAL);
            boolean sure = f.certainlyAboveZero(h, rel);
            if (sure) {
                certain++;
                assertThat(e.smallest()).as("trial %d (%s, n = %d)", trial, kind, n).isGreaterThan(zero);
                assertThat(f.conditionBound()).isGreaterThanOrEqualTo(e.largest() / e.smallest() * (1 - 1e-9));
            }
            if (e.smallest() > 1e-6 * e.largest()) { // well conditioned: the factors and the decomposition agree to rounding
                definite++;
                assertThat(f.factor(h)).as("trial %d", trial).isTrue();
                double inv = 0;
                double form = 0;
                double[] g = new double[n];
                for (int k = 0; k < n; k++) g[k] = rnd.nextGaussian();
                for (int i = 0; i < n; i++) {
                    inv += 1 / e.value(i);
                    double proj = 0;
                    for (int k = 0; k < n; k++) proj += e.vector(i, k) * g[k];
                    form += proj * proj / e.value(i);
                }
                assertThat(f.traceInverse()).isCloseTo(inv, within(1e-7 * inv));
                assertThat(f.inverseForm(g)).isCloseTo(form, within(1e-7 * form));
                // The solve: H d = -g.
                double[] d = new double[n];
                f.solveNegative(g, d);
                double scale = 0;
                for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) scale = Math.max(scale, Math.abs(h[i][k] * d[k]));
                for (int i = 0; i < n; i++) {
                    double r = g[i];
                    for (int k = 0; k < n; k++) r += h[i][k] * d[k];
                    assertThat(r).isCloseTo(0, within(1e-10 * n * Math.max(scale, Math.abs(g[i]))));
                }
            }
        }
        assertThat(certain).as("matrices the cheap test decided").isGreaterThan(2000);
        assertThat(definite).isGreaterThan(3000);
    }
}
