package tapeline.job.train.grouped;

import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;

/**
 * The reference solve of a block: each group alone, by {@link TrainLoop#run} over a gradient pass
 * that sums the group's rows (one sequence, in their canonical order), from {@link GroupStart}. What
 * {@code job = train} does with those rows, on one machine.
 *
 * <pre>{@code
 * BlockSolve s = new PerGroupTrainLoop(model, 100, 1e-6, 0, Reduce.MEAN, null, start);
 * GroupResult[] fits = s.solve(columns, new int[] {0, 10, 25});   // two groups: rows 0-9 and 10-24
 * }</pre>
 */
public record PerGroupTrainLoop(LossModel model, int steps, double gradTolerance, double lossTolerance, Reduce reduce,
                                Regularizer regularizer, GroupStart start) implements GroupedPartition.BlockSolve {

    @Override
    public GroupedPartition.GroupResult[] solve(double[][] columns, int[] starts) {
        TrainLoop.Settings settings = new TrainLoop.Settings(steps, gradTolerance, lossTolerance, reduce, 0, regularizer);
        GroupedPartition.GroupResult[] out = new GroupedPartition.GroupResult[starts.length - 1];
        for (int g = 0; g < out.length; g++) {
            int from = starts[g];
            int to = starts[g + 1];
            double[][] rows = new double[columns.length][];
            for (int c = 0; c < columns.length; c++) rows[c] = java.util.Arrays.copyOfRange(columns[c], from, to);
            try {
                TrainLoop.TrainResult r = TrainLoop.run(start.start(), settings,
                        (params, step) -> new GradientAggregator(model).add(params, rows, 0, to - from).snapshot(),
                        TrainLoop.Listener.NONE, state -> {});
                var h = r.state().history();
                var last = h.get(h.size() - 1);
                out[g] = new GroupedPartition.GroupResult(r.state().params(), last.loss(), last.gradNorm(), r.state().step(),
                        r.passes(), r.status().name(), error(r));
            } catch (Exception e) { // a group's own failure: reported on its row, the others go on
                out[g] = GroupedPartition.invalid("the fit failed: " + e);
            }
        }
        return out;
    }

    /** What the error column says: why a group DIVERGED or STALLED; null when it converged or ran its steps. */
    static String error(TrainLoop.TrainResult r) {
        return r.status() == TrainLoop.Status.DIVERGED || r.status() == TrainLoop.Status.STALLED ? r.message() : null;
    }
}
