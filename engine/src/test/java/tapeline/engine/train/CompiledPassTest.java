package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import tapeline.engine.Theories;
import tapeline.engine.expr.Expression;
import tapeline.engine.expr.RandomExpressions;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * The train pass compiled to Java gives the interpreter's bits: the loss sum and every gradient sum
 * of every chunk, exactly (each chunk's sums go into exact accumulators, so equal aggregates mean
 * equal chunk sums). The oracle is the same model with {@code codegen} off, on the same rows.
 */
class CompiledPassTest {

    static final int K = 20;

    static Map<String, Integer> yx(int k) {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", k);
        return in;
    }

    static String spelledOut(int k) {
        StringBuilder s = new StringBuilder("b");
        for (int j = 0; j < k; j++) s.append(" + w").append(j).append(" * x[").append(j).append(']');
        return s.toString();
    }

    /** The losses the train bench measures: least squares and logistic, with {@code dot} and spelled out. */
    static List<LossModel> benchLosses(int k, int lanes) {
        List<VariableSpec> vector = List.of(new VariableSpec("b", 1), new VariableSpec("w", k));
        List<VariableSpec> scalars = new java.util.ArrayList<>(List.of(new VariableSpec("b", 1)));
        for (int j = 0; j < k; j++) scalars.add(new VariableSpec("w" + j, 1));
        String sum = spelledOut(k);
        return List.of(
                new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"), vector, yx(k), DType.FLOAT64, lanes),
                new LossModel(Expression.parse("loss", "(y - (" + sum + "))^2"), scalars, yx(k), DType.FLOAT64, lanes),
                new LossModel(Expression.parse("loss", "softplus(-(2*y - 1) * (b + dot(w, x)))"), vector, yx(k), DType.FLOAT64, lanes),
                new LossModel(Expression.parse("loss", "softplus(-(2*y - 1) * (" + sum + "))"), scalars, yx(k), DType.FLOAT64, lanes));
    }

    /** Columns of random rows; the label column y is 0/1 when {@code labels}, with a few zeros, -0.0 and large values. */
    static double[][] rows(LossModel m, int n, long seed, boolean labels) {
        Random r = new Random(seed);
        double[][] c = new double[m.columnCount()][n];
        for (int col = 0; col < c.length; col++) {
            for (int i = 0; i < n; i++) {
                double u = r.nextDouble();
                c[col][i] = u < 0.02 ? 0.0 : u < 0.04 ? -0.0 : u < 0.05 ? 300 * r.nextGaussian() : r.nextGaussian();
                if (col == 0 && labels) c[col][i] = r.nextBoolean() ? 1 : 0;
            }
        }
        return c;
    }

    static double[] params(LossModel m, long seed) {
        Random r = new Random(seed);
        double[] p = new double[m.parameterCount()];
        for (int k = 0; k < p.length; k++) p[k] = r.nextGaussian();
        return p;
    }

    /** Sums rows [0, n) as one call and as mini-batch picks, compiled and interpreted; the same exact sums. */
    static void assertSameSums(LossModel m, double[] p, double[][] c, int n, String what) {
        assertThat(GradientAggregator.awaitCompiled(m)).as("compiled: " + what).isNull();
        GradientAggregator compiled = new GradientAggregator(m).add(p, c, 0, n);
        GradientAggregator interpreted = new GradientAggregator(m.withCodegen(false)).add(p, c, 0, n);
        assertThat(compiled.interpretedChunks()).as(what).isZero();
        assertThat(compiled.compiledChunks()).as(what).isEqualTo((n + m.blockLanes() - 1) / m.blockLanes());
        assertThat(interpreted.compiledChunks()).isZero();
        assertThat(interpreted.fallback()).isEqualTo("engine.codegen = false");
        assertThat(compiled.sameSumsAs(interpreted)).as(what).isTrue();
        int[] picked = new int[n];
        int k = 0;
        for (int i = n - 1; i >= 0; i -= 3) picked[k++] = i;
        GradientAggregator a = new GradientAggregator(m).add(p, c, picked, k);
        GradientAggregator b = new GradientAggregator(m.withCodegen(false)).add(p, c, picked, k);
        assertThat(a.sameSumsAs(b)).as(what + ", mini-batch").isTrue();
    }

    @Test
    void theBenchLossesGiveTheInterpretersBits() {
        // 2000 rows in chunks of 64: 31 full chunks and one of 16; 1041: one of 17; 1025: one lane; 13: under 16 lanes.
        for (LossModel m0 : benchLosses(K, 64)) {
            for (int n : new int[] {2000, 1041, 1025, 13, 1}) {
                LossModel m = m0;
                double[][] c = rows(m, n, n, m.loss().source().startsWith("softplus"));
                for (long seed = 0; seed < 3; seed++) assertSameSums(m, params(m, seed), c, n, m.loss().source() + ", " + n + " rows");
            }
        }
    }

