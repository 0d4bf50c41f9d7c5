package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Lion's branch-free sign is Math.signum, bit for bit. */
class LionSignTest {

    @Property(tries = 2000)
    void equalsSignumForAnyDouble(@ForAll double x) {
        assertThat(Double.doubleToRawLongBits(Lion.sign(x))).isEqualTo(Double.doubleToRawLongBits(Math.signum(x)));
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
