package tapeline.job.sweep;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import tapeline.job.JobResult;
import tapeline.job.io.PreviewTable;

/**
 * What a sweep did: rows by status (counted by the tasks that wrote them), total steps, wall time, and the first
 * rows. {@link #render()} is what the user sees at the end of a run:
 * <pre>
 * tapeline sweep: 8 rows in 3.2 s, 6,000 steps (1,875 config-steps/s)
 *   MAX_STEPS 6   DIVERGED 1   INVALID 1
 * output: out/seed-sweep
 * </pre>
 *
 * @param outputPath where the output was written
 * @param byStatus   rows per status name
 * @param steps      optimizer steps over all rows
 * @param seconds    wall time of the sweep and its write
 * @param schema     the written schema (for the preview's header)
 * @param preview    the first {@code show.rows} rows of the output
 * @param noStandardErrors with {@code stderr = true}, the rows solved (CONVERGED or MAX_STEPS) whose standard
 *                   errors are null (J^T J or H singular, or no more residuals than variables); -1 without
 */
public record SweepSummary(String outputPath, Map<String, Long> byStatus, long steps, double seconds,
                           StructType schema, List<Row> preview, long noStandardErrors) implements JobResult {

    /** Without standard errors. */
    public SweepSummary(String outputPath, Map<String, Long> byStatus, long steps, double seconds, StructType schema,
                        List<Row> preview) {
        this(outputPath, byStatus, steps, seconds, schema, preview, -1);
    }

    /** The run record's {@code sweep} entry, with {@code stderr = true}: the rows solved without standard errors. */
    @Override
    public Map<String, Object> details() {
        if (noStandardErrors < 0) return Map.of();
        return Map.of("sweep", Map.of("rows_without_standard_errors", noStandardErrors));
    }

    public SweepSummary {
        byStatus = Collections.unmodifiableMap(new TreeMap<>(byStatus));
        preview = List.copyOf(preview);
    }

    @Override
    public long rowsRead() {
        return rows();
    }

    @Override
    public Map<String, Long> rowsByStatus() {
        return byStatus;
    }

    @Override
    public long invalidRows() {
        return count("INVALID");
    }

    @Override
    public long stepsTaken() {
        return steps;
    }

    public long rows() {
        return byStatus.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Sum of steps over all rows, per second of wall time. */
    public double stepsPerSecond() {
        return seconds > 0 ? steps / seconds : 0;
    }

    public long count(String status) {
        return byStatus.getOrDefault(status, 0L);
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "tapeline sweep: %,d rows in %.1f s, %,d steps (%,.0f config-steps/s)%n",
                rows(), seconds, steps, stepsPerSecond()));
        sb.append(" ");
        for (String s : List.of("CONVERGED", "MAX_STEPS", "DIVERGED", "INVALID")) {
            sb.append(String.format(Locale.ROOT, "  %s %,d", s, count(s)));
        }
        if (noStandardErrors >= 0) {
            sb.append(String.format(Locale.ROOT, "%n  %,d solved row%s without standard errors (J^T J or H singular, or n <= p)",
                    noStandardErrors, noStandardErrors == 1 ? "" : "s"));
        }
        sb.append(String.format("%noutput: %s%n", outputPath));
        if (!preview.isEmpty()) {
            sb.append(preview.size() < rows() ? "first " + preview.size() + " of " + rows() + " rows:\n" : "rows:\n");
            sb.append(PreviewTable.render(schema, preview));
        }
        return sb.toString();
    }
}
