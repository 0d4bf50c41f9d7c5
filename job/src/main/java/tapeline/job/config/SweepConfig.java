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
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.StandardErrors;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * A job's configuration, validated: a properties file plus {@code key=value} overrides, turned into
 * one immutable value before any Spark work. Every problem is reported at once
 * ({@link ConfigException}); unknown keys are problems too, with a "did you mean".
 *
 * <pre>{@code
 * SweepConfig c = SweepConfig.load(Path.of("conf/seed-sweep.properties"), List.of("steps=10"));
 * c.solver().maxSteps();   // 10
 * c.cost().source();       // "x0 * w^2 + x1 * w + x2"
 * }</pre>
 *
 * <p>The keys are listed in README.md ("Config keys"); {@link SweepConfigParser} reads them.
 *
 * @param job           {@code job}: what to run
 * @param cost          {@code cost}: the expression to minimise, parsed
 * @param variables     {@code variables}: what is optimised, in order ({@code w}, {@code b[3]})
 * @param init          {@code init.<variable>}: start values; a variable not listed starts at 0
 * @param optimizer     {@code optimizer}: a name from {@code Optimizers.names()}
 * @param optimizerArgs {@code optimizer.<argument>}: Keras argument names; booleans are 1/0
 * @param solver        {@code steps}, {@code tolerance.grad}, {@code tolerance.step}, {@code tolerance.cost}, {@code verdict}
 * @param residuals     {@code residuals}: the least-squares residuals, or empty when {@code cost} is given (then
 *                      {@code cost} is {@code sum((r1)^2) + ...}, which the input's columns are bound by)
 * @param stderr        {@code stderr}, {@code cost.kind}: which standard errors each solved row gets
 * @param dtype         {@code dtype}
 * @param input         {@code input.path}, {@code input.format}
 * @param output        {@code output.path}, {@code output.format}, {@code output.mode}
 * @param blockSize     {@code block.size}: lanes (rows) the engine solves together
 * @param appName       {@code app.name}: the Spark application name
 * @param showRows      {@code show.rows}: rows of the result shown in the summary (0: none)
 * @param spark         every {@code spark.*} key, passed to Spark as given
 * @param codegen       {@code engine.codegen}: compiled steps (true, the default) or the tape's interpreter
 */
public record SweepConfig(
        JobKind job,
        Expression cost,
        List<VariableSpec> variables,
        Map<String, Operand> init,
        String optimizer,
        Map<String, Operand> optimizerArgs,
        SolverSettings solver,
        List<Expression> residuals,
        StandardErrors.Kind stderr,
        DType dtype,
        InputSpec input,
        OutputSpec output,
        int blockSize,
        String appName,
        int showRows,
        Map<String, String> spark,
        boolean codegen) implements Serializable, CommonConfig {

    public SweepConfig {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(solver, "solver");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(appName, "appName");
        variables = List.copyOf(variables);
        residuals = List.copyOf(residuals);
        // Insertion order is kept (not Map.copyOf) so summaries and plans are deterministic.
        init = Collections.unmodifiableMap(new LinkedHashMap<>(init));
        optimizerArgs = Collections.unmodifiableMap(new LinkedHashMap<>(optimizerArgs));
        spark = Collections.unmodifiableMap(new LinkedHashMap<>(spark));
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        }
        if (showRows < 0) {
            throw new IllegalArgumentException("showRows must be >= 0, got " + showRows);
        }
    }

    /**
     * Reads a properties file (UTF-8) and applies {@code key=value} overrides on top.
     *
     * @throws ConfigException listing every problem: an unreadable file, malformed overrides, bad keys and values
     */
    public static SweepConfig load(Path file, List<String> overrides) throws ConfigException {
        List<String> problems = new ArrayList<>();
        Map<String, String> raw = ConfigFile.read(file, overrides, problems);
        return SweepConfigParser.parse(raw, problems);
    }

    /** Parses already-merged key/value pairs (no file); see {@link #load}. */
    public static SweepConfig parse(Map<String, String> properties) throws ConfigException {
        return SweepConfigParser.parse(properties, new ArrayList<>());
    }

    /** As {@link #parse(Map)}, reporting {@code earlierProblems} (malformed overrides) with this config's. */
    public static SweepConfig parse(Map<String, String> properties, List<String> earlierProblems) throws ConfigException {
        return SweepConfigParser.parse(properties, earlierProblems);
    }

    /** The optimizer arguments that are the same for every row: argument name to value. */
    public Map<String, Double> fixedOptimizerArgs() {
        Map<String, Double> m = new LinkedHashMap<>();
        optimizerArgs.forEach((k, v) -> {
            if (v instanceof Operand.Constant c) {
                m.put(k, c.value());
            }
        });
        return Collections.unmodifiableMap(m);
    }

    /** The index of a variable in {@link #variables()}, or -1. */
    public int variableIndex(String name) {
        for (int i = 0; i < variables.size(); i++) {
            if (variables.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The keys without a variable part ({@code init.*} and {@code optimizer.*} aside), as the parser knows them. */
    public static List<String> fixedKeys() {
        return SweepConfigParser.FIXED_KEYS;
    }

    /** The value of each key left unset, for the run record's effective config. */
    public static Map<String, String> defaults() {
        return SweepConfigParser.DEFAULTS;
    }

    /**
     * {@link #defaults()} and this config's optimizer's arguments at Keras's defaults ({@code optimizer.beta_1 = 0.9}),
     * or at the per-row ones where those differ ({@code optimizer.jac_scaling = 0.5} for lm; see
     * {@link BlockSolver#withPerRowDefaults}).
     */
    public Map<String, String> effectiveDefaults() {
        Map<String, String> d = new LinkedHashMap<>(defaults());
        d.putAll(ConfigValues.optimizerDefaults(optimizer));
        BlockSolver.withPerRowDefaults(optimizer, Map.of())
                .forEach((arg, v) -> d.put(ConfigValues.OPTIMIZER_ARG + arg, ConfigValues.text(v)));
        return Collections.unmodifiableMap(d);
    }
}
