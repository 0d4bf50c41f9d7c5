package tapeline.bench;

import java.io.DataOutputStream;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import tapeline.engine.expr.Expression;
import tapeline.engine.group.BatchedGroupSolver;
import tapeline.engine.group.GroupBlock;
import tapeline.engine.group.GroupFit;
import tapeline.engine.group.GroupProblem;
import tapeline.engine.group.GroupSolver;
import tapeline.engine.group.PerGroupSolver;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;

/**
 * Per-group solve time of the engine's group solvers (issue 21): G groups x R rows x K features,
 * least squares or logistic, L-BFGS or Newton, one thread. Prints ms per group and, with an output
 * prefix, writes the data ({@code prefix.data}: little-endian doubles, row-major y, x[0..K)) and the
 * fitted coefficients ({@code prefix.fit}) for scripts/bench-group-engine.py to compare with scipy.
 *
 * <pre>
 *   java -cp ... tapeline.bench.GroupSolveDriver ls lbfgs 20000 200 5 batched [prefix]
 * </pre>
 */
public final class GroupSolveDriver {
    public static void main(String[] a) throws Exception {
        String loss = a[0];
        String opt = a[1];
        int groups = Integer.parseInt(a[2]);
        int rows = Integer.parseInt(a[3]);
        int k = Integer.parseInt(a[4]);
        String which = a[5];
        String prefix = a.length > 6 ? a[6] : null;
        int reps = a.length > 7 ? Integer.parseInt(a[7]) : 3;
        GroupBlock block = data(groups, rows, k, loss.equals("logistic"), 42);
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", k);
        String src = loss.equals("logistic") ? "softplus(-(2*y - 1) * (b + dot(w, x)))" : "0.5 * (y - (b + dot(w, x)))^2";
        LossModel m = new LossModel(Expression.parse("loss", src),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", k)), in, DType.FLOAT64, 1024, true);
        String why = GradientAggregator.awaitCompiled(m);
        System.out.println("pass: " + (why == null ? "compiled" : "interpreted (" + why + ")"));
        if (opt.equals("newton")) {
            String h = GradientAggregator.awaitHessianCompiled(m);
            System.out.println("pass: Hessian " + (h == null ? "compiled" : "interpreted (" + h + ")"));
        }
        int n = k + 1;
        GroupProblem.StartState start = switch (opt) {
            case "lbfgs" -> () -> TrainState.start(QuasiNewton.lbfgs(new double[n], 10));
            case "newton" -> () -> TrainState.start(new double[n],
                    m.buildOptimizer(tapeline.engine.optim.Optimizers.create("newton", Map.of(), DType.FLOAT64)));
            default -> throw new IllegalArgumentException(opt);
        };
        // A tight tolerance: the optimum to compare with scipy's, not an early stop.
        GroupProblem p = new GroupProblem(m, new TrainLoop.Settings(1000, 1e-12, 0, Reduce.SUM, 0), start);
        GroupSolver solver = which.equals("batched") ? new BatchedGroupSolver() : new PerGroupSolver();
        GroupFit[] fits = null;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            fits = solver.solve(p, block);
            double s = (System.nanoTime() - t0) / 1e9;
            long passes = 0;
            for (GroupFit f : fits) passes += f.passes();
            System.out.printf("%s %s %s groups=%d rows=%d k=%d: %.4f ms/group (%.1f passes/group) rep %d%n",
                    loss, opt, which, groups, rows, k, 1e3 * s / groups, (double) passes / groups, r);
        }
        Map<TrainLoop.Status, Integer> count = new java.util.TreeMap<>();
        for (GroupFit f : fits) count.merge(f.status(), 1, Integer::sum);
        System.out.println("statuses " + count);
        if (prefix != null) {
            int kept = Math.min(groups, WRITTEN);
            write(prefix + ".data", block, k, block.from(kept));
            try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(prefix + ".fit")))) {
                ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (GroupFit f : java.util.Arrays.copyOf(fits, kept)) {
                    b.clear();
                    for (double v : f.params()) b.putDouble(v);
                    o.write(b.array());
                }
            }
        }
    }

    static GroupBlock data(int groups, int rows, int k, boolean labels, long seed) {
        Random r = new Random(seed);
        int total = groups * rows;
        double[][] c = new double[k + 1][total];
        int[] starts = new int[groups + 1];
        for (int g = 0; g < groups; g++) {
            starts[g + 1] = starts[g] + rows;
            double b = r.nextGaussian();
            double[] w = new double[k];
            for (int j = 0; j < k; j++) w[j] = r.nextGaussian() * (labels ? 0.5 : 2);
            for (int i = starts[g]; i < starts[g + 1]; i++) {
                double eta = b;
                for (int j = 0; j < k; j++) {
                    c[j + 1][i] = r.nextGaussian();
                    eta += w[j] * c[j + 1][i];
                }
                c[0][i] = labels ? (r.nextDouble() < 1 / (1 + Math.exp(-eta)) ? 1 : 0) : eta + 0.5 * r.nextGaussian();
            }
        }
        return new GroupBlock(c, starts);
    }

    /** Groups whose data and fits are written for the comparison with scipy (which times only a few). */
    static final int WRITTEN = 2000;

    static void write(String path, GroupBlock block, int k, int rows) throws IOException {
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(path), 1 << 20))) {
            ByteBuffer b = ByteBuffer.allocate(8 * (k + 1)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < rows; i++) {
                b.clear();
                for (int c = 0; c <= k; c++) b.putDouble(block.columns()[c][i]);
                o.write(b.array());
            }
        }
    }
}
