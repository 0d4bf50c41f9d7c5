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
    /** Each slot's value buffer (the variables the update writes). */
    private final double[][] values;
    /** Scratch for the values after a kept step's update, while the gradients before it are taken again. */
    private double[][] after;
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
        values = new double[slots.length][];
        for (int k = 0; k < slots.length; k++) values[k] = tape.valueBuffer(slots[k]);
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
        generated.step(buffers, own, false, state, scalars, withCost ? costBuffer : null, n);
        optimizer.endFusedStep();
        return true;
    }

    @Override
    public Checked keptStep(Optimizer optimizer, double[][] grads, double[][] kept, int n) {
        if (state == null) return Checked.UNFUSED;
        for (int k = 0; k < values.length; k++) System.arraycopy(values[k], 0, kept[k], 0, n);
        optimizer.beginFusedStep(scalars);
        double check = generated.step(buffers, own, true, state, scalars, costBuffer, n);
        optimizer.endFusedStep();
        if (check == 0.0 && InterpretedKernel.finite(costBuffer, n)) return Checked.FINITE;
        // Rare: some lane ends here. Its gradients are those of the values before the update, so they
        // are taken again there (the same arithmetic, so the same bits), then the update's values come back.
        if (after == null) after = new double[values.length][kept[0].length];
        for (int k = 0; k < values.length; k++) {
            System.arraycopy(values[k], 0, after[k], 0, n);
            System.arraycopy(kept[k], 0, values[k], 0, n);
        }
        generated.gradients(buffers, own, costBuffer, n);
        System.arraycopy(own, 0, grads, 0, own.length);
        for (int k = 0; k < values.length; k++) System.arraycopy(after[k], 0, values[k], 0, n);
        return Checked.NOT_FINITE;
    }

    @Override
    public KernelPath path() {
        return path;
    }
}
