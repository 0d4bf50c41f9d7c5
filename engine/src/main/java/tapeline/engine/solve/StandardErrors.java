package tapeline.engine.solve;

/**
 * Standard errors of a lane's solution ({@code stderr = true}), by what the cost is:
 *
 * <ul>
 *   <li>{@link Kind#RESIDUALS}: {@code sqrt(diag((J^T J)^-1) * RSS / (n - p))} at the result, the
 *       way NIST certifies its nonlinear regression problems (and scipy's {@code curve_fit},
 *       statsmodels, R's {@code nls} report them), J the residuals' Jacobian, n residuals, p
 *       variables. {@code (J^T J)^-1} is never formed from {@code J^T J}: J's columns are scaled to
 *       unit norm, factored {@code QR}, and {@code diag(R^-1 R^-T)} read off and scaled back.</li>
 *   <li>{@link Kind#NLL}: the cost is a negative log-likelihood; {@code sqrt(diag(H^-1))} with H its
 *       Hessian at the result (the observed information), by an eigen-decomposition of H scaled to a
 *       unit diagonal.</li>
 * </ul>
 *
 * <p>Where the matrix is singular (a column of J, or a direction of H, that the others explain to
 * within {@value #RCOND} relative to the largest, after the unit scaling), where H is not positive
 * definite, or where {@code n <= p}, there is no standard error: every component is NaN (null in
 * the output).
 */
public final class StandardErrors {

    /** What the cost is, for its standard errors. */
    public enum Kind {
        /** No standard errors. */
        NONE,
        /** The cost is a sum of squared residuals. */
        RESIDUALS,
        /** The cost is a negative log-likelihood. */
        NLL
    }

    /** The smallest reciprocal condition (after unit scaling) below which a matrix counts as singular. */
    static final double RCOND = 1e-10;

    private StandardErrors() {
    }

