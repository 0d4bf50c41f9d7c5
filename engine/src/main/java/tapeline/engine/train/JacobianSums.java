package tapeline.engine.train;

import java.io.Serializable;

/**
 * One least-squares pass, rounded: the rows seen, the residuals counted, and the sums the
 * Gauss-Newton and Levenberg-Marquardt steps need, each the exact sum rounded once:
 * {@code r^T r}, {@code J^T r} and {@code J^T J} over every residual of every row.
 *
 * <pre>{@code
 * JacobianSums s = new JacobianAggregator(model).add(params, columns, 0, rows).snapshot();
 * s.rss();        // sum of squared residuals
 * s.jtj()[i][j];  // (J^T J)_ij
 * }</pre>
 *
 * @param count     rows added
 * @param residuals residual components added (rows times the residuals per row)
 * @param rss       {@code r^T r}
 * @param jtrSum    {@code J^T r}, one per parameter
 * @param jtjSum    {@code J^T J}, row-major, symmetric
 */
public record JacobianSums(long count, long residuals, double rss, double[] jtrSum, double[] jtjSum) implements Serializable {

    public JacobianSums {
        jtrSum = jtrSum.clone();
        jtjSum = jtjSum.clone();
        if (jtjSum.length != jtrSum.length * jtrSum.length) {
            throw new IllegalArgumentException("J^T J needs " + jtrSum.length + " x " + jtrSum.length + " components, got "
                    + jtjSum.length);
        }
    }

    @Override
    public double[] jtrSum() {
        return jtrSum.clone();
    }

    @Override
    public double[] jtjSum() {
        return jtjSum.clone();
    }

    /** {@code J^T J} as a matrix (a copy). */
    public double[][] jtj() {
        int m = jtrSum.length;
        double[][] a = new double[m][m];
        for (int i = 0; i < m; i++) System.arraycopy(jtjSum, i * m, a[i], 0, m);
        return a;
    }

    /** The objective the run reports: {@code r^T r}, or its mean over the rows. */
    public double loss(GradientSums.Reduce reduce) {
        return reduce == GradientSums.Reduce.SUM ? rss : rss / count;
    }

    /** The gradient of {@link #loss}: {@code 2 J^T r}, or its mean over the rows. */
    public double[] gradient(GradientSums.Reduce reduce) {
        double[] g = new double[jtrSum.length];
        for (int k = 0; k < g.length; k++) g[k] = reduce == GradientSums.Reduce.SUM ? 2 * jtrSum[k] : 2 * jtrSum[k] / count;
        return g;
    }
}
