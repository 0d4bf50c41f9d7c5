package tapeline.job;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.config.ConfigException;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.config.ScoreConfig;
import tapeline.job.config.SweepConfig;
import tapeline.job.config.TrainConfig;
import tapeline.job.score.GroupedScoreJob;
import tapeline.job.score.ScoreJob;
import tapeline.job.sweep.SweepCounts;
import tapeline.job.sweep.SweepJob;
import tapeline.job.train.TrainJob;
import tapeline.job.train.grouped.GroupedCounts;
import tapeline.job.train.grouped.GroupedTrainJob;
import tapeline.ml.Sweep;
import tapeline.ml.TrainedModel;
import tapeline.ml.Trainer;

/**
 * The jobs built on the Spark ML stages (issue #22, "one implementation"): a config file's keys make
 * the stage ({@link Sweep#fromConfig}, {@link Trainer#fromConfig}, {@link TrainedModel#forScoreJob}:
 * keys to Params; a score's model takes the parameters read from {@code params.path}), the job runs
 * with the config those Params stand for ({@code jobConfig}), and what it
 * writes is the stage's {@code transform} or {@code fit} of the checked input. The job adds the rest:
 * reading, the checks ({@code --check}, exit 2), checkpoints, the writer, the run record, the summary.
 *
 * <p>The one place that knows both sides: {@code tapeline.job.sweep}, {@code .train}, {@code .score}
 * never import {@code tapeline.ml} (each job defines the {@code Stage} it needs), and {@code tapeline.ml}
 * never imports this class or {@link Main}.
 *
 * <pre>{@code
 * Job<?, ?, ?> job = StageJobs.sweep();   // Main picks it by the job key
 * }</pre>
 */
public final class StageJobs {
    private StageJobs() {}

    /** {@code job = sweep}: the {@link Sweep} stage's transform. */
    public static SweepJob sweep() {
        return new SweepJob(keys -> {
            return new SweepJob.Stage() {
                private Sweep stage;

                @Override
                public SweepConfig config() throws ConfigException {
                    stage = checked(() -> Sweep.fromConfig(keys));
                    return checked(() -> stage.jobConfig(keys));
                }

                @Override
                public Dataset<Row> rows(SweepJob.Prepared p, SweepCounts counts) {
                    return stage.transform(p, counts);
                }
            };
        });
    }

    /** {@code job = train}: the {@link Trainer} stage's fit. */
    public static TrainJob train() {
        return new TrainJob(keys -> {
            return new TrainJob.Stage() {
                private Trainer stage;

                @Override
                public TrainConfig config() throws ConfigException {
                    stage = checked(() -> Trainer.fromConfig(keys));
                    return checked(() -> stage.jobConfig(keys));
                }

                @Override
                public TrainJob.Fit fit(SparkSession spark, TrainJob.Prepared p, QualityGate gate, Phases phases)
                        throws Exception {
                    return stage.fit(spark, p, gate, phases);
                }
            };
        });
    }

    /** {@code job = train} with {@code group.by}: the grouped {@link Trainer} stage's fit. */
    public static GroupedTrainJob groupedTrain() {
        return new GroupedTrainJob(keys -> {
            return new GroupedTrainJob.Stage() {
                private Trainer stage;

                @Override
                public GroupedTrainConfig config() throws ConfigException {
                    stage = checked(() -> Trainer.fromConfig(keys));
                    return checked(() -> stage.groupedJobConfig(keys));
                }

                @Override
                public Dataset<Row> fit(GroupedTrainJob.Prepared p, GroupedCounts counts, Phases phases) {
                    return stage.fit(p, counts, phases);
                }
            };
        });
    }

    /** {@code job = score}: the {@link TrainedModel}'s transform, with the parameters of {@code params.path}. */
    public static ScoreJob score() {
        return new ScoreJob(keys -> {
            return new ScoreJob.Stage() {
                private TrainedModel model;

                @Override
                public ScoreConfig config() throws ConfigException {
                    model = TrainedModel.forScoreJob(keys);
                    return checked(() -> model.jobConfig(keys));
                }

                @Override
                public Map<String, Double> parameters(Map<String, Double> read) {
                    model = TrainedModel.forScoreJob(keys, read);
                    return model.parameters();
                }

                @Override
                public Dataset<Row> rows(ScoreJob.Prepared p, LongAccumulator scored, LongAccumulator invalid) {
                    return model.transform(p, scored, invalid);
                }
            };
        });
    }

    /** {@code job = score} with {@code group.by}: the grouped {@link TrainedModel}'s transform. */
    public static GroupedScoreJob groupedScore() {
        return new GroupedScoreJob(keys -> {
            return new GroupedScoreJob.Stage() {
                private TrainedModel model;

                @Override
                public GroupedScoreJob.Config config() throws ConfigException {
                    model = TrainedModel.forScoreJob(keys);
                    return checked(() -> model.groupedJobConfig(keys));
                }

                @Override
                public Dataset<Row> rows(GroupedScoreJob.Prepared p, LongAccumulator scored, LongAccumulator invalid,
                                         LongAccumulator noModel) {
                    return model.transform(p, scored, invalid, noModel);
                }
            };
        });
    }

    /** A stage's config, its parser's message (IllegalArgumentException) as the job's (exit 2). */
    private static <C> C checked(Supplier<C> config) throws ConfigException {
        try {
            return config.get();
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(e.getMessage());
        }
    }
}
