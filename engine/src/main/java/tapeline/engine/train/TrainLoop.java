package tapeline.engine.train;

import java.io.Serializable;
import java.util.List;

import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.Divergence;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * The driver-side loop of a train job: gradient pass, judge, optimizer step, checkpoint. It never
 * sees where the rows are: a {@link GradientPass} (in the job, one broadcast and one
 * {@code treeAggregate}) hands it the sums. Pure Java, so it is tested with a local fold.
 *
 * <pre>{@code
 * TrainResult r = TrainLoop.run(TrainState.start(init, adam), settings,
 *         (params, step) -> localAggregate(params), TrainLoop.Listener.NONE, state -> {});
 * }</pre>
 *
 * <p>Step {@code t} evaluates the objective at the parameters after {@code t} optimizer steps and
 * records {@code (t, loss, |grad|)}. The run ends after the evaluation at step {@code steps}
 * ({@code MAX_STEPS}), or earlier when the gradient norm is at most {@code tolerance.grad}, or the
 * loss changed by at most {@code tolerance.loss} since the previous step ({@code CONVERGED}), or the
 * loss or gradient is not finite, or the loss falls without bound by the sweep's rule
 * ({@link Divergence}, sampling every step: windows of 8 steps, a verdict after 32 at the earliest;
 * e.g. a linear loss with no regulariser) ({@code DIVERGED}; the parameters are those that gave it).
 * Everything is deterministic, so a run resumed from a checkpoint ends bit for bit where an
 * uninterrupted one does.
 *
 * <p>With L-BFGS or OWL-QN ({@link TrainState#solver()}) a step is one iteration of the solver and
 * may take several passes (its line search); step {@code t}'s point is the iterate after {@code t}
 * iterations, and the run stops by Breeze's (MLlib's) tests ({@link QuasiNewton#check}), where both
 * tolerances are relative, with a message saying which.
 *
 * <p>A {@code regularizer} is added to the objective after the rows' mean or sum, for every optimizer.
 */
public final class TrainLoop {
    private TrainLoop() {}

    /** The sums of one gradient pass over the data (or step {@code step}'s mini-batch) at {@code params}. */
    @FunctionalInterface
    public interface GradientPass {
        GradientSums pass(double[] params, int step) throws Exception;
    }

    /** Told about every step (its point says how many passes it took); the job logs one line per call. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (point, rows, seconds) -> {};

        /** @param seconds wall time of the step's passes */
        void iteration(HistoryPoint point, long rows, double seconds);
    }

    /** Stores a state (the job: atomically, on a Hadoop FileSystem). */
    @FunctionalInterface
    public interface Checkpointer {
        void save(TrainState state) throws Exception;
    }

    /**
     * How a run ended. {@code STALLED}: L-BFGS or OWL-QN could not decrease the objective any further
     * (its line search failed twice). {@code INVALID}: the run could not be set up or evaluated at all
     * (a group with no rows, a start that failed); never returned by {@link #run}, which throws instead,
     * but by the group solvers ({@code tapeline.engine.group}) for one group while the others go on.
     */
    public enum Status { CONVERGED, MAX_STEPS, DIVERGED, STALLED, INVALID }

    /**
     * @param steps           optimizer steps at most
     * @param gradTolerance   stop when the gradient norm is at most this (0: off; L-BFGS, OWL-QN: relative, see {@link QuasiNewton#check})
     * @param lossTolerance   stop when |loss(t) - loss(t-1)| is at most this (0: off; L-BFGS, OWL-QN: relative, see {@link QuasiNewton#check})
     * @param reduce          objective = mean or sum of the rows' losses
     * @param checkpointEvery save after every this many steps (0: never)
     * @param regularizer     added to the objective, or null
     */
    // Serializable: a GroupProblem, which holds one, is shipped to Spark's tasks.
    public record Settings(int steps, double gradTolerance, double lossTolerance, Reduce reduce, int checkpointEvery,
                           Regularizer regularizer) implements Serializable {
        /** Without a regularizer. */
        public Settings(int steps, double gradTolerance, double lossTolerance, Reduce reduce, int checkpointEvery) {
            this(steps, gradTolerance, lossTolerance, reduce, checkpointEvery, null);
        }

        public Settings {
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            if (!(gradTolerance >= 0) || !(lossTolerance >= 0)) {
                throw new IllegalArgumentException("tolerances must be >= 0, got " + gradTolerance + " and " + lossTolerance);
            }
            if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery must be >= 0, got " + checkpointEvery);
        }
    }

    /**
     * The end of a run.
     *
     * @param state        the final parameters, optimizer and full history
     * @param status       why it ended
     * @param message      for DIVERGED, what was not finite or how the loss fell without bound; for L-BFGS
     *                     and OWL-QN, why it stopped; else null
     * @param passes       gradient passes made by this call (not counting those before a resume)
     * @param passSeconds  wall time of those passes
     */
    public record TrainResult(TrainState state, Status status, String message, int passes, double passSeconds) {
        public double finalLoss() {
            List<HistoryPoint> h = state.history();
            return h.isEmpty() ? Double.NaN : h.get(h.size() - 1).loss();
        }
    }

    /**
     * Runs from {@code start} (step 0, or a checkpoint's state) to the end. The state's optimizer
     * must be built for one lane of shared slots ({@link LossModel#buildOptimizer}).
     */
    public static TrainResult run(TrainState start, Settings s, GradientPass pass, Listener listener,
                                  Checkpointer checkpointer) throws Exception {
        TrainRun run = TrainRun.of(start, s);
        while (true) {
            double[] p = run.point();
            long t0 = System.nanoTime();
            GradientSums sums = pass.pass(p, run.step());
            double dt = (System.nanoTime() - t0) / 1e9;
            boolean done = run.tell(sums, dt);
            if (run.newPoint() != null) listener.iteration(run.newPoint(), run.lastRows(), run.stepSeconds());
            if (done) return run.result();
            if (run.checkpointDue()) checkpointer.save(run.state());
        }
    }

    static double norm(double[] g) {
        return QuasiNewton.norm(g);
    }
}
