package tapeline.job.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.RowSampler;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * Rows of one partition as primitive columns: what the train job caches, so that a gradient pass
 * streams over {@code double[]}s instead of decoding Rows. Each block also carries what its
 * conversion found wrong (bad rows, counted, the first few described), for the report before training.
 *
 * <pre>{@code
 * Iterator<ColumnBlock> blocks = ColumnBlock.fromRows(rows, schema, cells, true);   // Spark's internal rows, in mapPartitions
 * block.addTo(aggregator, params, step, seed, 1.0);                         // in a gradient pass
 * }</pre>
 *
 * @param columns  one array per bound cell (model column order), {@code rows} values each
 * @param keys     per row, {@link RowSampler#rowKey} (null when every step uses every row)
 * @param rows     good rows held
 * @param badRows  rows of the partition that were left out
 * @param firstBad descriptions of the first few of them
 */
public record ColumnBlock(double[][] columns, long[] keys, int rows, long badRows, List<String> firstBad)
        implements Serializable {

    /** Rows per block at most: bounds the arrays (and the copy when a block is trimmed). */
    static final int MAX_ROWS = 1 << 16;
    /** Bad rows described per partition (and in the report). */
    static final int SHOWN_BAD = 5;

    public ColumnBlock {
        firstBad = List.copyOf(firstBad);
    }

    /**
     * Adds this block's rows, or those of step {@code step}'s mini-batch, to {@code agg}.
     *
     * @return agg
     */
    public GradientAggregator addTo(GradientAggregator agg, double[] params, int step, long seed, double fraction) {
        if (rows == 0) {
            return agg;
        }
        if (fraction >= 1.0) {
            return agg.add(params, columns, 0, rows);
        }
        int[] picked = new int[rows];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            if (RowSampler.includes(keys[r], seed, step, fraction)) {
                picked[n++] = r;
            }
        }
        return agg.add(params, columns, picked, n);
    }

    /**
     * Converts a partition's rows (Spark's internal rows of {@code schema}): each bound cell read with
     * {@link CellReader} (missing, non-numeric and non-finite cells make the row bad; the first few are
     * shown as Spark prints a {@code Row}). Always returns at least one block, so every partition reports.
     *
     * @param withKeys compute row keys for mini-batch sampling
     */
    public static Iterator<ColumnBlock> fromRows(Iterator<InternalRow> it, StructType schema, List<Cell> cells,
                                                 boolean withKeys) {
        CellReader reader = new CellReader(schema);
        List<ColumnBlock> out = new ArrayList<>();
        int k = cells.size();
        int capacity = 1024;
        double[][] cols = new double[k][capacity];
        double[] row = new double[k];
        int n = 0;
        long bad = 0;
        List<String> firstBad = new ArrayList<>();
        while (it.hasNext()) {
            InternalRow r = it.next();
            String problem = null;
            for (int c = 0; c < k && problem == null; c++) {
                try {
                    row[c] = reader.read(r, cells.get(c), false);
                } catch (CellReader.BadCell e) {
                    problem = e.getMessage();
                }
            }
            if (problem != null) {
                bad++;
                if (firstBad.size() < SHOWN_BAD) {
                    Row shown = (Row) CatalystTypeConverters.createToScalaConverter(schema).apply(r);
                    firstBad.add("row " + abbreviate(shown.mkString("[", ", ", "]")) + ": " + problem);
                }
                continue;
            }
            if (n == capacity) {
                if (capacity == MAX_ROWS) {
                    out.add(block(cols, n, withKeys, bad, firstBad));
                    bad = 0;
                    firstBad = new ArrayList<>();
                    cols = new double[k][capacity];
                    n = 0;
                } else {
                    capacity = Math.min(MAX_ROWS, capacity * 2);
                    for (int c = 0; c < k; c++) cols[c] = Arrays.copyOf(cols[c], capacity);
                }
            }
            for (int c = 0; c < k; c++) cols[c][n] = row[c];
            n++;
        }
        out.add(block(cols, n, withKeys, bad, firstBad));
        return out.iterator();
    }

    private static ColumnBlock block(double[][] cols, int n, boolean withKeys, long bad, List<String> firstBad) {
        double[][] trimmed = new double[cols.length][];
        for (int c = 0; c < cols.length; c++) {
            trimmed[c] = cols[c].length == n ? cols[c] : Arrays.copyOf(cols[c], n);
        }
        long[] keys = null;
        if (withKeys) {
            keys = new long[n];
            for (int r = 0; r < n; r++) keys[r] = RowSampler.rowKey(trimmed, r);
        }
        return new ColumnBlock(trimmed, keys, n, bad, firstBad);
    }

    /** The small part of a block the driver collects before training: counts and the first bad rows. */
    public record Stats(long rows, long badRows, List<String> firstBad) implements Serializable {
        public static Stats of(ColumnBlock b) {
            return new Stats(b.rows(), b.badRows(), b.firstBad());
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
