package tapeline.engine.expr;

import java.util.Arrays;
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
 * scalars. {@code select(c, a, b)} means {@code c > 0 ? a : b}. {@code pi} takes no argument and
 * may be written without parentheses.
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
    ATAN("atan", 1),
    /** NaN outside [-1, 1]; its gradient is infinite at the ends. */
    ASIN("asin", 1),
    /** NaN outside [-1, 1]; its gradient is infinite at the ends. */
    ACOS("acos", 1),
    SINH("sinh", 1),
    COSH("cosh", 1),
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
    /** {@code atan2(y, x)}: the angle of the point (x, y), in [-pi, pi]. */
    ATAN2("atan2", 2),
    /** Inner product of two vectors of equal length. */
    DOT("dot", 2),
    /** {@code select(c, a, b)} is {@code c > 0 ? a : b}. */
    SELECT("select", 3),
    /**
     * The constant pi, written {@code pi} or {@code pi()}: a reserved name, never a variable or a
     * column (see {@link #isConstant}). Bare {@code pi} parses as a name the compiler reads as this.
     */
    PI("pi", 0);

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
     * Whether {@code name} is a named constant of the language ({@code pi}): written bare, it means the
     * constant, so it can never name a variable or a column.
     */
    public static boolean isConstant(String name) {
        return PI.symbol.equals(name);
    }

    /** The known function closest to a misspelt name, for "did you mean" hints (see {@link Suggest}). */
    public static Optional<Function> closest(String name) {
        return Suggest.closest(name, Arrays.stream(values()).map(Function::symbol).toList()).flatMap(Function::byName);
    }

    /** All function names, comma separated, in table order (for error messages). */
    static String allNames() {
        return Arrays.stream(values()).map(Function::symbol).collect(Collectors.joining(", "));
    }
}
