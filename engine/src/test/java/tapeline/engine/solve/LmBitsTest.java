package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

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

    @Test
    void compiledAndInterpretedAgree() {
        BlockResult compiled = NistStrdTest.solve(solver(), THURBER);
        BlockResult interpreted = NistStrdTest.solve(solver().withCodegen(false), THURBER);
        for (int s = 0; s < 2; s++) assertSameBits(compiled, interpreted, s, s);
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
