package tapeline.engine.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.optim.Adam;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.GradientTape;
import tapeline.engine.tape.Tensor;
import tapeline.engine.tape.Variable;

/** The Java examples of README.md, run as they are printed there, with the output they print. */
class NotebookExampleTest {

    @Test
    void theNotebookInJava() {
        // --- README: "The notebook in Java" ---
        Variable w = Variable.scalar("w", 0, DType.FLOAT32);           // tf.Variable(0, dtype=tf.float32)
        Optimizer adam = Adam.withLearningRate(0.1, DType.FLOAT32);    // tf.keras.optimizers.Adam(learning_rate=0.1)
        Function<GradientTape, Tensor> cost = tape -> {
            Tensor wt = tape.read(w);
            return wt.pow(2).sub(wt.mul(10)).add(25);                  // w ** 2 - 10 * w + 25
        };
        adam.minimize(cost, w);
        String afterOne = Float.toString((float) w.value());           // 0.09999931
        for (int i = 0; i < 1000; i++) adam.minimize(cost, w);
        String afterMore = Float.toString((float) w.value());          // 5.000001
        // --- end ---
        assertThat(afterOne).isEqualTo("0.09999931");
        assertThat(afterMore).isEqualTo("5.000001");
    }

    @Test
    void manyCoefficientSetsAtOnce() {
        // --- README: "Many coefficient sets at once" ---
        BlockSolver solver = new BlockSolver(
                Expression.parse("cost", "x0 * w^2 + x1 * w + x2"),
                List.of(new VariableSpec("w", 1)),
                Map.of("x0", 1, "x1", 1, "x2", 1),                      // inputs: one column each
                "adam", Map.of("learning_rate", 0.1),
                new SolverSettings(1000, 0, 0), DType.FLOAT32);
        BlockResult r = solver.solve(2,                                 // two lanes: the notebook's two x
                Map.of("x0", new double[][] {{1, 5}}, "x1", new double[][] {{-10, -7}}, "x2", new double[][] {{25, 13}}),
                Map.of(), Map.of());
        float w0 = (float) r.values()[0][0][0];                        // 5.000001
        float w1 = (float) r.values()[0][0][1];                        // 0.7
        // --- end ---
        assertThat(Float.toString(w0)).isEqualTo("5.000001");
        assertThat(Float.toString(w1)).isEqualTo("0.7");
        assertThat(r.status()[0].name()).isEqualTo("MAX_STEPS");
    }
}
