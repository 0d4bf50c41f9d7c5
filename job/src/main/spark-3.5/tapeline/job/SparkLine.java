package tapeline.job;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * What differs between the Spark lines tapeline builds for, and nothing else: this is the Spark 3.5
 * (Scala 2.12) side; {@code src/main/spark-4} holds the other one, with the same methods
 * (docs/spark-lines.md). The build compiles exactly one of them.
 */
public final class SparkLine {
    private SparkLine() {}

    /**
     * A DataFrame over rows in Spark's internal form, as the jobs' partition functions emit them
     * (no conversion to {@link Row} and back):
     * <pre>{@code
     * Dataset<Row> out = SparkLine.internalDataFrame(spark, rdd, schema);
     * }</pre>
     * Spark 3.5: {@code SparkSession.internalCreateDataFrame} (Scala-private, public in bytecode).
     */
    public static Dataset<Row> internalDataFrame(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
        return spark.internalCreateDataFrame(rows, schema, false);
    }
}
