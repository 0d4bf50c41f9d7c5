package tapeline.engine.train;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of any number of doubles, rounded once, when read, to the nearest double (ties to
 * even). Because nothing is rounded on the way, the result does not depend on the order of the
 * additions nor on how they were split into partial sums that were then {@link #merge merged}:
 * {@code add} and {@code merge} are associative and commutative bit for bit. That is what makes the
 * train job's gradient the same for 1, 3 or 8 partitions and for any task completion order.
 *
 * <pre>{@code
 * ExactSum s = new ExactSum();
 * s.add(1e100); s.add(1.0); s.add(-1e100);
 * s.value();   // 1.0 (a plain double loop gives 0.0)
 * }</pre>
 *
 * <p><b>How.</b> Every finite double is {@code m * 2^(e-1075)} with an integer {@code |m| < 2^53}
 * and a biased exponent {@code e} in [1, 2046] (subnormals use e = 1). The sum is kept as one big
 * two's-complement integer in units of {@code 2^-1074}: {@value #LIMBS} limbs of 32 bits, each held
 * in a {@code long} so that carries can wait (a limb absorbs 2^31 additions before it must be
 * normalised). {@link #addAll} first adds the values of a run into one {@code long} per exponent
 * (at most 1024 of them, so {@code 1024 * 2^53} cannot overflow) and then moves each of those few
 * exponent sums into the limbs: about one array add per value.
 *
 * <p><b>Non-finite values.</b> Infinities and NaN are counted apart: the value is NaN if a NaN was
 * added or both infinities were, else the infinity that was added; else the rounded exact sum, which
 * is itself infinite only if it lies beyond {@code Double.MAX_VALUE} (rounding as IEEE 754 does).
 */
public final class ExactSum implements Serializable {
    private static final long serialVersionUID = 1L;

    /** 2098 bits cover every double in units of 2^-1074; 64 more bits of headroom for carries and counts. */
    static final int LIMBS = 72;
    private static final long MASK32 = 0xFFFFFFFFL;
    /** Limb additions allowed between normalisations (each adds less than 2^32 to a limb). */
    private static final int NORMALISE_EVERY = 1 << 30;
    /** Values per exponent bucket between flushes: 1024 * (2^53 - 1) < 2^63. */
    static final int RUN = 1024;

    private final long[] limbs = new long[LIMBS];
    private int pending;
    private long positiveInfinities;
    private long negativeInfinities;
    private boolean nan;

    /** Adds one value. */
    public void add(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int e = (int) (bits >>> 52) & 0x7FF;
        if (e == 0x7FF) {
            addNonFinite(x);
            return;
        }
        long m = bits & 0x000F_FFFF_FFFF_FFFFL;
        if (e == 0) {
            e = 1;
        } else {
            m |= 1L << 52;
        }
        addScaled(bits < 0 ? -m : m, e);
    }

    /**
     * Adds {@code values[from..to)}. {@code buckets} is scratch space of 2048 longs, all zero on entry
     * and left all zero; sharing one between sums keeps the working set small.
     */
    public void addAll(double[] values, int from, int to, long[] buckets) {
        for (int start = from; start < to; start += RUN) {
            int end = Math.min(to, start + RUN);
            int lo = 2048;
            int hi = -1;
            for (int i = start; i < end; i++) {
                long bits = Double.doubleToRawLongBits(values[i]);
                int e = (int) (bits >>> 52) & 0x7FF;
                long m = bits & 0x000F_FFFF_FFFF_FFFFL;
                if (e == 0 || e == 0x7FF) {
                    if (e == 0x7FF) {
                        addNonFinite(values[i]);
                        continue;
                    }
                    e = 1; // subnormal (or zero): no implicit bit, the exponent of the smallest normal
                } else {
                    m |= 1L << 52;
                }
                long sign = bits >> 63; // 0 or -1
                buckets[e] += (m ^ sign) - sign;
                lo = Math.min(lo, e);
                hi = Math.max(hi, e);
            }
            for (int e = lo; e <= hi; e++) {
                long s = buckets[e];
                if (s != 0) {
                    buckets[e] = 0;
                    addScaled(s, e);
                }
            }
        }
    }

    /** Adds {@code s * 2^(e-1075)} for {@code |s| < 2^63}, e in [1, 2046]. */
    private void addScaled(long s, int e) {
        int p = e - 1; // bit position of s's unit, in units of 2^-1074
        int i = p >>> 5;
        int shift = p & 31;
        long mag = Math.abs(s);
        long lo = mag << shift;
        long hi = shift == 0 ? 0 : mag >>> (64 - shift);
        long c0 = lo & MASK32;
        long c1 = lo >>> 32;
        if (s >= 0) {
            limbs[i] += c0;
            limbs[i + 1] += c1;
            limbs[i + 2] += hi;
        } else {
            limbs[i] -= c0;
            limbs[i + 1] -= c1;
            limbs[i + 2] -= hi;
        }
        if (++pending >= NORMALISE_EVERY) {
            normalise();
        }
    }

    private void addNonFinite(double x) {
        if (Double.isNaN(x)) {
            nan = true;
        } else if (x > 0) {
            positiveInfinities++;
        } else {
            negativeInfinities++;
        }
    }

    /** Adds everything {@code other} holds; {@code other} is unchanged. */
    public void merge(ExactSum other) {
        normalise();
        other.normalise();
        for (int i = 0; i < LIMBS; i++) {
            limbs[i] += other.limbs[i];
        }
        pending = 1;
        positiveInfinities += other.positiveInfinities;
        negativeInfinities += other.negativeInfinities;
        nan |= other.nan;
    }

    /** Carries: every limb but the top one into [0, 2^32), the top one keeps the sign. */
    private void normalise() {
        long carry = 0;
        for (int i = 0; i < LIMBS - 1; i++) {
            long v = limbs[i] + carry;
            limbs[i] = v & MASK32;
            carry = v >> 32; // arithmetic: a negative limb borrows from the next
        }
        limbs[LIMBS - 1] += carry;
        pending = 0;
    }

    /** The exact sum as an integer in units of 2^-1074 (finite values only). */
    BigInteger units() {
        normalise();
        BigInteger v = BigInteger.valueOf(limbs[LIMBS - 1]);
        for (int i = LIMBS - 2; i >= 0; i--) {
            v = v.shiftLeft(32).or(BigInteger.valueOf(limbs[i]));
        }
        return v;
    }

    /** The sum rounded once to the nearest double (ties to even); see the class comment for NaN and infinities. */
    public double value() {
        if (nan || (positiveInfinities > 0 && negativeInfinities > 0)) {
            return Double.NaN;
        }
        if (positiveInfinities > 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (negativeInfinities > 0) {
            return Double.NEGATIVE_INFINITY;
        }
        return fastValue();
    }

    /**
     * {@code toDouble(units())} without BigInteger (it was most of a group solve's time): the
     * magnitude's top 54 bits and a sticky bit straight from the limbs. A negative sum is negated in
     * place and negated back; normalised limbs are canonical, so the state is unchanged.
     */
    private double fastValue() {
        normalise();
        if (limbs[LIMBS - 1] < 0) {
            negateInPlace();
            double v = -roundMagnitude();
            negateInPlace();
            return v;
        }
        return roundMagnitude();
    }

    private void negateInPlace() {
        for (int i = 0; i < LIMBS; i++) {
            limbs[i] = -limbs[i];
        }
        normalise();
    }

    /** The normalised, non-negative limbs times 2^-1074, rounded as {@link #toDouble} does. */
    private double roundMagnitude() {
        int top = LIMBS - 1;
        while (top >= 0 && limbs[top] == 0) {
            top--;
        }
        if (top < 0) {
            return 0.0;
        }
        if (top >= 66) {
            return Double.POSITIVE_INFINITY; // at least 2^2112 units = 2^1038
        }
        if (top <= 1) {
            long a = limbs[0] | (limbs[1] << 32); // below 2^64: limbs are < 2^32 here
            if (a >>> 53 == 0) {
                return Math.scalb((double) a, -1074); // exact, subnormal or not
            }
        }
        int n = 32 * top + 64 - Long.numberOfLeadingZeros(limbs[top]); // bit length, > 53 here
        int drop = n - 53;
        int pos = drop - 1; // the half bit; read 54 bits from here
        int w = pos >>> 5;
        int s = pos & 31;
        long low64 = limbs[w] | (limbs[w + 1] << 32);
        long r = low64 >>> s;
        if (s != 0) {
            r |= limbs[w + 2] << (64 - s);
        }
        r &= (1L << 54) - 1;
        boolean half = (r & 1) != 0;
        long m = r >>> 1;
        boolean rest = (limbs[w] & ((1L << s) - 1)) != 0;
        for (int i = 0; i < w && !rest; i++) {
            rest = limbs[i] != 0;
        }
        if (half && (rest || (m & 1) == 1)) {
            m++; // may become 2^53: still exact as a double
        }
        return Math.scalb((double) m, drop - 1074); // overflows to infinity beyond MAX_VALUE
    }

    /** {@code u * 2^-1074}, correctly rounded. */
    static double toDouble(BigInteger u) {
        int sign = u.signum();
        if (sign == 0) {
            return 0.0;
        }
        BigInteger a = u.abs();
        int n = a.bitLength();
        if (n <= 53) {
            return sign * Math.scalb((double) a.longValueExact(), -1074); // exact, subnormal or not
        }
        // Beyond 53 bits the result is a normal number: keep 53 bits, round on the next one and the rest.
        int drop = n - 53;
        long m = a.shiftRight(drop).longValueExact();
        boolean half = a.testBit(drop - 1);
        boolean rest = a.getLowestSetBit() < drop - 1;
        if (half && (rest || (m & 1) == 1)) {
            m++; // may become 2^53: still exact as a double
        }
        return sign * Math.scalb((double) m, drop - 1074); // overflows to infinity beyond MAX_VALUE
    }

    /** True when both hold the same exact sum and the same non-finite counts. */
    public boolean sameAs(ExactSum o) {
        return nan == o.nan && positiveInfinities == o.positiveInfinities
                && negativeInfinities == o.negativeInfinities && units().equals(o.units());
    }

    @Override
    public String toString() {
        return "ExactSum(" + value() + ")";
    }

    /** A copy holding the same sum. */
    public ExactSum copy() {
        ExactSum c = new ExactSum();
        System.arraycopy(limbs, 0, c.limbs, 0, LIMBS);
        c.pending = pending;
        c.positiveInfinities = positiveInfinities;
        c.negativeInfinities = negativeInfinities;
        c.nan = nan;
        return c;
    }

    static long[] newBuckets() {
        return new long[2048];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExactSum s && sameAs(s);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {units(), nan, positiveInfinities, negativeInfinities});
    }
}
