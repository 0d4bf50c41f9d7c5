package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.Phases;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.io.OutputWriter;
import tapeline.job.testing.SparkSuite;

/**
 * The grouped train end to end on local Spark ({@code local[2,2]}: a task may be retried): each
 * group's fit against the closed-form minimiser of its regularised least squares, against the
 * reference solve of its rows alone in canonical order (bit for bit), and against {@code job = train}
 * run on its rows alone; the same bits for any order, files and partitioning; bad rows, an all-bad
 * group, a group over {@code group.max.rows}, {@code --check}.
 */
class GroupedTrainJobTest extends SparkSuite {

    static final AtomicInteger FAILED = new AtomicInteger();

    @TempDir
    Path dir;
    /** CSV lines store,sku,y,x0,x1, grouped by (store, sku). */
    List<String> lines;
    /** Sizes by key, "store|sku". */
    Map<String, Integer> sizes;

    @Override
    public SparkConf conf() {
        return super.conf().setMaster("local[2,2]");
    }

    /** Groups of 1 to 60 rows, one of 1500 (skew), random true parameters. */
    @BeforeEach
    void data() {
        Random r = new Random(7);
        lines = new ArrayList<>();
        sizes = new TreeMap<>();
        for (int g = 0; g < 40; g++) {
            int store = g % 7;
            String sku = "s" + (g * 31 % 17) + (g >= 17 ? "x" + g : "");
            int n = g == 5 ? 1500 : 1 + r.nextInt(60);
            double b = r.nextGaussian(), w0 = r.nextGaussian(), w1 = r.nextGaussian();
            for (int i = 0; i < n; i++) {
                double x0 = Math.round(r.nextGaussian() * 1e4) / 1e4;
                double x1 = Math.round(r.nextGaussian() * 1e4) / 1e4;
                double y = Math.round((b + w0 * x0 + w1 * x1 + 0.1 * r.nextGaussian()) * 1e6) / 1e6;
                lines.add(String.format(Locale.ROOT, "%d,%s,%s,%s,%s", store, sku, y, x0, x1));
            }
            sizes.put(store + "|" + sku, n);
        }
        for (int i = 0; i < 30; i++) lines.add(lines.get(i * 11)); // repeated rows: ties in the canonical order
        Collections.shuffle(lines, new Random(3));
    }

