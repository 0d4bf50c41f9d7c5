package tapeline.engine.train;

import java.io.Serializable;
import java.util.List;

import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.Divergence;

/**
 * Everything a run needs to go on exactly where it stopped: the parameters after {@code step}
 * optimizer steps, the optimizer with its state (moments, iteration count; for L-BFGS and OWL-QN
 * the whole solver: memory pairs, line search), and the history so far.
 * Java-serialisable: this is what a checkpoint holds.
 *
 * <pre>{@code
 * TrainState s = TrainState.start(new double[] {0, 0, 0}, Optimizers.create("adam", args, DType.FLOAT64));
 * }</pre>
 *
 * @param params    parameter components, in {@link LossModel#parameterNames()} order
 * @param optimizer the driver's Keras optimizer, built for one lane of shared values (null with a solver)
 * @param step      optimizer steps taken
 * @param history   one point per step so far: steps 0..step-1
 * @param divergence the divergence rule's windows so far (null: none yet, as at step 0 or in a
 *                   checkpoint written before the rule kept state), so a resumed run judges as an
 *                   uninterrupted one
 * @param solver    L-BFGS or OWL-QN ({@code optimizer} is then null), or null
 */
public record TrainState(double[] params, Optimizer optimizer, int step, List<HistoryPoint> history,
                         Divergence divergence, QuasiNewton solver) implements Serializable {

    /** A Keras optimizer's state without divergence windows yet. */
    public TrainState(double[] params, Optimizer optimizer, int step, List<HistoryPoint> history) {
        this(params, optimizer, step, history, null, null);
    }

    /** A Keras optimizer's state. */
    public TrainState(double[] params, Optimizer optimizer, int step, List<HistoryPoint> history, Divergence divergence) {
        this(params, optimizer, step, history, divergence, null);
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

    /** Step 0 of L-BFGS or OWL-QN: the solver holds the start values. */
    public static TrainState start(QuasiNewton solver) {
        return new TrainState(solver.x(), null, 0, List.of(), null, solver);
    }

    /**
     * One step: the objective and its gradient's norm at the parameters after {@code step} steps, and
     * the gradient passes that step took (a Keras optimizer: 1; L-BFGS: 1 plus the line search's extra
     * evaluations; step 0: the evaluation at the start).
     */
    public record HistoryPoint(int step, double loss, double gradNorm, int passes) implements Serializable {
        /** A step of one pass. */
        public HistoryPoint(int step, double loss, double gradNorm) {
            this(step, loss, gradNorm, 1);
        }
    }
}
