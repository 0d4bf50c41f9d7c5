package tapeline.job.io;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import java.util.Collection;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The text of a CSV output's numbers: a double or float column becomes the shortest decimal that reads
 * back to the same bits (JDK 19+'s {@code Double.toString} text), written before Spark's CSV writer.
 * Spark's writer would box each value and call JDK 17's {@code Double.toString}
 * ({@code FloatingDecimal}), which took about an eighth of the grouped run's result stage, and whose
 * text is sometimes longer than needed ({@code 1.9999999999999998E23} for {@code 2e23}).
 * The formatter is Raffaello Giulietti's Schubfach as jackson-core ships it (2.14+, on Spark's class
 * path), the algorithm JDK 19+ itself uses. NaN and the infinities keep Java's words ({@code NaN},
 * {@code Infinity}, {@code -Infinity}), which Spark's CSV reader and its schema inference read as
 * doubles; a null stays null, so it is written as Spark writes any null.
 *
 * <pre>{@code
 * CsvNumbers.text(2e23);                                   // "2.0E23" (JDK 17: "1.9999999999999998E23")
 * Dataset<Row> csv = CsvNumbers.asText(frame, List.of()); // double/float columns as that text
 * }</pre>
 */
public final class CsvNumbers {
    private CsvNumbers() {}

    /** The shortest decimal that reads back to {@code v}'s bits, as JDK 19+'s {@code Double.toString} writes it. */
    public static String text(double v) {
        return DoubleToDecimal.toString(v);
    }

    /** The shortest decimal that reads back to {@code v}'s bits, as JDK 19+'s {@code Float.toString} writes it. */
    public static String text(float v) {
        return FloatToDecimal.toString(v);
    }

    /**
     * {@code frame} with its top-level double and float columns as text ({@link #text(double)}), same
     * names, same order; the columns {@code keep} (partition columns, whose values name directories)
     * and every other column unchanged. The frame itself when it has no such column.
     */
    public static Dataset<Row> asText(Dataset<Row> frame, Collection<String> keep) {
        StructField[] fields = frame.schema().fields();
        Column[] columns = new Column[fields.length];
        boolean any = false;
        for (int i = 0; i < fields.length; i++) {
            StructField f = fields[i];
            Column c = functions.col("`" + f.name() + "`");
            if (!keep.contains(f.name()) && f.dataType().equals(DataTypes.DoubleType)) {
                columns[i] = DOUBLE_TEXT.apply(c).as(f.name());
                any = true;
            } else if (!keep.contains(f.name()) && f.dataType().equals(DataTypes.FloatType)) {
                columns[i] = FLOAT_TEXT.apply(c).as(f.name());
                any = true;
            } else {
                columns[i] = c;
            }
        }
        return any ? frame.select(columns) : frame;
    }

    private static final UserDefinedFunction DOUBLE_TEXT = functions.udf(new DoubleText(), DataTypes.StringType);
    private static final UserDefinedFunction FLOAT_TEXT = functions.udf(new FloatText(), DataTypes.StringType);

    private static final class DoubleText implements UDF1<Double, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String call(Double v) {
            return v == null ? null : text(v.doubleValue());
        }
    }

    private static final class FloatText implements UDF1<Float, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String call(Float v) {
            return v == null ? null : text(v.floatValue());
        }
    }
}
