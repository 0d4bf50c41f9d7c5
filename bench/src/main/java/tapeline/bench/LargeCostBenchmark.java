package tapeline.bench;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * A larger cost than the notebook's: the sum of {@value #VARS}-1 Rosenbrock terms over a vector
 * variable {@code w[10]}, {@code sum (a - w[i])^2 + 100 (w[i+1] - w[i]^2)^2}, with a per-row
 * {@code a}: ten variables, about 80 ops. {@link #solve} is config-steps per second, compiled or
 * interpreted ({@code -p codegen=...}); {@link #generateAndCompile} is the one-off cost of a new
 * program (its source generated and compiled by Janino: each invocation changes a constant so the
 * cache never has it).
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class LargeCostBenchmark {
    static final int VARS = 10;
    static final int STEPS = 200;
    static final int LANES = 1024;
    private static final AtomicLong FRESH = new AtomicLong();

    @Param({"true", "false"})
    public boolean codegen;

    /** Variables of the Rosenbrock sum (its terms: one fewer). */
    @Param({"10"})
    public int vars = VARS;

    @Param({"float64"})
    public String dtype = "float64";

    BlockSolver solver;
    Map<String, double[][]> inputs;

    /** The cost text, with {@code k} in a term that is always zero (so a new k is a new program). */
    static String cost(double k) {
        return cost(k, VARS);
    }

    /** The same over {@code vars} variables. */
    static String cost(double k, int vars) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i + 1 < vars; i++) {
            s.append(i == 0 ? "" : " + ").append("(a - w[").append(i).append("])^2 + 100 * (w[").append(i + 1)
                    .append("] - w[").append(i).append("]^2)^2");
        }
        return s.append(" + 0 * ").append(k).append(" * w[0]").toString();
    }

    static BlockSolver solver(String cost, int steps) {
        return solver(cost, steps, VARS, DType.FLOAT64);
    }

    static BlockSolver solver(String cost, int steps, int vars, DType dtype) {
        return new BlockSolver(Expression.parse("cost", cost), List.of(new VariableSpec("w", vars)), Map.of("a", 1),
                "adam", Map.of("learning_rate", 0.001), new SolverSettings(steps, 0, 0), dtype);
    }

    @Setup
    public void setup() {
        Random rnd = new Random(3);
        double[] a = new double[LANES];
        for (int i = 0; i < LANES; i++) a[i] = 0.5 + rnd.nextDouble();
        inputs = Map.of("a", new double[][] {a});
        solver = solver(cost(0.5, vars), STEPS, vars, DType.parse(dtype)).withCodegen(codegen);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    @OperationsPerInvocation(LANES * STEPS)
    public double solve() {
        BlockResult r = solver.solve(LANES, inputs, Map.of(), Map.of());
        return r.values()[0][0][LANES - 1];
    }

    /** A new program each time: parse, record, generate the source, compile it, run one step on one lane. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 20)
    public double generateAndCompile() {
        BlockSolver s = solver(cost(1 + FRESH.incrementAndGet() * 1e-9), 1).withCodegen(codegen);
        BlockResult r = s.solve(1, Map.of("a", new double[][] {{1}}), Map.of(), Map.of());
        return r.values()[0][0][0];
    }
}
