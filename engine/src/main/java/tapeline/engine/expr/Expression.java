package tapeline.engine.expr;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed cost expression: where it came from ({@link #label()}), its text ({@link #source()})
 * and its tree ({@link #root()}).
 *
 * <pre>{@code
 * Expression e = Expression.parse("cost", "x[0]*w^2 + x[1]*w + b");
 * e.names();          // [x, w, b]
 * e.indexedNames();   // {x=1}
 * e.root();           // (((x[0] * (w ^ 2)) + (x[1] * w)) + b)
 * }</pre>
 *
 * <p>The language is arithmetic ({@code + - * / ^}, unary minus, comparisons yielding 1/0),
 * Java numeric literals, free names, {@code name[k]} indexing and the fixed {@link Function}
 * table; nothing else can be reached from it. Any problem with the text is reported as an
 * {@link ExpressionException} pointing at the offending character. Input is limited to
 * 100,000 characters and 256 levels of nesting (parentheses, signs, exponents, calls, and
 * also the depth of the resulting tree, so a chain of more than 256 operators is refused).
 *
 * <p>Serialised as its label and source text and parsed again on arrival: the stream stays
 * small, and a deserialised {@code Expression} has always passed the parser's checks.
 */
public final class Expression implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String label;
    private final String source;
    private final Expr root;
    private final List<String> names;
    private final Map<String, Integer> indexedNames;

    private Expression(String label, String source, Expr root) {
        this.label = label;
        this.source = source;
        this.root = root;
        Set<String> seen = new LinkedHashSet<>();
        Map<String, Integer> indexed = new LinkedHashMap<>();
        collectNames(root, seen, indexed);
        this.names = List.copyOf(seen);
        this.indexedNames = Collections.unmodifiableMap(indexed);
    }

    /**
     * Parses {@code text}, naming it {@code "expression"} in error messages.
     *
     * @throws ExpressionException if the text is not a valid expression
     */
    public static Expression parse(String text) {
        return parse("expression", text);
    }

    /**
     * Parses {@code text}; {@code label} says where the text came from (e.g. the config key
     * {@code "cost"}) and starts every error message.
     *
     * @throws ExpressionException if the text is null or not a valid expression
     */
    public static Expression parse(String label, String text) {
        String l = Objects.requireNonNullElse(label, "expression");
        if (text == null) {
            throw new ExpressionException(l, null, 0, "no expression given (null)");
        }
        return new Expression(l, text, Parser.parse(l, text));
    }

    /**
     * Parses a comma-separated list of expressions (commas inside parentheses or brackets belong to
     * a call or an index, not to the list), as {@code residuals = 10 * (v - u^2), 1 - u} gives.
     * Each part keeps its position in the whole text, so an error points into {@code text}.
     *
     * <pre>{@code
     * List<Expression> r = Expression.parseList("residuals", "10 * (v - u^2), 1 - u");   // two expressions
     * }</pre>
     *
     * @throws ExpressionException for the first part that is not a valid expression (an empty part included)
     */
    public static List<Expression> parseList(String label, String text) {
        String l = Objects.requireNonNullElse(label, "expression");
        if (text == null) throw new ExpressionException(l, null, 0, "no expression given (null)");
        List<Expression> out = new java.util.ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : ',';
            if (c == '(' || c == '[') depth++;
            else if (c == ')' || c == ']') depth--;
            else if (c == ',' && depth <= 0) {
                // Padded with blanks to its offset: the parser's positions are then the whole text's.
                String part = " ".repeat(start) + text.substring(start, i);
                if (part.isBlank()) {
                    throw new ExpressionException(l, text, Math.min(i, Math.max(0, text.length() - 1)),
                            "empty expression in the list (expected one expression between commas)");
                }
                out.add(new Expression(l, part, Parser.parse(l, part)));
                start = i + 1;
            }
        }
        if (start <= text.length()) {
            // An unclosed '(' or '[' swallowed the end: the parser names where (never a part silently dropped).
            Parser.parse(l, " ".repeat(start) + text.substring(start));
            throw new ExpressionException(l, text, text.length() - 1, "unclosed '(' or '['");
        }
        return out;
    }

    /** Where the text came from, e.g. {@code "cost"}. */
    public String label() {
        return label;
    }

    /** The text as given. */
    public String source() {
        return source;
    }

    /** The syntax tree. */
    public Expr root() {
        return root;
    }

    /**
     * The free names in order of first appearance; {@code x[0]} counts as a use of {@code x}.
     * Function names and constants ({@code pi}) are not included. {@code "x0*w^2 + x1*w"} gives {@code [x0, w, x1]}.
     */
    public List<String> names() {
        return names;
    }

    /**
     * The names used with an index, each mapped to the largest index used, in order of first
     * appearance: {@code "x[0]*w + x[2]"} gives {@code {x=2}}, so {@code x} needs at least 3
     * components. A name may appear both indexed and plain (e.g. {@code dot(x, w) + x[0]}).
     */
    public Map<String, Integer> indexedNames() {
        return indexedNames;
    }

    /**
     * An exception pointing into this expression's source, for later stages (binding,
     * compiling) that find a problem at a node: {@code throw e.errorAt(node.pos(), "unknown name 'w'")}.
     */
    public ExpressionException errorAt(int position, String reason) {
        return new ExpressionException(label, source, position, reason);
    }

    /** The source text. */
    @Override
    public String toString() {
        return source;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Expression e && label.equals(e.label) && source.equals(e.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, source);
    }

    private Object writeReplace() {
        return new SerialForm(label, source);
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("Expression is deserialised through its SerialForm");
    }

    /** What actually travels: the text, re-parsed by {@link #readResolve()}. */
    private static final class SerialForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String label;
        private final String source;

        SerialForm(String label, String source) {
            this.label = label;
            this.source = source;
        }

        private Object readResolve() {
            return Expression.parse(label, source);
        }
    }

    /** Pre-order, left to right, with an explicit stack. */
    private static void collectNames(Expr root, Set<String> names, Map<String, Integer> indexed) {
        Deque<Expr> stack = new ArrayDeque<>();
        stack.push(root);
        while (!stack.isEmpty()) {
            Expr e = stack.pop();
            if (e instanceof Expr.Name n) {
                if (!Function.isConstant(n.name())) names.add(n.name()); // pi is the constant, not a name to bind
            } else if (e instanceof Expr.Index x && x.target() instanceof Expr.Name n) {
                if (Function.isConstant(n.name())) continue; // an error the compiler reports at its position
                names.add(n.name());
                indexed.merge(n.name(), x.index(), Math::max);
                continue;
            }
            List<Expr> children = new ArrayList<>(Parser.children(e));
            Collections.reverse(children);
            children.forEach(stack::push);
        }
    }
}
