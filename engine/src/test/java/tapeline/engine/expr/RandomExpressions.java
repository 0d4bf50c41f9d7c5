package tapeline.engine.expr;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random compositions of the ops as expression text over the names {@code u}, {@code v} (meant as
 * variables) and {@code c} (an input): smooth and defined everywhere (the arguments of log, sqrt,
 * division and real powers are kept positive). Shared by the gradient tests and the compiled-tape tests.
 */
public final class RandomExpressions {
    private RandomExpressions() {
    }

    /** Expressions nested at most {@code depth} deep. */
    public static Arbitrary<String> smooth(int depth) {
        Arbitrary<String> leaf = Arbitraries.oneOf(
                Arbitraries.of("u", "v", "c"),
                Arbitraries.doubles().between(-3, 3).ofScale(2).map(d -> "(" + d + ")"));
        if (depth == 0) return leaf;
        Arbitrary<String> sub = Arbitraries.lazy(() -> smooth(depth - 1));
        Arbitrary<String> positive = sub.map(e -> "(1.5 + square(" + e + "))");
        Arbitrary<String> bounded = sub.map(e -> "tanh(" + e + ")");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, leaf),
                net.jqwik.api.Tuple.of(3, Combinators.combine(sub, sub, Arbitraries.of("+", "-", "*")).as((a, b, op) -> "(" + a + " " + op + " " + b + ")")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(sub, positive).as((a, b) -> "(" + a + " / " + b + ")")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(bounded, Arbitraries.of("2", "3")).as((a, k) -> "(" + a + ")^" + k)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(positive, Arbitraries.of("-1", "0.5", "-2.5")).as((a, k) -> a + "^" + k)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(positive, bounded).as((a, b) -> "pow(" + a + ", " + b + ")")),
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("sin", "cos", "tanh", "sigmoid", "softplus", "exp"), bounded)
                        .as((f, a) -> f + "(" + a + ")")),
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("log", "sqrt", "log1p"), positive).as((f, a) -> f + "(" + a + ")")),
                // Issue 23's functions (atan, asin, acos, sinh, cosh, atan2, pi), each on a domain where it is smooth.
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("atan(%2$s)", "asin(0.9 * %1$s)", "acos(0.9 * %1$s)",
                        "sinh(%1$s)", "cosh(%1$s)", "atan2(%2$s, 1.5 + square(%1$s))", "(pi * %2$s)"), bounded, sub).as(String::format)),
                net.jqwik.api.Tuple.of(1, sub.map(e -> "-" + e)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(bounded, sub).as((a, b) -> "expm1(" + a + ") * " + b)));
    }

    /**
     * As {@link #smooth}, plus every op with a kink, a branch or no gradient (relu, abs, min, max,
     * select, comparisons, tan, a zero power, division by anything): for tests that compare two
     * implementations bit for bit, where a non-finite value is as good a value as any.
     */
    public static Arbitrary<String> anyOp(int depth) {
        if (depth == 0) return smooth(0);
        Arbitrary<String> sub = Arbitraries.lazy(() -> anyOp(depth - 1));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, smooth(depth)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("relu", "abs", "tan", "neg", "square"), sub)
                        .as((f, a) -> f + "(" + a + ")")),
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("min", "max", "pow"), sub, sub)
                        .as((f, a, b) -> f + "(" + a + ", " + b + ")")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(sub, sub, sub).as((c, a, b) -> "select(" + c + ", " + a + ", " + b + ")")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(sub, sub, Arbitraries.of("<", "<=", ">", ">=", "==", "!="))
                        .as((a, b, op) -> "(" + a + " " + op + " " + b + ") * " + a)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(sub, sub).as((a, b) -> "(" + a + " / " + b + ")")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(sub, Arbitraries.of("0", "2", "3", "-1", "0.5")).as((a, k) -> "(" + a + ")^" + k)));
    }
}
