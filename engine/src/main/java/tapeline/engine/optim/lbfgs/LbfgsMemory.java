package tapeline.engine.optim.lbfgs;

import java.io.Serializable;

/**
 * The limited memory of L-BFGS: the last {@code m} pairs {@code s = x_{k+1} - x_k},
 * {@code y = g_{k+1} - g_k}, and the product of the inverse-Hessian approximation they define with a
 * vector (Nocedal and Wright, <i>Numerical Optimization</i>, 2nd ed., Algorithm 7.4, the two-loop
 * recursion, with the initial scaling {@code H0 = (s·y / y·y) I} of eq. 7.20 from the newest pair).
 *
 * <pre>{@code
 * LbfgsMemory mem = new LbfgsMemory(10, n);
 * mem.push(s, y);                       // kept only when s·y > 0 (the approximation stays positive definite)
 * double[] d = mem.times(gradient);     // H·g; the search direction is -d
 * }</pre>
 *
 * <p>A pair with {@code s·y <= 0} (or not finite) is skipped rather than stored (N&W, section 7.2):
 * it would make the approximation indefinite. With the strong Wolfe line search {@code s·y > 0}
 * always holds in exact arithmetic; OWL-QN's backtracking search does not guarantee it.
 */
final class LbfgsMemory implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double[][] s;
    private final double[][] y;
    private final double[] rho;
    private int newest = -1; // index of the newest pair in the ring
    private int size;

    LbfgsMemory(int m, int n) {
        if (m < 1) throw new IllegalArgumentException("memory must be >= 1, got " + m);
        s = new double[m][n];
        y = new double[m][n];
        rho = new double[m];
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
        newest = -1;
    }

    /** Stores the pair (copies), dropping the oldest when full. @return whether it was stored */
    boolean push(double[] step, double[] gradStep) {
        double sy = dot(step, gradStep);
        if (!(sy > 0) || !Double.isFinite(sy)) {
            return false;
        }
        newest = (newest + 1) % s.length;
        System.arraycopy(step, 0, s[newest], 0, step.length);
        System.arraycopy(gradStep, 0, y[newest], 0, gradStep.length);
        rho[newest] = 1 / sy;
        size = Math.min(size + 1, s.length);
        return true;
    }

    /** {@code H·v} for the current approximation {@code H} (the identity while the memory is empty). */
    double[] times(double[] v) {
        double[] q = v.clone();
        int m = s.length;
        double[] alpha = new double[m];
        for (int i = 0, j = newest; i < size; i++, j = j == 0 ? m - 1 : j - 1) { // newest to oldest (no integer division)
            alpha[j] = rho[j] * dot(s[j], q);
            axpy(-alpha[j], y[j], q);
        }
        if (size > 0) {
            double gamma = 1 / (rho[newest] * dot(y[newest], y[newest]));
            for (int k = 0; k < q.length; k++) q[k] *= gamma;
        }
        for (int i = 0, j = (newest - size + 1 + m) % m; i < size; i++, j = j + 1 == m ? 0 : j + 1) { // oldest to newest
            double beta = rho[j] * dot(y[j], q);
            axpy(alpha[j] - beta, s[j], q);
        }
        return q;
    }

    static double dot(double[] a, double[] b) {
        double r = 0;
        for (int k = 0; k < a.length; k++) r += a[k] * b[k];
        return r;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int k = 0; k < x.length; k++) y[k] += a * x[k];
    }
}
