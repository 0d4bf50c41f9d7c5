package tapeline.bench.fastmath;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * {@link FastExpLog} (or, with {@code -Dfastmath=vector}, {@link VectorExpLog}) against {@link StrictMath} (fdlibm): over each range, the largest difference in
 * units of the reference's last place and the share of arguments that differ at all; exits 1 if any
 * difference exceeds 1 ulp or a special value is wrong. The figures behind BENCHMARKS.md's exp/log
 * section (issue 21's pending decision).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar tapeline.bench.fastmath.FastExpLogAccuracy [samples per range]
 * java --add-modules jdk.incubator.vector -Dfastmath=vector -cp bench/target/benchmarks.jar tapeline.bench.fastmath.FastExpLogAccuracy
 * java --add-modules jdk.incubator.vector -Dfastmath=fastvector -cp ...   # FastExpLogVector, also bit for bit against FastExpLog
 * java -Dfastmath=math -cp ...                                            # today's Math.exp/Math.log, for comparison
 * </pre>
 */
public final class FastExpLogAccuracy {
    private FastExpLogAccuracy() {}

    public static void main(String[] a) {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 5_000_000;
        SplittableRandom rnd = new SplittableRandom(20261207);
        boolean ok = true;
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, -746, 710));
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, -1, 1));
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, -40, 0)); // softplus/sigmoid's e^-|x|
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, -745.2, -708)); // subnormal results
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, 700, 709.78)); // near overflow
        ok &= range("exp", FastExpLog::exp, StrictMath::exp, n, () -> uniform(rnd, -1e-6, 1e-6));
        ok &= range("log", FastExpLog::log, StrictMath::log, n, () -> Double.longBitsToDouble(rnd.nextLong(0x7ff0000000000000L))); // every positive finite double's exponent
        ok &= range("log", FastExpLog::log, StrictMath::log, n, () -> uniform(rnd, 1, 2)); // softplus's log(1 + e^-|x|)
        ok &= range("log", FastExpLog::log, StrictMath::log, n, () -> uniform(rnd, 0.5, 2));
        ok &= range("log", FastExpLog::log, StrictMath::log, n, () -> 1 + uniform(rnd, -1e-6, 1e-6));
        ok &= range("log", FastExpLog::log, StrictMath::log, n, () -> Double.longBitsToDouble(rnd.nextLong(1, 0x0010000000000000L))); // subnormal
        double[] specials = {0.0, -0.0, 1.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 709.782712893384, 709.7827128933841, -745.1332191019411,
                -745.1332191019412, -708.3964185322641, 1e-300, -1e-300};
        double[] sx = new double[8 * specials.length], se = new double[sx.length], sl = new double[sx.length];
        for (int i = 0; i < sx.length; i++) sx[i] = specials[i % specials.length]; // whole vectors of them, not the scalar tail
        if (VECTOR) {
            VectorExpLog.exp(sx, se, sx.length);
            VectorExpLog.log(sx, sl, sx.length);
        } else if (FAST_VECTOR) {
            FastExpLogVector.exp(sx, se, sx.length);
            FastExpLogVector.log(sx, sl, sx.length);
        } else {
            for (int i = 0; i < sx.length; i++) {
                se[i] = FastExpLog.exp(sx[i]);
                sl[i] = FastExpLog.log(sx[i]);
            }
        }
        for (int i = 0; i < sx.length; i++) {
            ok &= same("exp", sx[i], se[i], StrictMath.exp(sx[i]));
            ok &= same("log", sx[i], sl[i], StrictMath.log(sx[i]));
        }
        System.out.println(ok ? "all within 1 ulp of StrictMath" : "FAILED: some result more than 1 ulp from StrictMath");
        if (!ok) System.exit(1);
    }

    interface Gen {
        double next();
    }

    static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /** Vector API's (SVML's) instead of FastExpLog's: {@code -Dfastmath=vector}, run with --add-modules jdk.incubator.vector. */
    static final boolean VECTOR = "vector".equals(System.getProperty("fastmath"));
    /** FastExpLogVector's, also checked bit for bit against FastExpLog's: {@code -Dfastmath=fastvector}. */
    static final boolean FAST_VECTOR = "fastvector".equals(System.getProperty("fastmath"));
    /** Math's (HotSpot's intrinsics, today's pass): {@code -Dfastmath=math}, for comparison. */
    static final boolean MATH = "math".equals(System.getProperty("fastmath"));

    static boolean range(String name, DoubleUnaryOperator fast, DoubleUnaryOperator ref, int n, Gen g) {
        double worst = 0;
        double worstAt = Double.NaN;
        long differ = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = g.next();
        double[] fs = new double[n];
        if (VECTOR) {
            if (name.equals("exp")) VectorExpLog.exp(xs, fs, n); else VectorExpLog.log(xs, fs, n);
        } else if (MATH) {
            for (int i = 0; i < n; i++) fs[i] = name.equals("exp") ? Math.exp(xs[i]) : Math.log(xs[i]);
        } else if (FAST_VECTOR) {
            if (name.equals("exp")) FastExpLogVector.exp(xs, fs, n); else FastExpLogVector.log(xs, fs, n);
            long notSame = 0;
            for (int i = 0; i < n; i++) {
                if (Double.doubleToRawLongBits(fs[i]) != Double.doubleToRawLongBits(fast.applyAsDouble(xs[i]))) notSame++;
            }
            System.out.printf(Locale.ROOT, "  vectorised: %d of %d results not FastExpLog's bits%n", notSame, n);
            if (notSame > 0) return false;
        } else {
            for (int i = 0; i < n; i++) fs[i] = fast.applyAsDouble(xs[i]);
        }
        for (int i = 0; i < n; i++) {
            double x = xs[i];
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
            double f = fs[i];
            double s = ref.applyAsDouble(x);
            if (Double.doubleToRawLongBits(f) == Double.doubleToRawLongBits(s)) continue;
            differ++;
            double u = ulps(f, s);
            if (!(u <= worst)) {
                worst = u;
                worstAt = x;
            }
        }
        boolean ok = worst <= 1;
        System.out.printf(Locale.ROOT, "%s on [%.6g, %.6g], %d args: %.3f%% differ from StrictMath, the largest by %.0f ulp (at %s)%s%n",
                name, lo, hi, n, 100.0 * differ / n, worst, Double.toString(worstAt), ok ? "" : "  <-- more than 1 ulp");
        return ok;
    }

    /** |f - s| in units of s's last place (a NaN or an infinity against anything else: infinity). */
    static double ulps(double f, double s) {
        if (Double.isNaN(f) != Double.isNaN(s) || Double.isInfinite(f) || Double.isInfinite(s)) return Double.POSITIVE_INFINITY;
        return Math.abs(f - s) / Math.ulp(s);
    }

    static boolean same(String name, double x, double f, double s) {
        boolean ok = Double.doubleToRawLongBits(f) == Double.doubleToRawLongBits(s) || (Double.isNaN(f) && Double.isNaN(s))
                || ulps(f, s) <= 1;
        if (!ok) System.out.printf(Locale.ROOT, "%s(%s) = %s, StrictMath: %s  <-- wrong%n", name, x, f, s);
        return ok;
    }
}
