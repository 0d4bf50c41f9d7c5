package tapeline.engine.solve;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import tapeline.engine.codegen.KernelPath;
import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Arguments;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.tape.DType;

/**
 * Minimises one cost for many independent problems at once: each lane of a block is one problem
 * (one input row of a sweep), with its own variables, inputs, optimizer state and, optionally,
 * hyper-parameters. Everything is checked when the solver is made, so a bad expression or
 * argument fails before any data is read.
 *
 * <pre>{@code
 * BlockSolver solver = new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"),
 *         List.of(new VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1),
 *         "adam", Map.of("learning_rate", 0.1), new SolverSettings(1000, 0, 0), DType.FLOAT32);
 * BlockResult r = solver.solve(2, Map.of("x0", new double[][] {{1, 5}}, "x1", new double[][] {{-10, -7}},
 *         "x2", new double[][] {{25, 13}}), Map.of(), Map.of());
 * // r.values()[0][0] = {5.000001, 0.7} (as floats)
 * }</pre>
 */
public final class BlockSolver implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The cost, or null when it is the sum of the residuals' squares. */
    private final Expression cost;
    /** The residuals (a least-squares cost), or empty when the cost is given as one expression. */
    private final List<Expression> residuals;
    private final List<VariableSpec> variables;
    private final Map<String, Integer> inputSizes;
    private final String optimizer;
    private final Map<String, Double> optimizerArgs;
    private final Map<String, Arguments.Range> argumentRanges;
    private final SolverSettings settings;
    private final DType dtype;
    /** Whether steps run as generated, compiled code (the interpreter otherwise); see {@link #withCodegen}. */
    private final boolean codegen;
    /** What standard errors each solved lane gets ({@link #withStandardErrors}). */
    private final StandardErrors.Kind stderr;
    /** Whether residuals that qualify are evaluated on an element tape ({@link ElementTape}); off only to compare. */
    private final boolean elementTape;
    /** The path the last block that ran took, for the caller's log. */
    private transient volatile KernelPath lastPath;
    /** A recorded cost left by the last finished block, for the next one to reuse. */
    private transient java.util.concurrent.atomic.AtomicReference<BlockRun.Compiled> spare;
    /** The divergence rule's state left by the last finished block, for the next one to restart. */
    private transient java.util.concurrent.atomic.AtomicReference<Divergence> spareDivergence;

    public BlockSolver(Expression cost, List<VariableSpec> variables, Map<String, Integer> inputSizes,
                       String optimizer, Map<String, Double> optimizerArgs, SolverSettings settings, DType dtype) {
        this(Objects.requireNonNull(cost, "cost"), List.of(), variables, inputSizes, optimizer, optimizerArgs,
                settings, dtype, true, StandardErrors.Kind.NONE, true);
    }

    /**
     * A least-squares solver: the cost is the sum of the squares of every component of
     * {@code residuals} (each a scalar or a vector expression), in their order. Every optimizer
     * works on it; {@code lm} (Levenberg-Marquardt) needs it, for the residuals' Jacobian.
     *
     * <pre>{@code
     * BlockSolver s = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - a * exp(-b * x)")),
     *         List.of(new VariableSpec("a", 1), new VariableSpec("b", 1)), Map.of("x", 8, "y", 8),
     *         "lm", Map.of(), new SolverSettings(100, 1e-10, 1e-10, false, 1e-10), DType.FLOAT64);
     * }</pre>
     */
    public static BlockSolver leastSquares(List<Expression> residuals, List<VariableSpec> variables,
                                           Map<String, Integer> inputSizes, String optimizer,
                                           Map<String, Double> optimizerArgs, SolverSettings settings, DType dtype) {
        if (residuals.isEmpty()) throw new IllegalArgumentException("at least one residual expression is needed");
        return new BlockSolver(null, residuals, variables, inputSizes, optimizer, optimizerArgs, settings, dtype, true,
                StandardErrors.Kind.NONE, true);
    }

    private BlockSolver(Expression cost, List<Expression> residuals, List<VariableSpec> variables,
                        Map<String, Integer> inputSizes, String optimizer, Map<String, Double> optimizerArgs,
                        SolverSettings settings, DType dtype, boolean codegen, StandardErrors.Kind stderr,
                        boolean elementTape) {
        this.codegen = codegen;
        this.elementTape = elementTape;
        this.stderr = Objects.requireNonNull(stderr, "stderr");
        if (stderr == StandardErrors.Kind.RESIDUALS && residuals.isEmpty()) {
            throw new IllegalArgumentException("standard errors from residuals need the cost as residuals (residuals = ...);"
                    + " for a cost that is a negative log-likelihood, say so (cost.kind = nll)");
        }
        if (stderr == StandardErrors.Kind.NLL && cost == null) {
            throw new IllegalArgumentException("cost.kind = nll needs the cost as one expression (cost = ...), not residuals");
        }
        this.cost = cost;
        this.residuals = List.copyOf(residuals);
        if (cost == null && this.residuals.isEmpty()) throw new NullPointerException("cost");
        if (LevenbergMarquardt.NAME.equals(optimizer) && this.residuals.isEmpty()) {
            throw new IllegalArgumentException("optimizer lm needs the cost as residuals (residuals = ...), not as one cost expression");
        }
        this.variables = List.copyOf(variables);
        this.inputSizes = Map.copyOf(inputSizes);
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.optimizerArgs = Map.copyOf(withPerRowDefaults(optimizer, optimizerArgs));
        this.settings = Objects.requireNonNull(settings, "settings");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        if (this.variables.isEmpty()) {
            throw new IllegalArgumentException("at least one variable is needed");
        }
        List<String> seen = new ArrayList<>();
        for (VariableSpec v : this.variables) {
            if (seen.contains(v.name())) throw new IllegalArgumentException("variable " + v.name() + " is listed twice");
            if (this.inputSizes.containsKey(v.name())) {
                throw new IllegalArgumentException(v.name() + " is both a variable and an input");
            }
            seen.add(v.name());
        }
        Optimizers.validate(optimizer, this.optimizerArgs);
        this.argumentRanges = Optimizers.ranges(optimizer);
        // Record the cost once on one lane of zeros: every name, size and function is checked here.
        Map<String, double[][]> zeros = new LinkedHashMap<>();
        this.inputSizes.forEach((name, size) -> zeros.put(name, new double[size][1]));
        BlockRun.start(this, 1, zeros, Map.of(), Map.of());
    }

    /**
     * The same solver with compiled steps on or off ({@code engine.codegen}; on by default). Compiled
     * steps are generated from the recorded cost and compiled once per JVM per program; they give the
     * interpreter's bits, and a tape the generator cannot handle runs on the interpreter anyway
     * ({@link #kernelPath()} says which and why).
     *
     * <pre>{@code
     * BlockSolver interpreted = solver.withCodegen(false);
     * }</pre>
     */
    public BlockSolver withCodegen(boolean on) {
        return on == codegen ? this
                : new BlockSolver(cost, residuals, variables, inputSizes, optimizer, optimizerArgs, settings, dtype, on, stderr, elementTape);
    }

    /**
     * The same solver, giving every solved lane ({@code CONVERGED} or {@code MAX_STEPS}) standard
     * errors of the kind asked for ({@link StandardErrors}): {@code RESIDUALS} needs a
     * {@link #leastSquares} solver, {@code NLL} one cost expression.
     *
     * <pre>{@code
     * BlockResult r = solver.withStandardErrors(StandardErrors.Kind.RESIDUALS).solve(...);
     * r.standardErrors()[0][0][lane];   // the first variable's standard error
     * }</pre>
     */
    public BlockSolver withStandardErrors(StandardErrors.Kind kind) {
        return kind == stderr ? this
                : new BlockSolver(cost, residuals, variables, inputSizes, optimizer, optimizerArgs, settings, dtype, codegen, kind, elementTape);
    }

    /**
     * The same solver with the element tape off: every residual on the row's own (unrolled) tape.
     * For tests and benchmarks that compare the two paths; the element tape is on by default.
     */
    BlockSolver withElementTape(boolean on) {
        return on == elementTape ? this
                : new BlockSolver(cost, residuals, variables, inputSizes, optimizer, optimizerArgs, settings, dtype, codegen, stderr, on);
    }

    /** Whether residuals that qualify go on an element tape. */
    boolean elementTape() {
        return elementTape;
    }

    /** The standard errors asked for. */
    public StandardErrors.Kind standardErrors() {
        return stderr;
    }

    /** Whether compiled steps are asked for. */
    public boolean codegen() {
        return codegen;
    }

    /** The path the last block that ran took (compiled or interpreted, and why), or null before any. */
    public KernelPath kernelPath() {
        return lastPath;
    }

    void ranOn(KernelPath path) {
        lastPath = path;
    }

    /**
     * Solves one block to the end.
     *
     * @param lanes number of problems
     * @param inputs every input name of the cost to {@code double[components][lanes]}
     * @param init variable name to {@code double[size][lanes]} starting values (absent: 0)
     * @param perLaneArgs optimizer argument to one value per lane (overrides the fixed value)
     */
    public BlockResult solve(int lanes, Map<String, double[][]> inputs, Map<String, double[][]> init,
                             Map<String, double[]> perLaneArgs) {
        BlockRun run = start(lanes, inputs, init, perLaneArgs);
        run.advance(Integer.MAX_VALUE);
        return run.result();
    }

    /** Starts a block without running it, for callers that run it in pieces (or serialise it mid-run). */
    public BlockRun start(int lanes, Map<String, double[][]> inputs, Map<String, double[][]> init,
                          Map<String, double[]> perLaneArgs) {
        for (String arg : perLaneArgs.keySet()) {
            if (!argumentRanges.containsKey(arg)) {
                throw new IllegalArgumentException("optimizer " + optimizer + " has no argument '" + arg + "'");
            }
        }
        return BlockRun.start(this, lanes, inputs, init, perLaneArgs);
    }

    /** A spare recorded cost with room for {@code lanes} lanes, or null; never handed out twice. */
    BlockRun.Compiled takeCompiled(int lanes) {
        BlockRun.Compiled k = spare().getAndSet(null);
        return k != null && k.tape().lanes() >= lanes ? k : null;
    }

    void giveBack(BlockRun.Compiled compiled) {
        spare().set(compiled);
    }

    /** The divergence rule's state for a block of {@code lanes} lanes: the last finished block's, restarted, or a new one. */
    Divergence takeDivergence(int lanes, int slots, int every) {
        Divergence d = spareDivergence().getAndSet(null);
        return d != null && d.restart(lanes, slots, every) ? d : new Divergence(lanes, slots, every, dtype);
    }

    void giveBack(Divergence divergence) {
        spareDivergence().set(divergence);
    }

    private synchronized java.util.concurrent.atomic.AtomicReference<Divergence> spareDivergence() {
        if (spareDivergence == null) spareDivergence = new java.util.concurrent.atomic.AtomicReference<>();
        return spareDivergence;
    }

    private synchronized java.util.concurrent.atomic.AtomicReference<BlockRun.Compiled> spare() {
        if (spare == null) spare = new java.util.concurrent.atomic.AtomicReference<>();
        return spare;
    }

    /**
     * {@code args} with the defaults that differ for per-row fits put in where not given: lm's
     * {@code jac_scaling} is {@value LevenbergMarquardt#PER_ROW_JAC_SCALING} per row (D the square
     * root of J's column norms: MGH 95 of 105 against MINPACK's 1 at 93, NIST 54 both), where
     * {@code job = train}'s summed {@code J^T J} keeps 1 (docs/curve-fitting.md, "default, session 24").
     *
     * <pre>{@code
     * BlockSolver.withPerRowDefaults("lm", Map.of());                      // {jac_scaling=0.5}
     * BlockSolver.withPerRowDefaults("lm", Map.of("jac_scaling", 1.0));    // {jac_scaling=1.0}: given wins
     * }</pre>
     */
    public static Map<String, Double> withPerRowDefaults(String optimizer, Map<String, Double> args) {
        if (!LevenbergMarquardt.NAME.equals(optimizer) || args.containsKey(LevenbergMarquardt.JAC_SCALING)) return args;
        Map<String, Double> m = new LinkedHashMap<>(args);
        m.put(LevenbergMarquardt.JAC_SCALING, LevenbergMarquardt.PER_ROW_JAC_SCALING);
        return m;
    }

    Expression cost() { return cost; }
    List<Expression> residuals() { return residuals; }
    List<VariableSpec> variables() { return variables; }
    Map<String, Integer> inputSizes() { return inputSizes; }
    String optimizer() { return optimizer; }
    Map<String, Double> optimizerArgs() { return optimizerArgs; }
    Map<String, Arguments.Range> argumentRanges() { return argumentRanges; }
    SolverSettings settings() { return settings; }
    DType dtype() { return dtype; }

    /** Hyper-parameters for the given lanes: fixed ones uniform, per-lane ones restricted to the lanes. */
    Map<String, Hyper> hypers(Map<String, double[]> perLaneArgs, int[] lanes) {
        Map<String, Hyper> h = new LinkedHashMap<>();
        optimizerArgs.forEach((k, v) -> h.put(k, Hyper.of(v)));
        perLaneArgs.forEach((k, all) -> {
            double[] mine = new double[lanes.length];
            for (int i = 0; i < lanes.length; i++) mine[i] = all[lanes[i]];
            h.put(k, Hyper.perLane(mine));
        });
        return h;
    }

    /** Compiles the cost over the given bindings. */
    tapeline.engine.tape.Tensor compile(Map<String, tapeline.engine.tape.Tensor[]> bindings) {
        return Compiler.compile(cost, bindings);
    }

    /** Compiles every residual over the given bindings: all their components, in order. */
    tapeline.engine.tape.Tensor[] compileResiduals(Map<String, tapeline.engine.tape.Tensor[]> bindings) {
        List<tapeline.engine.tape.Tensor> all = new ArrayList<>();
        for (Expression r : residuals) all.addAll(List.of(Compiler.compileVector(r, bindings)));
        return all.toArray(new tapeline.engine.tape.Tensor[0]);
    }
}
