package tapeline.job;

import java.util.Map;

/**
 * What every run reports, for the run record ({@code _tapeline.json}) and the data-quality gate.
 * Counts are {@code -1} where a job does not know them.
 */
public interface JobResult {

    /** Input rows read. */
    long rowsRead();

    /** Rows by status ({@code CONVERGED}, {@code INVALID}, ...; a train's {@code used} and {@code skipped}). */
    Map<String, Long> rowsByStatus();

    /** Rows the data-quality gate counts: {@code INVALID} rows (sweep, score), bad rows left out (train). */
    long invalidRows();

    /** Optimizer steps: summed over the rows for a sweep, the driver's steps for a train, 0 for a score. */
    long stepsTaken();

    /** Job-specific entries of the record ({@code train}: final loss, gradient norm, why it stopped); may be empty. */
    default Map<String, Object> details() {
        return Map.of();
    }
}
