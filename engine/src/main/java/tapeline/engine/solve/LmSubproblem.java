package tapeline.engine.solve;

/**
 * The Levenberg-Marquardt subproblem of one lane, as MINPACK's {@code lmpar} solves it: given the
 * Jacobian J (n x m), the residuals r, the scaling D (positive) and the radius delta, find
 * {@code par >= 0} and the step s minimising {@code ||J s + r||^2 + par ||D s||^2} such that
 * either {@code par = 0} and {@code ||D s|| <= 1.1 delta} (the Gauss-Newton step fits), or
 * {@code | ||D s|| - delta | <= 0.1 delta}. {@code par} is found by Moré's safeguarded Newton
 * iteration on {@code phi(par) = ||D s(par)|| - delta} (at most 10 iterations, bounds
 * {@code parl <= par <= paru}), exactly lmpar's sequence.
 *
 * <p>One difference in how: lmpar factors J once (QR with column pivoting) and folds
 * {@code sqrt(par) D} in with Givens rotations ({@code qrsolv}) for each trial {@code par}; this
 * class factors the stacked matrix {@code [J; sqrt(par) D]} afresh (Householder QR with column
 * pivoting) for each trial. The result is the same least-squares solution, without ever forming
 * {@code J^T J} (whose condition number is the square of J's), at {@code O((n + m) m^2)} a trial,
 * which is small for the dense, narrow Jacobians of per-row fits.
 *
 * <pre>{@code
 * LmSubproblem sub = new LmSubproblem(n, m);
 * double par = sub.solve(J, r, diag, delta, parBefore);   // sub.step() holds s
 * }</pre>
 */
final class LmSubproblem {
    /** The smallest positive magnitude (MINPACK's dwarf). */
    private static final double DWARF = Double.MIN_NORMAL;

    private final int n;
    private final int m;
    /** The stacked matrix, factored in place: R in its upper triangle. */
    private final double[][] a;
    private final double[] b;
    private final int[] perm;
    private final double[] s;
    private final double[] z;
    private final double[] w;
    private final double[] norms;

    LmSubproblem(int n, int m) {
        this.n = n;
        this.m = m;
        a = new double[n + m][m];
        b = new double[n + m];
        perm = new int[m];
        s = new double[m];
        z = new double[m];
        w = new double[m];
        norms = new double[m];
    }

    /** The step of the last {@link #solve} (or {@link #damped}). */
    double[] step() {
        return s;
    }

    /**
     * lmpar: the parameter for radius {@code delta}, starting from {@code par0}; the step is left
     * in {@link #step()}.
     */
    double solve(double[][] jac, double[] r, double[] diag, double delta, double par0) {
        int rank = damped(jac, r, diag, 0);
        double dxnorm = scaledNorm(diag);
        double fp = dxnorm - delta;
        if (fp <= 0.1 * delta) return 0; // the Gauss-Newton step fits
        double parl = 0;
        if (rank == m) parl = (fp / delta) / square(rTransposeSolveNorm(diag, dxnorm));
        double gnorm = 0; // ||D^-1 J^T r||
        for (int j = 0; j < m; j++) {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += jac[i][j] * r[i];
            gnorm += square(sum / diag[j]);
        }
        gnorm = Math.sqrt(gnorm);
        double paru = gnorm / delta;
        if (paru == 0) paru = DWARF / Math.min(delta, 0.1);
        double par = Math.min(Math.max(par0, parl), paru);
        if (par == 0) par = gnorm / dxnorm;
        for (int iter = 1; ; iter++) {
            if (par == 0) par = Math.max(DWARF, 0.001 * paru);
            damped(jac, r, diag, par);
            dxnorm = scaledNorm(diag);
            double before = fp;
            fp = dxnorm - delta;
            if (Math.abs(fp) <= 0.1 * delta || (parl == 0 && fp <= before && before < 0) || iter == 10) return par;
            double parc = (fp / delta) / square(rTransposeSolveNorm(diag, dxnorm));
            if (fp > 0) parl = Math.max(parl, par);
            if (fp < 0) paru = Math.min(paru, par);
            par = Math.max(parl, par + parc);
        }
    }

