package tapeline.engine.train;

import java.io.Serializable;

/**
 * One gradient pass, rounded: how many rows it saw, the sum of their losses and the sum of their
 * gradients, each the exact sum rounded once.
 *
 * <pre>{@code
 * GradientSums s = aggregator.snapshot();
 * double[] meanGrad = s.gradient(Reduce.MEAN);   // gradientSum / count
 * }</pre>
 *
 * @param count       rows added
 * @param lossSum     sum over rows of the loss (NaN/infinite if a row's loss was)
 * @param gradientSum per parameter component, the sum over rows of d loss / d parameter
 * @param hessianSum  null, or (for {@code optimizer = newton}) the sum over rows of the loss's Hessian,
 *                    row-major: {@code [i * n + j]} is {@code d2 loss / d param_i d param_j}
 */
public record GradientSums(long count, double lossSum, double[] gradientSum, double[] hessianSum) implements Serializable {

    public GradientSums {
        gradientSum = gradientSum.clone();
        if (hessianSum != null) {
            if (hessianSum.length != gradientSum.length * gradientSum.length) {
                throw new IllegalArgumentException("a Hessian of " + gradientSum.length + " x " + gradientSum.length
                        + " components is needed, got " + hessianSum.length);
            }
            hessianSum = hessianSum.clone();
        }
    }

    /** Without a Hessian. */
    public GradientSums(long count, double lossSum, double[] gradientSum) {
        this(count, lossSum, gradientSum, null);
    }

    @Override
    public double[] gradientSum() {
        return gradientSum.clone();
    }

    @Override
    public double[] hessianSum() {
        return hessianSum == null ? null : hessianSum.clone();
    }

    /** Whether the pass summed the Hessian. */
    public boolean hasHessian() {
        return hessianSum != null;
    }

    /** The Hessian of {@link #loss(Reduce)} as a matrix, or null when the pass did not sum it. */
    public double[][] hessian(Reduce reduce) {
        if (hessianSum == null) return null;
        int n = gradientSum.length;
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) h[i][j] = reduce == Reduce.MEAN ? hessianSum[i * n + j] / count : hessianSum[i * n + j];
        }
        return h;
    }

    /** The objective the optimizer sees: the loss sum, or the mean loss (0 rows: NaN). */
    public double loss(Reduce reduce) {
        return reduce == Reduce.SUM ? lossSum : lossSum / count;
    }

    /** The gradient of {@link #loss(Reduce)}: the sum, or the sum divided by the row count. */
    public double[] gradient(Reduce reduce) {
        double[] g = gradientSum.clone();
        if (reduce == Reduce.MEAN) {
            for (int k = 0; k < g.length; k++) g[k] /= count;
        }
        return g;
    }

    /** How per-row losses are combined into the objective. */
    public enum Reduce {
        /** The mean over rows: the step size does not depend on the data's size. */
        MEAN,
        /** The sum over rows. */
        SUM
    }
}
