package tapeline.job;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import tapeline.job.config.CommonConfig;
import tapeline.job.config.ConfigException;

/**
 * One kind of job ({@code job = sweep | train | score}), in the four steps {@link Main} takes with
 * every job: check the config alone, check it against the input (still reading no row and writing
 * nothing), run, summarise. {@code --check} stops after the second step.
 *
 * <pre>{@code
 * Job<SweepConfig, SweepJob.Prepared, SweepSummary> job = StageJobs.sweep();   // computes through tapeline.ml.Sweep
 * SweepConfig c = job.configure(keys, problems);        // ConfigException: exit 2
 * SweepJob.Prepared p = job.check(spark, c);            // ConfigException: exit 2, nothing written
 * SweepSummary s = job.run(spark, p, gate, phases);     // the output is committed when it returns
 * System.out.print(job.summarise(s));
 * }</pre>
 *
 * @param <C> the job's config record
 * @param <P> what the second round found (the input frame, the bound columns, ...)
 * @param <R> what a run did
 */
public interface Job<C extends CommonConfig, P, R extends JobResult> {

    /** The {@code job} key's value for this job: {@code sweep}, {@code train}, {@code score}. */
    String kind();

    /**
     * Round 1: the keys alone (file and overrides merged), no Spark.
     *
     * @param problems problems found before (malformed overrides), reported with this round's
     * @throws ConfigException with every problem
     */
    C configure(Map<String, String> keys, List<String> problems) throws ConfigException;

    /**
     * Round 2: the config against the input's schema and the output's place; reads no row (CSV
     * schema inference aside), writes nothing.
     *
     * @throws ConfigException with every problem
     */
    P check(SparkSession spark, C config) throws ConfigException;

    /**
     * Reads, computes and writes; the output is committed when it returns. Holds its invalid rows
     * against {@code gate} (as soon as it knows their number) and times its phases into {@code phases}.
     *
     * @throws ConfigException for a problem of the data that is the config's to fix (train's bad rows: exit 2)
     * @throws QualityGate.Failed when there are more invalid rows than {@code max.invalid} allows (exit 3)
     */
    R run(SparkSession spark, P checked, QualityGate gate, Phases phases) throws Exception;

    /**
     * The value each key of this job has when the config leaves it unset (for the run record's
     * effective config). Asked after {@link #configure}, it lists the configured optimizer's arguments
     * at the defaults it uses ({@code optimizer.beta_1 = 0.9}); the input's format is the record's to add.
     */
    Map<String, String> defaults();

    /** What stdout shows at the end of a run. */
    String summarise(R result);
}
