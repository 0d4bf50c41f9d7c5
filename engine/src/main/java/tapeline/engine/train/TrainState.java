package tapeline.engine.train;

import java.io.Serializable;
import java.util.List;

import tapeline.engine.optim.Optimizer;
import tapeline.engine.solve.Divergence;

/**
 * Everything a run needs to go on exactly where it stopped: the parameters after {@code step}
 * optimizer steps, the optimizer with its state (moments, iteration count), and the history so far.
 * Java-serialisable: this is what a checkpoint holds.
 *
 * <pre>{@code
 * TrainState s = TrainState.start(new double[] {0, 0, 0}, Optimizers.create("adam", args, DType.FLOAT64));
 * }</pre>
 *
 * @param params    parameter components, in {@link LossModel#parameterNames()} order
 * @param optimizer the driver's optimizer, built for one lane of shared values
 * @param step      optimizer steps taken
 * @param history   one point per gradient pass so far: steps 0..step-1
 * @param divergence the divergence rule's windows so far (null: none yet, as at step 0 or in a
 *                   checkpoint written before the rule kept state), so a resumed run judges as an
 *                   uninterrupted one
 */
public record TrainState(double[] params, Optimizer optimizer, int step, List<HistoryPoint> history,
                         Divergence divergence) implements Serializable {

    /** A state without divergence windows yet. */
    public TrainState(double[] params, Optimizer optimizer, int step, List<HistoryPoint> history) {
        this(params, optimizer, step, history, null);
    }

    public TrainState {
        params = params.clone();
        history = List.copyOf(history);
    }

    @Override
    public double[] params() {
        return params.clone();
    }

    /** Step 0: the given start values, an unbuilt optimizer, no history. */
    public static TrainState start(double[] params, Optimizer optimizer) {
        return new TrainState(params, optimizer, 0, List.of());
    }

    /** One gradient pass: the objective and its gradient's norm at the parameters after {@code step} steps. */
    public record HistoryPoint(int step, double loss, double gradNorm) implements Serializable {}
}
