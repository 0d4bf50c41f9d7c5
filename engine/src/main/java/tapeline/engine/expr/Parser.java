package tapeline.engine.expr;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import tapeline.engine.expr.Expr.BinaryOp;
import tapeline.engine.expr.Expr.UnaryOp;
import tapeline.engine.expr.Token.Kind;

/**
 * Recursive-descent parser. Grammar, loosest binding first:
 *
 * <pre>
 * expression := comparison END
 * comparison := additive [ ('<' | '<=' | '>' | '>=' | '==' | '!=') additive ]   -- does not chain
 * additive   := term { ('+' | '-') term }                                       -- left assoc
 * term       := unary { ('*' | '/') unary }                                     -- left assoc
 * unary      := ('-' | '+') unary | power                                       -- unary plus is dropped
 * power      := primary [ '^' unary ]                                           -- right assoc; -w^2 = -(w^2)
 * primary    := NUMBER | NAME | NAME '[' INTEGER ']' | NAME '(' [ comparison { ',' comparison } ] ')'
 *             | '(' comparison ')'
 * </pre>
 *
 * <p>A NAME that is a constant of the language ({@code pi}) stays a {@link Expr.Name} in the tree (so
 * every tree prints to text that parses back to it); {@link Expression#names()} leaves it out and the
 * {@link Compiler} reads it as the constant, as if written {@code pi()}.
 *
 * <p>Two limits keep hostile input harmless: the parser's own recursion (parentheses, signs,
 * exponents, call arguments, each one level) stops at {@link #MAX_NESTING}, and the finished
 * tree, which later code walks recursively (printing, equality, serialisation, compiling),
 * may be at most {@link #MAX_TREE_DEPTH} levels below its root, which bounds long operator
 * chains like {@code 1+1+...+1}. Java serialisation of records needs about 1 KiB of stack per
 * level, so 256 keeps even a 512 KiB thread stack safe.
 */
final class Parser {
    static final int MAX_LENGTH = 100_000;
    static final int MAX_NESTING = 256;
    static final int MAX_TREE_DEPTH = 256;

    private final String label;
    private final String src;
    private final List<Token> tokens;
    private int at;
    private int nesting;
    /** Index of the token that directly follows a unary minus; only it may be 2147483648. */
    private int negatedToken = -1;

    private Parser(String label, String src, List<Token> tokens) {
        this.label = label;
        this.src = src;
        this.tokens = tokens;
    }

    static Expr parse(String label, String src) {
        if (src.length() > MAX_LENGTH) {
            throw new ExpressionException(label, src, MAX_LENGTH,
                    "expression longer than " + MAX_LENGTH + " characters (" + src.length() + ")");
        }
        Parser p = new Parser(label, src, Lexer.tokenize(label, src));
        if (p.peek().kind() == Kind.END) {
            throw p.error(p.peek().pos(), "empty expression");
        }
        Expr root = p.comparison();
        if (p.peek().kind() != Kind.END) {
            Token t = p.peek();
            String what = t.kind() == Kind.RPAREN ? "')' without a matching '('" : t.describe();
            throw p.error(t.pos(), "expected an operator or end of input, found " + what);
        }
        p.checkTreeDepth(root);
        return root;
    }

    private Expr comparison() {
        Expr left = additive();
        BinaryOp op = comparisonOp(peek().kind());
        if (op == null) {
            return left;
        }
        Token t = advance();
        Expr result = new Expr.Binary(op, left, additive(), t.pos());
        if (comparisonOp(peek().kind()) != null) {
            // Non-associative: "a < b < c" reads like a range test but would compare 0/1 with c.
            throw error(peek().pos(), "comparison operators do not chain; found '" + peek().text()
                    + "' after '" + t.text() + "' (parenthesise one side if you really mean it)");
        }
        return result;
    }

    private Expr additive() {
        Expr left = term();
        while (peek().kind() == Kind.PLUS || peek().kind() == Kind.MINUS) {
            Token t = advance();
            BinaryOp op = t.kind() == Kind.PLUS ? BinaryOp.ADD : BinaryOp.SUB;
            left = new Expr.Binary(op, left, term(), t.pos());
        }
        return left;
    }

    private Expr term() {
        Expr left = unary();
        while (peek().kind() == Kind.STAR || peek().kind() == Kind.SLASH) {
            Token t = advance();
            BinaryOp op = t.kind() == Kind.STAR ? BinaryOp.MUL : BinaryOp.DIV;
            left = new Expr.Binary(op, left, unary(), t.pos());
        }
        return left;
    }

    private Expr unary() {
        Token t = peek();
        if (t.kind() != Kind.MINUS && t.kind() != Kind.PLUS) {
            return power();
        }
        advance();
        enter(t.pos());
        if (t.kind() == Kind.MINUS) {
            negatedToken = at;
        }
        Expr operand = unary();
        nesting--;
        return t.kind() == Kind.MINUS ? new Expr.Unary(UnaryOp.NEG, operand, t.pos()) : operand;
    }

