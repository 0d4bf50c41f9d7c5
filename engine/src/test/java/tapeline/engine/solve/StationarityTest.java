package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.tape.DType;

/** The sweep's newton stationarity test against the Newton decrement in closed form. */
class StationarityTest {
    private final Stationarity s2 = new Stationarity(2);

    /** g' H^-1 g / 2 for a 2 x 2 H, by the explicit inverse. */
    private static double decrement(double[][] h, double[] g) {
        double det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        double q = (h[1][1] * g[0] * g[0] - 2 * h[0][1] * g[0] * g[1] + h[0][0] * g[1] * g[1]) / det;
        return q / 2;
    }

    @Test
    void theDecrementIsNewtonsAndBlindToTheVariablesUnits() {
        Random rnd = new Random(23);
        int passed = 0;
        for (int trial = 0; trial < 200; trial++) {
            double a = 0.1 + rnd.nextDouble();
            double b = 0.1 + rnd.nextDouble();
            double c = (rnd.nextDouble() - 0.5) * Math.sqrt(a * b); // positive definite
            double[][] h = {{a, c}, {c, b}};
            double size = Math.pow(10, -3 - rnd.nextInt(7)); // decrements from 1e-6 to 1e-18: both outcomes
            double[] g = {size * rnd.nextGaussian(), size * rnd.nextGaussian()};
            double cost = Math.exp(4 * rnd.nextGaussian());
            double want = decrement(h, g);
            boolean done = s2.atMinimum(h, g, cost, DType.FLOAT64);
            assertThat(s2.decrement()).isCloseTo(want, within(1e-12 * want));
            assertThat(done).isEqualTo(want <= NewtonAcceptance.resolution(Math.max(cost, 1), DType.FLOAT64));
            // The second variable in units 1e6 times smaller: H -> D H D, g -> D g; nothing changes.
            double k = 1e6;
            boolean scaled = s2.atMinimum(new double[][] {{a, c * k}, {c * k, b * k * k}}, new double[] {g[0], g[1] * k},
                    cost, DType.FLOAT64);
            assertThat(scaled).isEqualTo(done);
            assertThat(s2.decrement()).isCloseTo(want, within(1e-12 * want));
            if (done) passed++;
        }
        assertThat(passed).as("both outcomes drawn").isBetween(20, 180);
    }

    @Test
    void theFactorsDecideAsTheEigenFormDoes() {
        // Random Hessians of every kind (definite, near the zero, semidefinite, nearly singular,
        // indefinite, barely indefinite, negative, diagonal, zero), well and badly scaled, sizes 1 to 8,
        // with gradients whose decrement is drawn around the resolution: from 1e-3 to 1e3 times it, and
        // within 1e-1 to 1e-12 of it (the factors' margin). Each decision against the eigen-decomposition's.
        Random rnd = new Random(2412);
        Stationarity[] fresh = new Stationarity[9];
        EigenStationarity[] ref = new EigenStationarity[9];
        int byFactors = 0;
        int passedByFactors = 0;
        int cases = 20000;
        for (int trial = 0; trial < cases; trial++) {
            int n = 1 + rnd.nextInt(8);
            if (fresh[n] == null) {
                fresh[n] = new Stationarity(n);
                ref[n] = new EigenStationarity(n);
            }
            SymmetricCases.Kind kind = SymmetricCases.Kind.values()[rnd.nextInt(SymmetricCases.Kind.values().length)];
            if (rnd.nextInt(3) == 0) kind = SymmetricCases.Kind.DEFINITE; // the usual end of a row
            double[][] h = SymmetricCases.draw(rnd, n, kind, rnd.nextBoolean());
            DType dtype = rnd.nextInt(5) == 0 ? DType.FLOAT32 : DType.FLOAT64;
            double cost = rnd.nextBoolean() ? rnd.nextDouble() : Math.exp(10 * rnd.nextGaussian());
            double[] g = new double[n];
            for (int k = 0; k < n; k++) g[k] = rnd.nextGaussian() * Math.sqrt(Math.abs(h[k][k]) + 1e-300);
            // The decrement of this g (the reference's), then g scaled so that it lands where drawn.
            ref[n].atMinimum(h, g, cost, dtype);
            double unit = ref[n].decrement();
            double resolution = NewtonAcceptance.resolution(Math.max(Math.abs(cost), 1), dtype);
            if (unit > 0 && Double.isFinite(unit)) {
                double target = rnd.nextBoolean()
                        ? resolution * Math.pow(10, 6 * rnd.nextDouble() - 3)
                        : resolution * (1 + (rnd.nextBoolean() ? 1 : -1) * Math.pow(10, -1 - 11 * rnd.nextDouble()));
                double k = Math.sqrt(target / unit);
                for (int i = 0; i < n; i++) g[i] *= k;
            }
            if (rnd.nextInt(50) == 0) java.util.Arrays.fill(g, 0);
            boolean want = ref[n].atMinimum(h, g, cost, dtype);
            boolean got = fresh[n].atMinimum(h, g, cost, dtype);
            assertThat(got).as("trial %d (%s, n = %d, %s): decrement %s, by the factors %s", trial, kind, n, dtype,
                    ref[n].decrement(), fresh[n].lastByFactors()).isEqualTo(want);
            if (fresh[n].lastByFactors()) {
                byFactors++;
                if (got) passedByFactors++;
                assertThat(fresh[n].decrement()).isCloseTo(ref[n].decrement(), within(1e-6 * ref[n].decrement()));
            }
        }
        // Both paths ran, and the factors decided both ways.
        assertThat(byFactors).isBetween(cases / 5, cases * 4 / 5);
        assertThat(passedByFactors).isBetween(byFactors / 10, byFactors * 9 / 10);
    }

