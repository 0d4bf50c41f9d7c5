package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** Held rows survive Spark's reuse of its row object, across arena growth, and blocks reuse the space. */
class HeldRowsTest {
    private static final StructType SCHEMA = new StructType().add("i", DataTypes.IntegerType)
            .add("s", DataTypes.StringType).add("d", DataTypes.DoubleType);

    /** Like a scan: one UnsafeRow object, overwritten for every row. */
    private static InternalRow scanRow(UnsafeProjection p, int i) {
        // Strings of growing length, so rows have different sizes and the arena must grow.
        return p.apply(new GenericInternalRow(new Object[] {i, UTF8String.fromString("x".repeat(i * 37)), i / 4.0}));
    }

    @Test
    void heldRowsKeepTheirValuesWhileSparkReusesItsRow() {
        UnsafeProjection p = UnsafeProjection.create(SCHEMA);
        HeldRows held = new HeldRows(64);
        for (int block = 0; block < 3; block++) {
            List<InternalRow> kept = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                InternalRow scan = scanRow(p, block * 64 + i);
                kept.add(held.hold(i, scan));
            }
            for (int i = 0; i < 64; i++) {
                int n = block * 64 + i;
                assertThat(kept.get(i).getInt(0)).isEqualTo(n);
                assertThat(kept.get(i).getUTF8String(1).toString()).isEqualTo("x".repeat(n * 37));
                assertThat(kept.get(i).getDouble(2)).isEqualTo(n / 4.0);
            }
            held.clear();
        }
    }

    @Test
    void otherRowsAreCopied() {
        HeldRows held = new HeldRows(1);
        GenericInternalRow row = new GenericInternalRow(new Object[] {1, null, 2.0});
        InternalRow kept = held.hold(0, row);
        row.setInt(0, 7);
        assertThat(kept.getInt(0)).isEqualTo(1);
    }
}
