package tapeline.engine.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * Records a parsed expression on a tape. Every name is bound by the caller to one tensor (a scalar
 * name) or several (a vector: {@code w[20]}, or the columns {@code x0..x19}); arithmetic and the
 * functions apply component by component, a scalar meeting a vector is used for every component,
 * {@code x[i]} picks a component, {@code dot(u, v)} and {@code sum(v)} reduce vectors to a scalar.
 *
 * <pre>{@code
 * Tensor cost = Compiler.compile(Expression.parse("cost", "(y - (b + dot(w, x)))^2"),
 *         Map.of("y", new Tensor[] {y}, "b", new Tensor[] {b}, "w", w20, "x", x20));
 * }</pre>
 *
 * <p>A name that is not bound, an index out of range or vectors of different lengths are
 * {@link ExpressionException}s that point at the place in the text. {@code pi} is the constant
 * (float64's nearest to pi, rounded to the tape's dtype); binding a name {@code pi} is an error.
 */
public final class Compiler {
    private final Expression expression;
    private final Map<String, Tensor[]> bindings;
    private final Tape tape;

    private Compiler(Expression expression, Map<String, Tensor[]> bindings) {
        this.expression = expression;
        this.bindings = bindings;
        for (String name : bindings.keySet()) {
            if (Function.isConstant(name)) {
                // The expression's "pi" is the constant: a binding of that name could never be read.
                throw new IllegalArgumentException("'" + name + "' is a constant of the expression language,"
                        + " it cannot be bound to a value; give the binding another name");
            }
        }
        Tape t = null;
        for (Tensor[] comps : bindings.values()) {
            for (Tensor c : comps) {
                if (t == null) t = c.tape();
                else if (t != c.tape()) throw new IllegalArgumentException("bindings come from different tapes");
            }
        }
        if (t == null) throw new IllegalArgumentException("an expression needs at least one bound name");
        this.tape = t;
    }

    /** Records {@code expression}, which must be a scalar (one component), and returns it. */
    public static Tensor compile(Expression expression, Map<String, Tensor[]> bindings) {
        Compiler c = new Compiler(expression, bindings);
        Tensor[] v = c.eval(expression.root());
        if (v.length != 1) {
            throw expression.errorAt(0, "the expression is a vector of " + v.length
                    + " components, it must be one number: reduce it with sum(...) or dot(...)");
        }
        return v[0];
    }

    /** Records {@code expression} and returns all its components (one for a scalar). */
    public static Tensor[] compileVector(Expression expression, Map<String, Tensor[]> bindings) {
        return new Compiler(expression, bindings).eval(expression.root());
    }

    private Tensor[] eval(Expr e) {
        // Recursion is bounded: the parser refuses nesting deeper than its limit.
        // (Java 17 has no pattern switch; the chain covers every permitted Expr type.)
        if (e instanceof Expr.Num n) return new Tensor[] {tape.tensor(tape.scalar(n.value()))};
        if (e instanceof Expr.Name n) return name(n);
        if (e instanceof Expr.Index ix) return index(ix);
        if (e instanceof Expr.Unary u) return map(eval(u.operand()), Tensor::neg);
        if (e instanceof Expr.Binary b) return binary(b);
        if (e instanceof Expr.Call c) return call(c);
        throw new AssertionError("unknown expression node " + e.getClass());
    }

    private Tensor[] name(Expr.Name n) {
        if (Function.isConstant(n.name())) return new Tensor[] {pi()}; // reserved: bindings never shadow it
        Tensor[] t = bindings.get(n.name());
        if (t == null) {
            String hint = Suggest.closest(n.name(), bindings.keySet()).orElse(null);
            throw expression.errorAt(n.pos(), "unknown name '" + n.name() + "'"
                    + (hint != null ? " (did you mean '" + hint + "'?)" : "")
                    + "; known names: " + String.join(", ", new java.util.TreeSet<>(bindings.keySet())));
        }
        return t;
    }

    private Tensor[] index(Expr.Index ix) {
        if (ix.target() instanceof Expr.Name n && Function.isConstant(n.name())) {
            throw expression.errorAt(n.pos(), "'" + n.name() + "' is a constant (a number), it cannot be indexed");
        }
        Tensor[] t = eval(ix.target());
        if (ix.index() >= t.length) {
            throw expression.errorAt(ix.pos(), ix.target() + " has " + t.length + " component"
                    + (t.length == 1 ? "" : "s") + ", index " + ix.index() + " is out of range");
        }
        return new Tensor[] {t[ix.index()]};
    }

    private Tensor[] binary(Expr.Binary b) {
        if (b.op() == Expr.BinaryOp.POW) {
            Double k = constant(b.right());
            Tensor[] base = eval(b.left());
            if (k != null) {
                double kk = k;
                return map(base, t -> t.pow(kk));
            }
            return zip(b.pos(), base, eval(b.right()), Tensor::pow);
        }
        Tensor[] l = eval(b.left());
        Tensor[] r = eval(b.right());
        return switch (b.op()) {
            case ADD -> zip(b.pos(), l, r, Tensor::add);
            case SUB -> zip(b.pos(), l, r, Tensor::sub);
            case MUL -> zip(b.pos(), l, r, Tensor::mul);
            case DIV -> zip(b.pos(), l, r, Tensor::div);
            case POW -> throw new AssertionError("handled above");
            case LT -> zip(b.pos(), l, r, Tensor::lessThan);
            case LE -> zip(b.pos(), l, r, Tensor::lessOrEqual);
            case GT -> zip(b.pos(), l, r, Tensor::greaterThan);
            case GE -> zip(b.pos(), l, r, Tensor::greaterOrEqual);
            case EQ -> zip(b.pos(), l, r, Tensor::equalTo);
            case NE -> zip(b.pos(), l, r, Tensor::notEqualTo);
        };
    }

