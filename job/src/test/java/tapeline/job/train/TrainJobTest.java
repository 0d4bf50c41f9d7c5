package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.RowBuckets;
import tapeline.engine.train.RowSampler;
import tapeline.job.config.TrainConfig;
import tapeline.job.testing.SparkSuite;

/** The train job end to end on local[2]: accuracy against closed forms, exactness, partitioning, checkpoints, errors. */
class TrainJobTest extends SparkSuite {
    static final double B = 0.5;
    static final double[] W = {2.0, -1.0, 0.5};

    @TempDir
    Path dir;
    Path data;
    double[][] rows; // y, x0, x1, x2

    @BeforeEach
    void linearData() {
        Random r = new Random(11);
        rows = new double[1500][4];
        List<String> lines = new ArrayList<>();
        for (double[] row : rows) {
            double y = B;
            for (int j = 0; j < W.length; j++) {
                row[j + 1] = Math.round(r.nextGaussian() * 1e4) / 1e4;
                y += W[j] * row[j + 1];
            }
            row[0] = Double.parseDouble(String.format(Locale.ROOT, "%.6f", y + 0.01 * r.nextGaussian()));
            lines.add(String.format(Locale.ROOT, "%s,%s,%s,%s", row[0], row[1], row[2], row[3]));
        }
        data = csv(dir.resolve("linear.csv"), "y,x0,x1,x2", lines);
    }

