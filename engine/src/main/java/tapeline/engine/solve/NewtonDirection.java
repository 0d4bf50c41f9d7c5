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
 * is {@code -H^-1 g}. So first the Cholesky factorisation {@code H = L D L'} (no square roots): when it
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
    private final double[][] l;
    private final double[][] inv;
    private final double[][] copy;
    private final double[] y;
    private final double[] diag;
    private final SymmetricEigen eigen;
    private boolean lastCholesky;

    public NewtonDirection(int m) {
        if (m < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + m);
        this.m = m;
        l = new double[m][m];
        inv = new double[m][m];
        copy = new double[m][m];
        y = new double[m];
        diag = new double[m];
        eigen = new SymmetricEigen(m);
    }

    /**
     * Writes the rule's direction for gradient {@code g} and Hessian {@code h} (symmetric, m x m; only
     * read) into {@code d}.
     */
    public void direction(double[][] h, double[] g, DType dtype, double[] d) {
        double rel = dtype == DType.FLOAT32 ? 1e-4 : 1e-8;
        if (factor(h) && wellConditioned(h, rel)) {
            lastCholesky = true;
            // L z = -g, z / D, then L' d = z (L unit lower triangular).
            for (int i = 0; i < m; i++) {
                double s = -g[i];
                for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
                y[i] = s;
            }
            for (int i = 0; i < m; i++) y[i] /= diag[i];
            for (int i = m - 1; i >= 0; i--) {
                double s = y[i];
                for (int k = i + 1; k < m; k++) s -= l[k][i] * d[k];
                d[i] = s;
            }
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

    /**
     * {@code H = L D L'} (L unit lower triangular, in {@link #l} below its diagonal; D in {@link #diag}):
     * Cholesky without square roots, so a diagonal H gives {@code d_i = -g_i / h_ii} exactly. False when a
     * pivot {@code D_j} is not positive (or not finite).
     */
    private boolean factor(double[][] h) {
        for (int j = 0; j < m; j++) {
            double s = h[j][j];
            for (int k = 0; k < j; k++) s -= l[j][k] * l[j][k] * diag[k];
            if (!(s > 0) || s == Double.POSITIVE_INFINITY) return false;
            diag[j] = s;
            for (int i = j + 1; i < m; i++) {
                double t = h[i][j];
                for (int k = 0; k < j; k++) t -= l[i][k] * l[j][k] * diag[k];
                l[i][j] = t / s;
            }
        }
        return true;
    }

    /**
     * {@code tr(H) tr(H^-1) < 1 / rel} and {@code 1 / tr(H^-1) > MIN_NORMAL}: every eigenvalue of H above
     * {@link Verdict#zero} ({@code l_max <= tr(H)}, {@code 1 / l_min <= tr(H^-1)}).
     * {@code H^-1 = M' D^-1 M} with {@code M = L^-1} (unit lower triangular), so
     * {@code tr(H^-1) = sum_j (sum_i M_ji^2) / D_j}.
     */
    private boolean wellConditioned(double[][] h, double rel) {
        double trace = 0;
        for (int i = 0; i < m; i++) trace += h[i][i];
        double traceInv = 0;
        for (int j = 0; j < m; j++) {
            // Row j of M: M_jj = 1, M_ji = -sum_{k=i..j-1} L_jk M_ki for i < j.
            double row = 1;
            inv[j][j] = 1;
            for (int i = 0; i < j; i++) {
                double s = 0;
                for (int k = i; k < j; k++) s -= l[j][k] * inv[k][i];
                inv[j][i] = s;
                row += s * s;
            }
            traceInv += row / diag[j];
        }
        return Double.isFinite(traceInv) && traceInv * Double.MIN_NORMAL < 1 && trace * traceInv * rel < 1;
    }
}
