package tapeline.engine.solve;

/**
 * The Levenberg-Marquardt subproblem of one lane, as MINPACK's {@code lmpar} solves it: given the
 * Jacobian J (n x m), the residuals r, the scaling D (positive) and the radius delta, find
 * {@code par >= 0} and the step s minimising {@code ||J s + r||^2 + par ||D s||^2} such that
 * either {@code par = 0} and {@code ||D s|| <= 1.1 delta} (the Gauss-Newton step fits), or
 * {@code | ||D s|| - delta | <= 0.1 delta}. {@code par} is found by Moré's safeguarded Newton
 * iteration on {@code phi(par) = ||D s(par)|| - delta} (at most 10 iterations, bounds
 * {@code parl <= par <= paru}), lmpar's sequence.
 *
 * <p>Factored as lmpar does: J once per call (Householder QR with column pivoting, {@code J P = Q R},
 * and {@code Q^T r}), then for each trial {@code par} the rows {@code sqrt(par) D} folded into a copy
 * of R by Givens rotations ({@code qrsolv}), whose right-hand side for those rows is 0. Factoring the
 * stacked matrix {@code [J; sqrt(par) D]} afresh by Householder instead gives the same solution in
 * exact arithmetic but not in floating point: where a column of J is tiny against {@code sqrt(par)}
 * (Box 3D at x2 = 1000, a column of 1e-45), its reflector cancels an O(||r||) component of the
 * right-hand side to its rounding, 1e-16, and divides that by the column's damped norm: a step of
 * 1e4 where lmpar's is 1e-3, far outside the radius (session 22).
 *
 * <p>lmder factors J once per outer iteration and hands R to lmpar for every trial radius of that
 * iteration: {@link #factor} then {@link #solveFactored} for each trial does the same, with the
 * same bits as {@link #solve} (which factors every time). Built with a lane count, the factors of
 * each lane are kept ({@link #keep}, {@link #restore}: R's upper triangle, {@code Q^T (-r)}, the
 * pivots, the rank and {@code ||D^-1 J^T r||}), so lanes whose trials interleave each factor once.
 *
 * <pre>{@code
 * LmSubproblem sub = new LmSubproblem(n, m);
 * double par = sub.solve(J, r, diag, delta, parBefore);   // sub.step() holds s
 * sub.factor(jColumns, r);                                // or: once per iteration (J column by column),
 * double par2 = sub.solveFactored(jColumns, r, diag, delta2, par); // then for each trial radius
 * }</pre>
 */
final class LmSubproblem {
    /** The smallest positive magnitude (MINPACK's dwarf). */
    private static final double DWARF = Double.MIN_NORMAL;

    private final int n;
    private final int m;
    /** J, factored in place: R in the upper triangle of its first m rows. */
    private final double[][] a;
    /** -r, then Q^T (-r). */
    private final double[] b;
    private final int[] perm;
    /** R with the rows sqrt(par) D folded in (qrsolv's S), upper triangle. */
    private final double[][] sm;
    private final double[] rhs;
    private final double[] row;
    private final double[] s;
    private final double[] z;
    private final double[] w;
    private final double[] norms;
    /** R's diagonal is in {@code a}; the rank of J found by the factorisation. */
    private int rank;
    /** {@code ||D^-1 J^T r||} of the factored J and r, or NaN until a solve needs it. */
    private double gnorm = Double.NaN;
    /** The lane whose factors are in {@code a}, {@code b}, {@code perm}, {@code rank} (kept in the lane arrays), or -1. */
    private int held = -1;
    /**
     * Per lane (when built with lanes): R's upper triangle row by row ({@code min(n, m)} rows of m, lower
     * entries 0) and {@code Q^T (-r)}'s first {@code min(n, m)} entries, the pivots, the rank and gnorm.
     */
    private final double[][] laneR;
    private final int[][] lanePerm;
    private final int[] laneRank;
    private final double[] laneGnorm;

    LmSubproblem(int n, int m) {
        this(n, m, 0);
    }

