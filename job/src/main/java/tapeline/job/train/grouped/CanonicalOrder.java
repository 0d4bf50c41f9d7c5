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
 * {@code Double.compare} does ({@link #orderedBits}); its high bits and the row's position in the low
 * bits (as many as the group needs) make one long per row, and {@link Arrays#sort(long[], int, int)}
 * (a primitive sort: no comparator, no object per row) orders them: by the value's prefix, then by
 * position. Rows are compared in full only inside a run of equal prefixes: a run equal in the whole
 * column is ordered the same way by the next column; any other run (values that differ below the
 * prefix's bits) by a stable insertion or merge sort on the full comparison. Random doubles almost
 * never share a 44-bit prefix, so a group of a few hundred rows costs one sort of longs and one
 * permutation of each column.
 */
final class CanonicalOrder {
    /** Runs at most this long are ordered by insertion sort. */
    private static final int SHORT = 16;

    private int[] index = new int[0];   // rows (absolute positions in the columns), in their order so far
    private int[] spare = new int[0];
    private long[] keys = new long[0];
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
     * columns {@code c, c + 1, ..}: by column {@code c}'s prefix keys, then each run of equal prefixes.
     */
    private void order(int lo, int hi, int c) {
        int n = hi - lo;
        int bits = 32 - Integer.numberOfLeadingZeros(n - 1);   // a position in [0, n) fits
        long low = (1L << bits) - 1;
        double[] col = columns[c];
        for (int i = 0; i < n; i++) keys[lo + i] = (orderedBits(col[index[lo + i]]) & ~low) | i;
        Arrays.sort(keys, lo, hi);
        for (int i = lo; i < hi; i++) spare[i] = index[lo + (int) (keys[i] & low)];
        System.arraycopy(spare, lo, index, lo, n);
        // Runs of equal prefixes (in position order, so still stable): ordered by the full comparison.
        int start = lo;
        for (int i = lo + 1; i <= hi; i++) {
            if (i < hi && ((keys[i] ^ keys[start]) & ~low) == 0) continue;
            if (i - start > 1) orderRun(start, i, c);
            start = i;
        }
    }

    /** A run of rows with the same prefix in column {@code c} (and equal before it), in stable order. */
    private void orderRun(int lo, int hi, int c) {
        double[] col = columns[c];
        long first = Double.doubleToLongBits(col[index[lo]]);
        boolean same = true;
        for (int i = lo + 1; i < hi && same; i++) same = Double.doubleToLongBits(col[index[i]]) == first;
        if (same) {
            // Equal in column c (Double.compare's equality: the same bits, or both NaN): the next column decides.
            if (c + 1 < columns.length) order(lo, hi, c + 1);
        } else if (hi - lo <= SHORT) {
            insertionSort(lo, hi, c);
        } else {
            mergeSort(lo, hi, c);
        }
    }

    private void insertionSort(int lo, int hi, int c) {
        for (int i = lo + 1; i < hi; i++) {
            int v = index[i];
            int j = i - 1;
            while (j >= lo && compare(index[j], v, c) > 0) {
                index[j + 1] = index[j];
                j--;
            }
            index[j + 1] = v;
        }
    }

    /** A stable merge sort of {@code index[lo, hi)} by columns {@code c, ..}, {@code spare} as scratch. */
    private void mergeSort(int lo, int hi, int c) {
        if (hi - lo <= SHORT) {
            insertionSort(lo, hi, c);
            return;
        }
        int mid = (lo + hi) >>> 1;
        mergeSort(lo, mid, c);
        mergeSort(mid, hi, c);
        if (compare(index[mid - 1], index[mid], c) <= 0) return;
        System.arraycopy(index, lo, spare, lo, hi - lo);
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
            index[k] = j >= hi || (i < mid && compare(spare[i], spare[j], c) <= 0) ? spare[i++] : spare[j++];
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
