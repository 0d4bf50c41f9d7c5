package tapeline.job.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
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
import tapeline.job.train.ColumnBlock;
import tapeline.job.train.GradientPass;

/**
 * The speed comparison: least squares on N rows x K features, cached, local[2]. Time per
 * gradient pass of tapeline's train job (one treeAggregate of the tape aggregator) against Spark
 * MLlib 3.5's LinearRegression (l-bfgs, standardization off, regParam 0), measured in the same run as
 * the median duration of the Spark jobs that are gradient passes; plus the cached data's memory.
 *
 * <p>Run with {@code scripts/bench-train.sh [rows] [features] [passes]}.
 */
public final class TrainBench {
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int lanes = args.length > 3 ? Integer.parseInt(args[3]) : 4096; // the train job's block.size
        SparkSession spark = SparkSession.builder().master("local[2]").appName("tapeline train bench")
                .config(new SparkConf().set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                        .set("spark.driver.bindAddress", "127.0.0.1"))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        JobTimes times = new JobTimes();
        spark.sparkContext().addSparkListener(times);

        // y = 1 + sum_j (j+1)/k * x_j + noise, x ~ U(-1, 1) from a seeded hash of (row, column): same data for both.
        List<org.apache.spark.sql.Column> cols = new ArrayList<>();
        org.apache.spark.sql.Column y = functions.lit(1.0);
        for (int j = 0; j < k; j++) {
            org.apache.spark.sql.Column x = functions.rand(1000 + j).multiply(2).minus(1);
            cols.add(x.as("x" + j));
        }
        Dataset<Row> base = spark.range(0, rows, 1, 2).select(cols.toArray(new org.apache.spark.sql.Column[0]));
        for (int j = 0; j < k; j++) y = y.plus(functions.col("x" + j).multiply((j + 1.0) / k));
        Dataset<Row> data = base.withColumn("y", y.plus(functions.rand(7).minus(0.5).multiply(0.01)));

        // tapeline: rows -> column blocks, cached.
        Map<String, Integer> inputs = new LinkedHashMap<>();
        inputs.put("y", 1);
        inputs.put("x", k);
        LossModel model = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", k)), inputs, DType.FLOAT64, lanes);
        List<Cell> cells = new ArrayList<>();
        cells.add(Cell.scalar(k, "y"));
        for (int j = 0; j < k; j++) cells.add(Cell.scalar(j, "x" + j));
        org.apache.spark.sql.types.StructType schema = data.schema();
        JavaRDD<ColumnBlock> blocks = data.queryExecution().toRdd().toJavaRDD()
                .mapPartitions(it -> ColumnBlock.fromRows(it, schema, cells, false))
                .persist(StorageLevel.MEMORY_ONLY());
        blocks.setName("tapeline column blocks");
        long t0 = System.nanoTime();
        long cached = blocks.map(ColumnBlock::rows).reduce(Integer::sum);
        System.out.printf(Locale.ROOT, "tapeline: cached %d rows in %.1f s%n", cached, (System.nanoTime() - t0) / 1e9);
        GradientPass pass = new GradientPass(spark.sparkContext(), blocks, model, 1.0, 0, 2);
        double[] params = new double[k + 1];
        for (int i = 0; i < 3; i++) pass.pass(params, i); // warm-up: JIT
        times.reset("treeAggregate at GradientPass");
        for (int i = 0; i < passes; i++) {
            params[0] = 0.001 * i;
            pass.pass(params, i);
        }
        double ours = times.median();
        long ourMem = memory(spark, blocks.rdd());

        // MLlib: label + features vector, cached, as MLlib users cache it.
        Dataset<Row> ml = new VectorAssembler().setInputCols(base.columns()).setOutputCol("features")
                .transform(data).select(functions.col("y").as("label"), functions.col("features"))
                .persist(StorageLevel.MEMORY_ONLY());
        ml.count();
        long mlMem = memory(spark, null);
        LinearRegression lr = new LinearRegression().setSolver("l-bfgs").setStandardization(false).setRegParam(0)
                .setElasticNetParam(0).setMaxIter(passes).setTol(0);
        lr.fit(ml); // warm-up
        times.reset("treeAggregate at RDDLossFunction");
        t0 = System.nanoTime();
        lr.fit(ml);
        double fit = (System.nanoTime() - t0) / 1e9;
        double theirs = times.median();

        System.out.printf(Locale.ROOT, "%n%d rows x %d features, local[2], cached, median of the gradient-pass jobs%n", rows, k);
        System.out.printf(Locale.ROOT, "  tapeline train pass:        %8.1f ms  (%d passes)%n", ours * 1000, passes);
        System.out.printf(Locale.ROOT, "  MLlib LinearRegression pass:%8.1f ms  (%d passes; fit %.1f s)%n", theirs * 1000,
                times.count(), fit);
        System.out.printf(Locale.ROOT, "  ratio tapeline / MLlib:     %8.2f%n", ours / theirs);
        System.out.printf(Locale.ROOT, "  cached memory: tapeline %.1f MB, MLlib input (label, features) %.1f MB%n",
                ourMem / 1e6, mlMem / 1e6);
        spark.stop();
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

        int count() {
            return seconds.size();
        }

        double median() {
            List<Double> s = new ArrayList<>(seconds);
            Collections.sort(s);
            return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
        }
    }
}
