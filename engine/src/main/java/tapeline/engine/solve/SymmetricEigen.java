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
 * <p><b>Symmetric input, half the work.</b> A rotation updates columns p and q, then rows p and q
 * (Golub and Van Loan, Algorithm 8.5.1). Where the matrix is symmetric bit for bit (every Hessian the
 * solvers hand in: mirrored halves, scaled by {@code D_i D_j}), the row update of an entry outside
 * the (p, q) block computes the very products the column update just did, so it stays symmetric bit
 * for bit and the row update is a mirror: each such pair is computed once and stored twice, and the
 * (p, q) block by the same expressions in the same order. The same bits as the two full updates
 * (SymmetricEigenTest keeps those verbatim and compares), a third less arithmetic per rotation (the
 * eigenvectors' update is the rest). A matrix that is not symmetric bit for bit takes the two full
 * updates, as before. Flat row-major arrays: no row indirection in the inner loops.
 *
 * <p>One instance holds the work arrays for one size and is reused lane after lane (not thread-safe).
 * A non-finite entry gives NaN eigenvalues.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 60;

    private final int n;
    /** The matrix being rotated, row-major: {@code a[i * n + j]}. */
    private final double[] a;
    /** The accumulated rotations, row-major: column j is the eigenvector of diagonal entry j. */
    private final double[] v;
    private final double[] values;
    private final int[] order;

    public SymmetricEigen(int n) {
        if (n < 1) throw new IllegalArgumentException("the matrix needs at least one row, got " + n);
        this.n = n;
        this.a = new double[n * n];
        this.v = new double[n * n];
        this.values = new double[n];
        this.order = new int[n];
    }

    public int size() {
        return n;
    }

    /** Decomposes the symmetric matrix {@code m} (only read). */
    public void decompose(double[][] m) {
        boolean finite = true;
        boolean symmetric = true;
        for (int i = 0; i < n; i++) {
            double[] mi = m[i];
            for (int j = 0; j < n; j++) {
                double x = mi[j];
                a[i * n + j] = x;
                v[i * n + j] = i == j ? 1 : 0;
                finite &= Double.isFinite(x);
                if (j < i) symmetric &= Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(a[j * n + i]);
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
                double aii = a[i * n + i];
                diag += aii * aii;
                for (int j = i + 1; j < n; j++) {
                    double aij = a[i * n + j];
                    off += aij * aij;
                }
            }
            if (off == 0 || off <= 1e-34 * diag) break; // off-diagonal below (1e-17 of the diagonal)^2
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p * n + q] != 0) {
                        if (symmetric) rotateSymmetric(p, q);
                        else rotate(p, q);
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            values[i] = a[i * n + i];
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

    /** The rotation's tangent {@code t} for zeroing a[p][q] (Golub and Van Loan, Algorithm 8.4.1): {@code c = 1 / sqrt(t^2 + 1)}, {@code s = t c}. */
    private static double tangent(double app, double apq, double aqq) {
        double theta = (aqq - app) / (2 * apq);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        if (Double.isInfinite(theta * theta)) t = 0.5 / theta; // huge theta: t ~ 1 / (2 theta)
        return t;
    }

    /** Zeroes a[p][q] by a rotation in the (p, q) plane (Golub and Van Loan, Algorithm 8.5.1). */
    private void rotate(int p, int q) {
        int pn = p * n;
        int qn = q * n;
        double t = tangent(a[pn + p], a[pn + q], a[qn + q]);
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            int kn = k * n;
            double akp = a[kn + p];
            double akq = a[kn + q];
            a[kn + p] = c * akp - s * akq;
            a[kn + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[pn + k];
            double aqk = a[qn + k];
            a[pn + k] = c * apk - s * aqk;
            a[qn + k] = s * apk + c * aqk;
        }
        a[pn + q] = 0;
        a[qn + p] = 0;
        rotateVectors(p, q, c, s);
    }

    /**
     * {@link #rotate} for a matrix symmetric bit for bit: outside the (p, q) block the row update
     * repeats the column update's products, so each is computed once and mirrored; the block's two
     * diagonal entries by the full updates' expressions (column update, then row update), in order.
     */
    private void rotateSymmetric(int p, int q) {
        int pn = p * n;
        int qn = q * n;
        double app = a[pn + p];
        double apq = a[pn + q]; // == a[qn + p]
        double aqq = a[qn + q];
        double t = tangent(app, apq, aqq);
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            if (k == p || k == q) continue;
            int kn = k * n;
            double akp = a[kn + p];
            double akq = a[kn + q];
            double np = c * akp - s * akq;
            double nq = s * akp + c * akq;
            a[kn + p] = np;
            a[kn + q] = nq;
            a[pn + k] = np;
            a[qn + k] = nq;
        }
        // The column update's block (k = p, then k = q), then the row update's diagonal from it.
        double pp = c * app - s * apq;
        double pq = s * app + c * apq;
        double qp = c * apq - s * aqq;
        double qq = s * apq + c * aqq;
        a[pn + p] = c * pp - s * qp;
        a[qn + q] = s * pq + c * qq;
        a[pn + q] = 0;
        a[qn + p] = 0;
        rotateVectors(p, q, c, s);
    }

    private void rotateVectors(int p, int q, double c, double s) {
        for (int k = 0; k < n; k++) {
            int kn = k * n;
            double vkp = v[kn + p];
            double vkq = v[kn + q];
            v[kn + p] = c * vkp - s * vkq;
            v[kn + q] = s * vkp + c * vkq;
        }
    }

    /** The i-th smallest eigenvalue (i = 0: the smallest). */
    public double value(int i) {
        return values[order[i]];
    }

    /** Component k of the eigenvector of {@link #value(int) value(i)} (unit length). */
    public double vector(int i, int k) {
        return v[k * n + order[i]];
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
