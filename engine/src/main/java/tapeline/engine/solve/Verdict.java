package tapeline.engine.solve;

import tapeline.engine.tape.DType;

/**
 * What the Hessian says about a lane's result ({@code verdict = true}): read from its eigenvalues,
 * with a tolerance relative to the largest of them ({@link #zero}), so that rounding never decides.
 * <ul>
 *   <li>{@code MINIMUM}: every eigenvalue positive and the gradient within tolerance;</li>
 *   <li>{@code SADDLE}: eigenvalues of both signs (a negative and a positive one);</li>
 *   <li>{@code MAXIMUM}: a negative eigenvalue and no positive one;</li>
 *   <li>{@code FLAT}: no negative eigenvalue but a zero one (singular: a valley of minimisers, a
 *       linear cost), or positive definite where the gradient is not yet within tolerance:
 *       undecided.</li>
 * </ul>
 */
public enum Verdict {
    MINIMUM, SADDLE, MAXIMUM, FLAT;

    /**
     * The size below which an eigenvalue counts as zero: a relative {@code 1e-8} of the largest
     * magnitude in float64 ({@code 1e-4} in float32, whose Hessians carry about 7 digits), and at
     * least a tiny absolute floor so that an all-zero Hessian is flat.
     */
    public static double zero(SymmetricEigen e, DType dtype) {
        double scale = Math.max(Math.abs(e.smallest()), Math.abs(e.largest()));
        return Math.max(relativeZero(dtype) * scale, Double.MIN_NORMAL);
    }

    /** {@link #zero}'s fraction of the largest eigenvalue's magnitude: {@code 1e-8} in float64, {@code 1e-4} in float32. */
    static double relativeZero(DType dtype) {
        return dtype == DType.FLOAT32 ? 1e-4 : 1e-8;
    }

    /**
     * The gradient norm under which a positive-definite point is a minimum: {@code tolerance.grad}
     * when set, else the square root of the dtype's machine epsilon times {@code max(1, |cost|)}.
     */
    public static double gradientTolerance(double gradTolerance, double cost, DType dtype) {
        if (gradTolerance > 0) return gradTolerance;
        double eps = dtype == DType.FLOAT32 ? Math.ulp(1.0f) : Math.ulp(1.0);
        return Math.sqrt(eps) * Math.max(1, Math.abs(cost));
    }

    /** The verdict for a decomposed Hessian and the gradient norm at the same point. */
    public static Verdict of(SymmetricEigen e, DType dtype, double gradNorm, double gradTolerance) {
        double zero = zero(e, dtype);
        boolean negative = e.smallest() < -zero;
        boolean positive = e.largest() > zero;
        if (negative) return positive ? SADDLE : MAXIMUM;
        if (e.smallest() > zero) return gradNorm <= gradTolerance ? MINIMUM : FLAT;
        return FLAT;
    }
}
