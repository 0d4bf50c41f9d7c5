package tapeline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Same-run ratios on a shared machine: the contenders run in turn, round after round, each timed by
 * the CPU time of this thread (time the thread spent descheduled does not count), and each round
 * gives the ratio of every contender to the first. Prints the median and quartiles of those ratios.
 * JMH's figures on a busy machine swing by 50% between iterations; ratios taken within one round,
 * milliseconds apart, swing far less.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar tapeline.bench.Interleaved sweep 40      # rounds
 * java -cp bench/target/benchmarks.jar tapeline.bench.Interleaved optimizers 30
 * java -cp bench/target/benchmarks.jar tapeline.bench.Interleaved large 30
 * java -cp bench/target/benchmarks.jar tapeline.bench.Interleaved large 30 3 float32   # 3 variables, float32
 * java -Xmx2g -cp bench/target/benchmarks.jar tapeline.bench.Interleaved train 10   # train pass, compiled vs interpreted
 * </pre>
 */
public final class Interleaved {
    private Interleaved() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "sweep";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Map<String, DoubleSupplier> c = new LinkedHashMap<>();
        Map<String, String> baseline = new LinkedHashMap<>(); // a contender's ratio is to this one (default: the first)
        double opsPerCall;
        switch (what) {
            case "sweep" -> {
                SweepBenchmark hand = sweep("adam", "float64", true);
                c.put("handWritten", hand::handWritten);
                c.put("compiled float64", sweep("adam", "float64", true)::engine);
                c.put("interpreted float64", sweep("adam", "float64", false)::engine);
                c.put("compiled float32", sweep("adam", "float32", true)::engine);
                c.put("interpreted float32", sweep("adam", "float32", false)::engine);
                opsPerCall = SweepBenchmark.LANES * SweepBenchmark.STEPS;
            }
            case "steady" -> { // 1000 steps of a run that has not reached its end (no final window)
                SweepBenchmark hand = sweep("adam", "float64", true);
                c.put("handWritten", hand::handWritten);
                c.put("compiled float64", steady("float64", true));
                c.put("interpreted float64", steady("float64", false));
                c.put("compiled float32", steady("float32", true));
                c.put("interpreted float32", steady("float32", false));
                opsPerCall = SweepBenchmark.LANES * SweepBenchmark.STEPS;
            }
            case "optimizers" -> {
                for (String o : new String[] {"adam", "sgd", "rmsprop", "adagrad", "adamw", "adamax", "nadam", "lion"}) {
                    c.put(o, sweep(o, "float64", true)::engine);
                }
                opsPerCall = SweepBenchmark.LANES * SweepBenchmark.STEPS;
            }
            case "compiled" -> { // only the compiled engine, for a profiler
                c.put("handWritten", sweep("adam", "float64", true)::handWritten);
                c.put("compiled float64", sweep("adam", "float64", true)::engine);
                opsPerCall = SweepBenchmark.LANES * SweepBenchmark.STEPS;
            }
            case "nadam" -> { // Nadam against Adam, compiled and interpreted
                c.put("adam", sweep("adam", "float64", true)::engine);
                c.put("nadam", sweep("nadam", "float64", true)::engine);
                c.put("adam interpreted", sweep("adam", "float64", false)::engine);
                c.put("nadam interpreted", sweep("nadam", "float64", false)::engine);
                opsPerCall = SweepBenchmark.LANES * SweepBenchmark.STEPS;
            }
            case "large" -> {
                int vars = args.length > 2 ? Integer.parseInt(args[2]) : LargeCostBenchmark.VARS;
                String dtype = args.length > 3 ? args[3] : "float64";
                c.put("interpreted", large(false, vars, dtype)::solve);
                c.put("compiled", large(true, vars, dtype)::solve);
                opsPerCall = LargeCostBenchmark.LANES * LargeCostBenchmark.STEPS;
            }
            case "train" -> { // one thread's gradient pass over 1,000,000 rows: each compiled loss against its interpreted self
                TrainPass t = new TrainPass();
                String only = args.length > 2 ? args[2] : ""; // e.g. "ls dot": only the losses whose name contains it
                for (String loss : new String[] {"ls", "logistic", "large"}) {
                    for (boolean dot : new boolean[] {true, false}) {
                        if (loss.equals("large") && !dot) continue;
                        String name = loss.equals("large") ? "large" : loss + (dot ? " dot" : " spelled");
                        if (!name.contains(only)) continue;
                        c.put(name + " interpreted", t.pass(loss, dot, false));
                        c.put(name + " compiled", t.pass(loss, dot, true));
                        baseline.put(name + " compiled", name + " interpreted");
                    }
                }
                opsPerCall = TrainPass.ROWS;
            }
            default -> throw new IllegalArgumentException("sweep, steady, optimizers, compiled, nadam, large or train, got " + what);
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<String> names = new ArrayList<>(c.keySet());
        double[][] nanos = new double[names.size()][rounds];
        double sink = 0;
        for (int warm = 0; warm < 5; warm++) {
            for (DoubleSupplier s : c.values()) for (int k = 0; k < 5; k++) sink += s.getAsDouble();
        }
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < names.size(); j++) {
                DoubleSupplier s = c.get(names.get(j));
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int k = 0; k < 5; k++) sink += s.getAsDouble();
                nanos[j][r] = (cpu.getCurrentThreadCpuTime() - t0) / 5.0;
            }
        }
        System.out.printf("%s: %d rounds, CPU time of this thread per call; ratio to %s per round (median [q1, q3])%n",
                what, rounds, baseline.isEmpty() ? names.get(0) : "the first, or as named");
        for (int j = 0; j < names.size(); j++) {
            double[] ratio = new double[rounds];
            int base = names.indexOf(baseline.getOrDefault(names.get(j), names.get(0)));
            for (int r = 0; r < rounds; r++) ratio[r] = nanos[j][r] / nanos[base][r];
            Arrays.sort(ratio);
            double[] t = nanos[j].clone();
            Arrays.sort(t);
            System.out.printf("  %-26s %.3g %s/s (median, %.1f ns each)   ratio %.3f [%.3f, %.3f]%s%n", names.get(j),
                    opsPerCall / (t[rounds / 2] * 1e-9), what.equals("train") ? "rows" : "config-steps", t[rounds / 2] / opsPerCall,
                    ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4],
                    baseline.containsKey(names.get(j)) ? " to " + baseline.get(names.get(j)) : "");
        }
        if (sink == 42) System.out.println();
    }

    private static SweepBenchmark sweep(String optimizer, String dtype, boolean codegen) {
        SweepBenchmark b = new SweepBenchmark();
        b.lanes = SweepBenchmark.LANES;
        b.optimizer = optimizer;
        b.dtype = dtype;
        b.codegen = codegen;
        b.setup();
        return b;
    }

    private static DoubleSupplier steady(String dtype, boolean codegen) {
        SweepBenchmark b = sweep("adam", dtype, codegen);
        tapeline.engine.solve.BlockSolver solver = new tapeline.engine.solve.BlockSolver(
                tapeline.engine.expr.Expression.parse("cost", "x0 * w^2 + x1 * w + x2"),
                List.of(new tapeline.engine.solve.VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1), "adam",
                Map.of("learning_rate", 0.1), new tapeline.engine.solve.SolverSettings(Integer.MAX_VALUE, 0, 0),
                tapeline.engine.tape.DType.parse(dtype)).withCodegen(codegen);
        return () -> {
            tapeline.engine.solve.BlockRun run = solver.start(SweepBenchmark.LANES, b.inputs, Map.of(), Map.of());
            run.advance(SweepBenchmark.STEPS);
            return run.step();
        };
    }

    private static LargeCostBenchmark large(boolean codegen, int vars, String dtype) {
        LargeCostBenchmark b = new LargeCostBenchmark();
        b.codegen = codegen;
        b.vars = vars;
        b.dtype = dtype;
        b.setup();
        return b;
    }
}
