package tapeline.engine.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientSums.Reduce;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;

/**
 * A {@link GroupProblem} travels to Spark's tasks by Java serialisation (Spark's closure serialiser):
 * settings, regularizer and start included, and what arrives solves a block to the same bits as the
 * original (the reference solver on the original problem is the oracle).
 */
class GroupProblemSerializationTest {

    @Test
    void aProblemWithItsSettingsAndRegularizerSurvivesSerialisationAndSolvesToTheSameBits() throws Exception {
        for (boolean codegen : new boolean[] {false, true}) {
            LossModel m = GroupFixtures.leastSquares(3, DType.FLOAT64, 64, codegen);
            Regularizer reg = new Regularizer(Expression.parse("regularization", "0.5 * 0.01 * sum(w^2)"), m.variables(),
                    DType.FLOAT64);
            GroupProblem p = new GroupProblem(m, new TrainLoop.Settings(60, 1e-10, 0, Reduce.MEAN, 0, reg),
                    GroupFixtures.start("lbfgs", m, DType.FLOAT64));
            GroupProblem shipped = roundTrip(p);
            assertThat(shipped.settings().steps()).isEqualTo(60);
            assertThat(shipped.settings().reduce()).isEqualTo(Reduce.MEAN);
            assertThat(shipped.settings().regularizer()).isNotNull();
            GroupBlock b = GroupFixtures.block(new int[] {5, 40, 200}, 3, false, 7);
            BatchedGroupSolverTest.assertSameFits(new BatchedGroupSolver().solve(shipped, b), new PerGroupSolver().solve(p, b),
                    "shipped, codegen=" + codegen);
        }
    }

    private static GroupProblem roundTrip(GroupProblem p) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (GroupProblem) in.readObject();
        }
    }
}
