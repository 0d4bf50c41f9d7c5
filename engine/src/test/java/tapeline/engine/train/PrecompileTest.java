package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.codegen.KernelCache;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * {@link GradientAggregator#precompile}: the pass and the Hessian are compiled once, in the
 * background, into the JVM's kernel cache, where a thread's own tape of the same model then finds
 * them (no second compilation), and the chunks they run give the interpreter's bits.
 */
class PrecompileTest {

    private static LossModel model(String loss, int lanes) {
        return new LossModel(Expression.parse("loss", loss), List.of(new VariableSpec("b", 1), new VariableSpec("w", 3)),
                CompiledPassTest.yx(3), DType.FLOAT64, lanes);
    }

    @Test
    void compilesThePassAndTheHessianOnceForEveryThread() throws Exception {
        // Whatever earlier tests queued on the generator's thread is done once this (queued after it) is.
        assertThat(GradientAggregator.awaitCompiled(model("(y - b * dot(w, x))^2 + 0.375", 64))).isNull();
        // A loss no other test uses, so its sources are not in the cache yet.
        LossModel m = model("softplus(b + dot(w, x)) - y * (b + dot(w, x)) + 0.0625 * b^2", 64);
        long before = KernelCache.compilations();
        GradientAggregator.precompile(m, true);
        GradientAggregator.precompile(m, true); // once per JVM: no second request
        // Another thread's tape of the same model: its kernels come from the cache.
        String[] reasons = new String[2];
        Thread t = new Thread(() -> {
            reasons[0] = GradientAggregator.awaitCompiled(m);
            reasons[1] = GradientAggregator.awaitHessianCompiled(m);
        });
        t.start();
        t.join();
        assertThat(reasons).containsOnlyNulls();
        assertThat(KernelCache.compilations() - before).as("the pass and the Hessian, compiled once each").isEqualTo(2);

        // The compiled chunk gives the interpreter's sums, gradient and Hessian.
        Random r = new Random(7);
        int n = 50;
        double[][] c = new double[4][n];
        for (double[] col : c) for (int i = 0; i < n; i++) col[i] = r.nextGaussian();
        for (int i = 0; i < n; i++) c[0][i] = r.nextBoolean() ? 1 : 0;
        double[] p = {0.3, -0.2, 0.7, 0.1};
        GradientAggregator interpreted = new GradientAggregator(m.withCodegen(false), true).add(p, c, 0, n);
        assertThat(GradientAggregator.awaitCompiled(m)).isNull();        // this thread's tape: compiled from here on
        assertThat(GradientAggregator.awaitHessianCompiled(m)).isNull();
        GradientAggregator compiled = new GradientAggregator(m, true).add(p, c, 0, n);
        assertThat(compiled.sameSumsAs(interpreted)).isTrue();
        assertThat(KernelCache.compilations() - before).isEqualTo(2);
    }

    @Test
    void withoutCodegenNothingIsCompiled() {
        assertThat(GradientAggregator.awaitCompiled(model("(y - b * dot(w, x))^2 + 0.375", 64))).isNull();
        LossModel m = model("(y - b - dot(w, x))^2 + 0.8125 * b^2", 64).withCodegen(false);
        long before = KernelCache.compilations();
        GradientAggregator.precompile(m, true);
        assertThat(GradientAggregator.awaitCompiled(m)).isEqualTo("engine.codegen = false");
        assertThat(KernelCache.compilations()).isEqualTo(before);
    }
}
