package tapeline.job.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import tapeline.engine.solve.BlockSolver;
import tapeline.job.columns.CellReader;
import tapeline.job.columns.ColumnBinder;
import tapeline.job.Job;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.LazyRows;
import tapeline.job.SparkLine;
import tapeline.job.config.ConfigException;
import tapeline.job.config.SweepConfig;
import tapeline.job.io.InputReader;
import tapeline.job.io.OutputWriter;

/**
 * The sweep job's Spark wiring: {@link #prepare} checks everything that needs the input's schema
 * (still before any row is optimised), {@link #sweep} is the transformation (one {@code mapPartitions},
 * no shuffle), {@link #run} writes and summarises.
 *
 * <p>The job computes through a {@link Stage}: the {@code tapeline.ml.Sweep} stage made from the
 * config's keys ({@code tapeline.job.StageJobs} wires it; this package does not know {@code tapeline.ml}).
 * The config the job runs with is the one the stage's Params stand for, and the rows it writes are the
 * stage's transform of the checked input: the job adds the reading, the checks, the writer and the summary.
 *
 * <pre>{@code
 * SweepJob job = tapeline.job.StageJobs.sweep();
 * SweepConfig c = job.configure(keys, problems);          // ConfigException: exit 2
 * SweepJob.Prepared p = job.check(spark, c);              // ConfigException: exit 2, nothing written
 * SweepSummary s = job.run(spark, p, QualityGate.NONE, new Phases());
 * }</pre>
 */
public final class SweepJob implements Job<SweepConfig, SweepJob.Prepared, SweepSummary> {

    /**
     * The computation the job runs: the {@code tapeline.ml.Sweep} stage's, made from the config's keys.
     */
    public interface Stage {
        /** The config the stage's Params stand for, with the job's own keys (input, output, ...). */
        SweepConfig config() throws ConfigException;

        /** The stage's rows for the checked input, counted by status into {@code counts}; lazy. */
        Dataset<Row> rows(Prepared p, SweepCounts counts);
    }

    /** The stage of a config's keys (the keys already checked by the job's parser). */
    private final java.util.function.Function<Map<String, String>, Stage> stages;
    private Stage stage;

    /** The run record's defaults: with those of the optimizer configured. */
    private Map<String, String> defaults = SweepConfig.defaults();

    /** A sweep job computing through the stages {@code stages} makes of a config's keys. */
    public SweepJob(java.util.function.Function<Map<String, String>, Stage> stages) {
        this.stages = stages;
    }

    @Override
    public Map<String, String> defaults() {
        return defaults;
    }

    @Override
    public String kind() {
        return "sweep";
    }

    @Override
    public SweepConfig configure(Map<String, String> keys, List<String> problems) throws ConfigException {
        SweepConfig.parse(keys, problems); // every problem at once (exit 2), with the job's messages
        stage = stages.apply(keys);
        SweepConfig c = stage.config(); // the same keys, through the stage's Params
        defaults = c.effectiveDefaults();
        return c;
    }

    @Override
    public Prepared check(SparkSession spark, SweepConfig config) throws ConfigException {
        return prepare(spark, config);
    }

    @Override
    public String summarise(SweepSummary result) {
        return result.render();
    }

    /** Everything a sweep needs, checked. */
    public record Prepared(SweepConfig config, Dataset<Row> input, SweepPlan plan, BlockSolver solver, OutputLayout layout) {}

    /**
     * Reads the input's schema, binds the cost's names to columns, builds the engine's solver (which
     * checks names, vector sizes and optimizer arguments) and checks the output path.
     *
     * @throws ConfigException with every problem found
     */
    public static Prepared prepare(SparkSession spark, SweepConfig config) throws ConfigException {
        List<String> problems = new ArrayList<>(InputReader.check(spark, config.input()));
        List<String> outputProblems = OutputWriter.check(spark, config.output(), config.input());
        Dataset<Row> input = InputReader.readChecked(spark, config.input(), "tapeline", problems, outputProblems);
        return bind(config, input, problems, outputProblems);
    }

    /**
     * {@link #prepare} for a frame already in hand (the {@code tapeline.ml.Sweep} stage): binds the cost's
     * names to its columns and builds the solver. {@code config}'s input and output keys are not used.
     *
     * @throws ConfigException with every problem found
     */
    public static Prepared bind(SweepConfig config, Dataset<Row> input) throws ConfigException {
        return bind(config, input, new ArrayList<>(), List.of());
    }

