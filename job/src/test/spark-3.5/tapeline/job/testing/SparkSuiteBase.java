package tapeline.job.testing;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The Spark 3.5 side of the test seam between the Spark lines ({@code src/test/spark-4} holds the
 * other, with the same methods): the shared local session and the DataFrame assertion come from
 * spark-testing-base, which is published for Spark 3.5 (Scala 2.12) and not for Spark 4.
 */
public abstract class SparkSuiteBase extends JavaDataFrameSuiteBase {

    /** Same schema, same rows in the same order: spark-testing-base's {@code assertDataFrameEquals}. */
    public void assertSameFrame(Dataset<Row> expected, Dataset<Row> actual) {
        assertDataFrameEquals(expected, actual, assertDataFrameEquals$default$3());
    }
}
