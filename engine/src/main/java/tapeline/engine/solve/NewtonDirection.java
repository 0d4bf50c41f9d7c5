package tapeline.engine.solve;

import tapeline.engine.tape.DType;

/**
 * Newton's direction from a gradient g and a symmetric Hessian H: the one rule of
 * {@code optimizer = newton} for the sweep ({@link NewtonStep}), the train job and grouped fits
 * ({@code TrainRun}).
 *
 * <pre>{@code
 * NewtonDirection nd = new NewtonDirection(2);
 * double[] d = new double[2];
 * nd.direction(new double[][] {{2, 0}, {0, 4}}, new double[] {2, 4}, DType.FLOAT64, d);   // d = {-1, -1}
 * }</pre>
 *
 * <p><b>The rule.</b> {@code d = -V diag(1 / max(|l_i|, zero)) V' g} from H's eigen-decomposition
 * ({@link SymmetricEigen}; {@code zero} is {@link Verdict#zero}: {@code 1e-8} of the largest
 * eigenvalue's magnitude in float64, {@code 1e-4} in float32): where every eigenvalue is above
 * {@code zero} that is the Newton step {@code -H^-1 g}; negative eigenvalues are taken by magnitude
 * and zero ones floored, so d is a descent direction that also leaves a saddle along its negative
 * curvature; an all-zero H gives {@code -g}.
 *
 * <p><b>How it is computed.</b> The eigen-decomposition (cyclic Jacobi) cost a fifth of a small
 * logistic group's fit, and at most iterates H is positive definite and well conditioned, where the rule
 * is {@code -H^-1 g}. So first the Cholesky factorisation {@code H = L D L'} ({@link Ldl}, no square roots): when it
 * succeeds (every pivot positive) and {@code tr(H) tr(H^-1) < 1 / rel} (the trace of the inverse from
 * the factors), then
 * {@code l_max / l_min <= tr(H) tr(H^-1) < 1 / rel}, i.e. every eigenvalue is above {@code zero}
 * and the rule's d is {@code -H^-1 g}: it is solved from the factors (a diagonal H gives
 * {@code -g_i / h_ii} exactly, as the eigen-decomposition does). Otherwise (indefinite, singular, or
 * too ill-conditioned to tell cheaply) the eigen-decomposition as above. The two paths give the same
 * direction up to rounding; which one ran depends only on H's values, so a fit's bits depend on its
 * data alone, and are the same compiled or interpreted.
 *
 * <p>One instance holds work arrays for one size (not thread-safe).
 */
public final class NewtonDirection {
    private final int m;
    private final double[][] copy;
    private final Ldl ldl;
    private final SymmetricEigen eigen;
    private boolean lastCholesky;

    public NewtonDirection(int m) {
        if (m < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + m);
        this.m = m;
        copy = new double[m][m];
        ldl = new Ldl(m);
        eigen = new SymmetricEigen(m);
    }

    /**
     * Writes the rule's direction for gradient {@code g} and Hessian {@code h} (symmetric, m x m; only
     * read) into {@code d}.
     */
    public void direction(double[][] h, double[] g, DType dtype, double[] d) {
        if (ldl.aboveZero(h, Verdict.relativeZero(dtype), 1)) {
            lastCholesky = true;
            ldl.solveNegative(g, d);
            return;
        }
        lastCholesky = false;
        for (int i = 0; i < m; i++) System.arraycopy(h[i], 0, copy[i], 0, m);
        eigen.decompose(copy);
        double zero = Verdict.zero(eigen, dtype);
        boolean flat = !(Math.max(Math.abs(eigen.smallest()), Math.abs(eigen.largest())) > Double.MIN_NORMAL);
        for (int k = 0; k < m; k++) d[k] = flat ? -g[k] : 0;
        if (!flat) {
            for (int i = 0; i < m; i++) {
                double proj = 0; // v_i . g
                for (int k = 0; k < m; k++) proj += eigen.vector(i, k) * g[k];
                double scale = proj / Math.max(Math.abs(eigen.value(i)), zero);
                for (int k = 0; k < m; k++) d[k] -= scale * eigen.vector(i, k);
            }
        }
    }

    /** Whether the last {@link #direction} solved by Cholesky (H positive definite and well conditioned). */
    public boolean lastCholesky() {
        return lastCholesky;
    }
}
