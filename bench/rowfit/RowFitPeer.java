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
        } else {
            throw new IllegalArgumentException("usage: parquet|cm3 ...");
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
        LevenbergMarquardtOptimizer lm = new LevenbergMarquardtOptimizer()
                .withCostRelativeTolerance(1e-12).withParameterRelativeTolerance(1e-12).withOrthoTolerance(1e-12);
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
