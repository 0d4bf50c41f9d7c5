package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import tapeline.engine.Theories;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * Random compositions of the ops, written as text, parsed, recorded and differentiated, against
 * central finite differences of the same expression. The generator only builds smooth expressions
 * defined everywhere (the arguments of log, sqrt, division and real powers are kept positive), so
 * any disagreement is the tape's.
 */
class RandomExpressionGradientTest {

    static Gen<String> expressions() {
        return RandomExpressions.smooth(4);
    }

    @Test
    void gradientsOfRandomExpressionsMatchFiniteDifferences() {
        Theories.qt(300).forAll(expressions(), points()).checkAssert(RandomExpressionGradientTest::gradientMatches);
    }

    static void gradientMatches(String text, double[] uv) {
        Expression e = Expression.parse("cost", text);
        double[] g = gradient(e, uv[0], uv[1]);
        for (int k = 0; k < 2; k++) {
            double h = 1e-6 * Math.max(1, Math.abs(uv[k]));
            double[] up = uv.clone();
            double[] down = uv.clone();
            up[k] += h;
            down[k] -= h;
            double numeric = (value(e, up[0], up[1]) - value(e, down[0], down[1])) / (2 * h);
            assertThat(g[k]).as("d/d%s of %s at %s", k == 0 ? "u" : "v", text, java.util.Arrays.toString(uv))
                    .isCloseTo(numeric, within(2e-5 * Math.max(1, Math.abs(numeric))));
        }
    }

    /**
     * The Hessian from the gradient's own program ({@code Tape.gradientProgram}, differentiated
     * again) against central differences of the first-order gradient: symmetric, and each entry
     * the derivative of the gradient.
     */
    @Test
    void hessiansOfRandomExpressionsMatchFiniteDifferencesOfTheGradient() {
        Theories.qt(200).forAll(expressions(), points()).checkAssert(RandomExpressionGradientTest::hessianMatches);
    }

    static void hessianMatches(String text, double[] uv) {
        Expression e = Expression.parse("cost", text);
        Tape tape = new Tape(DType.FLOAT64);
        int nu = tape.variable(new double[] {uv[0]}, true, true);
        int nv = tape.variable(new double[] {uv[1]}, true, true);
        Tensor c = Compiler.compile(e, Map.of("u", new Tensor[] {tape.tensor(nu)}, "v", new Tensor[] {tape.tensor(nv)},
                "c", new Tensor[] {tape.tensor(tape.constant(new double[] {0.7}))}));
        tapeline.engine.tape.HessianProgram program = tapeline.engine.tape.HessianProgram.record(tape, c.node(), new int[] {nu, nv});
        double[][] g = new double[2][1];
        double[][][] hess = new double[2][2][1];
        program.evaluate(g, hess);
        double[] first = gradient(e, uv[0], uv[1]);
        for (int k = 0; k < 2; k++) {
            assertThat(g[k][0]).as("gradient program d/d%s of %s", k, text)
                    .isCloseTo(first[k], within(1e-9 * Math.max(1, Math.abs(first[k]))));
            double h = 1e-5 * Math.max(1, Math.abs(uv[k]));
            double[] up = uv.clone();
            double[] down = uv.clone();
            up[k] += h;
            down[k] -= h;
            double[] gu = gradient(e, up[0], up[1]);
            double[] gd = gradient(e, down[0], down[1]);
            for (int j = 0; j < 2; j++) {
                double numeric = (gu[j] - gd[j]) / (2 * h);
                assertThat(hess[j][k][0]).as("H[%s][%s] of %s at %s", j, k, text, java.util.Arrays.toString(uv))
                        .isCloseTo(numeric, within(1e-4 * Math.max(1, Math.abs(numeric))));
            }
        }
    }

    /** (u, v) in [-2, 2]^2, each with -2, 0 and 2 as edge cases; printed as an array when a case fails. */
    static Gen<double[]> points() {
        return Theories.doubles(-2, 2).zip(Theories.doubles(-2, 2), (u, v) -> new double[] {u, v})
                .describedAs(java.util.Arrays::toString);
    }

    static double[] gradient(Expression e, double u, double v) {
        Tape tape = new Tape(DType.FLOAT64);
        int nu = tape.variable(new double[] {u}, true, true);
        int nv = tape.variable(new double[] {v}, true, true);
        Tensor c = Compiler.compile(e, Map.of("u", new Tensor[] {tape.tensor(nu)}, "v", new Tensor[] {tape.tensor(nv)},
                "c", new Tensor[] {tape.tensor(tape.constant(new double[] {0.7}))}));
        tape.backward(c.node());
        double gu = tape.gradient(nu) == null ? 0 : tape.gradient(nu)[0];
        double gv = tape.gradient(nv) == null ? 0 : tape.gradient(nv)[0];
        return new double[] {gu, gv};
    }

    static double value(Expression e, double u, double v) {
        Tape tape = new Tape(DType.FLOAT64);
        Tensor c = Compiler.compile(e, Map.of("u", new Tensor[] {tape.tensor(tape.constant(new double[] {u}))},
                "v", new Tensor[] {tape.tensor(tape.constant(new double[] {v}))},
                "c", new Tensor[] {tape.tensor(tape.constant(new double[] {0.7}))}));
        return c.values()[0];
    }
}
