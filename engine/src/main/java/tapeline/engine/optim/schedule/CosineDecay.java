package tapeline.engine.optim.schedule;

import tapeline.engine.tape.DType;

/**
 * Keras {@code CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps)}
 * ({@code keras/src/optimizers/schedules/learning_rate_schedule.py}):
 * <pre>
 *   decay(s, from) = from * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)
 *
 *   no warm-up (warmup_target None):  lr = decay(min(step, decay_steps), initial_learning_rate)
 *   warm-up:  s = min(step, decay_steps + warmup_steps)
 *             s &lt; warmup_steps:  lr = (warmup_target - initial_learning_rate) * (s / warmup_steps)
 *                                    + initial_learning_rate
 *             otherwise:          lr = decay(s - warmup_steps, warmup_target)
 * </pre>
 * In float32 every op rounds to float; {@code 1 - alpha} is computed in double and cast, as Keras
 * does it on Python floats, and {@code cos} is the correctly rounded float cosine (TensorFlow's may
 * differ in the last bit for some arguments).
 *
 * <pre>{@code
 * new CosineDecay(0.1, 1000)                          // 0.1 down to 0 over 1000 steps
 * new CosineDecay(0.0, 1000, 0.0, 0.1, 100)           // 0 up to 0.1 in 100 steps, then down
 * }</pre>
 */
public final class CosineDecay implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    private final double initialLearningRate;
    private final double decaySteps;
    private final double alpha;
    private final double warmupTarget;
    private final double warmupSteps;

    /** Cosine decay without warm-up and {@code alpha = 0}. */
    public CosineDecay(double initialLearningRate, double decaySteps) {
        this(initialLearningRate, decaySteps, 0.0, Double.NaN, 0);
    }

    /**
     * @param warmupTarget the learning rate reached after warm-up, or {@code NaN} for Keras's
     *     {@code None} (no warm-up; {@code warmupSteps} is then ignored, as in Keras)
     */
    public CosineDecay(double initialLearningRate, double decaySteps, double alpha, double warmupTarget, double warmupSteps) {
        Schedules.check("initial_learning_rate", initialLearningRate, initialLearningRate >= 0, "in [0, inf)");
        Schedules.check("decay_steps", decaySteps, decaySteps > 0, "in (0, inf)");
        Schedules.check("alpha", alpha, alpha >= 0 && alpha <= 1, "in [0, 1]");
        if (!Double.isNaN(warmupTarget)) {
            Schedules.check("warmup_target", warmupTarget, warmupTarget >= 0, "in [0, inf) or NaN for none");
        }
        Schedules.check("warmup_steps", warmupSteps, warmupSteps >= 0, "in [0, inf)");
        this.initialLearningRate = initialLearningRate;
        this.decaySteps = decaySteps;
        this.alpha = alpha;
        this.warmupTarget = warmupTarget;
        this.warmupSteps = warmupSteps;
    }

    @Override
    public double at(long step, DType dtype) {
        return dtype == DType.FLOAT32 ? at32(step) : at64(step);
    }

    private double at64(long step) {
        double s = step;
        if (Double.isNaN(warmupTarget)) {
            return decay64(Math.min(s, decaySteps), initialLearningRate);
        }
        s = Math.min(s, decaySteps + warmupSteps);
        if (s < warmupSteps) {
            return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
        }
        return decay64(s - warmupSteps, warmupTarget);
    }

    private double decay64(double s, double from) {
        double cosineDecayed = 0.5 * (1.0 + Math.cos(Math.PI * (s / decaySteps)));
        return from * ((1 - alpha) * cosineDecayed + alpha);
    }

    private float at32(long step) {
        float s = step;
        float initial = (float) initialLearningRate;
        float ds = (float) decaySteps;
        if (Double.isNaN(warmupTarget)) {
            return decay32(Math.min(s, ds), initial);
        }
        float target = (float) warmupTarget;
        float ws = (float) warmupSteps;
        s = Math.min(s, ds + ws);
        if (s < ws) {
            return (target - initial) * (s / ws) + initial;
        }
        return decay32(s - ws, target);
    }

    private float decay32(float s, float from) {
        float cosineDecayed = 0.5f * (1.0f + (float) Math.cos((float) Math.PI * (s / (float) decaySteps)));
        return from * ((float) (1 - alpha) * cosineDecayed + (float) alpha);
    }

    @Override
    public String toString() {
        return "CosineDecay(initial_learning_rate=" + initialLearningRate + ", decay_steps=" + decaySteps
                + ", alpha=" + alpha + ", warmup_target=" + (Double.isNaN(warmupTarget) ? "None" : warmupTarget)
                + ", warmup_steps=" + warmupSteps + ")";
    }
}
