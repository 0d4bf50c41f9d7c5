package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tapeline.engine.expr.Expr.Binary;
import tapeline.engine.expr.Expr.BinaryOp;
import tapeline.engine.expr.Expr.Call;
import tapeline.engine.expr.Expr.Index;
import tapeline.engine.expr.Expr.Name;
import tapeline.engine.expr.Expr.Num;
import tapeline.engine.expr.Expr.Unary;
import tapeline.engine.expr.Expr.UnaryOp;

class ExprPropertiesTest {

    /** The same tree with every position set to 0, so trees compare by shape and values only. */
    static Expr strip(Expr e) {
        if (e instanceof Num n) {
            return new Num(n.value(), 0);
        } else if (e instanceof Name n) {
            return new Name(n.name(), 0);
        } else if (e instanceof Index x) {
            return new Index(strip(x.target()), x.index(), 0);
        } else if (e instanceof Unary u) {
            return new Unary(u.op(), strip(u.operand()), 0);
        } else if (e instanceof Binary b) {
            return new Binary(b.op(), strip(b.left()), strip(b.right()), 0);
        } else if (e instanceof Call c) {
            return new Call(c.function(), c.args().stream().map(ExprPropertiesTest::strip).collect(Collectors.toList()), 0);
        }
        throw new AssertionError(e);
    }

    @Property(tries = 2000)
    void printedTreesParseBackToTheSameTree(@ForAll("trees") Expr tree) {
        Expr parsed = Expression.parse(tree.toString()).root();
        assertThat(strip(parsed)).isEqualTo(tree);
    }

    @Property(tries = 3000)
    void garbageOnlyEverFailsWithExpressionException(@ForAll("garbage") String text) {
        checkParsesOrFailsCleanly(text);
    }

    @Property(tries = 3000)
    void tokenSoupOnlyEverFailsWithExpressionException(@ForAll("tokenSoup") String text) {
        checkParsesOrFailsCleanly(text);
    }

    private static void checkParsesOrFailsCleanly(String text) {
        Expression e;
        try {
            e = Expression.parse("cost", text);
        } catch (ExpressionException x) {
            assertThat(x.position()).isBetween(0, text.length());
            assertThat(x.getMessage()).startsWith("cost, position " + x.position() + ": ");
            return;
        }
        // Whatever parses, prints to text that parses back to the same tree.
        Expr again = Expression.parse(e.root().toString()).root();
        assertThat(strip(again)).isEqualTo(strip(e.root()));
    }

    // ---- generators ----------------------------------------------------------------------

    @Provide
    Arbitrary<Expr> trees() {
        return tree(4);
    }

    private Arbitrary<Expr> tree(int depth) {
        Arbitrary<Expr> leaf = Arbitraries.oneOf(numbers(), names().map(n -> new Name(n, 0)),
                Combinators.combine(names(), Arbitraries.integers().between(0, 1000))
                        .as((n, k) -> new Index(new Name(n, 0), k, 0)));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<Expr> sub = Arbitraries.lazy(() -> tree(depth - 1));
        Arbitrary<Expr> unary = sub.map(e -> new Unary(UnaryOp.NEG, e, 0));
        Arbitrary<Expr> binary = Combinators.combine(Arbitraries.of(BinaryOp.class), sub, sub)
                .as((op, l, r) -> new Binary(op, l, r, 0));
        Arbitrary<Expr> call = Arbitraries.of(Function.class).flatMap(f ->
                sub.list().ofSize(f.arity()).map(args -> new Call(f.symbol(), args, 0)));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, leaf),
                net.jqwik.api.Tuple.of(1, unary),
                net.jqwik.api.Tuple.of(3, binary),
                net.jqwik.api.Tuple.of(1, call));
    }

    private static Arbitrary<Expr> numbers() {
        Arbitrary<Double> anyBits = Arbitraries.longs().map(Double::longBitsToDouble)
                .filter(v -> Double.isFinite(v) && v >= 0 && Double.doubleToRawLongBits(v) >= 0);
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 1000).map(Integer::doubleValue),
                anyBits,
                Arbitraries.of(0.0, 0.1, 1e-300, Double.MIN_VALUE, Double.MAX_VALUE,
                        2147483647.0, 2147483648.0, 1e15, 1e16))
                .map(v -> new Num(v, 0));
    }

    private static Arbitrary<String> names() {
        return Combinators.combine(
                        Arbitraries.chars().with('_').range('a', 'z').range('A', 'Z'),
                        Arbitraries.strings().withChars('_').withCharRange('a', 'z').withCharRange('0', '9').ofMaxLength(4))
                .as((c, s) -> c + s);
    }

    @Provide
    Arbitrary<String> garbage() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(30),
                Arbitraries.strings().withChars("0123456789abcxeEpPLlfFdD._+-*/^()[],<>=! \t\n#").ofMaxLength(30));
    }

    @Provide
    Arbitrary<String> tokenSoup() {
        List<String> tokens = List.of("x", "w", "x0", "1", "0", "2.5", ".5", "1e3", "0x1F", "017", "0b1", "1L",
                "1.1f", "0x1.8p1", "2147483648", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "<", "<=",
                "==", "!=", ">", ">=", "max", "sqrt", "select", "sum", "dot", "foo", " ", "_", "1_0");
        return Arbitraries.of(tokens).list().ofMaxSize(20).map(l -> String.join("", l));
    }
}
