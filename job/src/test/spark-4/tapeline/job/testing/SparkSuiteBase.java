package tapeline.job.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark 4 side of the test seam between the Spark lines ({@code src/test/spark-3.5} holds the
 * other, with the same methods). spark-testing-base has no build for Spark 4 (its release list for
 * Scala 2.13 ends at Spark 3.3.1), so here the shared session is a plain one and the DataFrame
 * assertion is JUnit's {@code assertEquals} over the schema and the collected rows.
 */
public abstract class SparkSuiteBase {
    private static SparkSession session;

    /** The suite's Spark configuration ({@link SparkSuite} sets {@code local[2]} on loopback). */
    public abstract SparkConf conf();

    /** Kept for the same overrides on both lines; no Hive on this one either. */
    public boolean enableHiveSupport() {
        return false;
    }

    /** The shared session, started by {@link #runBefore()}. */
    public SparkSession spark() {
        return session;
    }

    /** Starts the shared session unless it runs. */
    public void runBefore() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().config(conf()).getOrCreate();
        }
    }

    /** Stops the shared session: one SparkContext per JVM, so the next class starts its own. */
    public static void runAfterClass() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }

    /**
     * Same schema, same rows in the same order. {@link Row#equals} compares cells with {@code ==}
     * (and NaN equal to NaN), as spark-testing-base's {@code assertDataFrameEquals} does on the 3.5 line.
     */
    public void assertSameFrame(Dataset<Row> expected, Dataset<Row> actual) {
        assertEquals(expected.schema(), actual.schema(), "schema");
        assertEquals(expected.collectAsList(), actual.collectAsList(), "rows");
    }
}
