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
 * The grouped train's loop, inside one task: the partition's rows arrive sorted by (key, values)
 * (Spark's exchange and sort did that); they are read into primitive columns, cut into blocks of
 * whole groups of about {@code blockRows} rows, each block solved at once ({@link BlockSolve}), and
 * one output row is emitted per group. Memory is a block and the group being read, whatever the
 * number of groups.
 *
 * <pre>{@code
 * rdd.mapPartitions(new GroupedPartition(schema, keyTypes, cells, maxRows, 65536, solve, layout, counts))
 * }</pre>
 *
 * <p>A group is {@code INVALID} (and not solved) when every one of its rows is bad, or when it has
 * more than {@code maxRows} good rows: its rows stop being held once the limit is passed and are only
 * counted, so a giant group costs its count, never an out-of-memory. The other groups go on.
 *
 * <p>A row's key is compared with the previous row's by value ({@code equals} of Spark's internal
 * values: bytes for strings); the exchange sends equal keys to one partition and the sort puts them
 * next to each other, so each group is met once, whole.
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

    /** One group's fit, as the output row shows it. */
    public record GroupResult(double[] params, double loss, double gradNorm, int steps, int passes, String status,
                              String error) {}

    private final StructType schema;
    private final DataType[] keyTypes;
    private final List<Cell> cells;
    private final int maxRows;
    private final int blockRows;
    private final BlockSolve solve;
    private final GroupedOutput layout;
    private final GroupedCounts counts;

    /**
     * @param schema   the sorted rows' schema: the key columns first ({@code keyTypes.length} of them), then the used columns
     * @param cells    where each model column is read from, in the model's column order
     */
    public GroupedPartition(StructType schema, DataType[] keyTypes, List<Cell> cells, int maxRows, int blockRows,
                            BlockSolve solve, GroupedOutput layout, GroupedCounts counts) {
        this.schema = schema;
        this.keyTypes = keyTypes.clone();
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
        int from;
        int held;
        long total;   // good rows seen, held or not
        long bad;
        String firstBad;

        Group(Object[] key, int from) {
            this.key = key;
            this.from = from;
        }
    }

    /** The output rows of a partition, computed a block at a time as they are asked for. */
    private final class Groups implements Iterator<InternalRow> {
        final Iterator<InternalRow> in;
        final CellReader reader = new CellReader(schema);
        final int width = cells.size();
        double[][] columns = new double[width][1024];
        int size;                              // rows held in columns
        final List<Group> block = new ArrayList<>();
        Group current;
        Iterator<InternalRow> out = java.util.Collections.emptyIterator();
        final double[] row = new double[width];
        boolean waited;
        final long created = System.nanoTime();

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
            if (current == null && block.isEmpty() && !in.hasNext()) {
                return false;
            }
            while (in.hasNext()) {
                InternalRow r = in.next();
                if (!waited) { // the sort is blocking: the first row comes when the partition is fetched and sorted
                    waited = true;
                    counts.sortNanos.add(System.nanoTime() - created);
                }
                if (current == null || !sameKey(r, current.key)) {
                    // The previous group is whole: solve the block if it is full, then start the next one.
                    boolean full = current != null && size >= blockRows;
                    if (full) solveBlock();
                    current = open(r);
                    add(r);
                    if (full) return true;
                    continue;
                }
                add(r);
            }
            current = null;
            solveBlock();
            return true;
        }

        Group open(InternalRow r) {
            Object[] key = new Object[keyTypes.length];
            for (int i = 0; i < key.length; i++) key[i] = r.isNullAt(i) ? null : copy(r.get(i, keyTypes[i]));
            Group g = new Group(key, size);
            block.add(g);
            return g;
        }

        void add(InternalRow r) {
            String problem = null;
            for (int c = 0; c < width && problem == null; c++) {
                try {
                    row[c] = reader.read(r, cells.get(c), false);
                } catch (CellReader.BadCell e) {
                    problem = e.getMessage();
                }
            }
            Group g = current;
            if (problem != null) {
                if (g.bad++ == 0) g.firstBad = problem;
                return;
            }
            g.total++;
            if (g.total > maxRows) {
                if (g.held > 0) { // over the limit: let go of its rows, count the rest
                    size = g.from;
                    g.held = 0;
                }
                return;
            }
            if (size == columns[0].length) {
                for (int c = 0; c < width; c++) columns[c] = Arrays.copyOf(columns[c], size * 2);
            }
            for (int c = 0; c < width; c++) columns[c][size] = row[c];
            size++;
            g.held++;
        }

        /** Solves the block's valid groups, turns every group of the block into an output row, empties the block. */
        void solveBlock() {
            List<Group> solvable = new ArrayList<>();
            for (Group g : block) if (g.held > 0) solvable.add(g);
            GroupResult[] fits = new GroupResult[0];
            if (!solvable.isEmpty()) {
                int[] starts = new int[solvable.size() + 1];
                double[][] cols = new double[width][];
                for (int g = 0; g < solvable.size(); g++) starts[g] = solvable.get(g).from;
                starts[solvable.size()] = size;
                for (int c = 0; c < width; c++) cols[c] = columns[c]; // the solver reads rows [0, size) only
                long t0 = System.nanoTime();
                fits = solve.solve(cols, starts);
                long t1 = System.nanoTime();
                counts.solveNanos.add(t1 - t0);
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
                rows.add(layout.row(g.key, fit, used, g.bad));
            }
            block.clear();
            size = 0;
            out = rows.iterator();
        }
    }

    static GroupResult invalid(String error) {
        return new GroupResult(null, Double.NaN, Double.NaN, 0, 0, "INVALID", error);
    }

    /** Does row {@code r}'s key equal {@code key}? */
    private boolean sameKey(InternalRow r, Object[] key) {
        for (int i = 0; i < key.length; i++) {
            Object v = r.isNullAt(i) ? null : r.get(i, keyTypes[i]);
            if (!Objects.equals(v, key[i])) return false;
        }
        return true;
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
