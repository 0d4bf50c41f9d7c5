package tapeline.job.config;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.StandardErrors;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * Turns raw key/value pairs into a {@link SweepConfig}. Never stops at the first problem: each key is
 * checked on its own and all problems are thrown together, so a user fixes a config in one round.
 */
final class SweepConfigParser {

    /** The keys without a variable part, in the order README lists them. */
    static final List<String> FIXED_KEYS = List.of(
            "job", "cost", "residuals", "variables", "optimizer", "steps", "tolerance.grad", "tolerance.step",
            "tolerance.cost", "stderr", "cost.kind", "dtype",
            "input.path", "input.format", "input.table", "output.path", "output.format", "output.mode",
            "output.table", "output.partitionBy",
            "block.size", "app.name", "show.rows", "max.invalid", "engine.codegen", "verdict");

    /** The value of each key left unset (the run record's effective config). */
    static final Map<String, String> DEFAULTS = ConfigValues.ordered("job", "sweep", "optimizer", "adam", "steps", "1000",
            "tolerance.grad", "0", "tolerance.step", "0", "tolerance.cost", "0", "dtype", "float64", "output.format", "parquet",
            "output.mode", "error", "block.size", "1024", "app.name", "tapeline sweep", "show.rows", "20",
            "engine.codegen", "true", "verdict", "false", "stderr", "false");

    static final int DEFAULT_STEPS = 1000;
    static final int DEFAULT_BLOCK_SIZE = 1024;
    static final int MAX_BLOCK_SIZE = 1 << 20;
    static final int DEFAULT_SHOW_ROWS = 20;

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final ConfigValues values;
    private final Map<String, String> raw;
    private final List<String> problems;

    private SweepConfigParser(Map<String, String> raw, List<String> problems) {
        this.values = new ConfigValues(raw, problems);
        this.raw = values.raw();
        this.problems = problems;
    }

    static SweepConfig parse(Map<String, String> raw, List<String> earlierProblems) throws ConfigException {
        return new SweepConfigParser(raw, earlierProblems).parse();
    }

    private SweepConfig parse() throws ConfigException {
        JobKind job = parseJob();
        List<VariableSpec> variables = parseVariables();
        List<Expression> residuals = parseResiduals(variables);
        Expression cost = residuals.isEmpty() ? parseCost(variables) : sumOfSquares(residuals);
        String optimizer = values.optimizer();
        if ("lm".equals(optimizer) && raw.containsKey("cost") && !raw.containsKey("residuals")) {
            problems.add("optimizer: lm (Levenberg-Marquardt) needs the cost as residuals (residuals = ...), got cost = '"
                    + raw.get("cost") + "'");
        }
        Map<String, Operand> optimizerArgs = parseOptimizerArgs(optimizer);
        Map<String, Operand> init = parseInit(variables);
        int steps = values.integer("steps", DEFAULT_STEPS, 1, Integer.MAX_VALUE);
        double gradTol = values.nonNegative("tolerance.grad");
        double stepTol = values.nonNegative("tolerance.step");
        double costTol = values.nonNegative("tolerance.cost");
        Boolean verdict = values.choice("verdict", "false", Map.of("true", true, "false", false));
        StandardErrors.Kind stderr = parseStandardErrors(residuals);
        DType dtype = parseDType();
        InputSpec input = values.input();
        OutputSpec output = values.output(true);
        int blockSize = values.integer("block.size", DEFAULT_BLOCK_SIZE, 1, MAX_BLOCK_SIZE);
        int showRows = values.integer("show.rows", DEFAULT_SHOW_ROWS, 0, Integer.MAX_VALUE);
        Boolean codegen = values.choice("engine.codegen", "true", Map.of("true", true, "false", false));
        String appName = values.appName("tapeline " + (job == null ? "job" : job.name().toLowerCase(Locale.ROOT)));
        Map<String, String> spark = values.sparkKeys();
        checkUnknownKeys(variables, optimizer);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new SweepConfig(job, cost, variables, init, optimizer, optimizerArgs,
                new SolverSettings(steps, gradTol, stepTol, Boolean.TRUE.equals(verdict), costTol), residuals, stderr, dtype, input, output, blockSize, appName, showRows, spark,
                !Boolean.FALSE.equals(codegen));
    }

