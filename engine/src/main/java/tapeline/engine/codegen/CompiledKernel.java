package tapeline.engine.codegen;

import tapeline.engine.optim.Optimizer;
import tapeline.engine.tape.Tape;

/**
 * A generated step bound to one block: the tape's buffers, its own gradient arrays, the optimizer's
 * state arrays. Made once per block (nothing is allocated per step); never serialised: a run
 * that travels carries its tape and makes this again from {@link KernelCache}.
 */
final class CompiledKernel implements StepKernel {
    private final GeneratedStep generated;
    private final double[][] buffers;
    private final double[] costBuffer;
    private final double[][] own;
    private final double[][] state;
    private final double[] scalars;
    private final KernelPath path;

    CompiledKernel(Tape tape, int cost, int[] slots, Optimizer optimizer, GeneratedStep generated, String source) {
        this.generated = generated.forBlock();
        int top = cost;
        for (int slot : slots) top = Math.max(top, slot);
        buffers = new double[top + 1][];
        for (int j = 0; j <= top; j++) buffers[j] = tape.valueBuffer(j);
        costBuffer = tape.valueBuffer(cost);
        own = new double[slots.length][tape.lanes()];
        boolean fused = generated.fused();
        state = fused ? optimizer.fusedState() : null;
        scalars = fused ? new double[optimizer.fusedUpdate().scalars()] : null;
        path = new KernelPath(true, fused, null, source);
    }

    @Override
    public boolean gradients(boolean withCost, double[][] grads, int n) {
        generated.gradients(buffers, own, withCost ? costBuffer : null, n);
        System.arraycopy(own, 0, grads, 0, own.length);
        return withCost && InterpretedKernel.allFinite(grads, n) && InterpretedKernel.finite(costBuffer, n);
    }

    @Override
    public void cost(int n) {
        generated.cost(buffers, costBuffer, n);
    }

    @Override
    public boolean step(Optimizer optimizer, boolean withCost, int n) {
        if (state == null) return false;
        optimizer.beginFusedStep(scalars);
        generated.step(buffers, own, null, state, scalars, withCost ? costBuffer : null, n);
        optimizer.endFusedStep();
        return true;
    }

    @Override
    public Checked keptStep(Optimizer optimizer, double[][] grads, double[][] kept, int n) {
        if (state == null) return Checked.UNFUSED;
        optimizer.beginFusedStep(scalars);
        generated.step(buffers, own, kept, state, scalars, costBuffer, n);
        optimizer.endFusedStep();
        System.arraycopy(own, 0, grads, 0, own.length);
        return InterpretedKernel.allFinite(grads, n) && InterpretedKernel.finite(costBuffer, n) ? Checked.FINITE : Checked.NOT_FINITE;
    }

    @Override
    public KernelPath path() {
        return path;
    }
}
