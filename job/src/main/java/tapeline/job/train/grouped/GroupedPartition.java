package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The grouped train's loop, inside one task: the partition's chunks ({@link GroupPacker}: a group's
 * rows from one map task, as one array) arrive sorted by a 64-bit hash of their key (Spark's exchange
 * and a radix sort on one long did that), so each group's chunks are contiguous; their arrays are
 * copied into primitive columns, each group's rows are put in canonical order here, on those columns,
 * the groups are cut into blocks of about {@code blockRows} rows, each block solved at once
 * ({@link BlockSolve}), and one output row is emitted per group. Memory is a block and the group
 * being read, whatever the number of groups.
 *
 * <pre>{@code
 * rdd.mapPartitions(new GroupedPartition(keyTypes, width, maxRows, 65536, solve, layout, counts))
 * }</pre>
 *
 * <p><b>Canonical order.</b> A group's rows are sorted by their values as the solver sees them (the
 * model's columns, in its order, each by {@link Double#compare}): rows tied in every column are the same
 * bits, so a group's order, and so its fit, depends on its rows alone. {@link CanonicalOrder} sorts a
 * group's rows by a counting (radix) sort of 64-bit keys that order as {@code Double.compare}, column
 * by column where values tie (an earlier design had Spark sort by (key, every used column), comparing
 * whole rows field by field). The order a group's chunks arrive in (and how its rows were cut into chunks) therefore
 * changes no bit either.
 *
 * <p><b>Hash ties.</b> The rows of a run of equal hashes are one group unless two keys share a hash;
 * every chunk's key is compared with its group's (by value: {@code equals} of Spark's internal values,
 * bytes for strings), and a run holding several keys is split by key before it is ordered.
 *
 * <p>A group is {@code INVALID} (and not solved) when every one of its rows is bad (the chunks count
 * them), or when it has more than {@code maxRows} good rows: its rows stop being held once the limit
 * is passed and are only counted, so a giant group costs its count, never an out-of-memory. The other groups go on.
 */
