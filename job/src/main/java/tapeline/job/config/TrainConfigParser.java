package tapeline.job.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tapeline.engine.expr.Expr;
import tapeline.engine.expr.Expression;
import tapeline.engine.expr.ExpressionException;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.Regularizer;

/**
 * Turns raw key/value pairs into a {@link TrainConfig}, reporting every problem at once. The keys
 * shared with the sweep (variables, optimizer, dtype, input, output, spark) are read the same way and
 * give the same messages; the sweep's {@code cost} is {@code loss} here.
 */
final class TrainConfigParser {

    static final List<String> FIXED_KEYS = List.of(
            "job", "loss", "variables", "reduce", "optimizer", "steps", "tolerance.grad", "tolerance.loss",
            "batch.fraction", "batch.seed", "checkpoint.path", "checkpoint.every", "resume", "dtype",
            "input.path", "input.format", "input.table", "output.path", "output.format", "output.mode",
            "output.table", "output.partitionBy", "bad.rows",
            "block.size", "partitions", "aggregation.depth", "app.name", "max.invalid", "regularization", "engine.codegen",
            "residuals", "tolerance.step", "stderr", "cost.kind");

    /** The value of each key left unset (the run record's effective config). */
    static final Map<String, String> DEFAULTS = ConfigValues.ordered("job", "train", "reduce", "mean",
            "optimizer", "adam", "steps", "100", "tolerance.grad", "0", "tolerance.loss", "0", "batch.fraction", "1",
            "batch.seed", "0", "checkpoint.every", "0", "resume", "false", "dtype", "float64", "output.format", "parquet",
            "output.mode", "error", "bad.rows", "fatal", "block.size", "4096", "partitions", "0",
            "aggregation.depth", "2", "app.name", "tapeline train", "engine.codegen", "true", "tolerance.step", "0",
            "stderr", "false");

    static final int DEFAULT_STEPS = 100;
    static final int DEFAULT_BLOCK_SIZE = 4096;
    static final int MAX_BLOCK_SIZE = 1 << 20;

    private final ConfigValues values;
    private final Map<String, String> raw;
    private final List<String> problems;

    private TrainConfigParser(Map<String, String> raw, List<String> problems) {
        this.values = new ConfigValues(raw, problems);
        this.raw = values.raw();
        this.problems = problems;
    }

    static TrainConfig parse(Map<String, String> raw, List<String> earlierProblems) throws ConfigException {
        return new TrainConfigParser(raw, earlierProblems).parse();
    }

