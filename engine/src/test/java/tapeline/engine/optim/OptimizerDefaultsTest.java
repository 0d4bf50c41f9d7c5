package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Optimizers#defaults}: the value each argument takes when a config leaves it out (the run
 * record lists them), against the signatures of Keras 3's optimizers, copied by hand from
 * {@code keras/src/optimizers/*.py} (e.g. {@code Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999,
 * epsilon=1e-07, amsgrad=False, weight_decay=None, clipnorm=None, ...)}). Arguments whose Keras default
 * is {@code None} (weight_decay but for AdamW, clipnorm, clipvalue, global_clipnorm) apply nothing
 * and are not listed; booleans are 1/0, as a config gives them.
 */
class OptimizerDefaultsTest {

    @Test
    void everyKerasOptimizerHasKerasDefaults() {
        assertThat(Optimizers.defaults("adam")).containsExactly(entry("amsgrad", 0.0), entry("beta_1", 0.9),
                entry("beta_2", 0.999), entry("epsilon", 1e-7), entry("learning_rate", 0.001));
        assertThat(Optimizers.defaults("sgd")).containsExactly(entry("learning_rate", 0.01), entry("momentum", 0.0),
                entry("nesterov", 0.0));
        assertThat(Optimizers.defaults("rmsprop")).containsExactly(entry("centered", 0.0), entry("epsilon", 1e-7),
                entry("learning_rate", 0.001), entry("momentum", 0.0), entry("rho", 0.9));
        assertThat(Optimizers.defaults("adagrad")).containsExactly(entry("epsilon", 1e-7),
                entry("initial_accumulator_value", 0.1), entry("learning_rate", 0.001));
        assertThat(Optimizers.defaults("adamw")).containsExactly(entry("amsgrad", 0.0), entry("beta_1", 0.9),
                entry("beta_2", 0.999), entry("epsilon", 1e-7), entry("learning_rate", 0.001),
                entry("weight_decay", 0.004));
        assertThat(Optimizers.defaults("adamax")).containsExactly(entry("beta_1", 0.9), entry("beta_2", 0.999),
                entry("epsilon", 1e-7), entry("learning_rate", 0.001));
        assertThat(Optimizers.defaults("nadam")).containsExactly(entry("beta_1", 0.9), entry("beta_2", 0.999),
                entry("epsilon", 1e-7), entry("learning_rate", 0.001));
        assertThat(Optimizers.defaults("lion")).containsExactly(entry("beta_1", 0.9), entry("beta_2", 0.99),
                entry("learning_rate", 0.001));
    }

    @Test
    void noneDefaultsAreLeftOutButStillAccepted() {
        assertThat(Optimizers.defaults("adam")).doesNotContainKeys("weight_decay", "clipnorm", "clipvalue", "global_clipnorm");
        assertThat(Optimizers.arguments("adam")).contains("weight_decay", "clipnorm", "clipvalue", "global_clipnorm");
        // Every default lies within the argument's own range.
        for (String name : Optimizers.names()) {
            Map<String, Arguments.Range> ranges = Optimizers.ranges(name);
            Optimizers.defaults(name).forEach((arg, v) ->
                    assertThat(ranges.get(arg).contains(v)).as(name + "." + arg + " = " + v).isTrue());
        }
        assertThatThrownBy(() -> Optimizers.defaults("adamm")).hasMessageContaining("unknown optimizer 'adamm'");
    }
}
