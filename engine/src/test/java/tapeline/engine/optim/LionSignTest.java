package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.doubles;

import org.junit.jupiter.api.Test;
import tapeline.engine.Theories;

/** Lion's branch-free sign is Math.signum, bit for bit. */
class LionSignTest {

    @Test
    void equalsSignumForAnyDouble() {
        // Every bit pattern from -inf to +inf, and the edges.
        Theories.qt(2000).forAll(Theories.withEdges(doubles().any(), 0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE,
                        Double.MAX_VALUE, -Double.MAX_VALUE, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.NaN))
                .checkAssert(x -> assertThat(Double.doubleToRawLongBits(Lion.sign(x)))
                        .isEqualTo(Double.doubleToRawLongBits(Math.signum(x))));
    }

    @Test
    void edgeCases() {
        for (double x : new double[] {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE,
                Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.NaN, 1e-320, -3.5}) {
            assertThat(Double.doubleToRawLongBits(Lion.sign(x))).as("sign(%s)", x)
                    .isEqualTo(Double.doubleToRawLongBits(Math.signum(x)));
        }
    }
}
