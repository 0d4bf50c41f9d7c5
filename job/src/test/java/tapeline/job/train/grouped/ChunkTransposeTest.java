package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupedPartition#transpose} (a chunk's rows read in place from the shuffled row's bytes into
 * columns) against the copy it replaced ({@code toDoubleArray}, then a transpose), bit for bit
 * ({@link Double#doubleToRawLongBits}: NaN payloads, -0.0, subnormals, infinities), on chunks built as
 * the exchange holds them ({@link UnsafeRow}s of {@link GroupPacker#schema}, made by Spark's own
 * projection), for widths 1 to 7, 0 to 300 rows, written at an offset into columns that hold other rows.
 */
class ChunkTransposeTest {

    private static final double[] SPECIAL = {Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
            Double.longBitsToDouble(0xfff8000000000123L), -0.0, 0.0, Double.MIN_VALUE, -Double.MIN_NORMAL,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MAX_VALUE, 1.0, Math.nextUp(1.0)};

    @Test
    void inPlaceReadEqualsTheCopyAndTransposeBitForBit() {
        Random random = new Random(24);
        StructType schema = GroupPacker.schema(new StructField[]{
                DataTypes.createStructField("g", DataTypes.LongType, false)});
        UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
        int k = 1;
        int cases = 0;
        for (int width = 1; width <= 7; width++) {
            for (int n : new int[]{0, 1, 2, 3, 17, 64, 65, 300}) {
                double[] flat = new double[n * width];
                for (int i = 0; i < flat.length; i++) {
                    flat[i] = random.nextInt(4) == 0 ? SPECIAL[random.nextInt(SPECIAL.length)] : random.nextGaussian() * 1e3;
                }
                InternalRow generic = new GenericInternalRow(new Object[]{7L, random.nextLong(), 0L,
                        UTF8String.fromString("x"), ArrayData.toArrayData(flat)});
                UnsafeRow chunk = toUnsafe.apply(generic);
                ArrayData values = chunk.getArray(GroupPacker.valuesColumn(k));
                assertThat(values).isInstanceOf(UnsafeArrayData.class);  // the fast path is the one tested here
                int at = random.nextInt(5);
                double[][] got = filled(width, at + n + 3, random);
                double[][] want = copy(got);
                GroupedPartition.transpose(values, n, got, at);
                oldTranspose(values, n, want, at);
                assertSameBits(got, want);
                // The fallback (an array that is not the exchange's) gives the same bits too.
                double[][] fallback = copy(want);
                GroupedPartition.transpose(new GenericArrayData(values.toDoubleArray()), n, fallback, at);
                assertSameBits(fallback, want);
                // Against the values themselves, not only the old code: row i, column c is flat[i * width + c].
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < width; c++) {
                        assertThat(Double.doubleToRawLongBits(got[c][at + i])).isEqualTo(Double.doubleToRawLongBits(flat[i * width + c]));
                    }
                }
                cases++;
            }
        }
        assertThat(cases).isEqualTo(7 * 8);
    }

    /** The copy the in-place read replaced, as it was in GroupedPartition.add. */
    private static void oldTranspose(ArrayData values, int n, double[][] columns, int size) {
        int width = columns.length;
        double[] flat = values.toDoubleArray();
        for (int c = 0; c < width; c++) {
            double[] column = columns[c];
            for (int i = 0, at = c; i < n; i++, at += width) column[size + i] = flat[at];
        }
    }

    private static double[][] filled(int width, int length, Random random) {
        double[][] c = new double[width][length];
        for (double[] column : c) for (int i = 0; i < length; i++) column[i] = random.nextDouble();
        return c;
    }

    private static double[][] copy(double[][] c) {
        double[][] d = new double[c.length][];
        for (int i = 0; i < c.length; i++) d[i] = c[i].clone();
        return d;
    }

    private static void assertSameBits(double[][] got, double[][] want) {
        for (int c = 0; c < want.length; c++) {
            for (int i = 0; i < want[c].length; i++) {
                assertThat(Double.doubleToRawLongBits(got[c][i])).as("column %d row %d", c, i)
                        .isEqualTo(Double.doubleToRawLongBits(want[c][i]));
            }
        }
    }
}
