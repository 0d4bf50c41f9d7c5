package tapeline.job.train;

import java.io.Serializable;
import java.util.List;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.RowSampler;

/**
 * The rows of one bucket ({@link tapeline.engine.train.RowBuckets}) as primitive columns, in
 * canonical order: what the train job caches ({@link BucketedRows#load}), so that a gradient pass
 * streams over {@code double[]}s instead of decoding Rows. Each block also carries what the load
 * found wrong (bad rows, counted, the first few described), for the report before training.
 *
 * <pre>{@code
 * block.addTo(aggregator, params, step, seed, 1.0);                         // in a gradient pass
 * }</pre>
 *
 * @param columns  one array per bound cell (model column order), {@code rows} values each
 * @param keys     per row, {@link RowSampler#rowKey} (null when every step uses every row)
 * @param rows     good rows held
 * @param badRows  bad rows left out by the load, reported with this block (any block: they are counted once)
 * @param firstBad descriptions of the first few of them
 */
public record ColumnBlock(double[][] columns, long[] keys, int rows, long badRows, List<String> firstBad)
        implements Serializable {

    /** Bad rows described per partition (and in the report). */
    static final int SHOWN_BAD = 5;

    public ColumnBlock {
        firstBad = List.copyOf(firstBad);
    }

    /**
     * Adds this block's rows, or those of step {@code step}'s mini-batch, to {@code agg}, as one
     * sequence in canonical order.
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

    /** Adds this block's rows (all of them: lm and the standard errors take the full batch) to {@code agg}, in canonical order. */
    public tapeline.engine.train.JacobianAggregator addTo(tapeline.engine.train.JacobianAggregator agg, double[] params) {
        return rows == 0 ? agg : agg.add(params, columns, 0, rows);
    }

    /** The small part of a block the driver collects before training: counts and the first bad rows. */
    public record Stats(long rows, long badRows, List<String> firstBad) implements Serializable {
        public static Stats of(ColumnBlock b) {
            return new Stats(b.rows(), b.badRows(), b.firstBad());
        }
    }
}
