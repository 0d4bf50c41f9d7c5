package tapeline.engine.optim;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import tapeline.engine.optim.schedule.LearningRateSchedule;
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
 * <p>Every optimizer also takes Keras's base-optimizer arguments, applied here exactly as
 * {@code keras/src/optimizers/base_optimizer.py} ({@code _backend_apply_gradients}) does, in this
 * order, before the optimizer's own update:
 * <ol>
 *   <li>gradient clipping ({@code _clip_gradients}), at most one of
 *     <ul>
 *       <li>{@code clipnorm c}: each variable's gradient {@code g = g * c / max(||g||, c)}, the norm
 *           over that variable's components (the slots {@link #build(int, boolean[], int[])} groups)
 *           in one lane ({@code tf.clip_by_norm});</li>
 *       <li>{@code global_clipnorm c}: {@code n = ||all gradients of the lane||},
 *           {@code g = g * (c * min(1/n, 1/c) + (n - n))} ({@code clip_by_global_norm}); "all
 *           variables" is every slot of one lane, since each lane is its own problem;</li>
 *       <li>{@code clipvalue c}: {@code g = max(min(g, c), -c)} ({@code tf.clip_by_value});</li>
 *     </ul>
 *   <li>weight decay ({@code _apply_weight_decay}): {@code w = w - w * weight_decay * lr};</li>
 *   <li>{@link #update}, the optimizer's {@code update_step}; then {@code iterations += 1}.</li>
 * </ol>
 * The learning rate may be a {@link LearningRateSchedule}, evaluated like Keras's
 * {@code _get_current_learning_rate} at {@code iterations} (before the increment, so step 1 uses
 * {@code schedule(0)}); the same value feeds weight decay and the update.
 *
 * <pre>{@code
 * Optimizer adam = Adam.withLearningRate(0.1, DType.FLOAT32);
 * for (int i = 0; i < 1000; i++) adam.minimize(tape -> cost(tape, w), w);
 * }</pre>
 */
public abstract class Optimizer implements Serializable {
    private static final long serialVersionUID = 1L;

    protected final DType dtype;
    /** The fixed learning rate; with a schedule, use {@link #lr()} (the value of this step). */
    protected final Hyper learningRate;

    private transient Arguments arguments;
    private final List<double[]> laneHypers = new ArrayList<>();
    private final List<double[]> laneState = new ArrayList<>();
    private long iterations;
    private boolean[] perLane;
    private int lanes = -1;

    private final LearningRateSchedule schedule;
    private Hyper lrNow;
    private final Hyper weightDecay;
    private final Hyper clipnorm;
    private final Hyper clipvalue;
    private final Hyper globalClipnorm;
    /** Slots of each variable, for clipnorm and global_clipnorm. */
    private int[][] variables;
    private transient double[] sums;
    private transient double[] totals;

    /** An optimizer whose {@code weight_decay} defaults to Keras's {@code None} (no decay). */
    protected Optimizer(Arguments arguments, DType dtype, double defaultLearningRate) {
        this(arguments, dtype, defaultLearningRate, Double.NaN);
    }

    /**
     * @param defaultWeightDecay the default {@code weight_decay}; {@code NaN} for Keras's
     *     {@code None} (AdamW's is 0.004)
     */
    protected Optimizer(Arguments arguments, DType dtype, double defaultLearningRate, double defaultWeightDecay) {
        this.arguments = arguments;
        this.dtype = dtype;
        this.learningRate = hyper("learning_rate", defaultLearningRate, Arguments.Range.NON_NEGATIVE);
        this.schedule = arguments.schedule();
        if (schedule != null && arguments.has("learning_rate")) {
            arguments.problem("optimizer.learning_rate is given both as a number (" + learningRate
                    + ") and as a schedule (" + schedule + "); give one");
        }
        this.lrNow = learningRate;
        this.weightDecay = Double.isNaN(defaultWeightDecay)
                ? optionalHyper("weight_decay", Arguments.Range.NON_NEGATIVE)
                : hyper("weight_decay", defaultWeightDecay, Arguments.Range.NON_NEGATIVE);
        this.clipnorm = optionalHyper("clipnorm", Arguments.Range.POSITIVE);
        this.clipvalue = optionalHyper("clipvalue", Arguments.Range.POSITIVE);
        this.globalClipnorm = optionalHyper("global_clipnorm", Arguments.Range.POSITIVE);
        // As Keras: "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set."
        List<String> clips = new ArrayList<>();
        if (clipnorm != null) clips.add("clipnorm=" + clipnorm);
        if (clipvalue != null) clips.add("clipvalue=" + clipvalue);
        if (globalClipnorm != null) clips.add("global_clipnorm=" + globalClipnorm);
        if (clips.size() > 1) {
            arguments.problem("only one of optimizer.clipnorm, optimizer.clipvalue and optimizer.global_clipnorm"
                    + " may be set, got " + String.join(" and ", clips));
        }
    }

    /** Reads a hyper-parameter that Keras defaults to {@code None}: null when not given. */
    private Hyper optionalHyper(String name, Arguments.Range range) {
        Hyper h = arguments.optional(name, range);
        if (h != null && !h.isUniform()) laneHypers.add(h.laneArray());
        return h;
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

    /** The fixed learning rate (possibly per lane); see {@link #schedule()} for a scheduled one. */
    public final Hyper learningRate() {
        return learningRate;
    }

    /** The learning-rate schedule, or null when the learning rate is fixed. */
    public final LearningRateSchedule schedule() {
        return schedule;
    }

    /** The weight decay, or null for none (Keras {@code weight_decay=None}). */
    public final Hyper weightDecay() {
        return weightDecay;
    }

    /**
     * The learning rate of the step being applied: the fixed one, or the schedule's value at
     * {@code iterations}. Valid inside {@link #beginStep} and {@link #update}.
     */
    protected final Hyper lr() {
        return lrNow;
    }

    // ---- Keras API ----------------------------------------------------------------------------

    /**
     * One step: {@code grads[k]} is the gradient of {@code vars[k]}, as {@code zip(grads, vars)}.
     * The caller's gradient arrays are left as they are (clipping works on copies).
     */
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
        if (clips()) {
            double[][] copy = new double[grads.length][];
            for (int k = 0; k < grads.length; k++) copy[k] = grads[k].clone();
            grads = copy;
        }
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
     * slot that is not per lane), each slot its own variable. Called once, before the first
     * {@link #step}.
     */
    public final void build(int lanes, boolean[] perLane) {
        int[] own = new int[perLane.length];
        for (int k = 0; k < own.length; k++) own[k] = k;
        build(lanes, perLane, own);
    }

    /**
     * As {@link #build(int, boolean[])}, saying which slots form one variable: slot {@code k}
     * belongs to variable {@code variableOfSlot[k]}, so a vector variable {@code w[3]} is three
     * slots with the same number. {@code clipnorm} clips each variable's whole gradient, as
     * Keras clips one variable's gradient tensor.
     */
    public final void build(int lanes, boolean[] perLane, int[] variableOfSlot) {
        if (variableOfSlot.length != perLane.length) {
            throw new IllegalArgumentException(variableOfSlot.length + " variable numbers for "
                    + perLane.length + " slots");
        }
        if (this.perLane != null) {
            throw new IllegalStateException("optimizer already built for " + this.perLane.length + " slots");
        }
        for (double[] h : laneHypers) {
            if (h.length != lanes) {
                throw new IllegalArgumentException("a per-lane hyper-parameter has " + h.length
                        + " values for " + lanes + " lanes");
            }
        }
        this.variables = group(variableOfSlot, perLane);
        boolean anyShared = false;
        for (boolean p : perLane) anyShared |= !p;
        if (globalClipnorm != null && anyShared && lanes > 1) {
            // One norm per lane cannot include a value shared by every lane.
            throw new IllegalArgumentException("optimizer.global_clipnorm needs every variable to be per lane"
                    + " when there are several lanes (" + lanes + ")");
        }
        this.lanes = lanes;
        this.perLane = perLane.clone();
        build(perLane.length);
    }

    private static int[][] group(int[] variableOfSlot, boolean[] perLane) {
        // The slots of each variable that has any, variables ascending, slots ascending. Plain arrays, no
        // maps or streams: a grouped fit builds an optimizer per group, where this was a tenth of a
        // small group's solve.
        int max = -1;
        for (int k = 0; k < variableOfSlot.length; k++) {
            if (variableOfSlot[k] < 0) throw new IllegalArgumentException("slot " + k + " has variable " + variableOfSlot[k]);
            max = Math.max(max, variableOfSlot[k]);
        }
        int[] count = new int[max + 1];
        for (int var : variableOfSlot) count[var]++;
        int used = 0;
        for (int c : count) if (c > 0) used++;
        int[][] out = new int[used][];
        int[] index = new int[max + 1];
        for (int var = 0, v = 0; var <= max; var++) {
            if (count[var] > 0) {
                index[var] = v;
                out[v++] = new int[count[var]];
            }
        }
        int[] filled = new int[used];
        for (int k = 0; k < variableOfSlot.length; k++) {
            int v = index[variableOfSlot[k]];
            out[v][filled[v]++] = k;
        }
        for (int v = 0; v < out.length; v++) {
            for (int k : out[v]) {
                if (perLane[k] != perLane[out[v][0]]) {
                    throw new IllegalArgumentException("variable " + v + " mixes per-lane and shared slots");
                }
            }
        }
        return out;
    }

    /**
     * One step over every slot: {@code values[k]} and {@code grads[k]} are slot k's live arrays, of
     * which the first {@code n} lanes are active ({@code 1} value for a shared slot).
     *
     * <p>Clipping scales {@code grads} <em>in place</em>: the solver passes the tape's adjoint
     * buffers, which the next backward pass overwrites, so nothing else sees the change.
     * ({@link #applyGradients} copies first.)
     */
    public final void step(double[][] values, double[][] grads, int n) {
        long t = iterations + 1;
        startStep();
        if (clipvalue != null) clipByValue(grads, n);
        else if (clipnorm != null) clipByNorm(grads, n);
        else if (globalClipnorm != null) clipByGlobalNorm(grads, n);
        if (weightDecay != null) decayWeights(values, n);
        beginStep(t);
        for (int k = 0; k < values.length; k++) {
            update(k, values[k], grads[k], perLane[k] ? n : 1, t);
        }
        iterations = t;
    }

    /** Keras evaluates the schedule at {@code iterations}, before the increment at the end of the step. */
    private void startStep() {
        lrNow = schedule == null ? learningRate : Hyper.of(schedule.at(iterations, dtype));
    }

    // ---- compiled steps (tapeline.engine.codegen) -----------------------------------------------

    /**
     * This optimizer's update as source for a compiled step that fuses it with the gradient, or null
     * when the configuration has none: clipping or weight decay (they need every slot's gradient
     * before any update), a shared slot, or an update {@link #updateSource()} does not emit (the
     * compiled step then calls {@link #step} instead). Valid after {@link #build}.
     */
    public final UpdateSource fusedUpdate() {
        if (perLane == null) throw new IllegalStateException("build the optimizer first");
        if (clips() || weightDecay != null) return null;
        for (boolean p : perLane) {
            if (!p) return null;
        }
        return updateSource();
    }

    /** Every slot's state arrays, slot after slot, in the order {@link UpdateSource}'s {@code $s} tokens name them. */
    public final double[][] fusedState() {
        UpdateSource u = fusedUpdate();
        int per = u == null ? 0 : u.statesPerSlot();
        double[][] out = new double[perLane.length * per][];
        for (int k = 0; k < perLane.length; k++) {
            double[][] own = slotState(k);
            if (own.length != per) throw new IllegalStateException(getClass().getSimpleName() + " has " + own.length + " state arrays, its source " + per);
            System.arraycopy(own, 0, out, k * per, per);
        }
        return out;
    }

    /**
     * Does for a compiled step what {@link #step} does before the updates (the learning rate of the
     * step, {@link #beginStep}) and fills {@code scalars} with the step's scalars; the compiled step
     * then runs the updates, and {@link #endFusedStep()} ends it.
     */
    public final void beginFusedStep(double[] scalars) {
        long t = iterations + 1;
        startStep();
        beginStep(t);
        stepScalars(scalars, t);
    }

    /** Ends a step begun with {@link #beginFusedStep}: {@code iterations += 1}, as {@link #step} does. */
    public final void endFusedStep() {
        iterations++;
    }

    /**
     * The update as source (see {@link UpdateSource}), or null (the default) when this optimizer,
     * with its arguments and dtype, has none. It must do what {@link #update} does for that
     * configuration, operation for operation, so that the compiled step gives the same bits.
     */
    protected UpdateSource updateSource() {
        return null;
    }

    /** Slot k's state arrays, in the order of {@link #updateSource()}'s {@code $s} tokens. */
    protected double[][] slotState(int k) {
        return new double[0][];
    }

    /** The step's scalars that {@link #updateSource()}'s {@code $c} tokens read, after {@link #beginStep}{@code (t)}. */
    protected void stepScalars(double[] out, long t) {
    }

    private boolean clips() {
        return clipnorm != null || clipvalue != null || globalClipnorm != null;
    }

    /** {@code g = max(min(g, c), -c)}, the order of {@code tf.clip_by_value}. */
    private void clipByValue(double[][] grads, int n) {
        boolean f32 = dtype == DType.FLOAT32;
        for (int k = 0; k < grads.length; k++) {
            double[] g = grads[k];
            int m = perLane[k] ? n : 1;
            for (int i = 0; i < m; i++) {
                double c = dtype.round(clipvalue.at(i));
                g[i] = f32 ? Math.max(Math.min((float) g[i], (float) c), -(float) c) : Math.max(Math.min(g[i], c), -c);
            }
        }
    }

    /**
     * Each variable's gradient over its own slots, per lane, as {@code tf.clip_by_norm}:
     * {@code l2 = sum g^2; norm = l2 > 0 ? sqrt(l2) : l2; g = g * c / max(norm, c)}.
     */
    private void clipByNorm(double[][] grads, int n) {
        double[] norm = scratchSums(n);
        for (int[] slots : variables) {
            int m = perLane[slots[0]] ? n : 1;
            sumOfSquares(grads, slots, m, norm);
            for (int i = 0; i < m; i++) {
                double l2 = norm[i];
                norm[i] = l2 > 0 ? dtype.round(Math.sqrt(l2)) : l2;
            }
            for (int k : slots) {
                double[] g = grads[k];
                for (int i = 0; i < m; i++) {
                    double c = dtype.round(clipnorm.at(i));
                    g[i] = dtype == DType.FLOAT32
                            ? (float) ((float) g[i] * (float) c) / (float) Math.max(norm[i], c)
                            : g[i] * c / Math.max(norm[i], c);
                }
            }
        }
    }

    /**
     * All of a lane's gradients scaled together, as Keras's {@code clip_by_global_norm}:
     * {@code n = sqrt(sum over variables of (sum g^2)); g = g * (c * min(1/n, 1/c) + (n - n))}.
     * The scale is applied even when {@code n <= c} (it is then {@code c * (1/c)}, which need not
     * be exactly 1), as Keras does.
     */
    private void clipByGlobalNorm(double[][] grads, int n) {
        boolean f32 = dtype == DType.FLOAT32;
        double[] part = scratchSums(n);
        if (totals == null || totals.length < n) totals = new double[n];
        double[] total = totals;
        java.util.Arrays.fill(total, 0, n, 0.0);
        for (int[] slots : variables) {
            int m = perLane[slots[0]] ? n : 1;
            sumOfSquares(grads, slots, m, part);
            // ops.sum(ops.stack(per-variable sums)): per-variable sums added in variable order.
            for (int i = 0; i < n; i++) {
                double p = part[m == 1 ? 0 : i];
                total[i] = f32 ? (float) total[i] + (float) p : total[i] + p;
            }
        }
        for (int i = 0; i < n; i++) {
            double c = globalClipnorm.at(i);
            double norm = dtype.round(Math.sqrt(total[i]));
            if (f32) {
                float nf = (float) norm;
                float cf = (float) c;
                total[i] = cf * Math.min(1f / nf, (float) (1.0 / c)) + (nf - nf);
            } else {
                total[i] = c * Math.min(1.0 / norm, 1.0 / c) + (norm - norm);
            }
        }
        for (int k = 0; k < grads.length; k++) {
            double[] g = grads[k];
            int m = perLane[k] ? n : 1;
            for (int i = 0; i < m; i++) g[i] = f32 ? (float) g[i] * (float) total[i] : g[i] * total[i];
        }
    }

    /** {@code out[i] = sum over slots of g[i]^2}, summed in slot order, rounding as the dtype does. */
    private void sumOfSquares(double[][] grads, int[] slots, int m, double[] out) {
        java.util.Arrays.fill(out, 0, m, 0.0);
        for (int k : slots) {
            double[] g = grads[k];
            if (dtype == DType.FLOAT32) {
                for (int i = 0; i < m; i++) out[i] = (float) out[i] + (float) g[i] * (float) g[i];
            } else {
                for (int i = 0; i < m; i++) out[i] += g[i] * g[i];
            }
        }
    }

    private double[] scratchSums(int n) {
        if (sums == null || sums.length < n) sums = new double[Math.max(n, 1)];
        return sums;
    }

    /** {@code w = w - w * weight_decay * lr}, left to right, as {@code _apply_weight_decay}. */
    private void decayWeights(double[][] values, int n) {
        Hyper lr = lrNow;
        if (dtype == DType.FLOAT64 && weightDecay.isUniform() && lr.isUniform()) {
            double wd = weightDecay.value();
            double a = lr.value();
            for (int k = 0; k < values.length; k++) {
                double[] w = values[k];
                int m = perLane[k] ? n : 1;
                for (int i = 0; i < m; i++) w[i] -= w[i] * wd * a;
            }
            return;
        }
        for (int k = 0; k < values.length; k++) {
            double[] w = values[k];
            int m = perLane[k] ? n : 1;
            for (int i = 0; i < m; i++) {
                if (dtype == DType.FLOAT32) {
                    float wi = (float) w[i];
                    w[i] = wi - wi * (float) weightDecay.at(i) * (float) lr.at(i);
                } else {
                    w[i] -= w[i] * weightDecay.at(i) * lr.at(i);
                }
            }
        }
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

    /**
     * A per-lane state array that belongs to no slot (such as Nadam's {@code u_product} when
     * {@code beta_1} is per lane), registered so that it moves with its lanes.
     */
    protected final double[] newLaneState() {
        double[] a = new double[lanes];
        laneState.add(a);
        return a;
    }

    /** Number of lanes the optimizer was built for. */
    protected final int lanes() {
        return lanes;
    }

    /** Allocates the state of {@code slots} slots with {@link #newState}. */
    protected abstract void build(int slots);

    /** Work shared by all slots of step {@code t} (1-based), such as bias corrections. */
    protected void beginStep(long t) {
    }

    /** The Keras {@code update_step} for slot {@code slot}, over its first {@code n} lanes. */
    protected abstract void update(int slot, double[] w, double[] g, int n, long t);
}
