package tapeline.job.config;

/** What to do when {@code output.path} already exists: {@code error} (the default) or {@code overwrite}. */
public enum OutputMode {
    /** An existing output path is a configuration error (exit 2); nothing is touched. */
    ERROR,
    /** An existing output path is replaced, through Spark's commit protocol. */
    OVERWRITE
}
