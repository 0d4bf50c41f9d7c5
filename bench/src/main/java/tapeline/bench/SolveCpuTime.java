package tapeline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * {@link SweepBenchmark#engine}'s work (the notebook's cost, 1024 lanes, float64 Adam lr 0.1, tests
 * off) timed by the thread's CPU clock instead of the wall clock: on a machine shared with other
 * jobs, time slices lost to them do not count, so two jars can be compared when JMH's wall-clock
 * scores swing by several times. Prints the median over 15 batches of CPU nanoseconds per
 * config-step, after a warm-up.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar tapeline.bench.SolveCpuTime 1000
 * </pre>
 */
public final class SolveCpuTime {
    private SolveCpuTime() {}

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int lanes = 1024;
        Random rnd = new Random(1); // SweepBenchmark's inputs
        double[] x0 = new double[lanes];
        double[] x1 = new double[lanes];
        double[] x2 = new double[lanes];
        for (int i = 0; i < lanes; i++) {
            x0[i] = 0.5 + rnd.nextDouble() * 4;
            x1[i] = -10 + 20 * rnd.nextDouble();
            x2[i] = -5 + 10 * rnd.nextDouble();
        }
        BlockSolver solver = new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"),
                List.of(new VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1), "adam",
                Map.of("learning_rate", 0.1), new SolverSettings(steps, 0, 0), DType.FLOAT64);
        Map<String, double[][]> in = Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1}, "x2", new double[][] {x2});
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int per = Math.max(1, 20000 / steps);
        for (int i = 0; i < 30 * per; i++) solver.solve(lanes, in, Map.of(), Map.of());
        double[] ns = new double[15];
        for (int b = 0; b < ns.length; b++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < per; i++) solver.solve(lanes, in, Map.of(), Map.of());
            ns[b] = (mx.getCurrentThreadCpuTime() - t0) / (double) ((long) per * lanes * steps);
        }
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "steps %d: median %.4f ns CPU per config-step (min %.4f)%n", steps,
                ns[ns.length / 2], ns[0]);
    }
}
