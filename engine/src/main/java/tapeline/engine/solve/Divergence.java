package tapeline.engine.solve;

import java.io.Serializable;
import java.util.Arrays;

import tapeline.engine.tape.DType;

/**
 * When a lane's cost "falls without bound": the one rule behind {@code DIVERGED} in the sweep
 * ({@link BlockRun}) and in the train loop. Apart from a non-finite cost or gradient (which the
 * callers check themselves), a lane diverges when either
 *
 * <ul>
 *   <li><b>it runs away</b>: the cost is now lower than its value at step 0 by more than that value's
 *       magnitude ({@code cost < c0 - |c0|}), and in each of the last {@value #WINDOWS} windows of
 *       {@value #SAMPLES} samples ({@code every} steps apart, {@link #every(int)}: 32 in a run of 1,024
 *       steps or more, so a window is 256 steps)
 *       <ul>
 *         <li>the cost fell from every sample to the next,</li>
 *         <li>it fell at least as steeply per unit of displacement as in the window before (to a
 *             rounding slack of {@value #SLOPE_SLACK}),</li>
 *         <li>the gradient norm at the window's end is at least what it was at its start, and</li>
 *         <li>the iterate moved steadily: its displacement over the window is at least half the
 *             length of the window's first step times the window's steps (it did not go back and
 *             forth); or</li>
 *       </ul></li>
 *   <li><b>it is beyond the dtype's range</b>: some variable's magnitude passed {@code 2^512}
 *       (float64) or {@code 2^64} (float32), where its square is no longer finite.</li>
 * </ul>
 *
 * <p>Why these tests together. On a cost with a minimiser the gradient and the slope along the path
 * shrink as the minimiser comes closer, however far away it started (a quadratic at distance d loses
 * the fraction D/d of both over a displacement D), while on a linear cost they stay equal and on
 * {@code -w^2}, {@code w^3}, {@code -w^4} they grow. Near a minimum the gradient can wobble up while the
 * cost still falls (Adam in Rosenbrock's valley), but there the iterate dances: its steps mostly cancel.
 * Steps that shrink like {@code 1/sqrt(t)} (Adagrad on a linear cost) still make a steady run. No test
 * on a stretch of the path can tell a steepening slope of a bounded cost (a hill of Himmelblau's
 * function, walked down slowly) from {@code -w^2}; the fall below {@code c0 - |c0|} can, when the cost is
 * bounded by 0: a cost that is never negative (a sum of squares) is never called a runaway from a
 * positive start. A cost that falls ever more slowly towards a bound ({@code exp(-w)}) or without one
 * ({@code -log(1 + w^2)} past {@code |w| = 1}) has a shrinking gradient and is not a runaway either: it
 * ends {@code MAX_STEPS} (or {@code CONVERGED} when its gradient meets {@code tolerance.grad}).
 *
 * <p>The state is per lane, by position (the caller moves lanes with {@link #moveLane}); every loop
 * over lanes is plain arithmetic on {@code double[]}, so the per-sample work vectorises. A caller
 * calls, on a step where {@link #samples} is true: {@link #observe} with the cost, gradients and
 * values before the optimizer step, {@link #beforeStep} just before it and {@link #afterStep} just
 * after it; {@link #reason} then names the lanes that diverged at that sample, until the next sample.
 *
 * <pre>{@code
 * Divergence d = new Divergence(lanes, slots, Divergence.every(maxSteps), DType.FLOAT64);
 * if (d.samples(step) && d.observe(step, cost, grads, values, active) > 0) { ... d.reason(p) ... }
 * }</pre>
 */
