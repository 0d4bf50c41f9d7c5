package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Adam;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.optim.lbfgs.QuasiNewtonTest;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.TrainLoop.Status;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * The train loop with L-BFGS and OWL-QN over a local fold (the tape aggregator on rows in memory, as
 * the Spark pass computes it): classic functions as a train of one row, a regulariser against the
 * ridge closed form for L-BFGS and Adam, and a run stopped in the middle of a line search and resumed
 * from its checkpoint ending with the uninterrupted run's bits.
 */
class TrainLoopSolverTest {

    /** A pass over rows held in memory: the same aggregator the Spark pass merges. */
    static TrainLoop.GradientPass local(LossModel m, double[][] columns, int rows) {
        return (params, step) -> new GradientAggregator(m).add(params, columns, 0, rows).snapshot();
    }

    static TrainLoop.TrainResult run(TrainState start, TrainLoop.Settings s, TrainLoop.GradientPass pass) throws Exception {
        return TrainLoop.run(start, s, pass, TrainLoop.Listener.NONE, state -> {});
    }

    @Test
    void rosenbrockAndBealeAsATrainOfOneRowConverge() throws Exception {
        // One row holds the constants: (c0 - a)^2 + c1 (b - a^2)^2 with c0 = 1, c1 = 100.
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("c0", 1);
        in.put("c1", 1);
        List<VariableSpec> ab = List.of(new VariableSpec("a", 1), new VariableSpec("b", 1));
        LossModel rosen = new LossModel(Expression.parse("loss", "(c0 - a)^2 + c1 * (b - a^2)^2"), ab, in, DType.FLOAT64, 16);
        TrainLoop.TrainResult r = run(TrainState.start(QuasiNewton.lbfgs(new double[] {-1.2, 1}, 10)),
                new TrainLoop.Settings(500, 1e-12, 0, Reduce.MEAN, 0), local(rosen, new double[][] {{1}, {100}}, 1));
        assertThat(r.status()).as(r.message()).isEqualTo(Status.CONVERGED);
        assertThat(r.message()).contains("gradient norm");
        assertThat(r.state().params()[0]).isCloseTo(1, within(1e-7));
        assertThat(r.state().params()[1]).isCloseTo(1, within(1e-7));
        List<HistoryPoint> h = r.state().history();
        assertThat(h.get(0).step()).isZero();
        assertThat(h.get(h.size() - 1).step()).isEqualTo(r.state().step());
        assertThat(h.stream().mapToInt(HistoryPoint::passes).sum()).isEqualTo(r.passes());
        assertThat(h.stream().anyMatch(p -> p.passes() > 1)).as("some steps needed a longer line search").isTrue();

        LossModel beale = new LossModel(Expression.parse("loss",
                "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2 + 0 * c0"),
                List.of(new VariableSpec("x", 1), new VariableSpec("y", 1)), Map.of("c0", 1), DType.FLOAT64, 16);
        r = run(TrainState.start(QuasiNewton.lbfgs(new double[] {1, 1}, 10)),
                new TrainLoop.Settings(500, 1e-12, 0, Reduce.MEAN, 0), local(beale, new double[][] {{0}}, 1));
        assertThat(r.state().params()[0]).isCloseTo(3, within(1e-7));
        assertThat(r.state().params()[1]).isCloseTo(0.5, within(1e-7));
    }

    /** Rows of y = 0.5 + x.(2, -1, 0.5) + noise; columns y, x0, x1, x2. */
    static double[][] linearRows(int n, long seed) {
        Random r = new Random(seed);
        double[][] c = new double[4][n];
        for (int i = 0; i < n; i++) {
            c[1][i] = r.nextGaussian();
            c[2][i] = 0.5 * c[1][i] + r.nextGaussian();
            c[3][i] = r.nextGaussian() * 2;
            c[0][i] = 0.5 + 2 * c[1][i] - c[2][i] + 0.5 * c[3][i] + 0.3 * r.nextGaussian();
        }
        return c;
    }

