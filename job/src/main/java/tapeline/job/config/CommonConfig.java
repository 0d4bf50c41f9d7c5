package tapeline.job.config;

import java.util.Map;

/**
 * What every job's config ({@link SweepConfig}, {@link TrainConfig}, {@code ScoreConfig}) holds and
 * {@code Main} needs without knowing the job: the Spark application, where the input and the output are.
 */
public interface CommonConfig {

    /** {@code app.name}. */
    String appName();

    /** Every {@code spark.*} key, passed to Spark as given. */
    Map<String, String> spark();

    /** {@code input.*}. */
    InputSpec input();

    /** {@code output.*}. */
    OutputSpec output();
}
