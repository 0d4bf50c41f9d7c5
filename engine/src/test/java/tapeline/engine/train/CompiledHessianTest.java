package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.Theories;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * Newton's Hessian sums compiled to Java ({@link tapeline.engine.codegen.HessianKernel}) give the
 * interpreter's bits ({@link tapeline.engine.tape.HessianProgram} on the recorded gradient program,
 * the reference): the same exact sums, chunk by chunk, in both dtypes, with {@code engine.codegen} on
 * and off; and the compiled Hessian is the derivative of the gradient (central differences).
 */
class CompiledHessianTest {

    static List<LossModel> losses(DType dtype, int k, int lanes) {
        List<VariableSpec> vector = List.of(new VariableSpec("b", 1), new VariableSpec("w", k));
        Map<String, Integer> in = CompiledPassTest.yx(k);
        return List.of(
                new LossModel(Expression.parse("loss", "softplus(b + dot(w, x)) - y * (b + dot(w, x))"), vector, in, dtype, lanes),
                new LossModel(Expression.parse("loss", "softplus(-(2*y - 1) * (b + dot(w, x)))"), vector, in, dtype, lanes),
                new LossModel(Expression.parse("loss", "0.5 * (y - (b + dot(w, x)))^2"), vector, in, dtype, lanes),
                new LossModel(Expression.parse("loss", "(y - tanh(b + dot(w, x)))^2 + 0.1 * sigmoid(b * y) + log(1 + (b * y)^2)"),
                        vector, in, dtype, lanes));
    }

    /** Hessian sums of rows [0, n), compiled (waited for) and interpreted: the same exact sums. */
    static void assertSameHessianSums(LossModel m, double[] p, double[][] c, int n, boolean mustCompile, String what) {
        GradientAggregator interpreted;
        try {
            interpreted = new GradientAggregator(m.withCodegen(false), true).add(p, c, 0, n);
        } catch (IllegalArgumentException e) { // an op with no second derivative: both paths say so
            assertThat(e.getMessage()).contains("no rule in SymbolicBackward");
            return;
        }
        assertThat(GradientAggregator.awaitCompiled(m)).as(what).isNull();
        String reason = GradientAggregator.awaitHessianCompiled(m);
        if (mustCompile) assertThat(reason).as("the Hessian compiled: " + what).isNull();
        GradientAggregator compiled = new GradientAggregator(m, true).add(p, c, 0, n);
        assertThat(compiled.sameSumsAs(interpreted)).as(what + (reason == null ? " (compiled)" : " (" + reason + ")")).isTrue();
        GradientAggregator.Chunks chunks = GradientAggregator.chunks(m);
        int rows = Math.min(n, m.blockLanes());
        chunks.load(c, 0, rows);
        chunks.run(p, rows, new double[p.length]);
        chunks.hessian(rows);
        assertThat(chunks.hessianCompiled()).as(what).isEqualTo(reason == null);
    }

    @Test
    void theBenchLossesGiveTheInterpretersBitsInBothDtypes() {
        for (DType dtype : DType.values()) {
            for (int lanes : new int[] {1, 16, 64, 1024}) {
                for (LossModel m : losses(dtype, 5, lanes)) {
                    for (int n : new int[] {1, 7, 15, 16, 17, 200, 1041}) {
                        double[][] c = CompiledPassTest.rows(m, n, n, m.loss().source().contains("softplus"));
                        for (long seed = 0; seed < 2; seed++) {
                            assertSameHessianSums(m, CompiledPassTest.params(m, seed), c, n, dtype == DType.FLOAT64,
                                    m.loss().source() + " " + dtype + ", " + n + " rows in chunks of " + lanes);
                        }
                    }
                }
            }
        }
    }

