package tapeline.engine.group;

import java.io.Serializable;
import java.util.Objects;

import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;

/**
 * How every group is fitted: the same loss, settings and start for each group, each group with its
 * own optimizer state. Shipped to the tasks (it is {@link Serializable}); its tape is built where it
 * is used.
 *
 * <pre>{@code
 * GroupProblem p = new GroupProblem(model, new TrainLoop.Settings(100, 1e-9, 0, Reduce.SUM, 0),
 *         () -> TrainState.start(QuasiNewton.lbfgs(new double[model.parameterCount()], 10)));
 * GroupFit[] fits = new BatchedGroupSolver().solve(p, block);
 * }</pre>
 *
 * @param model    one row's loss, the parameters and the data columns
 * @param settings steps, tolerances, reduce and regularizer, per group ({@code checkpointEvery} is
 *                 ignored: a group is never checkpointed)
 * @param start    a fresh start for each group
 * @param residuals the residuals ({@code optimizer = lm}: each group's evaluations are least-squares
 *                 passes over its rows, {@link tapeline.engine.train.JacobianAggregator}), or null
 */
public record GroupProblem(LossModel model, TrainLoop.Settings settings, StartState start,
                           tapeline.engine.train.ResidualModel residuals) implements Serializable {

    /** Without residuals (every optimizer but lm). */
    public GroupProblem(LossModel model, TrainLoop.Settings settings, StartState start) {
        this(model, settings, start, null);
    }

    public GroupProblem {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(start, "start");
    }

    /** A fresh start (its own optimizer state) for one group; called once per group. */
    @FunctionalInterface
    public interface StartState extends Serializable {
        TrainState start();
    }
}
