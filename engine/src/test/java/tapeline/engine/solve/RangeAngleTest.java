package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * {@link RangeAngle} against closed forms: J with columns {@code a = e1} and {@code b = e1 + eps e2}
 * (n = 3), whose range is span(e1, e2) for any eps != 0. With {@code r = (0, 1, 1)}, {@code J^T r =
 * (0, eps)}: each column's cosine with r is at most {@code eps / sqrt(2)}, yet half of {@code ||r||^2}
 * lies in J's range, {@code ||P r|| / ||r|| = 1 / sqrt(2)}, and the Gauss-Newton step
 * {@code (1/eps, -1/eps)} would remove it.
 */
class RangeAngleTest {

    static double[][] jtj(double eps) {
        return new double[][] {{1, 1}, {1, 1 + eps * eps}};
    }

    @Test
    void aSmallCosineWithHalfOfRInTheRange() {
        double eps = 1e-5;
        RangeAngle angle = new RangeAngle(2);
        double rho = angle.of(jtj(eps), new double[] {0, eps}, Math.sqrt(2));
        // J^T J resolves the small direction (singular value eps/2 of the largest, far above its rounding)
        assertThat(rho).isCloseTo(1 / Math.sqrt(2), within(1e-4));
        // lmder's gtol measure there: the largest cosine between r and a column
        double cosine = eps / Math.sqrt(1 + eps * eps) / Math.sqrt(2);
        assertThat(cosine).isLessThan(1e-5);
        double[] s = new double[2];
        angle.probe(s);
        assertThat(s[0]).isCloseTo(1 / eps, within(1e-3 / eps));
        assertThat(s[1]).isCloseTo(-1 / eps, within(1e-3 / eps));
    }

    @Test
    void belowTheRoundingOfJtJTheAngleIsALowerBound() {
        // eps = 1e-9: the small eigenvalue of the scaled J^T J, eps^2 / 4, is below its rounding (2 eps_mach):
        // the floored measure cannot give 1/sqrt(2) but must not exceed it, and still sees far more than
        // lmder's cosine (7e-10, below its sqrt(eps_mach) guard).
        RangeAngle angle = new RangeAngle(2);
        double rho = angle.of(jtj(1e-9), new double[] {0, 1e-9}, Math.sqrt(2));
        assertThat(rho).isLessThanOrEqualTo(1 / Math.sqrt(2)).isGreaterThan(1e-2).isGreaterThan(LmStep.RANGE_BOUND);
    }

    @Test
    void rOrthogonalToTheRangeGivesZero() {
        // r = (0, 0, 1): J^T r = 0 exactly, a stationary point
        assertThat(new RangeAngle(2).of(jtj(1e-5), new double[] {0, 0}, 1)).isEqualTo(0);
    }

    @Test
    void aWellConditionedJ() {
        // J = [e1 e2], r = (0.6, 0, 0.8): P r = (0.6, 0, 0)
        assertThat(new RangeAngle(2).of(new double[][] {{1, 0}, {0, 1}}, new double[] {0.6, 0}, 1))
                .isCloseTo(0.6, within(1e-15));
        // scaling a column changes nothing: J = [e1, 1e6 e2], r = (0.6, 0.3, 0.74...)
        double r3 = Math.sqrt(1 - 0.36 - 0.09);
        double rho = new RangeAngle(2).of(new double[][] {{1, 0}, {0, 1e12}}, new double[] {0.6, 0.3e6}, 1);
        assertThat(rho).isCloseTo(Math.sqrt(0.45), within(1e-15));
        assertThat(r3).isPositive();
    }

    @Test
    void aZeroColumnIsAbsentAndNonFiniteSumsGiveNaN() {
        assertThat(new RangeAngle(2).of(new double[][] {{4, 0}, {0, 0}}, new double[] {1, 0}, 1)).isCloseTo(0.5, within(1e-15));
        assertThat(new RangeAngle(2).of(new double[][] {{1, 0}, {0, Double.NaN}}, new double[] {1, 0}, 1)).isNaN();
    }
}
