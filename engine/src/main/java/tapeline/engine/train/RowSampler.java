package tapeline.engine.train;

/**
 * Mini-batch sampling that does not depend on partitioning: a row is in step {@code t}'s batch when
 * a hash of (its content, the seed, t) falls below the fraction. The same rows are drawn however
 * they are spread over partitions, in whatever order tasks run, and on a resumed run.
 *
 * <pre>{@code
 * long key = RowSampler.rowKey(row);                       // once, when the rows are cached
 * boolean in = RowSampler.includes(key, 42L, step, 0.1);    // about 10% of rows per step
 * }</pre>
 *
 * <p>The key is the row's values, not its position, because positions change with partitioning;
 * two identical rows are therefore drawn together, which does not bias the estimate of the mean.
 */
public final class RowSampler {
    private RowSampler() {}

    /**
     * A hash of a row's values, in column order (bit patterns, so -0.0 and 0.0 differ). It also
     * places the row when it is cached ({@link RowBuckets}).
     */
    public static long rowKey(double[] row) {
        return rowKey(row, 0, row.length);
    }

    /** {@link #rowKey(double[])} of {@code values[from..from+width)}. */
    public static long rowKey(double[] values, int from, int width) {
        long h = 0x9E3779B97F4A7C15L;
        for (int c = from; c < from + width; c++) h = mix(h ^ Double.doubleToLongBits(values[c]));
        return h;
    }

    /** Whether the row with this key is in step {@code step}'s batch; fraction 1 takes every row. */
    public static boolean includes(long rowKey, long seed, long step, double fraction) {
        if (fraction >= 1.0) return true;
        long h = mix(rowKey ^ mix(seed * 0xBF58476D1CE4E5B9L + step));
        double u = (h >>> 11) * 0x1.0p-53; // uniform in [0, 1)
        return u < fraction;
    }

    /** SplitMix64's finaliser: every input bit affects every output bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
