package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * Row to lane, without Spark running: what goes to the engine and what is refused, with which message.
 * Rows are Spark's internal rows, made from Java values by Spark's own converter for a schema.
 */
class BlockBufferTest {

    private final SweepPlan plan = new SweepPlan(
            List.of(new SweepPlan.Input("x0", List.of(Cell.scalar(1, "x0"))),
                    new SweepPlan.Input("v", List.of(Cell.element(2, "v", 0, 2), Cell.element(2, "v", 1, 2)))),
            List.of(new SweepPlan.Init("w", 1, 0, List.of(Cell.scalar(3, "w_start")))),
            List.of(new SweepPlan.LaneArg("learning_rate", Cell.scalar(4, "lr"))));

    /** Columns id, x0, v (an array), w_start, lr of the given types. */
    private static StructType schema(DataType x0, DataType vElement, DataType start, DataType lr) {
        return new StructType().add("id", DataTypes.IntegerType).add("x0", x0)
                .add("v", DataTypes.createArrayType(vElement)).add("w_start", start).add("lr", lr);
    }

    private static final StructType NUMBERS = schema(DataTypes.DoubleType, DataTypes.DoubleType, DataTypes.DoubleType,
            DataTypes.DoubleType);
    private static final StructType TEXT = schema(DataTypes.StringType, DataTypes.StringType, DataTypes.StringType,
            DataTypes.StringType);
    private static final StructType INTEGERS = schema(DataTypes.IntegerType, DataTypes.LongType, DataTypes.ShortType,
            new DecimalType(10, 3));

    private final class Block {
        final StructType schema;
        final BlockBuffer buffer;

        Block(StructType schema, int capacity) {
            this.schema = schema;
            this.buffer = new BlockBuffer(plan, new CellReader(schema), "adam", Map.of(), capacity);
        }

        String add(Object x0, List<?> v, Object start, Object lr) {
            InternalRow row = (InternalRow) CatalystTypeConverters.createToCatalystConverter(schema)
                    .apply(RowFactory.create(7, x0, v, start, lr));
            return buffer.tryAdd(row);
        }
    }

    @Test
    void numbersTakeLanesAndBadNumbersSayWhy() {
        Block b = new Block(NUMBERS, 8);
        assertThat(b.add(1.5, List.of(1.0, 2.0), 0.25, 0.1)).isNull();
        assertThat(b.add(null, List.of(1.0, 2.0), 0.0, 0.1)).isEqualTo("column x0: missing value");
        assertThat(b.add(Double.NaN, List.of(1.0, 2.0), 0.0, 0.1)).isEqualTo("column x0: not finite: NaN");
        assertThat(b.add(Double.NEGATIVE_INFINITY, List.of(1.0, 2.0), 0.0, 0.1)).isEqualTo("column x0: not finite: -Infinity");
        assertThat(b.add(1.0, List.of(1.0), 0.0, 0.1)).isEqualTo("column v: expected an array of 2 elements, got 1");
        assertThat(b.add(1.0, Arrays.asList(1.0, null), 0.0, 0.1)).isEqualTo("column v, element 1: missing value");
        assertThat(b.add(1.0, Arrays.asList(1.0, Double.POSITIVE_INFINITY), 0.0, 0.1))
                .isEqualTo("column v, element 1: not finite: Infinity");
        assertThat(b.add(null, null, Double.NaN, 0.1))
                .isEqualTo("column x0: missing value; column v: missing value; column w_start: not finite: NaN");
        assertThat(b.add(1.0, List.of(1.0, 2.0), 0.0, -1.0)).startsWith("column lr: ").contains("learning_rate").contains("-1");
        assertThat(b.buffer.lanes()).as("refused rows take no lane").isEqualTo(1);
    }

    @Test
    void textIsReadAsPlainDecimalNumbers() {
        Block b = new Block(TEXT, 8);
        assertThat(b.add(" 2 ", List.of("3", "4e-1"), "0.25", "0.2")).isNull();
        assertThat(b.add("", List.of("1", "2"), "0", "0.1")).isEqualTo("column x0: missing value");
        assertThat(b.add("abc", List.of("1", "2"), "0", "0.1")).isEqualTo("column x0: not a number: 'abc'");
        assertThat(b.add("Inf", List.of("1", "2"), "0", "0.1")).isEqualTo("column x0: not finite: Inf");
        assertThat(b.add("1e400", List.of("1", "2"), "0", "0.1")).isEqualTo("column x0: not finite: 1e400");
        assertThat(b.add("0x1p3", List.of("1", "2"), "0", "0.1")).isEqualTo("column x0: not a number: '0x1p3'");
        assertThat(b.add("1", List.of("1", "two"), "0", "0.1")).isEqualTo("column v, element 1: not a number: 'two'");
        assertThat(b.add("x", null, "y", "0.1"))
                .isEqualTo("column x0: not a number: 'x'; column v: missing value; column w_start: not a number: 'y'");
        assertThat(b.buffer.lanes()).isEqualTo(1);
    }

    @Test
    void integerAndDecimalColumnsAreNumbers() {
        Block b = new Block(INTEGERS, 4);
        assertThat(b.add(3, List.of(4L, 5L), (short) 6, new java.math.BigDecimal("0.125"))).isNull();
        assertThat(b.buffer.lanes()).isEqualTo(1);
    }

    @Test
    void booleansAreOnlyNumbersForOptimizerArguments() {
        StructType schema = schema(DataTypes.BooleanType, DataTypes.DoubleType, DataTypes.DoubleType, DataTypes.DoubleType);
        assertThat(new Block(schema, 4).add(true, List.of(1.0, 2.0), 0.0, 0.1)).isEqualTo("column x0: not a number: 'true'");
    }

    @Test
    void aColumnThatIsNoNumberIsRefusedPerRow() {
        StructType schema = schema(DataTypes.DateType, DataTypes.DoubleType, DataTypes.DoubleType, DataTypes.DoubleType);
        assertThat(new Block(schema, 4).add(java.sql.Date.valueOf("2026-11-26"), List.of(1.0, 2.0), 0.0, 0.1))
                .isEqualTo("column x0: not a number: a date");
    }

    @Test
    void fullAndClear() {
        Block b = new Block(NUMBERS, 1);
        assertThat(b.add(1.0, List.of(1.0, 2.0), 0.0, 0.1)).isNull();
        assertThat(b.buffer.isFull()).isTrue();
        b.buffer.clear();
        assertThat(b.buffer.lanes()).isZero();
    }
}