    /** With {@code lanes > 0}, room to {@link #keep} each lane's factors. */
    LmSubproblem(int n, int m, int lanes) {
        this.n = n;
        this.m = m;
        int t = Math.min(n, m);
        laneR = lanes > 0 ? new double[lanes][t * m + t] : null;
        lanePerm = lanes > 0 ? new int[lanes][m] : null;
        laneRank = lanes > 0 ? new int[lanes] : null;
        laneGnorm = lanes > 0 ? new double[lanes] : null;
        a = new double[n][m];
        b = new double[n];
        perm = new int[m];
        sm = new double[m][m];
        rhs = new double[m];
        row = new double[m];
        s = new double[m];
        z = new double[m];
        w = new double[m];
        norms = new double[m];
    }

    /** The step of the last {@link #solve}. */
    double[] step() {
        return s;
    }

    /**
     * lmpar: the parameter for radius {@code delta}, starting from {@code par0}, for J given column by
     * column ({@code jac[k n + i]}, as lm keeps a row's J); the step is left in {@link #step()}.
     */
    double solve(double[] jac, double[] r, double[] diag, double delta, double par0) {
        factor(jac, r);
        return solveFactored(jac, r, diag, delta, par0);
    }

    /** {@link #solve} for J given row by row, {@code jac[i][k]}. */
    double solve(double[][] jac, double[] r, double[] diag, double delta, double par0) {
        return solve(columns(jac), r, diag, delta, par0);
    }

    /** J given row by row ({@code jac[i][k]}) as this class takes it: column by column, {@code [k n + i]}. */
    static double[] columns(double[][] jac) {
        int rows = jac.length;
        int cols = rows == 0 ? 0 : jac[0].length;
        double[] out = new double[rows * cols];
        columns(jac, out);
        return out;
    }

