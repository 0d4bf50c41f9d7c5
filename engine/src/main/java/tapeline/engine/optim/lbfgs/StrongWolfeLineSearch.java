package tapeline.engine.optim.lbfgs;

import java.io.Serializable;

/**
 * A line search that ends at a step {@code t} satisfying the strong Wolfe conditions for
 * {@code φ(t) = f(x + t·d)}, {@code φ'(t) = ∇f(x + t·d)·d}:
 * <pre>
 *   φ(t) <= φ(0) + c1·t·φ'(0)          (sufficient decrease, c1 = 1e-4)
 *   |φ'(t)| <= c2·|φ'(0)|              (curvature, c2 = 0.9)
 * </pre>
 * It is Nocedal and Wright's Algorithm 3.5 (bracketing: grow {@code t} by 1.5 until a bracket is
 * found) and Algorithm 3.6 (zoom: shrink the bracket by safeguarded cubic interpolation, eq. 3.59,
 * kept within the middle 80% of the bracket), the same algorithm and constants as Breeze's
 * {@code StrongWolfeLineSearch} that Spark MLlib's L-BFGS uses (at most 10 evaluations to bracket,
 * 10 to zoom).
 *
 * <p>It is a resumable state machine rather than a loop calling {@code f}: each evaluation is one
 * gradient pass over a cluster's data, so the caller asks {@link #trial()}, evaluates, and
 * {@link #tell}s the result. All state is in plain fields, so a search stopped (and serialised) at
 * any evaluation continues exactly as it would have.
 *
 * <pre>{@code
 * StrongWolfeLineSearch ls = new StrongWolfeLineSearch(f0, slope0, 1.0);
 * while (true) {
 *     double t = ls.trial();
 *     Verdict v = ls.tell(phi(t), dphi(t));
 *     if (v != Verdict.CONTINUE) break;          // ACCEPT: t is the step; FAIL: no such step found
 * }
 * }</pre>
 *
 * <p>A non-finite {@code φ(t)} (the step left the function's domain, or overflowed) is treated as a
 * failed sufficient decrease: the search zooms between the last good step and it, by bisection.
 */
