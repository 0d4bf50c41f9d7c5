package tapeline.engine.solve;

import tapeline.engine.tape.DType;

/**
 * Whether a point whose gradient already passed {@code tolerance.grad} is a minimum at working
 * precision, by the Newton decrement (Boyd and Vandenberghe 9.5.1): the fall of the cost that the
 * quadratic model still predicts, {@code lambda^2 / 2 = g' H^-1 g / 2}. An absolute gradient test
 * alone passes where g is small only because the cost barely moves with x, e.g. a row drifting to
 * infinity along a column that fades (Kowalik-Osborne from 100x its start: {@code ||g|| = 1e-10}
 * with lmder's cosine 1e-5, where the model still predicts a fall of {@code 6e-8}); this test is
 * blind to the cost's and the variables' units.
 *
 * <pre>{@code
 * Stationarity s = new Stationarity(2);
 * boolean done = s.atMinimum(new double[][] {{2, 0}, {0, 4}}, new double[] {1e-9, 0}, 1.0, DType.FLOAT64);  // true
 * }</pre>
 *
 * <p><b>The test.</b> In the variables scaled to unit curvature, {@code D = sqrt|diag H|} (Jacobi
 * scaling: MINPACK's and trust's diagonal scaling), {@code Hs = D^-1 H D^-1} and
 * {@code gs = D^-1 g}. A variable whose {@code D_k} is at the rounding of the diagonal's scale
 * ({@code D_k <= eps sqrt(sum |H_ii|)}: a Jacobian column that vanished in float64, as lmder skips
 * zero columns) is left out: the cost cannot see it, and {@code tolerance.grad} alone judges it.
 * Then both:
 * <ul>
 *   <li>no eigenvalue of {@code Hs} below minus {@link Verdict#zero}, unless g is exactly 0 (newton
 *       cannot leave such a point; the verdict names it): not near a saddle nor a maximum (Osborne 1
 *       from 100x its start stopped with {@code ||g|| = 7e-11}, lmder's cosine 0.57, where a negative
 *       curvature of a third of the largest eigenvalue shows once scaled); a singular {@code Hs} (a
 *       valley of minimisers) passes;</li>
 *   <li>{@code lambda^2 / 2 = sum_i (v_i . gs)^2 / max(l_i, zero) / 2} within the rounding of a
 *       cost of size {@code max(|f|, 1)}, {@link NewtonAcceptance#resolution} (2^-40 relative in
 *       float64): the fall still to come cannot show in the cost. Relative for a cost above 1, as
 *       lmder's ftol reads the predicted fall; below 1 it is absolute, Dennis and Schnabel's
 *       {@code typf = 1}: a zero-residual fit's model always predicts a fall of about its whole cost
 *       ({@code lambda^2 / 2 = f} at 1e-20), which no relative test passes (the known weakness of Bates
 *       and Watts' relative offset, for which R's {@code nls} added {@code scaleOffset}). The eigenvalues
 *       are floored as in {@link NewtonDirection} only after scaling, so the floor does not depend on
 *       the variables' units (unscaled, Kowalik-Osborne's floored decrement was 500 times too small).</li>
 * </ul>
 * A non-finite H or g fails. One instance holds work arrays for one size (not thread-safe).
 *
 * <p><b>How it is computed.</b> At the end of nearly every row {@code Hs} is positive definite and well
 * conditioned, the decrement far below the cost's rounding, and the eigen-decomposition was 15% of a
 * logistic newton row. So first {@code Hs = L D L'} ({@link Ldl#certainlyAboveZero}): where it shows every
 * eigenvalue above {@code zero} with a factor of two to spare, the first condition holds, no eigenvalue is
 * floored, and {@code lambda^2 = gs' Hs^-1 gs} is read from the factors. That differs from the eigen form
 * only by rounding: a relative {@code 1000 m eps tr(Hs) tr(Hs^-1)} at most (both are backward stable;
 * their errors grow with the condition number, bounded by {@code tr(Hs) tr(Hs^-1)}), so where the decrement
 * is farther than that from the resolution, it decides, and the answer is the eigen form's. Otherwise
 * (indefinite, singular, ill-conditioned, or the decrement within that margin of the resolution) the
 * eigen-decomposition as above. StationarityTest compares both ways over many random matrices of every kind.
 */
