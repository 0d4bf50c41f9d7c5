package tapeline.job.train.grouped;

import tapeline.engine.group.BatchedGroupSolver;
import tapeline.engine.group.GroupBlock;
import tapeline.engine.group.GroupFit;
import tapeline.engine.group.GroupProblem;
import tapeline.engine.group.GroupSolver;
import tapeline.engine.group.PerGroupSolver;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
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
 */
public record EngineSolve(LossModel model, int steps, double gradTolerance, double lossTolerance, Reduce reduce,
                          Regularizer regularizer, GroupStart start, boolean batched) implements GroupedPartition.BlockSolve {

    @Override
    public GroupedPartition.GroupResult[] solve(double[][] columns, int[] starts) {
        GroupProblem problem = new GroupProblem(model,
                new TrainLoop.Settings(steps, gradTolerance, lossTolerance, reduce, 0, regularizer), start);
        GroupSolver solver = batched ? new BatchedGroupSolver() : new PerGroupSolver();
        GroupFit[] fits = solver.solve(problem, new GroupBlock(columns, starts));
        GroupedPartition.GroupResult[] out = new GroupedPartition.GroupResult[fits.length];
        for (int g = 0; g < fits.length; g++) out[g] = result(fits[g]);
        return out;
    }

    /** A fit as its output row shows it: no parameters for an INVALID group; the message only where something went wrong. */
    static GroupedPartition.GroupResult result(GroupFit f) {
        return switch (f.status()) {
            case INVALID -> GroupedPartition.invalid(f.message());
            case DIVERGED, STALLED -> new GroupedPartition.GroupResult(f.params(), f.loss(), f.gradNorm(), f.steps(), f.passes(),
                    f.status().name(), f.message());
            default -> new GroupedPartition.GroupResult(f.params(), f.loss(), f.gradNorm(), f.steps(), f.passes(),
                    f.status().name(), null);
        };
    }

    /** The same solve by the other solver. */
    public EngineSolve withBatched(boolean on) {
        return new EngineSolve(model, steps, gradTolerance, lossTolerance, reduce, regularizer, start, on);
    }
}
