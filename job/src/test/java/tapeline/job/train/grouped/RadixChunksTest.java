package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.LongUnaryOperator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * {@link RadixChunks} (a one-number key's rows by a radix partition of each flush) against the rows as they were
 * fed (the independent truth: each group's good rows, bad rows counted) and against the probed table
 * ({@link GroupPacker#probed}, the path before it): the same rows per group (as multisets across flushes; in arrival
 * order and with the same first bad reason when one flush holds everything), chunks of at most {@code chunkRows} rows,
 * the pool within its budget. Edge cases: one giant group, every row one key, null keys (and a key whose bits are the
 * null's marker), many groups of one row, all-bad groups, hashes that tie or all fall in one bucket, budgets from
 * one row to more than the input, int, long and double keys.
 */
class RadixChunksTest {
    static final int WIDTH = 2;

    record Chunk(String key, long hash, long bad, String firstBad, double[] values) {}

    /** Rows of (key, x0, x1, _hash); x0 null or NaN in about one row in {@code badEvery} (a bad row). */
    static List<InternalRow> rows(Random r, DataType keyType, int n, int keys, double nullKeys, int badEvery,
                                  LongUnaryOperator hash, boolean giant) {
        List<InternalRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object key;
            long bits;
            if (r.nextDouble() < nullKeys) {
                key = null;
                bits = 0x7ff8deadL;
            } else {
                long k = giant && r.nextBoolean() ? 7 : r.nextInt(keys);
                if (keyType == DataTypes.LongType) {
                    k = k == 3 ? 0x7ff8deadL : k * 1_000_003L;   // key 3: a real key with the null's marker bits
                    key = k;
                    bits = k;
                } else if (keyType == DataTypes.IntegerType) {
                    key = (int) k - 5;
                    bits = (int) k - 5;
                } else {
                    double d = k == 0 ? -0.0 : k == 1 ? 0.0 : k * 0.37;
                    key = d;
                    bits = Double.doubleToLongBits(d);
                }
            }
            Object x0 = Double.valueOf(r.nextGaussian());
            if (badEvery > 0 && r.nextInt(badEvery) == 0) x0 = r.nextBoolean() ? null : Double.valueOf(Double.NaN);
            rows.add(new GenericInternalRow(new Object[] {key, x0, (double) i, key == null ? 42L : hash.applyAsLong(bits)}));
        }
        return rows;
    }

    static StructType schema(DataType keyType) {
        return new StructType().add("_group_0", keyType, true).add("x0", DataTypes.DoubleType, true)
                .add("x1", DataTypes.DoubleType, true).add("_hash", DataTypes.LongType, false);
    }

    static GroupPacker packer(DataType keyType, int budget, int chunkRows) {
        return new GroupPacker(schema(keyType), new DataType[] {keyType}, 3,
                List.of(Cell.scalar(1, "x0"), Cell.scalar(2, "x1")), budget, chunkRows, new LongAccumulator());
    }

    static List<Chunk> chunks(Iterator<InternalRow> it, DataType keyType) {
        List<Chunk> out = new ArrayList<>();
        while (it.hasNext()) {
            InternalRow c = it.next();   // the writer's row is reused: read it now
            String key = c.isNullAt(0) ? "null" : String.valueOf(c.get(0, keyType));
            ArrayData v = c.getArray(GroupPacker.valuesColumn(1));
            out.add(new Chunk(key, c.getLong(GroupPacker.hashColumn(1)), c.getLong(GroupPacker.badColumn(1)),
                    c.isNullAt(GroupPacker.firstBadColumn(1)) ? null : c.getUTF8String(GroupPacker.firstBadColumn(1)).toString(),
                    v.toDoubleArray()));
        }
        return out;
    }

    /** Per group: its rows' values (as "x0,x1" bit strings) in the order the chunks give them, its bad rows, its first bad reasons. */
    record Group(List<String> rows, long bad, List<String> firstBad, long hash) {}

    static Map<String, Group> byGroup(List<Chunk> chunks, int chunkRows) {
        Map<String, Group> m = new TreeMap<>();
        for (Chunk c : chunks) {
            assertThat(c.values().length % WIDTH).isZero();
            assertThat(c.values().length / WIDTH).isLessThanOrEqualTo(chunkRows);
            Group g = m.computeIfAbsent(c.key(), k -> new Group(new ArrayList<>(), 0, new ArrayList<>(), c.hash()));
            assertThat(c.hash()).as("one hash a group").isEqualTo(g.hash());
            for (int i = 0; i < c.values().length; i += WIDTH) g.rows().add(row(c.values()[i], c.values()[i + 1]));
            if (c.firstBad() != null) g.firstBad().add(c.firstBad());
            assertThat(c.bad() > 0).isEqualTo(c.firstBad() != null);
            m.put(c.key(), new Group(g.rows(), g.bad() + c.bad(), g.firstBad(), g.hash()));
        }
        return m;
    }

    static String row(double x0, double x1) {
        return Long.toHexString(Double.doubleToRawLongBits(x0)) + "," + Long.toHexString(Double.doubleToRawLongBits(x1));
    }

    /** The truth from the rows themselves: each group's good rows in arrival order and its bad rows' count. */
    static Map<String, Group> expected(List<InternalRow> rows, DataType keyType) {
        Map<String, Group> m = new TreeMap<>();
        Map<String, long[]> bad = new HashMap<>();
        for (InternalRow r : rows) {
            String key = r.isNullAt(0) ? "null" : String.valueOf(r.get(0, keyType));
            Group g = m.computeIfAbsent(key, k -> new Group(new ArrayList<>(), 0, new ArrayList<>(), r.getLong(3)));
            boolean isBad = r.isNullAt(1) || !Double.isFinite(r.getDouble(1));
            if (isBad) bad.computeIfAbsent(key, k -> new long[1])[0]++;
            else g.rows().add(row(r.getDouble(1), r.getDouble(2)));
        }
        Map<String, Group> out = new TreeMap<>();
        m.forEach((k, g) -> out.put(k, new Group(g.rows(), bad.getOrDefault(k, new long[1])[0], List.of(), g.hash())));
        return out;
    }

    static List<String> sorted(List<String> l) {
        List<String> s = new ArrayList<>(l);
        s.sort(null);
        return s;
    }

    void check(List<InternalRow> rows, DataType keyType, int budget, int chunkRows, String tag) {
        GroupPacker p = packer(keyType, budget, chunkRows);
        Iterator<InternalRow> radixIt = p.call(rows.iterator());
        assertThat((Object) radixIt).as(tag).isInstanceOf(RadixChunks.class);
        Map<String, Group> radix = byGroup(chunks(radixIt, keyType), chunkRows);
        Map<String, Group> probed = byGroup(chunks(p.probed().call(rows.iterator()), keyType), chunkRows);
        Map<String, Group> truth = expected(rows, keyType);
        assertThat(radix.keySet()).as(tag).isEqualTo(truth.keySet());
        assertThat(probed.keySet()).as(tag).isEqualTo(truth.keySet());
        // Both paths hold every row in one flush here (the pages' partly filled ends included): the same rows in the same order.
        boolean oneFlush = budget >= 1 << 20 && rows.size() <= 25_000;
        for (String k : truth.keySet()) {
            Group want = truth.get(k);
            Group got = radix.get(k);
            assertThat(got.hash()).as(tag + " " + k).isEqualTo(want.hash());
            assertThat(got.bad()).as(tag + " bad rows of " + k).isEqualTo(want.bad());
            assertThat(got.firstBad().isEmpty()).as(tag + " " + k).isEqualTo(want.bad() == 0);
            assertThat(sorted(got.rows())).as(tag + " rows of " + k).isEqualTo(sorted(want.rows()));
            assertThat(sorted(got.rows())).as(tag + " rows of " + k + ", probed").isEqualTo(sorted(probed.get(k).rows()));
            assertThat(probed.get(k).bad()).isEqualTo(want.bad());
            if (oneFlush) {
                assertThat(got.rows()).as(tag + " " + k + " in arrival order").isEqualTo(want.rows());
                assertThat(got.firstBad()).as(tag + " " + k).isEqualTo(probed.get(k).firstBad());
                assertThat(got.firstBad()).hasSizeLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void theRadixPartitionGivesEachGroupItsRowsAsTheProbedTableDoes() {
        Random r = new Random(21);
        LongUnaryOperator mix = b -> {
            long h = b * 0x9E3779B97F4A7C15L;
            return h ^ (h >>> 31);
        };
        LongUnaryOperator[] hashes = {mix, b -> Math.floorMod(b, 3), b -> 5L, b -> mix.applyAsLong(b) >>> 20, b -> -1L - (b & 7)};
        DataType[] types = {DataTypes.LongType, DataTypes.IntegerType, DataTypes.DoubleType};
        int trials = 0;
        for (int t = 0; t < 120; t++) {
            DataType type = types[t % 3];
            LongUnaryOperator hash = hashes[(t / 3) % hashes.length];
            int n = r.nextInt(5) == 0 ? r.nextInt(5) : 1 + r.nextInt(3000);
            int keys = 1 + r.nextInt(r.nextBoolean() ? 5 : 2000);
            double nulls = r.nextInt(3) == 0 ? 0.1 : 0;
            int badEvery = r.nextInt(3) == 0 ? 0 : 2 + r.nextInt(30);
            int budget = switch (r.nextInt(4)) {
                case 0 -> 1 + r.nextInt(12);
                case 1 -> 20 + r.nextInt(400);
                case 2 -> 1 << 20;
                default -> 1000 + r.nextInt(60_000);
            };
            int chunkRows = 1 + r.nextInt(r.nextBoolean() ? 4 : 500);
            List<InternalRow> rows = rows(r, type, n, keys, nulls, badEvery, hash, r.nextInt(4) == 0);
            check(rows, type, budget, chunkRows, "trial " + t + " (" + type + ", n " + n + ", budget " + budget + ", chunk " + chunkRows + ")");
            trials++;
        }
        assertThat(trials).isEqualTo(120);
    }

    @Test
    void edgeCases() {
        Random r = new Random(5);
        LongUnaryOperator mix = b -> Long.rotateLeft(b * 0xC2B2AE3D27D4EB4FL, 29) * 0x9E3779B97F4A7C15L;
        DataType l = DataTypes.LongType;
        // every row one key, one flush and many; a budget of one row; a chunk of one row
        check(rows(r, l, 5000, 1, 0, 0, mix, false), l, 1 << 22, 8192, "one key, one flush");
        check(rows(r, l, 5000, 1, 0, 0, mix, false), l, 400, 7, "one key, many flushes");
        check(rows(r, l, 300, 1, 0, 10, mix, false), l, 1, 1, "a budget of one double");
        // one giant group among many small ones, its rows in every flush
        check(rows(r, l, 20_000, 3000, 0, 50, mix, true), l, 1 << 14, 100, "a giant group");
        // many groups of one row: every key once
        List<InternalRow> once = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) once.add(new GenericInternalRow(new Object[] {(long) i, r.nextGaussian(), 1.0, mix.applyAsLong(i)}));
        check(once, l, 1 << 23, 8192, "20,000 groups of one row");
        check(once, l, 3000, 8192, "20,000 groups of one row, many flushes");
        // only null keys; null keys and a real key whose bits are the null's marker
        check(rows(r, l, 2000, 5, 1.0, 5, mix, false), l, 1 << 20, 64, "every key null");
        check(rows(r, l, 2000, 5, 0.3, 5, mix, false), l, 1 << 20, 64, "null and 0x7ff8dead");
        // every row bad: groups of bad rows only, an empty chunk each
        check(rows(r, l, 500, 20, 0.1, 1, mix, false), l, 1 << 20, 64, "every row bad");
        // nothing
        assertThat(packer(l, 100, 10).call(List.<InternalRow>of().iterator()).hasNext()).isFalse();
    }

    @Test
    void flushesFallExactlyAtPageAndBudgetBoundaries() {
        // A budget of exactly k pages for rows that fill pages exactly: every row held, the pool never over its budget.
        LongUnaryOperator one = b -> 0L;   // every row in bucket 0
        DataType l = DataTypes.LongType;
        GroupPacker p = packer(l, 4096, 100);
        RadixChunks c = (RadixChunks) p.call(List.<InternalRow>of().iterator());
        int rowsPerFlush = 4096 / (WIDTH + 2) / c.pageRows() * c.pageRows();
        for (int n : new int[] {rowsPerFlush - 1, rowsPerFlush, rowsPerFlush + 1, 2 * rowsPerFlush, 3 * rowsPerFlush + 1}) {
            check(rows(new Random(n), l, n, 7, 0, 0, one, false), l, 4096, 100, n + " rows, " + rowsPerFlush + " a flush");
            RadixChunks it = (RadixChunks) p.call(rows(new Random(n), l, n, 7, 0, 0, one, false).iterator());
            int held = 0;
            while (it.hasNext()) {
                held += it.next().getArray(GroupPacker.valuesColumn(1)).numElements() / WIDTH;
                assertThat(it.poolDoubles()).isLessThanOrEqualTo(4096);
            }
            assertThat(held).isEqualTo(n);
        }
        // Outside a task the packer holds the floor's buffer, 8 M doubles: rows of WIDTH + 2 = 4 doubles, so 2 M rows
        // and 512 buckets of 4,096 rows, in pages of 256 rows.
        RadixChunks floor = (RadixChunks) packer(l, GroupPacker.BUDGET, GroupPacker.CHUNK).call(List.<InternalRow>of().iterator());
        assertThat(floor.buckets()).isEqualTo(512);
        assertThat(floor.pageRows()).isEqualTo(RadixChunks.PAGE_ROWS);
        assertThat(floor.poolDoubles()).isLessThanOrEqualTo(GroupPacker.FLOOR);
        // The whole budget (a task granted it), 32 M doubles: 8 M rows, so the most buckets (1,024).
        RadixChunks big = new RadixChunks(new GroupPacker.RowFeed(List.<InternalRow>of().iterator(), new CellReader(schema(l)),
                new Cell[] {Cell.scalar(1, "x0"), Cell.scalar(2, "x1")}, 3), new GroupPacker.GroupKeys(new DataType[] {l}), WIDTH,
                GroupPacker.BUDGET, GroupPacker.CHUNK, new LongAccumulator());
        assertThat(big.buckets()).isEqualTo(RadixChunks.BUCKETS).isEqualTo(1024);
        assertThat(big.pageRows()).isEqualTo(RadixChunks.PAGE_ROWS);
        assertThat(big.poolDoubles()).isLessThanOrEqualTo(GroupPacker.BUDGET);
    }

    @Test
    void otherKeysKeepTheProbedTable() {
        StructType schema = new StructType().add("a", DataTypes.StringType).add("x0", DataTypes.DoubleType)
                .add("x1", DataTypes.DoubleType).add("_hash", DataTypes.LongType);
        GroupPacker p = new GroupPacker(schema, new DataType[] {DataTypes.StringType}, 3,
                List.of(Cell.scalar(1, "x0"), Cell.scalar(2, "x1")), 100, 10, new LongAccumulator());
        assertThat((Object) p.call(List.<InternalRow>of().iterator())).isNotInstanceOf(RadixChunks.class);
    }
}
