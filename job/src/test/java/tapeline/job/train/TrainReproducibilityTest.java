package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.engine.train.GradientSums;
import tapeline.job.config.TrainConfig;
import tapeline.job.testing.SparkSuite;

/**
 * The train job's guarantee, end to end on local Spark: the same rows and the same config give the
 * same bits, whatever the files they come in (order, number, split size) and whatever happens to a
 * task. On {@code local[2,2]} a task may fail once and be retried.
 */
class TrainReproducibilityTest extends SparkSuite {

    /** Armed by the retry test: the first attempt of partition 1 of the next pass fails after two buckets. */
    static final AtomicBoolean ARMED = new AtomicBoolean();
    static final AtomicInteger FAILED = new AtomicInteger();

    @TempDir
    Path dir;
    List<String> lines;

    @Override
    public SparkConf conf() {
        return super.conf().setMaster("local[2,2]"); // two threads, up to two attempts per task
    }

    @BeforeEach
    void linearData() {
        Random r = new Random(23);
        lines = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            double x0 = Math.round(r.nextGaussian() * 1e4) / 1e4;
            double x1 = Math.round(r.nextGaussian() * 1e4) / 1e4;
            double x2 = i % 50 == 0 ? 0.0 : Math.round(r.nextGaussian() * 1e4) / 1e4;
            double y = 0.5 + 2 * x0 - x1 + 0.5 * x2 + 0.01 * r.nextGaussian();
            lines.add(String.format(Locale.ROOT, "%.6f,%s,%s,%s", y, x0, x1, x2));
        }
        for (int i = 0; i < 100; i++) lines.add(lines.get(i % 7)); // repeated rows
    }

    String[] job(Path input, Path out, String... extra) {
        String[] base = {"job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]", "optimizer = adam",
                "optimizer.learning_rate = 0.05", "steps = 15", "input.path = " + input, "output.path = " + out};
        return new String[] {config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new)).toString()};
    }

    Map<String, Long> paramBits(Path out) {
        Map<String, Long> m = new HashMap<>();
        for (Row r : spark().read().parquet(out.resolve("params").toString()).collectAsList()) {
            m.put(r.getString(0), Double.doubleToRawLongBits(r.getDouble(1)));
        }
        return m;
    }

    List<Row> history(Path out) {
        return spark().read().parquet(out.resolve("history").toString()).orderBy("step").collectAsList();
    }

    @Test
    void theSameRowsShuffledAndSplitIntoOtherFilesGiveTheSameBits() throws Exception {
        Path one = csv(dir.resolve("one.csv"), "y,x0,x1,x2", lines);
        Path many = Files.createDirectories(dir.resolve("many"));
        List<String> shuffled = new ArrayList<>(lines);
        Collections.shuffle(shuffled, new Random(5));
        csv(many.resolve("a.csv"), "y,x0,x1,x2", shuffled.subList(0, 100));
        csv(many.resolve("b.csv"), "y,x0,x1,x2", shuffled.subList(100, 777));
        csv(many.resolve("c.csv"), "y,x0,x1,x2", shuffled.subList(777, shuffled.size()));

        Run a = main(job(one, dir.resolve("out-one")));
        Run b = main(job(many, dir.resolve("out-many"), "input.format = csv"));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(a.out()).contains("2 partitions\n"); // one read, balanced to local[2]'s two cores
        assertThat(b.out()).containsPattern("[2-9] partitions\n"); // Spark may pack small files together
        assertThat(paramBits(dir.resolve("out-many"))).isEqualTo(paramBits(dir.resolve("out-one")));
        assertThat(history(dir.resolve("out-many"))).isEqualTo(history(dir.resolve("out-one")));
    }

    @Test
    void anotherSplitSizeGivesTheSameBits() {
        Path in = csv(dir.resolve("in.csv"), "y,x0,x1,x2", lines);
        Run a = main(job(in, dir.resolve("whole")));
        Run b;
        spark().conf().set("spark.sql.files.maxPartitionBytes", "8000"); // ~45 kB of CSV: six splits
        try {
            b = main(job(in, dir.resolve("split")));
        } finally {
            spark().conf().unset("spark.sql.files.maxPartitionBytes");
        }
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(a.out()).contains("2 partitions\n"); // one read, balanced to local[2]'s two cores
        assertThat(b.out()).containsPattern("[4-9] partitions\n"); // six reads, balanced
        assertThat(paramBits(dir.resolve("split"))).isEqualTo(paramBits(dir.resolve("whole")));
        assertThat(history(dir.resolve("split"))).isEqualTo(history(dir.resolve("whole")));
    }

    @Test
    void aTaskThatFailsMidPassAndIsRetriedGivesTheSameBits() throws Exception {
        Path in = csv(dir.resolve("in.csv"), "y,x0,x1,x2", lines);
        TrainConfig c = TrainConfig.load(Path.of(job(in, dir.resolve("unused"), "partitions = 3")[0]), List.of());
        TrainJob.Prepared p = TrainJob.prepare(spark(), c);
        JavaRDD<ColumnBlock> blocks = TrainJob.cache(spark(), p);
        try {
            // The same cached buckets, read through a task that dies after two of them on its first attempt.
            JavaRDD<ColumnBlock> flaky = blocks.mapPartitions(BlowUp::new);
            double[] params = {0.1, -0.2, 0.3, 0.7};
            GradientSums clean = new GradientPass(spark().sparkContext(), blocks, p.model(), 1.0, 0, 2).pass(params, 0);
            ARMED.set(true);
            GradientSums retried = new GradientPass(spark().sparkContext(), flaky, p.model(), 1.0, 0, 2).pass(params, 0);
            assertThat(FAILED.get()).as("one attempt failed and was retried").isEqualTo(1);
            assertThat(retried.count()).isEqualTo(lines.size());
            assertThat(Double.doubleToRawLongBits(retried.lossSum())).isEqualTo(Double.doubleToRawLongBits(clean.lossSum()));
            for (int k = 0; k < params.length; k++) {
                assertThat(Double.doubleToRawLongBits(retried.gradientSum()[k]))
                        .isEqualTo(Double.doubleToRawLongBits(clean.gradientSum()[k]));
            }
        } finally {
            ARMED.set(false);
            blocks.unpersist(true);
        }
    }

    /** Hands out a partition's blocks; on partition 1's first attempt, while armed, throws after two. */
    static final class BlowUp implements Iterator<ColumnBlock> {
        private final Iterator<ColumnBlock> in;
        private int given;

        BlowUp(Iterator<ColumnBlock> in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            return in.hasNext();
        }

        @Override
        public ColumnBlock next() {
            TaskContext tc = TaskContext.get();
            if (given++ == 2 && tc.partitionId() == 1 && tc.attemptNumber() == 0 && ARMED.compareAndSet(true, false)) {
                FAILED.incrementAndGet();
                throw new IllegalStateException("failing the first attempt mid-pass on purpose");
            }
            return in.next();
        }
    }
}
