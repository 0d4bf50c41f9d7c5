package tapeline.job.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.LossModel;
import tapeline.job.columns.Cell;
import tapeline.job.train.BucketedRows;
import tapeline.job.train.ColumnBlock;
import tapeline.job.train.GradientPass;

/**
 * The speed comparison on N rows x K features read from one Parquet file, cached, local[2].
 * Time per gradient pass of tapeline's train job (one treeAggregate of the tape aggregator over the
 * canonical buckets) against Spark MLlib 3.5's LinearRegression (l-bfgs) and binary
 * LogisticRegression (standardization off, regParam 0), each measured in the same run as the median
 * duration of the Spark jobs that are gradient passes; tapeline's loss written with
 * {@code dot(w, x)} and spelled out ({@code b + w0*x0 + w1*x1 + ...}); the load (read, check, cache,
 * regroup against read, VectorAssembler, cache); and the cached data's memory (Storage tab figures).
 *
 * <p>Run with {@code scripts/bench-train.sh [rows] [features] [passes] [block.size] [partitions]}.
 */
public final class TrainBench {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int lanes = args.length > 3 ? Integer.parseInt(args[3]) : 4096; // the train job's block.size
        int partitions = args.length > 4 ? Integer.parseInt(args[4]) : 0; // the train job's default: balanced
        SparkSession spark = SparkSession.builder().master("local[2]").appName("tapeline train bench")
                .config(new SparkConf().set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                        .set("spark.driver.bindAddress", "127.0.0.1"))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        JobTimes times = new JobTimes();
        spark.sparkContext().addSparkListener(times);

