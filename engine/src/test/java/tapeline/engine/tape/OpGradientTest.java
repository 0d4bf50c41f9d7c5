package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import tapeline.engine.Theories;

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

    record Case<T>(T op, double[] a, double[] b) {
        @Override public String toString() {
            return op + " a=" + java.util.Arrays.toString(a) + (b == null ? "" : " b=" + java.util.Arrays.toString(b));
        }
    }

    static Gen<Case<Unary>> unaryCases() {
        return Generate.pick(UNARY).flatMap(op -> lanes(op.lo(), op.hi()).map(a -> new Case<>(op, a, null)));
    }

    static Gen<Case<Binary>> binaryCases() {
        return Generate.pick(BINARY).flatMap(op -> lanes(op.lo(), op.hi()).zip(lanes(op.lo2(), op.hi2()), (a, b) -> new Case<>(op, a, b)));
    }

    /** Four lanes, each uniform in [lo, hi] with the ends (and zero, when inside) as edge cases. */
    static Gen<double[]> lanes(double lo, double hi) {
        Gen<Double> x = Theories.doubles(lo, hi);
        return x.zip(x, x, x, (a, b, c, d) -> new double[] {a, b, c, d});
    }

    @Test
    void unaryBackwardMatchesFiniteDifferences() {
        Theories.qt(400).forAll(unaryCases()).checkAssert(OpGradientTest::unaryBackwardMatchesFiniteDifferencesCase);
    }

    static void unaryBackwardMatchesFiniteDifferencesCase(Case<Unary> c) {
        double[][] g = gradient(c.a(), null, (x, y) -> c.op().f().apply(x));
        UnaryOperator<double[]> f = a -> forward(a, null, (x, y) -> c.op().f().apply(x));
        assertClose(c.op().name(), g[0], numeric(c.a(), a -> f.apply(a)));
    }

    @Test
    void binaryBackwardMatchesFiniteDifferences() {
        Theories.qt(400).forAll(binaryCases()).checkAssert(OpGradientTest::binaryBackwardMatchesFiniteDifferencesCase);
    }

    static void binaryBackwardMatchesFiniteDifferencesCase(Case<Binary> c) {
        double[][] g = gradient(c.a(), c.b(), c.op().f());
        assertClose(c.op().name() + " d/da", g[0], numeric(c.a(), a -> forward(a, c.b(), c.op().f())));
        assertClose(c.op().name() + " d/db", g[1], numeric(c.b(), b -> forward(c.a(), b, c.op().f())));
    }

    /**
     * The solver's shortcut, {@link Tape#forwardForGradient}, computes only the values backward
     * rules read: after the variables move, its gradients must equal those of a full forward pass.
     */
    @Test
    void gradientOnlyForwardGivesTheSameGradients() {
        Theories.qt(300).forAll(binaryCases()).checkAssert(OpGradientTest::gradientOnlyForwardGivesTheSameGradientsCase);
    }

    static void gradientOnlyForwardGivesTheSameGradientsCase(Case<Binary> c) {
        Tape tape = new Tape(DType.FLOAT64);
        double[] a = c.a().clone();
        double[] b = c.b().clone();
        int na = tape.variable(a, true, true);
        int nb = tape.variable(b, true, true);
        // Use the op inside a small composition so that its inputs and output are intermediate values.
        Tensor ta = tape.tensor(na).mul(1.0).add(0.0);
        Tensor tb = tape.tensor(nb).add(0.0);
        // An addition on top reads nothing: whatever the op's rule reads is all that keeps values alive.
        int target = c.op().f().apply(ta, tb).add(tape.tensor(na).sin()).node();
        for (int j = 0; j < a.length; j++) {
            a[j] = a[j] * 0.9 + 0.01; // move the variables, staying inside the op's domain
            b[j] = b[j] * 0.9 + (b[j] > 0 ? 0.01 : -0.01);
        }
        tape.forwardForGradient(target);
        tape.backward(target);
        double[] ga = tape.gradient(na).clone();
        double[] gb = tape.gradient(nb).clone();
        tape.forward();
        tape.backward(target);
        assertThat(ga).as(c.op().name()).isEqualTo(tape.gradient(na));
        assertThat(gb).as(c.op().name()).isEqualTo(tape.gradient(nb));
    }

    @Test
    void gradientOnlyForwardGivesTheSameGradientsUnary() {
        Theories.qt(300).forAll(unaryCases()).checkAssert(OpGradientTest::gradientOnlyForwardGivesTheSameGradientsUnaryCase);
    }

    static void gradientOnlyForwardGivesTheSameGradientsUnaryCase(Case<Unary> c) {
        Tape tape = new Tape(DType.FLOAT64);
        double[] a = c.a().clone();
        int na = tape.variable(a, true, true);
        int target = c.op().f().apply(tape.tensor(na).mul(1.0)).add(0.0).node();
        for (int j = 0; j < a.length; j++) a[j] = a[j] * 0.9 + (a[j] > 0 ? 0.01 : -0.01);
        tape.forwardForGradient(target);
        tape.backward(target);
        double[] ga = tape.gradient(na).clone();
        tape.forward();
        tape.backward(target);
        assertThat(ga).as(c.op().name()).isEqualTo(tape.gradient(na));
    }

    /**
     * {@code dot(w, x)} as one op (and ADD, SUB, MUL with a shared side, which read it directly):
     * the gradient to shared components is a lane reduction, to per-row components a product;
     * both against finite differences of the forward rule. A random mix of shared and per-lane
     * components on each side, k from 1 to 6.
     */
    @Test
    void dotAndSharedInputsMatchFiniteDifferences() {
        Theories.qt(300).forAll(dotCases()).checkAssert(OpGradientTest::dotAndSharedInputsMatchFiniteDifferencesCase);
    }

    static void dotAndSharedInputsMatchFiniteDifferencesCase(DotCase c) {
        int k = c.u().length;
        double[][][] at = {c.u(), c.v()};
        double[][][] g = dotGradient(at, c.shared(), c.op());
        for (int side = 0; side < 2; side++) {
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < at[side][j].length; i++) {
                    double x0 = at[side][j][i];
                    double h = 1e-6 * Math.max(1, Math.abs(x0));
                    at[side][j][i] = x0 + h;
                    double up = dotForward(at, c.shared(), c.op());
                    at[side][j][i] = x0 - h;
                    double down = dotForward(at, c.shared(), c.op());
                    at[side][j][i] = x0;
                    double fd = (up - down) / (2 * h);
                    assertThat(g[side][j][i]).as("%s side %d component %d lane %d (shared %s)", c.op(), side, j, i,
                                    java.util.Arrays.deepToString(c.shared()))
                            .isCloseTo(fd, org.assertj.core.api.Assertions.within(1e-5 * Math.max(1, Math.abs(fd))));
                }
            }
        }
    }

    /** u, v: k components each, a shared one holds one value, a per-lane one 4; op: dot, add, sub or mul (k = 1). */
    record DotCase(String op, double[][] u, double[][] v, boolean[][] shared) {
        @Override public String toString() {
            return op + " u=" + java.util.Arrays.deepToString(u) + " v=" + java.util.Arrays.deepToString(v) + " shared="
                    + java.util.Arrays.deepToString(shared);
        }
    }

    static Gen<DotCase> dotCases() {
        return Generate.pick(List.of("dot", "add", "sub", "mul")).flatMap(op -> org.quicktheories.generators.SourceDSL.integers()
                .between(1, op.equals("dot") ? 6 : 1).flatMap(k -> Theories.seeds().map(seed -> {
                    java.util.Random r = new java.util.Random(seed);
                    double[][][] uv = new double[2][k][];
                    boolean[][] shared = new boolean[2][k];
                    for (int j = 0; j < k; j++) {
                        shared[0][j] = r.nextBoolean();
                        shared[1][j] = !shared[0][j] || r.nextBoolean(); // both shared is allowed, not in every pair
                        for (int side = 0; side < 2; side++) {
                            uv[side][j] = new double[shared[side][j] ? 1 : 4];
                            for (int i = 0; i < uv[side][j].length; i++) uv[side][j][i] = r.nextDouble() * 6 - 3;
                        }
                    }
                    if (k == 1 && shared[0][0] && shared[1][0]) shared[1][0] = false; // one side must have lanes
                    if (uv[1][0].length != (shared[1][0] ? 1 : 4)) uv[1][0] = new double[] {0.5, -1.5, 2, 1};
                    return new DotCase(op, uv[0], uv[1], shared);
                })));
    }

    static Tensor dotOp(String op, GradientTape tape, Tensor[][] t) {
        return switch (op) {
            case "dot" -> Tensor.dot(t[0], t[1]);
            case "add" -> t[0][0].add(t[1][0]);
            case "sub" -> t[0][0].sub(t[1][0]);
            default -> t[0][0].mul(t[1][0]);
        };
    }

    static Tensor[][] dotInputs(GradientTape tape, double[][][] at, boolean[][] shared) {
        Tensor[][] t = new Tensor[2][at[0].length];
        for (int side = 0; side < 2; side++) {
            for (int j = 0; j < at[side].length; j++) {
                t[side][j] = tape.watch(shared[side][j] ? tape.scalar(at[side][j][0]) : tape.constant(at[side][j]));
            }
        }
        return t;
    }

    static double[][][] dotGradient(double[][][] at, boolean[][] shared, String op) {
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor[][] t = dotInputs(tape, at, shared);
            Tensor out = dotOp(op, tape, t);
            double[][][] g = new double[2][at[0].length][];
            for (int side = 0; side < 2; side++) {
                g[side] = tape.gradient(out, UnconnectedGradients.ZERO, t[side]);
            }
            return g;
        }
    }

    /** The sum over lanes (one value when every component is shared). */
    static double dotForward(double[][][] at, boolean[][] shared, String op) {
        try (GradientTape tape = new GradientTape()) {
            Tensor out = dotOp(op, tape, dotInputs(tape, at, shared));
            double s = 0;
            for (double v : out.values()) s += v;
            return s;
        }
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
