// The JVM side of scripts/bench-rowfit.sh, run as a single source file (java -cp JARS RowFitPeer.java ...),
// so it needs nothing built but the job jar and its lib/ (commons-math3 3.6.1, Apache 2.0, ships with Spark):
//
//   parquet IN.jsonl OUT_DIR PARTS   the rows as Parquet (Spark local[1]), PARTS files
//   cm3 IN.jsonl SAMPLE OUT.csv      commons-math3's LevenbergMarquardtOptimizer per row on the first
//                                    SAMPLE rows of the exp3 problem, one thread: what a Java user calls
//                                    from a UDF. Prints cm3_lm_seconds_per_row (the best of 5 passes
//                                    over the sample, after 3 for the JIT) and writes each row's a, b, c.
//   engine exp3|logistic IN.jsonl ROWS OPT [interpreted]   tapeline's engine alone (BlockSolver, blocks
//                                    of 1024 rows, the sweep config's settings), one thread, warm as cm3
//                                    is: prints engine_<opt>_seconds_per_row, the best of 5 passes after 3.
//                                    With "interpreted": engine.codegen = false (the element tape's
//                                    passes on the interpreter, the reference), for same-run ratios.
//   cm3job IN_PARQUET OUT_DIR MASTER commons-math3's LevenbergMarquardtOptimizer per row from a Spark UDF,
//                                    in a Spark job (as a Java user would write it): reads the exp3 rows'
//                                    Parquet (array columns x, y), fits each row in the UDF (the same fit()
//                                    as cm3 above) and writes id, a, b, c, status, error as CSV, like the
//                                    sweep. The UDF times each fit (wall and the task thread's CPU) into
//                                    accumulators, summed over tasks as the sweep's task log lines are;
//                                    prints cm3job_* lines. Run it compiled (javac -d DIR), not from source:
//                                    the tasks deserialize the UDF's class by name, and the source
//                                    launcher's classes live in a loader Spark's executor does not see.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresBuilder;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresOptimizer;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresProblem;
import org.apache.commons.math3.fitting.leastsquares.LevenbergMarquardtOptimizer;
import org.apache.commons.math3.fitting.leastsquares.MultivariateJacobianFunction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.util.Pair;

