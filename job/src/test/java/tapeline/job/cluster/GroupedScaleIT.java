package tapeline.job.cluster;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.sum;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.Records;

/**
 * Issue #21's scale test as it reads: 1,000,000 groups x 10 rows through {@code ./submit.sh} in
 * {@code local[2]}, at the embedded JVM's default heap (no {@code -Xmx}: a quarter of the machine's
 * memory), every group accounted for: one output row per group, the rows summed, none INVALID or
 * DIVERGED, the run record's counts the same. ({@code GroupedScaleTest} runs the same at 100,000
 * groups in the unit tests' JVM.) {@code -Dtapeline.grouped.it.groups} sets the size.
 */
@Tag(StandaloneClusterIT.DEFAULT_LINE_ONLY)
class GroupedScaleIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void aMillionGroupsOfTenRowsAreEveryOneAccountedForAtTheDefaultHeap() throws Exception {
        long groups = Long.getLong("tapeline.grouped.it.groups", 1_000_000);
        long rows = 10;
        Path in = dir.resolve("in");
        Path out = dir.resolve("out");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("GroupedScaleIT data")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.range(groups * rows).withColumn("g", col("id").mod(groups)).withColumn("x0", randn(1))
                    .withColumn("y", col("x0").multiply(col("g").mod(7)).plus(randn(2).multiply(0.1)))
                    .select("g", "y", "x0").write().parquet(in.toString());
            Path conf = dir.resolve("scale.properties");
            Files.write(conf, List.of("job = train", "group.by = g", "loss = (y - (b + w * x0))^2", "variables = b, w",
                    "optimizer = lbfgs", "steps = 50", "input.path = " + in, "input.format = parquet", "output.path = " + out));
            Submission.Result r = Submission.start(REPO, dir, "grouped-scale", Map.of(),
                    List.of(conf.toString(), "--master", "local[2]")).await(Duration.ofMinutes(20));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains(groups + " groups: CONVERGED ").contains("DIVERGED 0").contains("INVALID 0");

            Row totals = spark.read().parquet(out.toString())
                    .agg(org.apache.spark.sql.functions.count("*"), countDistinct(col("g")), sum(col("rows")), sum(col("bad_rows")))
                    .first();
            assertThat(totals.getLong(0)).as("output rows").isEqualTo(groups);
            assertThat(totals.getLong(1)).as("distinct groups").isEqualTo(groups);
            assertThat(totals.getLong(2)).as("rows used").isEqualTo(groups * rows);
            assertThat(totals.getLong(3)).isZero();
            JsonNode record = Records.read(out);
            assertThat(Records.errors(record)).isEmpty();
            assertThat(record.path("rows_read").asLong()).isEqualTo(groups * rows);
            assertThat(record.path("groups").path("count").asLong()).isEqualTo(groups);
        } finally {
            spark.stop();
        }
    }
}