public final class Stationarity {
    private final int m;
    private final int[] keep;
    private final double[] d;
    private final double[] gs;
    private final double[][][] scaled;
    private final SymmetricEigen[] eigen;
    private final Ldl[] ldl;
    private double decrement;
    private boolean byFactors;

    public Stationarity(int m) {
        if (m < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + m);
        this.m = m;
        keep = new int[m];
        d = new double[m];
        gs = new double[m];
        scaled = new double[m + 1][][];
        eigen = new SymmetricEigen[m + 1];
        ldl = new Ldl[m + 1];
    }

    /**
     * Whether gradient {@code g} and Hessian {@code h} (symmetric, m x m; only read) at a point of
     * cost {@code cost} pass the test above.
     */
    public boolean atMinimum(double[][] h, double[] g, double cost, DType dtype) {
        decrement = Double.NaN;
        byFactors = false;
        double eps = dtype == DType.FLOAT32 ? Math.ulp(1.0f) : Math.ulp(1.0);
        double trace = 0;
        for (int k = 0; k < m; k++) {
            if (!Double.isFinite(g[k]) || !Double.isFinite(h[k][k])) return false;
            d[k] = Math.sqrt(Math.abs(h[k][k]));
            trace += Math.abs(h[k][k]);
        }
        double floor = eps * Math.sqrt(trace);
        int n = 0;
        for (int k = 0; k < m; k++) if (d[k] > floor) keep[n++] = k;
        if (n == 0) {
            decrement = 0; // a Hessian of zeros (a plateau): tolerance.grad alone
            return true;
        }
        if (eigen[n] == null) {
            eigen[n] = new SymmetricEigen(n);
            ldl[n] = new Ldl(n);
            scaled[n] = new double[n][n];
        }
        double[][] a = scaled[n];
        for (int i = 0; i < n; i++) {
            int ki = keep[i];
            gs[i] = g[ki] / d[ki];
            for (int j = 0; j < n; j++) {
                a[i][j] = h[ki][keep[j]] / (d[ki] * d[keep[j]]);
                if (!Double.isFinite(a[i][j])) return false;
            }
        }
        double resolution = NewtonAcceptance.resolution(Math.max(Math.abs(cost), 1), dtype);
        Ldl f = ldl[n];
        if (f.certainlyAboveZero(a, Verdict.relativeZero(dtype))) {
            double margin = 1000 * n * Math.ulp(1.0) * f.conditionBound();
            double lam2 = f.inverseForm(gs);
            if (margin < 0.5 && Double.isFinite(lam2) && Double.isFinite(resolution)) {
                if (lam2 / 2 <= resolution * (1 - margin) || lam2 / 2 > resolution * (1 + margin)) {
                    decrement = lam2 / 2;
                    byFactors = true;
                    return decrement <= resolution;
                }
            }
        }
        SymmetricEigen e = eigen[n];
        e.decompose(a);
        double zero = Verdict.zero(e, dtype);
        if (!(e.smallest() >= -zero)) {
            // A direction of negative curvature leads down (NaN: fails), unless g is exactly 0: newton's
            // step from there is 0, and the verdict names the saddle or maximum.
            for (int i = 0; i < n; i++) if (gs[i] != 0) return false;
            decrement = 0;
            return true;
        }
        double lam2 = 0;
        for (int i = 0; i < n; i++) {
            double proj = 0;
            for (int k = 0; k < n; k++) proj += e.vector(i, k) * gs[k];
            lam2 += proj * proj / Math.max(e.value(i), zero);
        }
        decrement = lam2 / 2;
        return decrement <= resolution; // false for NaN
    }

    /**
     * The last {@link #atMinimum}'s {@code lambda^2 / 2} in the scaled variables (NaN where it failed
     * before computing it), from the factors or the eigen-decomposition (they differ by rounding).
     */
    public double decrement() {
        return decrement;
    }

    /** Whether the last {@link #atMinimum} was decided from the factors alone (no eigen-decomposition). */
    boolean lastByFactors() {
        return byFactors;
    }
}
