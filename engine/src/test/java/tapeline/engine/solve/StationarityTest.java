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
}
