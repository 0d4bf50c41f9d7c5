package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The grouped train's loop, inside one task: the partition's rows arrive sorted by a 64-bit hash of
 * their key (Spark's exchange and a radix sort on one long did that), so each group's rows are
 * contiguous; they are read into primitive columns, each group's rows are put in canonical order
 * here, on those columns, the groups are cut into blocks of about {@code blockRows} rows, each block
 * solved at once ({@link BlockSolve}), and one output row is emitted per group. Memory is a block and
 * the group being read, whatever the number of groups.
 *
 * <pre>{@code
 * rdd.mapPartitions(new GroupedPartition(schema, keyTypes, hashColumn, cells, maxRows, 65536, solve, layout, counts))
 * }</pre>
 *
 * <p><b>Canonical order.</b> A group's rows are sorted by their values as the solver sees them (the
 * model's columns, in its order, each by {@link Double#compare}): rows tied in every column are the same
 * bits, so a group's order, and so its fit, depends on its rows alone. Sorting a group of a few hundred
 * rows of doubles here costs microseconds, where Spark's sort by (key, every used column) compared
 * whole rows field by field.
 *
 * <p><b>Hash ties.</b> The rows of a run of equal hashes are one group unless two keys share a hash;
 * every row's key is compared with its group's (by value: {@code equals} of Spark's internal values,
 * bytes for strings), and a run holding several keys is split by key before it is ordered.
 *
 * <p>A group is {@code INVALID} (and not solved) when every one of its rows is bad, or when it has
 * more than {@code maxRows} good rows: its rows stop being held once the limit is passed and are only
 * counted, so a giant group costs its count, never an out-of-memory. The other groups go on.
 */
public final class GroupedPartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;

    /**
     * Solves the groups of one block: columns in the model's order, group {@code g}'s rows
     * {@code [starts[g], starts[g+1])}, one fit per group.
     */
    public interface BlockSolve extends Serializable {
        GroupResult[] solve(double[][] columns, int[] starts);
    }

    /**
     * One group's fit, as the output row shows it.
     *
     * @param errors its standard errors ({@code stderr = true}; NaN with a reason where there are none), or null
     */
    public record GroupResult(double[] params, double loss, double gradNorm, int steps, int passes, String status,
                              String error, tapeline.engine.train.ParameterErrors errors) {
        /** Without standard errors. */
        public GroupResult(double[] params, double loss, double gradNorm, int steps, int passes, String status, String error) {
            this(params, loss, gradNorm, steps, passes, status, error, null);
        }
    }

    private final StructType schema;
    private final DataType[] keyTypes;
    private final byte[] keyKinds;
    private final int hashColumn;
    private final List<Cell> cells;
    private final int maxRows;
    private final int blockRows;
    private final BlockSolve solve;
    private final GroupedOutput layout;
    private final GroupedCounts counts;

    /**
     * @param schema     the sorted rows' schema: the key columns first ({@code keyTypes.length} of them), then the
     *                   used columns; {@code hashColumn} is the key's hash (a long), the sort's order
     * @param cells      where each model column is read from, in the model's column order
     */
    public GroupedPartition(StructType schema, DataType[] keyTypes, int hashColumn, List<Cell> cells, int maxRows,
                            int blockRows, BlockSolve solve, GroupedOutput layout, GroupedCounts counts) {
        this.schema = schema;
        this.keyTypes = keyTypes.clone();
        this.keyKinds = new byte[keyTypes.length];
        for (int i = 0; i < keyTypes.length; i++) keyKinds[i] = keyKind(keyTypes[i]);
        this.hashColumn = hashColumn;
        this.cells = List.copyOf(cells);
        this.maxRows = maxRows;
        this.blockRows = blockRows;
        this.solve = solve;
        this.layout = layout;
        this.counts = counts;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
        return new Groups(rows);
    }

    /** A group met in the stream: its key, where its rows lie in the block, what was wrong. */
    private static final class Group {
        final Object[] key;
        final int tag;  // its index in its run of equal hashes
        int from;
        int held;
        long total;   // good rows seen, held or not
        long bad;
        String firstBad;

        Group(Object[] key, int tag) {
            this.key = key;
            this.tag = tag;
        }
    }

    /** The output rows of a partition, computed a block at a time as they are asked for. */
    private final class Groups implements Iterator<InternalRow> {
        final Iterator<InternalRow> in;
        final CellReader reader = new CellReader(schema);
        final int width = cells.size();
        final Cell[] cellArray = cells.toArray(new Cell[0]);
        double[][] columns = new double[width][1024];
        int[] tags = new int[1024];            // the group (in its run) of each held row
        int size;                              // rows held in columns
        final List<Group> block = new ArrayList<>();   // whole groups, in canonical order, in columns [0, runFrom)
        final List<Group> run = new ArrayList<>();     // the groups of the current run of equal hashes
        long runHash;
        int runFrom;
        Group last;                            // the run's group of the previous row
        Iterator<InternalRow> out = java.util.Collections.emptyIterator();
        final double[] row = new double[width];
        final CanonicalOrder order = new CanonicalOrder();
        boolean waited;
        final long created = System.nanoTime();
        final long createdCpu = cpu();
        long solveNanos;
        long solveCpu;
        long orderNanos;

        Groups(Iterator<InternalRow> in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            while (!out.hasNext()) {
                if (!fill()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public InternalRow next() {
            if (!hasNext()) throw new NoSuchElementException();
            return out.next();
        }

        /** Reads rows until a block is full (or the input ends), solves it; false when nothing is left. */
        boolean fill() {
            if (run.isEmpty() && block.isEmpty() && !in.hasNext()) {
                return false;
            }
            long start = System.nanoTime();
            long startCpu = cpu();
            long waitedNanos = 0;
            long waitedCpu = 0;
            solveNanos = 0;
            solveCpu = 0;
            orderNanos = 0;
            try {
                while (in.hasNext()) {
                    InternalRow r = in.next();
                    if (!waited) { // the sort is blocking: the first row comes when the partition is fetched and sorted
                        waited = true;
                        long now = System.nanoTime();
                        waitedNanos = now - Math.max(start, created);
                        counts.sortNanos.add(now - created);
                        long nowCpu = cpu();
                        waitedCpu = nowCpu - Math.max(startCpu, createdCpu);
                        counts.sortCpuNanos.add(nowCpu - createdCpu);
                    }
                    long h = r.getLong(hashColumn);
                    if (!run.isEmpty() && h == runHash) {
                        add(r, groupOf(r));
                        continue;
                    }
                    // The previous run is whole: order its groups, solve the block if it is full, then start the next run.
                    closeRun();
                    boolean full = size >= blockRows;
                    if (full) solveBlock();
                    runHash = h;
                    runFrom = size;
                    add(r, groupOf(r));
                    if (full) return true;
                }
                closeRun();
                solveBlock();
                return true;
            } finally {
                counts.readNanos.add(System.nanoTime() - start - waitedNanos - solveNanos);
                counts.readCpuNanos.add(cpu() - startCpu - waitedCpu - solveCpu);
                counts.orderNanos.add(orderNanos);
            }
        }

        /** The run's group of row {@code r}'s key: the previous row's, another of the run (a hash tie), or a new one. */
        Group groupOf(InternalRow r) {
            if (last != null && sameKey(r, last.key)) return last;
            for (Group g : run) {
                if (sameKey(r, g.key)) return last = g;
            }
            Object[] key = new Object[keyTypes.length];
            for (int i = 0; i < key.length; i++) key[i] = r.isNullAt(i) ? null : copy(r.get(i, keyTypes[i]));
            Group g = new Group(key, run.size());
            run.add(g);
            return last = g;
        }

        void add(InternalRow r, Group g) {
            String problem = null;
            for (int c = 0; c < width && problem == null; c++) {
                try {
                    row[c] = reader.read(r, cellArray[c], false);
                } catch (CellReader.BadCell e) {
                    problem = e.getMessage();
                }
            }
            if (problem != null) {
                if (g.bad++ == 0) g.firstBad = problem;
                return;
            }
            g.total++;
            if (g.total > maxRows) {
                if (g.held > 0) { // over the limit: let go of its rows, count the rest
                    drop(g);
                    g.held = 0;
                }
                return;
            }
            if (size == columns[0].length) {
                for (int c = 0; c < width; c++) columns[c] = Arrays.copyOf(columns[c], size * 2);
                tags = Arrays.copyOf(tags, size * 2);
            }
            for (int c = 0; c < width; c++) columns[c][size] = row[c];
            tags[size] = g.tag;
            size++;
            g.held++;
        }

        /** Lets go of group {@code g}'s held rows (the run's rows of the other groups move up). */
        void drop(Group g) {
            int to = runFrom;
            for (int i = runFrom; i < size; i++) {
                if (tags[i] == g.tag) continue;
                if (to != i) {
                    for (int c = 0; c < width; c++) columns[c][to] = columns[c][i];
                    tags[to] = tags[i];
                }
                to++;
            }
            size = to;
        }

        /** The run is whole: its rows grouped by key (a hash tie only), each group put in canonical order, the groups added to the block. */
        void closeRun() {
            if (run.isEmpty()) return;
            long t0 = System.nanoTime();
            if (run.size() == 1) {
                run.get(0).from = runFrom;
            } else {
                splitByKey();
            }
            for (Group g : run) {
                order.sort(columns, g.from, g.held);
                block.add(g);
            }
            run.clear();
            last = null;
            runFrom = size;
            orderNanos += System.nanoTime() - t0;
        }

        /** A run of several keys (equal hashes): its rows moved so that each group's are contiguous, in run order. */
        void splitByKey() {
            int n = size - runFrom;
            int at = runFrom;
            for (Group g : run) {
                g.from = at;
                at += g.held;
            }
            double[][] moved = new double[width][n];
            int[] next = new int[run.size()];
            for (Group g : run) next[g.tag] = g.from - runFrom;
            for (int i = runFrom; i < size; i++) {
                int to = next[tags[i]]++;
                for (int c = 0; c < width; c++) moved[c][to] = columns[c][i];
            }
            for (int c = 0; c < width; c++) System.arraycopy(moved[c], 0, columns[c], runFrom, n);
        }

        /** Solves the block's valid groups, turns every group of the block into an output row, empties the block. */
        void solveBlock() {
            List<Group> solvable = new ArrayList<>();
            for (Group g : block) if (g.held > 0) solvable.add(g);
            GroupResult[] fits = new GroupResult[0];
            if (!solvable.isEmpty()) {
                // Groups lie in the block in the order they were closed, one after another: solvable ones are contiguous
                // runs of rows [from, from + held), and the held rows of every group together are rows [0, size).
                int[] starts = new int[solvable.size() + 1];
                for (int g = 0; g < solvable.size(); g++) starts[g] = solvable.get(g).from;
                starts[solvable.size()] = size;
                double[][] cols = new double[width][];
                for (int c = 0; c < width; c++) cols[c] = columns[c]; // the solver reads rows [0, size) only
                long t0 = System.nanoTime();
                long c0 = cpu();
                fits = solve.solve(cols, starts);
                long t1 = System.nanoTime();
                counts.solveNanos.add(t1 - t0);
                long c1 = cpu();
                counts.solveCpuNanos.add(c1 - c0);
                solveNanos += t1 - t0;
                solveCpu += c1 - c0;
            }
            List<InternalRow> rows = new ArrayList<>(block.size());
            int next = 0;
            for (Group g : block) {
                GroupResult fit;
                if (g.held > 0) {
                    fit = fits[next++];
                } else if (g.total > maxRows) {
                    fit = invalid("the group has " + g.total + " good rows, more than group.max.rows = " + maxRows
                            + " (key " + layout.describeKey(g.key) + ")");
                } else {
                    fit = invalid("every one of the group's " + g.bad + " rows is bad; the first: " + g.firstBad);
                }
                long used = g.held > 0 ? g.held : 0;
                counts.count(fit.status(), used, g.bad, fit.steps());
                counts.countStandardErrors(fit);
                rows.add(layout.row(g.key, fit, used, g.bad));
            }
            block.clear();
            size = 0;
            runFrom = 0;
            out = rows.iterator();
        }
    }

    /**
     * Sorts a group's rows, held column by column, into canonical order: lexicographically by the
     * columns, each by {@link Double#compare}. A merge sort of row indices (insertion sort for short
     * runs), then one permutation of each column; nothing is moved when the rows are in order already.
     */
    static final class CanonicalOrder {
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

        /** Sorts {@code a[lo, hi)}, with {@code b} as scratch. */
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

    /** The thread's CPU time (ns), or 0 where the JVM does not measure it. */
    private static long cpu() {
        java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
        return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : 0;
    }

    static GroupResult invalid(String error) {
        return new GroupResult(null, Double.NaN, Double.NaN, 0, 0, "INVALID", error);
    }

    /**
     * Does row {@code r}'s key equal {@code key}? As {@code equals} of Spark's internal values, without
     * boxing the row's value for the common key types (this runs for every row).
     */
    private boolean sameKey(InternalRow r, Object[] key) {
        for (int i = 0; i < key.length; i++) {
            Object k = key[i];
            if (r.isNullAt(i) || k == null) {
                if (r.isNullAt(i) != (k == null)) return false;
                continue;
            }
            boolean same = switch (keyKinds[i]) {
                case LONG -> r.getLong(i) == (Long) k;
                case INT -> r.getInt(i) == (Integer) k;
                case DOUBLE -> Double.doubleToLongBits(r.getDouble(i)) == Double.doubleToLongBits((Double) k);
                case STRING -> k.equals(r.getUTF8String(i));
                default -> k.equals(r.get(i, keyTypes[i]));
            };
            if (!same) return false;
        }
        return true;
    }

    private static final byte LONG = 0, INT = 1, DOUBLE = 2, STRING = 3, OTHER = 4;

    private static byte keyKind(DataType t) {
        if (t instanceof org.apache.spark.sql.types.LongType) return LONG;
        if (t instanceof org.apache.spark.sql.types.IntegerType) return INT;
        if (t instanceof org.apache.spark.sql.types.DoubleType) return DOUBLE;
        if (t instanceof org.apache.spark.sql.types.StringType) return STRING;
        return OTHER;
    }

    /** An internal value that outlives its row (the sorter's rows share buffers). */
    private static Object copy(Object v) {
        if (v instanceof UTF8String s) return s.clone();
        if (v instanceof ArrayData a) return a.copy();
        if (v instanceof InternalRow r) return r.copy();
        if (v instanceof MapData m) return m.copy();
        return v;
    }
}
