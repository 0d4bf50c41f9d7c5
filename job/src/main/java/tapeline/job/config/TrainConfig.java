package tapeline.job.config;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;

/**
 * A train job's configuration ({@code job = train}), validated: shared parameters fitted to the
 * input's rows. Every problem is reported at once ({@link ConfigException}), as for the sweep.
 *
 * <pre>{@code
 * TrainConfig c = TrainConfig.load(Path.of("conf/train-linear.properties"), List.of("steps=50"));
 * c.loss().source();    // "(y - (b + dot(w, x)))^2"
 * c.steps();            // 50
 * }</pre>
 *
 * @param loss             {@code loss}: one row's loss
 * @param variables        {@code variables}: the parameters ({@code b, w[5]})
 * @param init             {@code init.<variable>}: start values, one number per component (a single number is
 *                         used for every component); a variable not listed starts at 0
 * @param reduce           {@code reduce}: the objective is the {@code mean} (default) or {@code sum} of the rows' losses
 * @param optimizer        {@code optimizer}: a name from {@code Optimizers.names()} (default adam), or {@code lbfgs}, {@code owlqn}
 * @param optimizerArgs    {@code optimizer.<argument>}: numbers (Keras names; booleans 1/0; lbfgs: {@code memory}; owlqn: {@code memory}, {@code l1})
 * @param steps            {@code steps}: optimizer steps at most (default 100)
 * @param gradTolerance    {@code tolerance.grad}: stop when the gradient norm is at most this (0: off; lbfgs, owlqn:
 *                         relative, as MLlib's tol, default 1e-6)
 * @param lossTolerance    {@code tolerance.loss}: stop when the loss changed by at most this in one step (0: off; lbfgs,
 *                         owlqn: relative, over the last 20 steps, as MLlib's tol, default 1e-6)
 * @param batchFraction    {@code batch.fraction}: share of rows in each step's mini-batch, (0, 1] (default 1: full batch)
 * @param batchSeed        {@code batch.seed}: the mini-batch draw's seed
 * @param checkpointPath   {@code checkpoint.path}: a directory on any Hadoop FileSystem, or null
 * @param checkpointEvery  {@code checkpoint.every}: write a checkpoint every this many steps (0: never)
 * @param resume           {@code resume}: continue from the newest checkpoint in {@code checkpoint.path}
 * @param dtype            {@code dtype}
 * @param input            {@code input.path}, {@code input.format}
 * @param output           {@code output.path} (a directory: params, history, loss.png), {@code output.format}, {@code output.mode}
 * @param badRows          {@code bad.rows}: {@code fatal} (default) or {@code skip}
 * @param blockSize        {@code block.size}: rows evaluated together on one tape (default 4096)
 * @param partitions       {@code partitions}: repartition the cached rows into this many (0: as read, rounded up to a multiple of the parallelism)
 * @param aggregationDepth {@code aggregation.depth}: the treeAggregate depth (default 2)
 * @param appName          {@code app.name}
 * @param spark            every {@code spark.*} key
 * @param regularization   {@code regularization}: a term over the variables added to the objective, or null
 * @param l1Variables      {@code optimizer.l1_variables} (owlqn): the variables the L1 term covers
 *                         (default, and for every other optimizer: every variable)
 * @param codegen          {@code engine.codegen}: the gradient pass compiled to Java (true, the default; the same
 *                         bits) or always the tape's interpreter
 * @param residuals        {@code residuals}: one row's residuals (then {@code loss} is the sum of their squares), or empty
 * @param stepTolerance    {@code tolerance.step}: lm's xtol (0: off; default 1e-8 with lm)
 * @param stderr           {@code stderr}, {@code cost.kind}: which standard errors the fit gets (NONE, RESIDUALS, NLL)
 */
