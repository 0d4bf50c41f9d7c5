package tapeline.engine.optim.lbfgs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * L-BFGS, and OWL-QN for an added L1 term, as a resumable state machine driven by evaluations: it
 * says where it wants the objective and gradient ({@link #point()}), the caller evaluates (in the
 * train job, one gradient pass over the cluster's rows) and {@link #tell}s it, and it answers whether
 * that evaluation was a line-search trial or gave the next iterate. Everything it knows (iterate,
 * memory pairs, line search bracket, pass counts) is in its fields and it is {@link Serializable}:
 * a copy saved at any evaluation, even in the middle of a line search, continues bit for bit.
 *
 * <pre>{@code
 * QuasiNewton qn = QuasiNewton.lbfgs(x0, 10);
 * while (true) {
 *     double[] x = qn.point();
 *     Event e = qn.tell(f(x), grad(x));
 *     if (e == Event.STALLED) break;
 *     if (e == Event.ITERATE && qn.check(100, 1e-6, 1e-6) != null) break;   // MLlib's maxIter 100, tol 1e-6
 * }
 * double[] best = qn.x();
 * }</pre>
 *
 * <p><b>L-BFGS</b> (N&W Algorithm 7.5): direction {@code d = -H·g} from the last {@code m} pairs
 * ({@link LbfgsMemory}), step from {@link StrongWolfeLineSearch}; the first step of a search is
 * {@code 1/|d|} while the memory is empty (the first iteration, or after a reset), else 1.
 *
 * <p><b>OWL-QN</b> (Andrew and Gao, "Scalable training of L1-regularized log-linear models", ICML
 * 2007) minimises {@code f(x) + l1·Σ_{i∈P} |x_i|} for the penalised components {@code P}: the
 * gradient is replaced by the pseudo-gradient (the steepest-descent slope of the non-smooth
 * objective), the direction is kept in the orthant the pseudo-gradient points to (components whose
 * sign disagrees with {@code -pseudo-gradient} are zeroed, for every component, as Breeze does, so
 * that the direction descends), each trial point is projected onto the orthant of the iterate
 * (a penalised component that would change sign becomes exactly 0: this is how coefficients
 * reach exactly 0), and the step is found by backtracking (halving) until the Armijo condition
 * {@code F(x') <= F(x) + 1e-4·pg·(x' - x)} holds. The memory pairs use the smooth part's gradient.
 *
 * <p><b>Failures</b>, as Breeze's {@code FirstOrderMinimizer}: when a line search fails, the memory
 * is cleared and the search starts again along the (pseudo-)gradient; a second failure in a row
 * ends the run ({@link Event#STALLED}). That happens at the limit of floating-point precision, or
 * for an objective that is not smooth where L-BFGS is used.
 *
 * <p><b>Stopping</b> ({@link #check}) is Breeze's {@code defaultConvergenceCheck}, which MLlib uses
 * with its {@code tol} for both tolerances.
 */
public final class QuasiNewton implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Iterates whose objective the loss test compares: Breeze's {@code fvalMemory} default. */
    public static final int LOSS_HISTORY = 20;
    /** Breeze's floor for the gradient test: a gradient norm at most this always converges. */
    public static final double GRAD_FLOOR = 1e-8;
    static final int MAX_BACKTRACK = 20;

    /** What an evaluation gave. */
    public enum Event {
        /** A line-search trial: the iterate did not change; evaluate {@link #point()} next. */
        TRIAL,
        /** A new iterate (or the start, evaluated): {@link #x()}, {@link #value()}, {@link #gradientNorm()}. */
        ITERATE,
        /** The line search failed twice in a row: {@link #x()} is the last iterate, there is no next. */
        STALLED
    }

    /** Why {@link #check} says stop. */
    public enum Stop {
        /** {@code iteration >= maxIterations}. */
        MAX_STEPS,
        /** The objective changed by at most {@code tolerance.loss·|F(x0)|} over the last 20 iterates. */
        LOSS,
        /** The (pseudo-)gradient norm is at most {@code max(tolerance.grad·|F(x)|, 1e-8)}. */
        GRAD,
        /** The line search failed twice in a row. */
        STALLED
    }

    private final int n;
    private final LbfgsMemory memory;
    private final double l1;
    private final boolean[] penalised; // null: plain L-BFGS

    private double[] x;
    private double value;        // f(x), the smooth part
    private double[] grad;       // ∇f(x)
    private double objective;    // F(x) = f(x) + l1·Σ|x_P|
    private double[] steepest;   // ∇F(x), or the pseudo-gradient
    private double initialObjective = Double.NaN;
    private int iteration = -1;  // -1: the start point is not evaluated yet
    private final double[] recent = new double[LOSS_HISTORY]; // F of the last iterates, a ring by iteration
    private int passes;          // evaluations since the last iterate (this one included, once told)
    private int lastStepPasses;
    private long totalPasses;

    private double[] dir;
    private double[] trial;      // the point to evaluate next
    private StrongWolfeLineSearch wolfe;
    private double backtrackT;
    private int backtracks;
    private boolean failedOnce;
    private boolean stalled;
    private String lastFailure;
    private String firstFallingFailure; // the first of two failures in a row, when its search ran out still falling
    private String runaway;             // set when the run stalled because the objective falls without bound

    private QuasiNewton(double[] x0, int m, double l1, boolean[] penalised) {
        if (!(l1 >= 0) || !Double.isFinite(l1)) throw new IllegalArgumentException("l1 must be >= 0 and finite, got " + l1);
        for (double v : x0) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("the start point must be finite, got " + v);
        }
        n = x0.length;
        memory = new LbfgsMemory(m, n);
        this.l1 = l1;
        this.penalised = penalised == null ? null : penalised.clone();
        trial = x0.clone();
    }

    /** L-BFGS from {@code x0} with {@code m} memory pairs. */
    public static QuasiNewton lbfgs(double[] x0, int m) {
        return new QuasiNewton(x0, m, 0, null);
    }

    /**
     * OWL-QN from {@code x0}: minimises {@code f(x) + l1·Σ_{i: penalised[i]} |x_i|}, where the caller
     * evaluates only the smooth {@code f}.
     */
    public static QuasiNewton owlqn(double[] x0, int m, double l1, boolean[] penalised) {
        if (penalised.length != x0.length) {
            throw new IllegalArgumentException("penalised has " + penalised.length + " components, x0 " + x0.length);
        }
        return new QuasiNewton(x0, m, l1, penalised);
    }

    /** A deep copy (the caller may go on from both). */
    public QuasiNewton copy() {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ObjectOutputStream o = new ObjectOutputStream(b)) {
                o.writeObject(this);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b.toByteArray()))) {
                return (QuasiNewton) in.readObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The point whose objective and gradient {@link #tell} wants next. */
    public double[] point() {
        if (stalled) throw new IllegalStateException("the line search failed twice: there is no next point");
        return trial.clone();
    }

    /**
     * The smooth objective {@code f} and its gradient at {@link #point()}.
     *
     * @throws IllegalStateException if the start point's objective or gradient is not finite (there
     *     is nowhere to search from; the caller reports that as divergence before telling)
     */
    public Event tell(double f, double[] g) {
        if (g.length != n) throw new IllegalArgumentException("expected " + n + " gradient components, got " + g.length);
        if (stalled) throw new IllegalStateException("the line search failed twice: there is no next point");
        passes++;
        totalPasses++;
        if (iteration < 0) {
            if (!finite(f, g)) throw new IllegalStateException("the objective or gradient at the start point is not finite: " + f);
            accept(trial, f, g);
            initialObjective = objective;
            return Event.ITERATE;
        }
        double F = f + penalty(trial);
        StrongWolfeLineSearch.Verdict verdict;
        if (penalised == null) {
            double slope = finite(f, g) ? LbfgsMemory.dot(g, dir) : Double.NaN;
            verdict = wolfe.tell(F, slope);
        } else {
            double decrease = 0;
            for (int k = 0; k < n; k++) decrease += steepest[k] * (trial[k] - x[k]);
            boolean armijo = finite(F, g) && F <= objective + StrongWolfeLineSearch.C1 * decrease;
            if (armijo) {
                verdict = StrongWolfeLineSearch.Verdict.ACCEPT;
            } else if (++backtracks >= MAX_BACKTRACK) {
                verdict = StrongWolfeLineSearch.Verdict.FAIL;
            } else {
                backtrackT *= 0.5;
                trial = orthantStep(backtrackT);
                verdict = sameAsX(trial) ? StrongWolfeLineSearch.Verdict.FAIL : StrongWolfeLineSearch.Verdict.CONTINUE;
            }
        }
        switch (verdict) {
            case CONTINUE -> {
                if (penalised == null) trial = lineStep(wolfe.trial());
                return Event.TRIAL;
            }
            case ACCEPT -> {
                double[] s = new double[n];
                double[] y = new double[n];
                for (int k = 0; k < n; k++) {
                    s[k] = trial[k] - x[k];
                    y[k] = g[k] - grad[k];
                }
                memory.push(s, y);
                accept(trial, f, g);
                failedOnce = false;
                return Event.ITERATE;
            }
            default -> {
                lastFailure = penalised == null ? "no step satisfying the strong Wolfe conditions in " + passes + " evaluations"
                        : "no step with sufficient decrease in " + passes + " evaluations";
                String falling = penalised != null || !wolfe.ranOutFalling() ? null
                        : "it fell at every trial, to " + wolfe.ranOutValue() + " at step length "
                          + wolfe.ranOutStep() * norm(dir) + ", and its slope never flattened";
                if (failedOnce) {
                    stalled = true;
                    lastStepPasses = passes;
                    // Both searches (the second along the gradient) ran out still falling, and the objective
                    // fell below c0 - |c0| (the sweep's runaway test, Divergence): it falls without bound.
                    if (firstFallingFailure != null && falling != null
                            && wolfe.ranOutValue() < initialObjective - Math.abs(initialObjective)) {
                        runaway = "the objective falls without bound: from " + objective + " at the last iterate, two line "
                                + "searches in a row (the second along the gradient) ran out of trials while it still fell: "
                                + falling + "; it started at " + initialObjective;
                    }
                    return Event.STALLED;
                }
                firstFallingFailure = falling;
                failedOnce = true;
                memory.clear();
                if (!beginSearch()) {
                    stalled = true;
                    lastStepPasses = passes;
                    return Event.STALLED;
                }
                return Event.TRIAL;
            }
        }
    }

    /** Makes {@code (point, f, g)} the iterate, and prepares the next line search. */
    private void accept(double[] point, double f, double[] g) {
        x = point.clone();
        value = f;
        grad = g.clone();
        objective = f + penalty(x);
        steepest = penalised == null ? grad.clone() : pseudoGradient(x, grad);
        iteration++;
        recent[iteration % LOSS_HISTORY] = objective;
        lastStepPasses = passes;
        passes = 0;
        if (!beginSearch()) {
            // No descent direction even along the gradient: it is 0. The gradient test converges
            // here; with it off, the run has nowhere to go.
            stalled = true;
            lastFailure = "no descent direction: the gradient is 0";
        }
    }

    /** Direction and first trial point; false when there is no descent direction. */
    private boolean beginSearch() {
        double[] d = memory.times(steepest);
        for (int k = 0; k < n; k++) d[k] = -d[k];
        if (penalised != null) {
            for (int k = 0; k < n; k++) {
                if (d[k] * steepest[k] >= 0) d[k] = 0; // keep the orthant of -pseudo-gradient
            }
        }
        double slope = LbfgsMemory.dot(d, steepest);
        if (!(slope < 0) || !Double.isFinite(slope)) {
            if (memory.size() == 0) return false;
            memory.clear();
            return beginSearch();
        }
        dir = d;
        double t0 = memory.size() == 0 ? 1 / norm(d) : 1.0;
        if (!(t0 > 0) || !Double.isFinite(t0)) return false;
        if (penalised == null) {
            wolfe = new StrongWolfeLineSearch(objective, slope, t0);
            trial = lineStep(t0);
        } else {
            backtrackT = t0;
            backtracks = 0;
            trial = orthantStep(t0);
            if (sameAsX(trial)) return false;
        }
        return true;
    }

    private double[] lineStep(double t) {
        double[] p = new double[n];
        for (int k = 0; k < n; k++) p[k] = x[k] + t * dir[k];
        return p;
    }

    /** OWL-QN's trial: the step, with penalised components that would leave the orthant set to 0. */
    private double[] orthantStep(double t) {
        double[] p = lineStep(t);
        for (int k = 0; k < n; k++) {
            if (!penalised[k]) continue;
            double orthant = x[k] != 0 ? Math.signum(x[k]) : Math.signum(-steepest[k]);
            if (Math.signum(p[k]) != orthant) p[k] = 0;
        }
        return p;
    }

    private boolean sameAsX(double[] p) {
        for (int k = 0; k < n; k++) {
            if (p[k] != x[k]) return false;
        }
        return true;
    }

    private double penalty(double[] p) {
        if (penalised == null || l1 == 0) return 0;
        double s = 0;
        for (int k = 0; k < n; k++) {
            if (penalised[k]) s += Math.abs(p[k]);
        }
        return l1 * s;
    }

    /**
     * The pseudo-gradient of {@code f + l1·Σ|x_P|}: the one-sided derivative that descends, or 0
     * at a kink where neither side descends.
     */
    private double[] pseudoGradient(double[] p, double[] g) {
        double[] pg = g.clone();
        for (int k = 0; k < n; k++) {
            if (!penalised[k] || l1 == 0) continue;
            if (p[k] > 0) pg[k] = g[k] + l1;
            else if (p[k] < 0) pg[k] = g[k] - l1;
            else if (g[k] + l1 < 0) pg[k] = g[k] + l1;
            else if (g[k] - l1 > 0) pg[k] = g[k] - l1;
            else pg[k] = 0;
        }
        return pg;
    }

    /**
     * Breeze's {@code defaultConvergenceCheck(maxIter, tol)} with the two tolerances apart, in its
     * order: the iteration limit; the objective test (from the 20th iterate on, the newest objective
     * differs from the largest of the last 20 by at most {@code lossTolerance·|F(x0)|}); the gradient
     * test ({@code |∇F| <= max(gradTolerance·|F|, 1e-8)}); a stalled search. A tolerance of 0 turns
     * its test off. Call after an {@link Event#ITERATE}.
     *
     * @return why to stop, or null to go on
     */
    public Stop check(int maxIterations, double lossTolerance, double gradTolerance) {
        if (iteration < 0) throw new IllegalStateException("nothing evaluated yet");
        if (iteration >= maxIterations) return Stop.MAX_STEPS;
        if (lossTolerance > 0 && iteration >= LOSS_HISTORY) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : recent) max = Math.max(max, v);
            if (Math.abs(objective - max) <= lossTolerance * Math.abs(initialObjective)) return Stop.LOSS;
        }
        if (gradTolerance > 0 && gradientNorm() <= Math.max(gradTolerance * Math.abs(objective), GRAD_FLOOR)) {
            return Stop.GRAD;
        }
        return stalled ? Stop.STALLED : null;
    }

    /** A sentence saying why {@code stop} holds now, for a run's summary. */
    public String explain(Stop stop, int maxIterations, double lossTolerance, double gradTolerance) {
        return switch (stop) {
            case MAX_STEPS -> "the iteration limit, steps = " + maxIterations;
            case LOSS -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : recent) max = Math.max(max, v);
                yield "the objective changed by " + Math.abs(objective - max) + " over the last " + LOSS_HISTORY
                        + " steps, at most tolerance.loss x |objective at step 0| = " + lossTolerance + " x " + Math.abs(initialObjective);
            }
            case GRAD -> "the gradient norm " + gradientNorm() + " is at most max(tolerance.grad x |objective|, 1e-8) = "
                    + Math.max(gradTolerance * Math.abs(objective), GRAD_FLOOR);
            case STALLED -> "the line search failed twice in a row (" + lastFailure
                    + "): the objective cannot be decreased further at this precision";
        };
    }

    /**
     * After {@link Event#STALLED}: why the objective is taken to fall without bound, or null when the
     * run stalled for another reason (the limit of floating-point precision). It is non-null when both
     * failed line searches were L-BFGS's strong-Wolfe searches that ran out in their bracketing phase
     * while the objective still fell ({@link StrongWolfeLineSearch#ranOutFalling}), and the lowest value
     * seen is below {@code c0 - |c0|}, {@code c0} the objective at the start (the sweep's runaway test).
     */
    public String runaway() {
        return runaway;
    }

    /** Iterations done (0 once the start point is evaluated; -1 before). */
    public int iteration() {
        return iteration;
    }

    /** The current iterate. */
    public double[] x() {
        return x == null ? trial.clone() : x.clone();
    }

    /** The objective at {@link #x()}: {@code f}, plus the L1 term for OWL-QN. */
    public double value() {
        return objective;
    }

    /** The smooth part {@code f} at {@link #x()}. */
    public double smoothValue() {
        return value;
    }

    /** The norm of the gradient at {@link #x()} (OWL-QN: of the pseudo-gradient). */
    public double gradientNorm() {
        return norm(steepest);
    }

    /** Evaluations the last iterate took (the start: 1). */
    public int lastStepPasses() {
        return lastStepPasses;
    }

    /** Evaluations told since the last iterate. */
    public int pendingPasses() {
        return passes;
    }

    /** Evaluations told in all. */
    public long totalPasses() {
        return totalPasses;
    }

    /** Whether the line search failed twice in a row. */
    public boolean stalled() {
        return stalled;
    }

    /** Whether this is OWL-QN (an L1 term). */
    public boolean isOwlqn() {
        return penalised != null;
    }

    private static boolean finite(double f, double[] g) {
        if (!Double.isFinite(f)) return false;
        for (double v : g) {
            if (!Double.isFinite(v)) return false;
        }
        return true;
    }

    /** The Euclidean norm, scaled so that it neither overflows nor underflows needlessly. */
    public static double norm(double[] v) {
        double max = 0;
        for (double e : v) max = Math.max(max, Math.abs(e));
        if (max == 0 || !Double.isFinite(max)) return max;
        double s = 0;
        for (double e : v) {
            double r = e / max;
            s += r * r;
        }
        return max * Math.sqrt(s);
    }
}
