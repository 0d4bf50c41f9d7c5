package tapeline.bench;

/**
 * The baseline: float64 Adam (Keras 3 formula) on {@code x0*w^2 + x1*w + x2} for a block of
 * lanes, written by hand. The gradient {@code 2*x0*w + x1} is inlined; the per-step scalars are
 * hoisted; the lane loop is branch-free so the JIT vectorises it.
 */
final class HandWrittenAdam {
    private HandWrittenAdam() {
    }

    static double[] solve(double[] x0, double[] x1, int steps, double lr, double beta1, double beta2, double eps) {
        int n = x0.length;
        double[] w = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        double c1 = 1 - beta1;
        double c2 = 1 - beta2;
        for (int t = 1; t <= steps; t++) {
            double alpha = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            for (int i = 0; i < n; i++) {
                double g = 2 * x0[i] * w[i] + x1[i];
                double mi = m[i] + (g - m[i]) * c1;
                double vi = v[i] + (g * g - v[i]) * c2;
                m[i] = mi;
                v[i] = vi;
                w[i] -= mi * alpha / (Math.sqrt(vi) + eps);
            }
        }
        return w;
    }
}
