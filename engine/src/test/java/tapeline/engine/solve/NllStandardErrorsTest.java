package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * {@code cost.kind = nll}: the normal log-likelihood of five observations in mean {@code mu} and
 * log-sd {@code t} (constant dropped), whose observed information at the maximum is known in closed
 * form: {@code se(mu) = sd / sqrt(n)}, {@code se(t) = 1 / sqrt(2 n)}, sd the maximum-likelihood one.
 */
class NllStandardErrorsTest {

    @Test
    void normalLikelihoodGivesTheClosedFormStandardErrors() {
        double[] y = {1.2, 0.7, 2.5, 1.9, 0.4};
        BlockSolver s = new BlockSolver(Expression.parse("cost", "sum(t + 0.5 * (y - mu)^2 / exp(2 * t))"),
                List.of(new VariableSpec("mu", 1), new VariableSpec("t", 1)), Map.of("y", 5), "newton", Map.of(),
                new SolverSettings(100, 1e-12, 0), DType.FLOAT64).withStandardErrors(StandardErrors.Kind.NLL);
        double[][] col = new double[5][1];
        for (int i = 0; i < 5; i++) col[i][0] = y[i];
        BlockResult r = s.solve(1, Map.of("y", col), Map.of("mu", new double[][] {{1}}, "t", new double[][] {{0}}), Map.of());
        double mean = 0;
        for (double v : y) mean += v / 5;
        double var = 0;
        for (double v : y) var += (v - mean) * (v - mean) / 5;
        assertThat(r.status()[0]).isEqualTo(LaneStatus.CONVERGED);
        assertThat(r.values()[0][0][0]).isCloseTo(mean, within(1e-10));
        assertThat(r.standardErrors()[0][0][0]).isCloseTo(Math.sqrt(var / 5), within(1e-9));
        assertThat(r.standardErrors()[1][0][0]).isCloseTo(1 / Math.sqrt(10), within(1e-9));
    }
}
