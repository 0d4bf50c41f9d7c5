package tapeline.engine.codegen;

import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.UpdateSource;
import tapeline.engine.tape.Tape;

/**
 * One step of a block, as the solver sees it: the gradients (and the cost when asked), or a whole
 * fused step. Two implementations give the same bits: the tape's interpreter, and code generated
 * from the tape ({@link KernelSource}) and compiled once per program ({@link KernelCache}).
 *
 * <pre>{@code
 * StepKernel k = StepKernel.create(tape, costNode, varNodes, optimizer, true);
 * if (!k.step(optimizer, false, n)) { k.gradients(false, grads, n); optimizer.step(values, grads, n); }
 * }</pre>
 */
public interface StepKernel {
    /**
     * Forward and backward over the first {@code n} lanes: {@code grads[k]} is set to slot k's
     * gradient (an array the caller may read and scale in place until the next call), and with
     * {@code withCost} the cost node's buffer holds the cost.
     *
     * @return with {@code withCost}: whether the cost and every gradient are finite in every lane
     *     (false without it)
     */
    boolean gradients(boolean withCost, double[][] grads, int n);

    /** The cost only, into the cost node's buffer (after {@link #gradients} without it). */
    void cost(int n);

    /**
     * One whole optimizer step (gradient and update in one pass) when this kernel has the update
     * fused in, and with {@code withCost} the cost before the update in the cost node's buffer;
     * false, having done nothing, when it has not.
     */
    boolean step(Optimizer optimizer, boolean withCost, int n);

    /** What {@link #keptStep} did. */
    enum Checked {
        /** Nothing: this kernel has no fused update. */
        UNFUSED,
        /** The step, and the cost and every gradient before it are finite in every lane. */
        FINITE,
        /** The step, and some lane's cost or gradient before it is not finite. */
        NOT_FINITE
    }

    /**
     * A whole fused step ({@link #step} with the cost) for a step whose lanes are judged: it leaves
     * each slot's value before the update in {@code kept[k]}, and when some lane's cost or gradient
     * is not finite ({@link Checked#NOT_FINITE}) also slot k's gradient in {@code grads[k]} (as
     * {@link #gradients} does), so that a lane found to end at this step reports what it had before
     * the update, as on the unfused path. Judging after the update gives the same bits for the lanes
     * that go on because each lane's update reads only that lane. When every value is finite the
     * gradients are not kept: nothing reads them then, and keeping them cost as much as the step.
     */
    Checked keptStep(Optimizer optimizer, double[][] grads, double[][] kept, int n);

    /** Which path runs, and why. */
    KernelPath path();

    /**
     * The kernel for a tape: compiled when {@code codegen} is on and the tape, its ops and its size
     * allow, else the interpreter with the reason.
     *
     * @param cost the node minimised
     * @param slots the variable leaf of each slot, in the optimizer's slot order
     * @param optimizer the block's optimizer, already built
     */
    /**
     * The interpreter, for a caller that decided not to compile, with its reason for the log line
     * ({@code interpreted (reason)}).
     */
    static StepKernel interpreted(Tape tape, int cost, int[] slots, String reason) {
        return new InterpretedKernel(tape, cost, slots, KernelPath.interpreted(reason, null));
    }

    static StepKernel create(Tape tape, int cost, int[] slots, Optimizer optimizer, boolean codegen) {
        if (!codegen) return new InterpretedKernel(tape, cost, slots, KernelPath.interpreted("engine.codegen = false", null));
        UpdateSource update = optimizer.fusedUpdate();
        Programs.Program p = Programs.of(tape, cost, slots, update);
        if (p.step() == null) return new InterpretedKernel(tape, cost, slots, KernelPath.interpreted(p.failure(), p.source()));
        return new CompiledKernel(tape, cost, slots, optimizer, p.step(), p.source());
    }
}
