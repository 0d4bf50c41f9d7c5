package tapeline.job.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.optim.lbfgs.QuasiNewton;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.ParameterErrors;
import tapeline.engine.train.ResidualModel;
import tapeline.engine.train.Regularizer;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;
import tapeline.job.Job;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.config.ConfigException;
import tapeline.job.config.OutputMode;
import tapeline.job.config.OutputSpec;
import tapeline.job.config.TrainConfig;
import tapeline.job.io.InputReader;
import tapeline.job.io.OutputWriter;
import tapeline.job.columns.Cell;
import tapeline.job.columns.ColumnBinder;
import tapeline.job.sweep.SweepPlan;

/**
 * The train job: {@link #prepare} checks everything that can be checked before a row is read
 * (config, schema binding, the loss on a tape, output and checkpoint paths); {@link #run} caches the
 * rows as column blocks, runs the driver loop over {@link GradientPass}, and writes params, history
 * and the loss curve.
 *
 * <p>The job fits through a {@link Stage}: the {@code tapeline.ml.Trainer} stage made from the config's
 * keys ({@code tapeline.job.StageJobs} wires it; this package does not know {@code tapeline.ml}). The
 * config the job runs with is the one the stage's Params stand for, and the fit it writes is the
 * stage's ({@link #fit} is the loop both run).
 *
 * <pre>{@code
 * TrainJob job = tapeline.job.StageJobs.train();
 * TrainJob.Prepared p = job.check(spark, job.configure(keys, problems));   // ConfigException: exit 2
 * TrainSummary s = job.run(spark, p, QualityGate.NONE, new Phases());
 * }</pre>
 */
