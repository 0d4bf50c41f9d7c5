package tapeline.engine.optim.schedule;

import java.util.Arrays;

import tapeline.engine.tape.DType;

/**
 * Keras {@code PiecewiseConstantDecay(boundaries, values)}
 * ({@code keras/src/optimizers/schedules/learning_rate_schedule.py}): {@code values[0]} while
 * {@code step <= boundaries[0]}, {@code values[i]} while {@code boundaries[i-1] < step <= boundaries[i]},
 * {@code values[last]} after {@code boundaries[last]}. Boundaries are steps (Keras casts them to
 * the integer type of the step), so they are {@code long} here.
 *
 * <pre>{@code
 * new PiecewiseConstantDecay(new long[] {100000, 110000}, new double[] {1.0, 0.5, 0.1})
 * }</pre>
 */
public final class PiecewiseConstantDecay implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    private final long[] boundaries;
    private final double[] values;

    public PiecewiseConstantDecay(long[] boundaries, double[] values) {
        if (boundaries.length != values.length - 1) {
            throw new IllegalArgumentException("schedule.boundaries must have one value fewer than schedule.values, got "
                    + boundaries.length + " boundaries and " + values.length + " values");
        }
        for (int i = 1; i < boundaries.length; i++) {
            if (boundaries[i] <= boundaries[i - 1]) {
                throw new IllegalArgumentException("schedule.boundaries must be strictly increasing, got "
                        + Arrays.toString(boundaries));
            }
        }
        for (double v : values) Schedules.check("values", v, v >= 0, "in [0, inf)");
        this.boundaries = boundaries.clone();
        this.values = values.clone();
    }

    @Override
    public double at(long step, DType dtype) {
        int i = 0;
        while (i < boundaries.length && step > boundaries[i]) i++;
        return dtype.round(values[i]);
    }

    @Override
    public String toString() {
        return "PiecewiseConstantDecay(boundaries=" + Arrays.toString(boundaries) + ", values=" + Arrays.toString(values) + ")";
    }
}