public record TrainConfig(
        Expression loss,
        List<VariableSpec> variables,
        Map<String, double[]> init,
        Reduce reduce,
        String optimizer,
        Map<String, Double> optimizerArgs,
        int steps,
        double gradTolerance,
        double lossTolerance,
        double batchFraction,
        long batchSeed,
        String checkpointPath,
        int checkpointEvery,
        boolean resume,
        DType dtype,
        InputSpec input,
        OutputSpec output,
        BadRows badRows,
        int blockSize,
        int partitions,
        int aggregationDepth,
        String appName,
        Map<String, String> spark,
        Expression regularization,
        List<String> l1Variables,
        boolean codegen,
        List<Expression> residuals,
        double stepTolerance,
        tapeline.engine.solve.StandardErrors.Kind stderr) implements Serializable, CommonConfig {

    /** The driver-side solvers (not Keras optimizers): each evaluation of the objective is one gradient pass. */
    public static final java.util.Set<String> SOLVERS = java.util.Set.of("lbfgs", "owlqn");
    /** {@code optimizer.memory}'s default: MLlib's. */
    public static final int DEFAULT_MEMORY = 10;
    /** The tolerances' default for lbfgs and owlqn: MLlib's {@code tol}. */
    public static final double DEFAULT_SOLVER_TOLERANCE = 1e-6;
    /** {@code tolerance.loss}, {@code .step} and {@code .grad}'s default for lm (ftol, xtol, gtol): scipy's {@code least_squares}. */
    public static final double DEFAULT_LM_TOLERANCE = 1e-8;

    /** What to do with a row that has a missing, non-numeric or non-finite cell. */
    public enum BadRows {
        /** Stop before training, showing the first bad rows (exit 2, nothing written). */
        FATAL,
        /** Leave them out, and say how many. */
        SKIP
    }

    public TrainConfig {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(reduce, "reduce");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(badRows, "badRows");
        variables = List.copyOf(variables);
        Map<String, double[]> i = new LinkedHashMap<>();
        init.forEach((k, v) -> i.put(k, v.clone()));
        init = Collections.unmodifiableMap(i);
        optimizerArgs = Collections.unmodifiableMap(new LinkedHashMap<>(optimizerArgs));
        spark = Collections.unmodifiableMap(new LinkedHashMap<>(spark));
        l1Variables = l1Variables == null ? variables.stream().map(VariableSpec::name).toList() : List.copyOf(l1Variables);
        residuals = residuals == null ? List.of() : List.copyOf(residuals);
        if (stderr == null) stderr = tapeline.engine.solve.StandardErrors.Kind.NONE;
    }

    /** Whether the optimizer is Levenberg-Marquardt ({@code optimizer = lm}, with {@code residuals}). */
    public boolean usesLm() {
        return "lm".equals(optimizer);
    }

    /** Whether the optimizer is L-BFGS or OWL-QN. */
    public boolean usesSolver() {
        return SOLVERS.contains(optimizer);
    }

    /** Per parameter component, whether the L1 term covers it ({@link #l1Variables}). */
    public boolean[] l1Mask() {
        boolean[] m = new boolean[initialParameters().length];
        int slot = 0;
        for (VariableSpec v : variables) {
            boolean on = l1Variables.contains(v.name());
            for (int c = 0; c < v.size(); c++) m[slot++] = on;
        }
        return m;
    }

    /** Reads a properties file plus {@code key=value} overrides, as {@link SweepConfig#load}. */
    public static TrainConfig load(Path file, List<String> overrides) throws ConfigException {
        List<String> problems = new ArrayList<>();
        Map<String, String> raw = ConfigFile.read(file, overrides, problems);
        return TrainConfigParser.parse(raw, problems);
    }

    /** Parses already-merged key/value pairs. */
    public static TrainConfig parse(Map<String, String> raw) throws ConfigException {
        return TrainConfigParser.parse(raw, new ArrayList<>());
    }

    /** As {@link #parse(Map)}, reporting {@code earlierProblems} (malformed overrides) with this config's. */
    public static TrainConfig parse(Map<String, String> raw, List<String> earlierProblems) throws ConfigException {
        return TrainConfigParser.parse(raw, earlierProblems);
    }

    /** The start values of all parameter components, in order (0 where not given). */
    public double[] initialParameters() {
        int n = 0;
        for (VariableSpec v : variables) n += v.size();
        double[] p = new double[n];
        int slot = 0;
        for (VariableSpec v : variables) {
            double[] given = init.get(v.name());
            for (int c = 0; c < v.size(); c++, slot++) {
                p[slot] = given == null ? 0 : given.length == 1 ? given[0] : given[c];
            }
        }
        return p;
    }

    /** The keys without a variable part ({@code init.*} and {@code optimizer.*} aside), as the parser knows them. */
    public static List<String> fixedKeys() {
        return TrainConfigParser.FIXED_KEYS;
    }

    /** The value of each key left unset, for the run record's effective config. */
    public static Map<String, String> defaults() {
        return TrainConfigParser.DEFAULTS;
    }

    /**
     * {@link #defaults()} for this config's optimizer: a Keras optimizer's arguments at Keras's
     * defaults ({@code optimizer.beta_1 = 0.9}); lbfgs and owlqn have MLlib's tolerances and memory.
     */
    public Map<String, String> effectiveDefaults() {
        Map<String, String> d = new LinkedHashMap<>(defaults());
        if (usesLm()) {
            d.putAll(ConfigValues.optimizerDefaults(optimizer));
            d.remove("optimizer.learning_rate"); // lm takes none: its step comes from the trust region
            for (String t : List.of("tolerance.grad", "tolerance.loss", "tolerance.step")) d.put(t, String.valueOf(DEFAULT_LM_TOLERANCE));
            return Collections.unmodifiableMap(d);
        }
        if (!usesSolver()) {
            d.putAll(ConfigValues.optimizerDefaults(optimizer));
            return Collections.unmodifiableMap(d);
        }
        d.put("tolerance.grad", String.valueOf(DEFAULT_SOLVER_TOLERANCE));
        d.put("tolerance.loss", String.valueOf(DEFAULT_SOLVER_TOLERANCE));
        d.put("optimizer.memory", String.valueOf(DEFAULT_MEMORY));
        return Collections.unmodifiableMap(d);
    }
}
