package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The grouped train's map side: a map task's rows, read into doubles once and bucketed by key, leave
 * as one record per (group, chunk) with the chunk's rows in one {@code array<double>} (row after row,
 * the model's columns in order), instead of one shuffle record per row. The shuffle then carries
 * primitive arrays with a key and a hash per chunk, and the reduce side ({@link GroupedPartition})
 * copies arrays instead of reading rows one by one out of Spark's sorter.
 *
 * <pre>{@code
 * rows.mapPartitions(new GroupPacker(schema, keyTypes, hashColumn, cells, GroupPacker.BUDGET, GroupPacker.CHUNK, time))
 * }</pre>
 *
 * <p>Memory is bounded: when the task's buffer holds {@code budget} doubles (a bucket counted as
 * {@link #BUCKET_COST} of them besides its rows), every bucket is emitted, in chunks of at most
 * {@code chunkRows} rows, and the buffer starts again. So a group may leave a map task in several
 * chunks, and its chunks arrive in any order: the reduce side puts each group's rows in canonical
 * order, so the chunking changes no bit of a fit.
 *
 * <p>A bad row (a cell {@link CellReader} rejects) is not held: its bucket counts it and keeps the
 * first reason, and the chunk carries both ({@code _bad}, {@code _first_bad}; a chunk of bad rows
 * only has an empty array).
 */
public final class GroupPacker implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;

    /** Doubles a map task holds before it emits every bucket: 8 M (64 MB per task slot). */
    public static final int BUDGET = 1 << 23;
    /** Rows of a chunk at most (a giant group leaves in chunks of this size). */
    public static final int CHUNK = 1 << 13;
    /** A bucket's own cost, in doubles (its key, counters and array header), for the budget. */
    static final int BUCKET_COST = 16;

    private final StructType schema;
    private final GroupKeys keys;
    private final int hashColumn;
    private final List<Cell> cells;
    private final int budget;
    private final int chunkRows;
    private final LongAccumulator nanos;

    /**
     * @param schema     the input rows' schema: the key columns first, then the used columns; {@code hashColumn}
     *                   holds the key's hash (a long)
     * @param cells      where each model column is read from, in the model's column order
     * @param nanos      the tasks' time packing, summed (reading the rows in included)
     */
    public GroupPacker(StructType schema, DataType[] keyTypes, int hashColumn, List<Cell> cells, int budget, int chunkRows,
                       LongAccumulator nanos) {
        if (budget < 1 || chunkRows < 1) {
            throw new IllegalArgumentException("budget and chunkRows must be positive, got " + budget + " and " + chunkRows);
        }
        this.schema = schema;
        this.keys = new GroupKeys(keyTypes);
        this.hashColumn = hashColumn;
        this.cells = List.copyOf(cells);
        this.budget = budget;
        this.chunkRows = chunkRows;
        this.nanos = nanos;
    }

    /** The chunks' schema: the key fields, then {@code _hash}, {@code _bad}, {@code _first_bad}, {@code _values}. */
    public static StructType schema(StructField[] keyFields) {
        List<StructField> f = new ArrayList<>(Arrays.asList(keyFields));
        f.add(DataTypes.createStructField("_hash", DataTypes.LongType, false));
        f.add(DataTypes.createStructField("_bad", DataTypes.LongType, false));
        f.add(DataTypes.createStructField("_first_bad", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("_values", new ArrayType(DataTypes.DoubleType, false), false));
        return new StructType(f.toArray(StructField[]::new));
    }

    /** In a chunk of {@code k} key columns: the hash's column; then bad, first bad and values follow. */
    static int hashColumn(int k) {
        return k;
    }

    static int badColumn(int k) {
        return k + 1;
    }

    static int firstBadColumn(int k) {
        return k + 2;
    }

    static int valuesColumn(int k) {
        return k + 3;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
        return new Chunks(rows);
    }

    /** A group met in the buffers: its key, its rows' count, its bad rows. */
    private static final class Bucket {
        final Object[] key;
        final long hash;
        final int index;   // in the buffers' list of buckets
        Bucket sameHash;   // another key with the same hash (rare)
        int n;
        int start;         // its first row in the emit order
        int sent;          // its rows emitted so far
        long bad;
        String firstBad;

        Bucket(Object[] key, long hash, int index) {
            this.key = key;
            this.hash = hash;
            this.index = index;
        }
    }

    /**
     * The chunks of a partition: rows are read into one buffer ({@code values}, row after row, as
     * they come) until it holds {@code budget} doubles; then the rows are ordered by bucket (a
     * counting sort of row indices) and each bucket leaves in chunks of at most {@code chunkRows}
     * rows, one chunk at a time; then the buffer starts again. Nothing is allocated per row.
     */
    private final class Chunks implements Iterator<InternalRow> {
        final Iterator<InternalRow> in;
        final CellReader reader = new CellReader(schema);
        final Cell[] cellArray = cells.toArray(new Cell[0]);
        final int width = cellArray.length;
        double[] values = new double[Math.max(width, Math.min(budget, 1 << 16))];
        int[] bucketOf = new int[values.length / Math.max(1, width)];   // each held row's bucket
        int rows;
        // Open addressing, hash -> the first bucket of that hash; null is empty.
        Bucket[] table = new Bucket[1 << 12];
        final List<Bucket> held = new ArrayList<>();
        int[] order = new int[0];       // row indices by bucket, while emitting
        double[] chunk = new double[0];
        boolean emitting;
        int cursor;                      // the bucket being emitted
        InternalRow next;

        Chunks(Iterator<InternalRow> in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            if (next != null) return true;
            long t0 = System.nanoTime();
            try {
                while (next == null) {
                    if (emitting) {
                        next = chunk();
                        if (next == null) clear();
                    } else if (in.hasNext()) {
                        do add(in.next());
                        while (in.hasNext() && (long) rows * width + (long) held.size() * BUCKET_COST < budget);
                        startEmitting();
                    } else {
                        return false;
                    }
                }
                return true;
            } finally {
                nanos.add(System.nanoTime() - t0);
            }
        }

        @Override
        public InternalRow next() {
            if (!hasNext()) throw new NoSuchElementException();
            InternalRow r = next;
            next = null;
            return r;
        }

        /** Row {@code r}: its cells read into the buffer, or counted as bad in its bucket. */
        void add(InternalRow r) {
            Bucket b = bucket(r, r.getLong(hashColumn));
            if ((rows + 1) * width > values.length) {
                values = Arrays.copyOf(values, Math.max((rows + 1) * width, 2 * values.length));
                bucketOf = Arrays.copyOf(bucketOf, values.length / width);
            }
            int at = rows * width;
            for (int c = 0; c < width; c++) {
                try {
                    values[at + c] = reader.read(r, cellArray[c], false);
                } catch (CellReader.BadCell e) {
                    if (b.bad++ == 0) b.firstBad = e.getMessage();
                    return;
                }
            }
            bucketOf[rows++] = b.index;
            b.n++;
        }

        /** Row {@code r}'s bucket: found by its hash, then by its key; a new one if none. */
        Bucket bucket(InternalRow r, long hash) {
            int mask = table.length - 1;
            int i = slot(hash, mask);
            while (table[i] != null && table[i].hash != hash) i = (i + 1) & mask;
            for (Bucket b = table[i]; b != null; b = b.sameHash) {
                if (keys.sameKey(r, b.key)) return b;
            }
            Bucket b = new Bucket(keys.copyKey(r), hash, held.size());
            b.sameHash = table[i];
            table[i] = b;
            held.add(b);
            if (2 * held.size() > table.length) rehash();
            return b;
        }

        int slot(long hash, int mask) {
            return (int) (hash ^ (hash >>> 29)) & mask;
        }

        void rehash() {
            Bucket[] old = table;
            table = new Bucket[2 * old.length];
            int mask = table.length - 1;
            for (Bucket first : old) {
                if (first == null) continue;
                int i = slot(first.hash, mask);
                while (table[i] != null) i = (i + 1) & mask;
                table[i] = first;
            }
        }

        /** The held rows' indices ordered by bucket (a counting sort), each bucket's rows in the order they came. */
        void startEmitting() {
            int at = 0;
            for (Bucket b : held) {
                b.start = at;
                at += b.n;
            }
            if (order.length < rows) order = new int[Math.max(rows, 2 * order.length)];
            int[] fill = new int[held.size()];
            for (Bucket b : held) fill[b.index] = b.start;
            for (int i = 0; i < rows; i++) order[fill[bucketOf[i]]++] = i;
            emitting = true;
            cursor = 0;
        }

        /** The next chunk: up to {@code chunkRows} rows of the current bucket (its bad rows with the first); null when all are out. */
        InternalRow chunk() {
            if (cursor == held.size()) return null;
            Bucket b = held.get(cursor);
            int n = Math.min(b.n - b.sent, chunkRows);
            if (chunk.length < n * width) chunk = new double[Math.max(n * width, 2 * chunk.length)];
            for (int i = 0; i < n; i++) System.arraycopy(values, order[b.start + b.sent + i] * width, chunk, i * width, width);
            int k = b.key.length;
            Object[] v = new Object[k + 4];
            System.arraycopy(b.key, 0, v, 0, k);
            v[hashColumn(k)] = b.hash;
            v[badColumn(k)] = b.sent == 0 ? b.bad : 0L;
            v[firstBadColumn(k)] = b.sent == 0 && b.firstBad != null ? UTF8String.fromString(b.firstBad) : null;
            v[valuesColumn(k)] = UnsafeArrayData.fromPrimitiveArray(chunk, Platform.DOUBLE_ARRAY_OFFSET, n * width, 8);
            b.sent += n;
            if (b.sent == b.n) cursor++;
            return new GenericInternalRow(v);
        }

        /** Every bucket is out: the buffers start again. */
        void clear() {
            held.clear();
            Arrays.fill(table, null);
            rows = 0;
            emitting = false;
        }
    }

    /** Key columns compared and copied as Spark's internal values (by value: bytes for strings). */
    static final class GroupKeys implements Serializable {
        private static final long serialVersionUID = 1L;
        private static final byte LONG = 0, INT = 1, DOUBLE = 2, STRING = 3, OTHER = 4;
        private final DataType[] types;
        private final byte[] kinds;

        GroupKeys(DataType[] types) {
            this.types = types.clone();
            this.kinds = new byte[types.length];
            for (int i = 0; i < types.length; i++) kinds[i] = kind(types[i]);
        }

        /**
         * Does row {@code r}'s key (its first columns) equal {@code key}? As {@code equals} of Spark's
         * internal values, without boxing the row's value for the common key types (this runs for every row).
         */
        boolean sameKey(InternalRow r, Object[] key) {
            for (int i = 0; i < key.length; i++) {
                Object k = key[i];
                if (r.isNullAt(i) || k == null) {
                    if (r.isNullAt(i) != (k == null)) return false;
                    continue;
                }
                boolean same = switch (kinds[i]) {
                    case LONG -> r.getLong(i) == (Long) k;
                    case INT -> r.getInt(i) == (Integer) k;
                    case DOUBLE -> Double.doubleToLongBits(r.getDouble(i)) == Double.doubleToLongBits((Double) k);
                    case STRING -> k.equals(r.getUTF8String(i));
                    default -> k.equals(r.get(i, types[i]));
                };
                if (!same) return false;
            }
            return true;
        }

        /** Row {@code r}'s key, as values that outlive the row (Spark's rows share buffers). */
        Object[] copyKey(InternalRow r) {
            Object[] key = new Object[types.length];
            for (int i = 0; i < key.length; i++) key[i] = r.isNullAt(i) ? null : copy(r.get(i, types[i]));
            return key;
        }

        private static Object copy(Object v) {
            if (v instanceof UTF8String s) return s.clone();
            if (v instanceof org.apache.spark.sql.catalyst.util.ArrayData a) return a.copy();
            if (v instanceof InternalRow r) return r.copy();
            if (v instanceof org.apache.spark.sql.catalyst.util.MapData m) return m.copy();
            return v;
        }

        private static byte kind(DataType t) {
            if (t instanceof org.apache.spark.sql.types.LongType) return LONG;
            if (t instanceof org.apache.spark.sql.types.IntegerType) return INT;
            if (t instanceof org.apache.spark.sql.types.DoubleType) return DOUBLE;
            if (t instanceof org.apache.spark.sql.types.StringType) return STRING;
            return OTHER;
        }
    }
}
