package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * {@code optimizer = lm} gives the same bits shipped mid-run and resumed, on the compiled and the
 * interpreted path, and for a row solved alone or in a block with others (a re-partitioned sweep).
 */
class LmBitsTest {

    static final NistProblem THURBER = NistProblem.all().stream().filter(p -> p.name().equals("Thurber")).findFirst().orElseThrow();

    static void assertSameBits(BlockResult a, BlockResult b, int laneA, int laneB) {
        for (int v = 0; v < a.values().length; v++) {
            assertThat(Double.doubleToRawLongBits(a.values()[v][0][laneA]))
                    .isEqualTo(Double.doubleToRawLongBits(b.values()[v][0][laneB]));
            assertThat(Double.doubleToRawLongBits(a.standardErrors()[v][0][laneA]))
                    .isEqualTo(Double.doubleToRawLongBits(b.standardErrors()[v][0][laneB]));
        }
        assertThat(a.cost()[laneA]).isEqualTo(b.cost()[laneB]);
        assertThat(a.steps()[laneA]).isEqualTo(b.steps()[laneB]);
        assertThat(a.status()[laneA]).isEqualTo(b.status()[laneB]);
    }

    static BlockSolver solver() {
        return NistStrdTest.solver(THURBER, "lm", NistStrdTest.TIGHT).withStandardErrors(StandardErrors.Kind.RESIDUALS);
    }

    @Test
    void serialisedMidRunContinuesBitwise() throws Exception {
        BlockResult alone = NistStrdTest.solve(solver(), THURBER);
        BlockRun run = startBoth(solver());
        run.advance(7);
        BlockRun copy = BlockSolverTest.roundTrip(run);
        copy.advance(Integer.MAX_VALUE);
        BlockResult shipped = copy.result();
        for (int s = 0; s < 2; s++) assertSameBits(alone, shipped, s, s);
    }

    /**
     * Rosenbrock as residuals, small enough that the cost's gradient is compiled (Thurber's tape is
     * over BlockRun.RULE_COMPILE_NODES: its gradient runs on the interpreter either way).
     */
    @Test
    void compiledAndInterpretedAgree() {
        BlockSolver lm = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "10 * (v - u^2)"), Expression.parse("residuals", "1 - u")),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of(), "lm", Map.of(),
                new SolverSettings(200, 1e-12, 1e-12, false, 1e-12), DType.FLOAT64);
        Map<String, double[][]> init = Map.of("u", new double[][] {{-1.2, -12, 120}}, "v", new double[][] {{1, 10, -100}});
        BlockResult compiled = lm.solve(3, Map.of(), init, Map.of());
        assertThat(lm.kernelPath().compiled()).as(lm.kernelPath().describe()).isTrue();
        BlockResult interpreted = lm.withCodegen(false).solve(3, Map.of(), init, Map.of());
        for (int l = 0; l < 3; l++) {
            assertThat(compiled.values()[0][0][l]).isEqualTo(interpreted.values()[0][0][l]);
            assertThat(compiled.values()[1][0][l]).isEqualTo(interpreted.values()[1][0][l]);
            assertThat(compiled.cost()[l]).isEqualTo(interpreted.cost()[l]);
            assertThat(compiled.gradNorm()[l]).isEqualTo(interpreted.gradNorm()[l]);
            assertThat(compiled.steps()[l]).isEqualTo(interpreted.steps()[l]);
            assertThat(compiled.status()[l]).isEqualTo(interpreted.status()[l]);
        }
        assertThat(compiled.values()[0][0][0]).isCloseTo(1.0, within(1e-9));
    }

    /**
     * A row of 50 points (its elements unrolled into the tape) takes the cost's gradient on the
     * interpreter under newton, trust and lm, and says why; each still fits noise-free
     * {@code y = 3 exp(-0.7 x) + 0.5} to its closed-form parameters.
     */
    @Test
    void aLargeRowTapeTakesTheInterpreterForItsGradient() {
        int n = 50;
        double[][] x = new double[n][1];
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) {
            x[i][0] = 4.0 * i / (n - 1);
            y[i][0] = 3 * Math.exp(-0.7 * x[i][0]) + 0.5;
        }
        for (String opt : List.of("lm", "trust", "newton")) {
            BlockSolver s = BlockSolver.leastSquares(List.of(Expression.parse("residuals", "y - (a * exp(-b * x) + c)")),
                    List.of(new VariableSpec("a", 1), new VariableSpec("b", 1), new VariableSpec("c", 1)),
                    Map.of("x", n, "y", n), opt, Map.of(), new SolverSettings(200, 1e-12, 0, false, 1e-15), DType.FLOAT64);
            BlockResult e = s.solve(1, Map.of("x", x, "y", y), Map.of("a", new double[][] {{1}}, "b", new double[][] {{0.5}}), Map.of());
            assertThat(s.kernelPath().describe()).contains("element tape"); // ElementTapeTest
            BlockSolver unrolled = s.withElementTape(false);
            BlockResult r = unrolled.solve(1, Map.of("x", x, "y", y), Map.of("a", new double[][] {{1}}, "b", new double[][] {{0.5}}), Map.of());
            assertThat(unrolled.kernelPath().compiled()).isFalse();
            assertThat(unrolled.kernelPath().describe()).contains("a per-row " + opt + " step on a cost of").contains("over 64");
            for (BlockResult b : List.of(e, r)) {
                assertThat(b.values()[0][0][0]).as(opt).isCloseTo(3.0, within(1e-8));
                assertThat(b.values()[1][0][0]).as(opt).isCloseTo(0.7, within(1e-8));
                assertThat(b.values()[2][0][0]).as(opt).isCloseTo(0.5, within(1e-8));
            }
        }
    }

    /** Start 2 alone in a block of one, and both starts together: start 2 ends on the same bits. */
    @Test
    void aRowsPathDoesNotDependOnItsBlock() {
        BlockResult both = NistStrdTest.solve(solver(), THURBER);
        Map<String, double[][]> inputs = new LinkedHashMap<>();
        THURBER.columns().forEach((c, v) -> {
            double[][] comps = new double[v.length][1];
            for (int i = 0; i < v.length; i++) comps[i][0] = v[i];
            inputs.put(c, comps);
        });
        Map<String, double[][]> init = new LinkedHashMap<>();
        for (int k = 0; k < THURBER.parameters(); k++) init.put("b" + (k + 1), new double[][] {{THURBER.starts()[1][k]}});
        BlockResult alone = solver().solve(1, inputs, init, Map.of());
        assertSameBits(both, alone, 1, 0);
    }

    static BlockRun startBoth(BlockSolver s) {
        Map<String, double[][]> inputs = new LinkedHashMap<>();
        THURBER.columns().forEach((c, v) -> {
            double[][] comps = new double[v.length][2];
            for (int i = 0; i < v.length; i++) comps[i][0] = comps[i][1] = v[i];
            inputs.put(c, comps);
        });
        Map<String, double[][]> init = new LinkedHashMap<>();
        for (int k = 0; k < THURBER.parameters(); k++) {
            init.put("b" + (k + 1), new double[][] {{THURBER.starts()[0][k], THURBER.starts()[1][k]}});
        }
        return s.start(2, inputs, init, Map.of());
    }
}
