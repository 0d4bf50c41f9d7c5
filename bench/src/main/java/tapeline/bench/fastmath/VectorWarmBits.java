package tapeline.bench.fastmath;

import java.util.SplittableRandom;

/**
 * Whether the Vector API's EXP gives the same bits before and after C2 compiles the loop: a cold
 * call (the API's Java fallback) and a warm one (SVML on x86) over the same arguments, and each
 * against {@link Math#exp}, and FastExpLogVector's the same way. Prints the counts of differing
 * results; the evidence in BENCHMARKS.md that SVML's bits depend on the JIT's state.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar tapeline.bench.fastmath.VectorWarmBits
 * </pre>
 */
public final class VectorWarmBits {
    private VectorWarmBits() {}

    public static void main(String[] a) {
        int n = 2000;
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = -40 * r.nextDouble(); // softplus/sigmoid's e^-|m|
        double[] cold = new double[n], warm = new double[n], fcold = new double[n], fwarm = new double[n];
        VectorExpLog.exp(x, cold, n);
        FastExpLogVector.exp(x, fcold, n);
        for (int k = 0; k < 50_000; k++) {
            VectorExpLog.exp(x, warm, n);
            FastExpLogVector.exp(x, fwarm, n);
        }
        int d = 0, dm = 0, dc = 0, fd = 0;
        for (int i = 0; i < n; i++) {
            if (Double.doubleToRawLongBits(cold[i]) != Double.doubleToRawLongBits(warm[i])) d++;
            if (Double.doubleToRawLongBits(warm[i]) != Double.doubleToRawLongBits(Math.exp(x[i]))) dm++;
            if (Double.doubleToRawLongBits(cold[i]) != Double.doubleToRawLongBits(Math.exp(x[i]))) dc++;
            if (Double.doubleToRawLongBits(fcold[i]) != Double.doubleToRawLongBits(fwarm[i])) fd++;
        }
        System.out.printf("of %d exp results: Vector API EXP cold vs warm differ in %d (warm vs Math.exp %d, cold vs Math.exp %d);"
                + " FastExpLogVector cold vs warm %d%n", n, d, dm, dc, fd);
    }
}
