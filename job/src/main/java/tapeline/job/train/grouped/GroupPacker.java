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
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowWriter;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The grouped train's map side: a map task's rows, read into doubles once and gathered by key, leave
 * as one record per (group, chunk) with the chunk's rows in one {@code array<double>} (row after row,
 * the model's columns in order), instead of one shuffle record per row. The shuffle then carries
 * primitive arrays with a key and a hash per chunk, and the reduce side ({@link GroupedPartition})
 * copies arrays instead of reading rows one by one out of Spark's sorter.
 *
 * <pre>{@code
 * rows.mapPartitions(new GroupPacker(schema, keyTypes, hashColumn, cells, GroupPacker.BUDGET, GroupPacker.CHUNK, time))
 * }</pre>
 *
 * <p>Memory is bounded: when the task's buffer holds {@code budget} doubles (a group counted as
 * {@link #GROUP_COST} of them besides its rows), every group is emitted, in chunks of at most
 * {@code chunkRows} rows, and the buffer starts again. So a group may leave a map task in several
 * chunks, and its chunks arrive in any order: the reduce side puts each group's rows in canonical
 * order, so the chunking changes no bit of a fit.
 *
 * <p>A bad row (a cell {@link CellReader} rejects) is not held: its group counts it and keeps the
 * first reason, and the chunk carries both ({@code _bad}, {@code _first_bad}; a chunk of bad rows
 * only has an empty array).
 *
 * <p>Two ways to gather a flush's rows by key, giving each group the same rows: a key of one number (a long, int
 * or double column) by a radix partition on the key's hash ({@link RadixChunks}: no table probed per row, each
 * bucket grouped in the cache); other keys by a table of groups probed per row ({@link Chunks}).
 */
