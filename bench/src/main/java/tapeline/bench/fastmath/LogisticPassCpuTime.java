package tapeline.bench.fastmath;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link LogisticPassBenchmark}'s operations timed by the thread's CPU clock, in interleaved batches
 * (every variant once per round, 15 rounds, the median kept): on a machine shared with other builds,
 * the time slices lost to them do not count and every variant sees the same conditions, so the ratios
 * hold where JMH's wall-clock scores swing. Prints ns per call and per row.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar tapeline.bench.fastmath.LogisticPassCpuTime [rows=200]
 * </pre>
 */
public final class LogisticPassCpuTime {
    private LogisticPassCpuTime() {}

    public static void main(String[] a) {
        LogisticPassBenchmark b = new LogisticPassBenchmark();
        b.rows = a.length > 0 ? Integer.parseInt(a[0]) : 200;
        b.setup();
        String[] names = {"enginePass", "copyMath", "copyFast", "copyNoTranscendentals", "mathExp", "fastExp", "mathLog", "fastLog", "copyVector", "vectorExp", "vectorLog", "engineHessian", "copyFastVector", "fastVectorExp", "fastVectorLog"};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int calls = 20_000;
        double sink = 0;
        for (int w = 0; w < 10; w++) for (int v = 0; v < names.length; v++) sink += run(b, v, calls);
        double[][] ns = new double[names.length][15];
        for (int round = 0; round < 15; round++) {
            for (int v = 0; v < names.length; v++) {
                long c0 = mx.getCurrentThreadCpuTime();
                sink += run(b, v, calls);
                ns[v][round] = (mx.getCurrentThreadCpuTime() - c0) / (double) calls;
            }
        }
        for (int v = 0; v < names.length; v++) {
            Arrays.sort(ns[v]);
            System.out.printf(Locale.ROOT, "%-22s %9.1f ns/call CPU (median of 15; %.1f-%.1f)  %6.2f ns/row%n", names[v],
                    ns[v][7], ns[v][0], ns[v][14], ns[v][7] / b.rows);
        }
        if (sink == 42) System.out.println();
    }

    static double run(LogisticPassBenchmark b, int v, int calls) {
        double s = 0;
        for (int c = 0; c < calls; c++) {
            s += switch (v) {
                case 0 -> b.enginePass();
                case 1 -> b.copyMath();
                case 2 -> b.copyFast();
                case 3 -> b.copyNoTranscendentals();
                case 4 -> b.mathExp()[c % b.rows];
                case 5 -> b.fastExp()[c % b.rows];
                case 6 -> b.mathLog()[c % b.rows];
                case 7 -> b.fastLog()[c % b.rows];
                case 8 -> b.copyVector();
                case 9 -> b.vectorExp()[c % b.rows];
                case 10 -> b.vectorLog()[c % b.rows];
                case 11 -> b.engineHessian()[c % 36];
                case 12 -> b.copyFastVector();
                case 13 -> b.fastVectorExp()[c % b.rows];
                default -> b.fastVectorLog()[c % b.rows];
            };
        }
        return s;
    }
}
