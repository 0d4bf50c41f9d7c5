package tapeline.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import tapeline.engine.group.BatchedGroupSolver;
import tapeline.engine.group.GroupBlock;
import tapeline.engine.group.GroupFit;
import tapeline.engine.group.GroupProblem;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;

/**
 * One group's solve without Spark (issue 21): {@value #GROUPS} groups x {@code rows} rows x 5
 * features, solved by {@link BatchedGroupSolver} as the grouped train's task solves a block, with the
 * job's settings for {@code scripts/bench-grouped.sh} (its losses, {@code reduce = mean},
 * {@code steps = 100}, {@code tolerance.grad = 1e-9}, L-BFGS's default {@code tolerance.loss = 1e-6}
 * and memory 10, Newton's defaults, block lanes 4096). One operation is one group, so the score is
 * the time per group; the peer is scipy's L-BFGS-B with a numpy gradient, about 850 to 930 us per group
 * of 200 rows on this machine (BENCHMARKS.md), so 10x is 85 to 93 us and 50x 17 to 19 us.
 *
 * <pre>
 *   java -jar bench/target/benchmarks.jar GroupSolveBenchmark
 *   java -jar bench/target/benchmarks.jar GroupSolveBenchmark -p loss=logistic -p optimizer=newton
 * </pre>
 *
 * <p>Passes per group are printed once per trial (setup), so a change that alters the path to the
 * optimum (more line-search trials, say) shows apart from one that makes a pass cheaper.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class GroupSolveBenchmark {
    static final int GROUPS = 500;
    static final int FEATURES = 5;

    /**
     * {@code ls}: {@code (y - (b + dot(w, x)))^2}; {@code logistic}: {@code softplus(m) - y m}, m = b + w.x
     * (the bench script's); {@code logistic1}: {@code softplus((1 - 2 y) m)}, the same for 0/1 labels.
     */
    @Param({"ls", "logistic"})
    public String loss;

    @Param({"lbfgs", "newton"})
    public String optimizer;

    @Param({"200"})
    public int rows;

    GroupProblem problem;
    GroupBlock block;
    final BatchedGroupSolver solver = new BatchedGroupSolver();

    @Setup
    public void setup() {
        boolean logistic = loss.startsWith("logistic");
        block = GroupSolveDriver.data(GROUPS, rows, FEATURES, logistic, 42);
        problem = problem(loss, optimizer);
        GroupFit[] fits = solver.solve(problem, block);
        long passes = 0;
        Map<TrainLoop.Status, Integer> count = new java.util.TreeMap<>();
        for (GroupFit f : fits) {
            passes += f.passes();
            count.merge(f.status(), 1, Integer::sum);
        }
        System.out.printf("%n%s %s: %.2f passes per group, %s%n", loss, optimizer, (double) passes / GROUPS, count);
    }

    /** The job's problem for scripts/bench-grouped.sh's loss and optimizer, compiled before timing. */
    public static GroupProblem problem(String loss, String optimizer) {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", FEATURES);
        String src = switch (loss) {
            case "ls" -> "(y - (b + dot(w, x)))^2";
            case "logistic" -> "softplus(b + dot(w, x)) - y * (b + dot(w, x))";
            // The same objective for 0/1 labels with the linear predictor written once.
            case "logistic1" -> "softplus((1 - 2 * y) * (b + dot(w, x)))";
            default -> throw new IllegalArgumentException("loss " + loss);
        };
        LossModel m = new LossModel(Expression.parse("loss", src),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", FEATURES)), in, DType.FLOAT64, 4096, true);
        String why = GradientAggregator.awaitCompiled(m);
        if (why != null) throw new IllegalStateException("the pass does not compile: " + why);
        int n = FEATURES + 1;
        GroupProblem.StartState start;
        double lossTolerance;
        if (optimizer.equals("lbfgs")) {
            start = () -> TrainState.start(QuasiNewton.lbfgs(new double[n], 10));
            lossTolerance = 1e-6; // the job's default for lbfgs
        } else if (optimizer.equals("newton")) {
            why = GradientAggregator.awaitHessianCompiled(m);
            if (why != null) throw new IllegalStateException("the Hessian does not compile: " + why);
            start = () -> TrainState.start(new double[n],
                    m.buildOptimizer(Optimizers.create("newton", Map.<String, Hyper>of(), DType.FLOAT64)));
            lossTolerance = 0;
        } else {
            throw new IllegalArgumentException("optimizer " + optimizer);
        }
        return new GroupProblem(m, new TrainLoop.Settings(100, 1e-9, lossTolerance, Reduce.MEAN, 0), start);
    }

    @Benchmark
    @OperationsPerInvocation(GROUPS)
    public GroupFit[] solve() {
        return solver.solve(problem, block);
    }
}
