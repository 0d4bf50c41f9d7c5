package tapeline.job.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.tape.DType;

/**
 * {@code optimizer = lm}'s {@code jac_scaling} default (session 24): 0.5 per row ({@code job = sweep}),
 * 1 (MINPACK's) for {@code job = train}; a value the config gives wins in both. The run record's
 * effective config shows the value used.
 */
class LmScalingDefaultConfigTest {

    private static Map<String, String> train(String... kv) {
        Map<String, String> m = TrainSolverConfigTest.train(kv);
        m.remove("loss");
        m.put("residuals", "y - (b + dot(w, x))");
        m.put("optimizer", "lm");
        return m;
    }

    /** The scaling of the lm the sweep builds from this config: its fixed arguments through the block solver. */
    private static double sweepScaling(SweepConfig c) {
        return lm(BlockSolver.withPerRowDefaults(c.optimizer(), c.fixedOptimizerArgs())).jacScaling();
    }

    /** The scaling of the lm the train job builds from this config (TrainJob and GroupStart: its arguments as given). */
    private static double trainScaling(TrainConfig c) {
        return lm(c.optimizerArgs()).jacScaling();
    }

    private static LevenbergMarquardt lm(Map<String, Double> args) {
        Map<String, Hyper> h = new LinkedHashMap<>();
        args.forEach((k, v) -> h.put(k, Hyper.of(v)));
        return (LevenbergMarquardt) Optimizers.create("lm", h, DType.FLOAT64);
    }

    @Test
    void theSweepDefaultsToHalf() throws ConfigException {
        SweepConfig c = SweepConfig.parse(ResidualsConfigTest.lm());
        assertThat(sweepScaling(c)).isEqualTo(0.5);
        assertThat(c.effectiveDefaults()).containsEntry("optimizer.jac_scaling", "0.5");
    }

    @Test
    void theSweepTakesAGivenScaling() throws ConfigException {
        assertThat(sweepScaling(SweepConfig.parse(ResidualsConfigTest.lm("optimizer.jac_scaling=1")))).isEqualTo(1.0);
        assertThat(sweepScaling(SweepConfig.parse(ResidualsConfigTest.lm("optimizer.jac_scaling=false")))).isEqualTo(0.0);
        assertThat(sweepScaling(SweepConfig.parse(ResidualsConfigTest.lm("optimizer.jac_scaling=0.5")))).isEqualTo(0.5);
    }

    @Test
    void otherSweepOptimizersGetNoScaling() throws ConfigException {
        assertThat(SweepConfig.parse(ResidualsConfigTest.lm("optimizer=trust")).effectiveDefaults()).doesNotContainKey("optimizer.jac_scaling");
    }

    @Test
    void trainDefaultsToMinpacks() throws ConfigException {
        TrainConfig c = TrainConfig.parse(train());
        assertThat(c.usesLm()).isTrue();
        assertThat(trainScaling(c)).isEqualTo(1.0);
        assertThat(c.effectiveDefaults()).containsEntry("optimizer.jac_scaling", "1");
    }

    @Test
    void trainTakesAGivenScaling() throws ConfigException {
        assertThat(trainScaling(TrainConfig.parse(train("optimizer.jac_scaling = 0.5")))).isEqualTo(0.5);
        assertThat(trainScaling(TrainConfig.parse(train("optimizer.jac_scaling = 0")))).isEqualTo(0.0);
        // grouped train builds its lm from its TrainConfig's arguments (GroupStart): the same default, and a given value wins
        assertThat(trainScaling(GroupedTrainConfig.parse(train("group.by = g"), new java.util.ArrayList<>()).train())).isEqualTo(1.0);
        assertThat(trainScaling(GroupedTrainConfig.parse(train("group.by = g", "optimizer.jac_scaling = 0.5"),
                new java.util.ArrayList<>()).train())).isEqualTo(0.5);
    }
}
