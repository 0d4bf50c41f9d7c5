package tapeline.engine.solve;

import java.util.Random;

/**
 * Random symmetric matrices of the kinds a solver's Hessian takes, for tests that compare two ways of
 * reading one: {@code V diag(l) V'} with a random orthogonal V (a product of Householder reflections)
 * and eigenvalues chosen by kind, then symmetrised bit for bit (the upper half mirrored), optionally
 * with its variables in badly scaled units ({@code D A D}, D from 1e-6 to 1e6).
 */
final class SymmetricCases {
    /** The kinds of spectrum drawn. */
    enum Kind {
        /** Positive, condition number from 1 to 1e6. */
        DEFINITE,
        /** Positive, condition number near 1e8 (the verdict's zero in float64: 1e-8 of the largest). */
        NEAR_THE_ZERO,
        /** One eigenvalue exactly 0 (before rounding), the rest positive. */
        SEMIDEFINITE,
        /** Positive but one at 1e-12 to 1e-17 of the largest: singular at working precision. */
        NEARLY_SINGULAR,
        /** Both signs. */
        INDEFINITE,
        /** One small negative eigenvalue, 1e-6 to 1e-10 of the largest: a shallow saddle. */
        BARELY_INDEFINITE,
        /** All negative. */
        NEGATIVE,
        /** Diagonal, positive (a separable cost): exact. */
        DIAGONAL,
        /** Every entry 0. */
        ZERO
    }

    private SymmetricCases() {
    }

    static double[][] draw(Random rnd, int n, Kind kind, boolean badlyScaled) {
        double top = Math.pow(10, rnd.nextInt(13) - 6); // the largest eigenvalue's size: 1e-6 .. 1e6
        double[] l = new double[n];
        for (int i = 0; i < n; i++) {
            l[i] = switch (kind) {
                case DEFINITE -> top * Math.pow(10, -6 * rnd.nextDouble());
                case NEAR_THE_ZERO -> top * (i == 0 ? Math.pow(10, -8 + 0.5 * (rnd.nextDouble() - 0.5)) : rnd.nextDouble() + 0.5);
                case SEMIDEFINITE -> i == 0 ? 0 : top * Math.pow(10, -3 * rnd.nextDouble());
                case NEARLY_SINGULAR -> i == 0 ? top * Math.pow(10, -12 - 5 * rnd.nextDouble()) : top * Math.pow(10, -3 * rnd.nextDouble());
                case INDEFINITE -> top * (2 * rnd.nextDouble() - 1);
                case BARELY_INDEFINITE -> i == 0 ? -top * Math.pow(10, -6 - 4 * rnd.nextDouble()) : top * Math.pow(10, -2 * rnd.nextDouble());
                case NEGATIVE -> -top * Math.pow(10, -3 * rnd.nextDouble());
                case DIAGONAL -> top * Math.pow(10, -4 * rnd.nextDouble());
                case ZERO -> 0;
            };
        }
        if (kind == Kind.INDEFINITE && n > 1) {
            l[0] = -Math.abs(l[0]) - 1e-3 * top; // both signs for sure
            l[1] = Math.abs(l[1]) + 1e-3 * top;
        }
        double[][] a = new double[n][n];
        if (kind == Kind.DIAGONAL || kind == Kind.ZERO) {
            for (int i = 0; i < n; i++) a[i][i] = l[i];
        } else {
            double[][] q = orthogonal(rnd, n);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < n; k++) s += q[i][k] * l[k] * q[j][k];
                    a[i][j] = s;
                    a[j][i] = s;
                }
            }
        }
        if (badlyScaled) {
            double[] d = new double[n];
            for (int i = 0; i < n; i++) d[i] = Math.pow(10, 12 * rnd.nextDouble() - 6);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    a[i][j] = a[i][j] * (d[i] * d[j]);
                    a[j][i] = a[i][j];
                }
            }
        }
        return a;
    }

    /** A random orthogonal matrix: the product of n Householder reflections of Gaussian vectors. */
    static double[][] orthogonal(Random rnd, int n) {
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) q[i][i] = 1;
        double[] u = new double[n];
        for (int r = 0; r < n; r++) {
            double norm = 0;
            for (int k = 0; k < n; k++) {
                u[k] = rnd.nextGaussian();
                norm += u[k] * u[k];
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < n; k++) u[k] /= norm;
            for (int i = 0; i < n; i++) { // Q <- Q (I - 2 u u')
                double dot = 0;
                for (int k = 0; k < n; k++) dot += q[i][k] * u[k];
                for (int k = 0; k < n; k++) q[i][k] -= 2 * dot * u[k];
            }
        }
        return q;
    }
}
