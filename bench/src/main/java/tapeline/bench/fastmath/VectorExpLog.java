package tapeline.bench.fastmath;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The other candidate for issue 21's exp/log decision: Java 17's incubating Vector API
 * ({@code jdk.incubator.vector}), whose {@code EXP} and {@code LOG} lane-wise operations HotSpot
 * compiles to Intel's SVML routines on x86 (libjsvml, 4 doubles at a time with AVX2). Needs
 * {@code --add-modules jdk.incubator.vector} to compile and run; bench only, nothing in the engine.
 *
 * <pre>{@code
 * VectorExpLog.exp(in, out, n);   // out[i] = e^in[i], i < n
 * }</pre>
 */
public final class VectorExpLog {
    private VectorExpLog() {}

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** out[i] = e^in[i] for i < n (the tail by Math.exp). */
    public static void exp(double[] in, double[] out, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector.fromArray(S, in, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        }
        for (; i < n; i++) out[i] = Math.exp(in[i]);
    }

    /** out[i] = log(in[i]) for i < n (the tail by Math.log). */
    public static void log(double[] in, double[] out, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector.fromArray(S, in, i).lanewise(VectorOperators.LOG).intoArray(out, i);
        }
        for (; i < n; i++) out[i] = Math.log(in[i]);
    }

    /**
     * The logistic pass's lane loop ({@link LogisticPassBenchmark#copy}) with the Vector API: for each
     * lane, m = v0 + d[i], t = e^-|m|, u = 1 + t, the loss term softplus(m) - y (v0 + d2[i]) into
     * {@code loss}, -y into {@code gy}, sigmoid(m) into {@code gs}: the same formulas as
     * {@code Op.softplus(x, t)} and {@code Op.sigmoid(x, t)}.
     */
    public static void logisticLanes(double v0, double[] d, double[] d2, double[] y, double[] gy, double[] gs, double[] loss, int n) {
        int i = 0;
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        DoubleVector zero = DoubleVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector m = DoubleVector.fromArray(S, d, i).add(v0);
            DoubleVector t = m.abs().neg().lanewise(VectorOperators.EXP);
            DoubleVector u = one.add(t);
            DoubleVector corr = u.sub(1.0).sub(t).div(u);
            DoubleVector sp = m.max(zero).add(u.lanewise(VectorOperators.LOG).sub(corr));
            VectorMask<Double> up = m.compare(VectorOperators.GE, 0.0);
            DoubleVector sig = t.blend(one, up).div(u);
            VectorMask<Double> nan = m.test(VectorOperators.IS_NAN);
            sig = sig.blend(m, nan);
            DoubleVector yv = DoubleVector.fromArray(S, y, i);
            DoubleVector m2 = DoubleVector.fromArray(S, d2, i).add(v0);
            sp.sub(yv.mul(m2)).intoArray(loss, i);
            yv.mul(-1.0).intoArray(gy, i);
            sig.intoArray(gs, i);
        }
        for (; i < n; i++) {
            double m = v0 + d[i];
            double t = Math.exp(-Math.abs(m));
            gs[i] = tapeline.engine.tape.Op.sigmoid(m, t);
            loss[i] = tapeline.engine.tape.Op.softplus(m, t) - y[i] * (v0 + d2[i]);
            gy[i] = -1.0 * y[i];
        }
    }
}
