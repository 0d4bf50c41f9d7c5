package tapeline.bench.fastmath;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import tapeline.engine.group.GroupProblem;
import tapeline.engine.tape.Op;
import tapeline.engine.train.GradientAggregator;

/**
 * The grouped logistic fit's pass (issue 21: 200 rows x 5 features, {@code softplus(m) - y m},
 * m = b + w.x), one call per operation, and what {@link FastExpLog} would make of it: figures for the
 * lead's pending decision on an exp/log of our own (it would change the bits of every softplus and
 * sigmoid job; nothing in the engine uses it).
 *
 * <ul>
 * <li>{@code enginePass}: the engine's compiled pass ({@link GradientAggregator.Chunks#run}, what
 *     {@code BatchedGroupSolver} calls once per evaluation);
 * <li>{@code engineHessian}: Newton's pass ({@code Chunks.runNewton}: the gradient pass whose loop keeps the
 *     values the Hessian reads) and then its Hessian ({@code Chunks.hessian}), compiled, as
 *     {@code BatchedGroupSolver} makes each Newton evaluation;
 * <li>{@code copyMath}: a copy of that generated pass's source (dumped with
 *     {@code -Dtapeline.codegen.dump}), the same calls: it must time as {@code enginePass} does, which
 *     shows the copy is faithful;
 * <li>{@code copyFast}: the same copy with {@code Math.exp}, {@code Math.log} replaced by
 *     {@link FastExpLog}'s;
 * <li>{@code copyNoTranscendentals}: the same with {@code e^-|m|} and the log taken as constants: the
 *     floor of what any exp/log could give;
 * <li>{@code copyVector}: the copy's lane loop written with the Vector API ({@link VectorExpLog}: SVML's
 *     exp and log, 4 lanes at a time), the lane sums as before;
 * <li>{@code copyFastVector}: {@link FastExpLogVector}'s lane loop: FastExpLog's bits (checked at setup),
 *     four lanes at a time;
 * <li>{@code mathExp}/{@code fastExp}/{@code vectorExp}, {@code mathLog}/{@code fastLog}/{@code vectorLog}:
 *     the functions alone over the pass's arguments ({@code -|m|}, and {@code 1 + e^-|m|}).
 * </ul>
 *
 * <pre>
 *   java -jar bench/target/benchmarks.jar fastmath.LogisticPassBenchmark
 *   java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar tapeline.bench.fastmath.LogisticPassCpuTime
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-modules", "jdk.incubator.vector"})
public class LogisticPassBenchmark {
    static final int K = 5;

    @Param({"200"})
    public int rows;

    double[] y;
    double[][] x = new double[K][];
    double[] params = new double[K + 1];
    double[] negAbsM;
    double[] onePlusT;
    double[] out;
    double[] t0, t1, t2, d12, two = new double[2], g = new double[K + 1];
    GradientAggregator.Chunks chunks;

    @Setup
    public void setup() {
        Random r = new Random(7);
        y = new double[rows];
        for (int j = 0; j < K; j++) x[j] = new double[rows];
        double[] w = new double[K];
        for (int j = 0; j < K; j++) w[j] = 0.5 * r.nextGaussian();
        double b = r.nextGaussian();
        for (int i = 0; i < rows; i++) {
            double eta = b;
            for (int j = 0; j < K; j++) {
                x[j][i] = r.nextGaussian();
                eta += w[j] * x[j][i];
            }
            y[i] = r.nextDouble() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
        }
        params[0] = b;
        for (int j = 0; j < K; j++) params[j + 1] = w[j];
        negAbsM = new double[rows];
        onePlusT = new double[rows];
        for (int i = 0; i < rows; i++) {
            double m = b;
            for (int j = 0; j < K; j++) m += w[j] * x[j][i];
            negAbsM[i] = -Math.abs(m);
            onePlusT[i] = 1 + Math.exp(negAbsM[i]);
        }
        out = new double[rows];
        t0 = new double[rows];
        t1 = new double[rows];
        t2 = new double[rows];
        d12 = new double[rows];
        GroupProblem p = tapeline.bench.GroupSolveBenchmark.problem("logistic", "newton"); // the Hessian compiled too
        chunks = GradientAggregator.chunks(p.model());
        double[][] cols = new double[K + 1][];
        cols[0] = y;
        for (int j = 0; j < K; j++) cols[j + 1] = x[j];
        chunks.load(cols, 0, rows);
        double[] a = new double[K + 1];
        double[] c = new double[K + 1];
        double la = chunks.run(params, rows, a);
        double lc = copy(0);
        System.arraycopy(g, 0, c, 0, K + 1);
        if (Double.doubleToRawLongBits(la) != Double.doubleToRawLongBits(lc) || !Arrays.equals(a, c)) {
            throw new IllegalStateException("the copy of the generated pass does not give the engine's bits: "
                    + la + " " + Arrays.toString(a) + " against " + lc + " " + Arrays.toString(c));
        }
        double lf = copy(1);
        double[] gf = g.clone();
        double lfv = copy(4);
        if (Double.doubleToRawLongBits(lf) != Double.doubleToRawLongBits(lfv) || !Arrays.equals(gf, g)) {
            throw new IllegalStateException("FastExpLogVector's pass does not give FastExpLog's bits");
        }
        double lv = copy(3);
        System.out.printf("%nloss sum: Math %s, FastExpLog %s (difference %.3g relative), Vector API %s (%.3g)%n", lc, lf,
                (lf - lc) / lc, lv, (lv - lc) / lc);
    }

    @Benchmark
    public double enginePass() {
        return chunks.run(params, rows, g);
    }

    /** Newton's Hessian pass over the loaded rows (after a gradient pass, as BatchedGroupSolver calls it). */
    @Benchmark
    public double[] engineHessian() {
        chunks.runNewton(params, rows, g);
        return chunks.hessian(rows);
    }

    @Benchmark
    public double copyMath() {
        return copy(0);
    }

    @Benchmark
    public double copyFast() {
        return copy(1);
    }

    @Benchmark
    public double copyVector() {
        return copy(3);
    }

    @Benchmark
    public double copyFastVector() {
        return copy(4);
    }

    @Benchmark
    public double[] fastVectorExp() {
        FastExpLogVector.exp(negAbsM, out, rows);
        return out;
    }

    @Benchmark
    public double[] fastVectorLog() {
        FastExpLogVector.log(onePlusT, out, rows);
        return out;
    }

    @Benchmark
    public double[] vectorExp() {
        VectorExpLog.exp(negAbsM, out, rows);
        return out;
    }

    @Benchmark
    public double[] vectorLog() {
        VectorExpLog.log(onePlusT, out, rows);
        return out;
    }

    @Benchmark
    public double copyNoTranscendentals() {
        return copy(2);
    }

    @Benchmark
    public double[] mathExp() {
        for (int i = 0; i < rows; i++) out[i] = Math.exp(negAbsM[i]);
        return out;
    }

    @Benchmark
    public double[] fastExp() {
        for (int i = 0; i < rows; i++) out[i] = FastExpLog.exp(negAbsM[i]);
        return out;
    }

    @Benchmark
    public double[] mathLog() {
        for (int i = 0; i < rows; i++) out[i] = Math.log(onePlusT[i]);
        return out;
    }

    @Benchmark
    public double[] fastLog() {
        for (int i = 0; i < rows; i++) out[i] = FastExpLog.log(onePlusT[i]);
        return out;
    }

    /**
     * The generated train pass for {@code softplus(b + dot(w, x)) - y * (b + dot(w, x))} (float64, 19
     * nodes), as dumped, with its exp/log chosen by {@code how}: 0 Math, 1 FastExpLog, 2 none. Writes
     * the gradient sums into {@link #g}, returns the loss sum.
     */
    double copy(int how) {
        final int lanes = rows;
        final double v0 = params[0], v1 = params[1], v2 = params[2], v3 = params[3], v4 = params[4], v5 = params[5];
        final double[] n6 = y, n7 = x[0], n8 = x[1], n9 = x[2], n10 = x[3], n11 = x[4];
        // the generated pass sweeps the dot twice (the loss names it twice); it keeps one copy here
        for (int i = 0; i < lanes; i++) d12[i] = v1 * n7[i] + v2 * n8[i] + v3 * n9[i] + v4 * n10[i];
        for (int i = 0; i < lanes; i++) d12[i] = d12[i] + v5 * n11[i];
        final double[] d15 = t2; // the second sweep's buffer, reused below for the loss terms
        for (int i = 0; i < lanes; i++) d15[i] = v1 * n7[i] + v2 * n8[i] + v3 * n9[i] + v4 * n10[i];
        for (int i = 0; i < lanes; i++) d15[i] = d15[i] + v5 * n11[i];
        if (how == 0) {
            for (int i = 0; i < lanes; i++) {
                final double v13 = v0 + d12[i];
                final double e13 = Math.exp(-Math.abs(v13));
                final double v14 = Op.softplus(v13, e13);
                final double v16 = v0 + d15[i];
                final double v17 = n6[i] * v16;
                t0[i] = -1.0 * n6[i];
                t1[i] = 1.0 * Op.sigmoid(v13, e13);
                t2[i] = v14 - v17;
            }
        } else if (how == 1) {
            for (int i = 0; i < lanes; i++) {
                final double v13 = v0 + d12[i];
                final double e13 = FastExpLog.exp(-Math.abs(v13));
                final double u = 1.0 + e13;
                final double v14 = Math.max(v13, 0.0) + (FastExpLog.log(u) - ((u - 1.0) - e13) / u);
                final double v16 = v0 + d15[i];
                final double v17 = n6[i] * v16;
                t0[i] = -1.0 * n6[i];
                t1[i] = 1.0 * (v13 != v13 ? v13 : (v13 >= 0 ? 1.0 : e13) / u);
                t2[i] = v14 - v17;
            }
        } else if (how == 3) {
            VectorExpLog.logisticLanes(v0, d12, d15, n6, t0, t1, t2, lanes);
        } else if (how == 4) {
            FastExpLogVector.logisticLanes(v0, d12, d15, n6, t0, t1, t2, lanes);
        } else {
            for (int i = 0; i < lanes; i++) {
                final double v13 = v0 + d12[i];
                final double e13 = 0.25 - v13 * 1e-9; // stands in for e^-|m|
                final double u = 1.0 + e13;
                final double v14 = Math.max(v13, 0.0) + (0.2231435513142097 - ((u - 1.0) - e13) / u);
                final double v16 = v0 + d15[i];
                final double v17 = n6[i] * v16;
                t0[i] = -1.0 * n6[i];
                t1[i] = 1.0 * (v13 != v13 ? v13 : (v13 >= 0 ? 1.0 : e13) / u);
                t2[i] = v14 - v17;
            }
        }
        final double r0 = Op.laneSum(t0, lanes);
        Op.laneDot2(t0, n7, n8, lanes, two);
        final double r1 = two[0], r2 = two[1];
        Op.laneDot2(t0, n9, n10, lanes, two);
        final double r3 = two[0], r4 = two[1];
        final double r5 = Op.laneDot(t0, n11, lanes);
        final double r6 = Op.laneSum(t1, lanes);
        Op.laneDot2(t1, n7, n8, lanes, two);
        final double r7 = two[0], r8 = two[1];
        Op.laneDot2(t1, n9, n10, lanes, two);
        final double r9 = two[0], r10 = two[1];
        final double r11 = Op.laneDot(t1, n11, lanes);
        final double r12 = Op.laneSum(t2, lanes);
        g[0] = r0 + r6;
        g[1] = r1 + r7;
        g[2] = r2 + r8;
        g[3] = r3 + r9;
        g[4] = r4 + r10;
        g[5] = r5 + r11;
        return r12;
    }
}
