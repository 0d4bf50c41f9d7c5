package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * The solver loop allocates nothing per step once it runs: the tape, its buffers and the optimizer
 * state are made once per block. Checked with the JVM's per-thread allocation counter, which counts
 * bytes, not time, so the check is not disturbed by a busy machine.
 */
class SteadyStateAllocationTest {

    @Test
    void advancingABlockAllocatesNothingPerStep() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (DType dtype : DType.values()) {
            // Compiled steps, fused or not (clipping, here by a bound never reached, keeps the update in Java), the
            // interpreter, and a cost too large for one loop (in segments over chunks of lanes), fused or not.
            for (int path = 0; path < 5; path++) {
                boolean codegen = path != 2;
                boolean large = path >= 3;
                Map<String, Double> args = path == 1 || path == 4 ? Map.of("learning_rate", 0.01, "clipvalue", 1e300)
                        : Map.of("learning_rate", 0.01);
                String cost = "x0 * w^2 + x1 * w + x2 + 0.1 * sin(w)"
                        + (large ? " + 0.1 * sin(w + x1) * cos(w * x0) + 0.01 * exp(-w^2 * x0) + 0.2 * tanh(w - x1) * (w - x0)^2" : "");
                BlockSolver solver = new BlockSolver(Expression.parse("cost", cost),
                        List.of(new VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1), "adam",
                        args, new SolverSettings(1_000_000, 0, 0), dtype).withCodegen(codegen);
                BlockRun run = start(solver);
                run.advance(3_000); // first steps make the lazily built buffers (and let the JIT settle: a deoptimisation re-allocates what it had scalar-replaced)
                long tid = Thread.currentThread().getId();
                long before = threads.getThreadAllocatedBytes(tid);
                int steps = large ? 4_000 : 20_000; // the large cost's step is several times the work
                run.advance(steps);
                long after = threads.getThreadAllocatedBytes(tid);
                assertThat(run.step()).isEqualTo(3_000 + steps);
                // 20,000 steps of 256 lanes: a single boxed value per step would already be 320 kB (4,000: 64 kB). The
                // 16 kB allowed is room for a one-off allocation (a late deoptimisation: 4.2 kB was seen once), not per step.
                assertThat(after - before).as("bytes allocated in %d steps (%s, path %s)", steps, dtype, path).isLessThan(16_384);
                assertThat(run.kernelPath().compiled()).isEqualTo(codegen);
                assertThat(run.kernelPath().fused()).isEqualTo(path == 0 || path == 3);
                assertThat(run.kernelPath().segmented()).as(run.kernelPath().describe()).isEqualTo(large);
            }
        }
    }

    /** Second order too: Adam with the verdict's curvature watch, and Newton (Hessian, eigen-solver, line search). */
    @Test
    void secondOrderStepsAllocateNothingPerStep() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String optimizer : new String[] {"adam", "newton"}) {
            for (DType dtype : DType.values()) {
                BlockSolver solver = new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2 + 0.1 * sin(w)"),
                        List.of(new VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1), optimizer,
                        optimizer.equals("adam") ? Map.of("learning_rate", 0.01) : Map.of(),
                        new SolverSettings(1_000_000, 0, 0, true), dtype);
                BlockRun run = start(solver);
                run.advance(1_000); // lazily built buffers, and the JIT settled
                long tid = Thread.currentThread().getId();
                long before = threads.getThreadAllocatedBytes(tid);
                int steps = optimizer.equals("newton") ? 2_000 : 10_000; // a Newton step is a few gradients' work
                run.advance(steps);
                long after = threads.getThreadAllocatedBytes(tid);
                assertThat(run.step()).isEqualTo(1_000 + steps);
                // A single boxed value (16 bytes) per step would already be 32 kB in 2,000 steps; 16 kB is room
                // for a one-off allocation, not a per-step one.
                assertThat(after - before).as("bytes allocated in %d steps (%s, %s, verdict on)", steps, optimizer, dtype)
                        .isLessThan(16_384);
            }
        }
    }

    /** A block of 256 lanes of the test's cost: x0 = 1 + i, x1 = -i, x2 = 3. */
    private static BlockRun start(BlockSolver solver) {
        int n = 256;
        double[] x0 = new double[n];
        double[] x1 = new double[n];
        double[] x2 = new double[n];
        for (int i = 0; i < n; i++) {
            x0[i] = 1 + i;
            x1[i] = -i;
            x2[i] = 3;
        }
        return solver.start(n, Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1},
                "x2", new double[][] {x2}), Map.of(), Map.of());
    }
}
