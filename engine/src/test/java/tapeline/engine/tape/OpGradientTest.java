package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every op's backward rule against central finite differences of its forward rule, over random
 * lanes (float64). One table, one checker, as JAX's gradient tests do it.
 */
class OpGradientTest {

    record Unary(String name, UnaryOperator<Tensor> f, double lo, double hi) {
        @Override public String toString() { return name; }
    }

    record Binary(String name, BinaryOperator<Tensor> f, double lo, double hi, double lo2, double hi2) {
        @Override public String toString() { return name; }
    }

    static final List<Unary> UNARY = List.of(
            new Unary("neg", Tensor::neg, -5, 5),
            new Unary("square", Tensor::square, -5, 5),
            new Unary("sqrt", Tensor::sqrt, 0.1, 9),
            new Unary("exp", Tensor::exp, -4, 4),
            new Unary("log", Tensor::log, 0.1, 9),
            new Unary("log1p", Tensor::log1p, -0.9, 9),
            new Unary("expm1", Tensor::expm1, -4, 4),
            new Unary("sin", Tensor::sin, -6, 6),
            new Unary("cos", Tensor::cos, -6, 6),
            new Unary("tan", Tensor::tan, -1.3, 1.3),
            new Unary("tanh", Tensor::tanh, -4, 4),
            new Unary("sigmoid", Tensor::sigmoid, -8, 8),
            new Unary("softplus", Tensor::softplus, -8, 8),
            new Unary("relu(+)", Tensor::relu, 0.01, 5),
            new Unary("relu(-)", Tensor::relu, -5, -0.01),
            new Unary("abs(+)", Tensor::abs, 0.01, 5),
            new Unary("abs(-)", Tensor::abs, -5, -0.01),
            new Unary("pow 3", t -> t.pow(3), -3, 3),
            new Unary("pow -2", t -> t.pow(-2), 0.3, 3),
            new Unary("pow 0.5", t -> t.pow(0.5), 0.1, 9),
            new Unary("pow 2.7", t -> t.pow(2.7), 0.1, 3),
            new Unary("sum", Tensor::sum, -5, 5),
            new Unary("mean", Tensor::mean, -5, 5));

    static final List<Binary> BINARY = List.of(
            new Binary("add", Tensor::add, -5, 5, -5, 5),
            new Binary("sub", Tensor::sub, -5, 5, -5, 5),
            new Binary("mul", Tensor::mul, -5, 5, -5, 5),
            new Binary("div", Tensor::div, -5, 5, 0.5, 5),
            new Binary("pow", Tensor::pow, 0.2, 3, -2, 2),
            new Binary("min(a<b)", Tensor::min, -5, -0.1, 0.1, 5),
            new Binary("min(a>b)", Tensor::min, 0.1, 5, -5, -0.1),
            new Binary("max(a<b)", Tensor::max, -5, -0.1, 0.1, 5),
            new Binary("max(a>b)", Tensor::max, 0.1, 5, -5, -0.1),
            new Binary("select(a,b; c=a)", (a, b) -> Tensor.select(a, a, b), 0.1, 5, -5, 5),
            new Binary("select(a,b; c=b)", (a, b) -> Tensor.select(b, a, b), -5, 5, -5, -0.1));

    record Case<T>(T op, double[] a, double[] b) { }

    @Provide
    Arbitrary<Case<Unary>> unaryCases() {
        return Arbitraries.of(UNARY).flatMap(op -> lanes(op.lo(), op.hi()).map(a -> new Case<>(op, a, null)));
    }

    @Provide
    Arbitrary<Case<Binary>> binaryCases() {
        return Arbitraries.of(BINARY).flatMap(op -> Combinators.combine(lanes(op.lo(), op.hi()), lanes(op.lo2(), op.hi2()))
                .as((a, b) -> new Case<>(op, a, b)));
    }

    static Arbitrary<double[]> lanes(double lo, double hi) {
        return Arbitraries.doubles().between(lo, hi).array(double[].class).ofSize(4);
    }

    @Property(tries = 400)
    void unaryBackwardMatchesFiniteDifferences(@ForAll("unaryCases") Case<Unary> c) {
        double[][] g = gradient(c.a(), null, (x, y) -> c.op().f().apply(x));
        UnaryOperator<double[]> f = a -> forward(a, null, (x, y) -> c.op().f().apply(x));
        assertClose(c.op().name(), g[0], numeric(c.a(), a -> f.apply(a)));
    }

    @Property(tries = 400)
    void binaryBackwardMatchesFiniteDifferences(@ForAll("binaryCases") Case<Binary> c) {
        double[][] g = gradient(c.a(), c.b(), c.op().f());
        assertClose(c.op().name() + " d/da", g[0], numeric(c.a(), a -> forward(a, c.b(), c.op().f())));
        assertClose(c.op().name() + " d/db", g[1], numeric(c.b(), b -> forward(c.a(), b, c.op().f())));
    }

    /** Gradient of the sum of f's lanes with respect to both inputs, from the tape. */
    static double[][] gradient(double[] a, double[] b, BinaryOperator<Tensor> f) {
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor ta = tape.watch(tape.constant(a));
            Tensor tb = b == null ? null : tape.watch(tape.constant(b));
            Tensor out = f.apply(ta, tb);
            return tape.gradient(out, UnconnectedGradients.ZERO, ta, tb == null ? ta : tb);
        }
    }

    /** The sum of f's lanes, computed by the forward rules only. */
    static double[] forward(double[] a, double[] b, BinaryOperator<Tensor> f) {
        try (GradientTape tape = new GradientTape()) {
            Tensor out = f.apply(tape.constant(a), b == null ? null : tape.constant(b));
            double s = 0;
            for (double v : out.values()) s += v;
            return new double[] {s};
        }
    }

    /** Central differences of the scalar {@code f} in each lane of {@code x}. */
    static double[] numeric(double[] x, java.util.function.Function<double[], double[]> f) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double h = 1e-6 * Math.max(1, Math.abs(x[i]));
            double[] up = x.clone();
            double[] down = x.clone();
            up[i] += h;
            down[i] -= h;
            g[i] = (f.apply(up)[0] - f.apply(down)[0]) / (2 * h);
        }
        return g;
    }

    static void assertClose(String what, double[] analytic, double[] numeric) {
        for (int i = 0; i < analytic.length; i++) {
            double tol = 1e-5 * Math.max(1, Math.abs(numeric[i]));
            assertThat(analytic[i]).as("%s lane %d: tape %s, finite differences %s", what, i, analytic[i], numeric[i])
                    .isCloseTo(numeric[i], org.assertj.core.api.Assertions.within(tol));
        }
    }
}
