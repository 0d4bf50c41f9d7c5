package tapeline.job.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import tapeline.engine.train.RowBuckets;
import tapeline.engine.train.RowSampler;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The train job's load: read and check every row, then give it its canonical place
 * ({@link RowBuckets}): one shuffle sends each row to the partition of its bucket, and each
 * partition turns the rows of every bucket it holds into one {@link ColumnBlock}, sorted by
 * (key, values). After that, nothing about a bucket depends on where its rows came from: not the
 * files, their order or split size, nor which task read them or how often.
 *
 * <pre>{@code
 * JavaRDD<ColumnBlock> buckets = BucketedRows.load(internalRows, schema, cells, 8, false).persist(MEMORY_ONLY());
 * }</pre>
 *
 * <p>Partitions hold whole buckets (bucket b goes to partition {@code b mod partitions}). A bucket
 * is one partition's work at least, so data made of a few rows repeated many times (one bucket
 * each) is spread over as many tasks as there are distinct rows, not more.
 */
public final class BucketedRows {
    private BucketedRows() {}

    /**
     * Rows of one bucket read by one task, row by row ({@code values[r * width + c]}), with their keys;
     * or only a report of the bad rows that task left out ({@code rows == 0}).
     */
    public record Piece(double[] values, long[] keys, int rows, long badRows, List<String> firstBad)
            implements Serializable {}

    /**
     * The canonical column blocks of {@code rows} (Spark's internal rows of {@code schema}), in
     * {@code partitions} partitions (0: as many as {@code rows} has, rounded up to a multiple of the
     * cluster's parallelism, {@link #balanced}), not persisted.
     *
     * @param keepKeys keep each row's key in its block (mini-batch sampling needs them)
     */
    public static JavaRDD<ColumnBlock> load(JavaRDD<InternalRow> rows, StructType schema, List<Cell> cells,
                                            int partitions, boolean keepKeys) {
        int width = cells.size();
        int p = partitions > 0 ? partitions : balanced(rows.getNumPartitions(), rows.context().defaultParallelism());
        return rows.mapPartitionsToPair(it -> pieces(it, schema, cells))
                .partitionBy(new HashPartitioner(p)) // an Integer key hashes to itself: bucket mod p
                .mapPartitions(it -> buckets(it, width, keepKeys));
    }

    /**
     * The partition count for {@code read} input partitions on {@code slots} task slots: {@code read}
     * rounded up to a multiple of {@code slots}, at most one partition per bucket. Every pass runs one
     * task per partition, so 3 equal partitions on 2 cores take two rounds of one partition's time
     * where 4 take two rounds of half that; the regroup's shuffle is paid anyway, so any count costs
     * the same to load.
     *
     * <pre>{@code
     * BucketedRows.balanced(3, 2);   // 4
     * BucketedRows.balanced(37, 16); // 48
     * }</pre>
     */
    public static int balanced(int read, int slots) {
        if (read < 1 || slots < 1) {
            throw new IllegalArgumentException("read and slots must be positive: read=" + read + ", slots=" + slots);
        }
        long rounded = ((long) read + slots - 1) / slots * slots;
        return (int) Math.min(rounded, RowBuckets.COUNT);
    }

