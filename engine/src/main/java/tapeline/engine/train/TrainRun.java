package tapeline.engine.train;

import java.util.ArrayList;
import java.util.List;

import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.Divergence;
import tapeline.engine.train.TrainLoop.Settings;
import tapeline.engine.train.TrainLoop.Status;
import tapeline.engine.train.TrainLoop.TrainResult;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * One train run as a resumable state machine: it says where it wants the objective next
 * ({@link #point()}), the caller evaluates the rows there (one gradient pass) and {@link #tell}s it
 * the sums; after each tell the run has taken its step, or recorded a line-search trial, or ended
 * ({@link #finished()}, {@link #result()}). It holds every rule of a run (steps, stop tests,
 * divergence) so that {@link TrainLoop#run} (one run, its pass a Spark job) and the group solvers
 * (many runs, their passes evaluated together) share one implementation, and so the same bits.
 *
 * <pre>{@code
 * TrainRun run = TrainRun.of(start, settings);
 * while (!run.finished()) {
 *     double[] p = run.point();
 *     run.tell(new GradientAggregator(model).add(p, columns, 0, rows).snapshot(), 0);
 * }
 * TrainLoop.TrainResult r = run.result();
 * }</pre>
 */
public final class TrainRun {
    private final Settings s;
    private final List<HistoryPoint> history;
    private final int startStep;
    private int passes;
    private double seconds;
    private double stepSeconds;
    private double pendingSeconds; // L-BFGS: passes of the step not closed yet
    private long lastRows;
    private HistoryPoint newPoint;
    private boolean checkpointDue;
    private TrainResult result;

    // A Keras optimizer's run.
    private final double[] params;
    private final tapeline.engine.optim.Optimizer optimizer;
    private final Divergence divergence;
    private int step;
    private double[][] values;
    private double[][] grads;
    private final double[] lossLane = new double[1];

    // L-BFGS or OWL-QN.
    private final QuasiNewton qn;

    private TrainRun(TrainState start, Settings s, boolean copySolver) {
        this.s = s;
        this.history = new ArrayList<>(start.history());
        this.startStep = start.step();
        if (start.solver() != null) {
            qn = copySolver ? start.solver().copy() : start.solver();
            params = null;
            optimizer = null;
            divergence = null;
        } else {
            qn = null;
            params = start.params();
            optimizer = start.optimizer();
            int n = params.length;
            // Every step is a sample (the loss is computed anyway), whatever steps is, so a run resumed with
            // more steps judges exactly as an uninterrupted one.
            divergence = start.divergence() != null ? start.divergence()
                    : new Divergence(1, n, 1, optimizer.dtype(), "loss");
            step = start.step();
            values = new double[n][1];
            grads = new double[n][1];
        }
    }

    /** A run from {@code start} (step 0 or a checkpoint); {@code start}'s solver is copied, its Keras optimizer used in place. */
    public static TrainRun of(TrainState start, Settings s) {
        return new TrainRun(start, s, true);
    }

    /** As {@link #of}, but {@code start}'s solver is used in place (a fresh start the caller hands over). */
    public static TrainRun owning(TrainState start, Settings s) {
        return new TrainRun(start, s, false);
    }

    /** The parameters to evaluate next (a copy). */
    public double[] point() {
        if (result != null) throw new IllegalStateException("the run has ended");
        return qn != null ? qn.point() : params.clone();
    }

    /** The step the next evaluation belongs to (a mini-batch's seed): for L-BFGS the iterate it may become. */
    public int step() {
        return qn != null ? qn.iteration() + 1 : step;
    }

    /** Whether the run has ended. */
    public boolean finished() {
        return result != null;
    }

    /** How it ended (after {@link #finished()}). */
    public TrainResult result() {
        if (result == null) throw new IllegalStateException("the run has not ended");
        return result;
    }

    /** The history point the last tell added (one per step), or null (a line-search trial). */
    public HistoryPoint newPoint() {
        return newPoint;
    }

    /** Rows of the last evaluation. */
    public long lastRows() {
        return lastRows;
    }

    /** Wall time of the passes of the step {@link #newPoint()} closed. */
    public double stepSeconds() {
        return stepSeconds;
    }

    /** Whether the settings ask for a checkpoint now (after the last tell): {@link #state()}. */
    public boolean checkpointDue() {
        return checkpointDue;
    }

    /** The state as it is now: a checkpoint. */
    public TrainState state() {
        if (qn != null) return new TrainState(qn.x(), null, qn.iteration(), history, null, qn);
        return new TrainState(params, optimizer, step, history, divergence);
    }

    /**
     * The rows' sums at {@link #point()}.
     *
     * @param seconds the pass's wall time (for the listener and the result; 0 when not measured)
     * @return whether the run has ended
     * @throws IllegalStateException if the pass saw no rows
     */
    public boolean tell(GradientSums sums, double seconds) {
        if (result != null) throw new IllegalStateException("the run has ended");
        int evalStep = step();
        if (sums.count() == 0) {
            throw new IllegalStateException("step " + evalStep + ": the gradient pass saw no rows"
                    + " (an empty input, or a batch.fraction too small for it)");
        }
        double[] at = qn != null ? null : params;
        double loss = sums.loss(s.reduce());
        double[] g = sums.gradient(s.reduce());
        if (s.regularizer() != null) {
            loss += s.regularizer().addTo(at != null ? at : qn.point(), g);
        }
        passes++;
        this.seconds += seconds;
        lastRows = sums.count();
        newPoint = null;
        checkpointDue = false;
        if (qn != null) {
            tellSolver(loss, g, seconds);
        } else {
            tellKeras(loss, g, seconds);
        }
        return result != null;
    }

    private void tellKeras(double loss, double[] g, double dt) {
        int n = params.length;
        stepSeconds = dt;
        double norm = TrainLoop.norm(g);
        HistoryPoint point = new HistoryPoint(step, loss, norm);
        history.add(point);
        newPoint = point;

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
            result = new TrainResult(new TrainState(params, optimizer, step, history, divergence), status, msg,
                    passes, seconds);
            return;
        }
        if (sample) divergence.beforeStep(values, 1);
        optimizer.step(values, grads, 1);
        if (sample) divergence.afterStep(values, 1);
        for (int k = 0; k < n; k++) params[k] = values[k][0];
        step++;
        checkpointDue = s.checkpointEvery() > 0 && step % s.checkpointEvery() == 0;
    }

    /**
     * L-BFGS or OWL-QN: every evaluation the solver asks for is one pass; a history point per
     * iterate; a checkpoint holds the solver as it is after an iterate, its next line search begun.
     */
    private void tellSolver(double loss, double[] g, double dt) {
        pendingSeconds += dt;
        if (qn.iteration() < 0) {
            String bad = notFinite(loss, g);
            if (bad != null) {
                HistoryPoint point = new HistoryPoint(0, loss, TrainLoop.norm(g), 1);
                history.add(point);
                newPoint = point;
                result = new TrainResult(new TrainState(qn.point(), null, 0, history, null, qn), Status.DIVERGED,
                        "step 0: " + bad, passes, seconds);
                return;
            }
        }
        QuasiNewton.Event event = qn.tell(loss, g);
        if (event == QuasiNewton.Event.TRIAL) {
            return;
        }
        if (event == QuasiNewton.Event.ITERATE) {
            HistoryPoint point = new HistoryPoint(qn.iteration(), qn.value(), qn.gradientNorm(), qn.lastStepPasses());
            history.add(point);
            newPoint = point;
            stepSeconds = pendingSeconds;
            pendingSeconds = 0;
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
            result = new TrainResult(new TrainState(qn.x(), null, qn.iteration(), history, null, qn), status, why,
                    passes, seconds);
            return;
        }
        checkpointDue = s.checkpointEvery() > 0 && qn.iteration() > startStep && qn.iteration() % s.checkpointEvery() == 0;
    }

    static String notFinite(double loss, double[] g) {
        if (!Double.isFinite(loss)) return "the loss is " + loss;
        for (int k = 0; k < g.length; k++) {
            if (!Double.isFinite(g[k])) return "gradient component " + k + " is " + g[k];
        }
        return null;
    }
}
