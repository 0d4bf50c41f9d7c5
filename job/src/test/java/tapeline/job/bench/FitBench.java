package tapeline.job.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;
import tapeline.job.train.ColumnBlock;
import tapeline.job.train.GradientPass;

/**
 * Issue 16's comparison: the wall time of a whole fit, data cached, local[2], tapeline's L-BFGS
 * (OWL-QN for the elastic net) through the train job's pass against Spark MLlib 3.5 on the same rows,
 * to the same tolerance (1e-6, maxIter 100, standardization off), and the gradient passes each took.
 * The features are random walks (x_j = x_{j-1} + N(0, 1)): strongly correlated, as in the issue.
 *
 * <p>Run with {@code scripts/bench-fit.sh [rows] [features] [problems]}; problems is a comma list of
 * {@code ls}, {@code logistic}, {@code enet} (default all three).
 */
public final class FitBench {
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        List<String> problems = List.of((args.length > 2 ? args[2] : "ls,logistic,enet").split(","));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("tapeline fit bench")
                .config(new SparkConf().set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                        .set("spark.driver.bindAddress", "127.0.0.1"))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        TrainBench.JobTimes times = new TrainBench.JobTimes();
        spark.sparkContext().addSparkListener(times);
        System.out.printf(Locale.ROOT, "%n%d rows x %d random-walk features, local[2], cached; fit wall time (second fit in the JVM)%n",
                rows, k);
        for (String problem : problems) {
            System.out.print(run(spark, times, problem.trim(), rows, k)); // as each ends: a long run's first figures survive
            System.out.flush();
        }
        spark.stop();
    }

    static String run(SparkSession spark, TrainBench.JobTimes times, String problem, int rows, int k) {
        boolean logistic = !problem.equals("ls");
        Path file = data(spark, rows, k, logistic);
        String loss = logistic ? "softplus(-(2 * y - 1) * (b + dot(w, x)))" : "0.5 * (y - (b + dot(w, x)))^2";
        LossModel model = TrainBench.model(loss, "y", k, 4096, null);
        List<VariableSpec> vars = model.variables();
        JavaRDD<ColumnBlock> blocks = TrainBench.loadTapeline(spark, file, "y", k, 0).blocks();
        Dataset<Row> ml = TrainBench.loadMllib(spark, file, "y", xs(k)).frame();

        boolean enet = problem.equals("enet");
        double regParam = enet ? 0.1 : 0;
        double alpha = enet ? 0.5 : 0;
        Regularizer reg = enet ? new Regularizer(Expression.parse("regularization", "0.1 * 0.5 / 2 * sum(w^2)"), vars, DType.FLOAT64)
                : null;
        boolean[] penalised = new boolean[k + 1];
        for (int j = 1; j <= k; j++) penalised[j] = true;
        GradientPass pass = new GradientPass(spark.sparkContext(), blocks, model, 1.0, 0, 2);

        // Warm-up (JIT) of both, a few iterations each; then the measured fits.
        ours(pass, k, enet, penalised, reg, 3);
        mllib(ml, logistic, regParam, alpha, 3);

        times.reset("treeAggregate at GradientPass");
        long t0 = System.nanoTime();
        TrainLoop.TrainResult r = ours(pass, k, enet, penalised, reg, 100);
        double ourSeconds = (System.nanoTime() - t0) / 1e9;
        int ourPasses = times.seconds().size();

        times.reset("treeAggregate at RDDLossFunction");
        t0 = System.nanoTime();
        double[] theirs = mllib(ml, logistic, regParam, alpha, 100);
        double theirSeconds = (System.nanoTime() - t0) / 1e9;
        int theirPasses = times.seconds().size();

        double[] mine = r.state().params();
        double worst = 0;
        for (int i = 0; i < mine.length; i++) {
            worst = Math.max(worst, Math.abs(mine[i] - theirs[i]) / Math.max(Math.abs(theirs[i]), 1e-3));
        }
        blocks.unpersist(true);
        ml.unpersist(true);
        String name = switch (problem) {
            case "ls" -> "least squares: tapeline lbfgs vs MLlib LinearRegression (l-bfgs, regParam 0)";
            case "logistic" -> "logistic: tapeline lbfgs vs MLlib LogisticRegression (regParam 0)";
            default -> "elastic net logistic: tapeline owlqn vs MLlib LogisticRegression (regParam 0.1, elasticNetParam 0.5)";
        };
        return String.format(Locale.ROOT, "%n%s%n"
                        + "  tapeline: %6.1f s  %3d passes  %3d iterations  %s (%s)%n"
                        + "  MLlib:    %6.1f s  %3d passes  %3d iterations%n"
                        + "  ratio tapeline / MLlib: %.2f (fit time), %.2f (time per pass); largest coefficient difference %.1e (relative)%n",
                name, ourSeconds, ourPasses, r.state().step(), r.status(), r.message(), theirSeconds, theirPasses,
                (int) theirs[theirs.length - 1], ourSeconds / theirSeconds,
                (ourSeconds / ourPasses) / (theirSeconds / theirPasses), worst);
    }

    static TrainLoop.TrainResult ours(GradientPass pass, int k, boolean owlqn, boolean[] penalised, Regularizer reg, int steps) {
        double[] x0 = new double[k + 1];
        QuasiNewton qn = owlqn ? QuasiNewton.owlqn(x0, 10, 0.1 * 0.5, penalised) : QuasiNewton.lbfgs(x0, 10);
        TrainLoop.Settings s = new TrainLoop.Settings(steps, 1e-6, 1e-6, Reduce.MEAN, 0, reg);
        try {
            return TrainLoop.run(TrainState.start(qn), s, pass, TrainLoop.Listener.NONE, st -> {});
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** MLlib's coefficients (intercept first), then its iteration count as the last element. */
    static double[] mllib(Dataset<Row> ml, boolean logistic, double regParam, double alpha, int maxIter) {
        Vector w;
        double b;
        int iterations;
        if (logistic) {
            LogisticRegressionModel m = new LogisticRegression().setStandardization(false).setRegParam(regParam)
                    .setElasticNetParam(alpha).setTol(1e-6).setMaxIter(maxIter).fit(ml);
            w = m.coefficients();
            b = m.intercept();
            iterations = m.summary().totalIterations();
        } else {
            LinearRegressionModel m = new LinearRegression().setSolver("l-bfgs").setStandardization(false)
                    .setRegParam(regParam).setElasticNetParam(alpha).setTol(1e-6).setMaxIter(maxIter).fit(ml);
            w = m.coefficients();
            b = m.intercept();
            iterations = m.summary().totalIterations();
        }
        double[] out = new double[w.size() + 2];
        out[0] = b;
        for (int j = 0; j < w.size(); j++) out[j + 1] = w.apply(j);
        out[out.length - 1] = iterations;
        return out;
    }

    static String[] xs(int k) {
        String[] names = new String[k];
        for (int j = 0; j < k; j++) names[j] = "x" + j;
        return names;
    }

    /**
     * x_0 = N(0,1), x_j = x_{j-1} + N(0,1); z = 0.5 + sum_j c_j x_j with c_j = 0.45 ((j mod 4) - 1.5) / 1.5;
     * y = z + N(0, 0.5^2), or for logistic y ~ Bernoulli(sigmoid(z)). Written once as Parquet (seeded
     * generators): both sides read the same file.
     */
    static Path data(SparkSession spark, int rows, int k, boolean logistic) {
        Path file = Path.of(System.getProperty("java.io.tmpdir"),
                "tapeline-fit-bench-" + (logistic ? "logistic-" : "ls-") + rows + "x" + k + ".parquet");
        if (Files.exists(file.resolve("_SUCCESS"))) {
            return file;
        }
        Dataset<Row> d = spark.range(0, rows, 1, 2).withColumn("x0", functions.randn(1000));
        for (int j = 1; j < k; j++) d = d.withColumn("x" + j, functions.col("x" + (j - 1)).plus(functions.randn(1000 + j)));
        Column z = functions.lit(0.5);
        for (int j = 0; j < k; j++) z = z.plus(functions.col("x" + j).multiply(0.45 * ((j % 4) - 1.5) / 1.5));
        Column y = logistic
                ? functions.when(functions.rand(7).lt(functions.lit(1).divide(functions.lit(1).plus(functions.exp(z.multiply(-1))))), 1.0)
                        .otherwise(0.0)
                : z.plus(functions.randn(7).multiply(0.5));
        List<Column> cols = new ArrayList<>();
        for (String x : xs(k)) cols.add(functions.col(x));
        cols.add(y.as("y"));
        d.select(cols.toArray(Column[]::new)).write().mode("overwrite").parquet(file.toString());
        return file;
    }
}