    static LossModel leastSquares() {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", 3);
        return new LossModel(Expression.parse("loss", "0.5 * (y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 3)), in, DType.FLOAT64, 64);
    }

    /** Ridge with an unpenalised intercept: (X'X/n + lambda D) beta = X'y/n, D = diag(0, 1, 1, 1). */
    static double[] ridge(double[][] c, double lambda) {
        int n = c[0].length;
        double[][] a = new double[4][4];
        double[] rhs = new double[4];
        for (int i = 0; i < n; i++) {
            double[] row = {1, c[1][i], c[2][i], c[3][i]};
            for (int p = 0; p < 4; p++) {
                rhs[p] += row[p] * c[0][i] / n;
                for (int q = 0; q < 4; q++) a[p][q] += row[p] * row[q] / n;
            }
        }
        for (int p = 1; p < 4; p++) a[p][p] += lambda;
        return QuasiNewtonTest.solve(a, rhs);
    }

    @Test
    void aRegulariserIsAddedOnceForLbfgsAndForAdam() throws Exception {
        double[][] c = linearRows(400, 2);
        LossModel m = leastSquares();
        Regularizer reg = new Regularizer(Expression.parse("regularization", "0.5 * 0.3 * sum(w^2)"), m.variables(), DType.FLOAT64);
        double[] exact = ridge(c, 0.3);
        TrainLoop.TrainResult r = run(TrainState.start(QuasiNewton.lbfgs(new double[4], 10)),
                new TrainLoop.Settings(200, 1e-12, 0, Reduce.MEAN, 0, reg), local(m, c, 400));
        for (int k = 0; k < 4; k++) assertThat(r.state().params()[k]).as("lbfgs %d", k).isCloseTo(exact[k], within(1e-8));
        TrainState adam = TrainState.start(new double[4], m.buildOptimizer(Adam.withLearningRate(0.05, DType.FLOAT64)));
        TrainLoop.TrainResult a = run(adam, new TrainLoop.Settings(3000, 1e-10, 0, Reduce.MEAN, 0, reg), local(m, c, 400));
        for (int k = 0; k < 4; k++) assertThat(a.state().params()[k]).as("adam %d", k).isCloseTo(exact[k], within(1e-5));
        // And the objective in the history is the rows' mean plus the term.
        double[] p = r.state().params();
        double mean = new GradientAggregator(m).add(p, c, 0, 400).snapshot().loss(Reduce.MEAN);
        double term = 0.15 * (p[1] * p[1] + p[2] * p[2] + p[3] * p[3]);
        List<HistoryPoint> h = r.state().history();
        assertThat(h.get(h.size() - 1).loss()).isCloseTo(mean + term, within(1e-14));
    }

    @Test
    void aRegulariserReadsOnlyVariables() {
        assertThatThrownBy(() -> new Regularizer(Expression.parse("regularization", "sum(w^2) * y"),
                leastSquares().variables(), DType.FLOAT64)).hasMessageContaining("'y' is not a variable");
    }

    @Test
    void aRunStoppedInTheMiddleOfALineSearchResumesToTheSameBits() throws Exception {
        for (boolean owl : new boolean[] {false, true}) {
            double[][] c = linearRows(300, 9);
            LossModel m = new LossModel(Expression.parse("loss", "0.1 * (y - (b + dot(w, x)))^2 + 10 * (w[1] - w[0]^2)^2"),
                    leastSquares().variables(), leastSquares().inputs(), DType.FLOAT64, 64);
            TrainLoop.GradientPass pass = local(m, c, 300);
            double[] x0 = {0, -1, 1, 0}; // a curved valley (w[1] = w[0]^2): line searches of several passes
            QuasiNewton qn = owl ? QuasiNewton.owlqn(x0, 5, 0.02, new boolean[] {false, true, true, true})
                    : QuasiNewton.lbfgs(x0, 5);
            TrainLoop.Settings s = new TrainLoop.Settings(60, 1e-9, 1e-12, Reduce.MEAN, 1);
            List<byte[]> saved = new ArrayList<>();
            TrainLoop.TrainResult whole = TrainLoop.run(TrainState.start(qn), s, pass, TrainLoop.Listener.NONE,
                    state -> saved.add(bytes(state)));
            List<HistoryPoint> h = whole.state().history();
            // A step whose line search took more than one pass: crash on its last pass.
            int cumulative = 0;
            int crashAt = -1;
            for (HistoryPoint p : h) {
                cumulative += p.passes();
                if (p.step() > 1 && p.passes() > 1) {
                    crashAt = cumulative;
                    break;
                }
            }
            assertThat(crashAt).as("a step of several passes (owlqn %s)", owl).isPositive();
            int limit = crashAt;
            int[] count = {0};
            List<byte[]> saved2 = new ArrayList<>();
            TrainLoop.GradientPass crashing = (params, step) -> {
                if (++count[0] == limit) throw new IllegalStateException("executor lost");
                return pass.pass(params, step);
            };
            assertThatThrownBy(() -> TrainLoop.run(TrainState.start(qn), s, crashing, TrainLoop.Listener.NONE,
                    state -> saved2.add(bytes(state)))).hasMessage("executor lost");
            TrainState last = state(saved2.get(saved2.size() - 1));
            TrainLoop.TrainResult resumed = run(last, s, pass);
            assertThat(resumed.state().params()).isEqualTo(whole.state().params());
            assertThat(resumed.state().history()).isEqualTo(whole.state().history());
            assertThat(resumed.status()).isEqualTo(whole.status());
        }
    }

    static byte[] bytes(TrainState s) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(b)) {
            o.writeObject(s);
        }
        return b.toByteArray();
    }

    static TrainState state(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (TrainState) in.readObject();
        }
    }
}
