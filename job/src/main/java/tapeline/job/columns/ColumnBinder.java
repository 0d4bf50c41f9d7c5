package tapeline.job.columns;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import tapeline.engine.expr.ExpressionException;
import tapeline.engine.solve.VariableSpec;
import tapeline.job.config.ConfigException;
import tapeline.job.config.SweepConfig;
import tapeline.job.config.Operand;
import tapeline.job.config.Suggest;
import tapeline.job.sweep.SweepPlan;

/**
 * Decides, from the config and the input's columns, where every value the engine needs comes from.
 * No Spark here: the schema arrives as {@link ColumnInfo}s and array lengths through a function.
 *
 * <p>The rule for a name {@code x} of the cost that is not a variable (README, "Binding"):
 * <ol>
 *   <li>a column named {@code x} that holds numbers (or text, checked per cell): a scalar;</li>
 *   <li>a column named {@code x} that holds arrays: a vector, as long as its first non-null array;</li>
 *   <li>columns {@code x0, x1, ..., x{k-1}} (numbered from 0, no gap): a vector of k components;</li>
 *   <li>columns {@code x_0, x_1, ...}: the same (this is how a CSV output writes a vector variable,
 *       so one job's output can start the next);</li>
 *   <li>otherwise an error naming {@code x} and its position in the cost.</li>
 * </ol>
 * Example: cost {@code x0 * w^2 + x1 * w + x2} over columns {@code id,x0,x1,x2} binds three scalars by rule 1;
 * {@code dot(x, w)} over the same columns binds {@code x} to the vector {@code (x0, x1, x2)} by rule 3.
 */
public final class ColumnBinder {

    /** Output columns the sweep adds after the variables. */
    public static final List<String> RESULT_COLUMNS = List.of("cost", "grad_norm", "steps", "status", "error");

    private final SweepConfig config;
    private final List<ColumnInfo> columns;
    private final Map<String, Integer> index = new HashMap<>();
    private final ToIntFunction<String> arrayLength;
    private final Function<String, String> csvText;
    private final List<String> problems = new ArrayList<>();

    private ColumnBinder(SweepConfig config, List<ColumnInfo> columns, ToIntFunction<String> arrayLength,
                         Function<String, String> csvText) {
        this.config = config;
        this.columns = List.copyOf(columns);
        for (int i = 0; i < columns.size(); i++) {
            index.putIfAbsent(columns.get(i).name(), i);
        }
        this.arrayLength = arrayLength;
        this.csvText = csvText;
    }

    /** No look at a CSV's text: for inputs that are not CSV files. */
    public static final Function<String, String> NOT_CSV = name -> null;

    /**
     * Binds every name; reports every problem at once.
     *
     * @param arrayLength the length of the arrays in an array column (read from its first non-null row),
     *                    or -1 when it has none; asked only for array columns the cost uses
     * @throws ConfigException naming each unbound name (with its position in the cost), column type or clash
     */
    public static SweepPlan bind(SweepConfig config, List<ColumnInfo> columns, ToIntFunction<String> arrayLength)
            throws ConfigException {
        return bind(config, columns, arrayLength, NOT_CSV);
    }

    /**
     * As {@link #bind(SweepConfig, List, ToIntFunction)}, for a CSV file: a text column the cost reads
     * whose first value looks like an array ({@code [1.0, 2.0]}) is a problem naming it, since CSV has
     * no arrays (every row would be INVALID with {@code not a number}).
     *
     * @param csvText the first non-null value of a text column, or null; asked only for text columns the cost uses
     */
    public static SweepPlan bind(SweepConfig config, List<ColumnInfo> columns, ToIntFunction<String> arrayLength,
                                 Function<String, String> csvText) throws ConfigException {
        return new ColumnBinder(config, columns, arrayLength, csvText).bind();
    }

    /**
     * Rules 1-4 alone, for every name of {@code expression} that is not a variable: what the train
     * job needs (its output has no input columns, so the sweep's clash checks do not apply).
     *
     * @throws ConfigException naming each unbound name with its position, or a column of the wrong type
     */
    public static List<SweepPlan.Input> bindInputs(tapeline.engine.expr.Expression expression, List<VariableSpec> variables,
                                                   List<ColumnInfo> columns, ToIntFunction<String> arrayLength)
            throws ConfigException {
        return bindInputs(expression, variables, columns, arrayLength, NOT_CSV);
    }

