package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link CanonicalOrder} (a counting sort of 64-bit keys, column by column where values tie)
 * against two references on the same rows: the merge sort it replaced (copied below as it was in
 * {@code GroupedPartition}) and a plain stable sort of boxed row indices by the lexicographic
 * {@link Double#compare}. Compared bit for bit ({@link Double#doubleToRawLongBits}: NaNs with
 * different payloads tell a stable order from another), on rows built to hit every path: ties,
 * NaNs, -0.0 and 0.0, infinities, subnormals, values that share their high bits but not their last
 * ones, a constant first column, sorted input, groups of 0 to 5,000 rows at an offset.
 */
class CanonicalOrderTest {

    @Test
    void orderedBitsOrderAsDoubleCompare() {
        double[] special = {Double.NEGATIVE_INFINITY, -Double.MAX_VALUE, -1.5, -1.0, -Double.MIN_NORMAL,
                -Double.MIN_VALUE, -0.0, 0.0, Double.MIN_VALUE, Double.MIN_NORMAL, 1.0, Math.nextUp(1.0), 1.5,
                Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
                Double.longBitsToDouble(0xfff8000000000123L)};
        for (double a : special) {
            for (double b : special) {
                assertThat(Long.signum(Long.compare(CanonicalOrder.orderedBits(a), CanonicalOrder.orderedBits(b))))
                        .as("%s vs %s", a, b).isEqualTo(Integer.signum(Double.compare(a, b)));
            }
        }
    }

    @Test
    void sameOrderAsTheMergeSortAndAStableBoxedSortOnRandomRows() {
        Random random = new Random(21);
        CanonicalOrder order = new CanonicalOrder();  // one instance reused, as a task reuses it
        int cases = 0;
        for (int trial = 0; trial < 3000; trial++) {
            int width = 1 + random.nextInt(6);
            int n = trial % 100 == 0 ? 1000 + random.nextInt(4000) : random.nextInt(260);
            int from = random.nextInt(5);
            int kind = random.nextInt(7);
            double[][] columns = rows(random, kind, width, from, n, 3);
            check(order, columns, from, n, "trial " + trial + " kind " + kind);
            cases++;
        }
        assertThat(cases).isEqualTo(3000);
    }

    @Test
    void sortedAndReversedInputAndAllEqualRows() {
        CanonicalOrder order = new CanonicalOrder();
        int n = 300;
        double[][] up = new double[3][n];
        double[][] down = new double[3][n];
        double[][] same = new double[3][n];
        for (int i = 0; i < n; i++) {
            up[0][i] = i / 7;
            up[1][i] = i % 7;
            up[2][i] = -i;
            for (int c = 0; c < 3; c++) down[c][n - 1 - i] = up[c][i];
            same[0][i] = 1.0;
            same[1][i] = -0.0;
            // NaNs whose payloads differ: all equal to Double.compare, so their input order must stay
            same[2][i] = Double.longBitsToDouble(0x7ff8000000000000L + i);
        }
        check(order, up, 0, n, "sorted");
        check(order, down, 0, n, "reversed");
        check(order, same, 0, n, "all equal");
    }

    /** Rows of one kind of value, with {@code from} rows before them and {@code after} rows after (left alone). */
    private static double[][] rows(Random random, int kind, int width, int from, int n, int after) {
        double[][] columns = new double[width][from + n + after];
        for (int c = 0; c < width; c++) {
            for (int i = 0; i < columns[c].length; i++) columns[c][i] = value(random, kind, c);
        }
        // repeated rows: exact ties in every column
        for (int t = 0; n > 1 && t < n / 5; t++) {
            int a = from + random.nextInt(n);
            int b = from + random.nextInt(n);
            for (int c = 0; c < width; c++) columns[c][b] = columns[c][a];
        }
        return columns;
    }

    private static double value(Random random, int kind, int c) {
        switch (kind) {
            case 0: return random.nextGaussian();                             // the bench's case
            case 1: return special(random);                                   // NaNs, -0.0, infinities, subnormals
            case 2: return c == 0 ? 1.0 : random.nextGaussian();              // a constant first column
            case 3: { // few values in the first two columns, -0.0 and 0.0 among them: long runs of equal values
                if (c >= 2) return random.nextGaussian();
                int r = random.nextInt(4);
                return r == 0 ? -0.0 : r == 1 ? 0.0 : r == 2 ? -1.0 : 1.0;
            }
            case 4: { // values sharing their high bits, differing in the last few: equal prefixes, different values
                long base = Double.doubleToLongBits(c == 0 ? 3.25 : 0.5);
                return Double.longBitsToDouble(base + random.nextInt(1 << 12) * (random.nextBoolean() ? 1 : 1L << 10));
            }
            case 5: { // one prefix run longer than an insertion sort's, both signs
                double v = Double.longBitsToDouble(Double.doubleToLongBits(2.0) + random.nextInt(64));
                return random.nextInt(10) == 0 ? -v : v;
            }
            default: return random.nextInt(4) == 0 ? special(random) : random.nextInt(5) * 0.5;
        }
    }

