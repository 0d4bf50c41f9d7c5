package tapeline.engine.expr;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A node of a parsed cost expression. Nodes are immutable records and {@link Serializable}, so a
 * parsed expression can be shipped to remote tasks as-is.
 *
 * <p>Every node carries {@code pos}, the 0-based character offset of its token in the source:
 * the operator for {@link Binary} and {@link Unary}, the function name for {@link Call}, the
 * {@code '['} for {@link Index}. {@code toString()} prints fully parenthesised text that parses
 * back to an equal tree (modulo positions):
 *
 * <pre>{@code
 * Expression.parse("-w^2 + 1").root().toString()   // "((-(w ^ 2)) + 1)"
 * }</pre>
 */
public sealed interface Expr extends Serializable {

    /** Offset of this node's token in the source text. */
    int pos();

    /** A numeric literal, always finite. Literals in source are never negative; {@code -2} is a {@link Unary}. */
    record Num(double value, int pos) implements Expr {
        public Num {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("literal must be finite: " + value);
            }
        }

        @Override
        public String toString() {
            String text;
            // Small integers print without ".0" for readability; larger ones use Double.toString,
            // because e.g. "3000000000" would not parse back (too large for an int literal).
            if (value == Math.rint(value) && Math.abs(value) <= Integer.MAX_VALUE
                    && Double.doubleToRawLongBits(value) != Double.doubleToRawLongBits(-0.0)) {
                text = Long.toString((long) value);
            } else {
                text = Double.toString(Math.abs(value));
            }
            return value < 0 || Double.doubleToRawLongBits(value) == Double.doubleToRawLongBits(-0.0)
                    ? "(-" + text + ")" : text;
        }
    }

    /** A free variable, bound by the caller (e.g. to a data column or a parameter). */
    record Name(String name, int pos) implements Expr {
        public Name {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Component {@code index} of a vector, written {@code x[0]}. */
    record Index(Expr target, int index, int pos) implements Expr {
        public Index {
            Objects.requireNonNull(target, "target");
            if (index < 0) {
                throw new IllegalArgumentException("index must be non-negative: " + index);
            }
        }

        @Override
        public String toString() {
            return target + "[" + index + "]";
        }
    }

    /** A prefix operator applied to one operand. */
    record Unary(UnaryOp op, Expr operand, int pos) implements Expr {
        public Unary {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(operand, "operand");
        }

        @Override
        public String toString() {
            return "(" + op.symbol() + operand + ")";
        }
    }

    /** An infix operator applied to two operands. */
    record Binary(BinaryOp op, Expr left, Expr right, int pos) implements Expr {
        public Binary {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }

        @Override
        public String toString() {
            return "(" + left + " " + op.symbol() + " " + right + ")";
        }
    }

    /**
     * A call of a function from the fixed {@link Function} table. The constructor checks the
     * name and the arity, so a {@code Call} is always valid; {@link #op()} gives the table entry.
     */
    record Call(String function, List<Expr> args, int pos) implements Expr {
        public Call {
            Objects.requireNonNull(function, "function");
            args = List.copyOf(args);
            Function f = Function.byName(function)
                    .orElseThrow(() -> new IllegalArgumentException("unknown function: " + function));
            if (args.size() != f.arity()) {
                throw new IllegalArgumentException(function + " takes " + f.arity() + " arguments, not " + args.size());
            }
        }

        /** The function table entry, for switching on. */
        public Function op() {
            return Function.byName(function).orElseThrow();
        }

        @Override
        public String toString() {
            return function + args.stream().map(Expr::toString).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /** Prefix operators. Unary plus is accepted by the parser and dropped, so it has no entry. */
    enum UnaryOp {
        NEG("-");

        private final String symbol;

        UnaryOp(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }
    }

    /** Infix operators. Comparisons yield 1.0 when true and 0.0 when false. */
    enum BinaryOp {
        ADD("+"), SUB("-"), MUL("*"), DIV("/"), POW("^"),
        LT("<"), LE("<="), GT(">"), GE(">="), EQ("=="), NE("!=");

        private final String symbol;

        BinaryOp(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        /** True for the six comparison operators. */
        public boolean isComparison() {
            return ordinal() >= LT.ordinal();
        }
    }
}
