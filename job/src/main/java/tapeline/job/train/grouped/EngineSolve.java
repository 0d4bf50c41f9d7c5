package tapeline.job.train.grouped;

import tapeline.engine.group.BatchedGroupSolver;
import tapeline.engine.group.GroupBlock;
import tapeline.engine.group.GroupFit;
import tapeline.engine.group.GroupProblem;
import tapeline.engine.group.GroupSolver;
import tapeline.engine.group.GroupStandardErrors;
import tapeline.engine.group.PerGroupSolver;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.solve.StandardErrors;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.ParameterErrors;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;

/**
 * A block's solve by the engine's group solvers ({@link BatchedGroupSolver}, or the reference
 * {@link PerGroupSolver}), as the task runs it. It travels as plain parts, and the
 * {@link GroupProblem} is made in the task.
 *
 * <pre>{@code
 * BlockSolve s = new EngineSolve(model, 100, 1e-6, 1e-6, Reduce.MEAN, null, start, true);
 * GroupResult[] fits = s.solve(columns, new int[] {0, 10, 25});   // two groups: rows 0-9 and 10-24
 * }</pre>
 *
 * @param batched {@link BatchedGroupSolver} (the job's) or {@link PerGroupSolver} (the reference, for tests)
 * @param stderr  {@code stderr}, {@code cost.kind}: each solved group's standard errors
 *                ({@link GroupStandardErrors}, one more pass over its rows), or NONE
 */
public record EngineSolve(LossModel model, int steps, double gradTolerance, double lossTolerance, Reduce reduce,
                          Regularizer regularizer, GroupStart start, boolean batched,
                          tapeline.engine.train.ResidualModel residuals, double stepTolerance, StandardErrors.Kind stderr)
        implements GroupedPartition.BlockSolve {

    /** Without residuals (every optimizer but lm). */
    public EngineSolve(LossModel model, int steps, double gradTolerance, double lossTolerance, Reduce reduce,
                       Regularizer regularizer, GroupStart start, boolean batched) {
        this(model, steps, gradTolerance, lossTolerance, reduce, regularizer, start, batched, null, 0);
    }

    /** Without standard errors. */
    public EngineSolve(LossModel model, int steps, double gradTolerance, double lossTolerance, Reduce reduce,
                       Regularizer regularizer, GroupStart start, boolean batched,
                       tapeline.engine.train.ResidualModel residuals, double stepTolerance) {
        this(model, steps, gradTolerance, lossTolerance, reduce, regularizer, start, batched, residuals, stepTolerance,
                StandardErrors.Kind.NONE);
    }

    public EngineSolve {
        java.util.Objects.requireNonNull(stderr, "stderr");
    }

    /**
     * Starts compiling the pass (and the Hessian for newton) in the background, once per JVM: the
     * task's load phase then hides the compilation, and its solve runs compiled from the first group
     * ({@link tapeline.engine.train.GradientAggregator#precompile}). lm's passes are interpreted: nothing to start.
     */
    @Override
    public void prepare() {
        try {
            tapeline.engine.train.TrainRun run = tapeline.engine.train.TrainRun.owning(start.start(),
                    new TrainLoop.Settings(steps, gradTolerance, lossTolerance, reduce, 0, regularizer, stepTolerance));
            if (run.needsJacobian()) return;
            tapeline.engine.train.GradientAggregator.precompile(model, run.needsHessian());
        } catch (RuntimeException e) {
            // A start that fails is each group's INVALID status in the solve, with its reason; nothing to warm here.
        }
    }

    @Override
    public GroupedPartition.GroupResult[] solve(double[][] columns, int[] starts) {
        GroupProblem problem = new GroupProblem(model,
                new TrainLoop.Settings(steps, gradTolerance, lossTolerance, reduce, 0, regularizer, stepTolerance), start, residuals);
        GroupSolver solver = batched ? new BatchedGroupSolver() : new PerGroupSolver();
        GroupBlock block = new GroupBlock(columns, starts);
        GroupFit[] fits = solver.solve(problem, block);
        GroupedPartition.GroupResult[] out = new GroupedPartition.GroupResult[fits.length];
        for (int g = 0; g < fits.length; g++) {
            out[g] = result(fits[g], GroupStandardErrors.of(problem, stderr, block, g, fits[g]));
        }
        return out;
    }

    /**
     * A fit as its output row shows it: no parameters for an INVALID group; the message only where
     * something went wrong; its standard errors (null without {@code stderr}, or for an INVALID group).
     */
    static GroupedPartition.GroupResult result(GroupFit f, ParameterErrors errors) {
        return switch (f.status()) {
            case INVALID -> GroupedPartition.invalid(f.message());
            case DIVERGED, STALLED -> new GroupedPartition.GroupResult(f.params(), f.loss(), f.gradNorm(), f.steps(), f.passes(),
                    f.status().name(), f.message(), errors);
            default -> new GroupedPartition.GroupResult(f.params(), f.loss(), f.gradNorm(), f.steps(), f.passes(),
                    f.status().name(), null, errors);
        };
    }

    /** The same solve by the other solver. */
    public EngineSolve withBatched(boolean on) {
        return new EngineSolve(model, steps, gradTolerance, lossTolerance, reduce, regularizer, start, on, residuals, stepTolerance, stderr);
    }
}
