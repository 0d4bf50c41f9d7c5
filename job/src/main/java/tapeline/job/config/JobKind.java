package tapeline.job.config;

/** The value of the {@code job} key. */
public enum JobKind {
    /** Every input row is its own problem, minimised independently (the notebook, for many x at once). */
    SWEEP,
    /** Shared parameters fitted to all rows: read by {@code TrainConfig}, run by {@code TrainJob}. */
    TRAIN
}