    private Expr power() {
        Expr base = primary();
        if (peek().kind() != Kind.CARET) {
            return base;
        }
        Token t = advance();
        enter(t.pos());
        // The exponent is a unary, not a power: that makes ^ right-associative and allows w^-2.
        Expr exponent = unary();
        nesting--;
        return new Expr.Binary(BinaryOp.POW, base, exponent, t.pos());
    }

    private Expr primary() {
        Token t = advance();
        switch (t.kind()) {
            case NUMBER:
                if (t.negationOnly() && at - 1 != negatedToken) {
                    throw error(t.pos(), "integer number " + t.text() + " too large"
                            + " (it is allowed only right after a minus sign, as in Java)");
                }
                return new Expr.Num(t.value(), t.pos());
            case NAME:
                if (peek().kind() == Kind.LPAREN) {
                    return call(t);
                }
                if (peek().kind() == Kind.LBRACKET) {
                    return index(t);
                }
                return new Expr.Name(t.text(), t.pos());
            case LPAREN: {
                enter(t.pos());
                Expr inner = comparison();
                nesting--;
                expectClosing(Kind.RPAREN, ")", t);
                return inner;
            }
            default:
                throw error(t.pos(), "expected a number, name, '(' or '-', found " + t.describe());
        }
    }

    private Expr call(Token name) {
        Optional<Function> f = Function.byName(name.text());
        if (f.isEmpty()) {
            String hint = Function.closest(name.text())
                    .map(c -> " (did you mean '" + c.symbol() + "'?)")
                    .orElse("; known functions: " + Function.allNames());
            throw error(name.pos(), "unknown function '" + Token.abbreviate(name.text()) + "'" + hint);
        }
        Token open = advance();
        enter(open.pos());
        List<Expr> args = new ArrayList<>();
        if (peek().kind() != Kind.RPAREN) {
            args.add(argument(name));
            while (peek().kind() == Kind.COMMA) {
                advance();
                args.add(argument(name));
            }
        }
        nesting--;
        expectClosing(Kind.RPAREN, ")", open);
        int arity = f.get().arity();
        if (args.size() != arity) {
            throw error(name.pos(), "function '" + name.text() + "' takes " + arity + " argument"
                    + (arity == 1 ? "" : "s") + ", found " + args.size());
        }
        return new Expr.Call(name.text(), args, name.pos());
    }

    private Expr argument(Token function) {
        Token t = peek();
        if (t.kind() == Kind.COMMA || t.kind() == Kind.RPAREN) {
            throw error(t.pos(), "expected an argument of '" + function.text() + "', found " + t.describe());
        }
        return comparison();
    }

    private Expr index(Token name) {
        Token open = advance();
        Token k = advance();
        // Indices are literals so the vector width a name needs is known before any data is read.
        if (k.kind() != Kind.NUMBER || !k.integer() || k.value() < 0 || k.value() > Integer.MAX_VALUE) {
            throw error(k.pos(), "index of '" + name.text() + "' must be a non-negative integer literal, found "
                    + k.describe());
        }
        expectClosing(Kind.RBRACKET, "]", open);
        return new Expr.Index(new Expr.Name(name.text(), name.pos()), (int) k.value(), open.pos());
    }

    private void expectClosing(Kind kind, String text, Token open) {
        Token t = peek();
        if (t.kind() != kind) {
            throw error(t.pos(), "expected '" + text + "' to close '" + open.text() + "' at position "
                    + open.pos() + ", found " + t.describe());
        }
        advance();
    }

    private void enter(int pos) {
        if (++nesting > MAX_NESTING) {
            throw error(pos, "nesting deeper than " + MAX_NESTING + " levels");
        }
    }

    /** Iterative, so that measuring a hostile tree cannot itself overflow the stack. */
    private void checkTreeDepth(Expr root) {
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        while (!stack.isEmpty()) {
            Object[] top = stack.pop();
            Expr e = (Expr) top[0];
            int depth = (Integer) top[1];
            if (depth > MAX_TREE_DEPTH) {
                throw error(e.pos(), "expression tree deeper than " + MAX_TREE_DEPTH
                        + " levels (too many chained operators)");
            }
            for (Expr child : children(e)) {
                stack.push(new Object[] {child, depth + 1});
            }
        }
    }

    static List<Expr> children(Expr e) {
        if (e instanceof Expr.Unary u) {
            return List.of(u.operand());
        } else if (e instanceof Expr.Binary b) {
            return List.of(b.left(), b.right());
        } else if (e instanceof Expr.Call c) {
            return c.args();
        } else if (e instanceof Expr.Index x) {
            return List.of(x.target());
        }
        return List.of();
    }

    private static BinaryOp comparisonOp(Kind kind) {
        return switch (kind) {
            case LT -> BinaryOp.LT;
            case LE -> BinaryOp.LE;
            case GT -> BinaryOp.GT;
            case GE -> BinaryOp.GE;
            case EQ -> BinaryOp.EQ;
            case NE -> BinaryOp.NE;
            default -> null;
        };
    }

    private Token peek() {
        return tokens.get(at);
    }

    private Token advance() {
        Token t = tokens.get(at);
        if (t.kind() != Kind.END) {
            at++;
        }
        return t;
    }

    private ExpressionException error(int pos, String reason) {
        return new ExpressionException(label, src, pos, reason);
    }
}
