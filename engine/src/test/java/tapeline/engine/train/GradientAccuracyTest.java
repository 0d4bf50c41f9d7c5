package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * How far the pass's sums may be from the exact ones, and that they are no farther. The plain-double
 * chunk sums are not correctly rounded; for least squares, {@code l = r^2},
 * {@code r = y - (b + Σ_j w_j x_j)}, the bound is derived here step by step (u = 2^-53,
 * γ(m) = m u / (1 - m u)), and the sums are checked against exact BigDecimal sums of the exact
 * per-row values:
 * <ul>
 *   <li>forward, per row: {@code dot} (k products, k-1 additions, in order), {@code + b},
 *       {@code y -}: {@code |r̂ - r| <= γ(k+2) A}, {@code A = |y| + |b| + Σ|w_j x_j|};</li>
 *   <li>backward, per row: {@code g = -(2 r̂)} exactly (square's rule, then a negation); the
 *       term for {@code w_j} is {@code fl(g x_j)}, one rounding; for {@code b} it is g itself;</li>
 *   <li>per chunk of n rows: {@code laneSum}/{@code laneDot} put each term through at most
 *       {@code floor(n/8) + 14} roundings, so with the product's rounding a chunk sum is off by at
 *       most {@code γ(floor(n/8) + 15) Σ|terms|};</li>
 *   <li>the chunks' sums are added exactly and rounded once: {@code u |result|}.</li>
 * </ul>
 * So {@code |Ĝ_j - G_j| <= Σ 2|x_j| γ(k+2) A + γ(m) Σ 2 |r̂ x_j| + u |Ĝ_j|} with {@code m = floor(L/8) + 15}
 * (x_j = 1 for b), and {@code |L̂ - L| <= Σ γ(k+2) A (2|r| + γ(k+2) A) + γ(m) Σ r̂^2 + u |L̂|}.
 * For 4096-row chunks {@code γ(m)} is about 5.9e-14: the relative error of a sum of terms of one
 * sign is below 1e-13, whatever the number of rows.
 */
class GradientAccuracyTest {

    @Test
    void leastSquaresSumsAreWithinTheDerivedBoundOfTheExactSums() {
        int k = 6;
        int rows = 9000;
        int lanes = 1024; // several chunks per sequence
        Map<String, Integer> inputs = new LinkedHashMap<>();
        inputs.put("y", 1);
        inputs.put("x", k);
        LossModel model = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", k)), inputs, DType.FLOAT64, lanes);
        Random r = new Random(3);
        double[][] c = new double[k + 1][rows];
        for (double[] col : c) {
            for (int i = 0; i < rows; i++) col[i] = r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3); // 1e-3 .. 1e3
        }
        double[] p = new double[k + 1];
        for (int j = 0; j <= k; j++) p[j] = r.nextGaussian() * Math.pow(10, r.nextInt(3) - 1);
        GradientAggregator agg = new GradientAggregator(model);
        agg.add(p, c, 0, 4000).add(p, c, 4000, rows); // two sequences (buckets)
        GradientSums s = agg.snapshot();

        double u = 0x1p-53;
        double gk = gamma(k + 2, u);
        double gm = gamma(lanes / 8 + 15, u);
        MathContext exact = MathContext.UNLIMITED;
        BigDecimal lossExact = BigDecimal.ZERO;
        BigDecimal[] gradExact = new BigDecimal[k + 1];
        java.util.Arrays.fill(gradExact, BigDecimal.ZERO);
        double lossBound = 0;
        double[] gradBound = new double[k + 1];
        for (int i = 0; i < rows; i++) {
            BigDecimal res = new BigDecimal(c[0][i]).subtract(new BigDecimal(p[0]));
            double a = Math.abs(c[0][i]) + Math.abs(p[0]);
            for (int j = 1; j <= k; j++) {
                res = res.subtract(new BigDecimal(p[j]).multiply(new BigDecimal(c[j][i]), exact));
                a += Math.abs(p[j] * c[j][i]);
            }
            lossExact = lossExact.add(res.multiply(res, exact));
            double rAbs = Math.abs(res.doubleValue());
            double rHat = rAbs + gk * a; // a bound on |r̂|
            lossBound += gk * a * (2 * rAbs + gk * a) + gm * rHat * rHat;
            for (int j = 0; j <= k; j++) {
                double x = j == 0 ? 1.0 : Math.abs(c[j][i]);
                BigDecimal xj = j == 0 ? BigDecimal.ONE : new BigDecimal(c[j][i]);
                gradExact[j] = gradExact[j].add(res.multiply(xj, exact).multiply(BigDecimal.valueOf(-2)));
                gradBound[j] += 2 * x * gk * a + gm * 2 * rHat * x;
            }
        }
        double slack = 1 + 1e-9; // the bounds themselves are computed in double: a relative error far below this
        check("loss", s.lossSum(), lossExact, (lossBound + u * Math.abs(s.lossSum())) * slack);
        for (int j = 0; j <= k; j++) {
            check("gradient " + j, s.gradientSum()[j], gradExact[j], (gradBound[j] + u * Math.abs(s.gradientSum()[j])) * slack);
        }
        // Not a vacuous bound: for these rows it is a tiny fraction of the loss.
        assertThat(lossBound).isLessThan(1e-9 * lossExact.doubleValue());
    }

    static double gamma(int m, double u) {
        return m * u / (1 - m * u);
    }

    static void check(String what, double computed, BigDecimal exact, double bound) {
        double error = new BigDecimal(computed).subtract(exact).abs().doubleValue();
        assertThat(error).as("%s: computed %s, exact %s, bound %s", what, computed, exact.doubleValue(), bound)
                .isLessThanOrEqualTo(bound);
    }
}