    private static double special(Random random) {
        switch (random.nextInt(12)) {
            case 0: return -0.0;
            case 1: return 0.0;
            case 2: return Double.NaN;
            case 3: return Double.longBitsToDouble(0x7ff8000000000000L | random.nextInt(1000)); // other NaN payloads
            case 4: return Double.longBitsToDouble(0xfff0000000000001L + random.nextInt(1000)); // negative NaNs
            case 5: return Double.POSITIVE_INFINITY;
            case 6: return Double.NEGATIVE_INFINITY;
            case 7: return Double.MIN_VALUE * random.nextInt(3);
            case 8: return -Double.MIN_VALUE * random.nextInt(3);
            case 9: return Double.MAX_VALUE;
            case 10: return -Double.MAX_VALUE;
            default: return random.nextGaussian();
        }
    }

    private static void check(CanonicalOrder order, double[][] columns, int from, int n, String what) {
        double[][] expected = copy(columns);
        new MergeSortReference().sort(expected, from, n);
        double[][] boxed = copy(columns);
        stableBoxedSort(boxed, from, n);
        double[][] actual = copy(columns);
        order.sort(actual, from, n);
        for (int c = 0; c < columns.length; c++) {
            int refs = Arrays.mismatch(rawBits(expected[c]), rawBits(boxed[c]));
            assertThat(refs).as("%s: the two references differ in column %d at row %d", what, c, refs).isEqualTo(-1);
            int at = Arrays.mismatch(rawBits(actual[c]), rawBits(expected[c]));
            assertThat(at).as("%s: column %d differs at row %d: %s, expected %s", what, c, at,
                    at < 0 ? "" : Double.toString(actual[c][at]), at < 0 ? "" : Double.toString(expected[c][at])).isEqualTo(-1);
        }
    }

    /** The obvious sort: boxed row indices, a stable List.sort, the lexicographic Double.compare. */
    private static void stableBoxedSort(double[][] columns, int from, int n) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(from + i);
        rows.sort((x, y) -> {
            for (double[] col : columns) {
                int d = Double.compare(col[x], col[y]);
                if (d != 0) return d;
            }
            return 0;
        });
        for (double[] col : columns) {
            double[] moved = new double[n];
            for (int i = 0; i < n; i++) moved[i] = col[rows.get(i)];
            System.arraycopy(moved, 0, col, from, n);
        }
    }

    private static double[][] copy(double[][] columns) {
        double[][] out = new double[columns.length][];
        for (int c = 0; c < columns.length; c++) out[c] = columns[c].clone();
        return out;
    }

    private static long[] rawBits(double[] column) {
        return Arrays.stream(column).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    /** GroupedPartition's canonical order before CanonicalOrder (main at ff0fe86), unchanged but for its name. */
    static final class MergeSortReference {
        private int[] index = new int[0];
        private int[] spare = new int[0];
        private double[] moved = new double[0];
        private double[][] columns;

        void sort(double[][] columns, int from, int n) {
            if (n < 2) return;
            this.columns = columns;
            if (index.length < n) {
                index = new int[Math.max(n, 2 * index.length)];
                spare = new int[index.length];
                moved = new double[index.length];
            }
            boolean sorted = true;
            for (int i = 0; i < n; i++) {
                index[i] = from + i;
                if (sorted && i > 0 && compare(from + i - 1, from + i) > 0) sorted = false;
            }
            if (sorted) return;
            mergeSort(index, spare, 0, n);
            for (double[] col : columns) {
                for (int i = 0; i < n; i++) moved[i] = col[index[i]];
                System.arraycopy(moved, 0, col, from, n);
            }
            this.columns = null;
        }

        private void mergeSort(int[] a, int[] b, int lo, int hi) {
            if (hi - lo <= 16) {
                for (int i = lo + 1; i < hi; i++) {
                    int v = a[i];
                    int j = i - 1;
                    while (j >= lo && compare(a[j], v) > 0) {
                        a[j + 1] = a[j];
                        j--;
                    }
                    a[j + 1] = v;
                }
                return;
            }
            int mid = (lo + hi) >>> 1;
            mergeSort(a, b, lo, mid);
            mergeSort(a, b, mid, hi);
            if (compare(a[mid - 1], a[mid]) <= 0) return;
            System.arraycopy(a, lo, b, lo, hi - lo);
            int i = lo;
            int j = mid;
            for (int k = lo; k < hi; k++) {
                a[k] = j >= hi || (i < mid && compare(b[i], b[j]) <= 0) ? b[i++] : b[j++];
            }
        }

        private int compare(int x, int y) {
            for (double[] col : columns) {
                int c = Double.compare(col[x], col[y]);
                if (c != 0) return c;
            }
            return 0;
        }
    }
}
