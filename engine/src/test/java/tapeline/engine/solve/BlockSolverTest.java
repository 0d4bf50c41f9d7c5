package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.expr.ExpressionException;
import tapeline.engine.tape.DType;

class BlockSolverTest {

    static final Expression QUADRATIC = Expression.parse("cost", "x0 * w^2 + x1 * w + x2");
    static final Map<String, Integer> XS = Map.of("x0", 1, "x1", 1, "x2", 1);

    static BlockSolver quadratic(String optimizer, Map<String, Double> args, SolverSettings s, DType dtype) {
        return new BlockSolver(QUADRATIC, List.of(new VariableSpec("w", 1)), XS, optimizer, args, s, dtype);
    }

    static Map<String, double[][]> xs(double[] x0, double[] x1, double[] x2) {
        return Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1}, "x2", new double[][] {x2});
    }

    @Test
    void notebookBlockGivesTheNotebookDigits() {
        BlockSolver solver = quadratic("adam", Map.of("learning_rate", 0.1), new SolverSettings(1000, 0, 0), DType.FLOAT32);
        BlockResult r = solver.solve(2, xs(new double[] {1, 5}, new double[] {-10, -7}, new double[] {25, 13}), Map.of(), Map.of());
        assertThat(Float.toString((float) r.values()[0][0][0])).isEqualTo("5.000001");
        assertThat(Float.toString((float) r.values()[0][0][1])).isEqualTo("0.7");
        assertThat(r.status()).containsOnly(LaneStatus.MAX_STEPS);
        assertThat(r.steps()).containsOnly(1000);
        assertThat(r.error()).containsOnlyNulls();
    }

    @Test
    void randomQuadraticsReachTheClosedFormMinimiser() {
        Random rnd = new Random(42);
        int n = 3000;
        double[] x0 = new double[n], x1 = new double[n], x2 = new double[n];
        for (int i = 0; i < n; i++) {
            x0[i] = 0.5 + 4 * rnd.nextDouble();
            x1[i] = -10 + 20 * rnd.nextDouble();
            x2[i] = -5 + 10 * rnd.nextDouble();
        }
        BlockSolver solver = quadratic("adam", Map.of("learning_rate", 0.1), new SolverSettings(20000, 1e-9, 1e-10), DType.FLOAT64);
        BlockResult r = solver.solve(n, xs(x0, x1, x2), Map.of(), Map.of());
        for (int i = 0; i < n; i++) {
            assertThat(r.status()[i]).as("lane %d", i).isEqualTo(LaneStatus.CONVERGED);
            assertThat(r.values()[0][0][i]).as("lane %d", i).isCloseTo(-x1[i] / (2 * x0[i]), within(1e-6));
            double w = r.values()[0][0][i];
            assertThat(r.cost()[i]).isCloseTo(x0[i] * w * w + x1[i] * w + x2[i], within(1e-12));
        }
        assertThat(java.util.Arrays.stream(r.steps()).boxed().toList()).allMatch(s -> s > 0 && s < 20000);
    }

    @Test
    void rosenbrockWithPerLaneParametersReachesAAndASquared() {
        Expression rosen = Expression.parse("cost", "(a - x)^2 + b * (y - x^2)^2");
        BlockSolver solver = new BlockSolver(rosen, List.of(new VariableSpec("x", 1), new VariableSpec("y", 1)),
                Map.of("a", 1, "b", 1), "adam", Map.of("learning_rate", 0.002), new SolverSettings(200000, 1e-8, 0), DType.FLOAT64);
        double[] a = {1, 0.5, -1, 2};
        double[] b = {100, 10, 5, 1};
        BlockResult r = solver.solve(4, Map.of("a", new double[][] {a}, "b", new double[][] {b}), Map.of(), Map.of());
        for (int i = 0; i < 4; i++) {
            assertThat(r.status()[i]).isEqualTo(LaneStatus.CONVERGED);
            assertThat(r.values()[0][0][i]).isCloseTo(a[i], within(1e-6));
            assertThat(r.values()[1][0][i]).isCloseTo(a[i] * a[i], within(1e-6));
        }
    }

    @Test
    void eachLaneFollowsTheTrajectoryItWouldFollowAlone() {
        // Per-lane learning rates and starting points; some lanes converge early and are packed away.
        Random rnd = new Random(7);
        int n = 37;
        double[] x0 = new double[n], x1 = new double[n], x2 = new double[n], lr = new double[n], w0 = new double[n];
        for (int i = 0; i < n; i++) {
            x0[i] = 0.5 + rnd.nextDouble();
            x1[i] = rnd.nextGaussian();
            x2[i] = rnd.nextGaussian();
            lr[i] = 0.01 + 0.2 * rnd.nextDouble();
            w0[i] = rnd.nextGaussian();
        }
        x0[5] = -1; // diverges
        x1[9] = Double.NaN; // invalid
        SolverSettings s = new SolverSettings(3000, 1e-6, 0);
        BlockSolver solver = quadratic("adam", Map.of("beta_1", 0.8), s, DType.FLOAT64);
        BlockResult all = solver.solve(n, xs(x0, x1, x2), Map.of("w", new double[][] {w0}), Map.of("learning_rate", lr));
        for (int i = 0; i < n; i++) {
            BlockResult one = solver.solve(1, xs(new double[] {x0[i]}, new double[] {x1[i]}, new double[] {x2[i]}),
                    Map.of("w", new double[][] {{w0[i]}}), Map.of("learning_rate", new double[] {lr[i]}));
            assertThat(bits(all.values()[0][0][i])).as("lane %d", i).isEqualTo(bits(one.values()[0][0][0]));
            assertThat(bits(all.cost()[i])).isEqualTo(bits(one.cost()[0]));
            assertThat(all.steps()[i]).isEqualTo(one.steps()[0]);
            assertThat(all.status()[i]).isEqualTo(one.status()[0]);
        }
        assertThat(all.status()[5]).isEqualTo(LaneStatus.DIVERGED);
        assertThat(all.error()[5]).contains("falls without bound");
        assertThat(all.status()[9]).isEqualTo(LaneStatus.INVALID);
        assertThat(all.error()[9]).isEqualTo("input x1 is NaN");
        assertThat(all.status()).filteredOn(st -> st == LaneStatus.CONVERGED).hasSize(n - 2);
    }

    /**
     * A block restarts the divergence rule's state of the block before it (as it reuses its recorded
     * tape): its results must be those of a fresh solver, also after a block whose lanes ran away
     * (their windows counted, their slopes and reasons set; gently, so that a steeper lane would
     * count a window too early from a stale slope) and with fewer lanes than it.
     */
    @Test
    void aBlockAfterARunawayBlockGivesAFreshSolversBits() {
        SolverSettings s = new SolverSettings(3000, 0, 0);
        double[] x0 = {-0.1, -0.2, -0.15, -0.12, -0.3}; // gentle: their last slopes are lower than the next block's
        double[] x1 = {0.3, -1, 2, 0.5, 1};
        double[] x2 = {1, 2, 3, 4, 5};
        BlockSolver used = quadratic("adam", Map.of("learning_rate", 0.1), s, DType.FLOAT64);
        BlockResult first = used.solve(5, xs(x0, x1, x2), Map.of(), Map.of());
        assertThat(first.status()).containsOnly(LaneStatus.DIVERGED); // every position's windows counted
        double[] y0 = {-3, 3, -2};
        double[] y1 = {1, 1, -1};
        double[] y2 = {0, 0, 0};
        BlockResult again = used.solve(3, xs(y0, y1, y2), Map.of(), Map.of());
        BlockResult fresh = quadratic("adam", Map.of("learning_rate", 0.1), s, DType.FLOAT64)
                .solve(3, xs(y0, y1, y2), Map.of(), Map.of());
        for (int i = 0; i < 3; i++) {
            assertThat(bits(again.values()[0][0][i])).as("lane %d", i).isEqualTo(bits(fresh.values()[0][0][i]));
            assertThat(bits(again.cost()[i])).isEqualTo(bits(fresh.cost()[i]));
            assertThat(again.steps()[i]).isEqualTo(fresh.steps()[i]);
            assertThat(again.status()[i]).isEqualTo(fresh.status()[i]);
            assertThat(again.error()[i]).isEqualTo(fresh.error()[i]);
        }
        assertThat(again.status()).containsExactly(LaneStatus.DIVERGED, LaneStatus.MAX_STEPS, LaneStatus.DIVERGED);
    }

    @Test
    void gradNormIsTheGradientsNormAtTheResult() {
        // sqrt((2 (u - a))^2 + (2 (v - b))^2 + (1e200)^2): the last term's square alone would overflow.
        Expression e = Expression.parse("cost", "(u - a)^2 + (v - b)^2 + c * z");
        BlockSolver solver = new BlockSolver(e, List.of(new VariableSpec("u", 1), new VariableSpec("v", 1), new VariableSpec("z", 1)),
                Map.of("a", 1, "b", 1, "c", 1), "sgd", Map.of("learning_rate", 0.1), new SolverSettings(7, 0, 0), DType.FLOAT64);
        BlockResult r = solver.solve(2, Map.of("a", new double[][] {{3, -1}}, "b", new double[][] {{0.5, 2}},
                "c", new double[][] {{0, 1e200}}), Map.of(), Map.of());
        for (int i = 0; i < 2; i++) {
            double gu = 2 * (r.values()[0][0][i] - new double[] {3, -1}[i]);
            double gv = 2 * (r.values()[1][0][i] - new double[] {0.5, 2}[i]);
            double expected = i == 0 ? Math.sqrt(gu * gu + gv * gv) : 1e200; // lane 1: 1e200 swamps the others
            assertThat(r.gradNorm()[i]).as("lane %d", i).isCloseTo(expected, within(1e-12 * expected));
        }
        assertThat(r.status()[1]).isEqualTo(LaneStatus.DIVERGED); // its cost passed -1e308
        assertThat(r.error()[1]).isEqualTo("cost is -Infinity after 7 steps");
    }

    static long bits(double v) {
        return Double.doubleToLongBits(v);
    }

    @Test
    void nonFiniteCostIsDivergedWithTheReason() {
        Expression logCost = Expression.parse("cost", "log(c) + w^2");
        BlockSolver solver = new BlockSolver(logCost, List.of(new VariableSpec("w", 1)), Map.of("c", 1), "adam",
                Map.of(), new SolverSettings(10, 0, 0), DType.FLOAT64);
        BlockResult r = solver.solve(2, Map.of("c", new double[][] {{-1, 2}}), Map.of(), Map.of());
        assertThat(r.status()).containsExactly(LaneStatus.DIVERGED, LaneStatus.MAX_STEPS);
        assertThat(r.error()[0]).isEqualTo("cost is NaN after 0 steps");
        assertThat(r.steps()).containsExactly(0, 10);
    }

    @Test
    void badPerLaneArgumentMakesOnlyThatLaneInvalid() {
        BlockSolver solver = quadratic("adam", Map.of(), new SolverSettings(5, 0, 0), DType.FLOAT64);
        BlockResult r = solver.solve(2, xs(new double[] {1, 1}, new double[] {1, 1}, new double[] {1, 1}), Map.of(),
                Map.of("learning_rate", new double[] {-0.1, 0.1}));
        assertThat(r.status()).containsExactly(LaneStatus.INVALID, LaneStatus.MAX_STEPS);
        assertThat(r.error()[0]).isEqualTo("optimizer.learning_rate must be in [0, inf), got -0.1");
    }

    @Test
    void serialisedMidRunContinuesOnExactlyTheSameTrajectory() throws Exception {
        Random rnd = new Random(3);
        int n = 50;
        double[] x0 = new double[n], x1 = new double[n], x2 = new double[n];
        for (int i = 0; i < n; i++) {
            x0[i] = 0.1 + rnd.nextDouble();
            x1[i] = rnd.nextGaussian() * 5;
            x2[i] = rnd.nextGaussian();
        }
        for (DType dtype : DType.values()) {
            BlockSolver solver = quadratic("adam", Map.of("learning_rate", 0.05, "amsgrad", 1.0), new SolverSettings(2000, 1e-7, 0), dtype);
            BlockResult straight = solver.solve(n, xs(x0, x1, x2), Map.of(), Map.of());
            BlockRun run = solver.start(n, xs(x0, x1, x2), Map.of(), Map.of());
            run.advance(300);
            assertThat(run.isDone()).isFalse();
            BlockRun copy = roundTrip(roundTrip(run));
            copy.advance(Integer.MAX_VALUE);
            BlockResult resumed = copy.result();
            assertThat(resumed.values()[0][0]).isEqualTo(straight.values()[0][0]);
            assertThat(resumed.steps()).isEqualTo(straight.steps());
            assertThat(resumed.cost()).isEqualTo(straight.cost());
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void problemsAreReportedWhenTheSolverIsMade() {
        assertThatThrownBy(() -> new BlockSolver(Expression.parse("cost", "x0 * w^2 + x9"), List.of(new VariableSpec("w", 1)),
                XS, "adam", Map.of(), new SolverSettings(1, 0, 0), DType.FLOAT64))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("position 11").hasMessageContaining("x9");
        assertThatThrownBy(() -> quadratic("adam", Map.of("beta_1", 1.5), new SolverSettings(1, 0, 0), DType.FLOAT64))
                .hasMessageContaining("optimizer.beta_1 must be in [0, 1), got 1.5");
        assertThatThrownBy(() -> quadratic("adam", Map.of("momentum", 0.9), new SolverSettings(1, 0, 0), DType.FLOAT64))
                .hasMessageContaining("no argument 'momentum'");
        assertThatThrownBy(() -> quadratic("adamm", Map.of(), new SolverSettings(1, 0, 0), DType.FLOAT64))
                .hasMessageContaining("unknown optimizer 'adamm'");
    }

    @Test
    void vectorVariablesAndDot() {
        // least squares in one lane per problem: minimise (y - dot(w, x))^2 + 0.1 * sum(w^2) has a closed form
        Expression e = Expression.parse("cost", "sum((w - t)^2) + dot(w, w)");
        BlockSolver solver = new BlockSolver(e, List.of(new VariableSpec("w", 3)), Map.of("t", 3), "adam",
                Map.of("learning_rate", 0.05), new SolverSettings(20000, 1e-10, 0), DType.FLOAT64);
        double[][] t = {{1, -2}, {4, 0}, {-6, 8}};
        BlockResult r = solver.solve(2, Map.of("t", t), Map.of(), Map.of());
        for (int c = 0; c < 3; c++) {
            for (int lane = 0; lane < 2; lane++) {
                assertThat(r.values()[0][c][lane]).isCloseTo(t[c][lane] / 2, within(1e-7)); // argmin (w-t)^2 + w^2 = t/2
            }
        }
    }
}