    @Test
    void aSmallGradientOnAFadingColumnIsNotAMinimum() {
        // f = e^-w near w = 25 (a row running away to w -> inf): ||g|| = f = 1.4e-11 passes an absolute
        // tolerance.grad of 1e-10, but the model still predicts a fall of f / 2.
        double f = Math.exp(-25);
        assertThat(new Stationarity(1).atMinimum(new double[][] {{f}}, new double[] {-f}, f, DType.FLOAT64)).isFalse();
        // Beside a well-curved variable: floored unscaled (as NewtonDirection floors at 1e-8 of the largest
        // eigenvalue) the decrement would be 1e-22 / 1e-8 / 2 = 5e-15 and pass; scaled it is 50.
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, 1e-24}}, new double[] {0, 1e-11}, 1e-3, DType.FLOAT64)).isFalse();
        assertThat(s2.decrement()).isCloseTo(50, within(1e-9));
        // Closer to the optimum of the same well-curved problem it is one.
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, 1e-24}}, new double[] {1e-7, 1e-19}, 1e-3, DType.FLOAT64)).isTrue();
    }

    @Test
    void aColumnAtTheRoundingOfTheOthersIsLeftToTheGradientTolerance() {
        // Box 3D at x2 = 1000: the x2 column is 1e-44, its curvature below float64's rounding of H's.
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, -1e-40}}, new double[] {1e-14, -1e-30}, 0.0756, DType.FLOAT64)).isTrue();
        // A Hessian of zeros with a zero gradient (Gulf 100x: a plateau) is left to tolerance.grad too.
        assertThat(s2.atMinimum(new double[][] {{0, 0}, {0, 0}}, new double[] {0, 0}, 32.8, DType.FLOAT64)).isTrue();
    }

    @Test
    void negativeCurvatureFailsUnlessTheGradientIsExactlyZero() {
        double[][] saddle = {{1, 0}, {0, -1}};
        assertThat(s2.atMinimum(saddle, new double[] {0, 1e-13}, 1, DType.FLOAT64)).isFalse();
        assertThat(s2.atMinimum(saddle, new double[] {0, 0}, 1, DType.FLOAT64)).isTrue();
        // Negative only once scaled (Osborne 1 from 100x): unscaled its eigenvalue is -2e-15 of the largest.
        double[][] h = {{1, 0}, {0, -1e-15}};
        assertThat(s2.atMinimum(h, new double[] {0, 1e-20}, 1, DType.FLOAT64)).isFalse();
    }

    @Test
    void aValleyOfMinimisersPassesAndAZeroResidualFitIsJudgedAbsolutely() {
        // (u - v)^2: H singular, g along its range.
        assertThat(s2.atMinimum(new double[][] {{2, -2}, {-2, 2}}, new double[] {2e-12, -2e-12}, 1e-24, DType.FLOAT64)).isTrue();
        // A zero-residual fit near its solution: the model predicts a fall of the whole cost, 1e-20.
        assertThat(s2.atMinimum(new double[][] {{2, 0}, {0, 2}}, new double[] {2e-10, 0}, 1e-20, DType.FLOAT64)).isTrue();
        assertThat(s2.decrement()).isCloseTo(1e-20, within(1e-32));
        // A cost of 1e6 is read relatively: a fall of 1e-5 still to come is not rounding (4096 ulps of 1e6 are 4.8e-7)...
        assertThat(s2.atMinimum(new double[][] {{2, 0}, {0, 2}}, new double[] {2 * Math.sqrt(1e-5), 0}, 1e6, DType.FLOAT64)).isFalse();
        // ... and 1e-7 is.
        assertThat(s2.atMinimum(new double[][] {{2, 0}, {0, 2}}, new double[] {2 * Math.sqrt(1e-7), 0}, 1e6, DType.FLOAT64)).isTrue();
    }

    @Test
    void nonFiniteFails() {
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, Double.NaN}}, new double[] {0, 0}, 1, DType.FLOAT64)).isFalse();
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, 1}}, new double[] {0, Double.POSITIVE_INFINITY}, 1, DType.FLOAT64)).isFalse();
        assertThat(s2.atMinimum(new double[][] {{1, 0}, {0, 1}}, new double[] {0, 0}, Double.NaN, DType.FLOAT64)).isFalse();
    }

    /**
     * Stationarity as it was before its factored path (session 24), verbatim but for the name: every
     * decision by the eigen-decomposition (SymmetricEigen, the same bits as before: SymmetricEigenTest),
     * the reference the new one must agree with.
     */
    static final class EigenStationarity {
        private final int m;
        private final int[] keep;
        private final double[] d;
        private final double[] gs;
        private final double[][][] scaled;
        private final SymmetricEigen[] eigen;
        private double decrement;

        EigenStationarity(int m) {
            if (m < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + m);
            this.m = m;
            keep = new int[m];
            d = new double[m];
            gs = new double[m];
            scaled = new double[m + 1][][];
            eigen = new SymmetricEigen[m + 1];
        }

        /**
         * Whether gradient {@code g} and Hessian {@code h} (symmetric, m x m; only read) at a point of
         * cost {@code cost} pass the test above.
         */
        public boolean atMinimum(double[][] h, double[] g, double cost, DType dtype) {
            decrement = Double.NaN;
            double eps = dtype == DType.FLOAT32 ? Math.ulp(1.0f) : Math.ulp(1.0);
            double trace = 0;
            for (int k = 0; k < m; k++) {
                if (!Double.isFinite(g[k]) || !Double.isFinite(h[k][k])) return false;
                d[k] = Math.sqrt(Math.abs(h[k][k]));
                trace += Math.abs(h[k][k]);
            }
            double floor = eps * Math.sqrt(trace);
            int n = 0;
            for (int k = 0; k < m; k++) if (d[k] > floor) keep[n++] = k;
            if (n == 0) {
                decrement = 0; // a Hessian of zeros (a plateau): tolerance.grad alone
                return true;
            }
            if (eigen[n] == null) {
                eigen[n] = new SymmetricEigen(n);
                scaled[n] = new double[n][n];
            }
            double[][] a = scaled[n];
            for (int i = 0; i < n; i++) {
                int ki = keep[i];
                gs[i] = g[ki] / d[ki];
                for (int j = 0; j < n; j++) {
                    a[i][j] = h[ki][keep[j]] / (d[ki] * d[keep[j]]);
                    if (!Double.isFinite(a[i][j])) return false;
                }
            }
            SymmetricEigen e = eigen[n];
            e.decompose(a);
            double zero = Verdict.zero(e, dtype);
            if (!(e.smallest() >= -zero)) {
                // A direction of negative curvature leads down (NaN: fails), unless g is exactly 0: newton's
                // step from there is 0, and the verdict names the saddle or maximum.
                for (int i = 0; i < n; i++) if (gs[i] != 0) return false;
                decrement = 0;
                return true;
            }
            double lam2 = 0;
            for (int i = 0; i < n; i++) {
                double proj = 0;
                for (int k = 0; k < n; k++) proj += e.vector(i, k) * gs[k];
                lam2 += proj * proj / Math.max(e.value(i), zero);
            }
            decrement = lam2 / 2;
            return decrement <= NewtonAcceptance.resolution(Math.max(Math.abs(cost), 1), dtype); // false for NaN
        }

        double decrement() {
            return decrement;
        }
    }
}
