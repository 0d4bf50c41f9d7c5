package tapeline.engine.group;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainState;

/** Seeded blocks of groups and the models the group tests fit. */
final class GroupFixtures {
    private GroupFixtures() {}

    static Map<String, Integer> yx(int k) {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", k);
        return in;
    }

    static List<VariableSpec> bw(int k) {
        return List.of(new VariableSpec("b", 1), new VariableSpec("w", k));
    }

    /** Least squares: 0.5 (y - b - w.x)^2. */
    static LossModel leastSquares(int k, DType dtype, int lanes, boolean codegen) {
        return new LossModel(Expression.parse("loss", "0.5 * (y - (b + dot(w, x)))^2"), bw(k), yx(k), dtype, lanes, codegen);
    }

    /** Logistic regression on labels y in {0, 1}: softplus(-(2y - 1)(b + w.x)). */
    static LossModel logistic(int k, DType dtype, int lanes, boolean codegen) {
        return new LossModel(Expression.parse("loss", "softplus(-(2*y - 1) * (b + dot(w, x)))"), bw(k), yx(k), dtype, lanes, codegen);
    }

    /**
     * A block of groups of the given sizes: columns y, x[0..k). Each group has its own true
     * coefficients; y is linear plus noise, or (logistic) a 0/1 draw of the sigmoid.
     */
    static GroupBlock block(int[] sizes, int k, boolean labels, long seed) {
        Random r = new Random(seed);
        int[] starts = new int[sizes.length + 1];
        for (int g = 0; g < sizes.length; g++) starts[g + 1] = starts[g] + sizes[g];
        int n = starts[sizes.length];
        double[][] c = new double[k + 1][n];
        for (int g = 0; g < sizes.length; g++) {
            double b = r.nextGaussian();
            double[] w = new double[k];
            for (int j = 0; j < k; j++) w[j] = r.nextGaussian() * (labels ? 0.7 : 2);
            for (int i = starts[g]; i < starts[g + 1]; i++) {
                double eta = b;
                for (int j = 0; j < k; j++) {
                    c[j + 1][i] = r.nextGaussian() + (j == 0 ? 0.3 * c[1][i] : 0);
                    eta += w[j] * c[j + 1][i];
                }
                c[0][i] = labels ? (r.nextDouble() < 1 / (1 + Math.exp(-eta)) ? 1 : 0) : eta + 0.3 * r.nextGaussian();
            }
        }
        return new GroupBlock(c, starts);
    }

    /** Sizes from 1 to max, skewed: most groups small, a few large. */
    static int[] skewedSizes(int groups, int max, long seed) {
        Random r = new Random(seed);
        int[] s = new int[groups];
        for (int g = 0; g < groups; g++) {
            double u = r.nextDouble();
            s[g] = Math.max(1, Math.min(max, (int) Math.floor(Math.exp(u * u * u * Math.log(max)))));
        }
        return s;
    }

    /** Group g's rows copied out into arrays of their own. */
    static double[][] rowsOf(GroupBlock b, int g) {
        double[][] out = new double[b.columns().length][];
        for (int c = 0; c < out.length; c++) {
            out[c] = java.util.Arrays.copyOfRange(b.columns()[c], b.from(g), b.to(g));
        }
        return out;
    }

    /** A start for {@code optimizer} (lbfgs, owlqn with l1 on w, or a Keras optimizer) at 0. */
    static GroupProblem.StartState start(String optimizer, LossModel m, DType dtype) {
        int n = m.parameterCount();
        return switch (optimizer) {
            case "lbfgs" -> () -> TrainState.start(QuasiNewton.lbfgs(new double[n], 10));
            case "owlqn" -> () -> {
                boolean[] pen = new boolean[n];
                for (int k = 1; k < n; k++) pen[k] = true;
                return TrainState.start(QuasiNewton.owlqn(new double[n], 10, 0.05, pen));
            };
            case "newton" -> () -> TrainState.start(new double[n],
                    m.buildOptimizer(Optimizers.create("newton", Map.of(), dtype)));
            case "adam" -> () -> TrainState.start(new double[n],
                    m.buildOptimizer(Optimizers.create("adam", Map.of("learning_rate", Hyper.of(0.05)), dtype)));
            default -> throw new IllegalArgumentException(optimizer);
        };
    }

    /** Solves a x = b by Gaussian elimination with partial pivoting (a and b are overwritten). */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] t = a[col]; a[col] = a[piv]; a[piv] = t;
            double tb = b[col]; b[col] = b[piv]; b[piv] = tb;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                for (int c = col; c < n; c++) a[r][c] -= f * a[col][c];
                b[r] -= f * b[col];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int c = r + 1; c < n; c++) s -= a[r][c] * x[c];
            x[r] = s / a[r][r];
        }
        return x;
    }
}