    @Test
    void randomLossesGiveTheInterpretersBits() {
        Theories.qtCostly(150).forAll(CompiledPassTest.lossCases()).checkAssert(c -> {
            Random r = new Random(c.seed());
            int lanes = new int[] {1, 5, 16, 37, 64}[r.nextInt(5)];
            int n = 1 + r.nextInt(200);
            String text = c.withDot() ? "(" + c.e() + ") * dot(w, x) + (" + c.f() + ") * dot(x, w) - dot(w, w) * c" : c.e() + " + " + c.f();
            Map<String, Integer> inputs = new LinkedHashMap<>();
            inputs.put("c", 1);
            inputs.put("x", 3);
            LossModel m = new LossModel(Expression.parse("loss", text),
                    List.of(new VariableSpec("u", 1), new VariableSpec("v", 1), new VariableSpec("w", 3)), inputs, c.dtype(), lanes);
            assertSameHessianSums(m, CompiledPassTest.params(m, c.seed() + 1), CompiledPassTest.rows(m, n, c.seed(), false), n, false,
                    text + " " + c.dtype() + ", " + n + " rows in chunks of " + lanes);
        });
    }

    /**
     * A nonlinear function of a shared value read by a lane op ({@code w^2 * x^2}): its second derivative
     * reads a lane sum's value, which the generated reverse passes do not compute (yet): interpreted,
     * with the reason, the same bits.
     */
    @Test
    void aLaneSumReadByTheReversePassRunsInterpretedWithTheReason() {
        LossModel m = new LossModel(Expression.parse("loss", "(y - b * dot(w, x))^2 + sum(log(1 + w^2 * x^2))"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 2)), CompiledPassTest.yx(2), DType.FLOAT64, 64);
        assertThat(GradientAggregator.awaitHessianCompiled(m)).contains("lane sum at node");
        double[][] c = CompiledPassTest.rows(m, 100, 3, false);
        assertSameHessianSums(m, CompiledPassTest.params(m, 3), c, 100, false, "a shared term");
    }

    /** The compiled Hessian against central differences of the (compiled) gradient sums, per entry. */
    @Test
    void theCompiledHessianIsTheGradientsDerivative() {
        for (LossModel m : losses(DType.FLOAT64, 3, 256)) {
            assertThat(GradientAggregator.awaitHessianCompiled(m)).isNull();
            int n = 200;
            double[][] c = CompiledPassTest.rows(m, n, 11, m.loss().source().contains("softplus"));
            for (int row = 0; row < n; row++) for (int col = 1; col < c.length; col++) c[col][row] = Math.max(-3, Math.min(3, c[col][row]));
            for (int row = 0; row < n; row++) c[0][row] = Math.abs(c[0][row]) > 3 ? 1 : c[0][row];
            double[] p = CompiledPassTest.params(m, 12);
            for (int k = 0; k < p.length; k++) p[k] *= 0.3;
            GradientAggregator.Chunks chunks = GradientAggregator.chunks(m);
            chunks.load(c, 0, n);
            int q = p.length;
            chunks.run(p, n, new double[q]);
            double[] h = chunks.hessian(n).clone();
            assertThat(chunks.hessianCompiled()).isTrue();
            for (int j = 0; j < q; j++) {
                double e = 1e-5 * Math.max(1, Math.abs(p[j]));
                double[] up = p.clone();
                double[] down = p.clone();
                up[j] += e;
                down[j] -= e;
                double[] gu = new double[q];
                double[] gd = new double[q];
                chunks.run(up, n, gu);
                chunks.run(down, n, gd);
                for (int i = 0; i < q; i++) {
                    double fd = (gu[i] - gd[i]) / (up[j] - down[j]);
                    double scale = 0;
                    for (int r = 0; r < q; r++) scale = Math.max(scale, Math.abs(h[i * q + r]));
                    assertThat(Math.abs(h[i * q + j] - fd)).as(m.loss().source() + ": H[" + i + "][" + j + "] = " + h[i * q + j]
                            + " against " + fd).isLessThanOrEqualTo(1e-6 * Math.max(1, scale));
                }
            }
        }
    }
}
