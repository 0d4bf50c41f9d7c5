package tapeline.engine.solve;

/**
 * Eigenvalues and eigenvectors of a small symmetric matrix by the cyclic Jacobi method: sweeps of
 * plane rotations, each zeroing one off-diagonal pair, until the off-diagonal part is negligible
 * next to the diagonal. Chosen over a Cholesky test because the solver needs more than "positive
 * definite or not": the smallest eigenvalue (the {@code curvature} column), its sign pattern (the
 * verdict) and, where the Hessian is indefinite, the eigenvectors for a step that is still a
 * descent direction. Jacobi is short, needs no pivoting, is accurate to a few ulps of the largest
 * eigenvalue for every eigenvalue, and at n = 16 converges in 6 to 10 sweeps (n^3 work each).
 *
 * <pre>{@code
 * SymmetricEigen e = new SymmetricEigen(2);
 * e.decompose(new double[][] {{2, 1}, {1, 2}});   // e.value(0) = 1, e.value(1) = 3 (ascending)
 * }</pre>
 *
 * <p>One instance holds the work arrays for one size and is reused lane after lane (not thread-safe).
 * A non-finite entry gives NaN eigenvalues.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 60;

    private final int n;
    private final double[][] a;
    private final double[][] v;
    private final double[] values;
    private final int[] order;

    public SymmetricEigen(int n) {
        if (n < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + n);
        this.n = n;
        this.a = new double[n][n];
        this.v = new double[n][n];
        this.values = new double[n];
        this.order = new int[n];
    }

    public int size() {
        return n;
    }

    /** Decomposes the symmetric matrix {@code m} (only read). */
    public void decompose(double[][] m) {
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = m[i][j];
                v[i][j] = i == j ? 1 : 0;
                finite &= Double.isFinite(m[i][j]);
            }
        }
        if (!finite) {
            java.util.Arrays.fill(values, Double.NaN);
            for (int i = 0; i < n; i++) order[i] = i;
            return;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
            }
            if (off == 0 || off <= 1e-34 * diag) break; // off-diagonal below (1e-17 of the diagonal)^2
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] != 0) rotate(p, q);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
            order[i] = i;
        }
        // Ascending order by insertion sort (n is small).
        for (int i = 1; i < n; i++) {
            int k = order[i];
            int j = i - 1;
            while (j >= 0 && values[order[j]] > values[k]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = k;
        }
    }

    /** Zeroes a[p][q] by a rotation in the (p, q) plane (Golub and Van Loan, Algorithm 8.5.1). */
    private void rotate(int p, int q) {
        double apq = a[p][q];
        double theta = (a[q][q] - a[p][p]) / (2 * apq);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        if (Double.isInfinite(theta * theta)) t = 0.5 / theta; // huge theta: t ~ 1 / (2 theta)
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = 0;
        a[q][p] = 0;
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    /** The i-th smallest eigenvalue (i = 0: the smallest). */
    public double value(int i) {
        return values[order[i]];
    }

    /** Component k of the eigenvector of {@link #value(int) value(i)} (unit length). */
    public double vector(int i, int k) {
        return v[k][order[i]];
    }

    /** The smallest eigenvalue. */
    public double smallest() {
        return value(0);
    }

    /** The largest eigenvalue. */
    public double largest() {
        return value(n - 1);
    }
}
