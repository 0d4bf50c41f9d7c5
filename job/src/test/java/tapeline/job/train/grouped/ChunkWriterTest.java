package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupPacker.ChunkWriter} (a chunk written straight as an {@code UnsafeRow}) against the second
 * implementation, {@link GroupPacker#genericChunk} (the rows copied into a {@code double[]}, then
 * {@code UnsafeArrayData.fromPrimitiveArray}) put through Spark's own {@code UnsafeProjection} as the exchange
 * does: the same bytes, for every key type the writer takes (long, int, double, string; one key, several, nulls),
 * a one-number key given by its bits, with and without bad rows, chunks of 0 to many rows and widths 1 to 9,
 * the writer's row reused from chunk to chunk.
 */
class ChunkWriterTest {

    @Test
    void theWrittenRowIsTheExchangesRowOfTheGenericChunkByteForByte() {
        DataType[][] keyTypes = {
            {DataTypes.LongType}, {DataTypes.IntegerType}, {DataTypes.DoubleType}, {DataTypes.StringType},
            {DataTypes.IntegerType, DataTypes.StringType}, {DataTypes.StringType, DataTypes.DoubleType, DataTypes.LongType},
        };
        Random r = new Random(23);
        int checked = 0;
        for (DataType[] types : keyTypes) {
            GroupPacker.GroupKeys keys = new GroupPacker.GroupKeys(types);
            assertThat(GroupPacker.ChunkWriter.supports(keys)).isTrue();
            GroupPacker.ChunkWriter writer = new GroupPacker.ChunkWriter(keys);
            StructField[] fields = new StructField[types.length];
            for (int i = 0; i < types.length; i++) fields[i] = DataTypes.createStructField("_group_" + i, types[i], true);
            UnsafeProjection exchange = UnsafeProjection.create(GroupPacker.schema(fields));
            for (int trial = 0; trial < 300; trial++) {
                int width = 1 + r.nextInt(9);
                int held = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(trial % 50 == 0 ? 3000 : 40);
                double[] values = new double[held * width + 5 * width];
                for (int i = 0; i < values.length; i++) values[i] = r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10);
                int[] order = new int[held + 3];
                for (int i = 0; i < order.length; i++) order[i] = r.nextInt(held + 5);
                int first = r.nextInt(4);
                int n = Math.min(held, order.length - first);
                Object[] key = new Object[types.length];
                for (int i = 0; i < types.length; i++) key[i] = r.nextInt(8) == 0 ? null : value(types[i], r);
                long hash = r.nextLong();
                long bad = r.nextInt(3) == 0 ? 1 + r.nextInt(5) : 0;
                String firstBad = bad > 0 ? "column y: null at row " + r.nextInt(1000) + " (é, a non-ASCII reason)" : null;

                double[] gathered = new double[n * width];
                for (int i = 0; i < n; i++) System.arraycopy(values, order[first + i] * width, gathered, i * width, width);
                UnsafeRow expected = exchange.apply(GroupPacker.genericChunk(key, hash, bad, firstBad, gathered, n * width)).copy();

                UnsafeRow got = writer.write(key, 0, hash, bad, firstBad, values, order, first, n, width);
                assertThat(got.getBytes()).isEqualTo(expected.getBytes());
                checked++;
                if (types.length == 1 && types[0] != DataTypes.StringType && key[0] != null) {
                    InternalRow keyRow = new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(key);
                    long bits = keys.bits(keyRow);
                    assertThat(keys.byBits(bits)).isTrue();
                    UnsafeRow byBits = writer.write(null, bits, hash, bad, firstBad, values, order, first, n, width);
                    assertThat(byBits.getBytes()).isEqualTo(expected.getBytes());
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(2000);
    }

    @Test
    void keysOfOtherTypesAreLeftToTheGenericChunk() {
        assertThat(GroupPacker.ChunkWriter.supports(new GroupPacker.GroupKeys(new DataType[] {DataTypes.DateType}))).isFalse();
        assertThat(GroupPacker.ChunkWriter.supports(new GroupPacker.GroupKeys(
                new DataType[] {DataTypes.LongType, DataTypes.createDecimalType(10, 2)}))).isFalse();
        assertThat(GroupPacker.ChunkWriter.supports(new GroupPacker.GroupKeys(
                new DataType[] {DataTypes.LongType, DataTypes.StringType}))).isTrue();
    }

    private static Object value(DataType t, Random r) {
        if (t == DataTypes.LongType) return r.nextLong();
        if (t == DataTypes.IntegerType) return r.nextInt();
        if (t == DataTypes.DoubleType) return r.nextInt(10) == 0 ? 0.0 : r.nextGaussian() * 1e6;
        return UTF8String.fromString("k" + r.nextInt(100000) + (r.nextBoolean() ? "-é" : "") + "x".repeat(r.nextInt(20)));
    }
}
