package tapeline.job.train.grouped;

import java.util.LinkedHashMap;
import java.util.Map;
import tapeline.engine.group.GroupProblem;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainState;
import tapeline.job.config.TrainConfig;

/**
 * A fresh start for every group: what {@code job = train} starts from at step 0 (the same
 * optimizer, arguments and {@code init.*}), built anew in the task for each group, since an
 * optimizer's state is per run. Small and serialisable: names and numbers, not optimizer objects.
 *
 * <pre>{@code
 * GroupStart start = GroupStart.of(config, model);
 * TrainState s = start.start();   // step 0, init values, an optimizer with empty state
 * }</pre>
 */
public record GroupStart(String optimizer, Map<String, Double> args, double[] init, boolean[] l1Mask, LossModel model)
        implements GroupProblem.StartState {

    /** The start {@code job = train} makes from {@code c} (without a checkpoint). */
    public static GroupStart of(TrainConfig c, LossModel model) {
        double[] init = c.initialParameters();
        if (!c.usesSolver()) {
            for (int k = 0; k < init.length; k++) init[k] = c.dtype().round(init[k]);
        }
        return new GroupStart(c.optimizer(), new LinkedHashMap<>(c.optimizerArgs()), init, c.l1Mask(), model);
    }

    /** A new state at step 0. */
    @Override
    public TrainState start() {
        double[] x0 = init.clone();
        switch (optimizer) {
            case "lbfgs":
                return TrainState.start(QuasiNewton.lbfgs(x0, args.get("memory").intValue()));
            case "owlqn":
                return TrainState.start(QuasiNewton.owlqn(x0, args.get("memory").intValue(), args.get("l1"), l1Mask));
            default:
                Map<String, Hyper> h = new LinkedHashMap<>();
                args.forEach((k, v) -> h.put(k, Hyper.of(v)));
                Optimizer opt = model.buildOptimizer(Optimizers.create(optimizer, h, model.dtype()));
                return TrainState.start(x0, opt);
        }
    }
}
