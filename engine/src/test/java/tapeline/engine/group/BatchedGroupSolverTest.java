package tapeline.engine.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainLoop.Status;

/**
 * The batched solver against the reference, bit for bit: seeded random blocks (groups of 1 to 5,000
 * rows, skewed sizes, groups of one chunk and of several), several optimizers, both dtypes, the
 * compiled pass and the interpreter, with and without a regularizer, a NaN group among them.
 */
class BatchedGroupSolverTest {

    static void assertSameFits(GroupFit[] got, GroupFit[] want, String what) {
        assertThat(got).hasSameSizeAs(want);
        for (int g = 0; g < want.length; g++) {
            String as = what + " group " + g;
            assertThat(got[g].status()).as(as).isEqualTo(want[g].status());
            assertThat(got[g].message()).as(as).isEqualTo(want[g].message());
            assertThat(got[g].params()).as(as).isEqualTo(want[g].params());
            assertThat(Double.doubleToLongBits(got[g].loss())).as(as + " loss").isEqualTo(Double.doubleToLongBits(want[g].loss()));
            assertThat(Double.doubleToLongBits(got[g].gradNorm())).as(as).isEqualTo(Double.doubleToLongBits(want[g].gradNorm()));
            assertThat(got[g].steps()).as(as).isEqualTo(want[g].steps());
            assertThat(got[g].passes()).as(as).isEqualTo(want[g].passes());
        }
    }

    @Test
    void sameBitsAsTheReferenceOverRandomBlocks() {
        Random r = new Random(21);
        String[] optimizers = {"lbfgs", "owlqn", "adam", "newton"};
        int cases = 0;
        for (DType dtype : DType.values()) {
            for (boolean codegen : new boolean[] {true, false}) {
                for (String opt : optimizers) {
                    boolean labels = r.nextBoolean();
                    int k = 1 + r.nextInt(4);
                    int lanes = r.nextBoolean() ? 64 : 1024;
                    LossModel m = labels ? GroupFixtures.logistic(k, dtype, lanes, codegen)
                            : GroupFixtures.leastSquares(k, dtype, lanes, codegen);
                    if (codegen) assertThat(GradientAggregator.awaitCompiled(m)).isNull();
                    int[] sizes = GroupFixtures.skewedSizes(12, r.nextInt(4) == 0 ? 5000 : 300, r.nextLong());
                    GroupBlock b = GroupFixtures.block(sizes, k, labels, r.nextLong());
                    if (r.nextBoolean()) b.columns()[1][b.from(sizes.length / 2)] = Double.NaN;
                    Regularizer reg = r.nextBoolean() ? null
                            : new Regularizer(Expression.parse("regularization", "0.5 * 0.01 * sum(w^2)"), m.variables(), dtype);
                    TrainLoop.Settings s = new TrainLoop.Settings(40, 1e-9, 0, r.nextBoolean() ? Reduce.SUM : Reduce.MEAN, 0, reg);
                    GroupProblem p = new GroupProblem(m, s, GroupFixtures.start(opt, m, dtype));
                    String what = dtype + " codegen=" + codegen + " " + opt + " lanes=" + lanes + " k=" + k;
                    GroupFit[] want = new PerGroupSolver().solve(p, b);
                    assertSameFits(new BatchedGroupSolver().solve(p, b), want, what);
                    cases++;
                }
            }
        }
        assertThat(cases).isEqualTo(DType.values().length * 2 * optimizers.length);
    }

    @Test
    void badGroupsAreReportedAsTheReferenceReportsThem() {
        GroupBlock b = new GroupBlock(GroupFixtures.block(new int[] {30, 30, 30}, 2, false, 4).columns(),
                new int[] {0, 30, 30, 60, 90});
        b.columns()[0][40] = Double.POSITIVE_INFINITY; // group 2
        LossModel m = GroupFixtures.leastSquares(2, DType.FLOAT64, 16, true);
        GroupProblem p = new GroupProblem(m, new TrainLoop.Settings(50, 1e-10, 0, Reduce.SUM, 0),
                GroupFixtures.start("lbfgs", m, DType.FLOAT64));
        GroupFit[] fits = new BatchedGroupSolver().solve(p, b);
        assertSameFits(fits, new PerGroupSolver().solve(p, b), "bad groups");
        assertThat(fits[1].status()).isEqualTo(Status.INVALID);
        assertThat(fits[2].status()).isEqualTo(Status.DIVERGED);
        assertThat(fits[2].message()).startsWith("step 0: ");
        assertThat(fits[0].status()).isNotIn(Status.INVALID, Status.DIVERGED);
        assertThat(fits[3].status()).isNotIn(Status.INVALID, Status.DIVERGED);
    }
}