public final class Divergence implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Samples per window. */
    public static final int SAMPLES = 8;
    /** Consecutive runaway windows that make a lane diverge. */
    public static final int WINDOWS = 3;
    /** Steps between samples in a long run: a window of 256 steps, a verdict after 1,024 at the earliest. */
    public static final int MAX_EVERY = 32;
    /** The displacement over a window must be at least this part of the path its sampled steps make. */
    static final double STEADY = 0.5;
    /** The cost per unit moved may fall by this fraction from one window to the next (rounding) and still count as not shrinking. */
    static final double SLOPE_SLACK = 1e-3;

    private final int every;
    private final String noun;
    private final double bound;
    private final DType dtype;
    private final double[] gradNorm2;   // squared, at the current window's end
    private final double[] firstCost;   // at step 0
    private final double[] lastCost;    // at the previous sample
    private final double[] rise;        // largest sample-to-sample rise of the cost in the window (< 0: fell every time)
    private final double[] startCost;
    private final double[] startGrad2;
    private final double[] firstStep;   // length of the window's first step
    private final double[] slope;       // cost fallen per unit of displacement over the previous window
    private final double[] streak;      // consecutive runaway windows, as a double so the loops stay numeric
    private final double[][] startPos;
    private transient double[][] before;
    private transient double[] distance; // scratch: how far each lane moved over the window
    private final String[] reason;
    private int flagged;
    private boolean measure;            // the coming step is a window's first: measure its length

    /**
     * @param lanes  lanes (positions) to track
     * @param slots  variable components per lane
     * @param every  steps between samples, >= 1
     * @param dtype  the arithmetic, for the magnitude bound
     */
    public Divergence(int lanes, int slots, int every, DType dtype) {
        this(lanes, slots, every, dtype, "cost");
    }

    /** As {@link #Divergence(int, int, int, DType)}, calling the objective {@code noun} in reasons ("loss"). */
    public Divergence(int lanes, int slots, int every, DType dtype, String noun) {
        if (every < 1) throw new IllegalArgumentException("every must be >= 1, got " + every);
        this.every = every;
        this.noun = noun;
        this.dtype = dtype;
        this.bound = bound(dtype);
        gradNorm2 = new double[lanes];
        firstCost = new double[lanes];
        lastCost = new double[lanes];
        rise = new double[lanes];
        startCost = new double[lanes];
        startGrad2 = new double[lanes];
        firstStep = new double[lanes];
        slope = new double[lanes];
        Arrays.fill(slope, Double.NaN);
        streak = new double[lanes];
        startPos = new double[slots][lanes];
        reason = new String[lanes];
    }

    /**
     * Makes this state that of a new run of {@code lanes} lanes, if its arrays and settings fit (as a
     * block reuses its solver's recorded tape: allocating some ten arrays of lanes per block showed in
     * a 1000-step block's profile). Returns false, changing nothing, when they do not. Every other
     * array is written at step 0 before it is read.
     */
    boolean restart(int lanes, int slots, int every) {
        if (lanes > streak.length || slots != startPos.length || every != this.every) return false;
        Arrays.fill(slope, Double.NaN);
        Arrays.fill(streak, 0.0);
        Arrays.fill(reason, null);
        flagged = 0;
        measure = false;
        return true;
    }

    /** The magnitude from which a variable's square is not finite in this dtype: 2^512 or 2^64. */
    public static double bound(DType dtype) {
        return dtype == DType.FLOAT32 ? 0x1p64 : 0x1p512;
    }

    /**
     * Steps between samples for a run of at most {@code maxSteps} steps: {@value #MAX_EVERY}, or, for a
     * shorter run, the power of two that fits 32 samples in it (4 windows), so that a run of 200 steps
     * is judged too (every 4 steps: windows of 32).
     */
    public static int every(int maxSteps) {
        return Math.max(1, Math.min(MAX_EVERY, Integer.highestOneBit(Math.max(1, maxSteps / (4 * SAMPLES)))));
    }

    /** Whether step {@code step} is a sample (the cost is needed there). */
    public boolean samples(int step) {
        return step % every == 0;
    }

    /** Whether step {@code step} ends a window (or starts the first): only there does {@link #observe} read gradients and values. */
    public boolean windowEnds(int step) {
        return step % windowSteps() == 0;
    }

    /** Steps in one window. */
    public int windowSteps() {
        return every * SAMPLES;
    }

    /**
     * Takes the sample of step {@code step} (a step where {@link #samples} is true) for the first
     * {@code n} lanes, before the optimizer's step: their costs, gradients and values. Returns how
     * many lanes diverged here; {@link #reason} names them. Non-finite lanes are left to the caller.
     * Between windows' ends ({@link #windowEnds}) this is one pass over the costs, and {@code grads}
     * and {@code values} are not read (they may be null); the rest is done once a window.
     */
    public int observe(int step, double[] cost, double[][] grads, double[][] values, int n) {
        if (flagged > 0) Arrays.fill(reason, 0, n, null);
        flagged = 0;
        if (step > 0 && !windowEnds(step)) { // at a window's end judgeWindow takes the last rise itself
            for (int p = 0; p < n; p++) {
                rise[p] = Math.max(rise[p], cost[p] - lastCost[p]); // plain doubles, so it vectorises
                lastCost[p] = cost[p];
            }
        }
        if (!windowEnds(step)) return 0;
        // The first slot's squares are stored, not added to zeros (the same bits: 0 + x is x for every
        // square): one pass over the lanes fewer, as in distances.
        if (grads.length == 0) Arrays.fill(gradNorm2, 0, n, 0.0);
        for (int k = 0; k < grads.length; k++) {
            double[] g = grads[k];
            if (k == 0) {
                for (int p = 0; p < n; p++) gradNorm2[p] = g[p] * g[p];
            } else {
                for (int p = 0; p < n; p++) gradNorm2[p] += g[p] * g[p];
            }
        }
        boolean beyond = false;
        for (double[] v : values) {
            // An or of comparisons, with no branch: a chain of Math.max (its NaN rule) took as long as a step.
            for (int p = 0; p < n; p++) beyond |= !(Math.abs(v[p]) <= bound);
        }
        if (beyond) { // NaN too: look lane by lane
            for (int k = 0; k < values.length; k++) {
                for (int p = 0; p < n; p++) {
                    if (reason[p] == null && Math.abs(values[k][p]) > bound && Double.isFinite(values[k][p])) {
                        reason[p] = "a variable's magnitude passed " + bound + " (" + values[k][p] + " after " + step
                                + " steps), where its square is no longer finite in " + dtype;
                        flagged++;
                    }
                }
            }
        }
        if (step == 0) {
            System.arraycopy(cost, 0, firstCost, 0, n);
            startWindow(cost, n);
        } else {
            judgeWindow(step, cost, values, n); // which starts the next window as it goes
        }
        for (int k = 0; k < values.length; k++) System.arraycopy(values[k], 0, startPos[k], 0, n);
        measure = true;
        return flagged;
    }

    private void judgeWindow(int step, double[] cost, double[][] values, int n) {
        if (distance == null) distance = new double[firstStep.length];
        distances(values, startPos, n, distance);
        for (int p = 0; p < n; p++) {
            double moved = distance[p];
            double path = windowSteps() * firstStep[p];
            double steep = (startCost[p] - cost[p]) / moved;
            double rose = Math.max(rise[p], cost[p] - lastCost[p]); // the window's largest rise, with this last sample's
            boolean runaway = rose < 0 && gradNorm2[p] >= startGrad2[p] && moved >= STEADY * path && moved > 0
                    && steep >= (1 - SLOPE_SLACK) * slope[p];
            streak[p] = runaway ? streak[p] + 1 : 0;
            double first = firstCost[p];
            if (runaway && streak[p] >= WINDOWS && cost[p] < first - Math.abs(first) && reason[p] == null) {
                reason[p] = noun + " falls without bound: it fell from " + first + " at the start to " + cost[p]
                        + ", by more than its starting magnitude, and in each of the last " + WINDOWS + " windows of "
                        + windowSteps() + " steps it fell at every check (" + (every == 1 ? "every step" : "every " + every
                        + " steps") + ") and at least as steeply per unit moved as in the window before, while the"
                        + " gradient norm did not shrink and the variables moved steadily; last window: " + noun + " "
                        + startCost[p] + " to " + cost[p] + " (" + steep + " per unit moved, " + slope[p]
                        + " in the window before), gradient norm " + Math.sqrt(startGrad2[p]) + " to "
                        + Math.sqrt(gradNorm2[p]) + ", moved " + moved + " where its first step times " + windowSteps()
                        + " is " + path;
                flagged++;
            }
            slope[p] = steep;
            // Lane p's next window starts here (as startWindow; in this loop, so that the lanes are walked once).
            startCost[p] = cost[p];
            lastCost[p] = cost[p];
            startGrad2[p] = gradNorm2[p];
            rise[p] = Double.NEGATIVE_INFINITY;
        }
    }

    /** The first window's start (the values' part is the caller's). */
    private void startWindow(double[] cost, int n) {
        for (int p = 0; p < n; p++) {
            startCost[p] = cost[p];
            lastCost[p] = cost[p];
            startGrad2[p] = gradNorm2[p];
            rise[p] = Double.NEGATIVE_INFINITY;
        }
    }

    /** Why lane position p diverged at the last sample, or null. */
    public String reason(int p) {
        return reason[p];
    }

    /** Call on a sample step just before the optimizer's step: at a window's start, remembers where the lanes are. */
    public void beforeStep(double[][] values, int n) {
        if (!measure) return;
        if (before == null) before = new double[values.length][firstStep.length];
        for (int k = 0; k < values.length; k++) System.arraycopy(values[k], 0, before[k], 0, n);
    }

    /** Call on a sample step just after the optimizer's step: at a window's start, measures that step's length. */
    public void afterStep(double[][] values, int n) {
        if (!measure) return;
        measure = false;
        distances(values, before, n, firstStep);
    }

    /** {@code out[p]}: the Euclidean distance between lane p's points {@code a[.][p]} and {@code b[.][p]}, for p < n. */
    static void distances(double[][] a, double[][] b, int n, double[] out) {
        // Lane by lane, so that it vectorises; the first slot stores its square and the last takes the
        // root in the same pass (the bits of zeros, sums, then roots: 0 + x is x for a square), so one
        // slot is one pass over the lanes.
        int last = a.length - 1;
        if (last < 0) Arrays.fill(out, 0, n, 0.0);
        for (int k = 0; k <= last; k++) {
            double[] x = a[k];
            double[] y = b[k];
            if (k == 0 && k == last) {
                for (int p = 0; p < n; p++) {
                    double d = x[p] - y[p];
                    out[p] = Math.sqrt(d * d);
                }
            } else if (k == 0) {
                for (int p = 0; p < n; p++) {
                    double d = x[p] - y[p];
                    out[p] = d * d;
                }
            } else if (k == last) {
                for (int p = 0; p < n; p++) {
                    double d = x[p] - y[p];
                    out[p] = Math.sqrt(out[p] + d * d);
                }
            } else {
                for (int p = 0; p < n; p++) {
                    double d = x[p] - y[p];
                    out[p] += d * d;
                }
            }
        }
    }

    /** Moves lane position {@code from} to {@code to} (the caller packs finished lanes away). */
    public void moveLane(int from, int to) {
        gradNorm2[to] = gradNorm2[from];
        firstCost[to] = firstCost[from];
        lastCost[to] = lastCost[from];
        rise[to] = rise[from];
        startCost[to] = startCost[from];
        startGrad2[to] = startGrad2[from];
        firstStep[to] = firstStep[from];
        streak[to] = streak[from];
        slope[to] = slope[from];
        reason[to] = reason[from];
        for (double[] s : startPos) s[to] = s[from];
    }
}
