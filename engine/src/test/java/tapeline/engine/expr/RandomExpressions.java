package tapeline.engine.expr;

import static org.quicktheories.generators.SourceDSL.integers;

import java.util.List;

import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random compositions of the ops as expression text over the names {@code u}, {@code v} (meant as
 * variables) and {@code c} (an input): smooth and defined everywhere (the arguments of log, sqrt,
 * division and real powers are kept positive). Shared by the gradient tests and the compiled-tape tests.
 * QuickTheories generators: a failing case shrinks towards leaves and small constants.
 */
public final class RandomExpressions {
    private RandomExpressions() {
    }

    private static Gen<String> of(String... choices) {
        return Generate.pick(List.of(choices));
    }

    /** Expressions nested at most {@code depth} deep. */
    public static Gen<String> smooth(int depth) {
        // Constants in [-3, 3] with two decimals, 0 and the ends among them.
        Gen<String> leaf = Generate.oneOf(of("u", "v", "c"), integers().between(-300, 300).map(k -> "(" + k / 100.0 + ")"));
        if (depth == 0) return leaf;
        Gen<String> sub = smooth(depth - 1);
        Gen<String> positive = sub.map(e -> "(1.5 + square(" + e + "))");
        Gen<String> bounded = sub.map(e -> "tanh(" + e + ")");
        return Generate.frequency(List.of(
                Pair.of(2, leaf),
                Pair.of(3, sub.zip(sub, of("+", "-", "*"), (a, b, op) -> "(" + a + " " + op + " " + b + ")")),
                Pair.of(1, sub.zip(positive, (a, b) -> "(" + a + " / " + b + ")")),
                Pair.of(1, bounded.zip(of("2", "3"), (a, k) -> "(" + a + ")^" + k)),
                Pair.of(1, positive.zip(of("-1", "0.5", "-2.5"), (a, k) -> a + "^" + k)),
                Pair.of(1, positive.zip(bounded, (a, b) -> "pow(" + a + ", " + b + ")")),
                Pair.of(2, of("sin", "cos", "tanh", "sigmoid", "softplus", "exp").zip(bounded, (f, a) -> f + "(" + a + ")")),
                Pair.of(2, of("log", "sqrt", "log1p").zip(positive, (f, a) -> f + "(" + a + ")")),
                // Issue 23's functions (atan, asin, acos, sinh, cosh, atan2, pi), each on a domain where it is smooth.
                Pair.of(2, of("atan(%2$s)", "asin(0.9 * %1$s)", "acos(0.9 * %1$s)", "sinh(%1$s)", "cosh(%1$s)",
                        "atan2(%2$s, 1.5 + square(%1$s))", "(pi * %2$s)").zip(bounded, sub, (f, a, b) -> String.format(f, a, b))),
                Pair.of(1, sub.map(e -> "-" + e)),
                Pair.of(1, bounded.zip(sub, (a, b) -> "expm1(" + a + ") * " + b))));
    }

    /**
     * As {@link #smooth}, plus every op with a kink, a branch or no gradient (relu, abs, min, max,
     * select, comparisons, tan, a zero power, division by anything): for tests that compare two
     * implementations bit for bit, where a non-finite value is as good a value as any.
     */
    public static Gen<String> anyOp(int depth) {
        if (depth == 0) return smooth(0);
        Gen<String> sub = anyOp(depth - 1);
        return Generate.frequency(List.of(
                Pair.of(4, smooth(depth)),
                Pair.of(2, of("relu", "abs", "tan", "neg", "square").zip(sub, (f, a) -> f + "(" + a + ")")),
                Pair.of(2, of("min", "max", "pow").zip(sub, sub, (f, a, b) -> f + "(" + a + ", " + b + ")")),
                Pair.of(1, sub.zip(sub, sub, (c, a, b) -> "select(" + c + ", " + a + ", " + b + ")")),
                Pair.of(1, sub.zip(sub, of("<", "<=", ">", ">=", "==", "!="), (a, b, op) -> "(" + a + " " + op + " " + b + ") * " + a)),
                Pair.of(1, sub.zip(sub, (a, b) -> "(" + a + " / " + b + ")")),
                Pair.of(1, sub.zip(of("0", "2", "3", "-1", "0.5"), (a, k) -> "(" + a + ")^" + k))));
    }
}