public class RowFitPeer {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("parquet")) {
            org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder()
                    .master("local[1]").appName("rowfit data").config("spark.ui.enabled", "false").getOrCreate();
            spark.read().json(args[1]).repartition(Integer.parseInt(args[3])).sortWithinPartitions("id")
                    .write().mode("overwrite").parquet(args[2]);
            spark.stop();
        } else if (args[0].equals("engine")) {
            engine(args[1], Path.of(args[2]), Integer.parseInt(args[3]), args[4], args.length > 5 && args[5].equals("interpreted"));
        } else if (args[0].equals("cm3")) {
            cm3(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
        } else if (args[0].equals("cm3job")) {
            cm3Job(args[1], args[2], args[3]);
        } else {
            throw new IllegalArgumentException("usage: parquet|cm3|cm3job|engine ...");
        }
    }

    static void cm3(Path in, int sample, Path out) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<double[][]> rows = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(in)) {
            for (String line; (line = r.readLine()) != null && rows.size() < sample; ) {
                JsonNode n = json.readTree(line);
                ids.add(n.get("id").asLong());
                rows.add(new double[][] {array(n.get("x")), array(n.get("y"))});
            }
        }
        LevenbergMarquardtOptimizer lm = cm3Optimizer();
        double[][] params = new double[rows.size()][];
        double best = Double.POSITIVE_INFINITY;
        double bestCm3Cpu = Double.POSITIVE_INFINITY;
        for (int pass = 0; pass < 8; pass++) {
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < rows.size(); i++) params[i] = fit(lm, rows.get(i)[0], rows.get(i)[1]);
            double s = (System.nanoTime() - t0) / 1e9 / rows.size();
            double c = (cpu.getCurrentThreadCpuTime() - c0) / 1e9 / rows.size();
            if (pass >= 3) best = Math.min(best, s);
            if (pass >= 3) bestCm3Cpu = Math.min(bestCm3Cpu, c);
        }
        System.out.printf("cm3_lm_seconds_per_row %.9f%n", best);
        // the thread's CPU time, for a loaded machine (the line above is wall time)
        System.out.printf("cm3_lm_cpu_seconds_per_row %.9f%n", bestCm3Cpu);
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            w.println("id,a,b,c");
            for (int i = 0; i < rows.size(); i++) {
                w.printf("%d,%.17g,%.17g,%.17g%n", ids.get(i), params[i][0], params[i][1], params[i][2]);
            }
        }
    }

    /** The one commons-math3 setting both peers use (warm and in the job): its defaults, tolerances 1e-12. */
    static LevenbergMarquardtOptimizer cm3Optimizer() {
        return new LevenbergMarquardtOptimizer()
                .withCostRelativeTolerance(1e-12).withParameterRelativeTolerance(1e-12).withOrthoTolerance(1e-12);
    }

    /**
     * commons-math3 per row in a Spark job: a UDF on the Parquet rows' x and y that returns the fit as a
     * struct, written as CSV. Spark's settings are the sweep's embedded run's (no web UI, Hadoop's local
     * file system without a chmod process per file), so the job's wall compares with the sweep's.
     */
    static void cm3Job(String in, String out, String master) {
        org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf().setMaster(master)
                .setAppName("commons-math3 rowfit bench").set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false");
        try {
            Class.forName("tapeline.job.io.LocalFiles"); // on the job's class path: the sweep runs with it
            conf.set("spark.hadoop.fs.file.impl", "tapeline.job.io.LocalFiles");
        } catch (ClassNotFoundException e) {
            // an older job jar: Hadoop's own local file system
        }
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().config(conf).getOrCreate();
        org.apache.spark.SparkContext sc = spark.sparkContext();
        Cm3Udf udf = new Cm3Udf(sc.longAccumulator("rows"), sc.longAccumulator("fit wall ns"),
                sc.longAccumulator("fit cpu ns"), sc.longAccumulator("failed"));
        // The tasks' own CPU and run time (Spark's task metrics), as the sweep's "... of T s in the task".
        TaskTimes tasks = new TaskTimes();
        sc.addSparkListener(tasks);
        org.apache.spark.sql.types.StructType fitType = new org.apache.spark.sql.types.StructType()
                .add("a", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("b", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("c", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("status", org.apache.spark.sql.types.DataTypes.StringType)
                .add("error", org.apache.spark.sql.types.DataTypes.StringType);
        // Nondeterministic: otherwise the optimizer may inline the UDF into each of the five field
        // reads below and fit every row five times (the rows accumulator would show it).
        org.apache.spark.sql.expressions.UserDefinedFunction fit =
                org.apache.spark.sql.functions.udf(udf, fitType).asNondeterministic();
        long t0 = System.nanoTime();
        spark.read().parquet(in)
                .select(org.apache.spark.sql.functions.col("id"),
                        fit.apply(org.apache.spark.sql.functions.col("x"), org.apache.spark.sql.functions.col("y")).as("fit"))
                .select("id", "fit.a", "fit.b", "fit.c", "fit.status", "fit.error")
                .write().option("header", "true").csv(out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long rows = udf.rows.value();
        spark.stop(); // the listener's last events are in once the context has stopped
        System.out.printf("cm3job_rows %d%n", rows);
        System.out.printf("cm3job_failed %d%n", udf.failed.value());
        System.out.printf("cm3job_tasks %d%n", tasks.count);
        System.out.printf("cm3job_fit_seconds %.6f%n", udf.wallNanos.value() / 1e9);
        System.out.printf("cm3job_fit_cpu_seconds %.6f%n", udf.cpuNanos.value() / 1e9);
        System.out.printf("cm3job_task_cpu_seconds %.6f%n", tasks.cpuNanos / 1e9);
        System.out.printf("cm3job_task_seconds %.6f%n", tasks.runMillis / 1e3);
        System.out.printf("cm3job_write_seconds %.6f%n", seconds);
    }

    /** The UDF: one row's x and y to its fit (a, b, c, status, error); a fit that throws is a failed row. */
    static final class Cm3Udf implements org.apache.spark.sql.api.java.UDF2<
            scala.collection.Seq<Double>, scala.collection.Seq<Double>, org.apache.spark.sql.Row> {
        final org.apache.spark.util.LongAccumulator rows;
        final org.apache.spark.util.LongAccumulator wallNanos;
        final org.apache.spark.util.LongAccumulator cpuNanos;
        final org.apache.spark.util.LongAccumulator failed;
        private transient LevenbergMarquardtOptimizer lm;

        Cm3Udf(org.apache.spark.util.LongAccumulator rows, org.apache.spark.util.LongAccumulator wallNanos,
                org.apache.spark.util.LongAccumulator cpuNanos, org.apache.spark.util.LongAccumulator failed) {
            this.rows = rows;
            this.wallNanos = wallNanos;
            this.cpuNanos = cpuNanos;
            this.failed = failed;
        }

        @Override
        public org.apache.spark.sql.Row call(scala.collection.Seq<Double> xs, scala.collection.Seq<Double> ys) {
            if (lm == null) lm = cm3Optimizer();
            rows.add(1);
            if (xs == null || ys == null || xs.length() != ys.length()) {
                failed.add(1);
                return org.apache.spark.sql.RowFactory.create(null, null, null, "INVALID", "x and y: null or of different lengths");
            }
            double[] x = new double[xs.length()];
            double[] y = new double[ys.length()];
            for (int i = 0; i < x.length; i++) {
                x[i] = xs.apply(i);
                y[i] = ys.apply(i);
            }
            // Only the fit is timed, as the sweep times only its engine (not the rows into lanes).
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            double[] p = null;
            String error = null;
            try {
                p = fit(lm, x, y);
            } catch (RuntimeException e) { // commons-math3's TooManyEvaluations, Convergence, ... exceptions
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            cpuNanos.add(cpu.getCurrentThreadCpuTime() - c0);
            wallNanos.add(System.nanoTime() - t0);
            if (p != null && !(Double.isFinite(p[0]) && Double.isFinite(p[1]) && Double.isFinite(p[2]))) {
                error = "not finite: " + java.util.Arrays.toString(p);
            }
            if (error != null) {
                failed.add(1);
                return org.apache.spark.sql.RowFactory.create(null, null, null, "FAILED", error);
            }
            return org.apache.spark.sql.RowFactory.create(p[0], p[1], p[2], "CONVERGED", null);
        }
    }

    /** Spark's task metrics summed over the job's tasks (the driver's listener thread writes, main reads after stop). */
    static final class TaskTimes extends org.apache.spark.scheduler.SparkListener {
        volatile long count;
        volatile long cpuNanos;
        volatile long runMillis;

        @Override
        public synchronized void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
            if (end.taskMetrics() == null) return;
            count++;
            cpuNanos += end.taskMetrics().executorCpuTime();
            runMillis += end.taskMetrics().executorRunTime();
        }
    }

    /** One row: residuals y - (a exp(-b x) + c) with their exact Jacobian, from a = 1, b = 0.5, c = 0. */
    static double[] fit(LeastSquaresOptimizer lm, double[] x, double[] y) {
        int n = x.length;
        MultivariateJacobianFunction model = p -> {
            double a = p.getEntry(0), b = p.getEntry(1), c = p.getEntry(2);
            double[] v = new double[n];
            double[][] j = new double[n][3];
            for (int i = 0; i < n; i++) {
                double e = Math.exp(-b * x[i]);
                v[i] = a * e + c;
                j[i][0] = e;
                j[i][1] = -a * x[i] * e;
                j[i][2] = 1;
            }
            return new Pair<RealVector, org.apache.commons.math3.linear.RealMatrix>(
                    new ArrayRealVector(v, false), new Array2DRowRealMatrix(j, false));
        };
        LeastSquaresProblem problem = new LeastSquaresBuilder().model(model).target(y)
                .start(new double[] {1, 0.5, 0}).maxEvaluations(10000).maxIterations(10000).lazyEvaluation(false).build();
        return lm.optimize(problem).getPoint().toArray();
    }

    /** The sweep's own solve of the rows, without Spark: the job's per-row cost once the JVM is warm. */
    static void engine(String problem, Path in, int limit, String opt, boolean interpreted) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(in)) {
            for (String line; (line = r.readLine()) != null && rows.size() < limit; ) rows.add(json.readTree(line));
        }
        boolean exp3 = problem.equals("exp3");
        List<String> inputs = exp3 ? List.of("x", "y") : List.of("x1", "x2", "x3", "x4", "x5", "y");
        int n = rows.get(0).get("y").size();
        java.util.Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        for (String c : inputs) sizes.put(c, n);
        tapeline.engine.solve.SolverSettings settings = opt.equals("lm")
                ? new tapeline.engine.solve.SolverSettings(200, 1e-12, 1e-12, false, 1e-12)
                : new tapeline.engine.solve.SolverSettings(200, 1e-9, 0);
        List<String> names = exp3 ? List.of("a", "b", "c") : List.of("b", "w1", "w2", "w3", "w4", "w5");
        List<tapeline.engine.solve.VariableSpec> vars = new ArrayList<>();
        for (String v : names) vars.add(new tapeline.engine.solve.VariableSpec(v, 1));
        String m = "(b + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4 + w5 * x5)";
        tapeline.engine.solve.BlockSolver solver = exp3
                ? tapeline.engine.solve.BlockSolver.leastSquares(
                        List.of(tapeline.engine.expr.Expression.parse("residuals", "y - (a * exp(-b * x) + c)")),
                        vars, sizes, opt, java.util.Map.of(), settings, tapeline.engine.tape.DType.FLOAT64)
                : new tapeline.engine.solve.BlockSolver(
                        tapeline.engine.expr.Expression.parse("cost", "sum(softplus(" + m + ") - y * " + m + ")"),
                        vars, sizes, opt, java.util.Map.of(), settings, tapeline.engine.tape.DType.FLOAT64);
        if (interpreted) solver = solver.withCodegen(false);
        int block = 1024;
        double best = Double.POSITIVE_INFINITY;
        for (int pass = 0; pass < 8; pass++) {
            for (int from = 0; from < rows.size(); from += block) {
                int lanes = Math.min(block, rows.size() - from);
                java.util.Map<String, double[][]> in2 = new java.util.HashMap<>();
                for (String c : inputs) {
                    double[][] cols = new double[n][lanes];
                    for (int p = 0; p < lanes; p++) {
                        JsonNode a = rows.get(from + p).get(c);
                        for (int i = 0; i < n; i++) cols[i][p] = a.get(i).asDouble();
                    }
                    in2.put(c, cols);
                }
                java.util.Map<String, double[][]> init = new java.util.HashMap<>();
                if (exp3) {
                    double[][] one = new double[1][lanes];
                    double[][] half = new double[1][lanes];
                    java.util.Arrays.fill(one[0], 1);
                    java.util.Arrays.fill(half[0], 0.5);
                    init.put("a", one);
                    init.put("b", half);
                }
                long s0 = System.nanoTime();
                long c0 = cpu.getCurrentThreadCpuTime();
                solver.solve(lanes, in2, init, java.util.Map.of());
                solveNanos += System.nanoTime() - s0; // the solve only: not the copy of the rows into lanes
                cpuNanos += cpu.getCurrentThreadCpuTime() - c0;
            }
            double s = solveNanos / 1e9 / rows.size();
            double c = cpuNanos / 1e9 / rows.size();
            solveNanos = 0;
            cpuNanos = 0;
            if (pass >= 3) best = Math.min(best, s);
            if (pass >= 3) bestCpu = Math.min(bestCpu, c);
        }
        System.out.printf("engine_%s_seconds_per_row %.9f%n", opt, best);
        // the thread's CPU time, for a loaded machine (the line above is wall time)
        System.out.printf("cpu_per_row_engine_%s %.9f%n", opt, bestCpu);
    }

    private static long solveNanos;
    private static long cpuNanos;
    private static double bestCpu = Double.POSITIVE_INFINITY;
    private static final java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();

    static double[] array(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
        return v;
    }
}