    /**
     * {@code out[k] = sqrt(diag((J^T J)^-1)_k * rss / (n - p))} for {@code jac[n][p]}; returns false
     * (and fills NaN) where there is none.
     */
    static boolean fromJacobian(double[] jac, int n, double rss, double[] out) {
        int p = out.length;
        java.util.Arrays.fill(out, Double.NaN);
        if (n <= p || !(rss >= 0) || rss == Double.POSITIVE_INFINITY) return false;
        double[] scale = new double[p];
        double[][] a = new double[n][p];
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += jac[j * n + i] * jac[j * n + i];
            s = Math.sqrt(s);
            if (!(s > 0) || s == Double.POSITIVE_INFINITY) return false;
            scale[j] = s;
            for (int i = 0; i < n; i++) a[i][j] = jac[j * n + i] / s;
        }
        // Householder QR, R in a's upper triangle.
        double largest = 0;
        for (int k = 0; k < p; k++) {
            double norm = 0;
            for (int i = k; i < n; i++) norm += a[i][k] * a[i][k];
            norm = Math.sqrt(norm);
            double alpha = a[k][k] > 0 ? -norm : norm;
            double v0 = a[k][k] - alpha;
            double beta = v0 * v0;
            for (int i = k + 1; i < n; i++) beta += a[i][k] * a[i][k];
            a[k][k] = v0;
            if (beta != 0) {
                for (int j = k + 1; j < p; j++) {
                    double dot = 0;
                    for (int i = k; i < n; i++) dot += a[i][k] * a[i][j];
                    double t = 2 * dot / beta;
                    for (int i = k; i < n; i++) a[i][j] -= t * a[i][k];
                }
            }
            a[k][k] = alpha;
            largest = Math.max(largest, Math.abs(alpha));
        }
        for (int k = 0; k < p; k++) {
            if (!(Math.abs(a[k][k]) > RCOND * largest)) return false;
        }
        // R^-1, upper triangular, by columns.
        double[][] inv = new double[p][p];
        for (int j = 0; j < p; j++) {
            inv[j][j] = 1 / a[j][j];
            for (int i = j - 1; i >= 0; i--) {
                double s = 0;
                for (int k = i + 1; k <= j; k++) s += a[i][k] * inv[k][j];
                inv[i][j] = -s / a[i][i];
            }
        }
        double sigma2 = rss / (n - p);
        for (int i = 0; i < p; i++) {
            double d = 0;
            for (int k = i; k < p; k++) d += inv[i][k] * inv[i][k];
            out[i] = Math.sqrt(d * sigma2) / scale[i];
        }
        return true;
    }

    /** {@code out[k] = sqrt(diag(H^-1)_k)}; returns false (and fills NaN) where H is singular or not positive definite. */
    static boolean fromHessian(double[][] h, SymmetricEigen eigen, double[] out) {
        int p = out.length;
        java.util.Arrays.fill(out, Double.NaN);
        double[] scale = new double[p];
        double[][] m = new double[p][p];
        for (int j = 0; j < p; j++) {
            if (!(h[j][j] > 0) || h[j][j] == Double.POSITIVE_INFINITY) return false;
            scale[j] = Math.sqrt(h[j][j]);
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                m[i][j] = h[i][j] / (scale[i] * scale[j]);
                if (!Double.isFinite(m[i][j])) return false;
            }
        }
        eigen.decompose(m);
        if (!(eigen.smallest() > RCOND * eigen.largest())) return false;
        for (int k = 0; k < p; k++) {
            double d = 0;
            for (int i = 0; i < p; i++) d += eigen.vector(i, k) * eigen.vector(i, k) / eigen.value(i);
            out[k] = Math.sqrt(d) / scale[k];
        }
        return true;
    }

    /**
     * The reciprocal condition (after unit scaling) below which a normal matrix {@code J^T J} counts as
     * singular: its condition is J's squared, so this is {@value #RCOND}'s counterpart for J at 1e-6
     * (a J^T J near it loses about 12 of the 16 digits of its inverse).
     */
    public static final double RCOND_NORMAL = 1e-12;

    /**
     * {@code out = M^-1} for a symmetric positive definite {@code M} ({@code J^T J} or a Hessian), by the
     * eigen-decomposition of M scaled to a unit diagonal (the train job's covariance matrix).
     *
     * @param rcond the smallest ratio of the scaled M's eigenvalues that counts as non-singular
     * @return null, or why there is no inverse (then {@code out} is all NaN)
     */
    public static String inverse(double[][] mat, double rcond, double[][] out) {
        int p = mat.length;
        for (double[] row : out) java.util.Arrays.fill(row, Double.NaN);
        double[] scale = new double[p];
        for (int j = 0; j < p; j++) {
            if (!(mat[j][j] > 0) || mat[j][j] == Double.POSITIVE_INFINITY) {
                return "diagonal entry " + j + " is " + mat[j][j] + " (a parameter the objective does not see, or not finite)";
            }
            scale[j] = Math.sqrt(mat[j][j]);
        }
        double[][] m = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                m[i][j] = mat[i][j] / (scale[i] * scale[j]);
                if (!Double.isFinite(m[i][j])) return "entry (" + i + ", " + j + ") is not finite";
            }
        }
        SymmetricEigen eigen = new SymmetricEigen(p);
        eigen.decompose(m);
        if (!(eigen.smallest() > rcond * eigen.largest())) {
            return eigen.smallest() <= 0 ? "not positive definite (smallest eigenvalue after unit scaling " + eigen.smallest() + ")"
                    : "singular: reciprocal condition after unit scaling " + (eigen.smallest() / eigen.largest()) + " < " + rcond;
        }
        for (int a = 0; a < p; a++) {
            for (int b = a; b < p; b++) {
                double d = 0;
                for (int i = 0; i < p; i++) d += eigen.vector(i, a) * eigen.vector(i, b) / eigen.value(i);
                out[a][b] = d / (scale[a] * scale[b]);
                out[b][a] = out[a][b];
            }
        }
        return null;
    }
}
