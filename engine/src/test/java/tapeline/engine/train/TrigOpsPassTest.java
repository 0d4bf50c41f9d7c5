package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * The train pass compiled to Java through the inverse and hyperbolic functions and {@code pi}: the
 * same exact loss and gradient sums as the interpreter, in both dtypes, for shared parameters u, v,
 * w against data columns c and x, in chunks of several sizes (one lane, under 16, over 16).
 */
class TrigOpsPassTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "atan(u * c) + atan(dot(w, x)) * v",
        "asin(0.5 * tanh(u + c)) * v + square(asin(0.3 * tanh(dot(w, x))))",
        "acos(0.5 * tanh(u * c)) + acos(0.4 * tanh(v - dot(x, w))) * u",
        "sinh(tanh(u) * c) * v + sinh(0.1 * dot(w, x))",
        "cosh(0.3 * u * c) + cosh(v) * square(y - dot(w, x))",
        "atan2(u, 1.5 + square(c)) * v + atan2(y - dot(w, x), v + c)",
        "square(y - sin(pi * u * c) - pi * dot(w, x)) + pi() * v"})
    void compiledPassGivesTheInterpretersSums(String text) {
        for (DType dtype : DType.values()) {
            for (int lanes : new int[] {1, 13, 64}) {
                Map<String, Integer> inputs = new LinkedHashMap<>();
                inputs.put("y", 1);
                inputs.put("c", 1);
                inputs.put("x", 3);
                LossModel m = new LossModel(Expression.parse("loss", text),
                        List.of(new VariableSpec("u", 1), new VariableSpec("v", 1), new VariableSpec("w", 3)), inputs, dtype, lanes);
                String what = text + " in " + dtype + ", chunks of " + lanes;
                assertThat(GradientAggregator.awaitCompiled(m)).as("compiled: " + what).isNull();
                int n = 300;
                double[][] c = rows(m.columnCount(), n, lanes);
                double[] p = params(m.parameterCount(), lanes + 1);
                GradientAggregator compiled = new GradientAggregator(m).add(p, c, 0, n);
                GradientAggregator interpreted = new GradientAggregator(m.withCodegen(false)).add(p, c, 0, n);
                assertThat(compiled.interpretedChunks()).as(what).isZero();
                assertThat(interpreted.compiledChunks()).as(what).isZero();
                assertThat(compiled.sameSumsAs(interpreted)).as(what).isTrue();
            }
        }
    }

    private static double[][] rows(int columns, int n, long seed) {
        Random r = new Random(seed);
        double[][] c = new double[columns][n];
        for (double[] col : c) {
            for (int i = 0; i < n; i++) col[i] = r.nextGaussian();
        }
        return c;
    }

    private static double[] params(int count, long seed) {
        Random r = new Random(seed);
        double[] p = new double[count];
        for (int k = 0; k < count; k++) p[k] = 0.5 * r.nextGaussian();
        return p;
    }
}
