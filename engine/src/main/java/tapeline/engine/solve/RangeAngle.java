package tapeline.engine.solve;

/**
 * How much of the residual vector r lies in the range of its Jacobian J, from {@code J^T J} and
 * {@code J^T r} alone: {@code ||P r|| / ||r||} with P the projection onto J's range, where
 * {@code ||P r||^2 = r^T J (J^T J)^+ J^T r} (MINPACK's {@code ||qtf||}: Q's first columns span the
 * range). Its square is the relative fall of the sum of squares that the Gauss-Newton step
 * promises, the whole of it where the per-column cosine (lmder's gtol measure) sees only one
 * column at a time: two nearly parallel columns whose difference r follows (NIST MGH17, two
 * exponentials that nearly cancel) give every column a cosine of 4e-9 and r an angle whose cosine
 * with J's range is 0.55.
 *
 * <p>Computed as {@link LmNormalStep} factors its subproblem: with C the columns' norms and
 * {@code C^-1 J^T J C^-1 = V L V^T} (unit diagonal, so a badly scaled J keeps its small
 * directions), {@code b = L^-1/2 V^T C^-1 J^T r} and {@code ||P r|| = ||b||}, leaving out every
 * eigenvalue at most {@code m eps} times the largest: there {@code J^T J} holds nothing but its
 * rounding, and dividing rounding by it would make an angle out of noise. A column of zeros counts
 * as absent.
 *
 * <pre>{@code
 * RangeAngle angle = new RangeAngle(2);
 * double c = angle.of(new double[][] {{1, 0}, {0, 1}}, new double[] {0.6, 0}, 1.0);   // 0.6: r = (0.6, 0, 0.8), J = [e1 e2]
 * }</pre>
 * One instance holds work arrays for one size (not thread-safe).
 */
final class RangeAngle {
    private final int m;
    private final SymmetricEigen eigen;
    private final double[][] scaled;
    private final double[] c;
    private final double[] b;
    /** The last {@link #factor}'s {@code v_i . C^-1 J^T r} and eigenvalues, floored. */
    private final double[] projections;
    private final double[] floored;
    /** {@code ||P r||^2} of the last {@link #factor}, each eigenvalue floored. */
    private double projected;

    RangeAngle(int m) {
        this.m = m;
        eigen = new SymmetricEigen(m);
        scaled = new double[m][m];
        c = new double[m];
        b = new double[m];
        projections = new double[m];
        floored = new double[m];
    }

    /**
     * {@code ||P r|| / ||r||} for {@code ||r|| = fnorm}, from {@code jtj} (symmetric m x m) and
     * {@code jtr}: 0 where {@code fnorm} is 0, NaN where the sums are not finite.
     */
    double of(double[][] jtj, double[] jtr, double fnorm) {
        if (fnorm == 0) return 0;
        for (int i = 0; i < m; i++) {
            if (!Double.isFinite(jtr[i])) return Double.NaN;
            for (int k = 0; k < m; k++) if (!Double.isFinite(jtj[i][k])) return Double.NaN;
        }
        factor(jtj, jtr, null, b);
        return angle(fnorm);
    }

    /** {@link #of}'s result from the last {@link #factor}, for {@code ||r|| = fnorm}. */
    double angle(double fnorm) {
        return fnorm == 0 ? 0 : Math.sqrt(projected) / fnorm;
    }

    /**
     * The eigen-decomposition of the column-scaled {@code J^T J}: {@code b = L^-1/2 V^T C^-1 J^T r}
     * (0 along a left-out eigenvalue) and, with {@code a} not null, {@code a = L^1/2 V^T C}
     * ({@code a^T a = J^T J} on the kept directions, {@code a^T b = J^T r}).
     */
    void factor(double[][] jtj, double[] jtr, double[][] a, double[] b) {
        for (int k = 0; k < m; k++) c[k] = jtj[k][k] > 0 ? Math.sqrt(jtj[k][k]) : 1;
        for (int i = 0; i < m; i++) for (int k = 0; k < m; k++) scaled[i][k] = jtj[i][k] / c[i] / c[k];
        eigen.decompose(scaled);
        double floor = Math.max(0, eigen.largest()) * m * Math.ulp(1.0);
        double sum = 0;
        for (int i = 0; i < m; i++) {
            double l = eigen.value(i);
            double sl = l > floor ? Math.sqrt(l) : 0;
            double proj = 0;
            for (int k = 0; k < m; k++) {
                if (a != null) a[i][k] = sl * eigen.vector(i, k) * c[k];
                proj += eigen.vector(i, k) * jtr[k] / c[k];
            }
            b[i] = sl == 0 ? 0 : proj / sl;
            projections[i] = proj;
            floored[i] = Math.max(l, floor);
            if (proj != 0) sum += proj * proj / floored[i];
        }
        projected = sum;
    }

    /**
     * The Gauss-Newton step of the last {@link #factor} with its eigenvalues floored, into {@code s}:
     * {@code s = -C^-1 sum_i v_i (v_i . C^-1 J^T r) / max(l_i, floor)}. Along a direction that
     * {@code J^T J} resolves it is the Gauss-Newton step; along one below the floor it is shorter than
     * the true one by the ratio of the eigenvalue to the floor (the step the angle's lower bound promises).
     */
    void probe(double[] s) {
        for (int k = 0; k < m; k++) {
            double y = 0;
            for (int i = 0; i < m; i++) if (projections[i] != 0) y += eigen.vector(i, k) * (projections[i] / floored[i]);
            s[k] = -y / c[k];
        }
    }
}
