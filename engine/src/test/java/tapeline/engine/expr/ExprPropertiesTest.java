package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;

import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import tapeline.engine.Theories;
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

    @Test
    void printedTreesParseBackToTheSameTree() {
        Theories.qt(2000).forAll(trees()).checkAssert(tree -> {
            Expr parsed = Expression.parse(tree.toString()).root();
            assertThat(strip(parsed)).isEqualTo(tree);
        });
    }

    @Test
    void garbageOnlyEverFailsWithExpressionException() {
        Theories.qt(3000).forAll(garbage()).checkAssert(ExprPropertiesTest::checkParsesOrFailsCleanly);
    }

    @Test
    void tokenSoupOnlyEverFailsWithExpressionException() {
        Theories.qt(3000).forAll(tokenSoup()).checkAssert(ExprPropertiesTest::checkParsesOrFailsCleanly);
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

    static Gen<Expr> trees() {
        return tree(4).describedAs(Expr::toString);
    }

    private static Gen<Expr> tree(int depth) {
        Gen<Expr> leaf = Generate.oneOf(numbers(), names().map(n -> new Name(n, 0)),
                names().zip(integers().between(0, 1000), (n, k) -> new Index(new Name(n, 0), k, 0)));
        if (depth == 0) {
            return leaf;
        }
        Gen<Expr> sub = tree(depth - 1);
        Gen<Expr> unary = sub.map(e -> new Unary(UnaryOp.NEG, e, 0));
        Gen<Expr> binary = Generate.enumValues(BinaryOp.class).zip(sub, sub, (op, l, r) -> new Binary(op, l, r, 0));
        Gen<Expr> call = Generate.enumValues(Function.class).flatMap(f ->
                lists().of(sub).ofSize(f.arity()).map(args -> new Call(f.symbol(), args, 0)));
        return Generate.frequency(List.of(Pair.of(3, leaf), Pair.of(1, unary), Pair.of(3, binary), Pair.of(1, call)));
    }

    private static Gen<Expr> numbers() {
        // Every positive finite double by its bits (+0.0 up to MAX_VALUE), small integers, and the edges.
        Gen<Double> anyBits = longs().between(0, Double.doubleToRawLongBits(Double.MAX_VALUE)).map(Double::longBitsToDouble);
        return Generate.oneOf(
                integers().between(0, 1000).map(Integer::doubleValue),
                anyBits,
                Generate.pick(List.of(0.0, 0.1, 1e-300, Double.MIN_VALUE, Double.MAX_VALUE,
                        2147483647.0, 2147483648.0, 1e15, 1e16)))
                .map(v -> new Num(v, 0));
    }

    /** Characters from {@code ranges}: pairs of first and last, inclusive. */
    private static Gen<Character> chars(char... ranges) {
        List<Character> all = new ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) for (char c = ranges[i]; c <= ranges[i + 1]; c++) all.add(c);
        return Generate.pick(all);
    }

    private static Gen<String> joined(Gen<?> parts, int maxSize) {
        return lists().of(parts).ofSizeBetween(0, maxSize).map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
    }

    private static Gen<String> names() {
        return chars('_', '_', 'a', 'z', 'A', 'Z').zip(joined(chars('_', '_', 'a', 'z', '0', '9'), 4), (c, s) -> c + s);
    }

    static Gen<String> garbage() {
        List<Character> soup = new ArrayList<>();
        for (char c : "0123456789abcxeEpPLlfFdD._+-*/^()[],<>=! \t\n#".toCharArray()) soup.add(c);
        return Generate.oneOf(
                strings().allPossible().ofLengthBetween(0, 30),
                joined(Generate.pick(soup), 30));
    }

    static Gen<String> tokenSoup() {
        List<String> tokens = List.of("x", "w", "x0", "1", "0", "2.5", ".5", "1e3", "0x1F", "017", "0b1", "1L",
                "1.1f", "0x1.8p1", "2147483648", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "<", "<=",
                "==", "!=", ">", ">=", "max", "sqrt", "select", "sum", "dot", "foo", " ", "_", "1_0");
        return joined(Generate.pick(tokens), 20);
    }
}