    /** As {@link #bindInputs(tapeline.engine.expr.Expression, List, List, ToIntFunction)}, with a CSV's first text values (see {@link #bind(SweepConfig, List, ToIntFunction, Function)}). */
    public static List<SweepPlan.Input> bindInputs(tapeline.engine.expr.Expression expression, List<VariableSpec> variables,
                                                   List<ColumnInfo> columns, ToIntFunction<String> arrayLength,
                                                   Function<String, String> csvText) throws ConfigException {
        ColumnBinder b = new ColumnBinder(null, columns, arrayLength, csvText);
        Set<String> vars = new LinkedHashSet<>();
        variables.forEach(v -> vars.add(v.name()));
        List<SweepPlan.Input> inputs = new ArrayList<>();
        for (String name : expression.names()) {
            if (vars.contains(name)) {
                continue;
            }
            b.vector(name).ifPresentOrElse(
                    cells -> inputs.add(new SweepPlan.Input(name, cells)),
                    () -> b.problems.add(new ExpressionException(expression.label(), expression.source(),
                            position(expression.source(), name), "'" + name + "' is neither a variable nor an input column"
                            + b.didYouMean(name) + " (variables: " + List.copyOf(vars) + "; input columns: "
                            + columns.stream().map(ColumnInfo::name).toList() + "; a vector can also be columns "
                            + name + "0, " + name + "1, ...)").getMessage()));
        }
        if (!b.problems.isEmpty()) {
            throw new ConfigException(b.problems);
        }
        return inputs;
    }

    private SweepPlan bind() throws ConfigException {
        checkClashes();
        Set<String> variables = new LinkedHashSet<>();
        config.variables().forEach(v -> variables.add(v.name()));

        List<SweepPlan.Input> inputs = new ArrayList<>();
        for (String name : config.cost().names()) {
            if (variables.contains(name)) {
                continue;
            }
            vector(name).ifPresentOrElse(
                    cells -> inputs.add(new SweepPlan.Input(name, cells)),
                    () -> problems.add(unbound(name)));
        }

        List<SweepPlan.Init> init = new ArrayList<>();
        for (VariableSpec v : config.variables()) {
            Operand o = config.init().get(v.name());
            if (o instanceof Operand.Constant c) {
                init.add(new SweepPlan.Init(v.name(), v.size(), c.value(), List.of()));
            } else if (o instanceof Operand.Column c) {
                initFromColumn(v, c.name()).ifPresent(init::add);
            }
        }

        List<SweepPlan.LaneArg> laneArgs = new ArrayList<>();
        config.optimizerArgs().forEach((arg, o) -> {
            if (o instanceof Operand.Column c) {
                scalar("optimizer." + arg, c.name()).ifPresent(cell -> laneArgs.add(new SweepPlan.LaneArg(arg, cell)));
            }
        });

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new SweepPlan(inputs, init, laneArgs);
    }

    /** Output columns are input columns + variables + results; Spark compares names ignoring case. */
    private void checkClashes() {
        Map<String, String> taken = new HashMap<>();
        for (ColumnInfo c : columns) {
            taken.put(c.name().toLowerCase(Locale.ROOT), c.name());
        }
        boolean arrays = config.output().format().hasArrays();
        for (VariableSpec v : config.variables()) {
            // Without arrays (CSV) a vector variable w[k] becomes columns w_0 .. w_{k-1}.
            List<String> outputs = new ArrayList<>();
            if (v.size() == 1 || arrays) {
                outputs.add(v.name());
            } else {
                for (int c = 0; c < v.size(); c++) {
                    outputs.add(v.name() + "_" + c);
                }
            }
            for (String out : outputs) {
                String clash = taken.get(out.toLowerCase(Locale.ROOT));
                if (clash != null) {
                    problems.add("variables: the output column '" + out + "' of variable '" + v.name()
                            + "' is also the name of input column '" + clash
                            + "'; the output would hold two columns of that name: rename the variable");
                    break;
                }
            }
        }
        for (String r : RESULT_COLUMNS) {
            String clash = taken.get(r);
            if (clash != null) {
                problems.add("input column '" + clash + "' has the name of the output column '" + r
                        + "' the sweep adds: rename it in the input");
            }
        }
    }

