package tapeline.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.LossModel;

/**
 * One thread's share of the train job's gradient pass, without Spark: {@link GradientAggregator#add}
 * over {@value #ROWS} rows x {@value #FEATURES} features held as the job caches them (buckets of
 * about {@value #BUCKET} rows, each column its own array, read in place), at the job's default
 * {@code block.size} (4096: one chunk per bucket). Least squares and logistic loss, written with
 * {@code dot(w, x)} and spelled out; compiled ({@code engine.codegen}) or interpreted.
 */
final class TrainPass {
    static final int ROWS = 1_000_000;
    static final int FEATURES = 20;
    static final int BUCKET = 1953; // 1,000,000 rows in 512 buckets, as the job's 1024 buckets hold 2,000,000

    /** Bucket b's columns: y (real), then x0..x19; the logistic label column is separate. */
    private final List<double[][]> real = new ArrayList<>();
    private final List<double[][]> labelled = new ArrayList<>();

    TrainPass() {
        Random r = new Random(12);
        double[] w = new double[FEATURES];
        for (int j = 0; j < FEATURES; j++) w[j] = r.nextGaussian();
        for (int start = 0; start < ROWS; start += BUCKET) {
            int n = Math.min(BUCKET, ROWS - start);
            double[][] c = new double[FEATURES + 1][n];
            double[] label = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 0.5;
                for (int j = 0; j < FEATURES; j++) {
                    c[j + 1][i] = r.nextGaussian();
                    s += w[j] * c[j + 1][i];
                }
                c[0][i] = s + r.nextGaussian();
                label[i] = r.nextDouble() < 1 / (1 + Math.exp(-s)) ? 1 : 0;
            }
            double[][] l = c.clone();
            l[0] = label;
            real.add(c);
            labelled.add(l);
        }
    }

    /** The loss: {@code ls} or {@code logistic}, with {@code dot} or spelled out; or {@code large} (with {@code dot}: vector w). */
    static LossModel model(String loss, boolean dot, boolean codegen) {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", FEATURES);
        List<VariableSpec> vars = new ArrayList<>(List.of(new VariableSpec("b", 1)));
        String linear;
        if (dot) {
            vars.add(new VariableSpec("w", FEATURES));
            linear = "b + dot(w, x)";
        } else {
            StringBuilder s = new StringBuilder("b");
            for (int j = 0; j < FEATURES; j++) {
                vars.add(new VariableSpec("w" + j, 1));
                s.append(" + w").append(j).append(" * x[").append(j).append(']');
            }
            linear = s.toString();
        }
        String text = switch (loss) {
            case "ls" -> "(y - (" + linear + "))^2";
            case "logistic" -> "softplus(-(2*y - 1) * (" + linear + "))";
            // A larger loss: about a hundred per-row ops and their backward in the main loop, nothing swept.
            case "large" -> "sum(square(x - w) * tanh(x * w)) + square(y - b)";
            default -> throw new IllegalArgumentException("ls, logistic or large, got " + loss);
        };
        return new LossModel(Expression.parse("loss", text), vars, in, DType.FLOAT64, 4096).withCodegen(codegen);
    }

    /** One pass over every bucket, as one partition's task does; returns the loss sum (a sink). */
    java.util.function.DoubleSupplier pass(String loss, boolean dot, boolean codegen) {
        LossModel m = model(loss, dot, codegen);
        if (codegen) {
            String reason = GradientAggregator.awaitCompiled(m);
            if (reason != null) throw new IllegalStateException("not compiled: " + reason);
        }
        double[] params = new double[m.parameterCount()];
        for (int k = 0; k < params.length; k++) params[k] = 0.1 * (k % 7) - 0.3;
        List<double[][]> data = loss.equals("ls") ? real : labelled;
        return () -> {
            GradientAggregator agg = new GradientAggregator(m);
            for (double[][] b : data) agg.add(params, b, 0, b[0].length);
            if (codegen ? agg.interpretedChunks() != 0 : agg.compiledChunks() != 0) throw new IllegalStateException(agg.describePath());
            return agg.snapshot().lossSum();
        };
    }
}
