package tapeline.job.train.grouped;

import java.util.Arrays;

/**
 * Puts a group's rows, held column by column, into canonical order: lexicographically by the columns,
 * each by {@link Double#compare}, rows that compare equal in every column kept in the order they came
 * (a stable sort). So the order is exactly a stable merge sort's by that comparison, permutation and all.
 *
 * <pre>{@code
 * CanonicalOrder order = new CanonicalOrder();
 * order.sort(columns, from, n);   // rows [from, from + n) of every column, permuted in place
 * }</pre>
 *
 * <p>How, cheaply: each row's value in the first column becomes a long that orders as
 * {@code Double.compare} does ({@link #orderedBits}), and the rows are sorted by these keys with
 * primitive arrays only (no comparator, no object per row): a stable counting sort into about one
 * bucket a row (by value between the group's least and largest, or by the keys' highest differing
 * bits where values are not finite), each bucket of more than a few rows again the same way, and
 * insertion sort on the keys for a few rows. Rows
 * whose keys are equal (equal values: the same bits, or both NaN) are ordered the same way by the next
 * column, and so on; rows equal in every column keep the order they came in. Rows are never compared
 * whole, except once to see whether the group is in order already (then nothing moves). A group of a
 * few hundred random rows costs one counting pass, a few tiny insertion sorts and one permutation of
 * each column.
 */
final class CanonicalOrder {
    /** Runs at most this long are ordered by insertion sort. */
    private static final int SHORT = 16;
    /** At most 2^11 buckets a counting pass (about one a row: 256 for 200 rows). */
    private static final int BUCKET_BITS = 11;

    private int[] index = new int[0];   // rows (absolute positions in the columns), in their order so far
    private int[] spare = new int[0];
    private long[] keys = new long[0];   // orderedBits of index[i]'s value in the column being sorted on
    private long[] spareKeys = new long[0];
    private int[] bucketOf = new int[0];
    private int[] spareBuckets = new int[0];
    private final int[] counts = new int[(1 << BUCKET_BITS) + 1];
    private double[] moved = new double[0];
    private double[][] columns;

