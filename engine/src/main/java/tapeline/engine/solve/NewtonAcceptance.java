package tapeline.engine.solve;

import tapeline.engine.tape.DType;

/**
 * When a damped Newton step's trial {@code x + t d} is taken: the one rule of the sweep's
 * {@code NewtonStep} and the train job's Newton ({@code TrainRun}, grouped fits included).
 *
 * <p>By the cost where the cost can tell: the Armijo test {@code f(x + t d) <= f(x) + c1 t g.d}
 * decides whenever the change it looks at is larger than the cost's rounding ({@link #resolution}):
 * a fall by more than that which passes Armijo is taken, a rise by more than that, or an Armijo
 * failure when the decrease Armijo asks for is itself resolvable, is refused.
 *
 * <p>By the gradient where it cannot: near the optimum a Newton step lowers the cost by about
 * {@code g.H^-1.g / 2}, the square of a small gradient, which falls below the cost's rounding long
 * before the gradient reaches a tight tolerance. Such a cost test sees noise: it refused good steps
 * (the rows stayed until {@code MAX_STEPS} with gradients of 1e-8..1e-6), or took any step of
 * unchanged cost, also one that moves x by a few ulps and nothing else (until {@code MAX_STEPS}).
 * There the trial is taken only if its gradient norm fell by at least half of what the quadratic
 * model says a Newton step of length t does, {@code ||g(x + t d)|| <= (1 - t/2) ||g(x)||} (the model
 * says {@code (1 - t) ||g||}; inside the quadratic region a full step makes it {@code O(||g||^2)}).
 * A step that only moves x within the gradient's own rounding cannot halve it, so a lane at the
 * precision limit finds no trial: the caller says so ({@code STALLED} in the train job), it is never
 * judged {@code CONVERGED} except by the tolerances.
 *
 * <pre>{@code
 * Judged j = NewtonAcceptance.byCost(f0, f, t, slope, 1e-4, DType.FLOAT64);
 * boolean take = j == Judged.TAKE || (j == Judged.BY_GRADIENT && NewtonAcceptance.byGradient(norm0, norm, t));
 * }</pre>
 */
public final class NewtonAcceptance {
    private NewtonAcceptance() {
    }

    /** What the cost says of a trial. */
    public enum Judged {
        /** A resolvable fall that passes Armijo: take it. */
        TAKE,
        /** A resolvable rise, an Armijo failure that the cost can see, or a non-finite cost: refuse it. */
        REFUSE,
        /** The change is within the cost's rounding: the gradient decides ({@link #byGradient}). */
        BY_GRADIENT
    }

    /**
     * Ulps of the cost within which a change is rounding: the error of a sum of a few thousand terms
     * (a row's points, a group's rows), 2^-40 relative (about 1e-12) in float64.
     */
    static final double ROUNDING_ULPS = 4096;

    /** The smallest change of a cost of size {@code cost} that is not rounding, in its dtype. */
    public static double resolution(double cost, DType dtype) {
        double ulp = dtype == DType.FLOAT32 ? Math.ulp((float) cost) : Math.ulp(cost);
        return ROUNDING_ULPS * ulp;
    }

    /**
     * The cost's verdict on a trial at step length t.
     *
     * @param f0    the cost at x
     * @param f     the cost at {@code x + t d}
     * @param slope {@code g.d} (negative for a descent direction)
     * @param c1    the Armijo constant
     */
    public static Judged byCost(double f0, double f, double t, double slope, double c1, DType dtype) {
        if (!Double.isFinite(f)) return Judged.REFUSE;
        double r = resolution(f0, dtype);
        double want = f0 + c1 * t * slope;
        if (f <= want && f0 - f > r) return Judged.TAKE;
        if (f - f0 > r) return Judged.REFUSE;
        if (f > want && f0 - want > r) return Judged.REFUSE; // Armijo asked for a fall the cost can see
        return Judged.BY_GRADIENT;
    }

    /**
     * The gradient's verdict on a trust-region trial the cost cannot judge: the gradient norm fell by
     * at least half of what the model predicts, {@code ||g(x + s)|| <= (||g(x)|| + ||g + H s||) / 2}
     * ({@code modelGradNorm} is {@code ||g + H s||}, 0 for an interior Newton step, where this is
     * {@link #byGradient} at {@code t = 1}). False when the model predicts no fall of the gradient.
     */
    public static boolean byModelGradient(double gradNorm0, double gradNorm, double modelGradNorm) {
        return modelGradNorm < gradNorm0 && gradNorm <= 0.5 * (gradNorm0 + modelGradNorm); // false for NaN
    }

    /** The gradient's verdict on a trial the cost cannot judge: {@code ||g(x + t d)|| <= (1 - t/2) ||g(x)||}. */
    public static boolean byGradient(double gradNorm0, double gradNorm, double t) {
        return gradNorm <= (1 - t / 2) * gradNorm0; // false for NaN
    }
}