    private TrainConfig parse() throws ConfigException {
        List<VariableSpec> variables = parseVariables();
        List<Expression> residuals = parseResiduals(variables);
        Expression loss = residuals.isEmpty() ? parseLoss(variables) : sumOfSquares(residuals);
        Map<String, double[]> init = parseInit(variables);
        Reduce reduce = values.choice("reduce", "mean", Map.of("mean", Reduce.MEAN, "sum", Reduce.SUM));
        String optimizer = values.optimizer(TrainConfig.SOLVERS);
        // newton: a damped Newton step from the rows' summed Hessians (every pass sums them too).
        if ("trust".equals(optimizer)) {
            problems.add("optimizer: trust (trust-region Newton) solves one problem per row from its Hessian (the sweep);"
                    + " the train job does not have it: take newton, lbfgs, or a first-order optimizer");
            optimizer = null;
        }
        boolean lm = "lm".equals(optimizer);
        if (lm && residuals.isEmpty() && raw.containsKey("loss")) {
            problems.add("optimizer: lm (Levenberg-Marquardt) needs the loss as residuals (residuals = ...), got loss = '"
                    + raw.get("loss") + "'");
        }
        if (lm && raw.containsKey("regularization")) {
            // The regularization is added once to the whole objective, not per row; lm's model is a sum of
            // squared per-row residuals, so it has no place there (see docs/train.md).
            problems.add("regularization: optimizer lm fits a sum of squared residuals and takes no regularization term;"
                    + " take lbfgs or newton for a regularized fit (residuals work with every optimizer)");
        }
        boolean solver = optimizer != null && TrainConfig.SOLVERS.contains(optimizer);
        List<String> l1Variables = new ArrayList<>();
        Map<String, Double> optimizerArgs = solver ? parseSolverArgs(optimizer, variables, l1Variables)
                : parseOptimizerArgs(optimizer);
        int steps = values.integer("steps", DEFAULT_STEPS, 0, Integer.MAX_VALUE);
        double defaultTol = solver ? TrainConfig.DEFAULT_SOLVER_TOLERANCE : lm ? TrainConfig.DEFAULT_LM_TOLERANCE : 0;
        double gradTol = values.nonNegative("tolerance.grad", defaultTol);
        double lossTol = values.nonNegative("tolerance.loss", defaultTol);
        double stepTol = values.nonNegative("tolerance.step", lm ? TrainConfig.DEFAULT_LM_TOLERANCE : 0);
        if (!lm && raw.containsKey("tolerance.step")) {
            problems.add("tolerance.step: only optimizer lm has a step tolerance (its xtol), got optimizer " + optimizer);
        }
        tapeline.engine.solve.StandardErrors.Kind stderr = parseStandardErrors(residuals);
        double fraction = values.fraction("batch.fraction");
        Expression regularization = parseRegularization(variables);
        long seed = values.longValue("batch.seed", 0);
        String checkpointPath = raw.getOrDefault("checkpoint.path", "");
        int checkpointEvery = values.integer("checkpoint.every", 0, 0, Integer.MAX_VALUE);
        Boolean resume = values.choice("resume", "false", Map.of("true", true, "false", false));
        if (checkpointPath.isEmpty()) {
            checkpointPath = null;
            if (checkpointEvery > 0) {
                problems.add("checkpoint.every: is " + checkpointEvery + " but checkpoint.path is not set; set it to a directory");
            }
            if (Boolean.TRUE.equals(resume)) {
                problems.add("resume: is true but checkpoint.path is not set: there is nothing to resume from");
            }
        }
        DType dtype = values.choice("dtype", "float64", Map.of("float64", DType.FLOAT64, "float32", DType.FLOAT32));
        if (lm && fraction < 1) {
            problems.add("batch.fraction: optimizer = lm needs the full batch (its ratio test compares the sum of squares"
                    + " at two points), got " + fraction);
        }
        if (solver && fraction < 1) {
            problems.add("batch.fraction: optimizer = " + optimizer + " needs the full batch (its line search compares"
                    + " the objective at several points), got " + fraction);
        }
        if (solver && dtype == DType.FLOAT32) {
            problems.add("dtype: optimizer = " + optimizer + " computes in float64 (as MLlib); use dtype = float64");
        }
        InputSpec input = values.input();
        OutputSpec output = values.output(false);
        TrainConfig.BadRows badRows = values.choice("bad.rows", "fatal",
                Map.of("fatal", TrainConfig.BadRows.FATAL, "skip", TrainConfig.BadRows.SKIP));
        int blockSize = values.integer("block.size", DEFAULT_BLOCK_SIZE, 1, MAX_BLOCK_SIZE);
        int partitions = values.integer("partitions", 0, 0, 1 << 20);
        int depth = values.integer("aggregation.depth", 2, 1, 10);
        String appName = values.appName("tapeline train");
        Boolean codegen = values.choice("engine.codegen", "true", Map.of("true", true, "false", false));
        Map<String, String> spark = values.sparkKeys();
        checkUnknownKeys(variables, optimizer);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new TrainConfig(loss, variables, init, reduce, optimizer, optimizerArgs, steps, gradTol, lossTol,
                fraction, seed, checkpointPath, checkpointEvery, resume, dtype, input, output, badRows, blockSize,
                partitions, depth, appName, spark, regularization, solver && "owlqn".equals(optimizer) && !l1Variables.isEmpty()
                        ? l1Variables : null, !Boolean.FALSE.equals(codegen), residuals, stepTol, stderr);
    }

    /**
     * {@code residuals}: one row's residuals, a comma-separated list of scalar or vector expressions
     * (the sweep's syntax); empty when the key is absent. With {@code loss} (or {@code cost}) it is a
     * problem naming both keys.
     */
    private List<Expression> parseResiduals(List<VariableSpec> variables) {
        String text = raw.get("residuals");
        if (text == null) return List.of();
        for (String other : List.of("loss", "cost")) {
            if (raw.containsKey(other)) {
                problems.add(other + " and residuals are both given: give one (residuals makes one row's loss the sum of"
                        + " their squares)");
                return List.of();
            }
        }
        return ConfigValues.residualList(text, variables, problems);
    }

    /** One row's loss the residuals stand for, {@code sum((r1)^2) + sum((r2)^2) + ...}. */
    private static Expression sumOfSquares(List<Expression> residuals) {
        StringBuilder b = new StringBuilder();
        for (Expression r : residuals) {
            if (b.length() > 0) b.append(" + ");
            b.append("sum((").append(r.source().trim()).append(")^2)");
        }
        return Expression.parse("residuals", b.toString());
    }

