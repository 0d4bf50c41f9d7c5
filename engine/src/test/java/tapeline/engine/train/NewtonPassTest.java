package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import tapeline.engine.Theories;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.HessianProgram;
import tapeline.engine.tape.Tape;

/**
 * Newton's pass ({@link GradientAggregator.Chunks#runNewton}, then {@link GradientAggregator.Chunks#hessian}):
 * one sweep over the lanes for the loss, the gradient and the values the Hessian reads. Its loss and
 * gradient are the train pass's bits ({@link GradientAggregator.Chunks#run}), its Hessian the bits of
 * the reference it replaced ({@link HessianProgram#evaluate} after a forward pass of its own, on a tape of
 * its own), compiled and interpreted; the Hessian is the gradient's derivative (central differences) and,
 * for the logistic loss, {@code X' diag(p (1 - p)) X}; a line-search trial the run refuses never asks for it.
 */
class NewtonPassTest {

    /** The old Hessian: a tape of its own, its forward pass, HessianProgram, the upper triangle mirrored. */
    static double[] referenceHessian(LossModel m, double[] p, double[][] c, int n) {
        LossModel.Compiled cm = m.compile();
        Tape tape = cm.tape();
        HessianProgram program = HessianProgram.record(tape, cm.lossNode(), cm.paramNodes());
        for (int col = 0; col < c.length; col++) {
            System.arraycopy(c[col], 0, cm.columns()[col], 0, n);
            tape.rebind(cm.columnNodes()[col], cm.columns()[col]);
        }
        for (int k = 0; k < p.length; k++) cm.params()[k][0] = m.dtype().round(p[k]);
        tape.setActiveLanes(n);
        tape.forward();
        int q = p.length;
        double[][] g = new double[q][1];
        double[][][] h = new double[q][q][1];
        program.evaluate(g, h);
        double[] out = new double[q * q];
        for (int i = 0; i < q; i++) for (int j = 0; j < q; j++) out[i * q + j] = h[i][j][0];
        return out;
    }

    /** runNewton's loss and gradient against run's, its Hessian against the reference: the same bits. */
    static void assertNewtonBits(LossModel m, double[] p, double[][] c, int n, boolean mustCompile, String what) {
        int q = p.length;
        double[] reference;
        try {
            reference = referenceHessian(m, p, c, n);
        } catch (IllegalArgumentException e) { // an op with no second derivative
            assertThat(e.getMessage()).contains("no rule in SymbolicBackward");
            return;
        }
        for (LossModel model : List.of(m, m.withCodegen(false))) {
            boolean codegen = model.codegen();
            assertThat(GradientAggregator.awaitCompiled(model) == null).as(what).isEqualTo(codegen);
            String reason = GradientAggregator.awaitHessianCompiled(model);
            if (mustCompile && codegen) assertThat(reason).as("compiled: " + what).isNull();
            GradientAggregator.Chunks chunks = GradientAggregator.chunks(model);
            chunks.load(c, 0, n);
            double[] g1 = new double[q];
            double l1 = chunks.run(p, n, g1);
            double[] g2 = new double[q];
            double l2 = chunks.runNewton(p, n, g2);
            assertThat(chunks.hessianCompiled()).as(what).isEqualTo(codegen && reason == null);
            double[] h = chunks.hessian(n).clone();
            String path = what + (codegen ? reason == null ? " (compiled)" : " (" + reason + ")" : " (interpreted)");
            assertThat(Double.doubleToLongBits(l2)).as("loss, " + path).isEqualTo(Double.doubleToLongBits(l1)); // NaN too
            assertThat(g2).as("gradient, " + path).isEqualTo(g1);
            assertThat(h).as("Hessian, " + path).isEqualTo(reference);
            // after a plain run, hessian() runs Newton's pass itself: the same bits
            chunks.run(p, n, g1);
            assertThat(chunks.hessian(n)).as("Hessian after run, " + path).isEqualTo(reference);
        }
    }

    @Test
    void theBenchLossesGiveThePassAndTheReferenceBitsInBothDtypes() {
        for (DType dtype : DType.values()) {
            for (LossModel m : CompiledHessianTest.losses(dtype, 5, 256)) {
                for (int n : new int[] {1, 7, 15, 16, 17, 200, 256}) {
                    double[][] c = CompiledPassTest.rows(m, n, n, m.loss().source().contains("softplus"));
                    for (long seed = 0; seed < 2; seed++) {
                        assertNewtonBits(m, CompiledPassTest.params(m, seed), c, n, dtype == DType.FLOAT64,
                                m.loss().source() + " " + dtype + ", " + n + " rows");
                    }
                }
            }
        }
    }

    @Test
    void randomLossesGiveThePassAndTheReferenceBits() {
        Theories.qtCostly(100).forAll(CompiledPassTest.lossCases()).checkAssert(c -> {
            Random r = new Random(c.seed());
            int n = 1 + r.nextInt(64);
            String text = c.withDot() ? "(" + c.e() + ") * dot(w, x) + (" + c.f() + ") * dot(x, w) - dot(w, w) * c" : c.e() + " + " + c.f();
            Map<String, Integer> inputs = new java.util.LinkedHashMap<>();
            inputs.put("c", 1);
            inputs.put("x", 3);
            LossModel m = new LossModel(Expression.parse("loss", text),
                    List.of(new VariableSpec("u", 1), new VariableSpec("v", 1), new VariableSpec("w", 3)), inputs, c.dtype(), 64);
            assertNewtonBits(m, CompiledPassTest.params(m, c.seed() + 1), CompiledPassTest.rows(m, n, c.seed(), false), n, false,
                    text + " " + c.dtype() + ", " + n + " rows");
        });
    }

