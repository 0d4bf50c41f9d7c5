package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.LaneStatus;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.solve.Verdict;
import tapeline.engine.tape.DType;

/**
 * The inverse and hyperbolic functions and {@code pi} through the solver: compiled steps give the
 * interpreter's bits in both dtypes (first order with adam, second order with newton and the
 * verdict), newton finds closed-form minimisers through them, and a row at asin's domain edge ends
 * DIVERGED with a reason while the others go on.
 */
class TrigOpsCompiledTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "atan(u) * v + atan(v * c)",
        "asin(0.4 * tanh(u)) * v + asin(0.3 * tanh(v * c))",
        "acos(0.4 * tanh(u)) * v + acos(0.3 * tanh(v * c))",
        "sinh(tanh(u)) * v + sinh(v * c)",
        "cosh(tanh(u)) * v + cosh(0.5 * v * c)",
        "atan2(u, v) * c + atan2(v * c, 1.5 + square(u))",
        "pi * u + sin(pi * v) * c + pi() * v"})
    void compiledStepsGiveTheInterpretersBits(String text) {
        for (DType dtype : DType.values()) {
            BlockSolver compiled = solver(text, "adam", Map.of("learning_rate", 0.05), new SolverSettings(120, 0, 0), dtype);
            Runs.Block b = Runs.block(23, 7);
            BlockResult got = compiled.solve(b.lanes(), b.inputs(), b.init(), Map.of());
            assertThat(compiled.kernelPath().compiled()).as(compiled.kernelPath().describe()).isTrue();
            BlockResult want = compiled.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
            Runs.assertSameBits(got, want, text + " in " + dtype);
        }
    }

    /**
     * Newton through the new ops (their derivative programs), with the verdict: every term of the cost
     * is smallest at {@code u = c} ({@code cosh}, {@code sinh}) and {@code v = tan(0.5)} ({@code atan},
     * {@code atan2}, {@code asin}), so that is the minimiser.
     */
    @Test
    void newtonFindsTheClosedFormMinimiserAndCompiledEqualsInterpreted() {
        String text = "cosh(u - c) + square(atan(v) - 0.5) + square(atan2(v, 2) - atan2(tan(0.5), 2))"
                + " + 0.1 * square(sinh(u - c)) + square(asin(0.5 * tanh(v)) - asin(0.5 * tanh(tan(0.5))))";
        for (DType dtype : DType.values()) {
            BlockSolver s = solver(text, "newton", Map.of(), new SolverSettings(60, 1e-10, 0, true), dtype);
            Runs.Block b = Runs.block(11, 3);
            BlockResult got = s.solve(b.lanes(), b.inputs(), b.init(), Map.of());
            BlockResult want = s.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
            Runs.assertSameBits(got, want, "newton in " + dtype);
            assertThat(got.verdict()).isEqualTo(want.verdict());
            double tol = dtype == DType.FLOAT64 ? 1e-7 : 2e-3;
            for (int l = 0; l < b.lanes(); l++) {
                assertThat(got.status()[l]).as("lane %d in %s: %s", l, dtype, got.error()[l]).isEqualTo(LaneStatus.CONVERGED);
                assertThat(got.values()[0][0][l]).as("u, lane %d", l).isCloseTo(b.inputs().get("c")[0][l], within(tol));
                assertThat(got.values()[1][0][l]).as("v, lane %d", l).isCloseTo(Math.tan(0.5), within(tol));
                assertThat(got.verdict()[l]).as("lane %d in %s", l, dtype).isEqualTo(Verdict.MINIMUM);
            }
        }
    }

    /** asin'(1) is infinite and asin(1.5) is NaN: those rows end DIVERGED with a reason, the others converge. */
    @Test
    void aRowAtTheDomainEdgeDivergesWithAReasonWhileTheOthersGoOn() {
        String text = "square(asin(u) - c) + square(v)";
        double[] u0 = {0.2, 1.0, -0.3, 1.5, -1.0, 0.0};
        double[] c = {0.3, 0.3, -0.2, 0.3, 0.1, 0.5};
        int n = u0.length;
        for (DType dtype : DType.values()) {
            BlockSolver s = solver(text, "adam", Map.of("learning_rate", 0.02), new SolverSettings(3000, 1e-6, 0), dtype);
            Map<String, double[][]> inputs = Map.of("c", new double[][] {c});
            Map<String, double[][]> init = Map.of("u", new double[][] {u0}, "v", new double[][] {new double[n]});
            BlockResult got = s.solve(n, inputs, init, Map.of());
            BlockResult want = s.withCodegen(false).solve(n, inputs, init, Map.of());
            Runs.assertSameBits(got, want, "domain edge in " + dtype);
            String[] reasons = {null, "gradient of u is Infinity after 0 steps", null, "cost is NaN after 0 steps",
                "gradient of u is -Infinity after 0 steps", null};
            for (int l : new int[] {1, 3, 4}) {
                assertThat(got.status()[l]).as("lane %d (u0 = %s) in %s", l, u0[l], dtype).isEqualTo(LaneStatus.DIVERGED);
                assertThat(got.error()[l]).as("lane %d's reason", l).isEqualTo(reasons[l]);
            }
            for (int l : new int[] {0, 2, 5}) {
                assertThat(got.status()[l]).as("lane %d in %s: %s", l, dtype, got.error()[l]).isEqualTo(LaneStatus.CONVERGED);
                assertThat(got.values()[0][0][l]).isCloseTo(Math.sin(c[l]), within(dtype == DType.FLOAT64 ? 1e-4 : 2e-3));
            }
        }
    }

    private static BlockSolver solver(String text, String optimizer, Map<String, Double> args, SolverSettings settings, DType dtype) {
        return new BlockSolver(Expression.parse("cost", text), List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)),
                Map.of("c", 1), optimizer, args, settings, dtype);
    }
}
