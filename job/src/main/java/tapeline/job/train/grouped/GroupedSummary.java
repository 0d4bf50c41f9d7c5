package tapeline.job.train.grouped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tapeline.job.JobResult;

/**
 * What a grouped train run prints at the end, and what its run record counts.
 *
 * <pre>
 * tapeline train (group.by): 1000 groups: CONVERGED 998, MAX_STEPS 0, DIVERGED 0, STALLED 0, INVALID 2
 *   rows: 200000 used, 3 bad rows skipped; 16 partitions
 *   solve and write: 4.20 s (tasks: 1.10 s fetching and sorting their rows, 0.40 s reading them, 5.30 s solving)
 *   output: out/per-store
 *   not converged (the first):
 *     store=7, sku=a: INVALID (every one of the group's 3 rows is bad; the first: column y: missing value)
 * </pre>
 *
 * @param groupsByStatus groups by status
 * @param tasks          the tasks' time by part, summed over tasks
 * @param shown          the first groups that did not converge, described
 * @param withoutStandardErrors with {@code stderr = true}: the solved groups (not INVALID, not DIVERGED)
 *                       whose standard errors are null; -1 without {@code stderr}
 * @param shownWithoutStandardErrors the first of those, with the reason
 */
public record GroupedSummary(Map<String, Long> groupsByStatus, long groups, long rowsUsed, long badRows, long steps,
                             int partitions, double solveAndWriteSeconds, TaskSeconds tasks, String output, List<String> shown,
                             long withoutStandardErrors, List<String> shownWithoutStandardErrors) implements JobResult {

    /** Without standard errors. */
    public GroupedSummary(Map<String, Long> groupsByStatus, long groups, long rowsUsed, long badRows, long steps,
                          int partitions, double solveAndWriteSeconds, TaskSeconds tasks, String output, List<String> shown) {
        this(groupsByStatus, groups, rowsUsed, badRows, steps, partitions, solveAndWriteSeconds, tasks, output, shown, -1, List.of());
    }

    /**
     * The tasks' seconds, summed over tasks: until their first sorted row (fetching and sorting; wall
     * and CPU), reading the rows into columns (the canonical order of each group included, also
     * shown alone), and in the solver (wall and CPU).
     */
    public record TaskSeconds(double sort, double sortCpu, double read, double readCpu, double order, double solve,
                              double solveCpu) {
        public static TaskSeconds of(GroupedCounts c) {
            return new TaskSeconds(c.sortSeconds(), c.sortCpuSeconds(), c.readSeconds(), c.readCpuSeconds(), c.orderSeconds(),
                    c.solveSeconds(), c.solveCpuSeconds());
        }
    }

    /** Groups shown in the summary. */
    static final int SHOWN = 5;

    @Override
    public long rowsRead() {
        return rowsUsed + badRows;
    }

    /** Rows {@code used} and {@code skipped}, as the train job counts them (the groups are in {@link #details}). */
    @Override
    public Map<String, Long> rowsByStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("used", rowsUsed);
        m.put("skipped", badRows);
        return m;
    }

    /** {@code INVALID} groups: {@code max.invalid} counts groups. */
    @Override
    public long invalidRows() {
        return groupsByStatus.getOrDefault("INVALID", 0L);
    }

    /** Optimizer steps summed over the groups. */
    @Override
    public long stepsTaken() {
        return steps;
    }

    /** The record's {@code groups} entry: how many, by status; and the tasks' time fetching and sorting, and solving. */
    @Override
    public Map<String, Object> details() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("count", groups);
        g.put("by_status", groupsByStatus);
        g.put("partitions", partitions);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("sort", tasks.sort());
        t.put("sort_cpu", tasks.sortCpu());
        t.put("read", tasks.read());
        t.put("read_cpu", tasks.readCpu());
        t.put("order", tasks.order());
        t.put("solve", tasks.solve());
        t.put("solve_cpu", tasks.solveCpu());
        g.put("task_seconds", t);
        if (withoutStandardErrors >= 0) {
            Map<String, Object> se = new LinkedHashMap<>();
            se.put("groups_without", withoutStandardErrors);
            se.put("columns", "<variable>_se");
            se.put("covariance", GroupedOutput.COVARIANCE);
            se.put("reason_column", GroupedOutput.SE_REASON);
            g.put("standard_errors", se);
        }
        return Map.of("groups", g);
    }

    public String render() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "tapeline train (group.by): %d group%s:", groups, groups == 1 ? "" : "s"));
        String sep = " ";
        for (Map.Entry<String, Long> e : groupsByStatus.entrySet()) {
            s.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        s.append('\n');
        s.append(String.format(Locale.ROOT, "  rows: %d used, %d bad row%s skipped; %d partitions%n", rowsUsed, badRows,
                badRows == 1 ? "" : "s", partitions));
        s.append(String.format(Locale.ROOT, "  solve and write: %.2f s (tasks: %.2f s fetching and sorting their rows,"
                + " %.2f s reading them, %.2f s solving)%n", solveAndWriteSeconds, tasks.sort(), tasks.read(), tasks.solve()));
        s.append("  output: ").append(output).append('\n');
        if (!shown.isEmpty()) {
            s.append("  not converged (the first):\n");
            shown.forEach(line -> s.append("    ").append(line).append('\n'));
        }
        if (withoutStandardErrors >= 0) {
            s.append(String.format(Locale.ROOT, "  %d solved group%s without standard errors (J^T J or H singular, or n <= p;"
                    + " the reason in %s)%n", withoutStandardErrors, withoutStandardErrors == 1 ? "" : "s", GroupedOutput.SE_REASON));
            shownWithoutStandardErrors.forEach(line -> s.append("    ").append(line).append('\n'));
        }
        return s.toString();
    }
}