        // y = 1 + sum_j (j+1)/k * x_j + noise, x ~ U(-1, 1), c = [y > 1] (labels 0/1 for the logistic runs),
        // from seeded generators, written once as Parquet: both sides read the same file.
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "tapeline-train-bench-" + rows + "x" + k + ".parquet");
        if (!Files.exists(file.resolve("_SUCCESS"))) {
            List<org.apache.spark.sql.Column> cols = new ArrayList<>();
            org.apache.spark.sql.Column y = functions.lit(1.0);
            for (int j = 0; j < k; j++) {
                cols.add(functions.rand(1000 + j).multiply(2).minus(1).as("x" + j));
            }
            Dataset<Row> base = spark.range(0, rows, 1, 2).select(cols.toArray(new org.apache.spark.sql.Column[0]));
            for (int j = 0; j < k; j++) y = y.plus(functions.col("x" + j).multiply((j + 1.0) / k));
            Dataset<Row> data = base.withColumn("y", y.plus(functions.rand(7).minus(0.5).multiply(0.01)));
            data = data.withColumn("c", functions.when(functions.col("y").gt(1.0), 1.0).otherwise(0.0));
            data.write().mode("overwrite").parquet(file.toString());
        }
        String[] xs = new String[k];
        for (int j = 0; j < k; j++) xs[j] = "x" + j;

        StringBuilder spelled = new StringBuilder("b");
        for (int j = 0; j < k; j++) spelled.append(" + w").append(j).append(" * x").append(j);
        List<VariableSpec> scalars = new ArrayList<>();
        scalars.add(new VariableSpec("b", 1));
        for (int j = 0; j < k; j++) scalars.add(new VariableSpec("w" + j, 1));

        // Least squares: tapeline (dot, then spelled out, on the same cache) against LinearRegression, both
        // caches resident, in three interleaved rounds so that a change in the machine's load hits both sides.
        Load ours = loadTapeline(spark, file, "y", k, partitions);
        Load theirs = loadMllib(spark, file, "y", xs);
        long ourMem = memory(spark, ours.blocks().rdd());
        long mlMem = memory(spark, null);
        LinearRegression lr = new LinearRegression().setSolver("l-bfgs").setStandardization(false).setRegParam(0)
                .setElasticNetParam(0).setMaxIter(passes).setTol(0);
        double[] lsq = rounds(spark, times, ours.blocks(), theirs.frame(), passes,
                model("(y - (b + dot(w, x)))^2", "y", k, lanes, null),
                model("(y - (" + spelled + "))^2", "y", k, lanes, scalars), f -> lr.fit(f));
        ours.blocks().unpersist(true);
        theirs.frame().unpersist(true);

        // Logistic loss on labels c in {0, 1}: tapeline against LogisticRegression (binomial), likewise.
        Load oursC = loadTapeline(spark, file, "c", k, partitions);
        Load theirsC = loadMllib(spark, file, "c", xs);
        LogisticRegression logit = new LogisticRegression().setStandardization(false).setRegParam(0)
                .setElasticNetParam(0).setMaxIter(passes).setTol(0);
        double[] log = rounds(spark, times, oursC.blocks(), theirsC.frame(), passes,
                model("softplus(-(2*c - 1) * (b + dot(w, x)))", "c", k, lanes, null),
                model("softplus(-(2*c - 1) * (" + spelled + "))", "c", k, lanes, scalars), f -> logit.fit(f));
        oursC.blocks().unpersist(true);
        theirsC.frame().unpersist(true);
        double dot = lsq[0], sum = lsq[1], linear = lsq[2], logDot = log[0], logSum = log[1], logistic = log[2];

        System.out.printf(Locale.ROOT, "%ntapeline's pass %s%n", CODEGEN ? "compiled (engine.codegen)" : "interpreted (-Dtapeline.bench.codegen=false)");
        System.out.printf(Locale.ROOT, "%n%d rows x %d features, local[2], cached, median of the gradient-pass jobs (3 interleaved rounds of %d passes each)%n",
                rows, k, passes);
        System.out.printf(Locale.ROOT, "  least squares, tapeline dot(w, x):      %7.1f ms   ratio to MLlib %.2f%n", dot * 1e3, dot / linear);
        System.out.printf(Locale.ROOT, "  least squares, tapeline w0*x0 + ...:    %7.1f ms   ratio to MLlib %.2f%n", sum * 1e3, sum / linear);
        System.out.printf(Locale.ROOT, "  least squares, MLlib LinearRegression:  %7.1f ms%n", linear * 1e3);
        System.out.printf(Locale.ROOT, "  logistic, tapeline dot(w, x):           %7.1f ms   ratio to MLlib %.2f%n", logDot * 1e3, logDot / logistic);
        System.out.printf(Locale.ROOT, "  logistic, tapeline w0*x0 + ...:         %7.1f ms   ratio to MLlib %.2f%n", logSum * 1e3, logSum / logistic);
        System.out.printf(Locale.ROOT, "  logistic, MLlib LogisticRegression:     %7.1f ms%n", logistic * 1e3);
        System.out.printf(Locale.ROOT, "  load (read, check, cache%s): tapeline %.2f s, MLlib (read, VectorAssembler, cache) %.2f s, ratio %.2f"
                + " (logistic columns: %.2f s vs %.2f s)%n", ", regroup", ours.seconds(), theirs.seconds(), ours.seconds() / theirs.seconds(),
                oursC.seconds(), theirsC.seconds());
        System.out.printf(Locale.ROOT, "  cached memory: tapeline %.1f MB, MLlib (label, features) %.1f MB, ratio %.2f%n",
                ourMem / 1e6, mlMem / 1e6, (double) ourMem / mlMem);
        spark.stop();
    }

    record Load(JavaRDD<ColumnBlock> blocks, Dataset<Row> frame, double seconds) {}

    /** The train job's load: read the file, check and place the rows canonically, cache; timed to the end of the count. */
    static Load loadTapeline(SparkSession spark, Path file, String label, int k, int partitions) {
        long t0 = System.nanoTime();
        Dataset<Row> in = spark.read().parquet(file.toString());
        List<String> names = List.of(in.columns());
        List<Cell> cells = new ArrayList<>();
        cells.add(Cell.scalar(names.indexOf(label), label));
        for (int j = 0; j < k; j++) cells.add(Cell.scalar(names.indexOf("x" + j), "x" + j));
        JavaRDD<ColumnBlock> blocks = BucketedRows.load(in.queryExecution().toRdd().toJavaRDD(), in.schema(), cells, partitions, false)
                .persist(StorageLevel.MEMORY_ONLY());
        blocks.setName("tapeline column blocks");
        long n = blocks.map(ColumnBlock::rows).reduce(Integer::sum);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "tapeline: read, checked, placed and cached %d rows in %.2f s (%d partitions)%n", n, s,
                blocks.getNumPartitions());
        return new Load(blocks, null, s);
    }

    /** MLlib's usual load: read the file, assemble the features vector, cache; timed to the end of the count. */
    static Load loadMllib(SparkSession spark, Path file, String label, String[] xs) {
        long t0 = System.nanoTime();
        Dataset<Row> ml = new VectorAssembler().setInputCols(xs).setOutputCol("features")
                .transform(spark.read().parquet(file.toString()))
                .select(functions.col(label).as("label"), functions.col("features"))
                .persist(StorageLevel.MEMORY_ONLY());
        long n = ml.count();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "MLlib: read, assembled and cached %d rows in %.2f s%n", n, s);
        return new Load(null, ml, s);
    }

    /** The train pass compiled ({@code engine.codegen}, the default) or not: {@code -Dtapeline.bench.codegen=false}. */
    static final boolean CODEGEN = !"false".equals(System.getProperty("tapeline.bench.codegen"));

    /** Inputs (label, x[k]) and variables (b, w[k]), or the given scalar variables with inputs (label, x0..x{k-1}). */
    static LossModel model(String loss, String label, int k, int lanes, List<VariableSpec> scalars) {
        Map<String, Integer> inputs = new LinkedHashMap<>();
        inputs.put(label, 1);
        if (scalars == null) {
            inputs.put("x", k);
            return new LossModel(Expression.parse("loss", loss), List.of(new VariableSpec("b", 1), new VariableSpec("w", k)),
                    inputs, DType.FLOAT64, lanes).withCodegen(CODEGEN);
        }
        for (int j = 0; j < k; j++) inputs.put("x" + j, 1);
        return new LossModel(Expression.parse("loss", loss), scalars, inputs, DType.FLOAT64, lanes).withCodegen(CODEGEN);
    }

    /**
     * Median pass times {dot, spelled out, MLlib}: after a warm-up of each (3 passes; one fit), three
     * rounds of {@code passes} passes of each tapeline model and one MLlib fit ({@code passes} iterations).
     */
    static double[] rounds(SparkSession spark, JobTimes times, JavaRDD<ColumnBlock> blocks, Dataset<Row> frame, int passes,
                           LossModel dot, LossModel spelled, java.util.function.Consumer<Dataset<Row>> fit) throws Exception {
        GradientPass dotPass = new GradientPass(spark.sparkContext(), blocks, dot, 1.0, 0, 2);
        GradientPass spelledPass = new GradientPass(spark.sparkContext(), blocks, spelled, 1.0, 0, 2);
        double[] params = new double[dot.parameterCount()];
        for (int i = 0; i < 3; i++) {
            dotPass.pass(params, i); // warm-up: JIT
            spelledPass.pass(params, i);
        }
        fit.accept(frame);
        List<List<Double>> seconds = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int round = 0; round < 3; round++) {
            for (int which = 0; which < 2; which++) {
                times.reset("treeAggregate at GradientPass");
                for (int i = 0; i < passes; i++) {
                    params[0] = 0.001 * i;
                    (which == 0 ? dotPass : spelledPass).pass(params, i);
                }
                seconds.get(which).addAll(times.seconds());
            }
            times.reset("treeAggregate at RDDLossFunction");
            fit.accept(frame);
            seconds.get(2).addAll(times.seconds());
        }
        double[] out = new double[3];
        for (int j = 0; j < 3; j++) out[j] = median(seconds.get(j));
        System.out.printf(Locale.ROOT, "  passes timed: tapeline %d + %d, MLlib %d%n", seconds.get(0).size(), seconds.get(1).size(),
                seconds.get(2).size());
        return out;
    }

    static double median(List<Double> seconds) {
        List<Double> s = new ArrayList<>(seconds);
        Collections.sort(s);
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }

    /** Memory of the cached RDD (or, with null, of the cached Dataset: the one that is not ours). */
    static long memory(SparkSession spark, RDD<?> rdd) {
        long m = 0;
        for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
            boolean ours = info.name().equals("tapeline column blocks");
            if (rdd != null ? ours : !ours) m += info.memSize();
        }
        return m;
    }

    /** Durations of jobs whose stages name a call site, e.g. "treeAggregate at GradientPass". */
    static final class JobTimes extends SparkListener {
        private final Map<Integer, Long> started = new ConcurrentHashMap<>();
        private final List<Double> seconds = Collections.synchronizedList(new ArrayList<>());
        private volatile String site = "";

        void reset(String callSite) {
            site = callSite;
            seconds.clear();
        }

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            for (StageInfo s : scala.collection.JavaConverters.seqAsJavaList(e.stageInfos())) {
                if (s.name().startsWith(site) || s.details().contains(site)) {
                    started.put(e.jobId(), e.time());
                    return;
                }
            }
        }

        @Override
        public void onJobEnd(SparkListenerJobEnd e) {
            Long t = started.remove(e.jobId());
            if (t != null) seconds.add((e.time() - t) / 1000.0);
        }

        List<Double> seconds() {
            return new ArrayList<>(seconds);
        }
    }
}
