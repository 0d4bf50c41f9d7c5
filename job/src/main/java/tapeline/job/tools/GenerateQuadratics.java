package tapeline.job.tools;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;

import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes {@code rows} random quadratics {@code x0*w^2 + x1*w + x2} with {@code x0 > 0} (so every
 * row has the minimiser {@code -x1/(2 x0)}) as Parquet, seeded, for benchmarks and trials:
 * <pre>
 *   java -cp 'job/target/tapeline-job-0.1.0-SNAPSHOT.jar:job/target/lib/*' tapeline.job.tools.GenerateQuadratics \
 *       /tmp/quadratics.parquet 1000000 42
 * </pre>
 * Columns: {@code id, x0, x1, x2}. An existing output is an error, as everywhere in tapeline.
 */
public final class GenerateQuadratics {
    private GenerateQuadratics() {
    }

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: GenerateQuadratics OUTPUT_PATH ROWS [SEED]");
            System.exit(2);
        }
        String path = args[0];
        long rows = Long.parseLong(args[1]);
        long seed = args.length == 3 ? Long.parseLong(args[2]) : 42;
        SparkSession spark = SparkSession.builder().appName("tapeline: generate quadratics")
                .master(System.getProperty("spark.master", "local[*]")).getOrCreate();
        try {
            spark.range(rows).withColumnRenamed("id", "id")
                    .withColumn("x0", rand(seed).multiply(4).plus(0.5))
                    .withColumn("x1", rand(seed + 1).multiply(20).minus(10))
                    .withColumn("x2", rand(seed + 2).multiply(10).minus(5))
                    .select(col("id"), col("x0"), col("x1"), col("x2"))
                    .write().mode(SaveMode.ErrorIfExists).parquet(path);
        } finally {
            spark.stop();
        }
    }
}
