package tapeline.engine.train;

import java.io.Serializable;
import java.util.Arrays;

import tapeline.engine.tape.Tape;

/**
 * The loss and gradient sums of a set of rows, at one parameter value: the per-partition part of a
 * gradient pass. No Spark here; {@code treeAggregate(zero)(add, merge)} is its whole use.
 *
 * <pre>{@code
 * GradientAggregator agg = new GradientAggregator(model);
 * agg.add(params, columns, 0, rows);           // any number of blocks of rows
 * agg.merge(otherPartitionsAggregator);
 * GradientSums s = agg.snapshot();             // count, loss sum, gradient sum
 * }</pre>
 *
 * <p><b>What it computes.</b> For rows {@code x_1..x_n}, one row's loss {@code l(x; θ)} and the
 * parameter vector {@code θ} (all components of all variables, in order):
 * <pre>
 *   L(θ) = Σ_r l(x_r; θ)            ∂L/∂θ_k = Σ_r ∂l(x_r; θ)/∂θ_k
 * </pre>
 * The tape evaluates a block of rows at once, one row per lane. Each parameter component is put
 * on the tape as a per-lane variable {@code θ_k,r} holding {@code θ_k} in every lane r, so that
 * {@code L = Σ_r l(x_r; θ_·,r)} and, by the chain rule through the copy {@code θ_k,r = θ_k},
 * {@code ∂L/∂θ_k = Σ_r ∂L/∂θ_k,r}. One reverse pass seeded with 1 in every lane gives exactly
 * {@code ∂L/∂θ_k,r = ∂l(x_r)/∂θ_k} in lane r, since no op mixes lanes. Those per-row values and the
 * per-row losses are then added into {@link ExactSum}s: no rounding until {@link #snapshot}, so the
 * result does not depend on how rows were split into blocks and partitions, nor on the order in
 * which partial aggregates are merged.
 *
 * <p><b>Non-finite values.</b> A row whose loss or gradient is NaN or infinite makes that sum NaN or
 * infinite (see {@link ExactSum}); the driver reports it as divergence.
 *
 * <p>The recorded tape is per thread, not part of the serialised form: it is large (a buffer per
 * node of {@code blockLanes} doubles) and cheap to rebuild, so shipping it to every task would cost
 * more than it saves.
 */
public final class GradientAggregator implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LossModel model;
    private long count;
    private final ExactSum loss = new ExactSum();
    private final ExactSum[] gradient;

    private static final ThreadLocal<Work> WORK = new ThreadLocal<>();

    /** An empty aggregate: no rows yet. */
    public GradientAggregator(LossModel model) {
        this.model = model;
        gradient = new ExactSum[model.parameterCount()];
        for (int k = 0; k < gradient.length; k++) gradient[k] = new ExactSum();
    }

    public LossModel model() {
        return model;
    }

    /** Rows added so far (by this aggregate and those merged into it). */
    public long count() {
        return count;
    }

    /**
     * Adds rows {@code [from, to)} of {@code columns} (one array per data column, in
     * {@link LossModel#columnCount()} order) at parameter values {@code params}.
     *
     * @return this
     */
    public GradientAggregator add(double[] params, double[][] columns, int from, int to) {
        Work w = begin(params, columns);
        int lanes = model.blockLanes();
        for (int start = from; start < to; start += lanes) {
            int n = Math.min(lanes, to - start);
            for (int c = 0; c < columns.length; c++) {
                System.arraycopy(columns[c], start, w.compiled.columns()[c], 0, n);
            }
            run(w, n);
        }
        return this;
    }

    /**
     * Adds the rows whose indices are {@code rows[0..n)} (a mini-batch), as {@link #add(double[], double[][], int, int)}.
     *
     * @return this
     */
    public GradientAggregator add(double[] params, double[][] columns, int[] rows, int n) {
        Work w = begin(params, columns);
        int lanes = model.blockLanes();
        for (int start = 0; start < n; start += lanes) {
            int m = Math.min(lanes, n - start);
            for (int c = 0; c < columns.length; c++) {
                double[] src = columns[c];
                double[] dst = w.compiled.columns()[c];
                for (int i = 0; i < m; i++) dst[i] = src[rows[start + i]];
            }
            run(w, m);
        }
        return this;
    }

    private Work begin(double[] params, double[][] columns) {
        if (params.length != gradient.length) {
            throw new IllegalArgumentException("expected " + gradient.length + " parameter values "
                    + model.parameterNames() + ", got " + params.length);
        }
        if (columns.length != model.columnCount()) {
            throw new IllegalArgumentException("expected " + model.columnCount() + " data columns "
                    + model.inputs() + ", got " + columns.length);
        }
        Work w = WORK.get();
        if (w == null || !w.model.equals(model)) {
            w = new Work(model, model.compile());
            WORK.set(w);
        }
        double[][] p = w.compiled.params();
        for (int k = 0; k < p.length; k++) Arrays.fill(p[k], model.dtype().round(params[k]));
        return w;
    }

    /** Evaluates the first n lanes and adds their losses and per-row gradients. */
    private void run(Work w, int n) {
        Tape tape = w.compiled.tape();
        tape.setActiveLanes(n);
        tape.forward();
        tape.backward(w.compiled.lossNode());
        loss.addAll(tape.valueBuffer(w.compiled.lossNode()), 0, n, w.buckets);
        int[] nodes = w.compiled.paramNodes();
        for (int k = 0; k < nodes.length; k++) {
            double[] g = tape.gradient(nodes[k]);
            if (g != null) gradient[k].addAll(g, 0, n, w.buckets); // null: the loss does not use it, 0
        }
        count += n;
    }

    /**
     * Adds everything {@code other} holds ({@code other} is unchanged). Exact: the merged sums equal
     * those of one aggregate fed all rows, whatever the order.
     *
     * @return this
     */
    public GradientAggregator merge(GradientAggregator other) {
        if (!other.model.equals(model)) {
            throw new IllegalArgumentException("cannot merge aggregates of different losses: "
                    + model.loss().source() + " and " + other.model.loss().source());
        }
        count += other.count;
        loss.merge(other.loss);
        for (int k = 0; k < gradient.length; k++) gradient[k].merge(other.gradient[k]);
        return this;
    }

    /** The sums rounded once each to the nearest double. */
    public GradientSums snapshot() {
        double[] g = new double[gradient.length];
        for (int k = 0; k < g.length; k++) g[k] = gradient[k].value();
        return new GradientSums(count, loss.value(), g);
    }

    /** True when both hold exactly the same sums (not just the same rounded ones). */
    public boolean sameSumsAs(GradientAggregator o) {
        if (count != o.count || !loss.sameAs(o.loss) || gradient.length != o.gradient.length) return false;
        for (int k = 0; k < gradient.length; k++) {
            if (!gradient[k].sameAs(o.gradient[k])) return false;
        }
        return true;
    }

    /** A thread's compiled tape for one model, and the exact sums' scratch buckets. */
    private static final class Work {
        final LossModel model;
        final LossModel.Compiled compiled;
        final long[] buckets = ExactSum.newBuckets();

        Work(LossModel model, LossModel.Compiled compiled) {
            this.model = model;
            this.compiled = compiled;
        }
    }
}