public final class GroupedPartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final Logger LOG = LoggerFactory.getLogger(GroupedPartition.class);
    private static final long serialVersionUID = 1L;

    /**
     * Solves the groups of one block: columns in the model's order, group {@code g}'s rows
     * {@code [starts[g], starts[g+1])}, one fit per group.
     */
    public interface BlockSolve extends Serializable {
        GroupResult[] solve(double[][] columns, int[] starts);

        /**
         * Called once when a task starts, before it reads its rows: a solve may start work in the
         * background that its first block would otherwise wait for (compiling its pass). Must not fail.
         */
        default void prepare() {
        }
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

    private final GroupPacker.GroupKeys keys;
    private final int k;
    private final int width;
    private final int maxRows;
    private final int blockRows;
    private final BlockSolve solve;
    private final GroupedOutput layout;
    private final GroupedCounts counts;

    /**
     * @param keyTypes the key columns' types: the chunks are {@link GroupPacker#schema} of them
     * @param width    the model's columns: a chunk's array holds rows of {@code width} values
     */
    public GroupedPartition(DataType[] keyTypes, int width, int maxRows,
                            int blockRows, BlockSolve solve, GroupedOutput layout, GroupedCounts counts) {
        this.keys = new GroupPacker.GroupKeys(keyTypes);
        this.k = keyTypes.length;
        this.width = width;
        this.maxRows = maxRows;
        this.blockRows = blockRows;
        this.solve = solve;
        this.layout = layout;
        this.counts = counts;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
        solve.prepare();
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

    private int initialRows() {
        return Math.min(blockRows, 1 << 17) + 1024;
    }

    /** The output rows of a partition, computed a block at a time as they are asked for. */
    private final class Groups implements Iterator<InternalRow> {
        final Iterator<InternalRow> in;
        // Sized for a block (and the run that closes it) up front: grown by doubling from a small start, a task's
        // columns were copied about 7 times (~100 MB of arrays over a 100,000-group run); capped for a huge group.block.rows.
        double[][] columns = new double[width][initialRows()];
        int[] tags = new int[initialRows()];    // the group (in its run) of each held row
        int size;                              // rows held in columns
        final List<Group> block = new ArrayList<>();   // whole groups, in canonical order, in columns [0, runFrom)
        final List<Group> run = new ArrayList<>();     // the groups of the current run of equal hashes
        long runHash;
        int runFrom;
        Group last;                            // the run's group of the previous chunk
        Iterator<InternalRow> out = java.util.Collections.emptyIterator();
        final CanonicalOrder order = new CanonicalOrder();
        boolean waited;
        final long created = System.nanoTime();
        final long createdCpu = cpu();
        long solveNanos;
        long solveCpu;
        long orderNanos;
        // The task's whole solve, split by the scheduler (ThreadSchedule) for its log line.
        long taskSolveWall;
        long taskSolveOnCpu;
        long taskSolveWaiting;
        boolean logged;

        Groups(Iterator<InternalRow> in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            while (!out.hasNext()) {
                if (!fill()) {
                    logSolve();
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

        /**
         * One line per task: its solve's wall time split into on a CPU, runnable but waiting for a CPU,
         * and stopped (the rest: safepoints and GC pauses, I/O, locks), from {@link ThreadSchedule}.
         */
        void logSolve() {
            if (logged || taskSolveWall == 0) return;
            logged = true;
            TaskContext tc = TaskContext.get();
            if (taskSolveOnCpu + taskSolveWaiting == 0) {
                LOG.info("partition {}: solve {} s wall (no scheduler counters here to split it)",
                        tc == null ? "-" : tc.partitionId(), String.format("%.3f", taskSolveWall / 1e9));
                return;
            }
            LOG.info("partition {}: solve {} s wall = {} s on a CPU + {} s waiting for a CPU + {} s stopped (safepoints, GC, I/O)",
                    tc == null ? "-" : tc.partitionId(), String.format("%.3f", taskSolveWall / 1e9),
                    String.format("%.3f", taskSolveOnCpu / 1e9), String.format("%.3f", taskSolveWaiting / 1e9),
                    String.format("%.3f", Math.max(0, taskSolveWall - taskSolveOnCpu - taskSolveWaiting) / 1e9));
        }

        /** Reads chunks until a block is full (or the input ends), solves it; false when nothing is left. */
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
                    long h = r.getLong(GroupPacker.hashColumn(k));
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

        /** The run's group of chunk {@code r}'s key: the previous chunk's, another of the run (a hash tie), or a new one. */
        Group groupOf(InternalRow r) {
            if (last != null && keys.sameKey(r, last.key)) return last;
            for (Group g : run) {
                if (keys.sameKey(r, g.key)) return last = g;
            }
            Group g = new Group(keys.copyKey(r), run.size());
            run.add(g);
            return last = g;
        }

        /** Chunk {@code r} of group {@code g}: its bad rows counted, its rows copied into the columns. */
        void add(InternalRow r, Group g) {
            long bad = r.getLong(GroupPacker.badColumn(k));
            if (bad > 0 && g.bad == 0) g.firstBad = r.getUTF8String(GroupPacker.firstBadColumn(k)).toString();
            g.bad += bad;
            ArrayData values = r.getArray(GroupPacker.valuesColumn(k));
            int n = values.numElements() / width;
            g.total += n;
            if (g.total > maxRows) {
                if (g.held > 0) { // over the limit: let go of its rows, count the rest
                    drop(g);
                    g.held = 0;
                }
                return;
            }
            if (size + n > columns[0].length) {
                int grown = Math.max(size + n, size * 2);
                for (int c = 0; c < width; c++) columns[c] = Arrays.copyOf(columns[c], grown);
                tags = Arrays.copyOf(tags, grown);
            }
            transpose(values, n, columns, size);
            Arrays.fill(tags, size, size + n, g.tag);
            size += n;
            g.held += n;
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
                long[] s0 = ThreadSchedule.now();
                fits = solve.solve(cols, starts);
                long[] s1 = ThreadSchedule.now();
                long t1 = System.nanoTime();
                if (s0 != null && s1 != null) {
                    taskSolveOnCpu += s1[0] - s0[0];
                    taskSolveWaiting += s1[1] - s0[1];
                }
                taskSolveWall += t1 - t0;
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
     * Copies a chunk's {@code n} rows (row-major, {@code width} values a row) into {@code columns} from
     * row {@code at} on. The exchange's chunks are {@link UnsafeArrayData}: their values are read in place
     * from the shuffled row's bytes (no array per chunk, one pass); any other array is copied out first.
     * The values' bits are copied as they are either way (NaN payloads included).
     */
    static void transpose(ArrayData values, int n, double[][] columns, int at) {
        int width = columns.length;
        if (values instanceof UnsafeArrayData u) {
            Object base = u.getBaseObject();
            long from = u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(u.numElements());
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < width; c++, from += Double.BYTES) columns[c][at + i] = Platform.getDouble(base, from);
            }
            return;
        }
        double[] flat = values.toDoubleArray();
        for (int c = 0; c < width; c++) {
            double[] column = columns[c];
            for (int i = 0, j = c; i < n; i++, j += width) column[at + i] = flat[j];
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
}
