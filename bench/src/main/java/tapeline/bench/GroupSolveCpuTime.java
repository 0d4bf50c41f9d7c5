package tapeline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

import tapeline.engine.group.BatchedGroupSolver;
import tapeline.engine.group.GroupBlock;
import tapeline.engine.group.GroupFit;
import tapeline.engine.group.GroupProblem;

/**
 * {@link GroupSolveBenchmark}'s work (one group's solve, the job's settings) timed by the thread's CPU
 * clock: on a machine shared with other builds the time slices lost to them do not count, so two
 * builds can be compared when wall-clock scores swing by several times. Prints, per loss and
 * optimizer, the median over 11 batches of CPU microseconds per group, after a warm-up, and the
 * passes per group.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar tapeline.bench.GroupSolveCpuTime [rows=200] [losses=ls,logistic] [optimizers=lbfgs,newton]
 * </pre>
 */
public final class GroupSolveCpuTime {
    private GroupSolveCpuTime() {}

    public static void main(String[] a) {
        int rows = a.length > 0 ? Integer.parseInt(a[0]) : 200;
        String[] losses = (a.length > 1 ? a[1] : "ls,logistic").split(",");
        String[] optimizers = (a.length > 2 ? a[2] : "lbfgs,newton").split(",");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        BatchedGroupSolver solver = new BatchedGroupSolver();
        for (String loss : losses) {
            GroupBlock block = GroupSolveDriver.data(GroupSolveBenchmark.GROUPS, rows, GroupSolveBenchmark.FEATURES,
                    loss.startsWith("logistic"), 42);
            for (String opt : optimizers) {
                GroupProblem p = GroupSolveBenchmark.problem(loss, opt);
                GroupFit[] fits = null;
                for (int w = 0; w < 40; w++) fits = solver.solve(p, block); // warm-up
                double[] us = new double[11];
                for (int b = 0; b < us.length; b++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    for (int r = 0; r < 4; r++) fits = solver.solve(p, block);
                    us[b] = (mx.getCurrentThreadCpuTime() - c0) / 1e3 / (4.0 * GroupSolveBenchmark.GROUPS);
                }
                Arrays.sort(us);
                long passes = 0;
                for (GroupFit f : fits) passes += f.passes();
                System.out.printf(Locale.ROOT, "%-10s %-7s rows %5d: %8.2f us/group CPU (median; %.2f-%.2f), %.2f passes/group%n",
                        loss, opt, rows, us[us.length / 2], us[0], us[us.length - 1], (double) passes / fits.length);
            }
        }
    }
}