public final class GroupPacker implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;

    /**
     * Doubles a map task holds at most before it emits every group: 32 M (256 MB per task), as far as Spark's
     * execution memory grants them to the task ({@link TaskBudget}), and {@link #FLOOR} at least. A flush's chunks
     * hold each group's rows held then, so the buffer sets the chunks' size: at 100,000 groups a 64 MB buffer gave
     * chunks of about 10 rows (2 M shuffle records for 20 M rows), one holding a whole map split (2 M rows) about 20.
     */
    public static final int BUDGET = 1 << 25;
    /** Doubles a map task may hold whatever Spark grants: 8 M (64 MB, the fixed buffer before, safe in a 1 GB executor). */
    public static final int FLOOR = 1 << 23;
    /** Rows of a chunk at most (a giant group leaves in chunks of this size). */
    public static final int CHUNK = 1 << 13;
    /**
     * Rows whose table slots are loaded into the cache at once (columnar batches know their rows' hashes ahead).
     * Measured (BENCHMARKS.md, issue 21, s23-mapside): without it the map stage took 9-19% more CPU.
     */
    static final int AHEAD = 16;
    /** A group's own cost, in doubles (its slot, key and chunk record), for the budget. */
    static final int GROUP_COST = 16;

    private final StructType schema;
    private final GroupKeys keys;
    private final int hashColumn;
    private final List<Cell> cells;
    private final int budget;
    private final int chunkRows;
    private final LongAccumulator nanos;
    /** Keys of one number by {@link RadixChunks} (false: always by the probed table, {@link Chunks}; tests compare the two). */
    private final boolean radix;

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
        this.radix = true;
    }

    private GroupPacker(GroupPacker p, boolean radix) {
        this.schema = p.schema;
        this.keys = p.keys;
        this.hashColumn = p.hashColumn;
        this.cells = p.cells;
        this.budget = p.budget;
        this.chunkRows = p.chunkRows;
        this.nanos = p.nanos;
        this.radix = radix;
    }

    /** This packer with every key grouped in the probed table ({@link Chunks}), as before {@link RadixChunks} (tests). */
    GroupPacker probed() {
        return new GroupPacker(this, false);
    }

    /**
     * A task's chunks: a one-number key's rows by a radix partition of each flush ({@link RadixChunks}: no table probed
     * per row), other keys' by the probed table ({@link Chunks}).
     */
    Iterator<InternalRow> chunks(Feed in) {
        int held = TaskBudget.take(budget);
        if (radix && keys.oneNumber()) return new RadixChunks(in, keys, cells.size(), held, chunkRows, nanos);
        return new Chunks(in, held);
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
        return chunks(new RowFeed(rows, new CellReader(schema), cells.toArray(new Cell[0]), hashColumn));
    }

    /**
     * The same chunks from the columnar batches of {@code scan} (see {@link ColumnarScan}): the same
     * keys, hashes and values, and so the same chunks, as {@link #call} gives for the scan's rows.
     */
    public FlatMapFunction<Iterator<ColumnarBatch>, InternalRow> batches(ColumnarScan scan) {
        return batches -> chunks(scan.feed(batches));
    }

    /**
     * The rows of a map task, one at a time, as the packer reads them: the current row's key (its first
     * columns, as {@link GroupKeys} reads them), the key's hash, and its model values.
     */
    abstract static class Feed {
        /** Moves to the next row; false at the end. */
        abstract boolean advance();

        /** The current row's key: an internal row whose first columns are the key's. */
        abstract InternalRow key();

        abstract long hash();

        /** The hash of the row {@code d} places ahead where the feed knows it already, else the current row's. */
        long hashAhead(int d) {
            return hash();
        }

        /** The current row's model values into {@code into[at, at + width)}; null, or the first bad cell's reason. */
        abstract String values(double[] into, int at);

        /** Is the current row's one-column key null? */
        boolean keyNull() {
            return key().isNullAt(0);
        }

        /** The current row's {@link GroupKeys#bits} (a feed may know them without {@link #key}: a batch's at once). */
        long keyBits(GroupKeys keys) {
            return keys.bits(key());
        }
    }

    /** Rows of the selected frame (keys, used columns, hash), their cells read by {@link CellReader}. */
    static final class RowFeed extends Feed {
        private final Iterator<InternalRow> in;
        private final CellReader reader;
        private final Cell[] cells;
        private final int hashColumn;
        private InternalRow row;

        RowFeed(Iterator<InternalRow> in, CellReader reader, Cell[] cells, int hashColumn) {
            this.in = in;
            this.reader = reader;
            this.cells = cells;
            this.hashColumn = hashColumn;
        }

        @Override
        boolean advance() {
            if (!in.hasNext()) return false;
            row = in.next();
            return true;
        }

        @Override
        InternalRow key() {
            return row;
        }

        @Override
        long hash() {
            return row.getLong(hashColumn);
        }

        @Override
        String values(double[] into, int at) {
            for (int c = 0; c < cells.length; c++) {
                try {
                    into[at + c] = reader.read(row, cells[c], false);
                } catch (CellReader.BadCell e) {
                    return e.getMessage();
                }
            }
            return null;
        }
    }

    /**
     * The chunks of a partition: rows are read into one buffer ({@code values}, row after row, as
     * they come) until it holds {@code budget} doubles; then the rows are ordered by group (a
     * counting sort of row indices) and each group leaves in chunks of at most {@code chunkRows}
     * rows, one chunk at a time; then the buffer starts again. Nothing is allocated per row.
     *
     * <p>The groups are found in an open-addressing table of primitive slots, {@code [hash, key bits,
     * 1 + rows held, bad rows]} (a slot is empty while its third value is 0): this runs for every
     * row, in random order over a table far larger than the cache, so a row reads one slot and
     * nothing else for a one-number key (its {@link GroupKeys#bits} decide); other keys are also
     * compared by value ({@code keys[slot]}).
     */
    private final class Chunks implements Iterator<InternalRow> {
        final Feed in;
        final int budget;                // doubles held at most (this task's, TaskBudget)
        final int width = cells.size();
        double[] values;
        int[] slotOf;                    // each held row's slot
        int rows;
        long[] table = new long[4 << 12];
        Object[][] keyOf = new Object[1 << 12][];
        String[] firstBadOf = new String[1 << 12];
        int[] usedSlots = new int[1 << 11];
        int groups;
        int[] order = new int[0];       // row indices by group, while emitting
        double[] chunk = new double[0];  // the generic path's chunk values
        final ChunkWriter writer = ChunkWriter.supports(keys) ? new ChunkWriter(keys) : null;
        boolean emitting;
        int cursor;                      // the group (its index in usedSlots) being emitted
        int from;                        // its first row in order
        int sent;                        // its rows emitted so far
        InternalRow next;
        long touched;                    // the look-ahead reads' sum: kept so that they are not optimised away
        int untilTouch;                  // rows until the next look ahead

        Chunks(Feed in, int budget) {
            this.in = in;
            this.budget = budget;
            this.values = new double[Math.max(width, Math.min(budget, 1 << 16))];
            this.slotOf = new int[values.length / Math.max(1, width)];
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
                    } else if (in.advance()) {
                        add();
                        while ((long) rows * width + (long) groups * GROUP_COST < budget && in.advance()) add();
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

        /** The feed's current row: its cells read into the buffer, or counted as bad in its group's slot. */
        void add() {
            // The table is far larger than the cache and rows come in random order, so a row's probe is a cache
            // miss. Every AHEAD rows, the slots of the next AHEAD rows are read at once, back to back (only read:
            // no effect but the cache's): their misses overlap instead of being paid one after another.
            if (--untilTouch <= 0) {
                untilTouch = AHEAD;
                int mask = keyOf.length - 1;
                long sum = 0;
                for (int d = 0; d < AHEAD; d++) {
                    long h = in.hashAhead(d);
                    sum += table[4 * home(h, mask) + 2];
                }
                touched += sum;
            }
            int s = slot(in.key(), in.hash());
            if ((rows + 1) * width > values.length) {
                values = Arrays.copyOf(values, Math.max((rows + 1) * width, 2 * values.length));
                slotOf = Arrays.copyOf(slotOf, values.length / width);
            }
            String bad = in.values(values, rows * width);
            if (bad != null) {
                if (table[4 * s + 3]++ == 0) firstBadOf[s] = bad;
                return;
            }
            slotOf[rows++] = s;
            table[4 * s + 2]++;
        }

        /** Row {@code r}'s slot: found by its hash and key; a new one if none. */
        /** A hash's first slot in a table of {@code mask + 1} slots (its high bits folded in). */
        int home(long hash, int mask) {
            return (int) (hash ^ (hash >>> 29)) & mask;
        }

        int slot(InternalRow r, long hash) {
            long bits = keys.bits(r);
            int mask = keyOf.length - 1;
            int i = home(hash, mask);
            while (table[4 * i + 2] != 0) {
                // keyOf[i] is read only where the bits do not decide: it is another cache miss
                if (table[4 * i] == hash && table[4 * i + 1] == bits && (keys.byBits(bits) || keys.sameKey(r, keyOf[i]))) return i;
                i = (i + 1) & mask;
            }
            table[4 * i] = hash;
            table[4 * i + 1] = bits;
            table[4 * i + 2] = 1;
            table[4 * i + 3] = 0;
            // A one-number key is its bits (GroupKeys.fromBits): no object per group and flush, and no store of a young
            // object into the old table (the profile's largest map-side cost after the probe).
            if (!keys.byBits(bits)) keyOf[i] = keys.copyKey(r);
            if (groups == usedSlots.length) usedSlots = Arrays.copyOf(usedSlots, 2 * groups);
            usedSlots[groups++] = i;
            return 2 * groups > keyOf.length ? grow(i) : i;
        }

        /** The table, twice as large: every group to its new slot, the held rows' slots too; slot {@code i}'s new one. */
        int grow(int i) {
            long[] oldTable = table;
            Object[][] oldKeys = keyOf;
            String[] oldFirstBad = firstBadOf;
            table = new long[2 * oldTable.length];
            keyOf = new Object[2 * oldKeys.length][];
            firstBadOf = new String[keyOf.length];
            int mask = keyOf.length - 1;
            int[] moved = new int[oldKeys.length];
            for (int u = 0; u < groups; u++) {
                int old = usedSlots[u];
                long hash = oldTable[4 * old];
                int j = home(hash, mask);
                while (table[4 * j + 2] != 0) j = (j + 1) & mask;
                System.arraycopy(oldTable, 4 * old, table, 4 * j, 4);
                keyOf[j] = oldKeys[old];
                firstBadOf[j] = oldFirstBad[old];
                moved[old] = j;
                usedSlots[u] = j;
            }
            for (int x = 0; x < rows; x++) slotOf[x] = moved[slotOf[x]];
            return moved[i];
        }

        /** The held rows' indices ordered by group (a counting sort), each group's rows in the order they came. */
        void startEmitting() {
            int[] fill = new int[keyOf.length];
            int at = 0;
            for (int u = 0; u < groups; u++) {
                int s = usedSlots[u];
                fill[s] = at;
                at += (int) table[4 * s + 2] - 1;
            }
            if (order.length < rows) order = new int[Math.max(rows, 2 * order.length)];
            for (int x = 0; x < rows; x++) order[fill[slotOf[x]]++] = x;
            emitting = true;
            cursor = 0;
            from = 0;
            sent = 0;
        }

        /** The next chunk: up to {@code chunkRows} rows of the current group (its bad rows with the first); null when all are out. */
        InternalRow chunk() {
            if (cursor == groups) return null;
            int s = usedSlots[cursor];
            int held = (int) table[4 * s + 2] - 1;
            int n = Math.min(held - sent, chunkRows);
            long bits = table[4 * s + 1];
            long bad = sent == 0 ? table[4 * s + 3] : 0L;
            String firstBad = sent == 0 ? firstBadOf[s] : null;
            InternalRow r;
            if (writer != null) {
                r = writer.write(keys.byBits(bits) ? null : keyOf[s], bits, table[4 * s], bad, firstBad, values, order,
                        from + sent, n, width);
            } else {
                if (chunk.length < n * width) chunk = new double[Math.max(n * width, 2 * chunk.length)];
                for (int i = 0; i < n; i++) System.arraycopy(values, order[from + sent + i] * width, chunk, i * width, width);
                Object[] key = keys.byBits(bits) ? keys.fromBits(bits) : keyOf[s];
                r = genericChunk(key, table[4 * s], bad, firstBad, chunk, n * width);
            }
            sent += n;
            if (sent == held) {
                cursor++;
                from += held;
                sent = 0;
            }
            return r;
        }

        /** Every group is out: the buffers and the table start again. */
        void clear() {
            for (int u = 0; u < groups; u++) {
                int s = usedSlots[u];
                table[4 * s + 2] = 0;
                keyOf[s] = null;
                firstBadOf[s] = null;
            }
            groups = 0;
            rows = 0;
            emitting = false;
        }
    }

    /**
     * A chunk as a generic row: the key's values, the hash, the bad rows, the first bad row's reason (or null) and
     * the first {@code length} doubles of {@code values}. The exchange copies it into an {@code UnsafeRow}; keys of
     * the common types are written straight as that row by {@link ChunkWriter} (the same bytes).
     */
    static InternalRow genericChunk(Object[] key, long hash, long bad, String firstBad, double[] values, int length) {
        int k = key.length;
        Object[] v = new Object[k + 4];
        System.arraycopy(key, 0, v, 0, k);
        v[hashColumn(k)] = hash;
        v[badColumn(k)] = bad;
        v[firstBadColumn(k)] = firstBad != null ? UTF8String.fromString(firstBad) : null;
        v[valuesColumn(k)] = UnsafeArrayData.fromPrimitiveArray(values, Platform.DOUBLE_ARRAY_OFFSET, length, 8);
        return new GenericInternalRow(v);
    }

    /**
     * Writes a chunk straight as the {@code UnsafeRow} the exchange would make of {@link #genericChunk} (the same
     * bytes), its rows gathered from the packer's buffer into the row's array: no {@code double[]} and no
     * {@code UnsafeArrayData} per chunk (2 M chunks, 1 GB at 100,000 groups x 200 rows), no boxed key.
     * Keys of longs, ints, doubles and strings only ({@link #supports}); other keys take {@link #genericChunk}.
     * The row is reused: the next {@code write} overwrites it (the exchange copies each row as it comes).
     */
    static final class ChunkWriter {
        private final GroupKeys keys;
        private final int k;
        private final UnsafeRowWriter w;

        ChunkWriter(GroupKeys keys) {
            this.keys = keys;
            this.k = keys.size();
            this.w = new UnsafeRowWriter(k + 4, 1 << 16);
        }

        static boolean supports(GroupKeys keys) {
            return keys.writable();
        }

        /**
         * The chunk of {@code n} rows {@code order[first ..]} of {@code values} (rows of {@code width} doubles), under
         * {@code key}, or under a one-number key's {@code bits} where {@code key} is null ({@link GroupKeys#byBits}).
         */
        UnsafeRow write(Object[] key, long bits, long hash, long bad, String firstBad, double[] values, int[] order,
                        int first, int n, int width) {
            return write(key, bits, hash, bad, firstBad, values, order, first, n, width, width);
        }

        /**
         * {@link #write}, the chunk's {@code i}-th row being the {@code width} doubles at {@code values[order[first + i] * stride]}
         * ({@code stride} 1: {@code order} holds offsets in doubles; {@link RadixChunks}).
         */
        UnsafeRow write(Object[] key, long bits, long hash, long bad, String firstBad, double[] values, int[] order,
                        int first, int n, int width, int stride) {
            w.reset();
            w.zeroOutNullBytes();
            if (key == null) keys.writeBits(w, bits);
            else keys.write(w, key);
            w.write(hashColumn(k), hash);
            w.write(badColumn(k), bad);
            if (firstBad == null) w.setNullAt(firstBadColumn(k));
            else w.write(firstBadColumn(k), UTF8String.fromString(firstBad));
            // UnsafeArrayData's layout (as fromPrimitiveArray writes it): the element count, the null bits (none), the doubles.
            int length = n * width;
            int header = UnsafeArrayData.calculateHeaderPortionInBytes(length);
            int size = header + 8 * length;
            int start = w.cursor();
            w.grow(size);
            byte[] buf = w.getBuffer();
            Platform.putLong(buf, start, length);
            for (int b = 8; b < header; b += 8) Platform.putLong(buf, start + b, 0L);
            long at = start + header;
            long rowBytes = 8L * width;
            long strideBytes = 8L * stride;
            for (int i = 0; i < n; i++) {
                Platform.copyMemory(values, Platform.DOUBLE_ARRAY_OFFSET + strideBytes * order[first + i], buf, at, rowBytes);
                at += rowBytes;
            }
            w.increaseCursor(size);
            w.setOffsetAndSizeFromPreviousCursor(valuesColumn(k), start);
            return w.getRow();
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
         * A one-number key's (a long, int or double column's) 64 bits ({@code doubleToLongBits}, as
         * {@link #sameKey} compares doubles), a null key's {@code 0x7ff8dead}; 0 for other keys. Equal
         * keys have equal bits.
         */
        long bits(InternalRow r) {
            if (types.length != 1 || kinds[0] > DOUBLE) return 0;
            if (r.isNullAt(0)) return 0x7ff8deadL;
            return switch (kinds[0]) {
                case LONG -> r.getLong(0);
                case INT -> r.getInt(0);
                default -> Double.doubleToLongBits(r.getDouble(0));
            };
        }

        int size() {
            return types.length;
        }

        /** Are the key's columns all longs, ints, doubles or strings (what {@link #write} writes)? */
        boolean writable() {
            for (byte kind : kinds) if (kind > STRING) return false;
            return true;
        }

        /** {@code key} (a {@link #copyKey}, of {@link #writable} types) into the first columns of {@code w}'s row. */
        void write(UnsafeRowWriter w, Object[] key) {
            for (int i = 0; i < key.length; i++) {
                Object v = key[i];
                if (v == null) {
                    w.setNullAt(i);
                    continue;
                }
                switch (kinds[i]) {
                    case LONG -> w.write(i, (long) (Long) v);
                    case INT -> w.write(i, (int) (Integer) v);
                    case DOUBLE -> w.write(i, (double) (Double) v);
                    default -> w.write(i, (UTF8String) v);
                }
            }
        }

        /** The key of these {@link #bits} (where {@link #byBits} holds) into column 0 of {@code w}'s row: {@link #fromBits}, unboxed. */
        void writeBits(UnsafeRowWriter w, long bits) {
            switch (kinds[0]) {
                case LONG -> w.write(0, bits);
                case INT -> w.write(0, (int) bits);
                default -> w.write(0, Double.longBitsToDouble(bits));
            }
        }

        /** Is the key one number (a long, int or double column): is a non-null key decided by its {@link #bits}? */
        boolean oneNumber() {
            return types.length == 1 && kinds[0] <= DOUBLE;
        }

        /** Is a key of these {@link #bits} decided by them: a one-number key, not null (and not null's bits)? */
        boolean byBits(long bits) {
            return types.length == 1 && kinds[0] <= DOUBLE && bits != 0x7ff8deadL;
        }

        /** The key whose {@link #bits} are {@code bits}, where {@link #byBits} holds: what {@link #copyKey} gives. */
        Object[] fromBits(long bits) {
            return new Object[] {switch (kinds[0]) {
                case LONG -> Long.valueOf(bits);
                case INT -> Integer.valueOf((int) bits);
                default -> Double.valueOf(Double.longBitsToDouble(bits));
            }};
        }

        /**
         * Does row {@code r}'s key (its first columns) equal {@code key}? As {@code equals} of Spark's
         * internal values, without boxing the row's value for the common key types.
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

        /**
         * Row {@code r}'s key, as values that outlive the row (Spark's rows share buffers). The common
         * types by their own getters: {@code get(i, type)} finds its reader by the type on every call, and
         * a map task copies a key per group each time its buffer fills.
         */
        Object[] copyKey(InternalRow r) {
            Object[] key = new Object[types.length];
            for (int i = 0; i < key.length; i++) {
                if (r.isNullAt(i)) continue;
                key[i] = switch (kinds[i]) {
                    case LONG -> Long.valueOf(r.getLong(i));
                    case INT -> Integer.valueOf(r.getInt(i));
                    case DOUBLE -> Double.valueOf(r.getDouble(i));
                    case STRING -> r.getUTF8String(i).clone();
                    default -> copy(r.get(i, types[i]));
                };
            }
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