    /**
     * The least-squares solution of {@code [J; sqrt(par) D] s = [-r; 0]} into {@link #step()},
     * by Householder QR with column pivoting; returns the rank found (columns past it, whose
     * diagonal of R is exactly 0 as in MINPACK, get 0 in the step).
     */
    int damped(double[][] jac, double[] r, double[] diag, double par) {
        int rows = par == 0 ? n : n + m;
        for (int i = 0; i < n; i++) {
            System.arraycopy(jac[i], 0, a[i], 0, m);
            b[i] = -r[i];
        }
        if (par != 0) {
            double sp = Math.sqrt(par);
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(a[n + i], 0.0);
                a[n + i][i] = sp * diag[i];
                b[n + i] = 0;
            }
        }
        for (int j = 0; j < m; j++) perm[j] = j;
        int steps = Math.min(rows, m);
        for (int k = 0; k < steps; k++) {
            // Pivot: the remaining column with the largest norm below row k.
            int best = k;
            double bestNorm = -1;
            for (int j = k; j < m; j++) {
                double sum = 0;
                for (int i = k; i < rows; i++) sum += a[i][j] * a[i][j];
                norms[j] = sum;
                if (sum > bestNorm) {
                    bestNorm = sum;
                    best = j;
                }
            }
            if (best != k) {
                for (int i = 0; i < rows; i++) {
                    double t = a[i][k];
                    a[i][k] = a[i][best];
                    a[i][best] = t;
                }
                int t = perm[k];
                perm[k] = perm[best];
                perm[best] = t;
            }
            double norm = Math.sqrt(bestNorm);
            if (norm == 0) {
                a[k][k] = 0;
                continue;
            }
            double alpha = a[k][k] > 0 ? -norm : norm;
            // v = x - alpha e1, stored in column k below the diagonal; beta = v.v
            double v0 = a[k][k] - alpha;
            double beta = v0 * v0;
            for (int i = k + 1; i < rows; i++) beta += a[i][k] * a[i][k];
            a[k][k] = v0;
            if (beta != 0) {
                for (int j = k + 1; j < m; j++) {
                    double dot = 0;
                    for (int i = k; i < rows; i++) dot += a[i][k] * a[i][j];
                    double t = 2 * dot / beta;
                    for (int i = k; i < rows; i++) a[i][j] -= t * a[i][k];
                }
                double dot = 0;
                for (int i = k; i < rows; i++) dot += a[i][k] * b[i];
                double t = 2 * dot / beta;
                for (int i = k; i < rows; i++) b[i] -= t * a[i][k];
            }
            a[k][k] = alpha; // R's diagonal (the reflector's vector is no longer needed)
        }
        int rank = 0;
        while (rank < steps && a[rank][rank] != 0) rank++;
        for (int j = m - 1; j >= 0; j--) {
            if (j >= rank) {
                z[j] = 0;
                continue;
            }
            double sum = b[j];
            for (int k = j + 1; k < rank; k++) sum -= a[j][k] * z[k];
            z[j] = sum / a[j][j];
        }
        for (int j = 0; j < m; j++) s[perm[j]] = z[j];
        return rank;
    }

    /** {@code ||D s||} of the current step. */
    private double scaledNorm(double[] diag) {
        double sum = 0;
        for (int j = 0; j < m; j++) sum += square(diag[j] * s[j]);
        return Math.sqrt(sum);
    }

    /**
     * {@code ||R^-T P^T D (D s) / ||D s|| ||} with the last factorisation's R and pivots: lmpar's
     * derivative of phi, up to the factor {@code -1 / ||D s||}.
     */
    private double rTransposeSolveNorm(double[] diag, double dxnorm) {
        for (int j = 0; j < m; j++) {
            int l = perm[j];
            w[j] = diag[l] * (diag[l] * s[l]) / dxnorm;
        }
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double v = w[j];
            for (int k = 0; k < j; k++) v -= a[k][j] * w[k];
            w[j] = v / a[j][j];
            sum += w[j] * w[j];
        }
        return Math.sqrt(sum);
    }

    private static double square(double v) {
        return v * v;
    }
}
