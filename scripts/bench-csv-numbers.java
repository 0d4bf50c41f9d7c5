// CSV output of doubles, three ways, in one JVM, interleaved (scripts/bench-csv-numbers.sh runs it):
//   spark   Spark's own CSV writer on double columns (it calls Double.toString: FloatingDecimal on JDK 17)
//   cast    the columns cast to string by Spark SQL first (Spark's own conversion)
//   schub   the columns formatted by Schubfach (jackson-core's DoubleToDecimal) in a UDF first (tapeline's way)
// Prints each way's wall and the JVM's CPU per written double. Same data for every way (rand with a seed).
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

public class BenchCsvNumbers {
    public static void main(String[] args) {
        long rows = Long.parseLong(args[0]);
        int columns = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        String dir = args[3];
        // The source launcher's classes (the UDF's lambda) live in its own loader: Spark's executor must see it.
        Thread.currentThread().setContextClassLoader(BenchCsvNumbers.class.getClassLoader());
        SparkSession spark = SparkSession.builder().master("local[1]").appName("bench-csv-numbers")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate();
        List<Column> cols = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            // fitted values' sizes: a random mantissa times 10^(-3..3)
            cols.add(functions.rand(c).minus(0.5).multiply(functions.pow(functions.lit(10.0), functions.floor(functions.rand(100 + c).multiply(7)).minus(3))).as("v" + c));
        }
        Dataset<Row> data = spark.range(0, rows, 1, 1).select(cols.toArray(Column[]::new)).cache();
        data.count();
        UserDefinedFunction schub = functions.udf((UDF1<Double, String>) v -> v == null ? null : DoubleToDecimal.toString(v), DataTypes.StringType);
        var bean = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String[] ways = {"spark", "cast", "schub"};
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            for (String way : ways) {
                Dataset<Row> f = switch (way) {
                    case "spark" -> data;
                    case "cast" -> data.select(java.util.Arrays.stream(data.columns()).map(n -> functions.col(n).cast("string").as(n)).toArray(Column[]::new));
                    default -> data.select(java.util.Arrays.stream(data.columns()).map(n -> schub.apply(functions.col(n)).as(n)).toArray(Column[]::new));
                };
                long cpu0 = bean.getProcessCpuTime();
                long t0 = System.nanoTime();
                f.write().mode("overwrite").option("header", "true").csv(dir + "/" + way);
                long wall = System.nanoTime() - t0;
                long cpu = bean.getProcessCpuTime() - cpu0;
                if (round > 0) {
                    System.out.printf("round %d %-5s wall %6.3f s  cpu %6.3f s  cpu_ns/double %6.1f%n", round, way, wall / 1e9, cpu / 1e9,
                            (double) cpu / (rows * columns));
                }
            }
        }
        spark.stop();
    }
}
