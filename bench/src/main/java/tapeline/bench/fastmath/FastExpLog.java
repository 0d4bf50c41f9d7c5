package tapeline.bench.fastmath;

/**
 * A prototype for the lead's pending decision on issue 21 ("our own faster exp/log, which changes the
 * bits of every softplus/sigmoid job"): {@code exp} and {@code log} in plain Java arithmetic, with no
 * branch and no table, so that the JIT can inline them into a pass's lane loop (where
 * {@link Math#exp}/{@link Math#log} are calls of HotSpot's stub routines). Not used by the engine:
 * only {@link LogisticPassBenchmark} and {@link FastExpLogAccuracy} call it.
 *
 * <pre>{@code
 * FastExpLog.exp(1.0);   // 2.718281828459045 (within 1 ulp of StrictMath.exp)
 * FastExpLog.log(10.0);  // 2.302585092994046 (within 1 ulp of StrictMath.log)
 * }</pre>
 *
 * <p><b>exp</b>: {@code x = k ln2 + r}, {@code |r| <= ln2/2}, k by the round-to-nearest shift trick,
 * {@code r} by Cody-Waite's two-part ln2 (exact for every k that matters); {@code e^r} as
 * {@code 1 + (r + r^2 P(r))} with P the Taylor series to degree 11 (e^r's to degree 13; truncation
 * below 2^-57 on the interval); the scale {@code 2^k} applied as two powers of two so that overflow to infinity and
 * results in the subnormal range round once. x is clamped to [-746, 710] first (beyond, the result is
 * 0 or infinity either way); NaN stays NaN through the clamps.
 *
 * <p><b>log</b>: fdlibm's e_log.c (the algorithm of {@link StrictMath#log}) with its branches made
 * arithmetic: subnormals are scaled by 2^54 through a select, the {@code k == 0} and small-f shortcuts
 * are dropped (the general formula is the accurate one), and the special values (0, negative, +inf,
 * NaN) are selected at the end.
 */
public final class FastExpLog {
    private FastExpLog() {}

    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01; // fdlibm's: 32 bits, so k * LN2_HI is exact
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double SHIFT = 0x1.8p52; // adding it rounds to an integer held in the low mantissa bits
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);

    /** e^x, within 1 ulp. */
    public static double exp(double x) {
        double c = Math.min(Math.max(x, -746.0), 710.0);
        double kd = c * LOG2E + SHIFT;
        long kb = Double.doubleToRawLongBits(kd);
        kd -= SHIFT;
        double r = (c - kd * LN2_HI) - kd * LN2_LO;
        // e^r - 1 - r = r^2 (1/2 + r/6 + ... + r^11/13!); the next term, r^14/14!, is below 2^-57 for |r| <= 0.35
        double p = 1.6059043836821613e-10;           // 1/13!
        p = p * r + 2.08767569878681e-09;            // 1/12!
        p = p * r + 2.505210838544172e-08;           // 1/11!
        p = p * r + 2.755731922398589e-07;           // 1/10!
        p = p * r + 2.7557319223985893e-06;          // 1/9!
        p = p * r + 2.48015873015873e-05;            // 1/8!
        p = p * r + 1.984126984126984e-04;           // 1/7!
        p = p * r + 1.3888888888888889e-03;          // 1/6!
        p = p * r + 8.333333333333333e-03;           // 1/5!
        p = p * r + 4.1666666666666664e-02;          // 1/4!
        p = p * r + 1.6666666666666666e-01;          // 1/3!
        p = p * r + 0.5;
        double er = 1.0 + (r + r * r * p);
        // kd + SHIFT had SHIFT's exponent, so its bits are SHIFT's plus k; k in [-1077, 1025]
        long k = kb - SHIFT_BITS;
        long k1 = k >> 1;
        long k2 = k - k1;
        double s1 = Double.longBitsToDouble((k1 + 1023) << 52);
        double s2 = Double.longBitsToDouble((k2 + 1023) << 52);
        return er * s1 * s2;
    }

    private static final double TWO54 = 1.80143985094819840000e+16;
    private static final double LG1 = 6.666666666666735130e-01;
    private static final double LG2 = 3.999999999940941908e-01;
    private static final double LG3 = 2.857142874366239149e-01;
    private static final double LG4 = 2.222219843214978396e-01;
    private static final double LG5 = 1.818357216161805012e-01;
    private static final double LG6 = 1.531383769920937332e-01;
    private static final double LG7 = 1.479819860511658591e-01;

    /** The natural logarithm, within 1 ulp; log(0) = -inf, log(x < 0) = NaN. */
    public static double log(double x) {
        boolean sub = x < 0x1p-1022;
        double xs = sub ? x * TWO54 : x;
        long bits = Double.doubleToRawLongBits(xs);
        int hx = (int) (bits >>> 32);
        int k = ((hx >> 20) - 1023) - (sub ? 54 : 0);
        hx &= 0x000fffff;
        int i = (hx + 0x95f64) & 0x100000; // 0x100000 when the mantissa is above sqrt(2): halve it
        // the mantissa bits with the exponent of 1 (m in [1, sqrt 2)) or of 1/2 (m in [sqrt 1/2, 1))
        double m = Double.longBitsToDouble((bits & 0x000fffff_ffffffffL) | ((long) (i ^ 0x3ff00000) << 32));
        k += i >> 20;
        double f = m - 1.0;
        double s = f / (2.0 + f);
        double dk = k;
        double z = s * s;
        double w = z * z;
        double t1 = w * (LG2 + w * (LG4 + w * LG6));
        double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        double rr = t2 + t1;
        double hfsq = 0.5 * f * f;
        double r = dk * LN2_HI - ((hfsq - (s * (hfsq + rr) + dk * LN2_LO)) - f);
        double special = x == 0 ? Double.NEGATIVE_INFINITY : x > 0 ? x /* +inf */ : Double.NaN;
        return x > 0 && x < Double.POSITIVE_INFINITY ? r : (x != x ? x : special);
    }
}
