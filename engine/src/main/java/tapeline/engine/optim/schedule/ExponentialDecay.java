package tapeline.engine.optim.schedule;

import tapeline.engine.tape.DType;

/**
 * Keras {@code ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)}
 * ({@code keras/src/optimizers/schedules/learning_rate_schedule.py}):
 * <pre>
 *   p  = step / decay_steps            (floor(p) when staircase)
 *   lr = initial_learning_rate * decay_rate ^ p
 * </pre>
 * every quantity cast to the schedule's dtype first, as Keras casts them.
 *
 * <pre>{@code
 * new ExponentialDecay(0.1, 100, 0.96, true)   // 0.1 for steps 0..99, then 0.096, ...
 * }</pre>
 */
public final class ExponentialDecay implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    private final double initialLearningRate;
    private final double decaySteps;
    private final double decayRate;
    private final boolean staircase;

    public ExponentialDecay(double initialLearningRate, double decaySteps, double decayRate, boolean staircase) {
        Schedules.check("initial_learning_rate", initialLearningRate, initialLearningRate >= 0, "in [0, inf)");
        Schedules.check("decay_steps", decaySteps, decaySteps > 0, "in (0, inf)");
        Schedules.check("decay_rate", decayRate, decayRate > 0, "in (0, inf)");
        this.initialLearningRate = initialLearningRate;
        this.decaySteps = decaySteps;
        this.decayRate = decayRate;
        this.staircase = staircase;
    }

    @Override
    public double at(long step, DType dtype) {
        if (dtype == DType.FLOAT32) {
            float p = (float) step / (float) decaySteps;
            if (staircase) p = (float) Math.floor(p);
            return (float) initialLearningRate * (float) Math.pow((float) decayRate, p);
        }
        double p = step / decaySteps;
        if (staircase) p = Math.floor(p);
        return initialLearningRate * Math.pow(decayRate, p);
    }

    @Override
    public String toString() {
        return "ExponentialDecay(initial_learning_rate=" + initialLearningRate + ", decay_steps=" + decaySteps
                + ", decay_rate=" + decayRate + ", staircase=" + staircase + ")";
    }
}
