package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.config.ScoreConfig;
import tapeline.job.config.SweepConfig;
import tapeline.job.config.TrainConfig;

/**
 * The guard that the stages and the jobs cannot drift apart in what they can be told: every key the
 * sweep, train and score jobs' parsers know is a Param of the stage or one of the job's own keys (where to
 * read and write, the Spark application, checkpoints), so a key added to a job without its Param fails
 * here. (The jobs run through the stages, {@code tapeline.job.StageJobs}: a key without its Param would
 * still reach the job, as one of its own, and be missing from the API.)
 */
class StageKeysTest {

    /** Keys about a run, not about the fit: the jobs', never a stage's (a stage is handed a frame and returns one). */
    static final List<String> JOB_ONLY = List.of("job", "input.path", "input.format", "input.table", "output.path",
            "output.format", "output.mode", "output.table", "output.partitionBy", "app.name", "show.rows", "max.invalid",
            "checkpoint.path", "checkpoint.every", "resume", "params.path", "params.format");

    static List<String> missing(List<String> jobKeys, List<ConfigParams.Key> stageKeys) {
        List<String> missing = new ArrayList<>();
        for (String k : jobKeys) {
            if (!JOB_ONLY.contains(k) && !ConfigParams.isStageKey(stageKeys, k)) {
                missing.add(k);
            }
        }
        return missing;
    }

    @Test
    void everySweepKeyIsASweepParam() {
        assertThat(missing(SweepConfig.fixedKeys(), new Sweep().stageKeys())).isEmpty();
    }

    @Test
    void everyTrainKeyAndGroupKeyIsATrainerParam() {
        List<String> keys = new ArrayList<>(TrainConfig.fixedKeys());
        keys.addAll(GroupedTrainConfig.KEYS);
        assertThat(missing(keys, new Trainer().stageKeys())).isEmpty();
    }

    @Test
    void everyScoreKeyIsATrainedModelParam() {
        List<String> keys = new ArrayList<>(ScoreConfig.fixedKeys());
        keys.add("group.by");
        assertThat(missing(keys, new TrainedModel("m").stageKeys())).isEmpty();
    }
}