    /** Rules 1-4 for a cost name or an init column: the cells of its components, or empty. */
    private Optional<List<Cell>> vector(String name) {
        Integer i = index.get(name);
        if (i != null) {
            ColumnInfo c = columns.get(i);
            switch (c.kind()) {
                case SCALAR: {
                    String text = c.typeName().equals("string") ? csvText.apply(name) : null;
                    if (text != null && text.strip().startsWith("[")) {
                        problems.add(csvArray(name, text));
                        return Optional.of(List.of());
                    }
                    return Optional.of(List.of(Cell.scalar(i, name)));
                }
                case ARRAY: {
                    int k = arrayLength.applyAsInt(name);
                    if (k < 1) {
                        problems.add("column " + name + " (" + c.typeName() + "): cannot tell the vector's length:"
                                + (k == 0 ? " its first array is empty" : " every row is null"));
                        return Optional.of(List.of());
                    }
                    List<Cell> cells = new ArrayList<>();
                    for (int e = 0; e < k; e++) {
                        cells.add(Cell.element(i, name, e, k));
                    }
                    return Optional.of(cells);
                }
                default:
                    problems.add("column " + name + " has type " + c.typeName()
                            + "; expected a number, or an array of numbers for a vector");
                    return Optional.of(List.of());
            }
        }
        for (String sep : List.of("", "_")) {
            List<Cell> cells = new ArrayList<>();
            Integer j;
            while ((j = index.get(name + sep + cells.size())) != null && columns.get(j).kind() == ColumnInfo.Kind.SCALAR) {
                cells.add(Cell.scalar(j, name + sep + cells.size()));
            }
            if (!cells.isEmpty()) {
                return Optional.of(cells);
            }
        }
        return Optional.empty();
    }

    private Optional<SweepPlan.Init> initFromColumn(VariableSpec v, String column) {
        String key = "init." + v.name();
        Optional<List<Cell>> cells = vector(column);
        if (cells.isEmpty()) {
            problems.add(key + ": no input column '" + column + "'" + didYouMean(column)
                    + (v.size() > 1 ? " (nor " + column + "0.." + column + (v.size() - 1) + ")" : ""));
            return Optional.empty();
        }
        List<Cell> c = cells.get();
        if (c.isEmpty()) {
            return Optional.empty(); // the column's problem is already reported
        }
        if (c.size() != 1 && c.size() != v.size()) {
            problems.add(key + ": column " + column + " gives " + c.size() + " components, but " + v.name()
                    + " has " + v.size());
            return Optional.empty();
        }
        return Optional.of(new SweepPlan.Init(v.name(), v.size(), 0, c));
    }

    private Optional<Cell> scalar(String key, String column) {
        Integer i = index.get(column);
        if (i == null) {
            problems.add(key + ": no input column '" + column + "'" + didYouMean(column));
            return Optional.empty();
        }
        if (columns.get(i).kind() != ColumnInfo.Kind.SCALAR) {
            problems.add(key + ": column " + column + " has type " + columns.get(i).typeName() + "; expected a number");
            return Optional.empty();
        }
        return Optional.of(Cell.scalar(i, column));
    }

    /** A CSV column of text that looks like arrays: one problem for the column, not a reason on every row. */
    public static String csvArray(String column, String firstValue) {
        String v = firstValue.strip();
        return "column " + column + " holds text like an array ('" + (v.length() <= 40 ? v : v.substring(0, 37) + "...")
                + "' in its first row), and CSV has no arrays: use JSON or Parquet, or columns "
                + column + "0, " + column + "1, ...";
    }

    /** In the engine's own format: "cost, position N: ...", the cost's line and a caret under the name. */
    private String unbound(String name) {
        String source = config.cost().source();
        String reason = "'" + name + "' is neither a variable nor an input column" + didYouMean(name)
                + " (variables: " + config.variables().stream().map(VariableSpec::name).toList()
                + "; input columns: " + columns.stream().map(ColumnInfo::name).toList()
                + "; a vector can also be columns " + name + "0, " + name + "1, ...)";
        return new ExpressionException("cost", source, position(source, name), reason).getMessage();
    }

    private String didYouMean(String name) {
        return Suggest.closest(name, columns.stream().map(ColumnInfo::name).toList())
                .map(c -> " (did you mean column '" + c + "'?)").orElse("");
    }

    /**
     * The 0-based position of the first occurrence of {@code name} as a whole identifier in the cost,
     * which is how the engine counts positions in its own messages.
     */
    static int position(String source, String name) {
        int from = 0;
        while (true) {
            int p = source.indexOf(name, from);
            if (p < 0) {
                return 0;
            }
            int end = p + name.length();
            boolean startOk = p == 0 || !isIdentifierPart(source.charAt(p - 1));
            boolean endOk = end == source.length() || !isIdentifierPart(source.charAt(end));
            if (startOk && endOk) {
                return p;
            }
            from = p + 1;
        }
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
