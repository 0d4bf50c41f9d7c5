package tapeline.engine.train;

import java.util.ArrayList;
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
    public record Settings(int steps, double gradTolerance, double lossTolerance, Reduce reduce, int checkpointEvery,
                           Regularizer regularizer) {
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
        if (start.solver() != null) {
            return runSolver(start, s, pass, listener, checkpointer);
        }
        double[] params = start.params();
        var optimizer = start.optimizer();
        int n = params.length;
        List<HistoryPoint> history = new ArrayList<>(start.history());
        double[][] values = new double[n][1];
        double[][] grads = new double[n][1];
        int passes = 0;
        double seconds = 0;
        // Every step is a sample (the loss is computed anyway), whatever steps is, so a run resumed with
        // more steps judges exactly as an uninterrupted one.
        Divergence divergence = start.divergence() != null ? start.divergence()
                : new Divergence(1, n, 1, optimizer.dtype(), "loss");
        double[] lossLane = new double[1];
        for (int step = start.step(); ; step++) {
            long t0 = System.nanoTime();
            Evaluation e = evaluate(pass, params, step, s);
            double dt = (System.nanoTime() - t0) / 1e9;
            passes++;
            seconds += dt;
            double loss = e.loss();
            double[] g = e.gradient();
            double norm = norm(g);
            HistoryPoint point = new HistoryPoint(step, loss, norm);
            history.add(point);
            listener.iteration(point, e.rows(), dt);

            String bad = notFinite(loss, g);
            boolean sample = divergence.samples(step);
            String runaway = null;
            for (int k = 0; k < n; k++) { // the one-lane view the rule and the optimizer read
                values[k][0] = params[k];
                grads[k][0] = g[k];
            }
            if (bad == null && sample) {
                lossLane[0] = loss;
                if (divergence.observe(step, lossLane, grads, values, 1) > 0) runaway = divergence.reason(0);
            }
            Status status = null;
            if (bad != null) {
                status = Status.DIVERGED;
            } else if ((s.gradTolerance() > 0 && norm <= s.gradTolerance())
                    || (s.lossTolerance() > 0 && history.size() >= 2
                        && Math.abs(loss - history.get(history.size() - 2).loss()) <= s.lossTolerance())) {
                status = Status.CONVERGED;
            } else if (runaway != null) {
                status = Status.DIVERGED;
                bad = runaway;
            } else if (step >= s.steps()) {
                status = Status.MAX_STEPS;
            }
            if (status != null) {
                String msg = bad == null ? null : "step " + step + ": " + bad;
                return new TrainResult(new TrainState(params, optimizer, step, history, divergence), status, msg,
                        passes, seconds);
            }
            if (sample) divergence.beforeStep(values, 1);
            optimizer.step(values, grads, 1);
            if (sample) divergence.afterStep(values, 1);
            for (int k = 0; k < n; k++) params[k] = values[k][0];
            if (s.checkpointEvery() > 0 && (step + 1) % s.checkpointEvery() == 0) {
                checkpointer.save(new TrainState(params, optimizer, step + 1, history, divergence));
            }
        }
    }

    /** The objective at one point: the rows' mean or sum, plus the regularizer. */
    private record Evaluation(double loss, double[] gradient, long rows) {}

    private static Evaluation evaluate(GradientPass pass, double[] params, int step, Settings s) throws Exception {
        GradientSums sums = pass.pass(params.clone(), step);
        if (sums.count() == 0) {
            throw new IllegalStateException("step " + step + ": the gradient pass saw no rows"
                    + " (an empty input, or a batch.fraction too small for it)");
        }
        double loss = sums.loss(s.reduce());
        double[] g = sums.gradient(s.reduce());
        if (s.regularizer() != null) {
            loss += s.regularizer().addTo(params, g);
        }
        return new Evaluation(loss, g, sums.count());
    }

    /**
     * L-BFGS or OWL-QN: every evaluation the solver asks for is one pass; a history point and a
     * listener call per iterate; a checkpoint holds the solver as it is after an iterate, its next
     * line search begun.
     */
    private static TrainResult runSolver(TrainState start, Settings s, GradientPass pass, Listener listener,
                                         Checkpointer checkpointer) throws Exception {
        QuasiNewton qn = start.solver().copy();
        List<HistoryPoint> history = new ArrayList<>(start.history());
        int passes = 0;
        double seconds = 0;
        double stepSeconds = 0;
        while (true) {
            double[] p = qn.point();
            int step = qn.iteration() + 1; // the step this evaluation may become
            long t0 = System.nanoTime();
            Evaluation e = evaluate(pass, p, step, s);
            double dt = (System.nanoTime() - t0) / 1e9;
            passes++;
            seconds += dt;
            stepSeconds += dt;
            if (qn.iteration() < 0) {
                String bad = notFinite(e.loss(), e.gradient());
                if (bad != null) {
                    HistoryPoint point = new HistoryPoint(0, e.loss(), norm(e.gradient()), 1);
                    history.add(point);
                    listener.iteration(point, e.rows(), dt);
                    return new TrainResult(new TrainState(p, null, 0, history, null, qn), Status.DIVERGED, "step 0: " + bad,
                            passes, seconds);
                }
            }
            QuasiNewton.Event event = qn.tell(e.loss(), e.gradient());
            if (event == QuasiNewton.Event.TRIAL) {
                continue;
            }
            if (event == QuasiNewton.Event.ITERATE) {
                HistoryPoint point = new HistoryPoint(qn.iteration(), qn.value(), qn.gradientNorm(), qn.lastStepPasses());
                history.add(point);
                listener.iteration(point, e.rows(), stepSeconds);
                stepSeconds = 0;
            }
            QuasiNewton.Stop stop = qn.check(s.steps(), s.lossTolerance(), s.gradTolerance());
            if (stop != null) {
                Status status = switch (stop) {
                    case MAX_STEPS -> Status.MAX_STEPS;
                    case LOSS, GRAD -> Status.CONVERGED;
                    case STALLED -> qn.runaway() != null ? Status.DIVERGED : Status.STALLED;
                };
                String why = "step " + qn.iteration() + ": " + (status == Status.DIVERGED ? qn.runaway()
                        : qn.explain(stop, s.steps(), s.lossTolerance(), s.gradTolerance()));
                return new TrainResult(new TrainState(qn.x(), null, qn.iteration(), history, null, qn), status, why, passes, seconds);
            }
            if (s.checkpointEvery() > 0 && qn.iteration() > start.step() && qn.iteration() % s.checkpointEvery() == 0) {
                checkpointer.save(new TrainState(qn.x(), null, qn.iteration(), history, null, qn));
            }
        }
    }

    private static String notFinite(double loss, double[] g) {
        if (!Double.isFinite(loss)) return "the loss is " + loss;
        for (int k = 0; k < g.length; k++) {
            if (!Double.isFinite(g[k])) return "gradient component " + k + " is " + g[k];
        }
        return null;
    }

    static double norm(double[] g) {
        return QuasiNewton.norm(g);
    }
}
