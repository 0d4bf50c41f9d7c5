package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.BinaryOperator;

import org.junit.jupiter.api.Test;
import tapeline.engine.Theories;

/**
 * Second derivatives: every op's derivative program ({@link SymbolicBackward}), differentiated
 * again, against central finite differences of its first-order rule ({@link Op}'s backward), over
 * the same table of ops and domains as {@link OpGradientTest}; TensorFlow's documented nested-tape
 * examples; the helpers (jacobian, hessian, Hessian-vector product) against closed forms.
 */
class SecondOrderTest {

    @Test
    void unarySecondDerivativesMatchFiniteDifferencesOfTheFirst() {
        Theories.qt(300).forAll(OpGradientTest.unaryCases()).checkAssert(SecondOrderTest::unarySecondDerivatives);
    }

    static void unarySecondDerivatives(OpGradientTest.Case<OpGradientTest.Unary> c) {
        BinaryOperator<Tensor> f = (x, y) -> c.op().f().apply(x);
        double[][][] h = hessian(c.a(), null, f);
        double[] numeric = new double[c.a().length];
        for (int l = 0; l < numeric.length; l++) numeric[l] = derivativeOfGradient(c.a(), null, f, 0, 0, l);
        OpGradientTest.assertClose(c.op().name() + " d2/da2", h[0][0], numeric);
    }

    @Test
    void binarySecondDerivativesMatchFiniteDifferencesOfTheFirst() {
        Theories.qt(300).forAll(OpGradientTest.binaryCases()).checkAssert(SecondOrderTest::binarySecondDerivatives);
    }