    String[] job(Path input, Path out, String... extra) {
        String[] base = {"job = train", "group.by = store, sku", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                "optimizer = lbfgs", "regularization = 0.01 * sum(w^2)", "tolerance.grad = 1e-12", "tolerance.loss = 0",
                "steps = 100", "input.path = " + input, "input.format = csv", "output.path = " + out};
        return new String[] {config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new)).toString()};
    }

    /** The output by key: every column's value; doubles as raw bits where {@code bits}. */
    Map<String, Row> byKey(Path out) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : spark().read().parquet(out.toString()).collectAsList()) {
            String key = r.getAs("store") + "|" + r.getAs("sku");
            assertThat(m.put(key, r)).as("group %s appears once", key).isNull();
        }
        return m;
    }

    @Test
    void everyGroupIsTheMinimiserOfItsOwnRows() {
        everyGroupIsTheMinimiser("lbfgs");
    }

    @Test
    void everyGroupIsTheMinimiserOfItsOwnRowsWithNewton() {
        everyGroupIsTheMinimiser("newton");
    }

    void everyGroupIsTheMinimiser(String optimizer) {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run run = main(job(in, dir.resolve("out"), "optimizer = " + optimizer));
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("40 groups: CONVERGED 40");
        assertThat(tapeline.job.testing.Records.errors(tapeline.job.testing.Records.read(dir.resolve("out")))).as("the published schema").isEmpty();
        Map<String, Row> out = byKey(dir.resolve("out"));
        assertThat(out.keySet()).isEqualTo(sizes.keySet());
        Map<String, List<double[]>> rows = rowsByKey(lines);
        for (Map.Entry<String, List<double[]>> e : rows.entrySet()) {
            Row r = out.get(e.getKey());
            double[] beta = ridge(e.getValue(), 0.01);
            // Newton solves a quadratic in one step: the normal equations to 1e-9 relative (issue #21); L-BFGS to 1e-6.
            boolean newton = optimizer.equals("newton");
            List<Double> w = r.getList(r.fieldIndex("w"));
            double[] got = {r.getAs("b"), w.get(0), w.get(1)};
            for (int k = 0; k < 3; k++) {
                assertThat(got[k]).as(e.getKey() + " " + k)
                        .isCloseTo(beta[k], within(newton ? 1e-9 * Math.max(1, Math.abs(beta[k])) : 1e-6));
            }
            assertThat((long) r.getAs("rows")).isEqualTo(e.getValue().size());
            assertThat((long) r.getAs("bad_rows")).isZero();
            assertThat((String) r.getAs("status")).isEqualTo("CONVERGED");
            assertThat((Object) r.getAs("error")).isNull();
        }
    }

    @Test
    void eachGroupIsTheReferenceSolveOfItsRowsInCanonicalOrderBitForBit() throws Exception {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run run = main(job(in, dir.resolve("out"), "optimizer = adam", "optimizer.learning_rate = 0.1", "steps = 40",
                "tolerance.grad = 0", "group.block.rows = 100"));
        assertThat(run.code()).as(run.err()).isZero();
        Map<String, Row> out = byKey(dir.resolve("out"));
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                Path.of(job(in, dir.resolve("unused"), "optimizer = adam", "optimizer.learning_rate = 0.1", "steps = 40",
                        "tolerance.grad = 0")[0]), List.of(), new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        GroupedPartition.BlockSolve reference = GroupedTrainJob.solver(p).withBatched(false); // the engine's PerGroupSolver
        Map<String, List<double[]>> rows = rowsByKey(lines); // y, x0, x1
        List<String> used = p.usedColumns();
        for (Map.Entry<String, List<double[]>> e : rows.entrySet()) {
            // canonical order: by the used columns' values, in the order the job sorts them
            List<double[]> sorted = new ArrayList<>(e.getValue());
            Comparator<double[]> order = (a, b) -> 0;
            for (String name : used) {
                int at = List.of("y", "x0", "x1").indexOf(name);
                order = order.thenComparingDouble(v -> v[at]);
            }
            sorted.sort(order);
            double[][] columns = new double[p.cells().size()][sorted.size()];
            for (int k = 0; k < p.cells().size(); k++) {
                int at = List.of("y", "x0", "x1").indexOf(p.cells().get(k).name());
                for (int i = 0; i < sorted.size(); i++) columns[k][i] = sorted.get(i)[at];
            }
            GroupedPartition.GroupResult fit = reference.solve(columns, new int[] {0, sorted.size()})[0];
            Row r = out.get(e.getKey());
            assertThat(Double.doubleToRawLongBits(r.getAs("b"))).as(e.getKey()).isEqualTo(Double.doubleToRawLongBits(fit.params()[0]));
            List<Double> w = r.getList(r.fieldIndex("w"));
            assertThat(Double.doubleToRawLongBits(w.get(1))).isEqualTo(Double.doubleToRawLongBits(fit.params()[2]));
            assertThat(Double.doubleToRawLongBits(r.getAs("loss"))).isEqualTo(Double.doubleToRawLongBits(fit.loss()));
            assertThat((int) r.getAs("steps")).isEqualTo(40);
        }
    }

    @Test
    void aGroupAloneGivesWhatTheTrainJobGivesForItsRows() {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run run = main(job(in, dir.resolve("out")));
        assertThat(run.code()).as(run.err()).isZero();
        Map<String, Row> out = byKey(dir.resolve("out"));
        Map<String, List<double[]>> rows = rowsByKey(lines);
        for (String key : List.of("5|s2", "0|s0")) { // the giant group, and a small one
            for (String optimizer : List.of("lbfgs", "newton")) {
                List<String> mine = new ArrayList<>();
                for (double[] v : rows.get(key)) mine.add(v[0] + "," + v[1] + "," + v[2]);
                Path alone = csv(dir.resolve("alone-" + key.replace('|', '-') + ".csv"), "y,x0,x1", mine);
                Path trained = dir.resolve("train-" + optimizer + "-" + key.replace('|', '-'));
                Run t = main(config(dir, "job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                        "optimizer = " + optimizer, "regularization = 0.01 * sum(w^2)", "tolerance.grad = 1e-12",
                        "tolerance.loss = 0", "steps = 100", "input.path = " + alone, "output.path = " + trained).toString());
                assertThat(t.code()).as(t.err()).isZero();
                Map<String, Double> params = new LinkedHashMap<>();
                for (Row p : spark().read().parquet(trained.resolve("params").toString()).collectAsList()) {
                    params.put(p.getString(0), p.getDouble(1));
                }
                Row r = out.get(key);
                assertThat((double) r.getAs("b")).as(key).isCloseTo(params.get("b"), within(1e-9));
                List<Double> w = r.getList(r.fieldIndex("w"));
                assertThat(w.get(0)).isCloseTo(params.get("w[0]"), within(1e-9));
                assertThat(w.get(1)).isCloseTo(params.get("w[1]"), within(1e-9));
                double[] beta = ridge(rows.get(key), 0.01); // and both at the closed-form minimiser
                assertThat(params.get("b")).as(optimizer + " " + key).isCloseTo(beta[0], within(1e-6));
            }
        }
    }

    @Test
    void anyOrderFilesAndPartitioningGiveTheSameBits() throws Exception {
        Path one = csv(dir.resolve("one.csv"), "store,sku,y,x0,x1", lines);
        Path many = Files.createDirectories(dir.resolve("many"));
        List<String> shuffled = new ArrayList<>(lines);
        Collections.shuffle(shuffled, new Random(11));
        csv(many.resolve("a.csv"), "store,sku,y,x0,x1", shuffled.subList(0, 300));
        csv(many.resolve("b.csv"), "store,sku,y,x0,x1", shuffled.subList(300, 1700));
        csv(many.resolve("c.csv"), "store,sku,y,x0,x1", shuffled.subList(1700, shuffled.size()));
        Run a = main(job(one, dir.resolve("a"), "partitions = 3", "optimizer = owlqn", "optimizer.l1 = 0.01"));
        Run b = main(job(many, dir.resolve("b"), "partitions = 11", "optimizer = owlqn", "optimizer.l1 = 0.01",
                "group.block.rows = 50"));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(a.out()).contains("3 partitions");
        assertThat(b.out()).contains("11 partitions");
        assertSameBits(byKey(dir.resolve("a")), byKey(dir.resolve("b")));
    }

    @Test
    void aTaskRetriedGivesTheSameOutput() throws Exception {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run clean = main(job(in, dir.resolve("clean"), "partitions = 4"));
        assertThat(clean.code()).as(clean.err()).isZero();
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                Path.of(job(in, dir.resolve("retried"), "partitions = 4")[0]), List.of(), new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        GroupedPartition.BlockSolve real = GroupedTrainJob.solver(p);
        FAILED.set(0);
        GroupedPartition.BlockSolve flaky = (columns, starts) -> {
            TaskContext t = TaskContext.get();
            if (t.partitionId() == 1 && t.attemptNumber() == 0) { // after some groups of the task were emitted
                FAILED.incrementAndGet();
                throw new IllegalStateException("injected: the first attempt of partition 1 dies");
            }
            return real.solve(columns, starts);
        };
        GroupedCounts counts = GroupedCounts.register(spark().sparkContext());
        OutputWriter.write(GroupedTrainJob.fit(p, counts, new Phases(), flaky), c.output());
        assertThat(FAILED.get()).isEqualTo(1);
        assertThat(counts.groups()).isEqualTo(sizes.size());
        assertSameBits(byKey(dir.resolve("clean")), byKey(dir.resolve("retried")));
    }

    /** Held by {@link BlockingPrepare}: entered when a prepare starts; released by the test. */
    static volatile java.util.concurrent.CountDownLatch entered;
    static volatile java.util.concurrent.CountDownLatch release;

    /** The real solve, whose {@code prepare} (the pass's compile ahead) blocks until the test releases it. */
    record BlockingPrepare(GroupedPartition.BlockSolve real) implements GroupedPartition.BlockSolve {
        @Override
        public GroupedPartition.GroupResult[] solve(double[][] columns, int[] starts) {
            return real.solve(columns, starts);
        }

        @Override
        public void prepare() {
            entered.countDown();
            try {
                release.await(5, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The driver compiles the solve's pass on a thread of its own while the map stage runs (embedded
     * Spark): {@code fit} runs the map stage and returns while that compile is still going; it was a
     * gap with no task running when {@code fit} waited for it after the map stage. Same output.
     */
    @Test
    void theSolveIsCompiledWhileTheMapStageRuns() throws Exception {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run clean = main(job(in, dir.resolve("clean"), "partitions = 4"));
        assertThat(clean.code()).as(clean.err()).isZero();
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                Path.of(job(in, dir.resolve("overlapped"), "partitions = 4")[0]), List.of(), new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        entered = new java.util.concurrent.CountDownLatch(1);
        release = new java.util.concurrent.CountDownLatch(1);
        GroupedCounts counts = GroupedCounts.register(spark().sparkContext());
        int jobsBefore = spark().sparkContext().statusTracker().getJobIdsForGroup(null).length;
        java.util.concurrent.ExecutorService driver = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<org.apache.spark.sql.Dataset<Row>> fitted = driver.submit(
                    () -> GroupedTrainJob.fit(p, counts, new Phases(), new BlockingPrepare(GroupedTrainJob.solver(p))));
            // A fit that waited for the compile would never return before the release (a deadlock guard, not a speed bound).
            org.apache.spark.sql.Dataset<Row> out = fitted.get(3, java.util.concurrent.TimeUnit.MINUTES);
            assertThat(entered.await(1, java.util.concurrent.TimeUnit.MINUTES)).as("the compile ahead was started").isTrue();
            assertThat(release.getCount()).as("and has not finished").isOne();
            assertThat(spark().sparkContext().statusTracker().getJobIdsForGroup(null).length)
                    .as("the map stage's job ran meanwhile").isGreaterThan(jobsBefore);
            release.countDown();
            OutputWriter.write(out, c.output());
        } finally {
            release.countDown();
            driver.shutdownNow();
        }
        assertThat(counts.groups()).isEqualTo(sizes.size());
        assertSameBits(byKey(dir.resolve("clean")), byKey(dir.resolve("overlapped")));
    }

    @Test
    void keysThatShareAHashAreSplitAndGiveTheSameBits() throws Exception {
        // A hash of three values: every run of equal hashes holds many keys, their rows interleaved; the giant
        // group (1500 rows) goes over group.max.rows inside such a run, and a bad row and an all-bad group are in one.
        List<String> withBad = new ArrayList<>(lines);
        withBad.add("0,s0,,1,2");
        withBad.add("9,dead,,1,2");
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", withBad);
        String[] extra = {"bad.rows = skip", "group.max.rows = 1000", "partitions = 2", "group.block.rows = 70"};
        Run plain = main(job(in, dir.resolve("plain"), extra));
        assertThat(plain.code()).as(plain.err()).isZero();
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                Path.of(job(in, dir.resolve("tied"), extra)[0]), List.of(), new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        GroupedCounts counts = GroupedCounts.register(spark().sparkContext());
        OutputWriter.write(GroupedTrainJob.fit(p, counts, new Phases(), GroupedTrainJob.solver(p),
                keys -> org.apache.spark.sql.functions.pmod(org.apache.spark.sql.functions.hash(keys),
                        org.apache.spark.sql.functions.lit(3)), 40, 5), c.output());
        Map<String, Row> tied = byKey(dir.resolve("tied"));
        Map<String, Row> reference = byKey(dir.resolve("plain"));
        assertThat(counts.groups()).isEqualTo(sizes.size() + 1);
        assertThat(tied.get("5|s2").<String>getAs("status")).isEqualTo("INVALID");
        assertThat(tied.get("5|s2").<String>getAs("error")).contains(rowsByKey(lines).get("5|s2").size() + " good rows");
        assertThat(tied.get("9|dead").<String>getAs("error")).contains("every one of the group's 1 rows is bad");
        assertThat(tied.get("0|s0").<Long>getAs("bad_rows")).isEqualTo(1L);
        Map<String, Row> solvedTied = new TreeMap<>(tied);
        Map<String, Row> solvedReference = new TreeMap<>(reference);
        for (String k : List.of("5|s2", "9|dead")) {
            assertThat(tied.get(k).<String>getAs("error")).isEqualTo(reference.get(k).getAs("error"));
            solvedTied.remove(k);
            solvedReference.remove(k);
        }
        assertSameBits(solvedReference, solvedTied);
        for (String k : solvedTied.keySet()) {
            assertThat(tied.get(k).<Long>getAs("rows")).as(k).isEqualTo(reference.get(k).<Long>getAs("rows"));
        }
    }

    @Test
    void aOneNumberKeyIsComparedByValueUnderSharedHashesAndAcrossChunks() throws Exception {
        // One long key (the map side compares such a key by its bits), a null key among them, a hash of three
        // values (every key shares its hash with many others) and map-side buffers of a few rows: the groups
        // leave each map task in many chunks. The same groups and bits as the plain run.
        Map<String, Long> ids = new TreeMap<>();
        for (String k : sizes.keySet()) ids.put(k, (ids.size() + 1) * 1_000_000_007L);
        List<String> keyed = new ArrayList<>();
        for (String l : lines) {
            String[] f = l.split(",", 3);
            keyed.add(ids.get(f[0] + "|" + f[1]) + "," + f[2]);
        }
        for (int i = 0; i < 12; i++) keyed.add(i * 17 % 12 == 0 ? ",0.5,1,2" : "," + (0.1 * i) + "," + (i % 5) + "," + (i % 3));
        Collections.shuffle(keyed, new Random(5));
        Path in = csv(dir.resolve("in.csv"), "k,y,x0,x1", keyed);
        String[] extra = {"group.by = k", "partitions = 3"};
        Run plain = main(job(in, dir.resolve("plain"), extra));
        assertThat(plain.code()).as(plain.err()).isZero();
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                Path.of(job(in, dir.resolve("tied"), extra)[0]), List.of(), new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        GroupedCounts counts = GroupedCounts.register(spark().sparkContext());
        OutputWriter.write(GroupedTrainJob.fit(p, counts, new Phases(), GroupedTrainJob.solver(p),
                keys -> org.apache.spark.sql.functions.pmod(org.apache.spark.sql.functions.hash(keys),
                        org.apache.spark.sql.functions.lit(3)), 30, 4), c.output());
        Map<String, Row> tied = new TreeMap<>();
        Map<String, Row> reference = new TreeMap<>();
        for (Row r : spark().read().parquet(dir.resolve("tied").toString()).collectAsList()) tied.put(String.valueOf((Object) r.getAs("k")), r);
        for (Row r : spark().read().parquet(dir.resolve("plain").toString()).collectAsList()) reference.put(String.valueOf((Object) r.getAs("k")), r);
        assertThat(counts.groups()).isEqualTo(sizes.size() + 1);
        assertThat(reference).hasSize(sizes.size() + 1).containsKey("null");
        assertThat(reference.get("null").<Long>getAs("rows")).isEqualTo(12L);
        assertSameBits(reference, tied);
        for (String k : ids.keySet()) {
            String id = String.valueOf(ids.get(k));
            assertThat(tied.get(id).<Long>getAs("rows")).as(k).isEqualTo(rowsByKey(lines).get(k).size());
        }
    }

    @Test
    void zeroAndMinusZeroAndEveryNaNAreOneKeyEachAsSparksGroupByHasThem() throws Exception {
        // Keys as doubles and floats, with 0.0 and -0.0, and NaNs of two bit patterns, in Parquet (which keeps the bits).
        double nan2 = Double.longBitsToDouble(0x7ff8000000000badL);
        float fnan2 = Float.intBitsToFloat(0x7fc00bad);
        Object[][] keys = {{0.0, 0.0f}, {-0.0, -0.0f}, {Double.NaN, Float.NaN}, {nan2, fnan2}, {1.5, 2.5f}, {null, 0.0f},
                {-0.0, 0.0f}, {nan2, Float.NaN}};
        Random r = new Random(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            Object[] k = keys[i % keys.length];
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            rows.add(org.apache.spark.sql.RowFactory.create(k[0], k[1], 1 + 2 * x0 - x1 + 0.1 * r.nextGaussian(), x0, x1));
        }
        Collections.shuffle(rows, new Random(9));
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("d", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("f", org.apache.spark.sql.types.DataTypes.FloatType)
                .add("y", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("x0", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("x1", org.apache.spark.sql.types.DataTypes.DoubleType);
        Path in = dir.resolve("keys.parquet");
        spark().createDataFrame(rows, schema).repartition(3).write().parquet(in.toString());
        // The input does hold 0.0 and -0.0 (else this test would prove nothing). The NaN of another bit pattern
        // does not survive Spark's own write (it is read back as the one NaN), so a NaN payload cannot reach the job
        // through Spark here; the job would normalise it anyway (isnan).
        java.util.Set<Long> bits = new java.util.HashSet<>();
        for (Row k : spark().read().parquet(in.toString()).select("d").collectAsList()) {
            if (!k.isNullAt(0)) bits.add(Double.doubleToRawLongBits(k.getDouble(0)));
        }
        assertThat(bits).contains(0L, 0x8000000000000000L, Double.doubleToRawLongBits(Double.NaN));

        Run run = main(config(dir, "job = train", "group.by = d, f", "loss = (y - (b + dot(w, x)))^2",
                "variables = b, w[2]", "optimizer = lbfgs", "tolerance.grad = 1e-12", "tolerance.loss = 0", "steps = 100",
                "input.path = " + in, "input.format = parquet", "output.path = " + dir.resolve("out")).toString());
        assertThat(run.code()).as(run.err()).isZero();
        // Spark's groupBy is the truth: the same keys (to the bit) with the same row counts.
        Map<String, Long> expected = new TreeMap<>();
        for (Row g : spark().read().parquet(in.toString()).groupBy("d", "f").count().collectAsList()) {
            expected.put(keyBits(g), g.getLong(2));
        }
        Map<String, Long> got = new TreeMap<>();
        for (Row g : spark().read().parquet(dir.resolve("out").toString()).select("d", "f", "rows").collectAsList()) {
            assertThat(got.put(keyBits(g), g.getLong(2))).as("key %s once", keyBits(g)).isNull();
        }
        assertThat(got).isEqualTo(expected);
        // (0.0, 0.0) from three spellings, (NaN, NaN) from three, (1.5, 2.5), (null, 0.0).
        assertThat(got).hasSize(4).containsEntry("0|0", 150L).containsEntry("7ff8000000000000|7fc00000", 150L);
    }

    /** A key (d, f) as its raw bits, for comparing keys exactly. */
    static String keyBits(Row g) {
        String d = g.isNullAt(0) ? "null" : Long.toHexString(Double.doubleToRawLongBits(g.getDouble(0)));
        String f = g.isNullAt(1) ? "null" : Integer.toHexString(Float.floatToRawIntBits(g.getFloat(1)));
        return d + "|" + f;
    }

    @Test
    void badRowsAnAllBadGroupAndAGroupOverTheLimitAreReportedWhileTheOthersGoOn() {
        List<String> withBad = new ArrayList<>(lines);
        withBad.add("0,s0,,1,2");              // a bad row in a good group
        withBad.add("9,dead,,1,2");            // a group of bad rows only
        withBad.add("9,dead,1,,2");
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", withBad);
        Run fatal = main(job(in, dir.resolve("fatal")));
        assertThat(fatal.code()).isEqualTo(2);
        assertThat(fatal.err()).contains("3 bad rows of").contains("bad.rows=fatal");
        assertThat(dir.resolve("fatal")).doesNotExist();

        Run skip = main(job(in, dir.resolve("skip"), "bad.rows = skip", "group.max.rows = 1000"));
        assertThat(skip.code()).as(skip.err()).isZero();
        Map<String, Row> out = byKey(dir.resolve("skip"));
        assertThat(out).hasSize(sizes.size() + 1);
        Row s0 = out.get("0|s0");
        assertThat((long) s0.getAs("bad_rows")).isEqualTo(1);
        assertThat((long) s0.getAs("rows")).isEqualTo(rowsByKey(lines).get("0|s0").size());
        assertThat((String) s0.getAs("status")).isEqualTo("CONVERGED");
        Row dead = out.get("9|dead");
        assertThat((String) dead.getAs("status")).isEqualTo("INVALID");
        assertThat((String) dead.getAs("error")).contains("every one of the group's 2 rows is bad")
                .contains("column y: missing value");
        assertThat((Object) dead.getAs("b")).isNull();
        Row giant = out.get("5|s2");
        assertThat((String) giant.getAs("status")).isEqualTo("INVALID");
        int giantRows = rowsByKey(lines).get("5|s2").size();
        assertThat((String) giant.getAs("error")).contains(giantRows + " good rows").contains("group.max.rows = 1000")
                .contains("store=5, sku=s2");
        assertThat(skip.out()).contains("INVALID 2").contains("3 bad rows skipped");
        // The others are as without the bad rows.
        Run clean = main(job(csv(dir.resolve("clean.csv"), "store,sku,y,x0,x1", lines), dir.resolve("clean")));
        Map<String, Row> cleanOut = byKey(dir.resolve("clean"));
        assertThat(Double.doubleToRawLongBits(out.get("1|s14").getAs("b")))
                .isEqualTo(Double.doubleToRawLongBits(cleanOut.get("1|s14").getAs("b")));
        assertThat(clean.code()).isZero();

        Run gated = main(job(in, dir.resolve("gated"), "bad.rows = skip", "group.max.rows = 1000", "max.invalid = 1"));
        assertThat(gated.code()).as(gated.err()).isEqualTo(3);
        assertThat(gated.err()).contains("2 invalid rows of 41");
    }

    @Test
    void checkNamesAMissingGroupColumnAndSuggests() {
        Path in = csv(dir.resolve("in.csv"), "store,sku,y,x0,x1", lines);
        Run run = main(job(in, dir.resolve("out"), "group.by = stor, sku, sku")[0], "--check");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("group.by: column 'sku' is named twice");
        Run resume = main(job(in, dir.resolve("out"), "resume = true")[0], "--check");
        assertThat(resume.code()).isEqualTo(2);
        assertThat(resume.err()).contains("resume: not for a grouped train");
        Run missing = main(job(in, dir.resolve("out"), "group.by = stor, sku", "input.path = " + in)[0], "--check");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("group.by: no column 'stor' in the input; did you mean 'store'?");
        Run noColumn = main(job(in, dir.resolve("out"), "loss = (b - 3)^2 + sum(w^2)")[0], "--check");
        assertThat(noColumn.code()).isEqualTo(2);
        assertThat(noColumn.err()).contains("loss: reads no input column");
        Run ok = main(job(in, dir.resolve("out"))[0], "--check");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(dir.resolve("out")).doesNotExist();
    }

    static void assertSameBits(Map<String, Row> a, Map<String, Row> b) {
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String k : a.keySet()) {
            Row x = a.get(k);
            Row y = b.get(k);
            assertThat(Double.doubleToRawLongBits(y.getAs("b"))).as(k).isEqualTo(Double.doubleToRawLongBits(x.getAs("b")));
            List<Double> wx = x.getList(x.fieldIndex("w"));
            List<Double> wy = y.getList(y.fieldIndex("w"));
            for (int i = 0; i < wx.size(); i++) {
                assertThat(Double.doubleToRawLongBits(wy.get(i))).as(k).isEqualTo(Double.doubleToRawLongBits(wx.get(i)));
            }
            assertThat(Double.doubleToRawLongBits(y.getAs("loss"))).as(k).isEqualTo(Double.doubleToRawLongBits(x.getAs("loss")));
            assertThat((int) y.getAs("steps")).isEqualTo(x.getAs("steps"));
            assertThat((int) y.getAs("passes")).isEqualTo(x.getAs("passes"));
        }
    }

    /** The rows of each group as {y, x0, x1}. */
    static Map<String, List<double[]>> rowsByKey(List<String> lines) {
        Map<String, List<double[]>> m = new TreeMap<>();
        for (String l : lines) {
            String[] f = l.split(",", -1);
            m.computeIfAbsent(f[0] + "|" + f[1], k -> new ArrayList<>())
                    .add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])});
        }
        return m;
    }

    /**
     * The minimiser of mean((y - b - w.x)^2) + lambda |w|^2: (X^T X + n lambda D) beta = X^T y,
     * D = diag(0, 1, 1), by Gaussian elimination with partial pivoting (independent of the engine).
     */
    static double[] ridge(List<double[]> rows, double lambda) {
        double[][] a = new double[3][4];
        for (double[] r : rows) {
            double[] x = {1, r[1], r[2]};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) a[i][j] += x[i] * x[j];
                a[i][3] += x[i] * r[0];
            }
        }
        for (int i = 1; i < 3; i++) a[i][i] += rows.size() * lambda;
        for (int col = 0; col < 3; col++) {
            int piv = col;
            for (int i = col + 1; i < 3; i++) if (Math.abs(a[i][col]) > Math.abs(a[piv][col])) piv = i;
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int i = 0; i < 3; i++) {
                if (i == col) continue;
                double f = a[i][col] / a[col][col];
                for (int j = col; j < 4; j++) a[i][j] -= f * a[col][j];
            }
        }
        return new double[] {a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
    }
}