    /**
     * One task's rows, checked ({@link CellReader}: missing, non-numeric and non-finite cells make
     * the row bad) and grouped by bucket: one piece per bucket met, plus one piece reporting the bad
     * rows (in bucket 0) if there were any.
     */
    public static Iterator<Tuple2<Integer, Piece>> pieces(Iterator<InternalRow> it, StructType schema, List<Cell> cells) {
        CellReader reader = new CellReader(schema);
        int width = cells.size();
        Builder[] builders = new Builder[RowBuckets.COUNT];
        double[] row = new double[width];
        long bad = 0;
        List<String> firstBad = new ArrayList<>();
        while (it.hasNext()) {
            InternalRow r = it.next();
            String problem = null;
            for (int c = 0; c < width && problem == null; c++) {
                try {
                    row[c] = reader.read(r, cells.get(c), false);
                } catch (CellReader.BadCell e) {
                    problem = e.getMessage();
                }
            }
            if (problem != null) {
                bad++;
                if (firstBad.size() < ColumnBlock.SHOWN_BAD) {
                    Row shown = (Row) CatalystTypeConverters.createToScalaConverter(schema).apply(r);
                    firstBad.add("row " + abbreviate(shown.mkString("[", ", ", "]")) + ": " + problem);
                }
                continue;
            }
            long key = RowSampler.rowKey(row);
            int b = RowBuckets.of(key);
            if (builders[b] == null) builders[b] = new Builder(width);
            builders[b].add(row, key);
        }
        List<Tuple2<Integer, Piece>> out = new ArrayList<>();
        for (int b = 0; b < builders.length; b++) {
            if (builders[b] != null) out.add(new Tuple2<>(b, builders[b].piece()));
        }
        if (bad > 0) out.add(new Tuple2<>(0, new Piece(new double[0], new long[0], 0, bad, firstBad)));
        return out.iterator();
    }

    /**
     * A partition's pieces, whatever their order, as one block per bucket (ascending), its rows in
     * canonical order; the bad-row reports ride along on the block of their bucket.
     */
    public static Iterator<ColumnBlock> buckets(Iterator<Tuple2<Integer, Piece>> it, int width, boolean keepKeys) {
        TreeMap<Integer, List<Piece>> byBucket = new TreeMap<>();
        while (it.hasNext()) {
            Tuple2<Integer, Piece> t = it.next();
            byBucket.computeIfAbsent(t._1(), b -> new ArrayList<>()).add(t._2());
        }
        List<ColumnBlock> out = new ArrayList<>();
        for (Map.Entry<Integer, List<Piece>> e; (e = byBucket.pollFirstEntry()) != null; ) { // frees pieces as it goes
            out.add(bucket(e.getValue(), width, keepKeys));
        }
        return out.iterator();
    }

    /** The pieces of one bucket as one block, rows in canonical order. */
    static ColumnBlock bucket(List<Piece> pieces, int width, boolean keepKeys) {
        int n = 0;
        long bad = 0;
        List<String> firstBad = new ArrayList<>();
        for (Piece p : pieces) {
            n += p.rows();
            bad += p.badRows();
            firstBad.addAll(p.firstBad());
        }
        double[] values = new double[n * width];
        long[] keys = new long[n];
        int at = 0;
        for (Piece p : pieces) {
            System.arraycopy(p.values(), 0, values, at * width, p.rows() * width);
            System.arraycopy(p.keys(), 0, keys, at, p.rows());
            at += p.rows();
        }
        int[] order = RowBuckets.canonicalOrder(values, keys, n, width);
        double[][] columns = new double[width][n];
        long[] sortedKeys = keepKeys ? new long[n] : null;
        for (int r = 0; r < n; r++) {
            int from = order[r] * width;
            for (int c = 0; c < width; c++) columns[c][r] = values[from + c];
            if (keepKeys) sortedKeys[r] = keys[order[r]];
        }
        firstBad.sort(null); // the reports of several tasks arrive in any order; show the same ones every time
        return new ColumnBlock(columns, sortedKeys, n, bad, firstBad.subList(0, Math.min(firstBad.size(), ColumnBlock.SHOWN_BAD)));
    }

    /** A growing piece. */
    private static final class Builder {
        final int width;
        double[] values;
        long[] keys = new long[16];
        int rows;

        Builder(int width) {
            this.width = width;
            values = new double[16 * width];
        }

        void add(double[] row, long key) {
            if (rows == keys.length) {
                keys = Arrays.copyOf(keys, rows * 2);
                values = Arrays.copyOf(values, rows * 2 * width);
            }
            System.arraycopy(row, 0, values, rows * width, width);
            keys[rows++] = key;
        }

        Piece piece() {
            return new Piece(Arrays.copyOf(values, rows * width), Arrays.copyOf(keys, rows), rows, 0, List.of());
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
