package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link ExactSum#value()} rounds straight from the limbs; {@link ExactSum#toDouble} through
 * BigInteger is the reference it must equal bit for bit (which ExactSumTest ties to BigDecimal).
 */
class ExactSumFastPathTest {

    private static void assertSameBits(ExactSum s, String what) {
        double fast = s.value();
        double reference = ExactSum.toDouble(s.units());
        assertThat(Double.doubleToRawLongBits(fast)).as("%s: fast %s, reference %s", what, fast, reference)
                .isEqualTo(Double.doubleToRawLongBits(reference));
        assertThat(Double.doubleToRawLongBits(s.value())).as("value() leaves the sum as it was").isEqualTo(
                Double.doubleToRawLongBits(fast));
    }

    /** A finite double with a random sign, a random 53-bit significand and a biased exponent in [lo, hi]. */
    private static double random(Random r, int lo, int hi) {
        int e = lo + r.nextInt(hi - lo + 1);
        long m = r.nextLong() & 0x000F_FFFF_FFFF_FFFFL;
        double x = Double.longBitsToDouble(((long) e << 52) | m);
        return r.nextBoolean() ? x : -x;
    }

    @Test
    void randomSumsOverWideExponentRanges() {
        Random r = new Random(21);
        for (int c = 0; c < 20_000; c++) {
            ExactSum s = new ExactSum();
            int lo = r.nextInt(2047);
            int hi = lo + r.nextInt(2047 - lo);
            int n = 1 + r.nextInt(r.nextBoolean() ? 5 : 300);
            double[] xs = new double[n];
            for (int i = 0; i < n; i++) {
                xs[i] = random(r, lo, hi);
            }
            if (r.nextBoolean()) {
                s.addAll(xs, 0, n, ExactSum.newBuckets());
            } else {
                for (double x : xs) s.add(x);
            }
            assertSameBits(s, "case " + c);
        }
    }

    @Test
    void cancellationsLeavingSmallOrSubnormalResults() {
        Random r = new Random(22);
        for (int c = 0; c < 20_000; c++) {
            ExactSum s = new ExactSum();
            int n = 1 + r.nextInt(20);
            for (int i = 0; i < n; i++) {
                double big = random(r, 1, 2046);
                s.add(big);
                s.add(-big); // cancels exactly, leaving the limbs' borrows behind
            }
            // what is left: tiny (subnormal or near the smallest normals) or a few ulps of something
            int lo = r.nextBoolean() ? 0 : r.nextInt(2046);
            for (int i = 0, k = r.nextInt(4); i <= k; i++) {
                double x = lo == 0
                        ? (r.nextBoolean() ? 1 : -1) * Double.longBitsToDouble(r.nextLong() & 0x001F_FFFF_FFFF_FFFFL)
                        : random(r, lo, Math.min(2046, lo + 60));
                s.add(x);
            }
            assertSameBits(s, "case " + c);
        }
    }

    @Test
    void exactTiesAndNearTiesRoundToEven() {
        Random r = new Random(23);
        for (int c = 0; c < 20_000; c++) {
            double big = random(r, 2, 2046);
            double halfUlp = Math.ulp(big) / 2; // exact: a power of two, perhaps subnormal
            ExactSum s = new ExactSum();
            s.add(big);
            s.add(r.nextBoolean() ? halfUlp : -halfUlp);
            switch (r.nextInt(3)) {
                case 0 -> { } // an exact tie
                case 1 -> s.add(Double.MIN_VALUE); // just above (or inside) the tie: the sticky bit
                default -> s.add(-Double.MIN_VALUE);
            }
            assertSameBits(s, "case " + c + " big " + big);
        }
        // the edges of the formats
        double[][] edges = {
            {0.0}, {-0.0}, {Double.MIN_VALUE}, {-Double.MIN_VALUE}, {0x1p-1022, -Double.MIN_VALUE},
            {0x1.fffffffffffffp-1023, Double.MIN_VALUE}, {Double.MAX_VALUE, Math.ulp(Double.MAX_VALUE) / 2},
            {Double.MAX_VALUE, Math.ulp(Double.MAX_VALUE) / 2, -Double.MIN_VALUE},
            {-Double.MAX_VALUE, -Math.ulp(Double.MAX_VALUE) / 2}, {Double.MAX_VALUE, Double.MAX_VALUE},
            {1.0, 0x1p-53}, {1.0, 0x1p-53, Double.MIN_VALUE}, {1.0 + 0x1p-52, 0x1p-53}, {-1.0, -0x1p-53},
        };
        for (double[] xs : edges) {
            ExactSum s = new ExactSum();
            for (double x : xs) s.add(x);
            assertSameBits(s, java.util.Arrays.toString(xs));
        }
    }

    @Test
    void hugeCountsOverflowToInfinityOrCancel() {
        Random r = new Random(24);
        for (int c = 0; c < 300; c++) {
            ExactSum s = new ExactSum();
            int lo = r.nextInt(2047);
            for (int i = 0, k = 1 + r.nextInt(5); i < k; i++) {
                s.add(random(r, lo, Math.min(2046, lo + 100)));
            }
            ExactSum other = new ExactSum();
            other.add(random(r, 1, 2046));
            for (int d = 0, doublings = r.nextInt(62); d < doublings; d++) {
                s.merge(s.copy()); // 2^doublings copies of the sum, up to ~2^61
                assertSameBits(s, "case " + c + " after " + (d + 1) + " doublings");
            }
            s.merge(other);
            assertSameBits(s, "case " + c + " plus one more value");
        }
    }

    @Test
    void nonFiniteCountsStillDecide() {
        ExactSum s = new ExactSum();
        s.add(1.0);
        s.add(Double.NEGATIVE_INFINITY);
        assertThat(s.value()).isEqualTo(Double.NEGATIVE_INFINITY);
        s.add(Double.POSITIVE_INFINITY);
        assertThat(s.value()).isNaN();
    }
}
