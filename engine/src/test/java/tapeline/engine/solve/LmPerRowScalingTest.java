package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * lm's {@code jac_scaling} per row (session 24): 0.5 when none is given, a given value wins, and
 * other optimizers get nothing added. {@code job = train}'s default (1) is LevenbergMarquardt's own.
 */
class LmPerRowScalingTest {

    private static final SolverSettings TIGHT = new SolverSettings(2000, 1e-15, 1e-15, false, 1e-15);

    /** Powell's badly scaled function (MGH 3), residuals 1e4 u v - 1 and exp(-u) + exp(-v) - 1.0001. */
    private static BlockSolver powell(String optimizer, Map<String, Double> args) {
        return BlockSolver.leastSquares(List.of(Expression.parse("residuals", "1e4 * u * v - 1"), Expression.parse("residuals", "exp(-u) + exp(-v) - 1.0001")),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of(), optimizer, args, TIGHT, DType.FLOAT64);
    }

    /** From 10x the textbook start (0, 1): the start MghCorpusTest's 0.5 solves and 1 does not. */
    private static BlockResult solve(BlockSolver s) {
        return s.solve(1, Map.of(), Map.of("u", new double[][] {{0}}, "v", new double[][] {{10}}), Map.of());
    }

    @Test
    void theDefaultPerRowIsHalfAndAGivenValueWins() {
        assertThat(powell("lm", Map.of()).optimizerArgs()).containsEntry("jac_scaling", 0.5);
        assertThat(powell("lm", Map.of("jac_scaling", 1.0)).optimizerArgs()).containsEntry("jac_scaling", 1.0);
        assertThat(powell("lm", Map.of("jac_scaling", 0.0)).optimizerArgs()).containsEntry("jac_scaling", 0.0);
        assertThat(powell("newton", Map.of()).optimizerArgs()).isEmpty();
        assertThat(BlockSolver.withPerRowDefaults("trust", Map.of())).isEmpty();
    }

    @Test
    void theDefaultRunsAsAGivenHalfBitForBitAndNotAsMinpacks() {
        BlockResult byDefault = solve(powell("lm", Map.of()));
        BlockResult half = solve(powell("lm", Map.of("jac_scaling", 0.5)));
        BlockResult one = solve(powell("lm", Map.of("jac_scaling", 1.0)));
        assertThat(byDefault.steps()).containsExactly(half.steps());
        assertThat(byDefault.status()).containsExactly(half.status());
        assertThat(byDefault.cost()).containsExactly(half.cost());
        assertThat(byDefault.values()[0][0]).containsExactly(half.values()[0][0]);
        assertThat(byDefault.values()[1][0]).containsExactly(half.values()[1][0]);
        // MINPACK's scaling takes another path from this start (MghCorpusTest: 0.5 solves Powell badly
        // scaled 10x, 1 does not), so the default is not 1.
        assertThat(one.steps()[0] != half.steps()[0] || one.cost()[0] != half.cost()[0]).isTrue();
    }
}