    private JobKind parseJob() {
        String v = raw.getOrDefault("job", "sweep");
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "sweep" -> JobKind.SWEEP;
            case "train" -> {
                problems.add("job: 'train' configs are read by TrainConfig (Main sends them there), not by the sweep's SweepConfig");
                yield null;
            }
            default -> {
                problems.add("job: expected sweep, got '" + v + "'");
                yield null;
            }
        };
    }

    private List<VariableSpec> parseVariables() {
        return ConfigParts.variables(values.required("variables"), problems);
    }

    /**
     * {@code residuals}: one vector expression or a comma-separated list of them; empty when the key
     * is absent. Given together with {@code cost} it is a problem (which one is the cost?).
     */
    private List<Expression> parseResiduals(List<VariableSpec> variables) {
        String text = raw.get("residuals");
        if (text == null) return List.of();
        if (raw.containsKey("cost")) {
            problems.add("cost and residuals are both given: give one (residuals makes the cost the sum of their squares)");
            return List.of();
        }
        return ConfigValues.residualList(text, variables, problems);
    }

    /**
     * {@code stderr} and {@code cost.kind}: standard errors from the residuals, or from the Hessian of
     * a cost declared a negative log-likelihood; a cost of no declared kind has none to give.
     */
    private StandardErrors.Kind parseStandardErrors(List<Expression> residuals) {
        Boolean on = values.choice("stderr", "false", Map.of("true", true, "false", false));
        String kind = raw.get("cost.kind");
        if (kind != null && !kind.equalsIgnoreCase("nll")) {
            problems.add("cost.kind: expected nll (the cost is a negative log-likelihood), got '" + kind + "'");
            return StandardErrors.Kind.NONE;
        }
        if (kind != null && raw.containsKey("residuals")) {
            problems.add("cost.kind: residuals make the cost a sum of squares; cost.kind = nll is for a cost = ...");
            return StandardErrors.Kind.NONE;
        }
        if (!Boolean.TRUE.equals(on)) return StandardErrors.Kind.NONE;
        if (raw.containsKey("residuals")) return StandardErrors.Kind.RESIDUALS;
        if (kind != null) return StandardErrors.Kind.NLL;
        problems.add("stderr: standard errors need the cost as residuals (residuals = ...), or a cost declared a"
                + " negative log-likelihood (cost.kind = nll)");
        return StandardErrors.Kind.NONE;
    }

    /** The cost the residuals stand for, {@code sum((r1)^2) + sum((r2)^2) + ...}: what the input's columns are bound by. */
    private static Expression sumOfSquares(List<Expression> residuals) {
        StringBuilder b = new StringBuilder();
        for (Expression r : residuals) {
            if (b.length() > 0) b.append(" + ");
            b.append("sum((").append(r.source().trim()).append(")^2)");
        }
        return Expression.parse("residuals", b.toString());
    }

    private Expression parseCost(List<VariableSpec> variables) {
        return ConfigParts.expression("cost", values.required("cost"), variables, problems);
    }

    private Map<String, Operand> parseOptimizerArgs(String optimizer) {
        Map<String, Operand> args = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (!e.getKey().startsWith(ConfigValues.OPTIMIZER_ARG) || optimizer == null) {
                continue;
            }
            String arg = values.optimizerArgument(e.getKey(), optimizer);
            if (arg == null) {
                continue;
            }
            String v = e.getValue();
            switch (v.toLowerCase(Locale.ROOT)) {
                // Keras booleans (amsgrad, nesterov) are 1/0 in the engine.
                case "true" -> args.put(arg, new Operand.Constant(1));
                case "false" -> args.put(arg, new Operand.Constant(0));
                default -> operand(e.getKey(), v).ifPresent(o -> args.put(arg, o));
            }
        }
        Map<String, Double> fixed = new LinkedHashMap<>();
        args.forEach((k, v) -> {
            if (v instanceof Operand.Constant c) {
                fixed.put(k, c.value());
            }
        });
        if (optimizer != null) {
            try {
                Optimizers.validate(optimizer, fixed);
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
            }
        }
        return args;
    }

    private Map<String, Operand> parseInit(List<VariableSpec> variables) {
        Map<String, Operand> init = new LinkedHashMap<>();
        for (VariableSpec v : variables) {
            String key = ConfigValues.INIT + v.name();
            if (raw.containsKey(key)) {
                operand(key, raw.get(key)).ifPresent(o -> init.put(v.name(), o));
            }
        }
        return init;
    }

    private DType parseDType() {
        String v = raw.getOrDefault("dtype", "float64");
        try {
            return DType.parse(v.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problems.add("dtype: expected float64 or float32, got '" + v + "'");
            return null;
        }
    }

    private void checkUnknownKeys(List<VariableSpec> variables, String optimizer) {
        Set<String> candidates = new LinkedHashSet<>(FIXED_KEYS);
        variables.forEach(v -> candidates.add(ConfigValues.INIT + v.name()));
        if (optimizer != null) {
            Optimizers.arguments(optimizer).forEach(a -> candidates.add(ConfigValues.OPTIMIZER_ARG + a));
        }
        for (String k : raw.keySet()) {
            if (candidates.contains(k) || ConfigValues.isPassedOn(k)) {
                continue;
            }
            if (k.startsWith(ConfigValues.OPTIMIZER_ARG)) {
                continue; // already reported with the optimizer's argument list
            }
            if (k.startsWith(ConfigValues.INIT)) {
                problems.add(k + ": no variable named '" + k.substring(ConfigValues.INIT.length()) + "'"
                        + ConfigValues.didYouMean(k, candidates) + "; variables are "
                        + variables.stream().map(VariableSpec::name).toList());
                continue;
            }
            problems.add("unknown key '" + k + "'" + ConfigValues.didYouMean(k, candidates));
        }
    }

    // ---- values ----

    /** A finite number, or else a column name; anything else is a problem naming the key. */
    private Optional<Operand> operand(String key, String v) {
        if (ConfigValues.isNumber(v)) {
            double d = Double.parseDouble(v);
            if (Double.isFinite(d)) {
                return Optional.of(new Operand.Constant(d));
            }
        } else if (IDENTIFIER.matcher(v).matches()) {
            return Optional.of(new Operand.Column(v));
        }
        problems.add(key + ": expected a finite number or a column name, got '" + v + "'");
        return Optional.empty();
    }
}
