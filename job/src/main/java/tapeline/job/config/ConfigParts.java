package tapeline.job.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tapeline.engine.expr.Expression;
import tapeline.engine.expr.ExpressionException;
import tapeline.engine.expr.Function;
import tapeline.engine.solve.VariableSpec;

/**
 * The parts the sweep's and the train job's configs share: the {@code variables} list and the
 * expression to minimise. Problems are added to the caller's list, so that all of them are
 * reported at once.
 */
final class ConfigParts {
    private static final Pattern VARIABLE = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(?:\\[\\s*(\\d+)\\s*])?\\s*");

    private ConfigParts() {
    }

    /** {@code "b, w[20]"} to two variables; null (the key is missing) to none. */
    static List<VariableSpec> variables(String value, List<String> problems) {
        List<VariableSpec> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String part : value.split(",", -1)) {
            Matcher m = VARIABLE.matcher(part);
            if (!m.matches()) {
                problems.add("variables: expected a name or name[size] such as w or w[20], got '" + part.trim() + "'");
                continue;
            }
            String name = m.group(1);
            if (Function.isConstant(name)) {
                problems.add("variables: '" + name + "' is a constant of the expression language (" + name
                        + " = " + Math.PI + "), not a name a variable can take; rename the variable");
                continue;
            }
            int size = 1;
            if (m.group(2) != null) {
                try {
                    size = Integer.parseInt(m.group(2));
                } catch (NumberFormatException e) {
                    size = 0;
                }
                if (size < 1) {
                    problems.add("variables: size of " + name + " must be a whole number >= 1, got '" + m.group(2) + "'");
                    continue;
                }
            }
            if (!seen.add(name)) {
                problems.add("variables: '" + name + "' is listed twice");
                continue;
            }
            out.add(new VariableSpec(name, size));
        }
        return out;
    }

    /** The expression under {@code key} ({@code cost} or {@code loss}); every variable must appear in it. */
    static Expression expression(String key, String text, List<VariableSpec> variables, List<String> problems) {
        if (text == null) {
            return null;
        }
        try {
            Expression e = Expression.parse(key, text);
            for (VariableSpec v : variables) {
                if (!e.names().contains(v.name())) {
                    problems.add("variables: '" + v.name() + "' does not appear in " + key + " '" + text + "'");
                }
            }
            return e;
        } catch (ExpressionException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    /**
     * The format under {@code key} ({@code value}, may be null); when absent, the input's comes from
     * the path's extension ({@code fromExtension}) and the output's is parquet.
     */
    static Format format(String key, String value, String path, boolean fromExtension, List<String> problems) {
        if (value != null && !value.isEmpty()) {
            try {
                return Format.parse(value);
            } catch (IllegalArgumentException e) {
                problems.add(key + ": " + e.getMessage());
                return null;
            }
        }
        if (!fromExtension) {
            return Format.PARQUET;
        }
        if (path == null) {
            return null;
        }
        java.util.Optional<Format> f = Format.fromPath(path);
        if (f.isEmpty()) {
            problems.add(key + ": cannot tell the format from '" + path + "'; set " + key + " to one of " + Format.names());
        }
        return f.orElse(null);
    }
}
