package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import tapeline.engine.Theories;
import tapeline.engine.expr.Expression;
import tapeline.engine.expr.RandomExpressions;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * The contract of compiled tapes: the same bits as the interpreter, on random expressions over
 * every op, in both dtypes, with every optimizer and its options, every clipping mode, weight decay,
 * per-lane learning rates, and lanes that end early (converged or diverged) and are packed away.
 * The interpreter is the oracle: the same solver with {@code withCodegen(false)}.
 */
class CompiledEqualsInterpretedTest {

    static Gen<String> expressions() {
        return RandomExpressions.anyOp(3);
    }

    static Gen<String> optimizers() {
        // newton has no fused update: its step is NewtonStep's. Sorted: the same seed picks the same optimizer.
        return Generate.pick(Optimizers.kerasNames().stream().sorted().toList());
    }

    static Gen<String> clipping() {
        return Generate.pick(List.of("none", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay"));
    }

    static Gen<DType> dtypes() {
        return Generate.enumValues(DType.class);
    }

    /** The switches of {@link #compiledStepsGiveTheInterpretersBits}. */
    record Switches(boolean options, boolean perLaneRate, boolean tolerances) { }

    /** One case of {@link #compiledStepsGiveTheInterpretersBits}. */
    record StepCase(String text, String optimizer, String clip, DType dtype, Switches switches, long seed) { }

    static Gen<StepCase> stepCases() {
        Gen<Switches> switches = Generate.booleans().zip(Generate.booleans(), Generate.booleans(), Switches::new);
        return expressions().zip(optimizers(), clipping(), dtypes(), (t, o, c, d) -> new StepCase(t, o, c, d, null, 0))
                .zip(switches, Theories.seeds(), (c, w, seed) -> new StepCase(c.text(), c.optimizer(), c.clip(), c.dtype(), w, seed));
    }

    @Test
    void compiledStepsGiveTheInterpretersBits() {
        Theories.qtCostly(120).forAll(stepCases()).checkAssert(c -> stepsGiveTheInterpretersBits(c.text(), c.optimizer(), c.clip(), c.dtype(),
                c.switches().options(), c.switches().perLaneRate(), c.switches().tolerances(), c.seed()));
    }

    /**
     * Found by the draws (QT_SEED=15000105173257): a cost that does not read u, whose v gradient turns
     * NaN on a step that is not judged; global_clipnorm scaled the interpreter's shared zero gradient
     * of u by that NaN in place, so the lane was later said to diverge by u's gradient (and a lane
     * packed into its place could inherit it). The zeros are now written afresh on every pass.
     */
    @Test
    void anUnreadVariablesZeroGradientSurvivesAClipByANonFiniteNorm() {
        stepsGiveTheInterpretersBits("relu(relu(pow(v, (0.01))))", "adagrad", "global_clipnorm", DType.FLOAT64,
                false, false, false, 0);
    }

    static void stepsGiveTheInterpretersBits(String text, String optimizer, String clip, DType dtype, boolean options,
            boolean perLaneRate, boolean tolerances, long seed) {
        Map<String, Double> args = new HashMap<>();
        args.put("learning_rate", 0.05);
        if (!clip.equals("none")) args.put(clip, clip.equals("weight_decay") ? 0.01 : 0.5);
        if (options) optionsOf(optimizer, args);
        // Tolerances make lanes converge at different steps (then the gradient pass is compiled and the
        // update is Java's); without them every step but the checks is one fused pass.
        SolverSettings settings = tolerances ? new SolverSettings(130, 1e-3, 1e-6) : new SolverSettings(130, 0, 0);
        BlockSolver compiled = new BlockSolver(Expression.parse("cost", text),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), optimizer, args, settings, dtype);
        Runs.Block b = Runs.block(37, seed);
        Map<String, double[]> perLane = new HashMap<>();
        if (perLaneRate) {
            double[] lr = new double[b.lanes()];
            for (int i = 0; i < lr.length; i++) lr[i] = 0.01 + 0.3 * i / lr.length;
            perLane.put("learning_rate", lr);
        }
        BlockResult got = compiled.solve(b.lanes(), b.inputs(), b.init(), perLane);
        KernelPath path = compiled.kernelPath();
        BlockResult want = compiled.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), perLane);

