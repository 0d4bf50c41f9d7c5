package tapeline.job.sweep;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.apache.spark.util.AccumulatorV2;
import tapeline.engine.solve.LaneStatus;

/**
 * A sweep's rows by status and its steps, counted by the tasks as they emit the rows, so that the
 * summary does not read the whole output back.
 *
 * <p>A Spark accumulator: each task counts into its own copy and the driver merges the copies of the
 * tasks that succeeded. The rows are counted in the stage that writes them (the sweep has no
 * shuffle), a result stage, and Spark applies a result task's update once per partition whatever the
 * retries and speculative copies ({@code DAGScheduler.handleTaskCompletion}: only if the partition is
 * not yet finished; a failed attempt's values are dropped). So after a successful write the counts are
 * those of the committed output; {@code SweepCountsTest} checks them against the output read back.
 *
 * <pre>{@code
 * SweepCounts counts = SweepCounts.register(spark.sparkContext());
 * SweepJob.sweep(prepared, counts).write().parquet(path);
 * long converged = counts.value().rows(LaneStatus.CONVERGED);
 * }</pre>
 */
public final class SweepCounts extends AccumulatorV2<SweepCounts.Totals, SweepCounts.Totals> {
    private static final long serialVersionUID = 1L;
    private static final LaneStatus[] STATUSES = LaneStatus.values();

    private final long[] rows = new long[STATUSES.length];
    private long steps;
    /** Rows solved (CONVERGED or MAX_STEPS) with {@code stderr = true} whose standard errors are null (a singular J^T J or H). */
    private long noStandardErrors;

    /** A new accumulator registered with {@code sc}, named for Spark's UI. */
    public static SweepCounts register(SparkContext sc) {
        SweepCounts counts = new SweepCounts();
        sc.register(counts, "tapeline rows by status");
        return counts;
    }

    /** Counts one emitted row (the task's hot path: no allocation). */
    void count(LaneStatus status, int rowSteps) {
        rows[status.ordinal()]++;
        steps += rowSteps;
    }

    /** Counts a solved row whose standard errors are null. */
    void countNoStandardErrors() {
        noStandardErrors++;
    }

    @Override
    public boolean isZero() {
        return steps == 0 && noStandardErrors == 0 && Arrays.stream(rows).allMatch(n -> n == 0);
    }

    @Override
    public SweepCounts copy() {
        SweepCounts c = new SweepCounts();
        System.arraycopy(rows, 0, c.rows, 0, rows.length);
        c.steps = steps;
        c.noStandardErrors = noStandardErrors;
        return c;
    }

    @Override
    public void reset() {
        Arrays.fill(rows, 0);
        steps = 0;
        noStandardErrors = 0;
    }

    @Override
    public void add(Totals t) {
        for (LaneStatus s : STATUSES) {
            rows[s.ordinal()] += t.rows(s);
        }
        steps += t.steps();
        noStandardErrors += t.noStandardErrors();
    }

    @Override
    public void merge(AccumulatorV2<Totals, Totals> other) {
        if (!(other instanceof SweepCounts o)) {
            throw new UnsupportedOperationException("cannot merge " + other.getClass().getName() + " into SweepCounts");
        }
        for (int i = 0; i < rows.length; i++) {
            rows[i] += o.rows[i];
        }
        steps += o.steps;
        noStandardErrors += o.noStandardErrors;
    }

    @Override
    public Totals value() {
        Map<String, Long> byStatus = new TreeMap<>();
        for (LaneStatus s : STATUSES) {
            byStatus.put(s.name(), rows[s.ordinal()]);
        }
        return new Totals(byStatus, steps, noStandardErrors);
    }

    /**
     * Rows per status name (every status, zeros included) and the steps of all rows. Serializable:
     * Spark ships an accumulator's value in task events (a failed attempt's, for instance).
     *
     * @param byStatus rows per {@link LaneStatus} name
     * @param steps    optimizer steps over all rows
     * @param noStandardErrors rows solved (CONVERGED or MAX_STEPS) whose standard errors are null ({@code stderr = true})
     */
    public record Totals(Map<String, Long> byStatus, long steps, long noStandardErrors) implements Serializable {
        /** Without standard errors. */
        public Totals(Map<String, Long> byStatus, long steps) {
            this(byStatus, steps, 0);
        }

        public Totals {
            byStatus = Map.copyOf(byStatus);
            if (steps < 0) {
                throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            }
        }

        public long rows(LaneStatus status) {
            return byStatus.getOrDefault(status.name(), 0L);
        }
    }
}