    /**
     * {@code stderr} and {@code cost.kind}: standard errors from the residuals, or from the Hessian of
     * a loss declared a negative log-likelihood; a loss of no declared kind has none to give.
     */
    private tapeline.engine.solve.StandardErrors.Kind parseStandardErrors(List<Expression> residuals) {
        Boolean on = values.choice("stderr", "false", Map.of("true", true, "false", false));
        String kind = raw.get("cost.kind");
        if (kind != null && !kind.trim().equalsIgnoreCase("nll")) {
            problems.add("cost.kind: expected nll (the loss is a negative log-likelihood), got '" + kind + "'");
            return tapeline.engine.solve.StandardErrors.Kind.NONE;
        }
        if (kind != null && raw.containsKey("residuals")) {
            problems.add("cost.kind: residuals make the loss a sum of squares; cost.kind = nll is for a loss = ...");
            return tapeline.engine.solve.StandardErrors.Kind.NONE;
        }
        if (!Boolean.TRUE.equals(on)) return tapeline.engine.solve.StandardErrors.Kind.NONE;
        if (raw.containsKey("residuals")) return tapeline.engine.solve.StandardErrors.Kind.RESIDUALS;
        if (kind != null) return tapeline.engine.solve.StandardErrors.Kind.NLL;
        problems.add("stderr: standard errors need the loss as residuals (residuals = ...), or a loss declared a"
                + " negative log-likelihood (cost.kind = nll)");
        return tapeline.engine.solve.StandardErrors.Kind.NONE;
    }

    private List<VariableSpec> parseVariables() {
        return ConfigParts.variables(values.required("variables"), problems);
    }

    private Expression parseLoss(List<VariableSpec> variables) {
        return ConfigParts.expression("loss", values.required("loss"), variables, problems);
    }

    /** {@code init.w = 0.5} (every component) or {@code init.w = 0.5, 1, -2} (one per component). */
    private Map<String, double[]> parseInit(List<VariableSpec> variables) {
        Map<String, double[]> init = new LinkedHashMap<>();
        for (VariableSpec v : variables) {
            String key = ConfigValues.INIT + v.name();
            String text = raw.get(key);
            if (text == null) {
                continue;
            }
            String[] parts = text.split(",", -1);
            if (parts.length != 1 && parts.length != v.size()) {
                problems.add(key + ": expected 1 number or " + v.size() + " (one per component of " + v
                        + "), got " + parts.length + ": '" + text + "'");
                continue;
            }
            double[] values = new double[parts.length];
            boolean ok = true;
            for (int i = 0; i < parts.length; i++) {
                String p = parts[i].trim();
                if (ConfigValues.isNumber(p) && Double.isFinite(Double.parseDouble(p))) {
                    values[i] = Double.parseDouble(p);
                } else {
                    problems.add(key + ": expected finite numbers (the train job's start values are the same for"
                            + " every row, so not a column), got '" + p + "'");
                    ok = false;
                    break;
                }
            }
            if (ok) {
                init.put(v.name(), values);
            }
        }
        return init;
    }

