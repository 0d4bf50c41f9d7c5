package tapeline.engine.group;

import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainRun;
import tapeline.engine.train.TrainState;

/**
 * The fast group solver: every group of a block on one recorded tape and its compiled pass, with the
 * same bits as {@link PerGroupSolver} (and so as {@code job = train} on the group's rows alone).
 *
 * <pre>{@code
 * GroupFit[] fits = new BatchedGroupSolver().solve(problem, block);
 * }</pre>
 *
 * <p><b>Why the same bits.</b> A group's run is a {@link TrainRun}, the state machine
 * {@link TrainLoop#run} loops over, so the steps, stop tests and divergence rule are the train job's
 * code. Its evaluations are the train pass's: chunks of {@code blockLanes} rows from the group's first
 * row, each evaluated by {@link GradientAggregator.Chunks} (the code {@link GradientAggregator#add}
 * runs, compiled or interpreted), each chunk's sum then summed exactly and rounded once. A group of
 * one chunk (at most {@code blockLanes} rows) needs no exact sum: the exact sum of one double, rounded,
 * is that double ({@code -0.0} becoming {@code 0.0}, as {@link tapeline.engine.train.ExactSum} gives).
 *
 * <p><b>Where the time goes.</b> What made a small group cost more than its rows was fixed cost per
 * evaluation: an aggregate's exact sums (72 limbs each, rounded through {@code BigInteger}), a map
 * look-up for the thread's tape, copying the rows into it, and a serialised copy of the start's
 * solver. Here the tape and its compiled pass are found once per block; a group of one chunk has its
 * rows copied into the tape once for its whole fit and each evaluation is one call of the compiled
 * pass over those lanes; the start's solver is used in place ({@link TrainRun#owning}). A group ends
 * when its own run does and the next group's rows take its place, so a block costs the sum of its
 * groups' evaluations (packing, one group at a time; the group's rows stay in cache over its passes).
 * Newton's evaluation is one pass ({@link GradientAggregator.Chunks#runNewton}) whose loop also keeps the
 * values its Hessian reads (no {@code e^-|x|} computed twice), and the Hessian is computed only where the
 * run reads it ({@link TrainRun#tell(GradientSums, java.util.function.Supplier, double)}: not at a refused
 * line-search trial).
 *
 * <p>A group's exception (its start failing, no rows, an evaluation throwing) becomes its fit with
 * status INVALID and the reason; a loss not finite at the start is DIVERGED, as in a train run.
 */
public final class BatchedGroupSolver implements GroupSolver {

    @Override
    public GroupFit[] solve(GroupProblem problem, GroupBlock block) {
        LossModel model = problem.model();
        TrainLoop.Settings s = PerGroupSolver.withoutCheckpoints(problem.settings());
        GradientAggregator.Chunks chunks = GradientAggregator.chunks(model);
        double[] g = new double[model.parameterCount()];
        GroupFit[] out = new GroupFit[block.groups()];
        for (int grp = 0; grp < out.length; grp++) {
            int from = block.from(grp);
            int n = block.to(grp) - from;
            TrainState start;
            try {
                start = problem.start().start();
            } catch (RuntimeException e) {
                out[grp] = PerGroupSolver.invalid(new double[0], "the start failed: " + PerGroupSolver.describe(e));
                continue;
            }
            if (n == 0) {
                out[grp] = PerGroupSolver.invalid(start.params(), "the group has no rows");
                continue;
            }
            out[grp] = fit(problem, model, s, chunks, block, from, n, start, g);
        }
        return out;
    }

    /**
     * One group's run, from its start to its end. A method of its own (not the block loop's body) so that
     * the JIT compiles it by its invocation count, a group at a time, and a recompilation (a deoptimised
     * loop predicate in the inlined Newton direction, say) is of this method, not of the whole block's
     * loop on stack replacement. The same operations in the same order as when it was the loop's body.
     */
    private static GroupFit fit(GroupProblem problem, LossModel model, TrainLoop.Settings s,
            GradientAggregator.Chunks chunks, GroupBlock block, int from, int n, TrainState start, double[] g) {
        try {
            TrainRun run = TrainRun.owning(start, s);
            boolean oneChunk = n <= model.blockLanes();
            if (oneChunk) chunks.load(block.columns(), from, n);
            boolean done = false;
            while (!done) {
                double[] p = run.point();
                if (run.needsJacobian()) {
                    // lm: least-squares passes over the group's rows (interpreted), as job = train's.
                    if (problem.residuals() == null) throw new IllegalStateException("optimizer lm needs residuals");
                    done = run.tell(new tapeline.engine.train.JacobianAggregator(problem.residuals())
                            .add(p, block.columns(), from, from + n).snapshot(), 0);
                    continue;
                }
                if (oneChunk) {
                    // Newton: its pass keeps the values the Hessian reads, and the Hessian is computed
                    // only where the run reads it (not at a refused line-search trial).
                    boolean newton = run.needsHessian();
                    double loss = newton ? chunks.runNewton(p, n, g) : chunks.run(p, n, g);
                    for (int k = 0; k < g.length; k++) g[k] = rounded(g[k]);
                    GradientSums sums = new GradientSums(n, rounded(loss), g);
                    done = newton ? run.tell(sums, () -> {
                        double[] h = chunks.hessian(n);
                        for (int k = 0; k < h.length; k++) h[k] = rounded(h[k]);
                        return h;
                    }, 0) : run.tell(sums, 0);
                } else {
                    done = run.tell(new GradientAggregator(model, run.needsHessian())
                            .add(p, block.columns(), from, from + n).snapshot(), 0);
                }
            }
            return PerGroupSolver.fit(run.result());
        } catch (RuntimeException e) {
            return PerGroupSolver.invalid(start.params(), PerGroupSolver.describe(e));
        }
    }

    /** The exact sum of the one value x, rounded: x, but 0.0 for -0.0 and the canonical NaN. */
    static double rounded(double x) {
        if (x == 0) return 0.0;
        return x != x ? Double.NaN : x;
    }
}
