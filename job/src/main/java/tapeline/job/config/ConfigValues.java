package tapeline.job.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoublePredicate;
import java.util.regex.Pattern;
import tapeline.engine.optim.Optimizers;

/**
 * A config's keys and values (trimmed) and the list its problems go to: typed readers that report a
 * bad value, naming the key and what was expected, and go on with a default, so that a parser can
 * report every problem at once. Shared by the sweep's and the train job's parsers.
 *
 * <pre>{@code
 * ConfigValues values = new ConfigValues(Map.of("steps", "ten"), problems);
 * values.integer("steps", 1000, 1, Integer.MAX_VALUE);  // 1000; problems: "steps: expected a whole number >= 1, got 'ten'"
 * }</pre>
 */
public final class ConfigValues {
    static final String INIT = "init.";
    static final String OPTIMIZER_ARG = "optimizer.";
    static final String SPARK = "spark.";
    static final String INPUT_OPTION = "input.option.";
    static final String OUTPUT_OPTION = "output.option.";

    /** Plain decimal numbers only: Java's parseDouble would also take "1f", "0x1p3" and "NaN". */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final Map<String, String> raw = new LinkedHashMap<>();
    private final List<String> problems;

    ConfigValues(Map<String, String> raw, List<String> problems) {
        raw.forEach((k, v) -> this.raw.put(k.trim(), v == null ? "" : v.trim()));
        this.problems = problems;
    }

