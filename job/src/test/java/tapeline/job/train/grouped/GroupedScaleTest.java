package tapeline.job.train.grouped;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.sum;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * Many small groups through {@code local[2]} at the test JVM's heap: every group accounted for
 * exactly once, every row counted. The CI size is 100,000 groups x 10 rows; the 1,000,000
 * groups x 10 rows is the same test with {@code -Dtapeline.grouped.groups=1000000} (docs/grouped-train.md
 * gives the time it took).
 */
class GroupedScaleTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void everyOneOfManySmallGroupsIsAccountedFor() {
        long groups = Long.getLong("tapeline.grouped.groups", 100_000);
        long rows = 10;
        Path in = dir.resolve("in");
        spark().range(groups * rows).withColumn("g", col("id").mod(groups)).withColumn("x0", randn(1))
                .withColumn("y", col("x0").multiply(col("g").mod(7)).plus(randn(2).multiply(0.1)))
                .select("g", "y", "x0").write().parquet(in.toString());
        Path out = dir.resolve("out");
        Run run = main(config(dir, "job = train", "group.by = g", "loss = (y - (b + w * x0))^2", "variables = b, w",
                "optimizer = lbfgs", "steps = 50", "input.path = " + in, "input.format = parquet", "output.path = " + out).toString());
        assertThat(run.code()).as(run.err()).isZero();
        Row totals = spark().read().parquet(out.toString())
                .agg(org.apache.spark.sql.functions.count("*"), countDistinct(col("g")), sum(col("rows")), sum(col("bad_rows")))
                .first();
        assertThat(totals.getLong(0)).isEqualTo(groups);
        assertThat(totals.getLong(1)).isEqualTo(groups);
        assertThat(totals.getLong(2)).isEqualTo(groups * rows);
        assertThat(totals.getLong(3)).isZero();
        // Some groups' noise-only fits stop STALLED at their optimum (L-BFGS cannot decrease further); none fails.
        assertThat(run.out()).contains(groups + " groups: CONVERGED ").contains("DIVERGED 0").contains("INVALID 0");
    }
}
