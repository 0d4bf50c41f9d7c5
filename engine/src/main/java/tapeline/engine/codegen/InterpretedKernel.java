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
                // The cost does not depend on this component: its gradient is zero. Zeroed on every
                // pass: clipping scales the gradients in place, and a lane's NaN norm would leave NaN here.
                if (zeros == null) zeros = new double[tape.lanes()];
                else java.util.Arrays.fill(zeros, 0, n, 0.0);
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

    /**
     * Whether the first n values are finite: {@code x - x} is 0 for a finite x and NaN for an
     * infinite or NaN one, so the sum is 0 exactly when all are finite. Eight sums, so that the adds
     * overlap (a max reduction with Math.max's NaN rule measured twice as slow on Java 17, and four
     * sums a quarter slower than eight).
     */
    static boolean finite(double[] a, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            s0 += a[i] - a[i];
            s1 += a[i + 1] - a[i + 1];
            s2 += a[i + 2] - a[i + 2];
            s3 += a[i + 3] - a[i + 3];
            s4 += a[i + 4] - a[i + 4];
            s5 += a[i + 5] - a[i + 5];
            s6 += a[i + 6] - a[i + 6];
            s7 += a[i + 7] - a[i + 7];
        }
        for (; i < n; i++) s0 += a[i] - a[i];
        return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7) == 0;
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
    public Checked keptStep(Optimizer optimizer, double[][] grads, double[][] kept, int n) {
        return Checked.UNFUSED;
    }

    @Override
    public KernelPath path() {
        return path;
    }
}