    /** Sorts rows {@code [from, from + n)} of {@code columns} into canonical order, in place. */
    void sort(double[][] columns, int from, int n) {
        if (n < 2) return;
        this.columns = columns;
        if (index.length < n) {
            int size = Math.max(n, 2 * index.length);
            index = new int[size];
            spare = new int[size];
            keys = new long[size];
            spareKeys = new long[size];
            bucketOf = new int[size];
            spareBuckets = new int[size];
            moved = new double[size];
        }
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            index[i] = from + i;
            if (sorted && i > 0 && compare(from + i - 1, from + i, 0) > 0) sorted = false;
        }
        if (!sorted) {
            order(0, n, 0);
            for (double[] col : columns) {
                for (int i = 0; i < n; i++) moved[i] = col[index[i]];
                System.arraycopy(moved, 0, col, from, n);
            }
        }
        this.columns = null;
    }

    /**
     * Orders {@code index[lo, hi)}, rows equal in the columns before {@code c} and in stable order, by
     * columns {@code c, c + 1, ..}: by column {@code c}'s keys, then each run of equal keys by the next column.
     */
    private void order(int lo, int hi, int c) {
        double[] col = columns[c];
        for (int i = lo; i < hi; i++) keys[i] = orderedBits(col[index[i]]);
        byKey(lo, hi, c);
    }

    /**
     * A stable sort of {@code index[lo, hi)} by {@code keys[lo, hi)}: a counting sort on the highest bits
     * in which the keys differ (a bucket per row or so), each bucket again the same way, insertion sort
     * for a few rows; then rows with equal keys by the next column.
     */
    private void byKey(int lo, int hi, int c) {
        int n = hi - lo;
        if (n <= SHORT) {
            for (int i = lo + 1; i < hi; i++) {
                long k = keys[i];
                int v = index[i];
                int j = i - 1;
                while (j >= lo && keys[j] > k) {
                    keys[j + 1] = keys[j];
                    index[j + 1] = index[j];
                    j--;
                }
                keys[j + 1] = k;
                index[j + 1] = v;
            }
            nextColumn(lo, hi, c);
            return;
        }
        long min = keys[lo];
        long max = min;
        for (int i = lo + 1; i < hi; i++) {
            min = Math.min(min, keys[i]);
            max = Math.max(max, keys[i]);
        }
        if (min == max) { // equal in column c (the same bits, or both NaN): the next column decides
            if (c + 1 < columns.length) order(lo, hi, c + 1);
            return;
        }
        int width = Math.min(BUCKET_BITS, 32 - Integer.numberOfLeadingZeros(n));
        int buckets = 1 << width;
        int[] count = counts;
        Arrays.fill(count, 0, buckets + 1, 0);
        // Buckets by value where every value is finite (even for data spread over many binades, as a
        // Gaussian's around 0 is); else, or where that leaves one bucket, by the keys' bits. Both are
        // monotone in the key, and the bits always split the range, so the recursion ends.
        double low = value(min);
        double scale = buckets / (value(max) - low);
        boolean linear = min > NEGATIVE_INFINITY && max < POSITIVE_INFINITY && scale > 0 && scale < Double.POSITIVE_INFINITY;
        int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(max - min) - width);
        for (int i = lo; i < hi; i++) {
            long k = keys[i];
            int b = linear ? Math.min(buckets - 1, (int) ((value(k) - low) * scale)) : (int) ((k - min) >>> shift);
            bucketOf[i] = b;
            count[b + 1]++;
        }
        if (linear && count[bucketOf[lo] + 1] == n) { // one bucket by value (values too close for doubles' steps)
            Arrays.fill(count, 0, buckets + 1, 0);
            for (int i = lo; i < hi; i++) {
                int b = (int) ((keys[i] - min) >>> shift);
                bucketOf[i] = b;
                count[b + 1]++;
            }
        }
        for (int b = 0; b < buckets; b++) count[b + 1] += count[b];
        for (int i = lo; i < hi; i++) {
            int b = bucketOf[i];
            int to = lo + count[b]++;
            spare[to] = index[i];
            spareKeys[to] = keys[i];
            spareBuckets[to] = b;
        }
        System.arraycopy(spare, lo, index, lo, n);
        System.arraycopy(spareKeys, lo, keys, lo, n);
        // Each bucket in turn (`counts`, `bucketOf` and `spareBuckets` are reused inside a bucket, never beyond it).
        int start = lo;
        while (start < hi) {
            int b = spareBuckets[start];
            int end = start + 1;
            while (end < hi && spareBuckets[end] == b) end++;
            if (end - start > 1) byKey(start, end, c);
            start = end;
        }
    }

    private static final long NEGATIVE_INFINITY = orderedBits(Double.NEGATIVE_INFINITY);
    private static final long POSITIVE_INFINITY = orderedBits(Double.POSITIVE_INFINITY);

    /** The double whose {@link #orderedBits} {@code key} is (the map is its own inverse). */
    private static double value(long key) {
        return Double.longBitsToDouble(key ^ ((key >> 63) & Long.MAX_VALUE));
    }

    /** {@code index[lo, hi)} sorted by column {@code c}'s keys: runs of equal keys ordered by the next column. */
    private void nextColumn(int lo, int hi, int c) {
        if (c + 1 >= columns.length) return;
        int start = lo;
        for (int i = lo + 1; i <= hi; i++) {
            if (i < hi && keys[i] == keys[start]) continue;
            if (i - start > 1) order(start, i, c + 1);
            start = i;
        }
    }

    /** Rows {@code x} and {@code y} compared by columns {@code c, c + 1, ..}, each by {@link Double#compare}. */
    private int compare(int x, int y, int c) {
        for (int k = c; k < columns.length; k++) {
            int d = Double.compare(columns[k][x], columns[k][y]);
            if (d != 0) return d;
        }
        return 0;
    }

    /**
     * A long whose signed order is {@link Double#compare}'s: {@code -Infinity < .. < -0.0 < 0.0 < .. <
     * Infinity < NaN}, every NaN one value (as {@link Double#doubleToLongBits} makes it). A negative
     * double's magnitude bits are flipped, so a larger magnitude is a smaller long.
     */
    static long orderedBits(double v) {
        long b = Double.doubleToLongBits(v);
        return b ^ ((b >> 63) & Long.MAX_VALUE);
    }
}
