package tapeline.engine.train;

import java.util.ArrayList;
import java.util.List;

import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.Divergence;
import tapeline.engine.solve.NewtonAcceptance;
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

    // Newton (a Keras-style run whose step is a damped Newton step with a line search).
    private final tapeline.engine.optim.Newton newton;
    private boolean trialPhase;
    private double[] trialPoint;
    private double[] direction;
    private double costAt;       // the objective at params
    private double normAt;       // its gradient's norm
    private double slope;        // g . d
    private double t;            // the trial step
    private int trials;
    private int stepPasses;
    private TrainState checkpoint;
    private tapeline.engine.solve.NewtonDirection newtonRule;

    // Levenberg-Marquardt (optimizer = lm): a pass gives the least-squares sums (tellLm).
    private final tapeline.engine.optim.LevenbergMarquardt lmState;
    private final tapeline.engine.solve.LmNormalStep lmStep;
    private boolean lmTrialPhase;
    private double[] lmTrial;
    private int lmTrials;

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
        newton = optimizer instanceof tapeline.engine.optim.Newton nt ? nt : null;
        lmState = optimizer instanceof tapeline.engine.optim.LevenbergMarquardt l ? l : null;
        lmStep = lmState == null ? null : new tapeline.engine.solve.LmNormalStep(lmState, params.length,
                s.lossTolerance(), s.stepTolerance(), s.gradTolerance(), lmState.dtype());
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
        if (trialPhase) return trialPoint.clone();
        if (lmTrialPhase) return lmTrial.clone();
        return qn != null ? qn.point() : params.clone();
    }

    /** Whether the next evaluation must include the rows' Hessian ({@code optimizer = newton}: every one). */
    public boolean needsHessian() {
        return newton != null;
    }

    /** Whether the next evaluation is a least-squares pass ({@code optimizer = lm}): {@link #tell(JacobianSums, double)}. */
    public boolean needsJacobian() {
        return lmState != null;
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
        if (checkpoint != null) return checkpoint;
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
        return tell(sums, null, seconds);
    }

    /**
     * As {@link #tell(GradientSums, double)}, with Newton's Hessian sums (in {@link GradientSums#hessianSum}'s
     * layout) asked for only where the run reads them: at an iterate, not at a line-search trial it
     * refuses. {@code hessianSum} is called at most once, during this call (so it may read what the
     * caller's pass has just kept); null: they are in {@code sums}.
     */
    public boolean tell(GradientSums sums, java.util.function.Supplier<double[]> hessianSum, double seconds) {
        if (result != null) throw new IllegalStateException("the run has ended");
        if (lmState != null) throw new IllegalStateException("optimizer lm is told least-squares sums (JacobianSums), not a gradient");
        int evalStep = step();
        if (sums.count() == 0) {
            throw new IllegalStateException("step " + evalStep + ": the gradient pass saw no rows"
                    + " (an empty input, or a batch.fraction too small for it)");
        }
        double[] at = qn != null ? qn.point() : trialPhase ? trialPoint : params;
        double loss = sums.loss(s.reduce());
        double[] g = sums.gradient(s.reduce());
        if (s.regularizer() != null) {
            loss += s.regularizer().addTo(at, g);
        }
        java.util.function.Supplier<double[][]> h = null;
        if (newton != null) {
            if (hessianSum == null && !sums.hasHessian()) {
                throw new IllegalStateException("optimizer newton needs the pass to sum the rows' Hessians");
            }
            h = () -> {
                GradientSums with = hessianSum == null ? sums
                        : new GradientSums(sums.count(), sums.lossSum(), sums.gradientSum(), hessianSum.get());
                double[][] m = with.hessian(s.reduce());
                if (s.regularizer() != null) s.regularizer().addHessian(at, m);
                return m;
            };
        }
        passes++;
        this.seconds += seconds;
        lastRows = sums.count();
        newPoint = null;
        checkpointDue = false;
        checkpoint = null;
        if (qn != null) {
            tellSolver(loss, g, seconds);
        } else if (newton != null) {
            tellNewton(loss, g, h, seconds);
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
        if (judge(loss, g, norm, bad, sample)) return;
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

    /** Halvings of the trial step before a Newton step gives up (the sweep's {@code NewtonStep.BACKTRACKS}). */
    static final int BACKTRACKS = 40;

    /**
     * Newton: each evaluation carries the Hessian. At an iterate: judge it (as a Keras step), then
     * the direction {@code d = -V diag(1/max(|l|, zero)) V' g} (H's eigen-decomposition; the sweep's
     * {@code NewtonStep}: where H is positive definite, {@code -H^-1 g}) and trials
     * {@code x + t d} for {@code t = learning_rate, t/2, ...}, each taken or refused by the sweep's
     * rule ({@link NewtonAcceptance}: Armijo on the objective where its rounding lets it tell, else the
     * trial's gradient norm); the taken trial's evaluation is the next iterate's. STALLED when the
     * search runs out: no trial taken in {@value #BACKTRACKS} halvings, or a trial point that is x
     * itself (every smaller step is x too).
     */
    private void tellNewton(double loss, double[] g, java.util.function.Supplier<double[][]> hessian, double dt) {
        stepPasses++;
        if (!trialPhase) {
            judgeNewton(loss, g, hessian.get(), dt);
            return;
        }
        double norm = TrainLoop.norm(g);
        NewtonAcceptance.Judged judged = notFinite(loss, g) != null ? NewtonAcceptance.Judged.REFUSE
                : NewtonAcceptance.byCost(costAt, loss, t, slope, newton.armijo(0), optimizer.dtype());
        boolean accept = judged == NewtonAcceptance.Judged.TAKE
                || (judged == NewtonAcceptance.Judged.BY_GRADIENT && NewtonAcceptance.byGradient(normAt, norm, t));
        if (!accept) {
            if (++trials > BACKTRACKS) {
                stall("no trial along the Newton direction was taken (" + (BACKTRACKS + 1) + " trial steps from "
                        + newton.initialStep(0) + "; near the optimum a trial must lower the gradient norm, the objective's"
                        + " change being below its rounding)");
                return;
            }
            t *= 0.5;
            for (int k = 0; k < params.length; k++) trialPoint[k] = optimizer.dtype().round(params[k] + t * direction[k]);
            stallIfUnmoved();
            return;
        }
        double[][] h = hessian.get(); // a taken trial is the next iterate: its Hessian is read (at the trial point)
        trialPhase = false;
        boolean sample = divergence.samples(step);
        System.arraycopy(trialPoint, 0, params, 0, params.length);
        for (int k = 0; k < params.length; k++) values[k][0] = params[k];
        if (sample) divergence.afterStep(values, 1);
        step++;
        if (s.checkpointEvery() > 0 && step % s.checkpointEvery() == 0) {
            // The state before the new iterate is judged, as a Keras step's: a resumed run evaluates it again.
            checkpoint = copyOf(new TrainState(params, optimizer, step, history, divergence));
        }
        judgeNewton(loss, g, h, dt);
        checkpointDue = checkpoint != null;
    }

    /**
     * The stop rules every step of a Keras optimizer or Newton is judged by, in this order: a non-finite
     * value ({@code bad}), the tolerances, the divergence rule (on its sample steps), the step limit.
     * Fills the one-lane view the rule and the optimizer read; true (and {@link #result} set) when the run ends.
     */
    private boolean judge(double loss, double[] g, double norm, String bad, boolean sample) {
        int n = params.length;
        String runaway = null;
        for (int k = 0; k < n; k++) {
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
        if (status == null) return false;
        String msg = bad == null ? null : "step " + step + ": " + bad;
        result = new TrainResult(new TrainState(params, optimizer, step, history, divergence), status, msg, passes, seconds);
        return true;
    }

    private void judgeNewton(double loss, double[] g, double[][] h, double dt) {
        int n = params.length;
        stepSeconds = dt;
        double norm = TrainLoop.norm(g);
        HistoryPoint point = new HistoryPoint(step, loss, norm, stepPasses);
        stepPasses = 0;
        history.add(point);
        newPoint = point;
        String bad = notFinite(loss, g);
        if (bad == null) {
            for (double[] row : h) {
                for (double v : row) if (!Double.isFinite(v)) bad = "the Hessian has a component " + v;
            }
        }
        boolean sample = divergence.samples(step);
        if (judge(loss, g, norm, bad, sample)) return;
        if (sample) divergence.beforeStep(values, 1);
        direction = newtonDirection(g, h, optimizer.dtype());
        slope = 0;
        for (int k = 0; k < n; k++) slope += g[k] * direction[k];
        costAt = loss;
        normAt = norm;
        t = newton.initialStep(0);
        trials = 0;
        if (trialPoint == null) trialPoint = new double[n];
        for (int k = 0; k < n; k++) trialPoint[k] = optimizer.dtype().round(params[k] + t * direction[k]);
        trialPhase = true;
        stallIfUnmoved();
    }

    /**
     * Ends the search when the trial point is x itself ({@code |t d_k| <= ulp(x_k)} for every k): a
     * smaller step cannot move either, so it has run out of trials.
     */
    private void stallIfUnmoved() {
        for (int k = 0; k < params.length; k++) {
            if (trialPoint[k] != params[k]) return;
        }
        stall("no trial along the Newton direction was taken (the step reached x's ulps at t = " + t + ")");
    }

    /** The Newton search ran out of trials: STALLED (the iterate was judged and failed the tolerances). */
    private void stall(String why) {
        trialPhase = false;
        result = new TrainResult(new TrainState(params, optimizer, step, history, divergence), Status.STALLED,
                "step " + step + ": " + why + ": it cannot be decreased further at this precision", passes, seconds);
    }

    /**
     * The direction by Newton's one rule ({@link tapeline.engine.solve.NewtonDirection}, the sweep's too):
     * {@code -H^-1 g} where H is positive definite, else a descent direction with negative curvature taken
     * by magnitude; {@code -g} for a zero H.
     */
    private double[] newtonDirection(double[] g, double[][] h, tapeline.engine.tape.DType dtype) {
        if (newtonRule == null) newtonRule = new tapeline.engine.solve.NewtonDirection(g.length);
        double[] d = new double[g.length];
        newtonRule.direction(h, g, dtype, d);
        return d;
    }

    // ---- Levenberg-Marquardt -----------------------------------------------------------------

    /** Trials along one iterate before the run counts a step that did not move (the sweep's {@code LmStep.TRIALS}). */
    static final int LM_TRIALS = 20;

    /**
     * {@code optimizer = lm}: the least-squares sums at {@link #point()}. At an iterate: record and
     * judge it (non-finite sums: DIVERGED; lmder's gtol, or an ftol/xtol found at the last trial:
     * CONVERGED; the step limit), then propose a trial from the trust region
     * ({@link tapeline.engine.solve.LmNormalStep}). At a trial: lmder's ratio test; a trial taken is the
     * next iterate, its pass that iterate's (no pass is repeated). {@value #LM_TRIALS} refused trials
     * in a row count as a step that stayed put (a history point at the same parameters, the radius
     * smaller), as a sweep row's iteration that found none, so a run with every tolerance 0 still ends
     * at {@code steps}.
     *
     * @return whether the run has ended
     * @throws IllegalStateException if the pass saw no rows
     */
    public boolean tell(JacobianSums sums, double seconds) {
        if (result != null) throw new IllegalStateException("the run has ended");
        if (lmState == null) throw new IllegalStateException("only optimizer lm is told least-squares sums");
        if (sums.count() == 0) {
            throw new IllegalStateException("step " + step + ": the least-squares pass saw no rows (an empty input)");
        }
        passes++;
        this.seconds += seconds;
        lastRows = sums.count();
        newPoint = null;
        checkpointDue = false;
        checkpoint = null;
        stepPasses++;
        pendingSeconds += seconds;
        if (!lmTrialPhase) {
            judgeLm(sums);
            return result != null;
        }
        tapeline.engine.solve.LmNormalStep.Trial t = lmStep.judge(sums.rss());
        switch (t) {
            case ACCEPTED, CONVERGED_ACCEPTED -> {
                lmTrialPhase = false;
                System.arraycopy(lmTrial, 0, params, 0, params.length);
                step++;
                if (t == tapeline.engine.solve.LmNormalStep.Trial.ACCEPTED && s.checkpointEvery() > 0
                        && step % s.checkpointEvery() == 0) {
                    // As Newton's: the state before the new iterate is judged; a resumed run evaluates it again.
                    checkpoint = copyOf(new TrainState(params, optimizer, step, history, divergence));
                }
                judgeLm(sums);
                checkpointDue = checkpoint != null && result == null;
            }
            case CONVERGED_REJECTED -> {
                lmTrialPhase = false;
                endLm(Status.CONVERGED, null);
            }
            case REJECTED -> {
                if (!lmStep.probing() && ++lmTrials >= LM_TRIALS) {
                    // A step that stayed put: recorded at the same parameters, judged by the step limit.
                    lmTrialPhase = false;
                    step++;
                    HistoryPoint last = history.get(history.size() - 1);
                    HistoryPoint point = new HistoryPoint(step, last.loss(), last.gradNorm(), stepPasses);
                    stepPasses = 0;
                    history.add(point);
                    newPoint = point;
                    stepSeconds = pendingSeconds;
                    pendingSeconds = 0;
                    if (step >= s.steps()) {
                        endLm(Status.MAX_STEPS, null);
                        return true;
                    }
                    lmTrials = 0;
                }
                lmTrial = lmStep.propose();
                lmTrialPhase = true;
            }
            default -> throw new IllegalStateException("unknown trial outcome " + t);
        }
        return result != null;
    }

    /** A new iterate (params) with its sums. */
    private void judgeLm(JacobianSums sums) {
        double loss = sums.loss(s.reduce());
        double[] g = sums.gradient(s.reduce());
        double norm = TrainLoop.norm(g);
        HistoryPoint point = new HistoryPoint(step, loss, norm, stepPasses);
        stepPasses = 0;
        history.add(point);
        newPoint = point;
        stepSeconds = pendingSeconds;
        pendingSeconds = 0;
        String bad = notFinite(loss, g);
        double[][] jtj = sums.jtj();
        if (bad == null) {
            for (double[] row : jtj) for (double v : row) if (!Double.isFinite(v)) bad = "J^T J has a component " + v;
        }
        if (bad != null) {
            endLm(Status.DIVERGED, "step " + step + ": " + bad);
            return;
        }
        if (lmState.converged(0) != tapeline.engine.optim.LevenbergMarquardt.RUNNING) {
            endLm(Status.CONVERGED, null);
            return;
        }
        if (lmStep.iterate(params, sums.rss(), sums.jtrSum(), jtj, sums.residuals())) {
            endLm(Status.CONVERGED, null);
            return;
        }
        if (step >= s.steps()) {
            endLm(Status.MAX_STEPS, null);
            return;
        }
        lmTrials = 0;
        lmTrial = lmStep.propose();
        lmTrialPhase = true;
    }

    private void endLm(Status status, String message) {
        if (status == Status.CONVERGED) {
            int how = lmState.converged(0);
            java.util.List<String> tests = new java.util.ArrayList<>();
            if ((how & tapeline.engine.optim.LevenbergMarquardt.FTOL) != 0) tests.add("tolerance.loss (ftol)");
            if ((how & tapeline.engine.optim.LevenbergMarquardt.XTOL) != 0) tests.add("tolerance.step (xtol)");
            if ((how & tapeline.engine.optim.LevenbergMarquardt.GTOL) != 0) tests.add("tolerance.grad (gtol)");
            message = "step " + step + ": Levenberg-Marquardt converged by " + String.join(" and ", tests);
        }
        result = new TrainResult(new TrainState(params, optimizer, step, history, divergence), status, message, passes, seconds);
    }

    private static TrainState copyOf(TrainState st) {
        try {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(b)) {
                o.writeObject(st);
            }
            try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(b.toByteArray()))) {
                return (TrainState) in.readObject();
            }
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalStateException("could not copy the state for a checkpoint", e);
        }
    }

    static String notFinite(double loss, double[] g) {
        if (!Double.isFinite(loss)) return "the loss is " + loss;
        for (int k = 0; k < g.length; k++) {
            if (!Double.isFinite(g[k])) return "gradient component " + k + " is " + g[k];
        }
        return null;
    }
}