public final class TrainJob implements Job<TrainConfig, TrainJob.Prepared, TrainSummary> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    /** The fit the job runs: the {@code tapeline.ml.Trainer} stage's, made from the config's keys. */
    public interface Stage {
        /** The config the stage's Params stand for, with the job's own keys (input, output, checkpoints, ...). */
        TrainConfig config() throws ConfigException;

        /** The stage's fit of the checked input (checkpoints as {@code p} says); writes nothing else. */
        Fit fit(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws Exception;
    }

    private final java.util.function.Function<Map<String, String>, Stage> stages;
    private Stage stage;

    /** A train job fitting through the stages {@code stages} makes of a config's keys. */
    public TrainJob(java.util.function.Function<Map<String, String>, Stage> stages) {
        this.stages = stages;
    }

    /** The run record's defaults: those of the optimizer configured (lbfgs and owlqn have their own tolerances). */
    private Map<String, String> defaults = TrainConfig.defaults();

    @Override
    public Map<String, String> defaults() {
        return defaults;
    }

    @Override
    public String kind() {
        return "train";
    }

    @Override
    public TrainConfig configure(Map<String, String> keys, List<String> problems) throws ConfigException {
        TrainConfig.parse(keys, problems); // every problem at once (exit 2), with the job's messages
        stage = stages.apply(keys);
        TrainConfig c = stage.config(); // the same keys, through the stage's Params
        defaults = c.effectiveDefaults();
        return c;
    }

    @Override
    public Prepared check(SparkSession spark, TrainConfig config) throws ConfigException {
        return prepare(spark, config);
    }

    /** {@link #run(SparkSession, Prepared)}; a damaged checkpoint is the config's to fix (exit 2), as a bad key. */
    @Override
    public TrainSummary run(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws Exception {
        try {
            return train(spark, p, gate, phases, stage);
        } catch (Checkpoints.CheckpointException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    @Override
    public String summarise(TrainSummary result) {
        return result.render();
    }

    /** Everything a run needs, checked. */
    public record Prepared(TrainConfig config, Dataset<Row> input, LossModel model, List<Cell> cells,
                           Checkpoints checkpoints) {}

    public static Prepared prepare(SparkSession spark, TrainConfig c) throws ConfigException {
        List<String> problems = new ArrayList<>(InputReader.check(spark, c.input()));
        List<String> outputProblems = OutputWriter.check(spark, c.output(), c.input());
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Checkpoints checkpoints = c.checkpointPath() == null ? null
                : new Checkpoints(c.checkpointPath(), hadoop, fingerprint(c));
        if (checkpoints != null && !c.resume() && c.output().mode() != OutputMode.OVERWRITE) {
            try {
                if (!checkpoints.list().isEmpty()) {
                    outputProblems.add("checkpoint.path: '" + c.checkpointPath() + "' holds checkpoints of an earlier run;"
                            + " set resume=true to continue it, output.mode=overwrite to start afresh, or choose another path");
                }
            } catch (IOException | IllegalArgumentException e) {
                outputProblems.add("checkpoint.path: cannot look at '" + c.checkpointPath() + "': " + e.getMessage());
            }
        }
        Dataset<Row> input = InputReader.readChecked(spark, c.input(), "tapeline train", problems, outputProblems);
        return bind(c, input, checkpoints, problems, outputProblems);
    }

    /**
     * {@link #prepare} for a frame already in hand (the {@code tapeline.ml.Trainer} stage): binds the
     * loss's names to its columns and records the loss once. {@code c}'s input, output and checkpoint
     * keys are not used.
     *
     * @throws ConfigException with every problem
     */
    public static Prepared bind(TrainConfig c, Dataset<Row> input) throws ConfigException {
        return bind(c, input, null, new ArrayList<>(), List.of());
    }

    private static Prepared bind(TrainConfig c, Dataset<Row> input, Checkpoints checkpoints, List<String> problems,
                                 List<String> outputProblems) throws ConfigException {
        SparkSession spark = input.sparkSession();
        LossModel model = null;
        List<Cell> cells = new ArrayList<>();
        try {
            Dataset<Row> in = input;
            List<SweepPlan.Input> inputs = ColumnBinder.bindInputs(c.loss(), c.variables(),
                    InputReader.columns(input.schema()), name -> InputReader.arrayLength(in, name), InputReader.csvText(in, c.input()));
            Map<String, Integer> sizes = new LinkedHashMap<>();
            for (SweepPlan.Input i : inputs) {
                sizes.put(i.name(), i.cells().size());
                cells.addAll(i.cells());
            }
            model = new LossModel(c.loss(), c.variables(), sizes, c.dtype(), c.blockSize()).withCodegen(c.codegen());
            // Records the loss once on a one-lane tape: unbound names, vector sizes, a non-scalar loss.
            new LossModel(c.loss(), c.variables(), sizes, c.dtype(), 1).compile();
            if (!c.residuals().isEmpty()) new ResidualModel(c.residuals(), c.variables(), sizes, c.dtype(), 1).compile();
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        } catch (IllegalArgumentException e) { // ExpressionException among them: it names the position
            problems.add(e.getMessage());
        }
        problems.addAll(outputProblems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        spark.sparkContext().setJobDescription(null);
        return new Prepared(c, input, model, List.copyOf(cells), checkpoints);
    }

    /** The stage's fit, then the writer. Bad rows under {@code bad.rows=fatal} are a ConfigException (nothing written). */
    private static TrainSummary train(SparkSession spark, Prepared p, QualityGate gate, Phases phases, Stage stage)
            throws Exception {
        TrainConfig c = p.config();
        Fit fit = stage.fit(spark, p, gate, phases);
        TrainLoop.TrainResult result = fit.result();
        write(spark, c.output(), p.model().parameterNames(), result.state().params(), result.state().history(),
                "tapeline train: " + c.loss().source(), fit.errors());
        TrainState end = result.state();
        List<TrainState.HistoryPoint> h = end.history();
        TrainState.HistoryPoint last = h.get(h.size() - 1);
        phases.end();
        return new TrainSummary(result.status(), result.message(), end.step(), last.loss(), last.gradNorm(), fit.rows(),
                fit.badRows(), fit.partitions(), fit.resumedFrom(), result.passes(), result.passSeconds(), c.output().path(),
                p.model().parameterNames(), end.params(), fit.errors());
    }

    /**
     * What a fit did, before anything is written: the loop's result, the rows used and left out, the
     * cached partitions, the step resumed from.
     */
    public record Fit(TrainLoop.TrainResult result, long rows, long badRows, int partitions, int resumedFrom,
                      ParameterErrors errors) {
        /** Without standard errors. */
        public Fit(TrainLoop.TrainResult result, long rows, long badRows, int partitions, int resumedFrom) {
            this(result, rows, badRows, partitions, resumedFrom, null);
        }
    }

    /**
     * Caches the rows, checks them (bad rows, the gate) and runs the driver loop; writes nothing but
     * checkpoints. The train job and {@code tapeline.ml.Trainer.fit} both come here.
     *
     * @throws ConfigException bad rows under {@code bad.rows=fatal}, or no usable row
     */
    public static Fit fit(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws Exception {
        TrainConfig c = p.config();
        JavaRDD<ColumnBlock> blocks = cache(spark, p);
        try {
            phases.begin("load");
            spark.sparkContext().setJobDescription("tapeline train: read, check and cache the rows of " + c.input().describe());
            long[] counts = {0, 0};
            List<String> firstBad = new ArrayList<>();
            for (ColumnBlock.Stats s : blocks.map(ColumnBlock.Stats::of).collect()) {
                counts[0] += s.rows();
                counts[1] += s.badRows();
                if (firstBad.size() < ColumnBlock.SHOWN_BAD) {
                    firstBad.addAll(s.firstBad().subList(0, Math.min(s.firstBad().size(), ColumnBlock.SHOWN_BAD - firstBad.size())));
                }
            }
            long rows = counts[0];
            long bad = counts[1];
            if (bad > 0 && c.badRows() == TrainConfig.BadRows.FATAL) {
                List<String> problems = new ArrayList<>();
                problems.add("input: " + bad + " bad row" + (bad == 1 ? "" : "s") + " of " + (rows + bad)
                        + " in '" + c.input().describe() + "' (bad.rows=fatal; set bad.rows=skip to leave them out). The first:");
                firstBad.forEach(b -> problems.add("  " + b));
                throw new ConfigException(problems);
            }
            // Before any step: a fit to an input with too many bad rows is not worth its time (exit 3, nothing written).
            gate.check(bad, rows + bad, Map.of("used", rows, "skipped", bad), 0, () -> firstBad);
            if (bad > 0) {
                LOG.warn("skipped {} bad rows of {} (bad.rows=skip); the first: {}", bad, rows + bad, firstBad);
            }
            if (rows == 0) {
                throw new ConfigException("input: '" + c.input().describe() + "' has no usable rows to train on");
            }
            LOG.info("cached {} rows x {} columns in {} partitions", rows, p.model().columnCount(), blocks.getNumPartitions());

            phases.begin("solve_and_write");
            TrainState start = startState(c, p);
            int resumedFrom = start.step();
            GradientPass pass = new GradientPass(spark.sparkContext(), blocks, p.model(), c.batchFraction(),
                    c.batchSeed(), c.aggregationDepth()).withHessian(c.optimizer().equals("newton"));
            if (!c.residuals().isEmpty()) pass.withResiduals(ResidualModel.of(c.residuals(), p.model()));
            Regularizer regularizer = c.regularization() == null ? null : new Regularizer(c.regularization(), c.variables(), c.dtype());
            TrainLoop.Settings settings = new TrainLoop.Settings(c.steps(), c.gradTolerance(), c.lossTolerance(), c.reduce(),
                    p.checkpoints() == null ? 0 : c.checkpointEvery(), regularizer, c.stepTolerance());
            TrainLoop.Listener log = (point, n, seconds) -> LOG.info(String.format(Locale.ROOT,
                    "step %d  loss %.9g  grad_norm %.4g  passes %d  rows %d  %.3f s", point.step(), point.loss(),
                    point.gradNorm(), point.passes(), n, seconds));
            TrainLoop.Checkpointer save = state -> {
                p.checkpoints().save(state);
                LOG.info("checkpoint: step {} written to {}", state.step(), c.checkpointPath());
            };
            TrainLoop.TrainResult result = TrainLoop.run(start, settings, pass, log, save);
            ParameterErrors errors = standardErrors(c, pass, result, regularizer, rows);
            return new Fit(result, rows, bad, blocks.getNumPartitions(), resumedFrom, errors);
        } finally {
            blocks.unpersist(false);
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * {@code stderr = true}: one more pass at the fit's parameters, over every row. Residuals: the
     * least-squares sums, {@code cov = (J^T J)^-1 RSS / (n - p)}. {@code cost.kind = nll}: the rows'
     * summed Hessian (the likelihood is the sum of the rows' terms, whatever {@code reduce}), plus the
     * regularization's Hessian scaled as the objective scales it ({@code reduce = mean}: times the row
     * count), {@code cov = H^-1}. A run that DIVERGED gets none (its parameters are not a fit).
     */
    private static ParameterErrors standardErrors(TrainConfig c, GradientPass pass, TrainLoop.TrainResult result,
                                                  Regularizer regularizer, long rows) {
        if (c.stderr() == tapeline.engine.solve.StandardErrors.Kind.NONE) return null;
        double[] x = result.state().params();
        int p = x.length;
        if (result.status() == TrainLoop.Status.DIVERGED) {
            return ParameterErrors.none(p, "the run DIVERGED: its parameters are not a fit");
        }
        ParameterErrors e;
        if (c.stderr() == tapeline.engine.solve.StandardErrors.Kind.RESIDUALS) {
            e = ParameterErrors.fromResiduals(pass.jacobianPass(x, result.state().step()));
        } else {
            e = ParameterErrors.fromNll(pass.hessianPass(x).hessian(tapeline.engine.train.GradientSums.Reduce.SUM),
                    regularizer, c.reduce(), rows, x);
        }
        if (e.reason() != null) LOG.warn("no standard errors: {}", e.reason());
        return e;
    }

    /** The rows as canonical column blocks ({@link BucketedRows}), persisted in memory (not yet computed). */
    static JavaRDD<ColumnBlock> cache(SparkSession spark, Prepared p) {
        TrainConfig c = p.config();
        Dataset<Row> in = p.input();
        // Spark's internal rows, read by the sweep's CellReader: no Row (and no boxed cell) per input row.
        return BucketedRows.load(in.queryExecution().toRdd().toJavaRDD(), in.schema(), p.cells(), c.partitions(),
                        c.batchFraction() < 1.0)
                .persist(StorageLevel.MEMORY_ONLY());
    }

    private static TrainState startState(TrainConfig c, Prepared p) throws Exception {
        if (p.checkpoints() != null) {
            if (c.resume()) {
                Optional<TrainState> s = p.checkpoints().newest();
                if (s.isPresent()) {
                    LOG.info("resuming from the checkpoint of step {} in {}", s.get().step(), c.checkpointPath());
                    return s.get();
                }
                LOG.info("resume=true but {} holds no checkpoint yet: starting at step 0", c.checkpointPath());
            } else {
                p.checkpoints().clear(); // only reached with output.mode=overwrite, or when there is none
            }
        }
        if (c.usesSolver()) {
            int memory = c.optimizerArgs().get("memory").intValue();
            double[] init = c.initialParameters();
            return TrainState.start(c.optimizer().equals("owlqn")
                    ? QuasiNewton.owlqn(init, memory, c.optimizerArgs().get("l1"), c.l1Mask())
                    : QuasiNewton.lbfgs(init, memory));
        }
        Map<String, Hyper> args = new LinkedHashMap<>();
        c.optimizerArgs().forEach((k, v) -> args.put(k, Hyper.of(v)));
        Optimizer opt = p.model().buildOptimizer(Optimizers.create(c.optimizer(), args, c.dtype()));
        double[] init = c.initialParameters();
        for (int k = 0; k < init.length; k++) init[k] = c.dtype().round(init[k]);
        return TrainState.start(init, opt);
    }

    /**
     * Writes a fitted model's directory: {@code params} ({@code name, value}, one row per scalar
     * parameter, in order), {@code history} ({@code step, loss, grad_norm, passes}) and {@code loss.png}
     * under {@code o.path()}, in {@code o.format()}; with {@code o.mode()} overwrite, whatever was there
     * goes first. The train job and {@code tapeline.ml.TrainedModel.write()} both write through here.
     */
    public static void write(SparkSession spark, OutputSpec o, List<String> names, double[] values,
                             List<TrainState.HistoryPoint> historyPoints, String title) throws IOException {
        write(spark, o, names, values, historyPoints, title, null);
    }

    /**
     * As above; with standard errors ({@code stderr = true}) {@code params} gets a {@code se} column
     * (null where there is none) and {@code covariance} is written beside it: {@code name} and one
     * column per parameter, statsmodels' {@code cov_params()} (every value null where there is none).
     */
    public static void write(SparkSession spark, OutputSpec o, List<String> names, double[] values,
                             List<TrainState.HistoryPoint> historyPoints, String title, ParameterErrors errors)
            throws IOException {
        spark.sparkContext().setJobDescription("tapeline train: write params, history and loss.png to " + o.path());
        List<Row> params = new ArrayList<>();
        List<Row> cov = new ArrayList<>();
        for (int k = 0; k < values.length; k++) {
            if (errors == null) {
                params.add(RowFactory.create(names.get(k), values[k]));
                continue;
            }
            params.add(RowFactory.create(names.get(k), values[k], finiteOrNull(errors.se()[k])));
            Object[] row = new Object[names.size() + 1];
            row[0] = names.get(k);
            for (int j = 0; j < names.size(); j++) row[j + 1] = finiteOrNull(errors.covariance()[k][j]);
            cov.add(RowFactory.create(row));
        }
        StructType paramSchema = new StructType()
                .add("name", DataTypes.StringType, false)
                .add("value", DataTypes.DoubleType, false);
        if (errors != null) paramSchema = paramSchema.add("se", DataTypes.DoubleType, true);
        List<Row> history = new ArrayList<>();
        for (TrainState.HistoryPoint h : historyPoints) {
            history.add(RowFactory.create(h.step(), h.loss(), h.gradNorm(), h.passes()));
        }
        StructType historySchema = new StructType()
                .add("step", DataTypes.IntegerType, false)
                .add("loss", DataTypes.DoubleType, false)
                .add("grad_norm", DataTypes.DoubleType, false)
                .add("passes", DataTypes.IntegerType, false);
        boolean overwrite = o.mode() == OutputMode.OVERWRITE;
        Path root = new Path(o.path());
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (overwrite) {
            root.getFileSystem(hadoop).delete(root, true); // checked before: the input is not under it
        }
        // One partition each: a few hundred rows, one file, in order.
        OutputWriter.write(spark.createDataFrame(params, paramSchema).coalesce(1),
                o.under("params"));
        OutputWriter.write(spark.createDataFrame(history, historySchema).orderBy(functions.col("step")).coalesce(1),
                o.under("history"));
        if (errors != null) {
            StructType covSchema = new StructType().add("name", DataTypes.StringType, false);
            for (String n : names) covSchema = covSchema.add(n, DataTypes.DoubleType, true);
            OutputWriter.write(spark.createDataFrame(cov, covSchema).coalesce(1), o.under("covariance"));
        }
        LossChart.write(historyPoints, title, new Path(root, "loss.png"), hadoop, false);
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** What a checkpoint must match to be resumed from. */
    static String fingerprint(TrainConfig c) {
        return "loss=" + c.loss().source() + "; variables=" + c.variables() + "; reduce=" + c.reduce()
                + "; optimizer=" + c.optimizer() + " " + c.optimizerArgs()
                + (c.optimizer().equals("owlqn") ? " l1_variables=" + c.l1Variables() : "")
                + (c.regularization() == null ? "" : "; regularization=" + c.regularization().source()) + "; dtype=" + c.dtype()
                + "; batch.fraction=" + c.batchFraction() + "; batch.seed=" + c.batchSeed();
    }
}
