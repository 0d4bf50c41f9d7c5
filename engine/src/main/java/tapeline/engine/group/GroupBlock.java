package tapeline.engine.group;

import java.util.Objects;

/**
 * Rows of whole groups, held column by column: {@code columns[c][row]} in
 * {@link tapeline.engine.train.LossModel#columnCount()} order; group {@code g}'s rows are
 * {@code [starts[g], starts[g+1])}, already in the group's canonical order (the job sorts them, so a
 * group's fit does not depend on the input's order or partitioning).
 *
 * <pre>{@code
 * // two groups: rows 0..2 and 3..4, columns y and x
 * GroupBlock b = new GroupBlock(new double[][] {{1, 2, 3, 4, 5}, {0, 1, 2, 0, 1}}, new int[] {0, 3, 5});
 * b.groups();   // 2
 * b.rows();     // 5
 * }</pre>
 *
 * <p>The arrays are not copied (a block is the job's buffer, refilled block after block); a solver
 * only reads them.
 *
 * @param columns one array per data column, each at least {@code starts[groups()]} long
 * @param starts  {@code groups() + 1} non-decreasing row offsets, from {@code starts[0] >= 0}
 */
public record GroupBlock(double[][] columns, int[] starts) {

    public GroupBlock {
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(starts, "starts");
        if (starts.length < 1) throw new IllegalArgumentException("starts needs at least one offset (no groups: {0})");
        if (starts[0] < 0) throw new IllegalArgumentException("starts[0] must be >= 0, got " + starts[0]);
        for (int g = 1; g < starts.length; g++) {
            if (starts[g] < starts[g - 1]) {
                throw new IllegalArgumentException("starts must not decrease: starts[" + (g - 1) + "] = " + starts[g - 1]
                        + " > starts[" + g + "] = " + starts[g]);
            }
        }
        int end = starts[starts.length - 1];
        for (int c = 0; c < columns.length; c++) {
            Objects.requireNonNull(columns[c], "columns[" + c + "]");
            if (columns[c].length < end) {
                throw new IllegalArgumentException("column " + c + " has " + columns[c].length + " rows, the groups need " + end);
            }
        }
    }

    /** Number of groups. */
    public int groups() {
        return starts.length - 1;
    }

    /** Rows of all groups. */
    public int rows() {
        return starts[starts.length - 1] - starts[0];
    }

    /** Group g's first row. */
    public int from(int g) {
        return starts[g];
    }

    /** One past group g's last row. */
    public int to(int g) {
        return starts[g + 1];
    }
}
