package tapeline.engine.codegen;

import tapeline.engine.optim.Optimizer;
import tapeline.engine.tape.Tape;

/** The reference: the tape's own forward and backward loops, op by op over buffers. */
final class InterpretedKernel implements StepKernel {
    private final Tape tape;
    private final int cost;
    private final int[] slots;
    private final KernelPath path;
    private double[] zeros;

    InterpretedKernel(Tape tape, int cost, int[] slots, KernelPath path) {
        this.tape = tape;
        this.cost = cost;
        this.slots = slots;
        this.path = path;
    }

    @Override
    public boolean gradients(boolean withCost, double[][] grads, int n) {
        if (withCost) tape.forward();
        else tape.forwardForGradient(cost);
        tape.backward(cost);
        for (int k = 0; k < slots.length; k++) {
            double[] g = tape.gradient(slots[k]);
            if (g == null) {
                // The cost does not depend on this component: its gradient is zero.
                if (zeros == null) zeros = new double[tape.lanes()];
                g = zeros;
            }
            grads[k] = g;
        }
        return withCost && allFinite(grads, n) && finite(tape.valueBuffer(cost), n);
    }

    /** Whether the first n values of every gradient are finite. */
    static boolean allFinite(double[][] grads, int n) {
        boolean ok = true;
        for (double[] g : grads) ok &= finite(g, n);
        return ok;
    }

    /** Whether the first n values are finite: the largest magnitude is NaN or infinite otherwise. */
    static boolean finite(double[] a, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(a[i])); // a max reduction vectorises
        return max <= Double.MAX_VALUE;
    }

    @Override
    public void cost(int n) {
        tape.forward();
    }

    @Override
    public boolean step(Optimizer optimizer, boolean withCost, int n) {
        return false;
    }

    @Override
    public KernelPath path() {
        return path;
    }
}
