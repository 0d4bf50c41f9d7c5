package tapeline.engine.train;

import java.io.Serializable;

import tapeline.engine.tape.Tape;

/**
 * The least-squares sums of a set of rows at one parameter value, {@code r^T r}, {@code J^T r} and
 * {@code J^T J} over every residual of every row: the per-partition part of a Levenberg-Marquardt
 * pass ({@code optimizer = lm}) and of the standard errors ({@code stderr = true}). No Spark here;
 * {@code treeAggregate(zero)(add, merge)} is its whole use, as for {@link GradientAggregator}, and
 * with the same guarantee: the sums depend on the rows of each {@link #add} call and their order,
 * never on which aggregate took which call or the order of merges.
 *
 * <pre>{@code
 * JacobianAggregator agg = new JacobianAggregator(model);
 * agg.add(params, columns, 0, rows);     // one bucket's rows, in canonical order
 * agg.merge(other);
 * JacobianSums s = agg.snapshot();
 * }</pre>
 *
 * <p><b>How.</b> A chunk of {@link ResidualModel#blockLanes} rows is one tape run
 * ({@link ResidualModel#compile}: the parameters per lane), a forward pass and one reverse pass per
 * residual; each reverse pass leaves row r's Jacobian row {@code J_r} in lane r. The chunk's
 * {@code Σ_r J_r^T J_r}, {@code Σ_r J_r^T r_r} and {@code Σ_r r_r^2} are summed in plain double, in
 * a fixed order (residual by residual, rows in order), then added into {@link ExactSum}s, whose
 * merge is exact. Only the upper triangle of {@code J^T J} is summed; the lower is its mirror.
 * Interpreted only (no compiled pass yet): it costs one reverse pass per residual per chunk.
 */
public final class JacobianAggregator implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ResidualModel model;
    private final int m;
    private long count;
    private long residuals;
    private final ExactSum rss = new ExactSum();
    private final ExactSum[] jtr;
    /** Upper triangle, row by row: (0,0), (0,1) ... (0,m-1), (1,1) ... */
    private final ExactSum[] jtj;

    /** A thread's recorded tapes, for the last models it summed. */
    private static final ThreadLocal<java.util.Map<ResidualModel, Work>> WORK = ThreadLocal.withInitial(
            () -> new java.util.LinkedHashMap<>(4, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<ResidualModel, Work> eldest) {
                    return size() > 4;
                }
            });

    /** An empty aggregate. */
    public JacobianAggregator(ResidualModel model) {
        this.model = model;
        this.m = model.parameterCount();
        jtr = new ExactSum[m];
        for (int k = 0; k < m; k++) jtr[k] = new ExactSum();
        jtj = new ExactSum[m * (m + 1) / 2];
        for (int k = 0; k < jtj.length; k++) jtj[k] = new ExactSum();
    }

    public ResidualModel model() {
        return model;
    }

    /** Rows added so far. */
    public long count() {
        return count;
    }

    /**
     * Adds rows {@code [from, to)} of {@code columns} (one array per data column) at {@code params},
     * as one sequence: chunks of {@link ResidualModel#blockLanes} rows from {@code from}.
     *
     * @return this
     */
    public JacobianAggregator add(double[] params, double[][] columns, int from, int to) {
        if (params.length != m) {
            throw new IllegalArgumentException("expected " + m + " parameter values, got " + params.length);
        }
        if (columns.length != model.columnCount()) {
            throw new IllegalArgumentException("expected " + model.columnCount() + " data columns " + model.inputs()
                    + ", got " + columns.length);
        }
        Work w = WORK.get().computeIfAbsent(model, Work::new);
        int lanes = model.blockLanes();
        for (int start = from; start < to; start += lanes) {
            int n = Math.min(lanes, to - start);
            for (int k = 0; k < m; k++) java.util.Arrays.fill(w.c.params()[k], 0, n, model.dtype().round(params[k]));
            for (int c = 0; c < columns.length; c++) System.arraycopy(columns[c], start, w.c.columns()[c], 0, n);
            run(w, n);
        }
        return this;
    }

    /** One chunk: its first n lanes loaded. */
    private void run(Work w, int n) {
        Tape tape = w.c.tape();
        tape.setActiveLanes(n);
        tape.forward();
        int[] res = w.c.residualNodes();
        double[] pjtj = w.jtj;
        double[] pjtr = w.jtr;
        java.util.Arrays.fill(pjtj, 0.0);
        java.util.Arrays.fill(pjtr, 0.0);
        double prss = 0;
        double[][] row = w.row;
        for (int i = 0; i < res.length; i++) {
            double[] r = tape.valueBuffer(res[i]).clone();
            tape.backward(res[i]);
            for (int k = 0; k < m; k++) {
                double[] g = tape.gradient(w.c.paramNodes()[k]);
                row[k] = g; // null: residual i does not depend on parameter k
            }
            for (int lane = 0; lane < n; lane++) {
                double ri = r[lane];
                prss += ri * ri;
                int t = 0;
                for (int a = 0; a < m; a++) {
                    double ja = row[a] == null ? 0.0 : row[a][lane];
                    pjtr[a] += ja * ri;
                    for (int b = a; b < m; b++, t++) {
                        double jb = row[b] == null ? 0.0 : row[b][lane];
                        pjtj[t] += ja * jb;
                    }
                }
            }
        }
        rss.add(prss);
        for (int k = 0; k < m; k++) jtr[k].add(pjtr[k]);
        for (int t = 0; t < jtj.length; t++) jtj[t].add(pjtj[t]);
        count += n;
        residuals += (long) n * res.length;
    }

    /**
     * Adds everything {@code other} holds ({@code other} unchanged). Exact, whatever the order.
     *
     * @return this
     */
    public JacobianAggregator merge(JacobianAggregator other) {
        if (!other.model.equals(model)) throw new IllegalArgumentException("cannot merge aggregates of different residuals");
        count += other.count;
        residuals += other.residuals;
        rss.merge(other.rss);
        for (int k = 0; k < m; k++) jtr[k].merge(other.jtr[k]);
        for (int t = 0; t < jtj.length; t++) jtj[t].merge(other.jtj[t]);
        return this;
    }

    /** The sums, each rounded once to the nearest double. */
    public JacobianSums snapshot() {
        double[] r = new double[m];
        for (int k = 0; k < m; k++) r[k] = jtr[k].value();
        double[] a = new double[m * m];
        int t = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++, t++) {
                double v = jtj[t].value();
                a[i * m + j] = v;
                a[j * m + i] = v;
            }
        }
        return new JacobianSums(count, residuals, rss.value(), r, a);
    }

    /** True when both hold exactly the same sums (not just the same rounded ones). */
    public boolean sameSumsAs(JacobianAggregator o) {
        if (count != o.count || residuals != o.residuals || !rss.sameAs(o.rss)) return false;
        for (int k = 0; k < m; k++) if (!jtr[k].sameAs(o.jtr[k])) return false;
        for (int t = 0; t < jtj.length; t++) if (!jtj[t].sameAs(o.jtj[t])) return false;
        return true;
    }

    /** A thread's recorded tape for one model and its chunk sums' scratch. */
    private static final class Work {
        final ResidualModel.Compiled c;
        final double[] jtj;
        final double[] jtr;
        final double[][] row;

        Work(ResidualModel model) {
            c = model.compile();
            int m = model.parameterCount();
            jtj = new double[m * (m + 1) / 2];
            jtr = new double[m];
            row = new double[m][];
        }
    }
}
