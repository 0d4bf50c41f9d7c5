package tapeline.bench;

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

import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.tape.DType;

/**
 * One optimizer step over a block of lanes (one variable, Keras defaults, float64), per optimizer.
 * One operation is one lane-step; compare each optimizer's score with Adam's from the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class OptimizerBenchmark {
    static final int LANES = 1024;

    @Param({"adam", "sgd", "rmsprop", "adagrad", "adamw", "adamax", "nadam", "lion"})
    public String optimizer;

    Optimizer opt;
    double[][] values;
    double[][] grads;

    @Setup
    public void setup() {
        Random rnd = new Random(5);
        values = new double[1][LANES];
        grads = new double[1][LANES];
        for (int i = 0; i < LANES; i++) {
            values[0][i] = rnd.nextGaussian();
            grads[0][i] = rnd.nextGaussian();
        }
        opt = Optimizers.create(optimizer, Map.of(), DType.FLOAT64);
        opt.build(LANES, new boolean[] {true});
    }

    @Benchmark
    @OperationsPerInvocation(LANES)
    public double step() {
        opt.step(values, grads, LANES);
        return values[0][0];
    }
}
