package tapeline.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The train job's keys for L-BFGS, OWL-QN and the regularization term: defaults, and every mistake named at once. */
class TrainSolverConfigTest {

    static Map<String, String> train(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("job", "train");
        m.put("loss", "(y - (b + dot(w, x)))^2");
        m.put("variables", "b, w[3]");
        m.put("input.path", "data/in.csv");
        m.put("output.path", "out/x");
        for (String s : kv) {
            int eq = s.indexOf('=');
            m.put(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
        }
        return m;
    }

    static List<String> problems(Map<String, String> raw) {
        return catchThrowableOfType(ConfigException.class, () -> TrainConfig.parse(raw)).problems();
    }

    @Test
    void lbfgsTakesMllibsDefaults() throws Exception {
        TrainConfig c = TrainConfig.parse(train("optimizer = lbfgs"));
        assertThat(c.usesSolver()).isTrue();
        assertThat(c.optimizerArgs()).containsEntry("memory", 10.0);
        assertThat(c.gradTolerance()).isEqualTo(1e-6);
        assertThat(c.lossTolerance()).isEqualTo(1e-6);
        TrainConfig adam = TrainConfig.parse(train());
        assertThat(adam.gradTolerance()).isZero();
        assertThat(adam.lossTolerance()).isZero();
        assertThat(adam.regularization()).isNull();
    }

    @Test
    void owlqnsL1CoversTheNamedVariablesOrEveryOne() throws Exception {
        TrainConfig c = TrainConfig.parse(train("optimizer = owlqn", "optimizer.l1 = 0.05", "optimizer.l1_variables = w",
                "optimizer.memory = 7", "tolerance.loss = 1e-9"));
        assertThat(c.optimizerArgs()).containsEntry("l1", 0.05).containsEntry("memory", 7.0);
        assertThat(c.l1Mask()).containsExactly(false, true, true, true);
        assertThat(c.lossTolerance()).isEqualTo(1e-9);
        assertThat(TrainConfig.parse(train("optimizer = owlqn", "optimizer.l1 = 1")).l1Mask()).containsExactly(true, true, true, true);
    }

    @Test
    void engineCodegenIsOnByDefaultAndTakesTrueOrFalse() throws Exception {
        assertThat(TrainConfig.parse(train()).codegen()).isTrue();
        assertThat(TrainConfig.parse(train("engine.codegen = false")).codegen()).isFalse();
        assertThat(problems(train("engine.codegen = maybe")))
                .containsExactly("engine.codegen: expected one of [false, true], got 'maybe'");
    }

    @Test
    void aRegularizationOverTheVariablesIsKept() throws Exception {
        TrainConfig c = TrainConfig.parse(train("regularization = 0.5 * 0.01 * sum(w^2) + 0.1 * b^2"));
        assertThat(c.regularization().source()).isEqualTo("0.5 * 0.01 * sum(w^2) + 0.1 * b^2");
    }

    @Test
    void theShippedLbfgsConfigIsValid() throws Exception {
        TrainConfig c = TrainConfig.load(tapeline.job.testing.SparkSuite.repo().resolve("conf/train-linear-lbfgs.properties"), List.of());
        assertThat(c.optimizer()).isEqualTo("lbfgs");
        assertThat(c.regularization().names()).containsExactly("w");
    }

    @Test
    void mistakesAreNamedAllAtOnce() {
        List<String> p = problems(train("optimizer = owlqn", "optimizer.l1 = -1", "optimizer.l1_variables = w, bb",
                "optimizer.learning_rate = 0.1", "optimizer.memory = 0", "batch.fraction = 0.5", "dtype = float32",
                "regularization = 0.01 * sum(w^2) * y"));
        assertThat(p).contains("optimizer.l1: expected a number >= 0, got '-1'");
        assertThat(p).anyMatch(s -> s.startsWith("optimizer.l1_variables: 'bb' is not a variable (did you mean 'b'?)"));
        assertThat(p).anyMatch(s -> s.startsWith("optimizer.learning_rate: owlqn has no argument 'learning_rate'"));
        assertThat(p).anyMatch(s -> s.startsWith("optimizer.memory: expected a whole number"));
        assertThat(p).anyMatch(s -> s.startsWith("batch.fraction: optimizer = owlqn needs the full batch"));
        assertThat(p).anyMatch(s -> s.startsWith("dtype: optimizer = owlqn computes in float64"));
        assertThat(p).anyMatch(s -> s.startsWith("regularization, position 18: 'y' is not a variable")
                && s.contains("never a data column"));
        assertThat(problems(train("optimizer = lbfgs", "optimizer.l1 = 0.1")))
                .anyMatch(s -> s.startsWith("optimizer.l1: lbfgs has no argument 'l1'"));
        assertThat(problems(train("optimizer = lbgfs"))).anyMatch(s -> s.contains("lbfgs") && s.contains("owlqn") && s.contains("got 'lbgfs'"));
        assertThat(problems(train("regularization = sum(w^2) +"))).anyMatch(s -> s.startsWith("regularization, position"));
        assertThat(problems(train("regularization = w"))).anyMatch(s -> s.startsWith("regularization"));
    }
}
