package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Bitwise comparison of two runs' Parquet output: same schema, same rows, every floating-point cell
 * the same bits. Works for any job: a job's output is a list of parts (a sub-directory and the column
 * that orders its rows).
 *
 * <pre>{@code
 * SameOutput.assertIdentical(spark, embeddedOut, clusterOut, SameOutput.SWEEP);
 * }</pre>
 */
public final class SameOutput {
    private SameOutput() {}

    /** A directory of Parquet output ("" for the output path itself) and the column that orders its rows. */
    public record Part(String path, String orderBy) {}

    /** The sweep's output: one table, one row per input row ({@code id}). */
    public static final List<Part> SWEEP = List.of(new Part("", "id"));

    /** The train job's output (issue 5): {@code params} (one row per parameter) and {@code history} (per step). */
    public static final List<Part> TRAIN = List.of(new Part("params", "name"), new Part("history", "step"));

    public static void assertIdentical(SparkSession spark, Path expected, Path actual, List<Part> parts) {
        for (Part part : parts) {
            var e = spark.read().parquet(expected.resolve(part.path()).toString()).orderBy(part.orderBy());
            var a = spark.read().parquet(actual.resolve(part.path()).toString()).orderBy(part.orderBy());
            StructType schema = e.schema();
            assertThat(a.schema()).as("schema of %s", actual.resolve(part.path())).isEqualTo(schema);
            List<Row> er = e.collectAsList();
            List<Row> ar = a.collectAsList();
            assertThat(ar).as("rows of %s", actual.resolve(part.path())).hasSameSizeAs(er);
            for (int i = 0; i < er.size(); i++) {
                assertThat(bits(ar.get(i))).as("row %d of %s (expected %s, got %s)", i, part.path(), er.get(i), ar.get(i))
                        .isEqualTo(bits(er.get(i)));
            }
        }
    }

    /** A row's cells with every double and float replaced by its raw bits: equality is then bitwise. */
    private static List<Object> bits(Row r) {
        List<Object> out = new ArrayList<>(r.length());
        for (int i = 0; i < r.length(); i++) {
            out.add(bits(r.get(i)));
        }
        return out;
    }

    private static Object bits(Object cell) {
        if (cell instanceof Double d) {
            return "d" + Long.toHexString(Double.doubleToRawLongBits(d));
        }
        if (cell instanceof Float f) {
            return "f" + Integer.toHexString(Float.floatToRawIntBits(f));
        }
        if (cell instanceof scala.collection.Seq<?> seq) { // an array column
            List<Object> out = new ArrayList<>();
            scala.collection.JavaConverters.seqAsJavaList(seq).forEach(x -> out.add(bits(x)));
            return out;
        }
        return cell;
    }
}