        assertThat(path.compiled()).as("%s: %s", text, path.reason()).isTrue();
        assertThat(path.fused()).as("fused update for %s, %s", optimizer, args)
                .isEqualTo(clip.equals("none") && !perLaneRate
                        && !optimizer.equals("adamw")); // which decays weights by default
        Runs.assertSameBits(got, want, text + " with " + optimizer + " " + args + " " + dtype);
    }

    /** Eight terms over u, v and c: alone over one loop's 64 statements, so every step runs in segments. */
    static final String LARGE = java.util.stream.IntStream.range(0, 8)
            .mapToObj(k -> "0.01 * (u - " + (k + 1) + " * c)^2 * sin(v + " + k + ")")
            .collect(java.util.stream.Collectors.joining(" + "));

    /**
     * A loop too large for one runs in segments over chunks of lanes: random expressions added to
     * {@link #LARGE}, over 150 lanes (a whole chunk and a short one, fewer as lanes end early and are
     * packed away), every optimizer, clipping mode and dtype.
     */
    /** One case of {@link #segmentedStepsGiveTheInterpretersBits}. */
    record SegmentedCase(String a, String b, String optimizer, String clip, DType dtype, boolean tolerances, long seed) { }

    static Gen<SegmentedCase> segmentedCases() {
        return expressions().zip(expressions(), optimizers(), clipping(),
                        (a, b, o, c) -> new SegmentedCase(a, b, o, c, null, false, 0))
                .zip(dtypes(), Generate.booleans(), Theories.seeds(),
                        (c, d, t, seed) -> new SegmentedCase(c.a(), c.b(), c.optimizer(), c.clip(), d, t, seed));
    }

    @Test
    void segmentedStepsGiveTheInterpretersBits() {
        Theories.qtCostly(40).forAll(segmentedCases()).checkAssert(c -> segmentedGiveTheInterpretersBits(c.a(), c.b(), c.optimizer(), c.clip(),
                c.dtype(), c.tolerances(), c.seed()));
    }

    static void segmentedGiveTheInterpretersBits(String a, String b, String optimizer, String clip, DType dtype,
            boolean tolerances, long seed) {
        String text = "(" + a + ") * (" + b + ") + " + LARGE;
        Map<String, Double> args = new HashMap<>();
        args.put("learning_rate", 0.05);
        if (!clip.equals("none")) args.put(clip, clip.equals("weight_decay") ? 0.01 : 0.5);
        SolverSettings settings = tolerances ? new SolverSettings(130, 1e-3, 1e-6) : new SolverSettings(130, 0, 0);
        BlockSolver compiled = new BlockSolver(Expression.parse("cost", text),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), optimizer, args, settings, dtype);
        Runs.Block blk = Runs.block(150, seed);
        BlockResult got = compiled.solve(blk.lanes(), blk.inputs(), blk.init(), Map.of());
        KernelPath path = compiled.kernelPath();
        BlockResult want = compiled.withCodegen(false).solve(blk.lanes(), blk.inputs(), blk.init(), Map.of());
        assertThat(path.segmented()).as("%s: %s", text, path.describe()).isTrue();
        Runs.assertSameBits(got, want, text + " with " + optimizer + " " + args + " " + dtype);
    }

    /** Options that change the update's arithmetic. */
    private static void optionsOf(String optimizer, Map<String, Double> args) {
        switch (optimizer) {
            case "adam", "adamw" -> args.put("amsgrad", 1.0);
            case "sgd" -> {
                args.put("momentum", 0.9);
                args.put("nesterov", 1.0);
            }
            case "rmsprop" -> {
                args.put("momentum", 0.5);
                args.put("centered", 1.0);
            }
            case "nadam", "adamax", "lion" -> args.put("beta_1", 0.8);
            case "adagrad" -> args.put("initial_accumulator_value", 0.5);
            default -> throw new IllegalArgumentException(optimizer);
        }
    }

    @Test
    void plainSgdAndMomentumWithoutNesterov() {
        Theories.qtCostly(40).forAll(expressions(), dtypes(), Generate.booleans(), Theories.seeds())
                .checkAssert(CompiledEqualsInterpretedTest::plainSgdOrRmsprop);
    }

    static void plainSgdOrRmsprop(String text, DType dtype, boolean momentum, long seed) {
        Map<String, Double> args = momentum ? Map.of("learning_rate", 0.05, "momentum", 0.9) : Map.of("learning_rate", 0.05);
        BlockSolver compiled = new BlockSolver(Expression.parse("cost", text),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), momentum ? "sgd" : "rmsprop",
                args, new SolverSettings(70, 0, 0), dtype);
        Runs.Block b = Runs.block(19, seed);
        BlockResult got = compiled.solve(b.lanes(), b.inputs(), b.init(), Map.of());
        BlockResult want = compiled.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        assertThat(compiled.kernelPath().fused()).as(compiled.kernelPath().describe()).isTrue();
        Runs.assertSameBits(got, want, text);
    }

    /**
     * Nadam's float64 update has two bodies, chosen per step: before and after {@code 1 - u_product}
     * rounds to 1 (step 224 with the default beta_1). 300 steps run both, each against the interpreter.
     */
    @Test
    void nadamFloat64BeforeAndAfterItsDivisorsBecomeOne() {
        Theories.qtCostly(12).forAll(expressions(), Theories.seeds()).checkAssert(CompiledEqualsInterpretedTest::nadamBothBodies);
    }

    static void nadamBothBodies(String text, long seed) {
        double up = 1; // Keras's u_product, independently: the step at which 1 - u_product is exactly 1
        int unitFrom = 0;
        for (int t = 1; unitFrom == 0; t++) {
            up *= 0.9 * (1 - 0.5 * Math.pow(0.96, t));
            if (1 - up == 1.0 && 1 - up * 0.9 * (1 - 0.5 * Math.pow(0.96, t + 1)) == 1.0) unitFrom = t;
        }
        assertThat(unitFrom).isBetween(100, 299);
        BlockSolver compiled = new BlockSolver(Expression.parse("cost", text),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of("c", 1), "nadam",
                Map.of("learning_rate", 0.01), new SolverSettings(300, 0, 0), DType.FLOAT64);
        Runs.Block b = Runs.block(23, seed);
        BlockResult got = compiled.solve(b.lanes(), b.inputs(), b.init(), Map.of());
        BlockResult want = compiled.withCodegen(false).solve(b.lanes(), b.inputs(), b.init(), Map.of());
        assertThat(compiled.kernelPath().fused()).as(compiled.kernelPath().describe()).isTrue();
        Runs.assertSameBits(got, want, text);
    }
}
