package tapeline.bench.fastmath;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FastExpLog}'s exp and log, the same operations in the same order, four lanes at a time with
 * the Vector API (plain IEEE adds, multiplies and divides, no fused multiply-add): the same bits as the
 * scalar functions on every platform, unlike SVML's ({@link VectorExpLog}), which exist only on x86.
 * Bench only ({@code --add-modules jdk.incubator.vector}); {@link FastExpLogAccuracy} checks the bits
 * against the scalar functions.
 *
 * <pre>{@code
 * FastExpLogVector.exp(in, out, n);   // out[i] = FastExpLog.exp(in[i]), bit for bit
 * }</pre>
 */
public final class FastExpLogVector {
    private FastExpLogVector() {}

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_256;
    static final VectorSpecies<Long> L = LongVector.SPECIES_256;
    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double SHIFT = 0x1.8p52;
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
    private static final double[] EXP_P = {1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08,
        2.755731922398589e-07, 2.7557319223985893e-06, 2.48015873015873e-05, 1.984126984126984e-04,
        1.3888888888888889e-03, 8.333333333333333e-03, 4.1666666666666664e-02, 1.6666666666666666e-01, 0.5};

    /** e^x lane-wise, FastExpLog.exp's bits. */
    public static DoubleVector exp(DoubleVector x) {
        DoubleVector c = x.max(-746.0).min(710.0);
        DoubleVector kd = c.mul(LOG2E).add(SHIFT);
        LongVector kb = kd.reinterpretAsLongs();
        kd = kd.sub(SHIFT);
        DoubleVector r = c.sub(kd.mul(LN2_HI)).sub(kd.mul(LN2_LO));
        DoubleVector p = DoubleVector.broadcast(S, EXP_P[0]);
        for (int j = 1; j < EXP_P.length; j++) p = p.mul(r).add(EXP_P[j]);
        DoubleVector er = r.add(r.mul(r).mul(p)).add(1.0);
        LongVector k = kb.sub(SHIFT_BITS);
        LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        LongVector k2 = k.sub(k1);
        DoubleVector s1 = k1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector s2 = k2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return er.mul(s1).mul(s2);
    }

    private static final double TWO54 = 1.80143985094819840000e+16;
    private static final double LG1 = 6.666666666666735130e-01;
    private static final double LG2 = 3.999999999940941908e-01;
    private static final double LG3 = 2.857142874366239149e-01;
    private static final double LG4 = 2.222219843214978396e-01;
    private static final double LG5 = 1.818357216161805012e-01;
    private static final double LG6 = 1.531383769920937332e-01;
    private static final double LG7 = 1.479819860511658591e-01;

    /** log(x) lane-wise, FastExpLog.log's bits. */
    public static DoubleVector log(DoubleVector x) {
        VectorMask<Double> sub = x.compare(VectorOperators.LT, 0x1p-1022);
        DoubleVector xs = x.blend(x.mul(TWO54), sub);
        LongVector bits = xs.reinterpretAsLongs();
        LongVector hx = bits.lanewise(VectorOperators.LSHR, 32);
        // k as in FastExpLog.log; to a double by the shift trick (exact for these small integers: the same
        // value as its int-to-double conversion), since a long-to-double vector conversion needs AVX-512
        LongVector k = hx.lanewise(VectorOperators.ASHR, 20).sub(1023);
        hx = hx.and(0x000fffffL);
        LongVector i = hx.add(0x95f64L).and(0x100000L);
        DoubleVector m = bits.and(0x000fffff_ffffffffL).or(i.lanewise(VectorOperators.XOR, 0x3ff00000L)
                .lanewise(VectorOperators.LSHL, 32)).reinterpretAsDoubles();
        k = k.add(i.lanewise(VectorOperators.ASHR, 20));
        DoubleVector f = m.sub(1.0);
        DoubleVector s = f.div(f.add(2.0));
        DoubleVector dk = k.add(SHIFT_BITS).reinterpretAsDoubles().sub(SHIFT)
                .sub(DoubleVector.zero(S).blend(54.0, sub));
        DoubleVector z = s.mul(s);
        DoubleVector w = z.mul(z);
        DoubleVector t1 = w.mul(w.mul(w.mul(LG6).add(LG4)).add(LG2));
        DoubleVector t2 = z.mul(w.mul(w.mul(w.mul(LG7).add(LG5)).add(LG3)).add(LG1));
        DoubleVector rr = t2.add(t1);
        DoubleVector hfsq = f.mul(0.5).mul(f);
        DoubleVector r = dk.mul(LN2_HI).sub(hfsq.sub(s.mul(hfsq.add(rr)).add(dk.mul(LN2_LO))).sub(f));
        VectorMask<Double> normal = x.compare(VectorOperators.GT, 0.0).and(x.compare(VectorOperators.LT, Double.POSITIVE_INFINITY));
        DoubleVector special = DoubleVector.broadcast(S, Double.NaN)
                .blend(x, x.compare(VectorOperators.GT, 0.0))                          // +inf
                .blend(Double.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0.0))    // log(+-0)
                .blend(x, x.test(VectorOperators.IS_NAN));
        return special.blend(r, normal);
    }

    /** out[i] = FastExpLog.exp(in[i]) for i < n. */
    public static void exp(double[] in, double[] out, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) exp(DoubleVector.fromArray(S, in, i)).intoArray(out, i);
        for (; i < n; i++) out[i] = FastExpLog.exp(in[i]);
    }

    /** out[i] = FastExpLog.log(in[i]) for i < n. */
    public static void log(double[] in, double[] out, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) log(DoubleVector.fromArray(S, in, i)).intoArray(out, i);
        for (; i < n; i++) out[i] = FastExpLog.log(in[i]);
    }

    /** {@link VectorExpLog#logisticLanes} with these exp and log: FastExpLog's pass, vectorised. */
    public static void logisticLanes(double v0, double[] d, double[] d2, double[] y, double[] gy, double[] gs, double[] loss, int n) {
        int i = 0;
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        DoubleVector zero = DoubleVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector m = DoubleVector.fromArray(S, d, i).add(v0);
            DoubleVector t = exp(m.abs().neg());
            DoubleVector u = one.add(t);
            DoubleVector corr = u.sub(1.0).sub(t).div(u);
            DoubleVector sp = m.max(zero).add(log(u).sub(corr));
            DoubleVector sig = t.blend(one, m.compare(VectorOperators.GE, 0.0)).div(u).blend(m, m.test(VectorOperators.IS_NAN));
            DoubleVector yv = DoubleVector.fromArray(S, y, i);
            DoubleVector m2 = DoubleVector.fromArray(S, d2, i).add(v0);
            sp.sub(yv.mul(m2)).intoArray(loss, i);
            yv.mul(-1.0).intoArray(gy, i);
            sig.intoArray(gs, i);
        }
        for (; i < n; i++) {
            double m = v0 + d[i];
            double t = FastExpLog.exp(-Math.abs(m));
            double u = 1.0 + t;
            gs[i] = m != m ? m : (m >= 0 ? 1.0 : t) / u;
            loss[i] = Math.max(m, 0.0) + (FastExpLog.log(u) - ((u - 1.0) - t) / u) - y[i] * (v0 + d2[i]);
            gy[i] = -1.0 * y[i];
        }
    }
}