    private Map<String, Double> parseOptimizerArgs(String optimizer) {
        Map<String, Double> args = new LinkedHashMap<>();
        if (optimizer == null) {
            return args;
        }
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (!e.getKey().startsWith(ConfigValues.OPTIMIZER_ARG)) {
                continue;
            }
            String arg = values.optimizerArgument(e.getKey(), optimizer);
            if (arg == null) {
                continue;
            }
            String v = e.getValue();
            switch (v.toLowerCase(Locale.ROOT)) {
                case "true" -> args.put(arg, 1.0);
                case "false" -> args.put(arg, 0.0);
                default -> {
                    if (ConfigValues.isNumber(v) && Double.isFinite(Double.parseDouble(v))) {
                        args.put(arg, Double.parseDouble(v));
                    } else {
                        problems.add(e.getKey() + ": expected a finite number (the train job has one optimizer,"
                                + " so not a column), got '" + v + "'");
                    }
                }
            }
        }
        try {
            Optimizers.validate(optimizer, args);
        } catch (IllegalArgumentException ex) {
            problems.add(ex.getMessage());
        }
        return args;
    }

    /**
     * {@code optimizer.memory} (lbfgs, owlqn), {@code optimizer.l1} and {@code optimizer.l1_variables}
     * (owlqn); the variables named by the last go to {@code l1Variables}.
     */
    private Map<String, Double> parseSolverArgs(String optimizer, List<VariableSpec> variables, List<String> l1Variables) {
        Map<String, Double> args = new LinkedHashMap<>();
        args.put("memory", (double) values.integer("optimizer.memory", TrainConfig.DEFAULT_MEMORY, 1, 1000));
        Set<String> known = optimizer.equals("owlqn") ? Set.of("memory", "l1", "l1_variables") : Set.of("memory");
        for (String key : raw.keySet()) {
            if (!key.startsWith(ConfigValues.OPTIMIZER_ARG)) continue;
            String arg = key.substring(ConfigValues.OPTIMIZER_ARG.length());
            if (!known.contains(arg)) {
                problems.add(key + ": " + optimizer + " has no argument '" + arg + "'" + ConfigValues.didYouMean(arg, known)
                        + "; it takes " + new java.util.TreeSet<>(known));
            }
        }
        if (optimizer.equals("owlqn")) {
            args.put("l1", values.number("optimizer.l1", 0, d -> d >= 0 && Double.isFinite(d), "a number >= 0"));
            String list = raw.get("optimizer.l1_variables");
            if (list != null) {
                Set<String> names = new LinkedHashSet<>();
                variables.forEach(v -> names.add(v.name()));
                for (String part : list.split(",", -1)) {
                    String name = part.trim();
                    if (names.contains(name)) {
                        l1Variables.add(name);
                    } else {
                        problems.add("optimizer.l1_variables: '" + name + "' is not a variable" + ConfigValues.didYouMean(name, names)
                                + "; variables are " + names);
                    }
                }
            }
        }
        return args;
    }

    /** {@code regularization}: an expression over the variables only; a data column in it is an error naming its position. */
    private Expression parseRegularization(List<VariableSpec> variables) {
        String text = raw.get("regularization");
        if (text == null || text.isEmpty()) {
            return null;
        }
        Expression e;
        try {
            e = Expression.parse("regularization", text);
        } catch (ExpressionException ex) {
            problems.add(ex.getMessage());
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        variables.forEach(v -> names.add(v.name()));
        boolean ok = true;
        for (String name : e.names()) {
            if (!names.contains(name)) {
                problems.add(e.errorAt(Math.max(0, position(e.root(), name)), "'" + name + "' is not a variable: a regularization reads"
                        + " only the variables " + names + ", never a data column").getMessage());
                ok = false;
            }
        }
        if (ok && !variables.isEmpty()) {
            try {
                new Regularizer(e, variables, DType.FLOAT64); // sizes, a non-scalar value
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
                ok = false;
            }
        }
        return ok ? e : null;
    }

    /** The position of the first use of {@code name} in the tree, or -1. */
    private static int position(Expr node, String name) {
        List<Expr> children;
        if (node instanceof Expr.Name n) {
            return n.name().equals(name) ? n.pos() : -1;
        } else if (node instanceof Expr.Index i) {
            children = List.of(i.target());
        } else if (node instanceof Expr.Unary u) {
            children = List.of(u.operand());
        } else if (node instanceof Expr.Binary b) {
            children = List.of(b.left(), b.right());
        } else if (node instanceof Expr.Call c) {
            children = c.args();
        } else {
            children = List.of();
        }
        for (Expr c : children) {
            int p = position(c, name);
            if (p >= 0) return p;
        }
        return -1;
    }

    private void checkUnknownKeys(List<VariableSpec> variables, String optimizer) {
        Set<String> candidates = new LinkedHashSet<>(FIXED_KEYS);
        variables.forEach(v -> candidates.add(ConfigValues.INIT + v.name()));
        for (String k : raw.keySet()) {
            if (candidates.contains(k) || ConfigValues.isPassedOn(k) || k.startsWith(ConfigValues.OPTIMIZER_ARG)) {
                continue;
            }
            if (k.equals("cost")) {
                if (!raw.containsKey("residuals")) problems.add("cost: the train job calls one row's expression 'loss'; rename the key");
            } else if (SweepConfigParser.FIXED_KEYS.contains(k)) {
                problems.add(k + ": a key of the sweep job, not of job=train");
            } else if (k.startsWith(ConfigValues.INIT)) {
                problems.add(k + ": no variable named '" + k.substring(ConfigValues.INIT.length()) + "'"
                        + ConfigValues.didYouMean(k, candidates) + "; variables are " + variables.stream().map(VariableSpec::name).toList());
            } else {
                problems.add("unknown key '" + k + "'" + ConfigValues.didYouMean(k, candidates));
            }
        }
    }
}
