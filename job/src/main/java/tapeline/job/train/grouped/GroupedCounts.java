package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * A grouped train's counts, kept by the tasks that write the output rows (a result stage: Spark
 * applies each partition's update once, whatever the retries, as for the sweep's counts): groups by
 * status, rows used and bad, and the tasks' time (and CPU time) spent waiting for their sorted rows, reading
 * them into columns in canonical order, and solving.
 *
 * <pre>{@code
 * GroupedCounts counts = GroupedCounts.register(sc);
 * ... write the output ...
 * counts.groupsByStatus();   // {CONVERGED=999, INVALID=1, ...}
 * }</pre>
 */
public final class GroupedCounts implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The statuses a group can end with, in the order the summary shows them. */
    public static final List<String> STATUSES = List.of("CONVERGED", "MAX_STEPS", "DIVERGED", "STALLED", "INVALID");

    final LongAccumulator[] groups = new LongAccumulator[STATUSES.size()];
    final LongAccumulator rows;
    final LongAccumulator badRows;
    final LongAccumulator steps;
    final LongAccumulator sortNanos;
    final LongAccumulator solveNanos;
    final LongAccumulator sortCpuNanos;
    final LongAccumulator readNanos;
    final LongAccumulator readCpuNanos;
    final LongAccumulator orderNanos;
    final LongAccumulator solveCpuNanos;
    final LongAccumulator packNanos;
    /** Solved groups (not INVALID, not DIVERGED) whose standard errors are null ({@code stderr = true}). */
    final LongAccumulator noStandardErrors;

    private GroupedCounts(SparkContext sc) {
        for (int i = 0; i < groups.length; i++) groups[i] = sc.longAccumulator("tapeline groups " + STATUSES.get(i));
        rows = sc.longAccumulator("tapeline grouped rows used");
        badRows = sc.longAccumulator("tapeline grouped bad rows");
        steps = sc.longAccumulator("tapeline grouped steps");
        sortNanos = sc.longAccumulator("tapeline grouped: task time until the first sorted row (ns)");
        solveNanos = sc.longAccumulator("tapeline grouped: task time solving (ns)");
        sortCpuNanos = sc.longAccumulator("tapeline grouped: task CPU time until the first sorted row (ns)");
        readNanos = sc.longAccumulator("tapeline grouped: task time reading rows into columns, canonical order included (ns)");
        readCpuNanos = sc.longAccumulator("tapeline grouped: task CPU time reading rows into columns, canonical order included (ns)");
        orderNanos = sc.longAccumulator("tapeline grouped: task time putting groups in canonical order (ns)");
        solveCpuNanos = sc.longAccumulator("tapeline grouped: task CPU time solving (ns)");
        // Kept by the map tasks (a retried map task adds again): for the event log's parts, not the run record.
        packNanos = sc.longAccumulator("tapeline grouped: map task time reading rows and packing them into chunks (ns)");
        noStandardErrors = sc.longAccumulator("tapeline grouped: solved groups without standard errors");
    }

    public static GroupedCounts register(SparkContext sc) {
        return new GroupedCounts(sc);
    }

    void count(String status, long used, long bad, int groupSteps) {
        groups[STATUSES.indexOf(status)].add(1);
        steps.add(groupSteps);
        rows.add(used);
        badRows.add(bad);
    }

    /** A solved group (not INVALID, not DIVERGED) whose standard errors are null: J^T J or H singular, or n <= p. */
    void countStandardErrors(GroupedPartition.GroupResult fit) {
        if (fit.errors() != null && fit.errors().reason() != null
                && !fit.status().equals("INVALID") && !fit.status().equals("DIVERGED")) {
            noStandardErrors.add(1);
        }
    }

    /** With {@code stderr = true}: the solved groups (not INVALID, not DIVERGED) whose standard errors are null. */
    public long groupsWithoutStandardErrors() {
        return noStandardErrors.value();
    }

    /** Groups by status, every status listed. */
    public Map<String, Long> groupsByStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < groups.length; i++) m.put(STATUSES.get(i), groups[i].value());
        return m;
    }

    public long groups() {
        long n = 0;
        for (LongAccumulator a : groups) n += a.value();
        return n;
    }

    /** Optimizer steps, summed over the groups. */
    public long steps() {
        return steps.value();
    }

    public long rowsUsed() {
        return rows.value();
    }

    public long badRows() {
        return badRows.value();
    }

    /** Summed over tasks: seconds from a task's start to its first sorted row (fetching and sorting its rows). */
    public double sortSeconds() {
        return sortNanos.value() / 1e9;
    }

    /** Summed over tasks: CPU seconds from a task's start to its first sorted row. */
    public double sortCpuSeconds() {
        return sortCpuNanos.value() / 1e9;
    }

    /** Summed over tasks: seconds reading the sorted rows into primitive columns, canonical order included. */
    public double readSeconds() {
        return readNanos.value() / 1e9;
    }

    /** Summed over tasks: CPU seconds reading the sorted rows into primitive columns, canonical order included. */
    public double readCpuSeconds() {
        return readCpuNanos.value() / 1e9;
    }

    /** Summed over tasks: seconds putting each group's rows in canonical order (part of {@link #readSeconds}). */
    public double orderSeconds() {
        return orderNanos.value() / 1e9;
    }

    /** Summed over tasks: CPU seconds in the solver. */
    public double solveCpuSeconds() {
        return solveCpuNanos.value() / 1e9;
    }

    /** Summed over tasks: seconds in the solver. */
    public double solveSeconds() {
        return solveNanos.value() / 1e9;
    }
}
