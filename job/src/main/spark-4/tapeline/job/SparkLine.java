package tapeline.job;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * What differs between the Spark lines tapeline builds for, and nothing else: this is the Spark 4
 * (Scala 2.13) side; {@code src/main/spark-3.5} holds the other one, with the same methods
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
     * Spark 4: {@code SparkSession} became an interface-like API class shared with Spark Connect;
     * {@code internalCreateDataFrame} moved to the in-process session, {@code sql.classic.SparkSession},
     * which is what every session of a batch job is.
     */
    public static Dataset<Row> internalDataFrame(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
        return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(rows, schema, false);
    }
}
