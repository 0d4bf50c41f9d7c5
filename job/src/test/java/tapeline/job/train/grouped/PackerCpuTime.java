package tapeline.job.train.grouped;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.columns.Cell;

/**
 * The map side's packing alone, without Spark: a task's rows (a long key, its xxhash64, {@code width} doubles; in
 * random order over the groups) fed to the probed table ({@link GroupPacker#probed}) and to the radix partition
 * ({@link RadixChunks}), each chunk read as the exchange would get it; CPU time of this thread per row, the two
 * alternated, the median of the rounds. Not a test (no timed assertion): a bench (BENCHMARKS.md, issue 21).
 *
 * <pre>
 * java -cp job/target/test-classes:job/target/classes:'job/target/lib/*' tapeline.job.train.grouped.PackerCpuTime [rows] [groups] [rounds] [ways]
 * </pre>
 * ways: 2 (probed, radix) or up to 6 (radix with other buckets x rows a page too).
 * <pre>
 * </pre>
 */
public final class PackerCpuTime {
    private PackerCpuTime() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int groups = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        int width = 5;
        Random r = new Random(21);
        long[] keys = new long[n];
        long[] hashes = new long[n];
        double[] values = new double[n * width];
        for (int i = 0; i < n; i++) {
            keys[i] = r.nextInt(groups);
            hashes[i] = XXH64.hashLong(keys[i], 42);
        }
        for (int i = 0; i < values.length; i++) values[i] = r.nextGaussian();
        StructType schema = new StructType().add("g", DataTypes.LongType);
        List<Cell> cells = new java.util.ArrayList<>();
        for (int c = 0; c < width; c++) cells.add(Cell.scalar(c, "x" + c));   // read by the feed, not by these cells
        GroupPacker packer = new GroupPacker(schema, new DataType[] {DataTypes.LongType}, 0, cells, GroupPacker.BUDGET,
                GroupPacker.CHUNK, new LongAccumulator());
        GroupPacker probed = packer.probed();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        // the probed table, then the radix partition with its most buckets and rows a page: the default, then others
        int[][] layouts = {{0, 0}, {RadixChunks.BUCKETS, RadixChunks.PAGE_ROWS}, {128, 256}, {512, 256}, {1024, 128}, {256, 64}};
        int ways = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        double[][] us = new double[ways][rounds];
        long[] check = new long[ways];
        GroupPacker.GroupKeys longKey = new GroupPacker.GroupKeys(new DataType[] {DataTypes.LongType});
        for (int round = -2; round < rounds; round++) {   // two rounds of warm-up
            for (int which = 0; which < ways; which++) {
                int[] layout = layouts[which];
                long t0 = mx.getCurrentThreadCpuTime();
                ArrayFeed feed = new ArrayFeed(keys, hashes, values, width);
                Iterator<InternalRow> it = which == 0 ? probed.chunks(feed) : new RadixChunks(feed, longKey, width,
                        GroupPacker.BUDGET, GroupPacker.CHUNK, new LongAccumulator(), layout[0], layout[1]);
                long sum = 0;
                while (it.hasNext()) sum += it.next().getArray(GroupPacker.valuesColumn(1)).numElements();
                long t1 = mx.getCurrentThreadCpuTime();
                check[which] = sum;
                if (round >= 0) us[which][round] = (t1 - t0) / 1e3 / n;
            }
        }
        for (long c : check) if (c != (long) n * width) throw new AssertionError(Arrays.toString(check) + " values");
        for (int which = 0; which < ways; which++) {
            double[] s = us[which].clone();
            Arrays.sort(s);
            String label = which == 0 ? "probed" : "radix " + layouts[which][0] + "x" + layouts[which][1];
            StringBuilder all = new StringBuilder();
            for (double u : us[which]) all.append(String.format(" %.4f", u));
            System.out.printf("%-16s %d rows, %d groups: CPU %.4f us a row (median of %d:%s)%n", label, n, groups,
                    s[rounds / 2], rounds, all);
        }
    }

    /** Rows out of arrays, as a batch feed gives them: the hashes known ahead. */
    static final class ArrayFeed extends GroupPacker.Feed {
        final long[] keys;
        final long[] hashes;
        final double[] values;
        final int width;
        final SpecificInternalRow key = new SpecificInternalRow(new StructType().add("g", DataTypes.LongType));
        int row = -1;

        ArrayFeed(long[] keys, long[] hashes, double[] values, int width) {
            this.keys = keys;
            this.hashes = hashes;
            this.values = values;
            this.width = width;
        }

        @Override
        boolean advance() {
            if (++row >= keys.length) return false;
            key.setLong(0, keys[row]);
            return true;
        }

        @Override
        InternalRow key() {
            return key;
        }

        @Override
        long hash() {
            return hashes[row];
        }

        @Override
        long hashAhead(int d) {
            return row + d < hashes.length ? hashes[row + d] : hashes[row];
        }

        @Override
        String values(double[] into, int at) {
            for (int c = 0; c < width; c++) {
                double d = values[row * width + c];
                if (!Double.isFinite(d)) return "not finite";
                into[at + c] = d;
            }
            return null;
        }
    }
}