    /** Key/value pairs, unmodifiable, in the order given: {@code ordered("a", "1", "b", "2")}. */
    static Map<String, String> ordered(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The {@code optimizer.<argument>} keys of a registered optimizer at the values it takes when
     * they are not given (Keras's defaults: {@code optimizer.beta_1 = 0.9}, flags 1/0), for the run
     * record's effective config; empty for a name the engine does not register (lbfgs, owlqn).
     */
    static Map<String, String> optimizerDefaults(String optimizer) {
        Map<String, String> m = new LinkedHashMap<>();
        if (optimizer != null && Optimizers.names().contains(optimizer)) {
            Optimizers.defaults(optimizer).forEach((arg, v) -> m.put(OPTIMIZER_ARG + arg, text(v)));
        }
        return m;
    }

    /** A number as a config would give it: {@code 0.9}, {@code 1E-7}, {@code 0} (not {@code 0.0}). */
    static String text(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toString();
    }

    /** The keys and their trimmed values, in the order given. */
    Map<String, String> raw() {
        return raw;
    }

    /** Where the problems go. */
    List<String> problems() {
        return problems;
    }

    /** A plain decimal number ({@code 12}, {@code -1.5e3}); not {@code 1f}, {@code 0x1p3} or {@code NaN}. */
    public static boolean isNumber(String v) {
        return NUMBER.matcher(v).matches();
    }

    /**
     * The {@code residuals} key's text parsed as a comma-separated list of expressions (the sweep's and
     * train's syntax); a variable that no residual reads, or a bad expression, is a problem (empty list then).
     */
    static List<tapeline.engine.expr.Expression> residualList(String text, List<tapeline.engine.solve.VariableSpec> variables,
                                                             List<String> problems) {
        try {
            List<tapeline.engine.expr.Expression> list = tapeline.engine.expr.Expression.parseList("residuals", text);
            for (tapeline.engine.solve.VariableSpec v : variables) {
                if (list.stream().noneMatch(e -> e.names().contains(v.name()))) {
                    problems.add("variables: '" + v.name() + "' does not appear in residuals '" + text + "'");
                }
            }
            return list;
        } catch (tapeline.engine.expr.ExpressionException e) {
            problems.add(e.getMessage());
            return List.of();
        }
    }

    static String didYouMean(String word, Set<String> candidates) {
        return Suggest.closest(word, candidates).map(s -> " (did you mean '" + s + "'?)").orElse("");
    }

    /** {@code optimizer}: a registered name (default adam), lower-cased; null, with a problem, otherwise. */
    String optimizer() {
        return optimizer(Set.of());
    }

    /** {@code optimizer}: a registered name or one of {@code extra} (default adam), lower-cased; null, with a problem, otherwise. */
    String optimizer(Set<String> extra) {
        String v = raw.getOrDefault("optimizer", "adam").toLowerCase(Locale.ROOT);
        if (extra.contains(v)) {
            return v;
        }
        if (!Optimizers.names().contains(v)) {
            Set<String> all = new TreeSet<>(Optimizers.names());
            all.addAll(extra);
            problems.add("optimizer: expected one of " + all + ", got '" + v + "'" + didYouMean(v, all));
            return null;
        }
        return v;
    }

    /**
     * The Keras argument an {@code optimizer.<argument>} key names, or null, with a problem listing
     * the optimizer's arguments, when {@code optimizer} has no such argument.
     */
    String optimizerArgument(String key, String optimizer) {
        String arg = key.substring(OPTIMIZER_ARG.length());
        Set<String> known = Optimizers.arguments(optimizer);
        if (!known.contains(arg)) {
            problems.add(key + ": " + optimizer + " has no argument '" + arg + "'" + didYouMean(arg, known)
                    + "; its arguments are " + new TreeSet<>(known));
            return null;
        }
        return arg;
    }

    /**
     * {@code input.path} or {@code input.table}, {@code input.format} (by default from the path's
     * extension) and {@code input.option.<k>}; null when something is bad (the problem is added).
     */
    InputSpec input() {
        String table = optional("input.table");
        String path = optional("input.path");
        Format format;
        if (table != null) {
            if (path != null) {
                problems.add("input.table: set input.table or input.path, not both");
            }
            if (raw.containsKey("input.format")) {
                problems.add("input.format: not used with input.table (the catalog knows the table's format)");
            }
            format = Format.PARQUET; // unused: the catalog reads the table
        } else if (optional("input.format") != null) {
            format = format("input.format", path, true);
            if (format != null && format.isBuiltIn() && path == null) {
                problems.add("input.path: required, but not set");
                return null;
            }
        } else {
            path = required("input.path");
            format = format("input.format", path, true);
        }
        return format == null || (path == null && table == null && format.isBuiltIn()) ? null
                : new InputSpec(path, format, table, prefixed(INPUT_OPTION));
    }

    /**
     * {@code output.path} and/or {@code output.table}, {@code output.format} (default parquet),
     * {@code output.mode}, {@code output.partitionBy} and {@code output.option.<k>}; null when
     * something is bad. Without {@code tables} (the train job, which writes a directory of its own)
     * a table or partitioning is a problem.
     */
    OutputSpec output(boolean tables) {
        String table = optional("output.table");
        String path = optional("output.path");
        Format format = format("output.format", path, false);
        if (path == null && (table == null || !tables) && (format == null || format.isBuiltIn())) {
            problems.add("output.path: required, but not set");
        }
        OutputMode mode = null;
        String m = raw.getOrDefault("output.mode", "error");
        switch (m.toLowerCase(Locale.ROOT)) {
            case "error" -> mode = OutputMode.ERROR;
            case "overwrite" -> mode = OutputMode.OVERWRITE;
            default -> problems.add("output.mode: expected error or overwrite, got '" + m + "'");
        }
        List<String> partitionBy = new ArrayList<>();
        String p = optional("output.partitionBy");
        if (p != null) {
            for (String c : p.split(",", -1)) {
                if (c.isBlank()) {
                    problems.add("output.partitionBy: expected column names separated by commas, got '" + p + "'");
                    break;
                }
                partitionBy.add(c.trim());
            }
        }
        if (!tables && table != null) {
            problems.add("output.table: this job writes a directory of its own; set output.path");
        }
        if (!tables && !partitionBy.isEmpty()) {
            problems.add("output.partitionBy: this job's output has no row columns to partition by");
        }
        boolean ok = format != null && mode != null && (path != null || (tables && table != null) || !format.isBuiltIn());
        return ok ? new OutputSpec(path, format, mode, tables ? table : null, tables ? partitionBy : List.of(),
                prefixed(OUTPUT_OPTION)) : null;
    }

    /** The keys under {@code prefix}, without it: {@code input.option.header} is {@code header}. */
    Map<String, String> prefixed(String prefix) {
        Map<String, String> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                m.put(k.substring(prefix.length()), v);
            }
        });
        return m;
    }

    /** The {@code spark.*} keys, whole and in the order given: set on the session as they are. */
    Map<String, String> sparkKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            if (k.startsWith(SPARK)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** {@code app.name}, or {@code fallback} when unset or empty. */
    String appName(String fallback) {
        String v = raw.getOrDefault("app.name", "");
        return v.isEmpty() ? fallback : v;
    }

    /** Keys passed on as given, never unknown: {@code spark.*}, {@code input.option.*}, {@code output.option.*}. */
    static boolean isPassedOn(String key) {
        return key.startsWith(SPARK) || key.startsWith(INPUT_OPTION) || key.startsWith(OUTPUT_OPTION);
    }

    /** The value, or null when unset or empty. */
    String optional(String key) {
        String v = raw.get(key);
        return v == null || v.isEmpty() ? null : v;
    }

    /** The format under {@code key}, as {@link ConfigParts#format} reads it. */
    Format format(String key, String path, boolean fromExtension) {
        return ConfigParts.format(key, raw.get(key), path, fromExtension, problems);
    }

    String required(String key) {
        String v = raw.get(key);
        if (v == null || v.isEmpty()) {
            problems.add(key + ": required, but not set");
            return null;
        }
        return v;
    }

    <T> T choice(String key, String dflt, Map<String, T> options) {
        String v = raw.getOrDefault(key, dflt);
        T t = options.get(v.toLowerCase(Locale.ROOT));
        if (t == null) {
            problems.add(key + ": expected one of " + new TreeSet<>(options.keySet()) + ", got '" + v + "'");
        }
        return t;
    }

    int integer(String key, int dflt, int min, int max) {
        String v = raw.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v);
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException e) {
            // reported below, with the expected range
        }
        problems.add(key + ": expected a whole number " + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]")
                + ", got '" + v + "'");
        return dflt;
    }

    long longValue(String key, long dflt) {
        String v = raw.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            problems.add(key + ": expected a whole number, got '" + v + "'");
            return dflt;
        }
    }

    /** A tolerance: a finite number >= 0, 0 when unset. */
    double nonNegative(String key) {
        return nonNegative(key, 0);
    }

    /** A tolerance: a finite number >= 0, {@code dflt} when unset. */
    double nonNegative(String key, double dflt) {
        return number(key, dflt, d -> d >= 0 && Double.isFinite(d), "a number >= 0 (0 turns the test off)");
    }

    /** A batch fraction: a number in (0, 1], 1 when unset. */
    double fraction(String key) {
        return number(key, 1.0, d -> d > 0 && d <= 1, "a number in (0, 1] (1 is the full batch)");
    }

    /** A plain decimal number that passes {@code ok}; {@code dflt} when unset, or with a problem saying {@code expected}. */
    double number(String key, double dflt, DoublePredicate ok, String expected) {
        String v = raw.get(key);
        if (v == null) {
            return dflt;
        }
        if (isNumber(v)) {
            double d = Double.parseDouble(v);
            if (ok.test(d)) {
                return d;
            }
        }
        problems.add(key + ": expected " + expected + ", got '" + v + "'");
        return dflt;
    }
}
