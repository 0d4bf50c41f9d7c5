package tapeline.job.config;

/** The value of the {@code job} key. */
public enum JobKind {
    /** Every input row is its own problem, minimised independently (the notebook, for many x at once). */
    SWEEP,
    /** Reserved: shared parameters fitted to all rows. Not implemented yet; {@code job=train} is a config error. */
    TRAIN
}
