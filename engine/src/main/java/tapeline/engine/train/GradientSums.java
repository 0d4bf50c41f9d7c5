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
 */
public record GradientSums(long count, double lossSum, double[] gradientSum) implements Serializable {

    public GradientSums {
        gradientSum = gradientSum.clone();
    }

    @Override
    public double[] gradientSum() {
        return gradientSum.clone();
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
