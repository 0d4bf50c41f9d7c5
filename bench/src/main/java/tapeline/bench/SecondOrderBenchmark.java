package tapeline.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.HessianProgram;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * Second order (issue 14), on blocks of {@value #LANES} lanes, one thread, float64.
 *
 * <p>{@link #newtonToTolerance} and {@link #adamToTolerance}: the notebook's cost
 * {@code x0*w^2 + x1*w + x2} over random coefficient sets, solved until the gradient norm is at
 * most 1e-9 (Adam: lr 0.1, at most {@value #ADAM_STEPS} steps); one operation is one row, so the
 * scores are rows per second. {@link #adamVerdictToTolerance}: Adam with {@code verdict = true}.
 *
 * <p>{@link #gradient}, {@link #hessian} and {@link #hessianVectorProduct}: a 10-variable cost per
 * lane, {@code dot(a, w)^2 + sum(x * w^2) + sum(cos(w))} (a full, lane-dependent Hessian), recorded
 * once; one operation is one lane's evaluation: a gradient (forward and reverse pass), the Hessian
 * (forward pass through the cost and its gradient program, one reverse pass per variable), or one
 * Hessian-vector product (forward, one reverse pass through {@code grad . v}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class SecondOrderBenchmark {
    static final int LANES = 1024;
    static final int ADAM_STEPS = 20000;
    static final int N = 10;

    BlockSolver newton;
    BlockSolver adam;
    BlockSolver adamVerdict;
    Map<String, double[][]> inputs;

    Tape gradientTape;
    int gradientCost;
    Tape hessianTape;
    HessianProgram hessianProgram;
    double[][] g;
    double[][][] h;
    Tape hvpTape;
    HessianProgram hvpProgram;
    double[][] v;
    double[][] hv;

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        double[] x0 = new double[LANES];
        double[] x1 = new double[LANES];
        double[] x2 = new double[LANES];
        for (int i = 0; i < LANES; i++) {
            x0[i] = 0.5 + rnd.nextDouble() * 4;
            x1[i] = -10 + 20 * rnd.nextDouble();
            x2[i] = -5 + 10 * rnd.nextDouble();
        }
        inputs = Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1}, "x2", new double[][] {x2});
        newton = quadratic("newton", Map.of(), 100);
        adam = quadratic("adam", Map.of("learning_rate", 0.1), ADAM_STEPS);
        adamVerdict = new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"), List.of(new VariableSpec("w", 1)),
                Map.of("x0", 1, "x1", 1, "x2", 1), "adam", Map.of("learning_rate", 0.1),
                new SolverSettings(ADAM_STEPS, 1e-9, 0, true), DType.FLOAT64);

        gradientTape = new Tape(DType.FLOAT64);
        gradientCost = record(gradientTape, rnd, null);
        hessianTape = new Tape(DType.FLOAT64);
        int[] vars = new int[N];
        int cost = record(hessianTape, new Random(1), vars);
        hessianProgram = HessianProgram.record(hessianTape, cost, vars);
        g = new double[N][LANES];
        h = new double[N][N][LANES];
        hvpTape = new Tape(DType.FLOAT64);
        int[] hvpVars = new int[N];
        int hvpCost = record(hvpTape, new Random(1), hvpVars);
        hvpProgram = HessianProgram.record(hvpTape, hvpCost, hvpVars);
        v = new double[N][LANES];
        for (double[] vi : v) java.util.Arrays.fill(vi, 0.5);
        hv = new double[N][LANES];
    }

    private BlockSolver quadratic(String optimizer, Map<String, Double> args, int steps) {
        return new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"), List.of(new VariableSpec("w", 1)),
                Map.of("x0", 1, "x1", 1, "x2", 1), optimizer, args, new SolverSettings(steps, 1e-9, 0), DType.FLOAT64);
    }

    /** Records the 10-variable cost on a tape of {@value #LANES} random lanes; fills the variable nodes if asked. */
    private static int record(Tape tape, Random rnd, int[] varNodes) {
        Map<String, Tensor[]> b = new LinkedHashMap<>();
        Tensor[] w = new Tensor[N];
        Tensor[] a = new Tensor[N];
        Tensor[] x = new Tensor[N];
        for (int i = 0; i < N; i++) {
            double[] wi = new double[LANES];
            double[] ai = new double[LANES];
            double[] xi = new double[LANES];
            for (int l = 0; l < LANES; l++) {
                wi[l] = rnd.nextDouble() * 2 - 1;
                ai[l] = rnd.nextDouble() * 2 - 1;
                xi[l] = 0.5 + rnd.nextDouble();
            }
            int node = tape.variable(wi, true, true);
            if (varNodes != null) varNodes[i] = node;
            w[i] = tape.tensor(node);
            a[i] = tape.tensor(tape.constant(ai));
            x[i] = tape.tensor(tape.constant(xi));
        }
        b.put("w", w);
        b.put("a", a);
        b.put("x", x);
        return Compiler.compile(Expression.parse("cost", "dot(a, w)^2 + sum(x * w^2) + sum(cos(w))"), b).node();
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double newtonToTolerance() {
        BlockResult r = newton.solve(LANES, inputs, Map.of(), Map.of());
        return r.values()[0][0][LANES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double adamToTolerance() {
        BlockResult r = adam.solve(LANES, inputs, Map.of(), Map.of());
        return r.values()[0][0][LANES - 1];
    }

    /** As {@link #adamToTolerance} with {@code verdict = true}: the price of the curvature watch and the verdict. */
    @Benchmark
    @OperationsPerInvocation(LANES)
    public double adamVerdictToTolerance() {
        BlockResult r = adamVerdict.solve(LANES, inputs, Map.of(), Map.of());
        return r.values()[0][0][LANES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double gradient() {
        gradientTape.forward();
        gradientTape.backward(gradientCost);
        return gradientTape.gradient(0)[0];
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double hessian() {
        hessianTape.forward();
        hessianProgram.evaluate(g, h);
        return h[N - 1][0][LANES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double hessianVectorProduct() {
        hvpProgram.hessianVectorProduct(v, hv);
        return hv[N - 1][LANES - 1];
    }
}