    static void binarySecondDerivatives(OpGradientTest.Case<OpGradientTest.Binary> c) {
        BinaryOperator<Tensor> f = c.op().f();
        double[][][] h = hessian(c.a(), c.b(), f);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double[] numeric = new double[c.a().length];
                for (int l = 0; l < numeric.length; l++) numeric[l] = derivativeOfGradient(c.a(), c.b(), f, i, j, l);
                OpGradientTest.assertClose(c.op().name() + " H[" + i + "][" + j + "]", h[i][j], numeric);
            }
        }
    }

    /**
     * {@link HessianProgram#evaluateUpper} (the element tape's Hessian: row i's pass for {@code j >= i},
     * mirrored) against central differences of the gradient, symmetric bit for bit, and equal to
     * {@link HessianProgram#evaluate}'s mean of both halves to rounding; shared sources are refused.
     */
    @Test
    void upperHalfMatchesFiniteDifferencesAndTheMean() {
        Theories.qt(300).forAll(OpGradientTest.binaryCases()).checkAssert(c -> {
            BinaryOperator<Tensor> f = c.op().f();
            double[][][] mean = hessian(c.a(), c.b(), f);
            Tape tape = new Tape(DType.FLOAT64);
            int na = tape.variable(c.a().clone(), true, true);
            int nb = tape.variable(c.b().clone(), true, true);
            int y = f.apply(tape.tensor(na), tape.tensor(nb)).node();
            HessianProgram h = HessianProgram.record(tape, y, new int[] {na, nb});
            double[][] g = new double[2][c.a().length];
            double[][][] upper = new double[2][2][c.a().length];
            tape.forward();
            h.evaluateUpper(g, upper);
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    double[] numeric = new double[c.a().length];
                    for (int l = 0; l < numeric.length; l++) numeric[l] = derivativeOfGradient(c.a(), c.b(), f, i, j, l);
                    OpGradientTest.assertClose(c.op().name() + " upper H[" + i + "][" + j + "]", upper[i][j], numeric);
                    for (int l = 0; l < numeric.length; l++) {
                        assertThat(Double.doubleToLongBits(upper[i][j][l])).isEqualTo(Double.doubleToLongBits(upper[j][i][l]));
                        assertThat(upper[i][j][l]).as("%s H[%d][%d] lane %d against the mean", c.op().name(), i, j, l)
                                .isCloseTo(mean[i][j][l], within(1e-12 * Math.max(1, Math.abs(mean[i][j][l]))));
                    }
                }
            }
        });
        Tape tape = new Tape(DType.FLOAT64);
        int w = tape.variable(new double[] {2.0}, false, true);
        int y = tape.tensor(w).square().node();
        HessianProgram h = HessianProgram.record(tape, y, new int[] {w});
        tape.forward();
        assertThatThrownBy(() -> h.evaluateUpper(new double[1][1], new double[1][1][1]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("node " + w);
    }

    /** The gradient program's values equal the first-order rules' gradients, bit for bit where they can. */
    @Test
    void gradientProgramGivesTheFirstOrderGradient() {
        Theories.qt(200).forAll(OpGradientTest.binaryCases()).checkAssert(SecondOrderTest::gradientProgramCase);
    }

    static void gradientProgramCase(OpGradientTest.Case<OpGradientTest.Binary> c) {
        double[][] first = OpGradientTest.gradient(c.a(), c.b(), c.op().f());
        Tape tape = new Tape(DType.FLOAT64);
        int na = tape.variable(c.a().clone(), true, true);
        int nb = tape.variable(c.b().clone(), true, true);
        int y = c.op().f().apply(tape.tensor(na), tape.tensor(nb)).node();
        int[] g = tape.gradientProgram(y, new int[] {na, nb});
        for (int k = 0; k < 2; k++) {
            double[] program = g[k] < 0 ? new double[c.a().length] : tape.values(g[k]);
            for (int l = 0; l < program.length; l++) {
                assertThat(program[l]).as("%s d/d%s lane %d", c.op().name(), k, l)
                        .isCloseTo(first[k][l], within(1e-12 * Math.max(1, Math.abs(first[k][l]))));
            }
        }
    }

    /** TensorFlow's choices at the kinks, and their derivatives: piecewise-constant first derivatives. */
    @Test
    void kinksFollowTensorFlow() {
        double[] zero = {0.0};
        assertThat(firstAndSecond(zero, Tensor::relu)).containsExactly(0.0, 0.0);   // relu'(0) = 0
        assertThat(firstAndSecond(zero, Tensor::abs)).containsExactly(0.0, 0.0);    // abs'(0) = 0
        assertThat(firstAndSecond(new double[] {-2}, t -> t.abs().square())).containsExactly(-4.0, 2.0);
        // max(a, b) at a tie: the gradient goes to a; its derivative is 0 either way.
        double[][][] h = hessian(new double[] {1.5}, new double[] {1.5}, Tensor::max);
        assertThat(h[0][0][0]).isZero();
        assertThat(OpGradientTest.gradient(new double[] {1.5}, new double[] {1.5}, Tensor::max)[0]).containsExactly(1.0);
        // a^b where a <= 0: d/db is 0 and so is its derivative: no NaN from log(a) gets through.
        double[][][] p = hessian(new double[] {-2.0}, new double[] {2.0}, Tensor::pow);
        assertThat(p[1][1][0]).isZero();
        assertThat(p[0][1][0]).isFinite(); // the mixed term: (a^(b-1) + 0) / 2, the two orders symmetrised
        assertThat(p[0][0][0]).isEqualTo(2.0); // d2/da2 a^2 = 2
    }

    /** The TensorFlow guide's nested-tape example: y = x^3, dy/dx = 3 x^2, d2y/dx2 = 6 x. */
    @Test
    void nestedTapesGiveTheSecondDerivativeAsInTensorFlow() {
        Variable x = Variable.scalar("x", 3.0, DType.FLOAT64);
        try (GradientTape outer = new GradientTape()) {
            Tensor dy;
            try (GradientTape inner = outer.nested()) {
                Tensor xt = inner.read(x);
                Tensor y = xt.mul(xt).mul(xt);
                dy = inner.gradientTensors(y, x)[0];
            }
            assertThat(dy.value()).isEqualTo(27.0);
            assertThat(outer.gradient(dy, x)[0]).containsExactly(18.0);
        }
        Variable one = Variable.scalar("x", 1.0, DType.FLOAT64); // the guide's own numbers: 3.0 and 6.0
        try (GradientTape outer = new GradientTape()) {
            GradientTape inner = outer.nested();
            Tensor xt = inner.read(one);
            Tensor dy = inner.gradientTensors(xt.pow(3), one)[0];
            assertThat(dy.value()).isEqualTo(3.0);
            assertThat(outer.gradient(dy, one)[0]).containsExactly(6.0);
        }
    }

    /** Three tapes deep: the third derivative of sin at 0.4 is -cos(0.4). */
    @Test
    void tapesNestThreeDeep() {
        Variable x = Variable.perLane("x", new double[] {0.4, -1.1}, DType.FLOAT64);
        try (GradientTape t3 = new GradientTape()) {
            GradientTape t2 = t3.nested();
            GradientTape t1 = t2.nested();
            Tensor y = t1.read(x).sin();
            Tensor d1 = t1.gradientTensors(y, x)[0];
            Tensor d2 = t2.gradientTensors(d1, x)[0];
            double[] d3 = t3.gradient(d2, x)[0];
            assertThat(d1.values()).containsExactly(Math.cos(0.4), Math.cos(-1.1));
            assertThat(d2.values()).containsExactly(-Math.sin(0.4), -Math.sin(-1.1));
            assertThat(d3).containsExactly(-Math.cos(0.4), -Math.cos(-1.1));
        }
    }

    @Test
    void hessianJacobianAndHessianVectorProductPerLane() {
        Variable u = Variable.perLane("u", new double[] {1, 2, -3}, DType.FLOAT64);
        Variable v = Variable.perLane("v", new double[] {0.5, -1, 4}, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor ut = tape.read(u);
            Tensor vt = tape.read(v);
            Tensor f = ut.square().mul(vt).add(vt.pow(3)); // u^2 v + v^3
            double[][][] h = tape.hessian(f, u, v);      // {{2v, 2u}, {2u, 6v}}
            for (int l = 0; l < 3; l++) {
                double uu = u.values()[l];
                double vv = v.values()[l];
                assertThat(new double[] {h[0][0][l], h[0][1][l], h[1][0][l], h[1][1][l]})
                        .containsExactly(2 * vv, 2 * uu, 2 * uu, 6 * vv);
            }
            double[][] hv = tape.hessianVectorProduct(f, new Variable[] {u, v}, new double[][] {{1}, {-2, 0, 3}});
            for (int l = 0; l < 3; l++) {
                double w = new double[] {-2, 0, 3}[l];
                assertThat(hv[0][l]).isEqualTo(h[0][0][l] + h[0][1][l] * w);
                assertThat(hv[1][l]).isEqualTo(h[1][0][l] + h[1][1][l] * w);
            }
            double[][][] j = tape.jacobian(new Tensor[] {ut.mul(vt), ut.add(vt)}, u, v);
            assertThat(j[0][0]).containsExactly(v.values());
            assertThat(j[0][1]).containsExactly(u.values());
            assertThat(j[1][0]).containsExactly(1, 1, 1);
        }
    }

    /** Shared variables and lane reductions: the Hessian of mean((w x - y)^2) is 2 mean(x^2). */
    @Test
    void hessianThroughLaneReductions() {
        Variable w = Variable.scalar("w", 0.3, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor x = tape.constant(1, 2, 3, 4);
            Tensor loss = tape.read(w).mul(x).sub(x.mul(0.5)).square().mean();
            assertThat(tape.hessian(loss, w)[0][0]).containsExactly(15.0); // 2 * (1 + 4 + 9 + 16) / 4
            Tensor total = tape.read(w).square().mul(x).sum();              // sum(w^2 x): 2 * 10
            assertThat(tape.hessian(total, w)[0][0]).containsExactly(20.0);
            // A shared value read directly by a lane op: its gradient is the lane sum, 2 w * 10.
            Tensor lanes = tape.read(w).square().mul(x);
            assertThat(tape.gradientTensors(lanes, w)[0].values()).containsExactly(2 * 0.3 * 10);
            assertThat(tape.gradient(lanes, w)[0]).containsExactly(2 * 0.3 * 10);
        }
    }

    /** An op with no derivative program is differentiated once, and twice is an error naming it. */
    @Test
    void anOpWithoutADerivativeProgramIsNamed() {
        Tape tape = new Tape(DType.FLOAT64);
        int x = tape.variable(new double[] {2.0}, true, true);
        int y = tape.tensor(x).mul(tape.tensor(x)).sin().node();
        Map<Op, SymbolicBackward.Rule> withoutSin = new EnumMap<>(SymbolicBackward.RULES);
        withoutSin.remove(Op.SIN);
        assertThatThrownBy(() -> SymbolicBackward.record(tape, y, new int[] {x}, withoutSin))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("op SIN").hasMessageContaining("differentiated once, not twice");
        tape.backward(y); // the first-order rule still works
        assertThat(tape.gradient(x)[0]).isCloseTo(4 * Math.cos(4.0), within(1e-15));
    }

    @Test
    void aNonPersistentTapeAnswersOnceAlsoForTensors() {
        Variable x = Variable.scalar("x", 1.0, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            Tensor y = tape.read(x).exp();
            tape.gradientTensors(y, x);
            assertThatThrownBy(() -> tape.hessian(y, x)).isInstanceOf(IllegalStateException.class);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** The Hessian of the sum of f's lanes from the derivative program, per lane. */
    static double[][][] hessian(double[] a, double[] b, BinaryOperator<Tensor> f) {
        Tape tape = new Tape(DType.FLOAT64);
        int na = tape.variable(a.clone(), true, true);
        int nb = b == null ? -1 : tape.variable(b.clone(), true, true);
        int y = f.apply(tape.tensor(na), b == null ? null : tape.tensor(nb)).node();
        int[] src = b == null ? new int[] {na} : new int[] {na, nb};
        HessianProgram h = HessianProgram.record(tape, y, src);
        double[][] g = new double[src.length][a.length];
        double[][][] out = new double[src.length][src.length][a.length];
        tape.forward();
        h.evaluate(g, out);
        return out;
    }

    /** Second derivative d(df/dx_i)/dx_j in one lane by central differences of the first-order gradient. */
    static double derivativeOfGradient(double[] a, double[] b, BinaryOperator<Tensor> f, int i, int j, int lane) {
        double[] x = (j == 0 ? a : b);
        double h = 1e-5 * Math.max(1, Math.abs(x[lane]));
        double[] up = x.clone();
        double[] down = x.clone();
        up[lane] += h;
        down[lane] -= h;
        double[][] gu = j == 0 ? OpGradientTest.gradient(up, b, f) : OpGradientTest.gradient(a, up, f);
        double[][] gd = j == 0 ? OpGradientTest.gradient(down, b, f) : OpGradientTest.gradient(a, down, f);
        return (gu[i][lane] - gd[i][lane]) / (2 * h);
    }

    /** f'(a) from the first-order rule and f''(a) from the derivative program, in lane 0. */
    static double[] firstAndSecond(double[] a, java.util.function.UnaryOperator<Tensor> f) {
        BinaryOperator<Tensor> g = (x, y) -> f.apply(x);
        return new double[] {OpGradientTest.gradient(a, null, g)[0][0], hessian(a, null, g)[0][0][0]};
    }
}