    private static Prepared bind(SweepConfig config, Dataset<Row> input, List<String> problems,
                                 List<String> outputProblems) throws ConfigException {
        SparkSession spark = input.sparkSession();
        SweepPlan plan = null;
        BlockSolver solver = null;
        try {
            final Dataset<Row> in = input;
            spark.sparkContext().setJobDescription("tapeline: read the length of the input's array columns");
            plan = ColumnBinder.bind(config, InputReader.columns(input.schema()), name -> InputReader.arrayLength(in, name),
                    InputReader.csvText(in, config.input()));
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (plan != null) {
            try {
                solver = (config.residuals().isEmpty()
                        ? new BlockSolver(config.cost(), config.variables(), plan.inputSizes(), config.optimizer(),
                                config.fixedOptimizerArgs(), config.solver(), config.dtype())
                        : BlockSolver.leastSquares(config.residuals(), config.variables(), plan.inputSizes(),
                                config.optimizer(), config.fixedOptimizerArgs(), config.solver(), config.dtype()))
                        .withCodegen(config.codegen()).withStandardErrors(config.stderr());
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        OutputLayout layout = plan == null ? null : new OutputLayout(input.schema(), config.variables(),
                config.output().format().hasArrays(), config.dtype(), config.solver().verdict(),
                config.stderr() != tapeline.engine.solve.StandardErrors.Kind.NONE);
        if (layout != null) {
            problems.addAll(OutputWriter.checkPartitions(config.output(), layout.schema()));
        }
        problems.addAll(outputProblems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Prepared(config, input, plan, solver, layout);
    }

    /**
     * The sweep as a lazy transformation: the input's rows, each followed by its result columns.
     *
     * <p>It works on Spark's internal rows ({@code queryExecution().toRdd()} in, a frame made from the
     * resulting {@code RDD<InternalRow>} out) rather than {@code mapPartitions} with a {@code Row}
     * encoder, which would convert every cell of every row to a Java object and back.
     * {@code internalCreateDataFrame} is {@code private[sql]} in Scala, that is public to Java; it is
     * what Spark's own sources use for this. Its place differs between Spark 3.5 and 4: {@link SparkLine}.
     */
    public static Dataset<Row> sweep(Prepared p) {
        return sweep(p, SweepCounts.register(p.input().sparkSession().sparkContext()));
    }

    /** {@link #sweep(Prepared)}, counting the emitted rows by status into {@code counts}. */
    public static Dataset<Row> sweep(Prepared p, SweepCounts counts) {
        SweepConfig c = p.config();
        SweepPartition f = new SweepPartition(p.plan(), new CellReader(p.input().schema()), p.solver(), p.layout(),
                c.optimizer(), c.fixedOptimizerArgs(), c.blockSize(), counts);
        RDD<InternalRow> out = LazyRows.of(p.input()).toJavaRDD().mapPartitions(f).rdd(); // planned by the action (LazyRows)
        return SparkLine.internalDataFrame(p.input().sparkSession(), out, p.layout().schema());
    }

    /**
     * Runs the stage's sweep and writes it, then the gate. The rows by status are counted by the tasks
     * that wrote them ({@link SweepCounts}), not read back from the output: only the preview rows are.
     * So the output is committed when the gate is judged, and stays (with the first reasons read back
     * from it).
     */
    @Override
    public SweepSummary run(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws QualityGate.Failed {
        SweepSummary s = write(spark, p, phases, stage);
        gate.check(s.invalidRows(), s.rowsRead(), s.rowsByStatus(), s.stepsTaken(), () -> OutputWriter.firstErrors(spark, p.config().output(), s.schema(), QualityGate.SHOWN_REASONS));
        return s;
    }

    /** Sweeps, writes and summarises, timing {@code solve_and_write} and {@code summary} into {@code phases}. */
    private static SweepSummary write(SparkSession spark, Prepared p, Phases phases, Stage stage) {
        SweepConfig c = p.config();
        SweepCounts counts = SweepCounts.register(spark.sparkContext());
        Dataset<Row> out = OutputWriter.forFormat(stage.rows(p, counts), c.output().format());
        StructType written = out.schema();
        phases.begin("solve_and_write");
        long t0 = System.nanoTime();
        spark.sparkContext().setJobDescription("tapeline: sweep " + c.input().describe() + " (" + c.optimizer() + ", "
                + c.solver().maxSteps() + " steps, blocks of " + c.blockSize() + ") and write " + c.output().describe());
        OutputWriter.write(out, c.output(), p.layout().continuousColumns());
        double seconds = (System.nanoTime() - t0) / 1e9;
        phases.begin("summary");

        SweepCounts.Totals totals = counts.value();
        List<Row> preview = List.of();
        if (c.showRows() > 0) {
            spark.sparkContext().setJobDescription("tapeline: read the first " + c.showRows() + " output rows");
            preview = OutputWriter.readBack(spark, c.output(), written).limit(c.showRows()).collectAsList();
        }
        spark.sparkContext().setJobDescription(null);
        phases.end();
        return new SweepSummary(c.output().describe(), totals.byStatus(), totals.steps(), seconds, written, preview,
                c.stderr() == tapeline.engine.solve.StandardErrors.Kind.NONE ? -1 : totals.noStandardErrors());
    }
}