    /**
     * The grouped bench's logistic loss writes its linear predictor twice; the compiled pass sweeps it once
     * and reads the one buffer for both nodes (RepeatedSweepTest). The interpreter, which computes both
     * nodes, is the oracle: the same loss and gradient sums, and the same Hessian sums.
     */
    @Test
    void aLinearPredictorWrittenTwiceGivesTheInterpretersBits() {
        int k = 5;
        List<VariableSpec> vector = List.of(new VariableSpec("b", 1), new VariableSpec("w", k));
        List<VariableSpec> scalars = new java.util.ArrayList<>(List.of(new VariableSpec("b", 1)));
        for (int j = 0; j < k; j++) scalars.add(new VariableSpec("w" + j, 1));
        String sum = spelledOut(k);
        List<LossModel> losses = List.of(
                new LossModel(Expression.parse("loss", "softplus(b + dot(w, x)) - y * (b + dot(w, x))"), vector, yx(k), DType.FLOAT64, 64),
                new LossModel(Expression.parse("loss", "softplus(" + sum + ") - y * (" + sum + ")"), scalars, yx(k), DType.FLOAT64, 64),
                new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2 + 0.5 * (b + dot(w, x))^2"), vector, yx(k), DType.FLOAT64, 64));
        for (LossModel m : losses) {
            for (int n : new int[] {2000, 1041, 200, 13, 1}) {
                double[][] c = rows(m, n, n, m.loss().source().startsWith("softplus"));
                for (long seed = 0; seed < 3; seed++) {
                    String what = m.loss().source() + ", " + n + " rows";
                    assertSameSums(m, params(m, seed), c, n, what);
                    CompiledHessianTest.assertSameHessianSums(m, params(m, seed), c, n, true, what);
                }
            }
        }
    }

    @Test
    void oneLaneTapesAndTheJobsBlockSize() {
        for (LossModel m : benchLosses(3, 1)) assertSameSums(m, params(m, 1), rows(m, 40, 5, false), 40, m.loss().source());
        for (LossModel m : benchLosses(K, 4096)) assertSameSums(m, params(m, 2), rows(m, 5000, 6, true), 5000, m.loss().source());
    }

    @Test
    void theGeneratedSourceSumsTheLogisticGradientWithOpsOwnReductions() {
        LossModel m = benchLosses(K, 64).get(2);
        LossModel.Compiled c = m.compile();
        String src = tapeline.engine.codegen.PassKernel.prepare(c.tape(), c.lossNode(), c.paramNodes(), c.columnNodes()).source();
        assertThat(src).contains("laneDot2(").contains("laneSum(").doesNotContain("Math.fma").doesNotContain("\"loss\"");
    }

    @Test
    void theLogisticPassComputesEToTheMinusAbsXOnceWithTheOneArgumentFunctionsBits() {
        LossModel m = new LossModel(Expression.parse("loss", "softplus(b + dot(w, x)) - y * (b + dot(w, x))"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 3)), yx(3), DType.FLOAT64, 64);
        LossModel.Compiled c = m.compile();
        String src = tapeline.engine.codegen.PassKernel.prepare(c.tape(), c.lossNode(), c.paramNodes(), c.columnNodes()).source();
        assertThat(src.split("Math\\.exp", -1)).as(src).hasSize(2);
        assertThat(src).contains("Op.softplus(v").contains("Op.sigmoid(v");
        Random r = new Random(7);
        double[] xs = new double[1000];
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE,
            -Double.MIN_VALUE, 745.2, -745.2, 1e-300, 36.7, -36.7, 710, -710};
        System.arraycopy(special, 0, xs, 0, special.length);
        for (int i = special.length; i < xs.length; i++) xs[i] = r.nextGaussian() * Math.pow(10, r.nextInt(6) - 2);
        for (double x : xs) {
            double t = Math.exp(-Math.abs(x));
            assertThat(Double.doubleToRawLongBits(tapeline.engine.tape.Op.sigmoid(x, t))).as("sigmoid " + x)
                    .isEqualTo(Double.doubleToRawLongBits(tapeline.engine.tape.Op.sigmoid(x)));
            assertThat(Double.doubleToRawLongBits(tapeline.engine.tape.Op.softplus(x, t))).as("softplus " + x)
                    .isEqualTo(Double.doubleToRawLongBits(tapeline.engine.tape.Op.softplus(x)));
        }
        for (int n : new int[] {1, 15, 200, 1041}) assertSameSums(m, params(m, n), rows(m, n, n, true), n, "logistic, " + n + " rows");
    }

    @Test
    void thePassDoesNotWaitForTheCompilerAndMixedChunksGiveTheSameSums() {
        // A constant no other test uses: a source this JVM has not compiled, so compiling takes tens of ms.
        double k = 1 + new Random().nextInt(1 << 20) / (double) (1 << 21);
        LossModel m = new LossModel(Expression.parse("loss", "softplus(-(2*y - 1) * (b + dot(w, x))) * " + k),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 4)), yx(4), DType.FLOAT64, 16);
        double[][] c = rows(m, 20_000, 9, true);
        double[] p = params(m, 9);
        GradientAggregator mixed = new GradientAggregator(m).add(p, c, 0, 20_000);
        assertThat(mixed.compiledChunks() + mixed.interpretedChunks()).isEqualTo(1250);
        if (mixed.interpretedChunks() > 0) assertThat(mixed.fallback()).isEqualTo("compiling");
        assertThat(mixed.sameSumsAs(new GradientAggregator(m.withCodegen(false)).add(p, c, 0, 20_000))).isTrue();
        assertThat(GradientAggregator.awaitCompiled(m)).isNull();
        GradientAggregator compiled = new GradientAggregator(m).add(p, c, 0, 20_000);
        assertThat(compiled.interpretedChunks()).isZero();
        assertThat(compiled.sameSumsAs(mixed)).isTrue();
    }

    @Test
    void namesFromTheLossNeverReachTheSource() {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("Runtime", 1);
        in.put("exec", 3);
        LossModel m = new LossModel(Expression.parse("loss", "softplus(Runtime * dot(System, exec)) + exit^2 * Runtime"),
                List.of(new VariableSpec("System", 3), new VariableSpec("exit", 1)), in, DType.FLOAT64, 64);
        LossModel.Compiled c = m.compile();
        String src = tapeline.engine.codegen.PassKernel.prepare(c.tape(), c.lossNode(), c.paramNodes(), c.columnNodes()).source();
        assertThat(src.replace("java.lang.System", "")).doesNotContain("Runtime").doesNotContain("exec").doesNotContain("System")
                .doesNotContain("exit");
        assertSameSums(m, params(m, 4), rows(m, 300, 4, false), 300, "hostile names");
    }

    @Test
    void aLossTooLargeForOneMethodRunsInterpretedWithTheReasonAndTheSameBits() {
        StringBuilder s = new StringBuilder("0");
        for (int j = 0; j < 60; j++) s.append(" + sin(w[").append(j).append("] * x[").append(j).append("]) * cos(x[").append(j).append("] - w[").append(j).append("])");
        LossModel m = new LossModel(Expression.parse("loss", s.toString()), List.of(new VariableSpec("w", 60)),
                Map.of("x", 60), DType.FLOAT64, 32);
        String reason = GradientAggregator.awaitCompiled(m);
        assertThat(reason).contains("bytes of bytecode");
        double[][] c = rows(m, 100, 3, false);
        double[] p = params(m, 3);
        GradientAggregator a = new GradientAggregator(m).add(p, c, 0, 100);
        assertThat(a.compiledChunks()).isZero();
        assertThat(a.fallback()).isEqualTo(reason);
        assertThat(a.describePath()).contains("4 chunks interpreted (the generated method");
        assertThat(a.sameSumsAs(new GradientAggregator(m.withCodegen(false)).add(p, c, 0, 100))).isTrue();
    }

    /** One case of {@link #randomLossesGiveTheInterpretersBits}: two random expressions, a dtype, dot or not, a seed. */
    record LossCase(String e, String f, DType dtype, boolean withDot, long seed) { }

    /**
     * Random losses over shared u, v and a data column c, both dtypes, with dot products of a shared
     * w against data x (and against itself, a shared dot) where float64 records them as one op.
     */
    static Gen<LossCase> lossCases() {
        Gen<String> expressions = RandomExpressions.anyOp(3);
        return expressions.zip(expressions, Generate.enumValues(DType.class), Generate.booleans(), Theories.seeds(), LossCase::new);
    }

    @Test
    void randomLossesGiveTheInterpretersBits() {
        Theories.qtCostly(150).forAll(lossCases()).checkAssert(c -> givesTheInterpretersBits(c.e(), c.f(), c.dtype(), c.withDot(), c.seed()));
    }

    static void givesTheInterpretersBits(String e, String f, DType dtype, boolean withDot, long seed) {
        Random r = new Random(seed);
        int lanes = new int[] {1, 5, 16, 37, 64}[r.nextInt(5)];
        int n = 1 + r.nextInt(200);
        String text = withDot ? "(" + e + ") * dot(w, x) + (" + f + ") * dot(x, w) - dot(w, w) * c" : e + " + " + f;
        Map<String, Integer> inputs = new LinkedHashMap<>();
        inputs.put("c", 1);
        inputs.put("x", 3);
        LossModel m = new LossModel(Expression.parse("loss", text),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1), new VariableSpec("w", 3)), inputs, dtype, lanes);
        double[][] c = rows(m, n, seed, false);
        double[] p = params(m, seed + 1);
        assertSameSums(m, p, c, n, text + " " + dtype + ", " + n + " rows in chunks of " + lanes);
    }
}
