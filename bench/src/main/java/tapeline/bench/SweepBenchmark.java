package tapeline.bench;

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
 * The notebook's problem as a sweep: {@value #STEPS} Adam steps (lr 0.1, float64, convergence
 * tests off) on {@code x0*w^2 + x1*w + x2} for a block of lanes. One operation is one
 * config-step (one lane, one step), so the scores are config-steps per second.
 *
 * <p>{@link #engine} runs the generic solver (compiled steps, or with {@code -p codegen=false} the tape's
 * interpreter: tape forward, tape backward, per-lane checks, Adam);
 * {@link #handWritten} is the best plain loop we know for the same arithmetic: structure of arrays
 * over a cache-sized block, all steps of a block before the next, the gradient written out by
 * hand, no tape, no checks, a loop the JIT vectorises.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class SweepBenchmark {
    static final int STEPS = 1000;
    static final int SHORT_STEPS = 200;
    /** The sweep job benchmark's long run ({@code STEPS=10000 scripts/bench-sweep.sh}): the engine's rate at the job's steps. */
    static final int LONG_STEPS = 10_000;
    static final int LANES = 1024;

    @Param({"1024"})
    public int lanes;

    /** The engine's optimizer (Keras defaults but learning rate 0.1); the baseline is always Adam. */
    @Param({"adam"})
    public String optimizer;

    /** {@code float64} (the hand-written loop's type) or {@code float32}. */
    @Param({"float64"})
    public String dtype;

    /** Compiled steps (the default) or the tape's interpreter; {@code engine.codegen}. */
    @Param({"true"})
    public boolean codegen;

    double[] x0;
    double[] x1;
    double[] x2;
    BlockSolver solver;
    BlockSolver shortSolver;
    BlockSolver longSolver;
    Map<String, double[][]> inputs;

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        x0 = new double[lanes];
        x1 = new double[lanes];
        x2 = new double[lanes];
        for (int i = 0; i < lanes; i++) {
            x0[i] = 0.5 + rnd.nextDouble() * 4;
            x1[i] = -10 + 20 * rnd.nextDouble();
            x2[i] = -5 + 10 * rnd.nextDouble();
        }
        solver = solver(STEPS);
        shortSolver = solver(SHORT_STEPS);
        longSolver = solver(LONG_STEPS);
        inputs = Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1}, "x2", new double[][] {x2});
    }

    /** The notebook's cost, {@link #optimizer} at lr 0.1, {@code steps} steps with the convergence tests off. */
    private BlockSolver solver(int steps) {
        return new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"), List.of(new VariableSpec("w", 1)),
                Map.of("x0", 1, "x1", 1, "x2", 1), optimizer, Map.of("learning_rate", 0.1),
                new SolverSettings(steps, 0, 0), DType.parse(dtype)).withCodegen(codegen);
    }

    @Benchmark
    @OperationsPerInvocation(LANES * STEPS)
    public double engine() {
        BlockResult r = solver.solve(lanes, inputs, Map.of(), Map.of());
        return r.values()[0][0][lanes - 1];
    }

    /**
     * The same, {@value #SHORT_STEPS} steps per solve: only a run's early steps, which cost more for
     * some optimizers (Nadam's {@code u_product} divisions, until it underflows at step 224).
     */
    @Benchmark
    @OperationsPerInvocation(LANES * SHORT_STEPS)
    public double engineShortRun() {
        BlockResult r = shortSolver.solve(lanes, inputs, Map.of(), Map.of());
        return r.values()[0][0][lanes - 1];
    }

    /**
     * The same, {@value #LONG_STEPS} steps per solve: what the sweep job at 10,000 steps per row is
     * compared with (a block's setup and its last step weigh a tenth of what they weigh at 1000).
     */
    @Benchmark
    @OperationsPerInvocation(LANES * LONG_STEPS)
    public double engineLongRun() {
        BlockResult r = longSolver.solve(lanes, inputs, Map.of(), Map.of());
        return r.values()[0][0][lanes - 1];
    }

    @Benchmark
    @OperationsPerInvocation(LANES * STEPS)
    public double handWritten() {
        return HandWrittenAdam.solve(x0, x1, STEPS, 0.1, 0.9, 0.999, 1e-7)[lanes - 1];
    }
}
