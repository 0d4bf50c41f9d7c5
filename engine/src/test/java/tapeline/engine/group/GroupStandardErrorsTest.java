package tapeline.engine.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.solve.StandardErrors;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.ParameterErrors;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.ResidualModel;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;

/**
 * Each group's standard errors against the closed forms of a straight line {@code y = b + w x}
 * (2 x 2 matrices inverted by hand): from the residuals, {@code sigma^2 (A^T A)^-1} with
 * {@code sigma^2 = RSS / (n - 2)} at the group's parameters; for a negative log-likelihood
 * {@code 0.5 (y - b - w x)^2}, the inverse of {@code A^T A} plus the regularization's Hessian scaled
 * as the objective scales it. Each group reads its own rows only; INVALID and DIVERGED groups.
 */
class GroupStandardErrorsTest {

    /** Two groups: rows 0..4 and 5..11; columns y, x. */
    static final GroupBlock BLOCK = new GroupBlock(new double[][] {
        {1.1, 2.9, 5.2, 7.1, 8.8, -1, 0.5, 2.2, 2.8, 4.9, 6.1, 7.7},
        {0, 1, 2, 3, 4, -2, -1, 0, 1, 2, 3, 4.5}}, new int[] {0, 5, 12});

    static GroupProblem problem(Reduce reduce, Regularizer reg, boolean residuals) {
        LossModel model = new LossModel(Expression.parse("loss", "0.5 * (y - (b + dot(w, x)))^2"), GroupFixtures.bw(1),
                GroupFixtures.yx(1), DType.FLOAT64, 4, false);
        ResidualModel r = residuals ? ResidualModel.of(List.of(Expression.parse("residuals", "y - (b + dot(w, x))")), model) : null;
        return new GroupProblem(model, new TrainLoop.Settings(10, 0, 0, reduce, 0, reg, 0),
                () -> TrainState.start(QuasiNewton.lbfgs(new double[2], 5)), r);
    }

    static GroupFit fit(double b, double w, TrainLoop.Status status) {
        return new GroupFit(new double[] {b, w}, 0, 0, 1, 1, status, null);
    }

    /** {Σ1, Σx, Σx², RSS at (b, w)} over rows [from, to). */
    static double[] sums(int from, int to, double b, double w) {
        double n = 0, sx = 0, sxx = 0, rss = 0;
        for (int i = from; i < to; i++) {
            double x = BLOCK.columns()[1][i];
            double r = BLOCK.columns()[0][i] - b - w * x;
            n++;
            sx += x;
            sxx += x * x;
            rss += r * r;
        }
        return new double[] {n, sx, sxx, rss};
    }

    /** sqrt(diag(scale * [[a, c], [c, d]]^-1)). */
    static double[] se(double a, double c, double d, double scale) {
        double det = a * d - c * c;
        return new double[] {Math.sqrt(scale * d / det), Math.sqrt(scale * a / det)};
    }

    @Test
    void residualsGiveSigmaSquaredTimesTheInverseOfAtAOverTheGroupsOwnRows() {
        GroupProblem p = problem(Reduce.SUM, null, true);
        double b = 0.9, w = 1.6; // not the optimum: the formula at the group's result, whatever it is
        for (int g = 0; g < 2; g++) {
            double[] s = sums(BLOCK.from(g), BLOCK.to(g), b, w);
            double[] want = se(s[0], s[1], s[2], s[3] / (s[0] - 2));
            ParameterErrors e = GroupStandardErrors.of(p, StandardErrors.Kind.RESIDUALS, BLOCK, g, fit(b, w, TrainLoop.Status.CONVERGED));
            assertThat(e.reason()).isNull();
            assertThat(e.se()[0]).as("group %d b", g).isCloseTo(want[0], within(1e-12 * want[0]));
            assertThat(e.se()[1]).as("group %d w", g).isCloseTo(want[1], within(1e-12 * want[1]));
            assertThat(e.covariance()[0][1]).isEqualTo(e.covariance()[1][0]);
        }
    }

    @Test
    void aNegativeLogLikelihoodAddsTheRegularizationsHessianAsTheObjectiveScalesIt() {
        double lambda = 0.3;
        Regularizer reg = new Regularizer(Expression.parse("regularization", "0.5 * " + lambda + " * sum(w^2)"),
                GroupFixtures.bw(1), DType.FLOAT64);
        int g = 1;
        double[] s = sums(BLOCK.from(g), BLOCK.to(g), 0, 0);
        // sum: H = A^T A + lambda e_w e_w^T; mean: the objective is the mean loss plus the penalty, so the
        // likelihood's scale (the sum) carries n times the penalty's Hessian.
        for (Reduce reduce : Reduce.values()) {
            double shift = reduce == Reduce.SUM ? lambda : s[0] * lambda;
            double[] want = se(s[0], s[1], s[2] + shift, 1);
            ParameterErrors e = GroupStandardErrors.of(problem(reduce, reg, false), StandardErrors.Kind.NLL, BLOCK, g,
                    fit(0.2, 1.1, TrainLoop.Status.MAX_STEPS));
            assertThat(e.reason()).isNull();
            assertThat(e.se()[0]).as("%s b", reduce).isCloseTo(want[0], within(1e-12 * want[0]));
            assertThat(e.se()[1]).as("%s w", reduce).isCloseTo(want[1], within(1e-12 * want[1]));
        }
    }

    @Test
    void invalidGroupsHaveNoneAndDivergedOnesSayWhy() {
        GroupProblem p = problem(Reduce.SUM, null, true);
        assertThat(GroupStandardErrors.of(p, StandardErrors.Kind.RESIDUALS, BLOCK, 0, fit(0, 0, TrainLoop.Status.INVALID))).isNull();
        assertThat(GroupStandardErrors.of(p, StandardErrors.Kind.NONE, BLOCK, 0, fit(0, 0, TrainLoop.Status.CONVERGED))).isNull();
        ParameterErrors d = GroupStandardErrors.of(p, StandardErrors.Kind.RESIDUALS, BLOCK, 0, fit(0, 0, TrainLoop.Status.DIVERGED));
        assertThat(d.reason()).contains("DIVERGED");
        assertThat(d.se()).containsOnly(Double.NaN);
        // Two rows, two parameters: n - p is 0.
        GroupBlock two = new GroupBlock(new double[][] {{1, 2}, {0, 1}}, new int[] {0, 2});
        ParameterErrors few = GroupStandardErrors.of(p, StandardErrors.Kind.RESIDUALS, two, 0, fit(1, 1, TrainLoop.Status.CONVERGED));
        assertThat(few.reason()).isEqualTo("2 residuals for 2 parameters: n - p must be positive");
    }
}