    /**
     * The logistic loss {@code softplus(m) - y m}, {@code m = b + w.x}: gradient {@code X'(p - y)} and
     * Hessian {@code X' diag(p (1 - p)) X} ({@code X} with a column of ones, {@code p = 1 / (1 + e^-m)}),
     * written out here in plain loops, on random data; both paths.
     */
    @Test
    void theLogisticHessianIsTheClosedForm() {
        int k = 5;
        LossModel m = new LossModel(Expression.parse("loss", "softplus(b + dot(w, x)) - y * (b + dot(w, x))"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", k)), CompiledPassTest.yx(k), DType.FLOAT64, 512);
        Random r = new Random(5);
        for (int trial = 0; trial < 6; trial++) {
            int n = 1 + r.nextInt(400);
            double[][] c = new double[1 + k][n];
            for (int i = 0; i < n; i++) {
                c[0][i] = r.nextBoolean() ? 1 : 0;
                for (int j = 1; j <= k; j++) c[j][i] = r.nextGaussian();
            }
            double[] p = new double[1 + k];
            for (int j = 0; j <= k; j++) p[j] = 0.7 * r.nextGaussian();
            int q = 1 + k;
            double[] g = new double[q];
            double[] h = new double[q * q];
            for (int i = 0; i < n; i++) {
                double[] x = new double[q];
                x[0] = 1;
                double mi = p[0];
                for (int j = 1; j <= k; j++) {
                    x[j] = c[j][i];
                    mi += p[j] * x[j];
                }
                double pi = 1 / (1 + Math.exp(-mi));
                for (int a = 0; a < q; a++) {
                    g[a] += x[a] * (pi - c[0][i]);
                    for (int b = 0; b < q; b++) h[a * q + b] += x[a] * pi * (1 - pi) * x[b];
                }
            }
            for (LossModel model : List.of(m, m.withCodegen(false))) {
                if (model.codegen()) assertThat(GradientAggregator.awaitHessianCompiled(model)).isNull();
                GradientAggregator.Chunks chunks = GradientAggregator.chunks(model);
                chunks.load(c, 0, n);
                double[] got = new double[q];
                chunks.runNewton(p, n, got);
                double[] hessian = chunks.hessian(n);
                assertThat(chunks.hessianCompiled()).isEqualTo(model.codegen());
                double scale = 0;
                for (double v : h) scale = Math.max(scale, Math.abs(v));
                for (int a = 0; a < q; a++) {
                    assertThat(got[a]).as("gradient " + a).isCloseTo(g[a], org.assertj.core.data.Offset.offset(1e-12 * n));
                    for (int b = 0; b < q; b++) {
                        assertThat(hessian[a * q + b]).as("H[" + a + "][" + b + "], " + n + " rows")
                                .isCloseTo(h[a * q + b], org.assertj.core.data.Offset.offset(1e-13 * Math.max(1, scale)));
                    }
                }
            }
        }
    }

    /**
     * A Newton run told its Hessian on demand asks for it at iterates and taken trials only: a refused
     * trial (its objective far above the iterate's) does not, and the run's state is that of a run told
     * every Hessian.
     */
    @Test
    void aRefusedTrialDoesNotAskForTheHessian() {
        LossModel m = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 1)), CompiledPassTest.yx(1), DType.FLOAT64, 64);
        TrainLoop.Settings s = new TrainLoop.Settings(10, 0, 0, GradientSums.Reduce.SUM, 0);
        java.util.function.Supplier<TrainState> start = () -> TrainState.start(new double[2],
                m.buildOptimizer(Optimizers.create("newton", Map.<String, Hyper>of(), DType.FLOAT64)));
        TrainRun lazy = TrainRun.of(start.get(), s);
        TrainRun eager = TrainRun.of(start.get(), s);
        double[] hess = {2, 0, 0, 2};
        AtomicInteger asked = new AtomicInteger();
        // the iterate (0, 0): loss 1, gradient (-2, 0), Hessian 2 I: the direction (1, 0)
        lazy.tell(new GradientSums(1, 1.0, new double[] {-2, 0}), () -> { asked.incrementAndGet(); return hess; }, 0);
        eager.tell(new GradientSums(1, 1.0, new double[] {-2, 0}, hess), 0);
        assertThat(asked).hasValue(1);
        assertThat(lazy.point()).isEqualTo(eager.point()).isEqualTo(new double[] {1, 0});
        // the trial far uphill: refused, the step halved, no Hessian asked for
        lazy.tell(new GradientSums(1, 100.0, new double[] {5, 0}), () -> { throw new AssertionError("a refused trial's Hessian"); }, 0);
        eager.tell(new GradientSums(1, 100.0, new double[] {5, 0}, hess), 0);
        assertThat(lazy.point()).isEqualTo(eager.point()).isEqualTo(new double[] {0.5, 0});
        // the halved trial downhill: taken, the next iterate, its Hessian asked for once
        lazy.tell(new GradientSums(1, 0.25, new double[] {-1, 0}), () -> { asked.incrementAndGet(); return hess; }, 0);
        eager.tell(new GradientSums(1, 0.25, new double[] {-1, 0}, hess), 0);
        assertThat(asked).hasValue(2);
        assertThat(lazy.point()).isEqualTo(eager.point()).isEqualTo(new double[] {1, 0});
        assertThat(lazy.state().step()).isEqualTo(eager.state().step()).isEqualTo(1);
    }
}
