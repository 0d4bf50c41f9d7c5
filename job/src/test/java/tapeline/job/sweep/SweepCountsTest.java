package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.engine.solve.LaneStatus;
import tapeline.job.config.SweepConfig;
import tapeline.job.testing.SparkSuite;

/**
 * The summary's counts ({@link SweepCounts}, counted by the tasks) against a second implementation:
 * the written output read back and grouped by status. On {@code local[2,2]} a task may fail once and
 * be retried, and one task here fails after it has emitted and counted rows: its counts must not be
 * added twice.
 */
class SweepCountsTest extends SparkSuite {

    /** Attempts that failed on purpose (the executor runs in this JVM in local mode). */
    static final AtomicInteger FAILED = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    public SparkConf conf() {
        return super.conf().setMaster("local[2,2]"); // two threads, up to two attempts per task
    }

    @Test
    void countsAreThoseOfTheCommittedOutputEvenAfterAFailedAttempt() throws Exception {
        SplittableRandom rnd = new SplittableRandom(11);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String x0 = i % 29 == 0 ? "-1" : String.valueOf(rnd.nextDouble(0.01, 4)); // -1 is unbounded: DIVERGED
            String x1 = i % 31 == 0 ? "n/a" : String.valueOf(rnd.nextDouble(-5, 5)); // text: INVALID
            lines.add(i + "," + x0 + "," + x1 + "," + rnd.nextDouble(-1, 1));
        }
        Path in = csv(dir.resolve("in.csv"), "id,x0,x1,x2", lines);
        Path out = dir.resolve("out");
        Map<String, String> raw = new LinkedHashMap<>();
        raw.put("cost", "x0 * w^2 + x1 * w + x2");
        raw.put("variables", "w");
        raw.put("optimizer", "sgd");
        raw.put("optimizer.learning_rate", "0.1");
        raw.put("steps", "400");
        raw.put("tolerance.grad", "1e-9"); // SGD contracts by |1 - 0.2 x0|: large x0 converge, small x0 run out of steps
        raw.put("block.size", "16");
        raw.put("input.path", in.toString());
        raw.put("output.path", out.toString());
        SweepConfig c = SweepConfig.parse(raw);
        SweepJob.Prepared p = SweepJob.prepare(spark(), c);

        // Partition 1's first attempt fails at its 60th row, after whole blocks have been emitted.
        AtomicInteger seen = new AtomicInteger();
        UserDefinedFunction failOnce = functions.udf((UDF1<Integer, Boolean>) id -> {
            TaskContext tc = TaskContext.get();
            if (tc.partitionId() == 1 && tc.attemptNumber() == 0 && seen.incrementAndGet() == 60) {
                FAILED.incrementAndGet();
                throw new IllegalStateException("failing the first attempt on purpose");
            }
            return true;
        }, DataTypes.BooleanType).asNondeterministic(); // else the filter is pushed below the repartition
        Dataset<Row> flaky = p.input().repartition(3).filter(failOnce.apply(functions.col("id")));
        SweepCounts counts = SweepCounts.register(spark().sparkContext());
        SweepJob.sweep(new SweepJob.Prepared(c, flaky, p.plan(), p.solver(), p.layout()), counts).write().parquet(out.toString());

        assertThat(FAILED.get()).as("an attempt failed and was retried").isEqualTo(1);
        Map<String, Long> expected = new HashMap<>();
        for (LaneStatus s : LaneStatus.values()) {
            expected.put(s.name(), 0L);
        }
        long expectedSteps = 0;
        Dataset<Row> back = spark().read().parquet(out.toString());
        for (Row r : back.groupBy("status").agg(functions.count(functions.lit(1)), functions.sum("steps")).collectAsList()) {
            expected.put(r.getString(0), r.getLong(1));
            expectedSteps += r.getLong(2);
        }
        assertThat(back.count()).isEqualTo(300);
        assertThat(expected.values()).as("every status occurs").allMatch(n -> n > 0);
        assertThat(counts.value().byStatus()).isEqualTo(expected);
        assertThat(counts.value().steps()).isEqualTo(expectedSteps);
    }

    @Test
    void copiesMergeAndResetLikeAnyAccumulator() {
        SweepCounts a = new SweepCounts();
        assertThat(a.isZero()).isTrue();
        a.count(LaneStatus.CONVERGED, 7);
        a.count(LaneStatus.INVALID, 0);
        SweepCounts b = a.copy();
        b.count(LaneStatus.DIVERGED, 3);
        a.merge(b);
        assertThat(a.value().byStatus()).containsEntry("CONVERGED", 2L).containsEntry("INVALID", 2L)
                .containsEntry("DIVERGED", 1L).containsEntry("MAX_STEPS", 0L);
        assertThat(a.value().steps()).isEqualTo(17);
        a.add(b.value());
        assertThat(a.value().rows(LaneStatus.DIVERGED)).isEqualTo(2);
        a.reset();
        assertThat(a.isZero()).isTrue();
        assertThat(b.isZero()).isFalse();
    }
}
