package tapeline.job.tools;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes {@code groups x rows} rows of grouped regression data as Parquet, seeded, for the grouped
 * train's benchmark and trials, and the first {@code sample} groups again as CSV (for scipy):
 * <pre>
 *   java -cp 'job/target/tapeline-job-0.1.0-SNAPSHOT.jar:job/target/lib/*' tapeline.job.tools.GenerateGroups \
 *       /tmp/groups 100000 200 5 linear 200
 * </pre>
 * Columns: {@code g} (the group, a long), {@code y}, {@code x0 .. x(features-1)}. Group {@code g}'s
 * true parameters are {@code b = sin(g)}, {@code w_j = cos(g + j)}; {@code linear}: {@code y} is
 * {@code b + w.x} plus normal noise of 0.1; {@code logistic}: {@code y} is 1 with probability
 * {@code sigmoid(b + w.x)}, else 0. Rows are in random order. Writes {@code OUTPUT/data} and
 * {@code OUTPUT/sample.csv} (a directory of CSV parts); an existing output is an error.
 */
public final class GenerateGroups {
    private GenerateGroups() {
    }

    public static void main(String[] args) {
        if (args.length != 6) {
            System.err.println("usage: GenerateGroups OUTPUT GROUPS ROWS_PER_GROUP FEATURES linear|logistic SAMPLE_GROUPS");
            System.exit(2);
        }
        String out = args[0];
        long groups = Long.parseLong(args[1]);
        long rows = Long.parseLong(args[2]);
        int features = Integer.parseInt(args[3]);
        boolean logistic = args[4].equals("logistic");
        long sample = Long.parseLong(args[5]);
        SparkSession spark = SparkSession.builder().appName("tapeline: generate groups")
                .master(System.getProperty("spark.master", "local[*]")).getOrCreate();
        try {
            Dataset<Row> d = spark.range(groups * rows).withColumn("g", col("id").mod(groups));
            Column margin = org.apache.spark.sql.functions.sin(col("g"));
            for (int j = 0; j < features; j++) {
                d = d.withColumn("x" + j, randn(17 + j));
                margin = margin.plus(org.apache.spark.sql.functions.cos(col("g").plus(j)).multiply(col("x" + j)));
            }
            Column y = logistic ? when(rand(5).lt(lit(1).divide(lit(1).plus(exp(margin.multiply(-1))))), 1.0).otherwise(0.0)
                    : margin.plus(randn(5).multiply(0.1));
            d = d.withColumn("y", y).withColumn("order", rand(99)).orderBy("order");
            Column[] cols = new Column[features + 2];
            cols[0] = col("g");
            cols[1] = col("y");
            for (int j = 0; j < features; j++) cols[j + 2] = col("x" + j);
            d = d.select(cols);
            d.write().mode(SaveMode.ErrorIfExists).parquet(out + "/data");
            spark.read().parquet(out + "/data").where(col("g").lt(sample)).coalesce(1)
                    .write().mode(SaveMode.ErrorIfExists).option("header", "true").csv(out + "/sample.csv");
        } finally {
            spark.stop();
        }
    }
}
