package tapeline.engine.train;

import tapeline.engine.solve.StandardErrors;

/**
 * A train run's standard errors and covariance matrix ({@code stderr = true}), as statsmodels'
 * summary reports them, or why there are none.
 *
 * <ul>
 *   <li>residuals: {@code cov = (J^T J)^-1 RSS / (n - p)}, n the residuals counted (rows times the
 *       residuals per row), p the parameters; the standard errors are {@code sqrt(diag(cov))}, the
 *       way NIST certifies them and statsmodels' OLS reports {@code bse};</li>
 *   <li>a negative log-likelihood ({@code cost.kind = nll}): {@code cov = H^-1}, H the Hessian of the
 *       rows' summed losses (the observed information).</li>
 * </ul>
 * Inverted by {@link StandardErrors#inverse} (unit-diagonal scaling, eigen-decomposition); a singular
 * or indefinite matrix, or {@code n <= p}, gives none, with the reason.
 *
 * <pre>{@code
 * ParameterErrors e = ParameterErrors.fromResiduals(jacobianSums);
 * if (e.reason() == null) e.se()[0];
 * }</pre>
 *
 * @param se         per parameter, or all NaN
 * @param covariance p x p, or all NaN
 * @param reason     null, or why there are no standard errors
 */
public record ParameterErrors(double[] se, double[][] covariance, String reason) {

    /** From a least-squares pass at the solution. */
    public static ParameterErrors fromResiduals(JacobianSums s) {
        int p = s.jtrSum().length;
        double[][] cov = new double[p][p];
        double[] se = new double[p];
        java.util.Arrays.fill(se, Double.NaN);
        long n = s.residuals();
        if (n <= p) {
            for (double[] row : cov) java.util.Arrays.fill(row, Double.NaN);
            return new ParameterErrors(se, cov, n + " residuals for " + p + " parameters: n - p must be positive");
        }
        if (!(s.rss() >= 0) || s.rss() == Double.POSITIVE_INFINITY) {
            for (double[] row : cov) java.util.Arrays.fill(row, Double.NaN);
            return new ParameterErrors(se, cov, "the residuals' sum of squares is " + s.rss());
        }
        String why = StandardErrors.inverse(s.jtj(), StandardErrors.RCOND_NORMAL, cov);
        if (why != null) return new ParameterErrors(se, cov, "J^T J is " + why);
        double sigma2 = s.rss() / (n - p);
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) cov[i][j] *= sigma2;
            se[i] = Math.sqrt(cov[i][i]);
        }
        return new ParameterErrors(se, cov, null);
    }

    /** None, with the reason: every standard error and covariance NaN. */
    public static ParameterErrors none(int p, String reason) {
        java.util.Objects.requireNonNull(reason, "reason");
        double[] se = new double[p];
        double[][] cov = new double[p][p];
        java.util.Arrays.fill(se, Double.NaN);
        for (double[] row : cov) java.util.Arrays.fill(row, Double.NaN);
        return new ParameterErrors(se, cov, reason);
    }

    /**
     * A negative log-likelihood's: {@code rowsHessian} is the rows' summed Hessian at {@code x} (the
     * likelihood is the sum of the rows' terms, whatever the objective's reduce); the regularization's
     * Hessian is added as the objective adds it (times {@code rows} under {@code reduce = mean}, where
     * the objective is the mean loss plus the regularization). The train job and the grouped train
     * (per group) both come here.
     */
    public static ParameterErrors fromNll(double[][] rowsHessian, Regularizer regularizer, GradientSums.Reduce reduce,
                                          long rows, double[] x) {
        int p = x.length;
        double[][] h = new double[p][p];
        for (int i = 0; i < p; i++) h[i] = rowsHessian[i].clone();
        if (regularizer != null) {
            double[][] hr = new double[p][p];
            regularizer.addHessian(x, hr);
            double scale = reduce == GradientSums.Reduce.MEAN ? rows : 1;
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) h[i][j] += scale * hr[i][j];
        }
        return fromHessian(h);
    }

    /** From the Hessian of a negative log-likelihood at the solution. */
    public static ParameterErrors fromHessian(double[][] h) {
        int p = h.length;
        double[][] cov = new double[p][p];
        double[] se = new double[p];
        java.util.Arrays.fill(se, Double.NaN);
        String why = StandardErrors.inverse(h, 1e-10, cov);
        if (why != null) return new ParameterErrors(se, cov, "the Hessian is " + why);
        for (int i = 0; i < p; i++) se[i] = Math.sqrt(cov[i][i]);
        return new ParameterErrors(se, cov, null);
    }
}