    Path job(String... extra) {
        String[] base = {"job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]", "optimizer = adam",
                "optimizer.learning_rate = 0.05", "steps = 40", "input.path = " + data};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    /** The job with L-BFGS or OWL-QN instead of Adam: {@code extra} names the optimizer. */
    Path solverJob(String[] solver, String... extra) {
        String[] base = {"job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]", "input.path = " + data};
        return config(dir, Stream.of(Stream.of(base), Stream.of(solver), Stream.of(extra)).flatMap(x -> x).toArray(String[]::new));
    }

    Map<String, Double> params(Path out) {
        Map<String, Double> m = new HashMap<>();
        for (Row r : spark().read().parquet(out.resolve("params").toString()).collectAsList()) {
            m.put(r.getString(0), r.getDouble(1));
        }
        return m;
    }

    List<Row> history(Path out) {
        return spark().read().parquet(out.resolve("history").toString()).orderBy("step").collectAsList();
    }

    /** Ordinary least squares by the normal equations (X'X) beta = X'y, Gaussian elimination with pivoting. */
    double[] normalEquations() {
        int p = 4;
        double[][] a = new double[p][p + 1];
        for (double[] row : rows) {
            double[] x = {1, row[1], row[2], row[3]};
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) a[i][j] += x[i] * x[j];
                a[i][p] += x[i] * row[0];
            }
        }
        for (int c = 0; c < p; c++) {
            int best = c;
            for (int r = c + 1; r < p; r++) if (Math.abs(a[r][c]) > Math.abs(a[best][c])) best = r;
            double[] t = a[c]; a[c] = a[best]; a[best] = t;
            for (int r = 0; r < p; r++) {
                if (r == c) continue;
                double f = a[r][c] / a[c][c];
                for (int j = c; j <= p; j++) a[r][j] -= f * a[c][j];
            }
        }
        double[] beta = new double[p];
        for (int i = 0; i < p; i++) beta[i] = a[i][p] / a[i][i];
        return beta;
    }

    @Test
    void leastSquaresFindsTheGeneratorsCoefficientsAndTheNormalEquationsSolution() throws Exception {
        Path out = dir.resolve("fit");
        Run r = main(job("steps = 1500", "optimizer.learning_rate = 0.02", "tolerance.grad = 1e-9",
                "output.path = " + out).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("tapeline train:").contains("b = ");
        Map<String, Double> p = params(out);
        assertThat(p).containsOnlyKeys("b", "w[0]", "w[1]", "w[2]");
        double[] ols = normalEquations();
        double[] fit = {p.get("b"), p.get("w[0]"), p.get("w[1]"), p.get("w[2]")};
        double[] gen = {B, W[0], W[1], W[2]};
        for (int k = 0; k < 4; k++) {
            assertThat(fit[k]).as("component %d vs generator", k).isCloseTo(gen[k], within(1e-3));
            assertThat(fit[k]).as("component %d vs normal equations", k).isCloseTo(ols[k], within(1e-5));
        }
        List<Row> h = history(out);
        assertThat(h.get(0).getInt(0)).isZero();
        assertThat(h.get(h.size() - 1).getDouble(1)).isLessThan(h.get(0).getDouble(1) / 1000);
        assertThat(out.resolve("loss.png")).exists();
        byte[] png = Files.readAllBytes(out.resolve("loss.png"));
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    @Test
    void lbfgsMeetsTheNormalEquationsToOnePartInABillionOnAnyPartitioning() throws Exception {
        // reduce = sum: the gradient test's floor (1e-8, as MLlib's) is then far below the coefficients' precision.
        String[] lbfgs = {"optimizer = lbfgs", "reduce = sum", "steps = 200", "tolerance.grad = 1e-14", "tolerance.loss = 0"};
        Path out = dir.resolve("lbfgs");
        Run r = main(solverJob(lbfgs, "output.path = " + out).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("stopped by step");
        Map<String, Double> p = params(out);
        double[] ols = normalEquations();
        String[] names = {"b", "w[0]", "w[1]", "w[2]"};
        for (int k = 0; k < 4; k++) {
            assertThat(p.get(names[k])).as(names[k]).isCloseTo(ols[k], within(1e-9 * Math.abs(ols[k])));
        }
        List<Row> h = history(out);
        int passes = 0;
        for (Row row : h) passes += row.getInt(3);
        assertThat(h.get(0).getInt(3)).isEqualTo(1);
        assertThat(r.out()).contains("gradient passes: " + passes + " ");
        assertThat(h.size()).as("L-BFGS needs few steps on 4 parameters").isLessThan(40);

        Path three = dir.resolve("lbfgs3");
        assertThat(main(solverJob(lbfgs, "output.path = " + three, "partitions = 3").toString()).code()).isZero();
        assertThat(params(three)).isEqualTo(p);
        assertThat(history(three)).isEqualTo(h);
    }

    @Test
    void anLbfgsRunResumedFromACheckpointEndsExactlyWhereAnUninterruptedOneDoes() throws Exception {
        String[] loss = {"loss = log1p(4 * (y - (b + dot(w, x)))^2)", "optimizer = lbfgs", "optimizer.memory = 3",
                "tolerance.grad = 1e-12", "tolerance.loss = 0", "init.w = 5", "init.b = -3"}; // not quadratic: line searches of several passes
        Path whole = dir.resolve("whole");
        Run w = main(solverJob(loss, "steps = 30", "output.path = " + whole).toString());
        assertThat(w.code()).as(w.err()).isZero();
        Path ck = dir.resolve("ck");
        Run first = main(solverJob(loss, "steps = 5", "output.path = " + dir.resolve("first"), "checkpoint.path = " + ck,
                "checkpoint.every = 2").toString());
        assertThat(first.code()).as(first.err()).isZero();
        Path resumed = dir.resolve("resumed");
        Run second = main(solverJob(loss, "steps = 30", "output.path = " + resumed, "checkpoint.path = " + ck,
                "checkpoint.every = 2", "resume = true", "partitions = 3").toString());
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).contains("resumed from step 4");
        assertThat(history(whole).size()).as("the resumed run has steps to go").isGreaterThan(8);
        assertThat(history(whole).stream().anyMatch(row -> row.getInt(3) > 1)).as("a line search of several passes").isTrue();
        assertThat(params(resumed)).isEqualTo(params(whole));
        assertThat(history(resumed)).isEqualTo(history(whole));
    }

    @Test
    void aLinearLossWithNoRegulariserStopsDivergedWithTheReason() {
        // -y * (b + w.x) is linear in the parameters: its mean falls without bound along a constant gradient.
        Path out = dir.resolve("linear-loss");
        Run r = main(job("loss = -y * (b + dot(w, x))", "steps = 200", "output.path = " + out).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("tapeline train: DIVERGED after \\d+ steps")
                .contains("loss falls without bound: it fell from 0.0 at the start to");
        List<Row> h = history(out);
        int last = h.get(h.size() - 1).getInt(0);
        // A check every step, 8 checks a window; the verdict needs 4 windows (the first sets the slope).
        assertThat(last).isEqualTo(32);
        // The last loss is the mean of -y * (b + w.x) at the written parameters, computed here from the rows.
        Map<String, Double> p = params(out);
        double sum = 0;
        for (double[] row : rows) {
            sum += -row[0] * (p.get("b") + p.get("w[0]") * row[1] + p.get("w[1]") * row[2] + p.get("w[2]") * row[3]);
        }
        assertThat(h.get(h.size() - 1).getDouble(1)).isCloseTo(sum / rows.length, within(1e-9 * Math.abs(sum)));
        assertThat(h.get(h.size() - 1).getDouble(1)).isLessThan(-1);
        assertThat(r.out()).contains("step " + last + ": loss falls without bound");
    }

    @Test
    void paramsAreBitwiseIdenticalFor1_3And8Partitions() {
        List<Map<String, Double>> results = new ArrayList<>();
        List<List<Row>> histories = new ArrayList<>();
        for (int n : new int[] {1, 3, 8}) {
            Path out = dir.resolve("parts" + n);
            Run r = main(job("partitions = " + n, "output.path = " + out, "block.size = 100").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).containsPattern(n + " partitions?\\n");
            results.add(params(out));
            histories.add(history(out));
        }
        for (String k : results.get(0).keySet()) {
            long bits = Double.doubleToRawLongBits(results.get(0).get(k));
            assertThat(Double.doubleToRawLongBits(results.get(1).get(k))).as(k).isEqualTo(bits);
            assertThat(Double.doubleToRawLongBits(results.get(2).get(k))).as(k).isEqualTo(bits);
        }
        assertThat(histories.get(1)).isEqualTo(histories.get(0));
        assertThat(histories.get(2)).isEqualTo(histories.get(0));
    }

    @Test
    void miniBatchesDoNotDependOnPartitioningEither() {
        List<Map<String, Double>> results = new ArrayList<>();
        for (int n : new int[] {1, 5}) {
            Path out = dir.resolve("batch" + n);
            Run r = main(job("partitions = " + n, "output.path = " + out, "batch.fraction = 0.3", "batch.seed = 9",
                    "steps = 15").toString());
            assertThat(r.code()).as(r.err()).isZero();
            results.add(params(out));
        }
        assertThat(results.get(1)).isEqualTo(results.get(0));
    }

    @Test
    void theDistributedGradientEqualsALocalFoldExactly() throws Exception {
        TrainConfig c = TrainConfig.load(job("partitions = 4", "output.path = " + dir.resolve("unused"),
                "block.size = 64"), List.of());
        TrainJob.Prepared p = TrainJob.prepare(spark(), c);
        JavaRDD<ColumnBlock> blocks = TrainJob.cache(spark(), p);
        try {
            double[] params = {0.1, -0.2, 0.3, 0.7};
            GradientSums distributed = new GradientPass(spark().sparkContext(), blocks, p.model(), 1.0, 0, 2)
                    .pass(params, 0);
            GradientSums local = canonicalFold(p.model(), rows, params).snapshot();
            assertThat(distributed.count()).isEqualTo(rows.length);
            assertThat(Double.doubleToRawLongBits(distributed.lossSum())).isEqualTo(Double.doubleToRawLongBits(local.lossSum()));
            for (int k = 0; k < 4; k++) {
                assertThat(Double.doubleToRawLongBits(distributed.gradientSum()[k]))
                        .isEqualTo(Double.doubleToRawLongBits(local.gradientSum()[k]));
            }
            // And the sum is right, not just reproducible: a plain loop agrees to rounding.
            double g0 = 0;
            for (double[] row : rows) g0 += -2 * (row[0] - (0.1 - 0.2 * row[1] + 0.3 * row[2] + 0.7 * row[3]));
            assertThat(distributed.gradientSum()[0]).isCloseTo(g0, within(1e-9 * rows.length));
        } finally {
            blocks.unpersist(true);
        }
    }

    /**
     * The reference the job must equal bit for bit: the canonical buckets made here, in one thread
     * and independently of the job's load (a plain sort with a comparator), each added as one sequence.
     */
    static GradientAggregator canonicalFold(LossModel model, double[][] rows, double[] params) {
        Map<Integer, List<double[]>> buckets = new TreeMap<>();
        for (double[] row : rows) buckets.computeIfAbsent(RowBuckets.of(RowSampler.rowKey(row)), b -> new ArrayList<>()).add(row);
        Comparator<double[]> canonical = Comparator.comparingLong(RowSampler::rowKey);
        for (int c = 0; c < model.columnCount(); c++) {
            int col = c;
            canonical = canonical.thenComparingLong(r -> Double.doubleToRawLongBits(r[col]));
        }
        GradientAggregator agg = new GradientAggregator(model);
        for (List<double[]> b : buckets.values()) {
            b.sort(canonical);
            double[][] columns = new double[model.columnCount()][b.size()];
            for (int i = 0; i < b.size(); i++) for (int j = 0; j < columns.length; j++) columns[j][i] = b.get(i)[j];
            agg.add(params, columns, 0, b.size());
        }
        return agg;
    }

    @Test
    void aResumedRunEndsExactlyWhereAnUninterruptedOneDoes() throws Exception {
        Path whole = dir.resolve("whole");
        assertThat(main(job("steps = 40", "output.path = " + whole).toString()).code()).isZero();

        Path ck = dir.resolve("ck");
        Run first = main(job("steps = 25", "output.path = " + dir.resolve("first"), "checkpoint.path = " + ck,
                "checkpoint.every = 10").toString());
        assertThat(first.code()).as(first.err()).isZero();
        try (Stream<Path> files = Files.list(ck)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(f -> !f.startsWith(".")).sorted().toList())
                    .containsExactly("checkpoint-000000010.ckpt", "checkpoint-000000020.ckpt");
        }
        Path resumed = dir.resolve("resumed");
        Run second = main(job("steps = 40", "output.path = " + resumed, "checkpoint.path = " + ck,
                "checkpoint.every = 10", "resume = true", "partitions = 3").toString());
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).contains("resumed from step 20");
        assertThat(params(resumed)).isEqualTo(params(whole));
        assertThat(history(resumed)).isEqualTo(history(whole));
    }

    @Test
    void aTruncatedCheckpointIsNamedAndNotLoaded() throws Exception {
        Path ck = dir.resolve("ck");
        assertThat(main(job("steps = 10", "output.path = " + dir.resolve("a"), "checkpoint.path = " + ck,
                "checkpoint.every = 5").toString()).code()).isZero();
        Path newest = ck.resolve("checkpoint-000000010.ckpt");
        byte[] bytes = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length - 7));
        Path out = dir.resolve("b");
        Run r = main(job("steps = 20", "output.path = " + out, "checkpoint.path = " + ck, "checkpoint.every = 5",
                "resume = true").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("checkpoint-000000010.ckpt").contains("truncated");
        assertThat(out).doesNotExist();

        // A flipped byte inside the payload: the checksum catches it.
        bytes[bytes.length - 3] ^= 0x10;
        Files.write(newest, bytes);
        r = main(job("steps = 20", "output.path = " + out, "checkpoint.path = " + ck, "resume = true").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("checkpoint-000000010.ckpt").contains("damaged");
    }

    @Test
    void configErrorsAreAllReportedAtOnceAndNothingIsWritten() {
        Path out = dir.resolve("never");
        Run r = main(job("output.path = " + out, "cost = x", "init.w = abc", "checkpoint.every = 5",
                "reduce = median", "batch.fraction = 1.5", "stepz = 3").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cost: the train job calls one row's expression 'loss'")
                .contains("init.w: expected finite numbers").contains("checkpoint.every: is 5 but checkpoint.path is not set")
                .contains("reduce: expected one of [mean, sum], got 'median'")
                .contains("batch.fraction: expected a number in (0, 1]")
                .contains("unknown key 'stepz' (did you mean 'steps'?)");
        assertThat(out).doesNotExist();
    }

    @Test
    void anUnboundNameShowsItsPositionInTheLoss() {
        Path out = dir.resolve("never");
        Run r = main(job("output.path = " + out, "loss = (y - (b + dot(w, z)))^2").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("loss, position 17: 'z' is neither a variable nor an input column");
        assertThat(out).doesNotExist();
    }

    @Test
    void badRowsAreFatalByDefaultAndCanBeSkipped() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(data));
        lines.set(5, "1.0,abc,0.5,0.5");
        lines.set(9, "2.0,0.1,,0.3");
        Files.write(data, lines);
        Path out = dir.resolve("bad");
        Run r = main(job("output.path = " + out).toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("2 bad rows of 1500").contains("column x0: not a number: 'abc'")
                .contains("column x1: missing value").contains("bad.rows=skip")
                .as("a bad row is shown as Spark prints it").contains("row [1.0, abc, 0.5, 0.5]");
        assertThat(out).doesNotExist();

        Run skip = main(job("output.path = " + out, "bad.rows = skip").toString());
        assertThat(skip.code()).as(skip.err()).isZero();
        assertThat(skip.out()).contains("rows: 1498 (2 bad rows skipped)");
    }

    @Test
    void existingOutputIsLeftAloneUnlessOverwriteIsAsked() throws Exception {
        Path out = dir.resolve("taken");
        Files.createDirectories(out);
        Path marker = Files.writeString(out.resolve("precious.txt"), "keep me");
        Run r = main(job("output.path = " + out).toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("already exists");
        assertThat(Files.readString(marker)).isEqualTo("keep me");
        Run o = main(job("output.path = " + out, "output.mode = overwrite").toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(marker).doesNotExist();
        assertThat(out.resolve("params")).exists();
    }
}
