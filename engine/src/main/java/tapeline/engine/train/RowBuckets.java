package tapeline.engine.train;

/**
 * The canonical place of a row, which depends on its values alone: its key ({@link RowSampler#rowKey})
 * picks one of {@value #COUNT} buckets, and inside a bucket rows are ordered by (key, values). The
 * train job puts its rows there once, when it caches them; a gradient pass then sums each bucket in
 * that order, so the sums cannot depend on where rows came from (files, splits, partitions).
 *
 * <pre>{@code
 * long key = RowSampler.rowKey(row);                          // row: one row's values, column order
 * int bucket = RowBuckets.of(key);                            // 0 .. COUNT-1
 * int[] order = RowBuckets.canonicalOrder(values, keys, n, width);   // a bucket's rows, sorted
 * }</pre>
 *
 * <p>The order is total on distinct rows: two rows that compare equal have the same key and the
 * same bits in every column, so they are the same row and either order gives the same sums.
 */
public final class RowBuckets {
    /** Buckets: fixed, so that the placement depends on nothing but the rows. */
    public static final int COUNT = 1024;

    private RowBuckets() {}

    /** The bucket of a row with this key. */
    public static int of(long key) {
        return (int) (key >>> (64 - Integer.numberOfTrailingZeros(COUNT)));
    }

    /**
     * Indices {@code 0..n-1} of rows held row by row ({@code values[r * width + c]}) sorted by key
     * (signed), then by each column's bit pattern (signed, column by column).
     */
    public static int[] canonicalOrder(double[] values, long[] keys, int n, int width) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        int[] b = new int[n];
        // Bottom-up merge sort on primitive indices: stable, n log n, no boxing.
        for (int run = 1; run < n; run *= 2) {
            for (int lo = 0; lo < n; lo += 2 * run) {
                int mid = Math.min(lo + run, n);
                int hi = Math.min(lo + 2 * run, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) b[k++] = compare(values, keys, width, a[j], a[i]) < 0 ? a[j++] : a[i++];
                while (i < mid) b[k++] = a[i++];
                while (j < hi) b[k++] = a[j++];
            }
            int[] t = a;
            a = b;
            b = t;
        }
        return a;
    }

    /** Row x against row y in the canonical order. */
    public static int compare(double[] values, long[] keys, int width, int x, int y) {
        int c = Long.compare(keys[x], keys[y]);
        for (int k = 0; c == 0 && k < width; k++) {
            c = Long.compare(Double.doubleToRawLongBits(values[x * width + k]), Double.doubleToRawLongBits(values[y * width + k]));
        }
        return c;
    }
}