    /** {@link #columns(double[][])} into {@code out}. */
    static void columns(double[][] jac, double[] out) {
        int rows = jac.length;
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < jac[i].length; k++) out[k * rows + i] = jac[i][k];
        }
    }

    /**
     * {@link #solve} from the factors of {@code jac} and {@code r} that {@link #factor} (or {@link #restore})
     * left: the same operations after the factorisation, so the same bits.
     */
    double solveFactored(double[] jac, double[] r, double[] diag, double delta, double par0) {
        gaussNewton();
        double dxnorm = scaledNorm(diag);
        double fp = dxnorm - delta;
        if (fp <= 0.1 * delta) return 0; // the Gauss-Newton step fits
        double parl = 0;
        if (rank == m) parl = (fp / delta) / square(rTransposeSolveNorm(a, diag, dxnorm));
        double gnorm = gnorm(jac, r, diag);
        double paru = gnorm / delta;
        if (paru == 0) paru = DWARF / Math.min(delta, 0.1);
        double par = Math.min(Math.max(par0, parl), paru);
        if (par == 0) par = gnorm / dxnorm;
        for (int iter = 1; ; iter++) {
            if (par == 0) par = Math.max(DWARF, 0.001 * paru);
            damped(diag, par);
            dxnorm = scaledNorm(diag);
            double before = fp;
            fp = dxnorm - delta;
            if (Math.abs(fp) <= 0.1 * delta || (parl == 0 && fp <= before && before < 0) || iter == 10) return par;
            double parc = (fp / delta) / square(rTransposeSolveNorm(sm, diag, dxnorm));
            if (fp > 0) parl = Math.max(parl, par);
            if (fp < 0) paru = Math.min(paru, par);
            par = Math.max(parl, par + parc);
        }
    }

    /** The least-squares solution of {@code [J; sqrt(par) D] s = [-r; 0]} for a given {@code par} (0: Gauss-Newton), for tests. */
    double[] dampedStep(double[][] jac, double[] r, double[] diag, double par) {
        factor(columns(jac), r);
        if (par == 0) gaussNewton();
        else damped(diag, par);
        return s.clone();
    }

    /**
     * {@code J P = Q R} by Householder reflections, pivoting to the remaining column of largest norm,
     * and {@code Q^T (-r)} into b; the rank is the count of R's leading nonzero diagonal entries
     * (a column whose remaining norm is exactly 0 gives 0 there, as in MINPACK, and so do all after it).
     */
    void factor(double[] jac, double[] r) {
        held = -1;
        gnorm = Double.NaN;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < m; k++) a[i][k] = jac[k * n + i];
            b[i] = -r[i];
        }
        for (int j = 0; j < m; j++) perm[j] = j;
        int steps = Math.min(n, m);
        // One small method per stage (pivot, reflector, its application to a column): each is called
        // many times per factorisation, so the JIT compiles them as methods early, where one method of
        // nested loops was compiled on stack replacement at each of its loops in turn (a short job's cost).
        for (int k = 0; k < steps; k++) {
            double bestNorm = pivot(k);
            double norm = Math.sqrt(bestNorm);
            if (norm == 0) {
                a[k][k] = 0;
                continue;
            }
            double alpha = a[k][k] > 0 ? -norm : norm;
            // v = x - alpha e1, stored in column k below the diagonal; beta = v.v
            double v0 = a[k][k] - alpha;
            double beta = v0 * v0;
            for (int i = k + 1; i < n; i++) beta += a[i][k] * a[i][k];
            a[k][k] = v0;
            if (beta != 0) {
                for (int j = k + 1; j < m; j++) reflectColumn(k, j, beta);
                reflectRhs(k, beta);
            }
            a[k][k] = alpha; // R's diagonal (the reflector's vector is no longer needed)
        }
        rank = 0; // fewer residuals than columns: at most n
        while (rank < steps && a[rank][rank] != 0) rank++;
    }

    /** Column pivoting at step k: the remaining column of largest norm swapped into column k; returns its squared norm. */
    private double pivot(int k) {
        int best = k;
        double bestNorm = -1;
        for (int j = k; j < m; j++) {
            double sum = 0;
            for (int i = k; i < n; i++) sum += a[i][j] * a[i][j];
            norms[j] = sum;
            if (sum > bestNorm) {
                bestNorm = sum;
                best = j;
            }
        }
        if (best != k) {
            for (int i = 0; i < n; i++) {
                double t = a[i][k];
                a[i][k] = a[i][best];
                a[i][best] = t;
            }
            int t = perm[k];
            perm[k] = perm[best];
            perm[best] = t;
        }
        return bestNorm;
    }

    /** Step k's reflector (column k from row k, {@code v.v = beta}) applied to column j. */
    private void reflectColumn(int k, int j, double beta) {
        double dot = 0;
        for (int i = k; i < n; i++) dot += a[i][k] * a[i][j];
        double t = 2 * dot / beta;
        for (int i = k; i < n; i++) a[i][j] -= t * a[i][k];
    }

    /** Step k's reflector applied to the right-hand side b. */
    private void reflectRhs(int k, double beta) {
        double dot = 0;
        for (int i = k; i < n; i++) dot += a[i][k] * b[i];
        double t = 2 * dot / beta;
        for (int i = k; i < n; i++) b[i] -= t * a[i][k];
    }

    /**
     * {@code ||D^-1 J^T r||} of the factored J and r (the scaling is the same for every trial of an
     * iteration): taken once, at the first solve that needs it.
     */
    private double gnorm(double[] jac, double[] r, double[] diag) {
        if (gnorm == gnorm) return gnorm;
        double g = 0;
        for (int j = 0; j < m; j++) {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += jac[j * n + i] * r[i];
            g += square(sum / diag[j]);
        }
        gnorm = Math.sqrt(g);
        if (held >= 0) laneGnorm[held] = gnorm;
        return gnorm;
    }

    /** Keeps the factors just made ({@link #factor}) as lane p's, until its next {@link #factor}. */
    void keep(int p) {
        int t = Math.min(n, m);
        double[] kept = laneR[p];
        for (int i = 0; i < t; i++) {
            System.arraycopy(a[i], i, kept, i * m + i, m - i);
            kept[t * m + i] = b[i];
        }
        System.arraycopy(perm, 0, lanePerm[p], 0, m);
        laneRank[p] = rank;
        laneGnorm[p] = gnorm;
        held = p;
    }

    /** Lane p's kept factors back in place for {@link #solveFactored} (nothing to do if they are there). */
    void restore(int p) {
        if (held == p) return;
        int t = Math.min(n, m);
        double[] kept = laneR[p];
        for (int i = 0; i < t; i++) {
            System.arraycopy(kept, i * m + i, a[i], i, m - i);
            b[i] = kept[t * m + i];
        }
        System.arraycopy(lanePerm[p], 0, perm, 0, m);
        rank = laneRank[p];
        gnorm = laneGnorm[p];
        held = p;
    }

    /** Whether this was built with room for each lane's factors. */
    boolean keepsLanes() {
        return laneR != null;
    }

    /** The (minimum-rank) Gauss-Newton step {@code R z = Q^T (-r)}, 0 past the rank, into {@link #step()}. */
    private void gaussNewton() {
        backSubstitute(a, b, rank);
    }

    /**
     * {@code T z = y} for the upper triangular T's leading {@code k} columns (0 in z past them), then
     * the step {@code s = P z} into {@link #step()}.
     */
    private void backSubstitute(double[][] t, double[] y, int k) {
        for (int j = m - 1; j >= 0; j--) {
            if (j >= k) {
                z[j] = 0;
                continue;
            }
            double sum = y[j];
            for (int i = j + 1; i < k; i++) sum -= t[j][i] * z[i];
            z[j] = sum / t[j][j];
        }
        for (int j = 0; j < m; j++) s[perm[j]] = z[j];
    }

    /**
     * The least-squares solution of {@code [J; sqrt(par) D] s = [-r; 0]} into {@link #step()} from
     * the factorisation: the rows {@code sqrt(par) D} (in R's column order) are folded into a copy of
     * R one at a time by Givens rotations, each row's right-hand side starting at 0, giving the
     * triangular S with {@code S^T S = P^T (J^T J + par D^2) P} (qrsolv); a zero on S's diagonal
     * ends the solve there (0 in the step past it).
     */
    private void damped(double[] diag, double par) {
        double sp = Math.sqrt(par);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) sm[i][j] = j >= i && i < n ? a[i][j] : 0;
            rhs[i] = i < n ? b[i] : 0;
        }
        for (int j = 0; j < m; j++) {
            double d = sp * diag[perm[j]];
            if (d == 0) continue;
            java.util.Arrays.fill(row, j, m, 0.0);
            row[j] = d;
            double extra = 0; // the folded row's right-hand side
            for (int k = j; k < m; k++) {
                if (row[k] == 0) continue;
                double cos;
                double sin;
                if (Math.abs(sm[k][k]) < Math.abs(row[k])) {
                    double cot = sm[k][k] / row[k];
                    sin = 0.5 / Math.sqrt(0.25 + 0.25 * cot * cot);
                    cos = sin * cot;
                } else {
                    double tan = row[k] / sm[k][k];
                    cos = 0.5 / Math.sqrt(0.25 + 0.25 * tan * tan);
                    sin = cos * tan;
                }
                sm[k][k] = cos * sm[k][k] + sin * row[k];
                double t = cos * rhs[k] + sin * extra;
                extra = -sin * rhs[k] + cos * extra;
                rhs[k] = t;
                for (int i = k + 1; i < m; i++) {
                    t = cos * sm[k][i] + sin * row[i];
                    row[i] = -sin * sm[k][i] + cos * row[i];
                    sm[k][i] = t;
                }
            }
        }
        int nsing = 0;
        while (nsing < m && sm[nsing][nsing] != 0) nsing++;
        backSubstitute(sm, rhs, nsing);
    }

    /** {@code ||D s||} of the current step. */
    private double scaledNorm(double[] diag) {
        double sum = 0;
        for (int j = 0; j < m; j++) sum += square(diag[j] * s[j]);
        return Math.sqrt(sum);
    }

    /**
     * {@code ||T^-T P^T D (D s) / ||D s|| ||} for the upper triangular T (R, or S at the current
     * {@code par}) in the factorisation's column order: lmpar's derivative of phi, up to the factor
     * {@code -1 / ||D s||}.
     */
    private double rTransposeSolveNorm(double[][] t, double[] diag, double dxnorm) {
        for (int j = 0; j < m; j++) {
            int l = perm[j];
            w[j] = diag[l] * (diag[l] * s[l]) / dxnorm;
        }
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double v = w[j];
            for (int k = 0; k < j; k++) v -= t[k][j] * w[k];
            w[j] = v / t[j][j];
            sum += w[j] * w[j];
        }
        return Math.sqrt(sum);
    }

    private static double square(double v) {
        return v * v;
    }
}
