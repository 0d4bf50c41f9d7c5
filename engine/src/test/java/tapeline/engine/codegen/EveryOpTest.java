package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * One expression per op (each used twice, so that cotangents are summed too), compiled against
 * interpreted, bit for bit, in both dtypes: a table where a wrong rule shows up by name.
 */
class EveryOpTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "u + v * c + u * u", "u - v - c * u", "u * v * c + u * v", "u / v + v / (c + 3)", "-u * v + -(v * c)",
        "pow(1.5 + square(u), v) + pow(1.5 + square(v), 0.3 * u)", "(1.5 + square(u))^-2.5 + u^3 + v^0 * u",
        "square(u) + square(u * v)", "sqrt(1.5 + square(u)) * v + sqrt(2 + square(v))", "exp(tanh(u)) * v + exp(v * c)",
        "log(1.5 + square(u)) * v + log(2 + v * v)", "log1p(1.5 + square(u)) + log1p(square(v)) * u",
        "expm1(tanh(u)) * v + expm1(v * c)", "sin(u) * v + sin(v * c)", "cos(u) * v + cos(v * c)",
        "tan(tanh(u)) * v + tan(0.5 * tanh(v))", "tanh(u) * v + tanh(v * c)", "sigmoid(u) * v + sigmoid(v * c)",
        "softplus(u) * v + softplus(v * c)", "relu(u) * v + relu(v * c) + relu(u)", "abs(u) * v + abs(v * c) + abs(u)",
        "min(u, v) * c + min(v, c) + min(u, 0.5)", "max(u, v) * c + max(v, c) + max(u, 0.5)",
        "select(u - v, u * c, v * v) + select(c, u, v)", "(u < v) * u + (u <= c) * v + (u == u) * v + (u != v) * u + (v > c) * u",
        "u", "c", "3 + 0 * u"})
    void everyOpGivesTheInterpretersBits(String text) {
        for (DType dtype : DType.values()) {
            BlockSolver compiled = new BlockSolver(Expression.parse("cost", text),
                    List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), "adam",
                    Map.of("learning_rate", 0.05), new SolverSettings(120, 0, 0), dtype);
            Runs.Block b = Runs.block(23, 7);
            BlockResult got = compiled.solve(b.lanes(), b.inputs(), b.init(), Map.of());
            assertThat(compiled.kernelPath().compiled()).as(compiled.kernelPath().describe()).isTrue();
            BlockResult want = compiled.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
            Runs.assertSameBits(got, want, text + " in " + dtype);
        }
    }
}
