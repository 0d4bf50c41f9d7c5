package tapeline.engine.train;

import java.io.Serializable;
import tapeline.engine.codegen.HessianKernel;
import tapeline.engine.codegen.PassKernel;
import tapeline.engine.tape.Op;
import tapeline.engine.tape.Tape;

/**
 * The loss and gradient sums of a set of rows, at one parameter value: the per-partition part of a
 * gradient pass. No Spark here; {@code treeAggregate(zero)(add, merge)} is its whole use.
 *
 * <pre>{@code
 * GradientAggregator agg = new GradientAggregator(model);
 * agg.add(params, columns, 0, rows);           // one bucket's rows, in canonical order; any number of buckets
 * agg.merge(otherPartitionsAggregator);
 * GradientSums s = agg.snapshot();             // count, loss sum, gradient sum
 * }</pre>
 *
 * <p><b>What it computes.</b> For rows {@code x_1..x_n}, one row's loss {@code l(x; θ)} and the
 * parameter vector {@code θ} (all components of all variables, in order):
 * <pre>
 *   L(θ) = Σ_r l(x_r; θ)            ∂L/∂θ_k = Σ_r ∂l(x_r; θ)/∂θ_k
 * </pre>
 * The tape evaluates a chunk of rows at once, one row per lane, with each parameter component a
 * <em>shared</em> variable: {@code L_chunk = Σ_r l(x_r; θ)}, and one reverse pass seeded with 1 in
 * every lane gives {@code ∂L_chunk/∂θ_k} directly, reduced over the lanes by the op that uses
 * {@code θ_k} (for {@code dot(w, x)}: {@code x^T g}). The chunk's loss is summed likewise. Those
 * per-chunk sums are plain doubles, in a fixed order ({@link tapeline.engine.tape.Op#laneSum}); they
 * are then added into {@link ExactSum}s, and partial aggregates merge exactly.
 *
 * <p><b>Which chunks.</b> One call to {@link #add(double[], double[][], int, int)} is one sequence
 * of rows (the job: one bucket of {@link RowBuckets}, in canonical order), cut into chunks of
 * {@link LossModel#blockLanes} rows from its start. So the sums depend on the rows of each call and
 * their order, and on nothing else: not on which aggregate took which calls, nor on the order of
 * calls and merges. The job makes every call's rows depend on the data alone; that is its
 * reproducibility guarantee.
 *
 * <p><b>Accuracy.</b> A chunk sum of n terms t_r is off by at most {@code γ(floor(n/8) + 14) Σ|t_r|}
 * ({@code γ(m) = m u / (1 - m u)}, {@code u = 2^-53}; {@link tapeline.engine.tape.Op#laneSum}); the
 * exact accumulation adds nothing, the final rounding {@code u} of the result. GradientAccuracyTest
 * derives the whole bound for least squares and checks it against exact sums.
 *
 * <p><b>Non-finite values.</b> A row whose loss or gradient is NaN or infinite makes that sum NaN or
 * infinite (see {@link ExactSum}); the driver reports it as divergence.
 *
 * <p><b>Compiled or interpreted.</b> With {@link LossModel#codegen} (the default) each chunk runs
 * the pass compiled to Java ({@link PassKernel}: forward, backward and the lane sums, the same bits
 * as the tape's interpreter, tested) once its class is ready; it is compiled in the background, and
 * until then, or for a loss the generator does not handle, chunks run on the interpreter. Which ran
 * is counted ({@link #compiledChunks()}, {@link #interpretedChunks()}, {@link #fallback()}); the
 * sums do not depend on it.
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
    /** The Hessian's sums, row-major, or null. */
    private final ExactSum[] hessian;
    private long compiledChunks;
    private long interpretedChunks;
    /** Why chunks ran on the interpreter (the first reason met), or null. */
    private String fallback;

    /**
     * A thread's recorded tapes, for the last models it summed: a job sums one, a benchmark or a
     * test alternates several (re-recording a tape, and generating its pass again, on every switch
     * would cost as much as a short call's work).
     */
    private static final ThreadLocal<java.util.Map<LossModel, Work>> WORK = ThreadLocal.withInitial(
            () -> new java.util.LinkedHashMap<>(8, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<LossModel, Work> eldest) {
                    return size() > 16;
                }
            });

    /** An empty aggregate: no rows yet. */
    public GradientAggregator(LossModel model) {
        this(model, false);
    }

    /**
     * An empty aggregate that also sums the rows' Hessians ({@code optimizer = newton}): per chunk, the
     * Hessian of the chunk's summed loss from the tape's derivative program
     * ({@link tapeline.engine.tape.HessianProgram}; compiled, {@link HessianKernel}: one pass for the loss,
     * the gradient and the Hessian, the same bits), added exactly as the gradient is.
     */
    public GradientAggregator(LossModel model, boolean hessian) {
        this.model = model;
        int n = model.parameterCount();
        gradient = new ExactSum[n];
        for (int k = 0; k < gradient.length; k++) gradient[k] = new ExactSum();
        if (hessian) {
            this.hessian = new ExactSum[n * n];
            for (int k = 0; k < this.hessian.length; k++) this.hessian[k] = new ExactSum();
        } else {
            this.hessian = null;
        }
    }

    public LossModel model() {
        return model;
    }

    /** Rows added so far (by this aggregate and those merged into it). */
    public long count() {
        return count;
    }

    /** Chunks this aggregate (and those merged into it) ran on the compiled pass. */
    public long compiledChunks() {
        return compiledChunks;
    }

    /** Chunks run on the tape's interpreter. */
    public long interpretedChunks() {
        return interpretedChunks;
    }

    /** Why chunks ran interpreted ("engine.codegen = false", "compiling", an unsupported op...), or null if none did. */
    public String fallback() {
        return fallback;
    }

    /** For a log line: {@code compiled (1024 chunks)}, or with the interpreted chunks and why. */
    public String describePath() {
        if (interpretedChunks == 0) return "compiled (" + compiledChunks + " chunks)";
        String why = " chunks interpreted (" + fallback + ")";
        return compiledChunks == 0 ? interpretedChunks + why : compiledChunks + " chunks compiled, " + interpretedChunks + why;
    }

    /**
     * Compiles the model's pass now, waiting for it, so that this thread's aggregates of the model run
     * compiled from their first chunk (tests and benchmarks; a job does not wait).
     *
     * @return null when the pass runs compiled from now on, else the reason it does not
     */
    public static String awaitCompiled(LossModel model) {
        Work w = work(model);
        if (w.kernel == null) return "engine.codegen = false";
        return w.kernel.awaitCompiled() ? null : w.kernel.reason();
    }

    /**
     * As {@link #awaitCompiled} for the Hessian sums ({@code optimizer = newton}): compiles them now,
     * waiting, so that this thread's Hessians of the model run compiled from the first chunk.
     *
     * @return null when they run compiled from now on, else the reason they do not
     */
    public static String awaitHessianCompiled(LossModel model) {
        Work w = work(model);
        HessianKernel k = w.hessian().kernel;
        if (k == null) return "engine.codegen = false";
        return k.awaitCompiled() ? null : k.reason();
    }

    /**
     * Adds rows {@code [from, to)} of {@code columns} (one array per data column, in
     * {@link LossModel#columnCount()} order) at parameter values {@code params}, as one sequence:
     * chunks of {@link LossModel#blockLanes} rows from {@code from}, each summed in plain double.
     *
     * @return this
     */
    public GradientAggregator add(double[] params, double[][] columns, int from, int to) {
        Work w = begin(params, columns);
        int lanes = model.blockLanes();
        for (int start = from; start < to; start += lanes) {
            int n = Math.min(lanes, to - start);
            LossModel.Compiled cm = w.compiled;
            cm.tape().setActiveLanes(n);
            for (int c = 0; c < columns.length; c++) {
                if (start == 0) {
                    cm.tape().rebind(cm.columnNodes()[c], columns[c]); // the chunk is where it lies: no copy
                } else {
                    System.arraycopy(columns[c], start, cm.columns()[c], 0, n);
                    cm.tape().rebind(cm.columnNodes()[c], cm.columns()[c]);
                }
            }
            run(w, n);
        }
        return this;
    }

    /**
     * Adds the rows whose indices are {@code rows[0..n)} (a mini-batch), in that order, as one
     * sequence: the same sums as {@link #add(double[], double[][], int, int)} of those rows copied out.
     *
     * @return this
     */
    public GradientAggregator add(double[] params, double[][] columns, int[] rows, int n) {
        Work w = begin(params, columns);
        int lanes = model.blockLanes();
        for (int start = 0; start < n; start += lanes) {
            int m = Math.min(lanes, n - start);
            w.compiled.tape().setActiveLanes(m);
            for (int c = 0; c < columns.length; c++) {
                double[] src = columns[c];
                double[] dst = w.compiled.columns()[c];
                for (int i = 0; i < m; i++) dst[i] = src[rows[start + i]];
                w.compiled.tape().rebind(w.compiled.columnNodes()[c], dst);
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
        Work w = work(model);
        double[][] p = w.compiled.params();
        for (int k = 0; k < p.length; k++) p[k][0] = model.dtype().round(params[k]);
        return w;
    }

    private static Work work(LossModel model) {
        return WORK.get().computeIfAbsent(model, m -> new Work(m, m.compile()));
    }

    /** Evaluates the first n lanes (one chunk) and adds its loss and gradient sums. */
    private void run(Work w, int n) {
        double[] g = w.chunkGradient;
        boolean[] has = w.chunkHas;
        // Newton: one pass for the loss, the gradient and the Hessian (the same bits as the pass and the
        // Hessian apart, without computing the forward values twice).
        HessianWork hw = hessian != null ? w.hessian() : null;
        double l = hw != null ? hw.pass(n, g, has) : evaluate(w, n, g, has);
        loss.add(l);
        for (int p = 0; p < gradient.length; p++) {
            if (has[p]) gradient[p].add(g[p]); // none: the loss does not use it, 0
        }
        if (hw != null) {
            double[] h = hw.hessian(n);
            for (int k = 0; k < h.length; k++) hessian[k].add(h[k]);
        }
        if (hw != null ? hw.lastCompiled : w.lastCompiled) {
            compiledChunks++;
        } else {
            interpretedChunks++;
            if (fallback == null) {
                String why = hw != null ? hw.kernelReason() : w.kernel == null ? null : w.kernel.reason();
                fallback = why == null ? "engine.codegen = false" : why;
            }
        }
        count += n;
    }

    /**
     * One chunk, the first n lanes of the loaded tape: its loss summed over the lanes (the return
     * value) and each parameter's gradient summed over them ({@code has[k]} false: the loss does not
     * use parameter k, and {@code g[k]} is 0). Compiled when the pass is ready, else interpreted: the
     * same bits. The one place a chunk is evaluated, so the train pass and the group solvers agree.
     */
    private static double evaluate(Work w, int n, double[] g, boolean[] has) {
        Tape tape = w.compiled.tape();
        tape.setActiveLanes(n);
        PassKernel pass = w.kernel;
        if (pass != null && pass.ready()) {
            pass.run(n);
            for (int p = 0; p < g.length; p++) {
                has[p] = pass.hasGradient(p);
                g[p] = has[p] ? pass.gradient(p) : 0.0;
            }
            w.lastCompiled = true;
            return pass.lossSum();
        }
        w.lastCompiled = false;
        return interpret(w.compiled, n, g, has);
    }

    /**
     * The interpreter's pass over a recording's first n lanes (its active lanes already set): forward,
     * backward from the loss, the loss sum returned and the parameters' gradient sums written.
     */
    private static double interpret(LossModel.Compiled c, int n, double[] g, boolean[] has) {
        Tape tape = c.tape();
        tape.forward();
        tape.backward(c.lossNode());
        double l = Op.laneSum(tape.valueBuffer(c.lossNode()), n);
        int[] nodes = c.paramNodes();
        for (int k = 0; k < nodes.length; k++) {
            double[] gk = tape.gradient(nodes[k]); // shared: one value, the chunk's sum
            has[k] = gk != null; // null: the loss does not use it, 0
            g[k] = has[k] ? gk[0] : 0.0;
        }
        return l;
    }

    /**
     * Chunk by chunk evaluation for callers that keep their own sums (the group solvers): the
     * thread's recorded tape and compiled pass for a model, the same code as {@link #add}, without the
     * exact accumulation. A chunk's rows are loaded once ({@link #load}) and evaluated at any number of
     * parameter values ({@link #run}): a small group's rows stay in the tape's buffers for its whole fit.
     * Not thread-safe: one per thread, used between no other aggregate calls of the same model.
     *
     * <pre>{@code
     * GradientAggregator.Chunks c = GradientAggregator.chunks(model);
     * c.load(columns, from, n);                    // n <= model.blockLanes()
     * double loss = c.run(params, gradient);       // the chunk's sums, as add(params, columns, from, from + n) adds them
     * }</pre>
     */
    public static final class Chunks {
        private final LossModel model;
        private final Work w;
        private final boolean[] has;

        private Chunks(LossModel model, Work w) {
            this.model = model;
            this.w = w;
            this.has = new boolean[model.parameterCount()];
        }

        /** Copies rows {@code [from, from + n)} of {@code columns} into the tape ({@code n <= blockLanes}). */
        public void load(double[][] columns, int from, int n) {
            if (n > model.blockLanes()) throw new IllegalArgumentException(n + " rows do not fit a chunk of " + model.blockLanes());
            LossModel.Compiled cm = w.compiled;
            for (int c = 0; c < columns.length; c++) {
                System.arraycopy(columns[c], from, cm.columns()[c], 0, n);
                cm.tape().rebind(cm.columnNodes()[c], cm.columns()[c]);
            }
        }

        /**
         * The loaded chunk (its first {@code n} rows) at {@code params}: returns the loss sum and writes
         * the gradient sums into {@code gradient} (0 for a parameter the loss does not use).
         */
        public double run(double[] params, int n, double[] gradient) {
            double[][] p = w.compiled.params();
            for (int k = 0; k < p.length; k++) p[k][0] = model.dtype().round(params[k]);
            if (w.hessian != null) w.hessian.kept = false;
            return evaluate(w, n, gradient, has);
        }

        /**
         * As {@link #run}, the same bits, by Newton's pass: it also keeps the per-lane values the
         * Hessian reads, so that {@link #hessian} right after it computes none of them again; a caller
         * that needs the Hessian only at some points (a line search's taken trials) asks for it there.
         */
        public double runNewton(double[] params, int n, double[] gradient) {
            double[][] p = w.compiled.params();
            for (int k = 0; k < p.length; k++) p[k][0] = model.dtype().round(params[k]);
            return w.hessian().pass(n, gradient, has);
        }

        /**
         * The Hessian of the loaded chunk's summed loss at the parameters of the last {@link #run} or
         * {@link #runNewton} (row-major, n x n; the array is reused), as the aggregate with Hessian sums
         * adds it: after {@link #runNewton}, from the values it kept; after {@link #run}, Newton's pass first.
         */
        public double[] hessian(int n) {
            HessianWork h = w.hessian();
            if (!h.kept) h.pass(n, new double[has.length], new boolean[has.length]);
            return h.hessian(n);
        }

        /** Whether the last {@link #run} ran the compiled pass. */
        public boolean compiled() {
            return w.lastCompiled;
        }

        /** Whether the last {@link #runNewton} or {@link #hessian} ran compiled ({@link HessianKernel}). */
        public boolean hessianCompiled() {
            return w.hessian().lastCompiled;
        }
    }

    /** The (model, Hessian) pairs {@link #precompile} was asked for in this JVM. */
    private static final java.util.Set<java.util.Map.Entry<LossModel, Boolean>> PRECOMPILED =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Starts compiling {@code model}'s pass (and its Hessian's, with {@code hessian}) on the code
     * generator's background thread and returns at once; the classes land in the JVM's kernel cache,
     * keyed by their source, where every thread's tape of this model then finds them. Once per JVM per
     * model; nothing to do without {@code engine.codegen}.
     *
     * <p>Why: a task that meets its first chunk before the class is there runs the interpreter until
     * it is (the same bits), and the JIT compiles that interpreted path first, then throws it away
     * when the compiled pass takes over (a deoptimisation and a second compilation of the solver's
     * hot loop). Started while the job still reads its input, the compilation is done when the solve
     * begins.
     *
     * <pre>{@code
     * GradientAggregator.precompile(model, true);   // the pass and the Hessian, in the background
     * }</pre>
     */
    public static void precompile(LossModel model, boolean hessian) {
        if (!model.codegen() || !PRECOMPILED.add(java.util.Map.entry(model, hessian))) return;
        Work w = new Work(model, model.compile());
        if (hessian) w.hessian();
    }

    /** This thread's chunk evaluator for {@code model}. */
    public static Chunks chunks(LossModel model) {
        return new Chunks(model, work(model));
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
        compiledChunks += other.compiledChunks;
        interpretedChunks += other.interpretedChunks;
        if (fallback == null) fallback = other.fallback;
        if ((hessian == null) != (other.hessian == null)) {
            throw new IllegalArgumentException("cannot merge an aggregate with Hessian sums and one without");
        }
        loss.merge(other.loss);
        for (int k = 0; k < gradient.length; k++) gradient[k].merge(other.gradient[k]);
        if (hessian != null) for (int k = 0; k < hessian.length; k++) hessian[k].merge(other.hessian[k]);
        return this;
    }

    /** The sums rounded once each to the nearest double. */
    public GradientSums snapshot() {
        double[] g = new double[gradient.length];
        for (int k = 0; k < g.length; k++) g[k] = gradient[k].value();
        double[] h = null;
        if (hessian != null) {
            h = new double[hessian.length];
            for (int k = 0; k < h.length; k++) h[k] = hessian[k].value();
        }
        return new GradientSums(count, loss.value(), g, h);
    }

    /** True when both hold exactly the same sums (not just the same rounded ones). */
    public boolean sameSumsAs(GradientAggregator o) {
        if (count != o.count || !loss.sameAs(o.loss) || gradient.length != o.gradient.length) return false;
        for (int k = 0; k < gradient.length; k++) {
            if (!gradient[k].sameAs(o.gradient[k])) return false;
        }
        if ((hessian == null) != (o.hessian == null)) return false;
        if (hessian != null) {
            for (int k = 0; k < hessian.length; k++) {
                if (!hessian[k].sameAs(o.hessian[k])) return false;
            }
        }
        return true;
    }

    /** A thread's recorded tape for one model, and its compiled pass (null: codegen off). */
    private static final class Work {
        final LossModel model;
        final LossModel.Compiled compiled;
        final PassKernel kernel;
        final double[] chunkGradient;
        final boolean[] chunkHas;
        boolean lastCompiled;
        private HessianWork hessian;

        HessianWork hessian() {
            if (hessian == null) hessian = new HessianWork(this);
            return hessian;
        }

        Work(LossModel model, LossModel.Compiled compiled) {
            this.model = model;
            this.compiled = compiled;
            this.chunkGradient = new double[model.parameterCount()];
            this.chunkHas = new boolean[model.parameterCount()];
            this.kernel = model.codegen() ? PassKernel.prepare(compiled.tape(), compiled.lossNode(),
                    compiled.paramNodes(), compiled.columnNodes()) : null;
        }
    }

    /**
     * Newton's pass over a chunk: a second recording of the loss with its gradient program (so the pass's
     * tape and its compiled kernel stay as they are), reading the same column arrays and parameter values
     * as the pass's tape. {@link #pass} gives the loss and gradient sums (the train pass's bits: the same
     * nodes, forward and backward) and keeps the forward values; {@link #hessian} then takes one reverse
     * pass per parameter through the gradient program from them. With {@code engine.codegen} the same
     * compiled ({@link HessianKernel}: the same bits, no forward value computed twice) once it is ready,
     * else on the interpreter ({@link tapeline.engine.tape.HessianProgram}, the reference; the loss and
     * gradient then by the train pass's kernel when it is ready, the same bits).
     */
    private static final class HessianWork {
        final Work pass;
        final LossModel.Compiled compiled;
        final tapeline.engine.tape.HessianProgram program;
        final HessianKernel kernel;
        final double[][] g;
        final double[][][] h;
        final double[] out;
        boolean lastCompiled;
        /** Whether the tape (or the kernel) holds the values of a pass at the parameters last asked for. */
        boolean kept;
        /** Whether the last interpreted pass ran this tape's forward pass (not the train pass's kernel). */
        boolean forwardDone;

        HessianWork(Work pass) {
            this.pass = pass;
            compiled = pass.model.compile();
            int n = compiled.paramNodes().length;
            program = tapeline.engine.tape.HessianProgram.record(compiled.tape(), compiled.lossNode(), compiled.paramNodes());
            kernel = pass.model.codegen() ? HessianKernel.prepare(compiled.tape(), compiled.lossNode(), compiled.paramNodes(),
                    compiled.columnNodes(), program.gradientNodes()) : null;
            g = new double[n][1];
            h = new double[n][n][1];
            out = new double[n * n];
        }

        /**
         * The first n lanes, with the pass tape's current rows and parameters: the loss sum (returned)
         * and the gradient sums ({@code has[k]} false: the loss does not use parameter k, {@code grad[k]} 0),
         * as {@link GradientAggregator#evaluate} gives them.
         */
        double pass(int n, double[] grad, boolean[] has) {
            LossModel.Compiled src = pass.compiled;
            Tape tape = compiled.tape();
            tape.setActiveLanes(n);
            for (int c = 0; c < compiled.columnNodes().length; c++) {
                tape.rebind(compiled.columnNodes()[c], src.tape().valueBuffer(src.columnNodes()[c]));
            }
            for (int k = 0; k < compiled.params().length; k++) compiled.params()[k][0] = src.params()[k][0];
            kept = true;
            if (kernel != null && kernel.ready()) {
                lastCompiled = true;
                kernel.run(n);
                for (int p = 0; p < grad.length; p++) {
                    has[p] = kernel.hasGradient(p);
                    grad[p] = has[p] ? kernel.gradient(p) : 0.0;
                }
                return kernel.lossSum();
            }
            lastCompiled = false;
            if (pass.kernel != null && pass.kernel.ready()) {
                // A Hessian the generator does not take (its reverse pass reads a lane sum): the pass
                // compiled as the train pass runs it, the Hessian from this tape's own forward pass.
                forwardDone = false;
                return evaluate(pass, n, grad, has);
            }
            forwardDone = true;
            return interpret(compiled, n, grad, has);
        }

        /** Why the compiled Hessian did not run, or null without {@code engine.codegen}. */
        String kernelReason() {
            return kernel == null ? null : kernel.reason();
        }

        /** The Hessian of the last {@link #pass}'s n lanes, from the values it kept (row-major; the array is reused). */
        double[] hessian(int n) {
            if (!kept) throw new IllegalStateException("the Hessian is read after Newton's pass");
            if (lastCompiled) return kernel.hessian(n);
            if (!forwardDone) compiled.tape().forward();
            program.evaluate(g, h);
            int m = g.length;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) out[i * m + j] = h[i][j][0];
            }
            return out;
        }
    }
}
