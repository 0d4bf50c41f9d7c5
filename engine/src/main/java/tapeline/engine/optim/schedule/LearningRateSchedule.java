package tapeline.engine.optim.schedule;

import java.io.Serializable;

import tapeline.engine.tape.DType;

/**
 * A learning rate that is a function of the optimizer step, as Keras's
 * {@code keras.optimizers.schedules.LearningRateSchedule}
 * ({@code keras/src/optimizers/schedules/learning_rate_schedule.py}). The optimizer evaluates it
 * at its {@code iterations} counter before the step is counted, as Keras's
 * {@code _get_current_learning_rate} does: the first step uses {@code at(0)}.
 *
 * <p>Keras computes a schedule in the dtype of {@code initial_learning_rate}, float32 by default;
 * here {@link DType#FLOAT32} computes it with Java {@code float} arithmetic, every op rounding as
 * float32 does, and {@link DType#FLOAT64} in double.
 *
 * <pre>{@code
 * Optimizer sgd = Optimizers.create("sgd", Map.of(), DType.FLOAT32,
 *         new ExponentialDecay(0.1, 100, 0.96, true));
 * }</pre>
 */
public interface LearningRateSchedule extends Serializable {
    /**
     * The learning rate at optimizer step {@code step} (0 for the first update), as a value of
     * {@code dtype} (a float32 value held in a double).
     */
    double at(long step, DType dtype);
}
