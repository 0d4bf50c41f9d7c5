package tapeline.job.columns;

import static org.assertj.core.api.Assertions.assertThat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * An array column read at once ({@link CellReader#readArray}) gives exactly what reading each of its
 * elements with {@link CellReader#read} gives: the same values, and the same messages in the same
 * order, for good arrays and for every kind of bad one, in every element type a sweep accepts.
 */
class CellReaderArrayTest {

    private static final List<Cell> THREE = List.of(Cell.element(1, "v", 0, 3), Cell.element(1, "v", 1, 3),
            Cell.element(1, "v", 2, 3));

    /** Both paths on one row: values (NaN where not read) and messages. */
    private record Read(List<Double> values, List<String> errors) { }

    private static InternalRow row(StructType schema, Object v) {
        return (InternalRow) CatalystTypeConverters.createToCatalystConverter(schema).apply(RowFactory.create(7, v));
    }

    private static Read perElement(CellReader r, InternalRow row) {
        double[][] into = new double[3][2];
        for (double[] c : into) Arrays.fill(c, Double.NaN);
        List<String> errors = new ArrayList<>();
        for (int k = 0; k < THREE.size(); k++) {
            try {
                into[k][1] = r.read(row, THREE.get(k), false);
            } catch (CellReader.BadCell e) {
                if (!errors.contains(e.getMessage())) errors.add(e.getMessage());
            }
        }
        return new Read(List.of(into[0][1], into[1][1], into[2][1]), errors);
    }

    private static Read atOnce(CellReader r, InternalRow row) {
        double[][] into = new double[3][2];
        for (double[] c : into) Arrays.fill(c, Double.NaN);
        List<String> errors = r.readArray(row, THREE, into, 1, null);
        return new Read(List.of(into[0][1], into[1][1], into[2][1]), errors == null ? List.of() : errors);
    }

    @Test
    void wholeArraysAreRecognisedOnlyAsElementsZeroToNInOrder() {
        assertThat(CellReader.isWholeArray(THREE)).isTrue();
        assertThat(CellReader.isWholeArray(List.of(THREE.get(1), THREE.get(0), THREE.get(2)))).isFalse();
        assertThat(CellReader.isWholeArray(THREE.subList(0, 2))).as("two of three elements").isFalse();
        assertThat(CellReader.isWholeArray(List.of(Cell.scalar(1, "v")))).isFalse();
        assertThat(CellReader.isWholeArray(List.of(Cell.element(1, "v", 0, 1)))).isTrue();
        assertThat(CellReader.isWholeArray(List.of())).isFalse();
    }

    @Test
    void doublesAtOnceAreTheNumbersAndTheMessagesOfElementByElement() {
        StructType s = schema(DataTypes.DoubleType);
        CellReader r = new CellReader(s);
        InternalRow good = row(s, List.of(1.5, -2.0, 3e-300));
        assertThat(atOnce(r, good).values()).containsExactly(1.5, -2.0, 3e-300);
        assertThat(atOnce(r, good).errors()).isEmpty();
        for (Object v : new Object[] {List.of(1.5, -2.0, 3e-300), null, List.of(1.0, 2.0), List.of(1.0, 2.0, 3.0, 4.0),
                Arrays.asList(1.0, null, 3.0), Arrays.asList(null, Double.NaN, Double.NEGATIVE_INFINITY),
                Arrays.asList(Double.POSITIVE_INFINITY, 2.0, null), List.of()}) {
            InternalRow row = row(s, v);
            assertThat(atOnce(r, row)).as(String.valueOf(v)).isEqualTo(perElement(r, row));
        }
        assertThat(atOnce(r, row(s, Arrays.asList(null, Double.NaN, 1.0))).errors())
                .containsExactly("column v, element 0: missing value", "column v, element 1: not finite: NaN");
    }

    @Test
    void otherElementTypesAtOnceAreElementByElement() {
        Object[][] cases = {
            {DataTypes.StringType, new Object[] {List.of("1.5", " 2 ", "-3e2"), Arrays.asList("1", "abc", null),
                List.of("", "NaN", "[1, 2]"), List.of("true", "1", "2")}},
            {DataTypes.LongType, new Object[] {List.of(1L, -2L, 3L), Arrays.asList(1L, null, 3L)}},
            {DataTypes.FloatType, new Object[] {List.of(1.5f, 2f, 3f), Arrays.asList(Float.NaN, 2f, null)}},
            {DataTypes.IntegerType, new Object[] {List.of(1, 2, 3), List.of(1, 2)}},
            {new DecimalType(10, 3), new Object[] {List.of(new java.math.BigDecimal("1.250"), java.math.BigDecimal.ONE,
                java.math.BigDecimal.ZERO)}},
            {DataTypes.BooleanType, new Object[] {List.of(true, false, true)}},
        };
        for (Object[] c : cases) {
            StructType s = schema((DataType) c[0]);
            CellReader r = new CellReader(s);
            for (Object v : (Object[]) c[1]) {
                InternalRow row = row(s, v);
                assertThat(atOnce(r, row)).as(c[0] + " " + v).isEqualTo(perElement(r, row));
            }
        }
        StructType text = schema(DataTypes.StringType);
        assertThat(atOnce(new CellReader(text), row(text, List.of("1.5", " 2 ", "-3e2"))).values())
                .containsExactly(1.5, 2.0, -300.0);
    }

    @Test
    void aColumnThatIsNoArrayIsOneMessage() {
        StructType s = new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.DoubleType);
        CellReader r = new CellReader(s);
        InternalRow row = row(s, 2.0);
        assertThat(atOnce(r, row)).isEqualTo(perElement(r, row));
        assertThat(atOnce(r, row).errors()).containsExactly("column v: not an array: double");
    }

    private static StructType schema(DataType element) {
        return new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.createArrayType(element));
    }
}
