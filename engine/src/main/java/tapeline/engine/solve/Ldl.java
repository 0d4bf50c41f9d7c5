package tapeline.engine.solve;

/**
 * {@code H = L D L'} of a small symmetric matrix (L unit lower triangular, D diagonal): Cholesky
 * without square roots, so a diagonal H gives {@code H^-1 g = g_i / h_ii} exactly. The cheap test the
 * second-order rules try before a {@link SymmetricEigen} decomposition (about a tenth of its work at
 * m = 6): where it succeeds with every pivot positive and {@code tr(H) tr(H^-1)} small, every
 * eigenvalue of H is positive and far above {@link Verdict#zero}, so the eigenvalues' sign pattern is
 * known without them ({@code l_max <= tr(H)} and {@code 1 / l_min <= tr(H^-1)}, so
 * {@code l_max / l_min <= tr(H) tr(H^-1)}).
 *
 * <pre>{@code
 * Ldl f = new Ldl(2);
 * double[][] h = {{2, 0}, {0, 4}};
 * f.factor(h);                                      // true: positive pivots 2 and 4
 * double bound = Ldl.trace(h, 2) * f.traceInverse(); // 6 * 0.75 = 4.5 >= l_max / l_min = 2
 * double q = f.inverseForm(new double[] {2, 4});    // g' H^-1 g = 4 / 2 + 16 / 4 = 6
 * }</pre>
 *
 * <p>One instance holds work arrays for one size (not thread-safe).
 */
final class Ldl {
    private final int m;
    private final double[][] l;
    private final double[][] inv;
    private final double[] diag;
    private final double[] y;
    private double bound = Double.NaN;

    Ldl(int m) {
        if (m < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + m);
        this.m = m;
        l = new double[m][m];
        inv = new double[m][m];
        diag = new double[m];
        y = new double[m];
    }

    /**
     * Factors {@code h} (m x m, symmetric; only read, its lower half): L below the diagonal of
     * {@link #l}, D in {@link #diag}. False when a pivot {@code D_j} is not positive (or not finite).
     */
    boolean factor(double[][] h) {
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

    /** The sum of {@code h}'s diagonal (its first m entries). */
    static double trace(double[][] h, int m) {
        double trace = 0;
        for (int i = 0; i < m; i++) trace += h[i][i];
        return trace;
    }

    /**
     * {@code tr(H^-1)} from the last {@link #factor}'s factors: {@code H^-1 = M' D^-1 M} with
     * {@code M = L^-1} (unit lower triangular), so {@code tr(H^-1) = sum_j (sum_i M_ji^2) / D_j}.
     */
    double traceInverse() {
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
        return traceInv;
    }

    /** {@code d = -H^-1 g} from the last {@link #factor}'s factors: L z = -g, z / D, then L' d = z. */
    void solveNegative(double[] g, double[] d) {
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
    }

    /** {@code g' H^-1 g = sum_j z_j^2 / D_j} with {@code L z = g}, from the last {@link #factor}'s factors. */
    double inverseForm(double[] g) {
        double q = 0;
        for (int i = 0; i < m; i++) {
            double s = g[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
            y[i] = s;
            q += s * s / diag[i];
        }
        return q;
    }

    /**
     * Whether {@code h} (m x m, symmetric) certainly has every eigenvalue above {@link Verdict#zero}
     * ({@code rel} of the largest eigenvalue's magnitude, at least {@code MIN_NORMAL}) with a factor of
     * two to spare, so that a {@link SymmetricEigen} decomposition's eigenvalues, accurate to a few ulps
     * of the largest, are all above its zero too: it factors with positive pivots,
     * {@code tr(H) tr(H^-1) < 1 / (2 rel)} and {@code 1 / tr(H^-1) > 2 MIN_NORMAL}. False says nothing
     * (indefinite, singular, or too ill-conditioned to tell cheaply). Leaves the factors for
     * {@link #inverseForm} and {@link #solveNegative}.
     */
    boolean certainlyAboveZero(double[][] h, double rel) {
        return aboveZero(h, rel, 2);
    }

    /**
     * Factors {@code h} and tells whether its pivots are positive, {@code tr(H) tr(H^-1) < 1 / (spare rel)}
     * and {@code 1 / tr(H^-1) > spare MIN_NORMAL}: every eigenvalue above {@code rel} of the largest (and
     * above {@code MIN_NORMAL}) with a factor of {@code spare} to spare. Newton's direction asks with
     * spare 1 (the factors then give its step); the end tests with 2 ({@link #certainlyAboveZero}).
     */
    boolean aboveZero(double[][] h, double rel, double spare) {
        bound = Double.NaN;
        if (!factor(h)) return false;
        double traceInv = traceInverse();
        bound = trace(h, m) * traceInv;
        return Double.isFinite(traceInv) && traceInv * (spare * Double.MIN_NORMAL) < 1 && bound * (spare * rel) < 1;
    }

    /** The last {@link #certainlyAboveZero}'s {@code tr(H) tr(H^-1)}, at least {@code l_max / l_min} (NaN where it did not factor). */
    double conditionBound() {
        return bound;
    }
}