public final class StrongWolfeLineSearch implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Sufficient decrease constant. */
    public static final double C1 = 1e-4;
    /** Curvature constant (0.9 for quasi-Newton methods, N&W p. 142). */
    public static final double C2 = 0.9;
    static final int MAX_BRACKET = 10;
    static final int MAX_ZOOM = 10;
    static final double GROW = 1.5;

    /** What one evaluation decided. */
    public enum Verdict {
        /** Evaluate {@link #trial()} next. */
        CONTINUE,
        /** The step just evaluated satisfies the strong Wolfe conditions. */
        ACCEPT,
        /** No acceptable step found within the evaluation limits. */
        FAIL
    }

    /** One evaluated step: φ(t) and φ'(t). */
    private record Point(double t, double f, double slope) implements Serializable {}

    private final double f0;
    private final double slope0;
    private double t;
    private boolean zooming;
    private int evaluations; // in the current phase
    private Point lo; // bracketing: the previous step (t = 0 at first); zoom: lo of Algorithm 3.6
    private Point hi; // zoom: hi of Algorithm 3.6
    private Point ranOut; // the last step of a bracketing phase that ran out while the function still fell

    /**
     * @param f0     φ(0), finite
     * @param slope0 φ'(0), negative (d is a descent direction)
     * @param t0     the first step to try, positive
     */
    public StrongWolfeLineSearch(double f0, double slope0, double t0) {
        if (!Double.isFinite(f0)) throw new IllegalArgumentException("φ(0) must be finite, got " + f0);
        if (!(slope0 < 0)) throw new IllegalArgumentException("φ'(0) must be negative (a descent direction), got " + slope0);
        if (!(t0 > 0) || !Double.isFinite(t0)) throw new IllegalArgumentException("the first step must be positive, got " + t0);
        this.f0 = f0;
        this.slope0 = slope0;
        this.t = t0;
        lo = new Point(0, f0, slope0);
    }

    /** The step whose φ and φ' are wanted next. */
    public double trial() {
        return t;
    }

    /** Takes φ and φ' at {@link #trial()}. */
    public Verdict tell(double f, double slope) {
        evaluations++;
        // A non-finite value fails sufficient decrease; the interpolation then bisects towards lo.
        Point c = Double.isFinite(f) && Double.isFinite(slope) ? new Point(t, f, slope)
                : new Point(t, Double.POSITIVE_INFINITY, Double.NaN);
        return zooming ? zoom(c) : bracket(c);
    }

    /**
     * Whether the search failed in its bracketing phase: each of its {@value #MAX_BRACKET} trials,
     * {@value #GROW} times the one before, met sufficient decrease, fell below the one before, and kept
     * a slope steeper than {@code C2} times the start's. Along this line the function did not begin to
     * level off over a step {@code 1.5^9} (38) times the first: what a function unbounded below does.
     */
    public boolean ranOutFalling() {
        return ranOut != null;
    }

    /** After {@link #ranOutFalling}: the last step tried and φ there (the lowest value the search saw). */
    public double ranOutStep() {
        return ranOut.t();
    }

    /** After {@link #ranOutFalling}: φ at {@link #ranOutStep}. */
    public double ranOutValue() {
        return ranOut.f();
    }

    private boolean sufficientDecrease(Point c) {
        return c.f() <= f0 + C1 * c.t() * slope0;
    }

    private boolean curvature(Point c) {
        return Math.abs(c.slope()) <= -C2 * slope0;
    }

    /** Algorithm 3.5: lo holds the previous step. */
    private Verdict bracket(Point c) {
        if (!sufficientDecrease(c) || (evaluations > 1 && c.f() >= lo.f())) {
            return startZoom(lo, c);
        }
        if (curvature(c)) {
            return Verdict.ACCEPT;
        }
        if (c.slope() >= 0) {
            return startZoom(c, lo);
        }
        if (evaluations >= MAX_BRACKET) {
            ranOut = c; // every trial fell, by at least the sufficient decrease, on a slope that never flattened
            return Verdict.FAIL;
        }
        lo = c;
        t *= GROW;
        return Verdict.CONTINUE;
    }

    private Verdict startZoom(Point low, Point high) {
        zooming = true;
        evaluations = 0;
        lo = low;
        hi = high;
        return next();
    }

    /** Algorithm 3.6, one evaluation: lo is the best step with sufficient decrease; the minimum lies between lo and hi. */
    private Verdict zoom(Point c) {
        if (!sufficientDecrease(c) || c.f() >= lo.f()) {
            hi = c;
        } else {
            if (curvature(c)) {
                return Verdict.ACCEPT;
            }
            if (c.slope() * (hi.t() - lo.t()) >= 0) {
                hi = lo;
            }
            lo = c;
        }
        if (evaluations >= MAX_ZOOM) {
            return Verdict.FAIL;
        }
        return next();
    }

    private Verdict next() {
        t = interpolate(lo.t(), lo.f(), lo.slope(), hi.t(), hi.f(), hi.slope());
        // The bracket has shrunk to adjacent doubles: no step in it can be told apart.
        return t == lo.t() || t == hi.t() ? Verdict.FAIL : Verdict.CONTINUE;
    }

    /**
     * The minimiser of the cubic through (a, fa, da) and (b, fb, db) (N&W eq. 3.59), moved into the
     * middle 80% of the interval; the midpoint when the cubic does not exist (a non-finite end).
     */
    static double interpolate(double a, double fa, double da, double b, double fb, double db) {
        if (a > b) {
            return interpolate(b, fb, db, a, fa, da);
        }
        double width = b - a;
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double d2 = Math.sqrt(d1 * d1 - da * db);
        double c = b - width * (db + d2 - d1) / (db - da + 2 * d2);
        if (!Double.isFinite(c)) {
            return a + 0.5 * width;
        }
        return Math.min(Math.max(c, a + 0.1 * width), a + 0.9 * width);
    }
}