    private Tensor[] call(Expr.Call c) {
        List<Tensor[]> a = new ArrayList<>();
        for (Expr arg : c.args()) a.add(eval(arg));
        return switch (c.op()) {
            case SQRT -> map(a.get(0), Tensor::sqrt);
            case EXP -> map(a.get(0), Tensor::exp);
            case LOG -> map(a.get(0), Tensor::log);
            case LOG1P -> map(a.get(0), Tensor::log1p);
            case EXPM1 -> map(a.get(0), Tensor::expm1);
            case SIN -> map(a.get(0), Tensor::sin);
            case COS -> map(a.get(0), Tensor::cos);
            case TAN -> map(a.get(0), Tensor::tan);
            case TANH -> map(a.get(0), Tensor::tanh);
            case ATAN -> map(a.get(0), Tensor::atan);
            case ASIN -> map(a.get(0), Tensor::asin);
            case ACOS -> map(a.get(0), Tensor::acos);
            case SINH -> map(a.get(0), Tensor::sinh);
            case COSH -> map(a.get(0), Tensor::cosh);
            case ATAN2 -> zip(c.pos(), a.get(0), a.get(1), Tensor::atan2);
            case PI -> new Tensor[] {pi()};
            case SIGMOID -> map(a.get(0), Tensor::sigmoid);
            case SOFTPLUS -> map(a.get(0), Tensor::softplus);
            case RELU -> map(a.get(0), Tensor::relu);
            case ABS -> map(a.get(0), Tensor::abs);
            case SQUARE -> map(a.get(0), Tensor::square);
            case NEG -> map(a.get(0), Tensor::neg);
            case SUM -> new Tensor[] {sum(a.get(0))};
            case POW -> {
                Double k = constant(c.args().get(1));
                if (k != null) {
                    double kk = k;
                    yield map(a.get(0), t -> t.pow(kk));
                }
                yield zip(c.pos(), a.get(0), a.get(1), Tensor::pow);
            }
            case MIN -> zip(c.pos(), a.get(0), a.get(1), Tensor::min);
            case MAX -> zip(c.pos(), a.get(0), a.get(1), Tensor::max);
            case DOT -> {
                Tensor[] u = a.get(0);
                Tensor[] v = a.get(1);
                if (u.length != v.length) {
                    throw expression.errorAt(c.pos(), "dot needs two vectors of the same length, got "
                            + u.length + " and " + v.length + " components");
                }
                yield new Tensor[] {Tensor.dot(u, v)}; // one node, the value of the written-out sum
            }
            case SELECT -> {
                Tensor[] cond = a.get(0);
                Tensor[] yes = a.get(1);
                Tensor[] no = a.get(2);
                int n = Math.max(cond.length, Math.max(yes.length, no.length));
                check(c.pos(), cond.length, n);
                check(c.pos(), yes.length, n);
                check(c.pos(), no.length, n);
                Tensor[] out = new Tensor[n];
                for (int i = 0; i < n; i++) out[i] = Tensor.select(pick(cond, i), pick(yes, i), pick(no, i));
                yield out;
            }
        };
    }

    /** The constant pi, rounded to the tape's dtype (a scalar constant is rounded where it is made). */
    private Tensor pi() {
        return tape.tensor(tape.scalar(Math.PI));
    }

    /** The value of a literal exponent such as {@code 2} or {@code -0.5}, or null if it is not one. */
    private static Double constant(Expr e) {
        if (e instanceof Expr.Num n) return n.value();
        if (e instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NEG) {
            Double inner = constant(u.operand());
            return inner == null ? null : -inner;
        }
        return null;
    }

    private Tensor sum(Tensor[] v) {
        Tensor s = v[0];
        for (int i = 1; i < v.length; i++) s = s.add(v[i]);
        return s;
    }

    private static Tensor[] map(Tensor[] v, java.util.function.UnaryOperator<Tensor> f) {
        Tensor[] out = new Tensor[v.length];
        for (int i = 0; i < v.length; i++) out[i] = f.apply(v[i]);
        return out;
    }

    private Tensor[] zip(int pos, Tensor[] l, Tensor[] r, java.util.function.BinaryOperator<Tensor> f) {
        check(pos, l.length, r.length);
        int n = Math.max(l.length, r.length);
        Tensor[] out = new Tensor[n];
        for (int i = 0; i < n; i++) out[i] = f.apply(pick(l, i), pick(r, i));
        return out;
    }

    private void check(int pos, int a, int b) {
        if (a != b && a != 1 && b != 1) {
            throw expression.errorAt(pos, "vectors of different lengths: " + a + " and " + b + " components");
        }
    }

    private static Tensor pick(Tensor[] v, int i) {
        return v.length == 1 ? v[0] : v[i];
    }
}
