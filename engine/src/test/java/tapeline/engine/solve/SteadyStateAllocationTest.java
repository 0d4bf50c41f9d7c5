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
        // Adam; Adam with the verdict's curvature watch; Newton (Hessian, eigen-solver, line search).
        String[] optimizers = {"adam", "adam", "newton"};
        boolean[] verdict = {false, true, true};
        for (int c = 0; c < optimizers.length; c++)
        for (DType dtype : DType.values()) {
            BlockSolver solver = new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2 + 0.1 * sin(w)"),
                    List.of(new VariableSpec("w", 1)), Map.of("x0", 1, "x1", 1, "x2", 1), optimizers[c],
                    optimizers[c].equals("adam") ? Map.of("learning_rate", 0.01) : Map.of(),
                    new SolverSettings(1_000_000, 0, 0, verdict[c]), dtype);
            int n = 256;
            double[] x0 = new double[n];
            double[] x1 = new double[n];
            double[] x2 = new double[n];
            for (int i = 0; i < n; i++) {
                x0[i] = 1 + i;
                x1[i] = -i;
                x2[i] = 3;
            }
            BlockRun run = solver.start(n, Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1},
                    "x2", new double[][] {x2}), Map.of(), Map.of());
            run.advance(100); // first steps make the lazily built buffers
            long tid = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(tid);
            int steps = optimizers[c].equals("newton") ? 2_000 : 20_000; // a Newton step is a few gradients' work
            run.advance(steps);
            long after = threads.getThreadAllocatedBytes(tid);
            assertThat(run.step()).isEqualTo(100 + steps);
            // 20,000 steps of 256 lanes: a single boxed value per step would already be 320 kB (32 kB in 2,000).
            assertThat(after - before).as("bytes allocated in %d steps (%s, %s, verdict %s)", steps, optimizers[c], dtype,
                    verdict[c]).isLessThan(4_096);
        }
    }
}
