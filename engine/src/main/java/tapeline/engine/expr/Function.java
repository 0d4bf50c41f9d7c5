package tapeline.engine.expr;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The fixed table of functions an expression may call, with their arity. This is the only place
 * the table lives: the parser validates calls against it and the compiler switches on it.
 *
 * <pre>{@code
 * Function f = Function.byName("max").orElseThrow();   // MAX, arity 2
 * }</pre>
 *
 * <p>{@code dot(u, v)} and {@code sum(v)} take vectors; every other function is elementwise on
 * scalars. {@code select(c, a, b)} means {@code c > 0 ? a : b}.
 */
public enum Function {
    SQRT("sqrt", 1),
    EXP("exp", 1),
    LOG("log", 1),
    LOG1P("log1p", 1),
    EXPM1("expm1", 1),
    SIN("sin", 1),
    COS("cos", 1),
    TAN("tan", 1),
    TANH("tanh", 1),
    SIGMOID("sigmoid", 1),
    SOFTPLUS("softplus", 1),
    RELU("relu", 1),
    ABS("abs", 1),
    SQUARE("square", 1),
    NEG("neg", 1),
    /** Sum of a vector's components. */
    SUM("sum", 1),
    POW("pow", 2),
    MIN("min", 2),
    MAX("max", 2),
    /** Inner product of two vectors of equal length. */
    DOT("dot", 2),
    /** {@code select(c, a, b)} is {@code c > 0 ? a : b}. */
    SELECT("select", 3);

    private final String symbol;
    private final int arity;

    Function(String symbol, int arity) {
        this.symbol = symbol;
        this.arity = arity;
    }

    /** The name as written in expressions, e.g. {@code "log1p"}. */
    public String symbol() {
        return symbol;
    }

    /** The exact number of arguments the function takes. */
    public int arity() {
        return arity;
    }

    /** Looks a function up by its exact (case-sensitive) name, e.g. {@code byName("sqrt")}. */
    public static Optional<Function> byName(String name) {
        for (Function f : values()) {
            if (f.symbol.equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /**
     * The known function closest to a misspelt name, for "did you mean" hints: case-insensitive
     * edit distance of at most 2 (and less than the name's length, so {@code "f"} suggests nothing).
     */
    public static Optional<Function> closest(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        Function best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Function f : values()) {
            int d = editDistance(lower, f.symbol);
            if (d < bestDistance) {
                best = f;
                bestDistance = d;
            }
        }
        return bestDistance <= 2 && bestDistance < name.length() ? Optional.of(best) : Optional.empty();
    }

    /** All function names, comma separated, in table order (for error messages). */
    static String allNames() {
        return Arrays.stream(values()).map(Function::symbol).collect(Collectors.joining(", "));
    }

    private static int editDistance(String a, String b) {
        // Only ever called with a user-written name; cap its length so a 100k-char name stays cheap.
        if (a.length() > 32) {
            return Integer.MAX_VALUE;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
