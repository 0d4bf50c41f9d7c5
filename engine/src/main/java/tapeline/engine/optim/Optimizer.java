package tapeline.engine.optim;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import tapeline.engine.tape.DType;
import tapeline.engine.tape.GradientTape;
import tapeline.engine.tape.Tensor;
import tapeline.engine.tape.UnconnectedGradients;
import tapeline.engine.tape.Variable;

/**
 * The Keras optimizer shape: {@link #applyGradients} and {@link #minimize}, over variables that
 * hold one value per lane. State (moments, ...) is kept per lane and per variable, so every lane
 * follows exactly the trajectory it would follow alone; hyper-parameters may differ per lane.
 *
 * <p>A variable "slot" is one array of lane values: a scalar variable is one slot, a vector
 * variable {@code w[20]} is twenty. Subclasses implement {@link #build} (allocate state with
 * {@link #newState}) and {@link #update} (one slot, one step, the Keras {@code update_step}).
 *
 * <pre>{@code
 * Optimizer adam = Adam.withLearningRate(0.1, DType.FLOAT32);
 * for (int i = 0; i < 1000; i++) adam.minimize(tape -> cost(tape, w), w);
 * }</pre>
 */
public abstract class Optimizer implements Serializable {
    private static final long serialVersionUID = 1L;

    protected final DType dtype;
    protected final Hyper learningRate;

    private transient Arguments arguments;
    private final List<double[]> laneHypers = new ArrayList<>();
    private final List<double[]> laneState = new ArrayList<>();
    private long iterations;
    private boolean[] perLane;
    private int lanes = -1;

    protected Optimizer(Arguments arguments, DType dtype, double defaultLearningRate) {
        this.arguments = arguments;
        this.dtype = dtype;
        this.learningRate = hyper("learning_rate", defaultLearningRate, Arguments.Range.NON_NEGATIVE);
    }

    /** Reads a (possibly per-lane) hyper-parameter; per-lane values then travel with their lanes. */
    protected final Hyper hyper(String name, double defaultValue, Arguments.Range range) {
        Hyper h = arguments.hyper(name, defaultValue, range);
        if (!h.isUniform()) laneHypers.add(h.laneArray());
        return h;
    }

    /** The constructor's arguments, for reading flags and numbers. */
    protected final Arguments arguments() {
        return arguments;
    }

    /** Ends construction: fails with every bad or unknown argument at once. */
    protected final void checkArguments() {
        arguments.check();
    }

    public final DType dtype() {
        return dtype;
    }

    /** Steps applied so far (Keras {@code iterations}). */
    public final long iterations() {
        return iterations;
    }

    /** The learning rate (possibly per lane). */
    public final Hyper learningRate() {
        return learningRate;
    }

    // ---- Keras API ----------------------------------------------------------------------------

    /** One step: {@code grads[k]} is the gradient of {@code vars[k]}, as {@code zip(grads, vars)}. */
    public final void applyGradients(double[][] grads, Variable... vars) {
        if (grads.length != vars.length) {
            throw new IllegalArgumentException(grads.length + " gradients for " + vars.length + " variables");
        }
        double[][] values = new double[vars.length][];
        boolean[] shape = new boolean[vars.length];
        int n = 1;
        for (int k = 0; k < vars.length; k++) {
            Variable v = vars[k];
            if (v.dtype() != dtype) {
                throw new IllegalArgumentException("variable " + v.name() + " is " + v.dtype()
                        + " but the optimizer computes in " + dtype);
            }
            values[k] = v.storage();
            shape[k] = v.isPerLane();
            if (v.isPerLane()) n = values[k].length;
            if (grads[k] == null || grads[k].length != values[k].length) {
                throw new IllegalArgumentException("gradient " + k + " for variable " + v.name() + " must have "
                        + values[k].length + " values, got " + (grads[k] == null ? "null" : grads[k].length));
            }
        }
        if (perLane == null) build(n, shape);
        step(values, grads, n);
    }

    /**
     * Records {@code cost} on a fresh tape, takes its gradient with respect to {@code vars} and
     * applies one step, as Keras {@code optimizer.minimize(loss_fn, vars)}.
     *
     * @return the cost values before the step
     */
    public final double[] minimize(Function<GradientTape, Tensor> cost, Variable... vars) {
        try (GradientTape tape = new GradientTape(dtype, false)) {
            for (Variable v : vars) tape.read(v);
            Tensor c = cost.apply(tape);
            double[][] grads = tape.gradient(c, UnconnectedGradients.ZERO, vars);
            applyGradients(grads, vars);
            return c.values();
        }
    }

    // ---- engine API ---------------------------------------------------------------------------

    /**
     * Allocates state for {@code perLane.length} slots of {@code lanes} lanes each (one value for a
     * slot that is not per lane). Called once, before the first {@link #step}.
     */
    public final void build(int lanes, boolean[] perLane) {
        if (this.perLane != null) {
            throw new IllegalStateException("optimizer already built for " + this.perLane.length + " slots");
        }
        for (double[] h : laneHypers) {
            if (h.length != lanes) {
                throw new IllegalArgumentException("a per-lane hyper-parameter has " + h.length
                        + " values for " + lanes + " lanes");
            }
        }
        this.lanes = lanes;
        this.perLane = perLane.clone();
        build(perLane.length);
    }

    /**
     * One step over every slot: {@code values[k]} and {@code grads[k]} are slot k's live arrays, of
     * which the first {@code n} lanes are active ({@code 1} value for a shared slot).
     */
    public final void step(double[][] values, double[][] grads, int n) {
        long t = iterations + 1;
        beginStep(t);
        for (int k = 0; k < values.length; k++) {
            update(k, values[k], grads[k], perLane[k] ? n : 1, t);
        }
        iterations = t;
    }

    /** Moves lane {@code from}'s state and per-lane hyper-parameters to lane {@code to}. */
    public final void moveLane(int from, int to) {
        for (double[] a : laneState) a[to] = a[from];
        for (double[] a : laneHypers) a[to] = a[from];
    }

    /** A zeroed state array for a slot, registered so that it moves with its lanes. */
    protected final double[] newState(int slot) {
        if (!perLane[slot]) return new double[1];
        double[] a = new double[lanes];
        laneState.add(a);
        return a;
    }

    /** Allocates the state of {@code slots} slots with {@link #newState}. */
    protected abstract void build(int slots);

    /** Work shared by all slots of step {@code t} (1-based), such as bias corrections. */
    protected void beginStep(long t) {
    }

    /** The Keras {@code update_step} for slot {@code slot}, over its first {@code n} lanes. */
    protected abstract void update(int slot, double[] w, double[] g, int n, long t);
}
