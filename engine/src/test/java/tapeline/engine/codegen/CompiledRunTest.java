package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockRun;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Op;
import tapeline.engine.tape.Tape;

/** How compiled runs travel, are cached, and fall back. */
class CompiledRunTest {

    private static BlockSolver solver(String cost, int steps, DType dtype) {
        return new BlockSolver(Expression.parse("cost", cost), List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)),
                Map.of("c", 1), "adamax", Map.of("learning_rate", 0.05), new SolverSettings(steps, 0, 0), dtype);
    }

    @Test
    void aRunShippedMidWayContinuesOnTheSameTrajectoryWithoutCompilingAgain() throws Exception {
        for (DType dtype : DType.values()) {
            BlockSolver s = solver("(u - c)^2 + 3 * (v - u * u)^2 + sin(u * v)", 400, dtype);
            Runs.Block b = Runs.block(29, 11);
            BlockResult straight = s.solve(b.lanes(), b.inputs(), b.init(), Map.of());
            BlockResult interpreted = s.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
            BlockRun run = s.start(b.lanes(), b.inputs(), b.init(), Map.of());
            run.advance(137);
            assertThat(run.kernelPath().fused()).isTrue();
            long compiled = KernelCache.compilations();
            byte[] bytes = serialise(run);
            // The run carries its tape, never a generated class.
            assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("GeneratedKernel").doesNotContain("CompiledKernel");
            BlockRun copy = deserialise(bytes);
            copy.advance(Integer.MAX_VALUE);
            assertThat(copy.kernelPath().compiled()).isTrue();
            assertThat(KernelCache.compilations()).as("compilations after the copy resumed").isEqualTo(compiled);
            Runs.assertSameBits(copy.result(), straight, "resumed against straight, " + dtype);
            Runs.assertSameBits(straight, interpreted, "compiled against interpreted, " + dtype);
        }
    }

    @Test
    void eachProgramIsCompiledOncePerJvmWhoeverAsks() {
        // A constant no other test uses, so that the first solve below compiles.
        String text = "(u - c)^2 + (v + 0.123456789)^2";
        long before = KernelCache.compilations();
        Runs.Block b = Runs.block(5, 1);
        solver(text, 20, DType.FLOAT64).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        assertThat(KernelCache.compilations()).isEqualTo(before + 1);
        // Another solver, another parse, another tape: the same program, so no compilation.
        solver(text, 30, DType.FLOAT64).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        solver(" ( u - c ) ^ 2 + ( v + 0.123456789 ) ^ 2 ", 20, DType.FLOAT64).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        assertThat(KernelCache.compilations()).isEqualTo(before + 1);
        // Another constant is another program.
        solver("(u - c)^2 + (v + 0.123456788)^2", 20, DType.FLOAT64).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        assertThat(KernelCache.compilations()).isEqualTo(before + 2);
    }

    @Test
    void anExpressionTooLargeForOneLoopIsCompiledInSegmentsWithTheSameBits() {
        // 100 terms: about 1,200 statements per lane, far over one loop's 64 and one method's 8,000 bytes.
        // 300 lanes: two whole chunks and a short one.
        for (DType dtype : DType.values()) {
            BlockSolver s = solver("(u - c)^2 + " + sumOfSines(0, 100), 40, dtype);
            Runs.Block b = Runs.block(300, 5);
            BlockResult got = s.solve(b.lanes(), b.inputs(), b.init(), Map.of());
            KernelPath path = s.kernelPath();
            assertThat(path.compiled()).as(path.describe()).isTrue();
            assertThat(path.segmented()).isTrue();
            assertThat(path.describe()).isEqualTo("compiled in segments, update fused");
            assertThat(path.source()).contains("gradientsOnly_1(n, t);").contains("stepOnly_u0(n, grad, st, sc, lanes);")
                    .contains("chk += stepOnlyChecked_u0(n, grad, st, sc, lanes);"); // a check step sums its loops' checks
            Runs.assertSameBits(got, s.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of()), "segments, " + dtype);
        }

        // A small cost fits one loop: compiled as one fused loop, and the same bits.
        BlockSolver m = new BlockSolver(Expression.parse("cost", "c * u^2 + u"), List.of(new VariableSpec("u", 1)),
                Map.of("c", 1), "adamax", Map.of("learning_rate", 0.05), new SolverSettings(40, 0, 0), DType.FLOAT64);
        Runs.Block b = Runs.block(7, 5);
        Map<String, double[][]> u = Map.of("u", b.init().get("u"));
        BlockResult mr = m.solve(b.lanes(), b.inputs(), u, Map.of());
        assertThat(m.kernelPath().compiled()).isTrue();
        assertThat(m.kernelPath().segmented()).isFalse();
        assertThat(m.kernelPath().describe()).isEqualTo("compiled, update fused");
        Runs.assertSameBits(mr, m.withCodegen(false).solve(b.lanes(), b.inputs(), u, Map.of()), "small");
    }

    @Test
    void anExpressionTooLargeEvenForSegmentsRunsInterpretedWithTheReasonAndTheSameBits() {
        BlockSolver s = solver("(u - c)^2 + " + sumOfSines(0, 1000), 20, DType.FLOAT64);
        Runs.Block b = Runs.block(7, 5);
        BlockResult got = s.solve(b.lanes(), b.inputs(), b.init(), Map.of());
        KernelPath path = s.kernelPath();
        assertThat(path.compiled()).isFalse();
        assertThat(path.reason()).matches("the loop would need \\d+ segments and \\d+ copies per chunk of lanes, over "
                + Segments.MAX_DRIVER + " \\(C2 compiles no method over 8000 bytes\\)");
        assertThat(path.describe()).startsWith("interpreted (the loop would need ");
        Runs.assertSameBits(got, s.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of()), "fallback");
    }

    @Test
    void aClassWithAMethodTooLargeForTheJitIsRefusedWithItsSize() {
        // The backstop behind the statement limit: the cache measures the bytecode of what it compiled.
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 1500; i++) body.append("        x = x * 1.000001 + ").append(i).append(".0;\n");
        String source = "public final class GeneratedKernel implements tapeline.engine.codegen.GeneratedStep {\n"
                + "    public void gradients(double[][] n, double[][] grad, double[] cost, int lanes) {\n"
                + "        double x = lanes;\n" + body + "        cost[0] = x;\n    }\n"
                + "    public void cost(double[][] n, double[] cost, int lanes) { }\n"
                + "    public boolean fused() { return false; }\n"
                + "    public double step(double[][] n, double[][] grad, boolean check, double[][] st, double[] sc, double[] cost, int lanes) {"
                + " return 0.0; }\n}\n";
        KernelCache.Entry e = KernelCache.get(source);
        assertThat(e.step()).isNull();
        assertThat(e.failure()).matches("the generated method gradients has \\d+ bytes of bytecode, over the JIT's limit of 8000");
    }

    @Test
    void anOpWithoutAGeneratedFormFallsBackToTheInterpreterWithTheReason() {
        // A lane reduction (a sum over lanes) has no generated form.
        Tape t = new Tape(DType.FLOAT64);
        int w = t.variable(new double[] {1, 2, 3, 4}, true, true);
        int sq = t.record(Op.SQUARE, w, -1, -1, 0);
        int sum = t.record(Op.SUM, sq, -1, -1, 0);
        int cost = t.record(Op.MUL, w, sum, -1, 0);
        t.close();
        Optimizer adam = Optimizers.create("adam", Map.of(), DType.FLOAT64);
        adam.build(4, new boolean[] {true});
        StepKernel k = StepKernel.create(t, cost, new int[] {w}, adam, true);
        assertThat(k.path().compiled()).isFalse();
        assertThat(k.path().reason()).isEqualTo("node " + sum + " (SUM) reduces over lanes");
        double[][] grads = new double[1][];
        k.gradients(true, grads, 4);
        // d/dw_i of w_i * sum_j w_j^2 = sum_j w_j^2 + 2 w_i^2 summed over the lanes' costs: 30 + 2 w_i * (1+2+3+4).
        assertThat(grads[0]).containsExactly(30 + 2 * 1 * 10, 30 + 2 * 2 * 10, 30 + 2 * 3 * 10, 30 + 2 * 4 * 10);
        assertThat(StepKernel.create(t, cost, new int[] {w}, adam, false).path().reason()).isEqualTo("engine.codegen = false");
    }

    /** Terms {@code 0.001 (i+1) sin(u v + i c)} for i in [from, to), summed as a balanced tree (the parser limits depth). */
    private static String sumOfSines(int from, int to) {
        if (to - from == 1) return "(" + 0.001 * (from + 1) + " * sin(u * v + " + from + " * c))";
        int mid = (from + to) / 2;
        return "(" + sumOfSines(from, mid) + " + " + sumOfSines(mid, to) + ")";
    }

    private static byte[] serialise(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static BlockRun deserialise(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (BlockRun) in.readObject();
        }
    }

    /**
     * Check steps run fused and judge after the update: a lane whose cost or gradient turns NaN
     * (log of a u pushed below 0) must still end with its values, cost, step and message from before
     * that step's update, as on the interpreter, while the other lanes go on unchanged.
     */
    @Test
    void lanesThatTurnNonFiniteOnAFusedCheckStepEndAsOnTheInterpreter() {
        for (String optimizer : new String[] {"adam", "nadam", "sgd", "lion"}) {
            for (DType dtype : DType.values()) {
                BlockSolver solver = new BlockSolver(Expression.parse("cost", "c * log(u) + v^2"),
                        List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), optimizer,
                        Map.of("learning_rate", 0.1), new SolverSettings(100, 0, 0), dtype);
                Runs.Block b = Runs.block(64, 11);
                BlockResult got = solver.solve(b.lanes(), b.inputs(), b.init(), Map.of());
                assertThat(solver.kernelPath().fused()).as(optimizer + " " + dtype).isTrue();
                BlockResult want = solver.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
                Runs.assertSameBits(got, want, optimizer + " " + dtype);
                long laterDivergence = java.util.stream.IntStream.range(0, b.lanes())
                        .filter(i -> got.status()[i] == tapeline.engine.solve.LaneStatus.DIVERGED && got.steps()[i] > 0).count();
                long ran = java.util.stream.IntStream.range(0, b.lanes())
                        .filter(i -> got.status()[i] == tapeline.engine.solve.LaneStatus.MAX_STEPS).count();
                assertThat(laterDivergence).as("lanes that diverge after step 0, " + optimizer + " " + dtype).isPositive();
                assertThat(ran).as("lanes that run to the end, " + optimizer + " " + dtype).isPositive();
            }
        }
    }

    /**
     * A gradient that is not finite while the cost is (the derivative of sqrt at 0) on a fused check
     * step: the check of the fused loop must catch it, and the lane must end with the gradient, the
     * cost and the values from before that step's update. Plain SGD at rate 1 moves u by exactly c per
     * step from 0 (the gradient of c * sqrt((u - 16)^2) below 16 is -c), so u is exactly 16 at step 16
     * for c = 1 and at step 32 for c = 0.5, both check steps that are no window's end (those are 0
     * and 64 in a run of 100 steps), where the gradient is 0.5 / sqrt(0) * 0 = NaN and the cost 0.
     * The same with 60 more terms in v, which make the loop one of segments.
     */
    @Test
    void aGradientThatIsNotFiniteWhereTheCostIsEndsItsLaneOnAFusedCheckStep() {
        StringBuilder terms = new StringBuilder("v^2");
        for (int k = 1; k <= 60; k++) terms.append(" + ").append(0.001 * k).append(" * sin(v + ").append(k).append(')');
        for (String cost : List.of("c * sqrt((u - 16)^2) + v^2", "c * sqrt((u - 16)^2) + (" + terms + ")"))
        for (DType dtype : DType.values()) {
            BlockSolver solver = new BlockSolver(Expression.parse("cost", cost),
                    List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), "sgd",
                    Map.of("learning_rate", 1.0), new SolverSettings(100, 0, 0), dtype);
            double[] c = {1, 0.5, 0.3, 1, 0.5};
            double[] zeros = new double[c.length];
            Map<String, double[][]> in = Map.of("c", new double[][] {c});
            Map<String, double[][]> init = Map.of("u", new double[][] {zeros}, "v", new double[][] {zeros});
            BlockResult got = solver.solve(c.length, in, init, Map.of());
            assertThat(solver.kernelPath().fused()).as(dtype.toString()).isTrue();
            assertThat(solver.kernelPath().segmented()).isEqualTo(cost.contains("sin"));
            Runs.assertSameBits(got, solver.withCodegen(false).solve(c.length, in, init, Map.of()), dtype.toString());
            for (int lane : new int[] {0, 3}) {
                assertThat(got.steps()[lane]).isEqualTo(16);
                assertThat(got.error()[lane]).isEqualTo("gradient of u is NaN after 16 steps");
                assertThat(got.values()[0][0][lane]).isEqualTo(16.0);
                assertThat(got.cost()[lane]).isFinite(); // the gradient alone is not
            }
            assertThat(got.steps()[1]).isEqualTo(32);
            assertThat(got.status()[2]).isEqualTo(tapeline.engine.solve.LaneStatus.MAX_STEPS);
        }
    }
}
