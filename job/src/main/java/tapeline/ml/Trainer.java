package tapeline.ml;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import tapeline.engine.train.TrainState;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.RunRecord;
import tapeline.job.config.ConfigException;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.config.ScoreConfig;
import tapeline.job.config.TrainConfig;
import tapeline.job.train.TrainJob;
import tapeline.job.train.TrainSummary;
import tapeline.job.train.grouped.GroupedCounts;
import tapeline.job.train.grouped.GroupedSummary;
import tapeline.job.train.grouped.GroupedTrainJob;

/**
 * The train job as a Spark ML {@link Estimator}: {@link #fit} runs the train job's driver loop on the
 * frame (the same code: {@link TrainJob#bind}, {@link TrainJob#fit}) and returns a
 * {@link TrainedModel} with the fitted parameters, a summary and (asked for) their standard errors.
 * The train job ({@code ./submit.sh}) runs this stage: the config's keys become its Params
 * ({@link #fromConfig}), the job runs their config ({@link #jobConfig}) and writes the fit of
 * {@link #fit(SparkSession, TrainJob.Prepared, QualityGate, Phases)} (grouped:
 * {@link #fit(GroupedTrainJob.Prepared, GroupedCounts, Phases)}).
 *
 * <p>Each Param is named after its config key ({@code toleranceGrad} is {@code tolerance.grad},
 * {@code batchFraction} is {@code batch.fraction}) and is checked by the train job's parser, with its
 * messages. For tuning ({@code ParamGridBuilder}) the numbers a grid varies are Params of their own:
 * {@link #learningRate()} ({@code optimizer.learning_rate}), {@link #l1()} ({@code optimizer.l1},
 * owlqn), {@link #steps()}, and {@link #lambda()}: the name {@code lambda} in the regularization
 * expression stands for its value, so {@code setRegularization("lambda * sum(w^2)")} is tuned by
 * {@code lambda}. The outputs ({@link #setOutput}) are the model's, passed on to it.
 *
 * <pre>{@code
 * TrainedModel m = new Trainer().setLoss("(y - (b + dot(w, x)))^2").setVariables("b, w[5]")
 *         .setOptimizer("lbfgs").setOutput("prediction", "b + dot(w, x)").fit(train);
 * m.summary().status();   // "CONVERGED"
 * }</pre>
 *
 * <p>With {@link #setGroupBy} ({@code group.by}) {@link #fit} is the grouped train: one set of
 * parameters per distinct key, each what the grouped train job fits to that group's rows (the same
 * code), in a grouped model ({@link TrainedModel#isGrouped()}) that scores each row with its group's.
 *
 * <pre>{@code
 * TrainedModel perStore = new Trainer().setGroupBy("store").setLoss("(y - (b + dot(w, x)))^2")
 *         .setVariables("b, w[3]").setOptimizer("lbfgs").setOutput("prediction", "b + dot(w, x)").fit(sales);
 * perStore.groupParameters().show();   // store, b, w, loss, grad_norm, steps, passes, rows, bad_rows, status, error
 * }</pre>
 */
public final class Trainer extends Estimator<TrainedModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    /** A minimal valid train, the base against which one value is checked at {@code set}. */
    private static final Map<String, String> BASE = Map.of("job", "train", "loss", "w", "variables", "w");
    /** A minimal valid least-squares train, for the keys that need residuals. */
    private static final Map<String, String> RESIDUALS_BASE = Map.of("job", "train", "residuals", "w", "variables", "w");
    /** A minimal valid Levenberg-Marquardt train, for its own tolerance. */
    private static final Map<String, String> LM_BASE = Map.of("job", "train", "residuals", "w", "variables", "w", "optimizer", "lm");
    /** A minimal valid grouped train, for the group keys. */
    private static final Map<String, String> GROUPED_BASE = Map.of("job", "train", "loss", "w", "variables", "w", "group.by", "g");
    /** The record's {@code input} of a fit: a frame handed to fit, not a path the record could name. */
    private static final Map<String, Object> DATASET_INPUT = datasetInput();
    /** The regularization's named constant. */
    private static final Pattern LAMBDA = Pattern.compile("(?<![A-Za-z0-9_])lambda(?![A-Za-z0-9_])");

    private final String uid;
    private final Param<String> loss;
    private final Param<String> residuals;
    private final DoubleParam toleranceStep;
    private final BooleanParam stderr;
    private final Param<String> costKind;
    private final Param<String> variables;
    private final StringArrayParam init;
    private final Param<String> reduce;
    private final Param<String> optimizer;
    private final StringArrayParam optimizerArgs;
    private final DoubleParam learningRate;
    private final DoubleParam l1;
    private final IntParam steps;
    private final DoubleParam toleranceGrad;
    private final DoubleParam toleranceLoss;
    private final DoubleParam batchFraction;
    private final LongParam batchSeed;
    private final Param<String> dtype;
    private final Param<String> badRows;
    private final IntParam blockSize;
    private final IntParam partitions;
    private final IntParam aggregationDepth;
    private final Param<String> regularization;
    private final DoubleParam lambda;
    private final BooleanParam engineCodegen;
    private final StringArrayParam outputs;
    private final Param<String> groupBy;
    private final IntParam groupMaxRows;
    private final IntParam groupBlockRows;
    private final StageKeys keys;

    public Trainer() {
        this(ConfigParams.uid("trainer"));
    }

    /** A trainer with a given uid (Spark ML's {@code copy} and readers make them so). */
    public Trainer(String uid) {
        this.uid = uid;
        loss = new Param<>(this, "loss", "config key loss: one row's loss, e.g. (y - (b + dot(w, x)))^2");
        variables = new Param<>(this, "variables", "config key variables: the shared parameters, e.g. b, w[5]");
        init = new StringArrayParam(this, "init", "config keys init.<variable>: variable=numbers entries");
        reduce = new Param<>(this, "reduce", "config key reduce: the objective is the mean or the sum of the rows' losses");
        optimizer = new Param<>(this, "optimizer", "config key optimizer: adam, sgd, ..., lbfgs, owlqn");
        optimizerArgs = new StringArrayParam(this, "optimizerArgs", "config keys optimizer.<argument>: name=number entries");
        learningRate = new DoubleParam(this, "learningRate", "config key optimizer.learning_rate (unset: the optimizer's default)");
        l1 = new DoubleParam(this, "l1", "config key optimizer.l1 (owlqn): the L1 strength");
        steps = new IntParam(this, "steps", "config key steps: optimizer steps at most");
        toleranceGrad = new DoubleParam(this, "toleranceGrad", "config key tolerance.grad (unset: the optimizer's default)");
        toleranceLoss = new DoubleParam(this, "toleranceLoss", "config key tolerance.loss (unset: the optimizer's default)");
        batchFraction = new DoubleParam(this, "batchFraction", "config key batch.fraction: share of rows per step");
        batchSeed = new LongParam(this, "batchSeed", "config key batch.seed: the mini-batch draw's seed");
        dtype = new Param<>(this, "dtype", "config key dtype: float64 or float32");
        badRows = new Param<>(this, "badRows", "config key bad.rows: fatal or skip");
        blockSize = new IntParam(this, "blockSize", "config key block.size: rows evaluated together on one tape");
        partitions = new IntParam(this, "partitions", "config key partitions: cached partitions (0: as read)");
        aggregationDepth = new IntParam(this, "aggregationDepth", "config key aggregation.depth: the treeAggregate depth");
        regularization = new Param<>(this, "regularization",
                "config key regularization: a term over the variables added to the objective; the name lambda is the lambda Param");
        lambda = new DoubleParam(this, "lambda", "the value of the name lambda in the regularization (for tuning)");
        engineCodegen = new BooleanParam(this, "engineCodegen", "config key engine.codegen: compiled gradient pass or the interpreter");
        outputs = new StringArrayParam(this, "outputs", "the model's outputs (config keys output.<column> of job = score)");
        groupBy = new Param<>(this, "groupBy", "config key group.by: the key columns; one set of parameters per distinct key (unset: one for all rows)");
        groupMaxRows = new IntParam(this, "groupMaxRows", "config key group.max.rows: a group with more good rows is INVALID");
        groupBlockRows = new IntParam(this, "groupBlockRows", "config key group.block.rows: whole groups solved together in blocks of about this many rows");
        residuals = new Param<>(this, "residuals", "config key residuals: one row's least-squares residuals instead of a loss"
                + " (e.g. y - (b + dot(w, x)); the loss is the sum of their squares)");
        toleranceStep = new DoubleParam(this, "toleranceStep", "config key tolerance.step (optimizer lm, its xtol)");
        stderr = new BooleanParam(this, "stderr", "config key stderr: the parameters' standard errors and covariance (residuals, or cost.kind = nll)");
        costKind = new Param<>(this, "costKind", "config key cost.kind: nll when the loss is a negative log-likelihood (for stderr)");
        keys = new StageKeys(this, this::set, Trainer::parse, Trainer::baseFor, List.of(
                new ConfigParams.Key(loss, "loss"), new ConfigParams.Key(residuals, "residuals"),
                new ConfigParams.Key(toleranceStep, "tolerance.step"), new ConfigParams.Key(stderr, "stderr"),
                new ConfigParams.Key(costKind, "cost.kind"), new ConfigParams.Key(variables, "variables"),
                new ConfigParams.Key(init, "init."), new ConfigParams.Key(reduce, "reduce"),
                new ConfigParams.Key(optimizer, "optimizer"), new ConfigParams.Key(optimizerArgs, "optimizer."),
                new ConfigParams.Key(learningRate, "optimizer.learning_rate"), new ConfigParams.Key(l1, "optimizer.l1"),
                new ConfigParams.Key(steps, "steps"), new ConfigParams.Key(toleranceGrad, "tolerance.grad"),
                new ConfigParams.Key(toleranceLoss, "tolerance.loss"), new ConfigParams.Key(batchFraction, "batch.fraction"),
                new ConfigParams.Key(batchSeed, "batch.seed"), new ConfigParams.Key(dtype, "dtype"),
                new ConfigParams.Key(badRows, "bad.rows"), new ConfigParams.Key(blockSize, "block.size"),
                new ConfigParams.Key(partitions, "partitions"), new ConfigParams.Key(aggregationDepth, "aggregation.depth"),
                new ConfigParams.Key(regularization, "regularization"), new ConfigParams.Key(engineCodegen, "engine.codegen"),
                new ConfigParams.Key(groupBy, "group.by"), new ConfigParams.Key(groupMaxRows, "group.max.rows"),
                new ConfigParams.Key(groupBlockRows, "group.block.rows")));
        Map<String, String> d = TrainConfig.defaults();
        setDefault(init, new String[0]);
        setDefault(reduce, d.get("reduce"));
        setDefault(optimizer, d.get("optimizer"));
        setDefault(optimizerArgs, new String[0]);
        setDefault(steps, Integer.parseInt(d.get("steps")));
        setDefault(batchFraction, Double.parseDouble(d.get("batch.fraction")));
        setDefault(batchSeed, Long.parseLong(d.get("batch.seed")));
        setDefault(dtype, d.get("dtype"));
        setDefault(badRows, d.get("bad.rows"));
        setDefault(blockSize, Integer.parseInt(d.get("block.size")));
        setDefault(partitions, Integer.parseInt(d.get("partitions")));
        setDefault(aggregationDepth, Integer.parseInt(d.get("aggregation.depth")));
        setDefault(lambda, 0.0);
        setDefault(engineCodegen, Boolean.parseBoolean(d.get("engine.codegen")));
        setDefault(stderr, Boolean.parseBoolean(d.get("stderr")));
        setDefault(outputs, new String[0]);
        setDefault(groupMaxRows, GroupedTrainConfig.DEFAULT_MAX_ROWS);
        setDefault(groupBlockRows, GroupedTrainConfig.DEFAULT_BLOCK_ROWS);
    }

    /** The minimal valid config against which one key's value is checked at {@code set}. */
    private static Map<String, String> baseFor(String key) {
        if (key.startsWith("group.")) return GROUPED_BASE;
        if (key.equals("tolerance.step")) return LM_BASE;
        if (key.equals("residuals") || key.equals("stderr") || key.equals("optimizer")) return RESIDUALS_BASE;
        return BASE;
    }

    /** The config keys this stage's Params stand for (an entry Param's ends in "."). */
    List<ConfigParams.Key> stageKeys() {
        return keys.list();
    }

    @Override
    public String uid() {
        return uid;
    }

    /** As Spark's, with list-valued Params readable ({@code learning_rate=0.1, beta_1=0.9}). */
    @Override
    public String explainParam(Param<?> param) {
        String entries = ConfigParams.explainEntries(this, param);
        return entries != null ? entries : super.explainParam(param);
    }

    public Param<String> loss() { return loss; }
    public Param<String> residuals() { return residuals; }
    public DoubleParam toleranceStep() { return toleranceStep; }
    public BooleanParam stderr() { return stderr; }
    public Param<String> costKind() { return costKind; }
    public Param<String> variables() { return variables; }
    public StringArrayParam init() { return init; }
    public Param<String> reduce() { return reduce; }
    public Param<String> optimizer() { return optimizer; }
    public StringArrayParam optimizerArgs() { return optimizerArgs; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam l1() { return l1; }
    public IntParam steps() { return steps; }
    public DoubleParam toleranceGrad() { return toleranceGrad; }
    public DoubleParam toleranceLoss() { return toleranceLoss; }
    public DoubleParam batchFraction() { return batchFraction; }
    public LongParam batchSeed() { return batchSeed; }
    public Param<String> dtype() { return dtype; }
    public Param<String> badRows() { return badRows; }
    public IntParam blockSize() { return blockSize; }
    public IntParam partitions() { return partitions; }
    public IntParam aggregationDepth() { return aggregationDepth; }
    public Param<String> regularization() { return regularization; }
    public DoubleParam lambda() { return lambda; }
    public BooleanParam engineCodegen() { return engineCodegen; }
    public StringArrayParam outputs() { return outputs; }
    public Param<String> groupBy() { return groupBy; }
    public IntParam groupMaxRows() { return groupMaxRows; }
    public IntParam groupBlockRows() { return groupBlockRows; }

    public Trainer setLoss(String value) { keys.put(loss, "loss", value); return this; }
    /**
     * {@code residuals}: one row's least-squares residuals instead of a loss (one vector expression or several
     * comma-separated; the row's loss is the sum of their squares); with {@code optimizer = lm}, Levenberg-Marquardt.
     */
    public Trainer setResiduals(String value) { keys.put(residuals, "residuals", value); return this; }
    /** {@code tolerance.step}: lm's step tolerance (xtol). */
    public Trainer setToleranceStep(double value) { keys.put(toleranceStep, "tolerance.step", value); return this; }
    /** {@code stderr}: the fit's standard errors and covariance (needs residuals, or {@code cost.kind = nll}). */
    public Trainer setStderr(boolean value) { keys.put(stderr, "stderr", value); return this; }
    /** {@code cost.kind}: {@code nll}, the loss is a negative log-likelihood (its Hessian gives the standard errors). */
    public Trainer setCostKind(String value) { keys.put(costKind, "cost.kind", value); return this; }
    public Trainer setVariables(String value) { keys.put(variables, "variables", value); return this; }
    /** {@code init.<variable>}: one number for every component, or one per component ({@code "0.5, 1, -2"}). */
    public Trainer setInit(String variable, String numbers) { keys.putEntry(init, "init.", variable, numbers); return this; }
    public Trainer setReduce(String value) { keys.put(reduce, "reduce", value); return this; }
    public Trainer setOptimizer(String value) { keys.put(optimizer, "optimizer", value); return this; }
    /** {@code optimizer.<name> = value}. */
    public Trainer setOptimizerArg(String name, double value) { keys.putEntry(optimizerArgs, "optimizer.", name, value); return this; }
    public Trainer setLearningRate(double value) { keys.put(learningRate, "optimizer.learning_rate", value); return this; }
    public Trainer setL1(double value) { keys.put(l1, "optimizer.l1", value); return this; }
    public Trainer setSteps(int value) { keys.put(steps, "steps", value); return this; }
    public Trainer setToleranceGrad(double value) { keys.put(toleranceGrad, "tolerance.grad", value); return this; }
    public Trainer setToleranceLoss(double value) { keys.put(toleranceLoss, "tolerance.loss", value); return this; }
    public Trainer setBatchFraction(double value) { keys.put(batchFraction, "batch.fraction", value); return this; }
    public Trainer setBatchSeed(long value) { keys.put(batchSeed, "batch.seed", value); return this; }
    public Trainer setDtype(String value) { keys.put(dtype, "dtype", value); return this; }
    public Trainer setBadRows(String value) { keys.put(badRows, "bad.rows", value); return this; }
    public Trainer setBlockSize(int value) { keys.put(blockSize, "block.size", value); return this; }
    public Trainer setPartitions(int value) { keys.put(partitions, "partitions", value); return this; }
    public Trainer setAggregationDepth(int value) { keys.put(aggregationDepth, "aggregation.depth", value); return this; }
    /** {@code regularization}; the name {@code lambda} in it is {@link #lambda()}'s value. */
    public Trainer setRegularization(String value) {
        ConfigParams.check(Trainer::parse, BASE, "regularization", withLambda(value, 0.0));
        set(regularization, value);
        return this;
    }
    public Trainer setLambda(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("lambda: expected a finite number, got " + value);
        }
        set(lambda, value);
        return this;
    }
    public Trainer setEngineCodegen(boolean value) { keys.put(engineCodegen, "engine.codegen", value); return this; }
    /**
     * {@code group.by}: the key columns, comma-separated; {@link #fit} then fits one set of parameters per
     * distinct key (the grouped train, docs/grouped-train.md) and returns a grouped model.
     */
    public Trainer setGroupBy(String columns) { keys.put(groupBy, "group.by", columns); return this; }
    public Trainer setGroupMaxRows(int value) { keys.put(groupMaxRows, "group.max.rows", value); return this; }
    public Trainer setGroupBlockRows(int value) { keys.put(groupBlockRows, "group.block.rows", value); return this; }
    /** The model's {@code output.<column> = expression} (see {@link TrainedModel#setOutput}). */
    public Trainer setOutput(String column, String expression) {
        set(outputs, TrainedModel.withOutput(getOrDefault(outputs), column, expression));
        return this;
    }

    private static Map<String, Object> datasetInput() {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("format", "dataset");
        in.put("path", null);
        in.put("table", null);
        return java.util.Collections.unmodifiableMap(in);
    }

    /** The train job's parser, or the grouped train's when the keys have {@code group.by}. */
    static Object parse(Map<String, String> keys) throws ConfigException {
        return keys.containsKey("group.by") ? GroupedTrainConfig.parse(keys, new ArrayList<>()) : TrainConfig.parse(keys);
    }

    /** Whether {@link #fit} fits one set of parameters per group ({@link #setGroupBy}). */
    public boolean isGrouped() {
        return isDefined(groupBy);
    }

    /** The names in a {@code variables} value ({@code b, w[3]}: b, w). */
    static List<String> variableNames(String variables) {
        List<String> names = new ArrayList<>();
        for (String part : variables.split(",")) {
            String n = part.trim();
            int bracket = n.indexOf('[');
            names.add((bracket < 0 ? n : n.substring(0, bracket)).trim());
        }
        return names;
    }

    /** The expression with the name {@code lambda} replaced by the value's text (in parentheses: it may be negative). */
    static String withLambda(String expression, double value) {
        Matcher m = LAMBDA.matcher(expression);
        return m.replaceAll(Matcher.quoteReplacement("(" + ConfigParams.text(value) + ")"));
    }

    /** The train job's config keys these Params stand for (what {@code ./submit.sh} would be given). */
    public Map<String, String> configKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("job", "train");
        m.putAll(keys.keys());
        if (isGrouped()) {
            // Not per group: the defaults of the mini-batch keys stay out (set, they are the parser's error).
            if (!isSet(batchFraction)) m.remove("batch.fraction");
            if (!isSet(batchSeed)) m.remove("batch.seed");
        } else {
            m.remove("group.max.rows");
            m.remove("group.block.rows");
        }
        if (m.containsKey("regularization") && !variableNames(m.getOrDefault("variables", "")).contains("lambda")) {
            // A variable named lambda is the variable (a config file's regularization may read it), not the Param.
            m.put("regularization", withLambda(m.get("regularization"), (Double) getOrDefault(lambda)));
        }
        return m;
    }

    /**
     * A trainer set from a train job config's keys ({@code loss}, {@code optimizer.learning_rate}, ...),
     * checked together by the train job's parser (every problem at once, with its messages); the input,
     * output, checkpoint and Spark keys are the job's and are left out. The name {@code lambda} in
     * {@code regularization} is {@link #lambda()}'s, as with {@link #setRegularization}.
     *
     * <pre>{@code
     * Trainer t = Trainer.fromConfig(Map.of("loss", "(y - (b + w * x))^2", "variables", "b, w", "optimizer", "lbfgs"));
     * }</pre>
     *
     * @throws IllegalArgumentException with the parser's messages
     */
    public static Trainer fromConfig(Map<String, String> configKeys) {
        Trainer t = new Trainer();
        Map<String, String> own = t.keys.own(configKeys);
        Map<String, String> checked = new LinkedHashMap<>();
        checked.put("job", "train");
        own.forEach((k, v) -> checked.put(k, k.equals("regularization") ? withLambda(v, 0.0) : v));
        ConfigParams.parse(Trainer::parse, checked);
        t.keys.setKeys(own);
        return t;
    }

    /** The Params as the train job's validated config (input and output keys are placeholders). */
    TrainConfig config() {
        return isGrouped() ? groupedConfig().train() : ConfigParams.parse(TrainConfig::parse, configKeys());
    }

    /** The Params as the grouped train's validated config ({@link #isGrouped()}). */
    GroupedTrainConfig groupedConfig() {
        return ConfigParams.parse(keys -> GroupedTrainConfig.parse(keys, new ArrayList<>()), configKeys());
    }

    /**
     * The Params as the train job's config, with the job's own keys (input, output, checkpoints, Spark,
     * ...) taken from {@code jobKeys}: what {@code ./submit.sh} runs with ({@code tapeline.job.StageJobs}
     * makes the stage with {@link #fromConfig} and runs this config).
     *
     * @throws IllegalArgumentException with the parser's messages
     */
    public TrainConfig jobConfig(Map<String, String> jobKeys) {
        return ConfigParams.parseJob(TrainConfig::parse, withJobKeys(jobKeys));
    }

    /** {@link #jobConfig} of a grouped trainer ({@link #isGrouped()}): the grouped train job's config. */
    public GroupedTrainConfig groupedJobConfig(Map<String, String> jobKeys) {
        return ConfigParams.parseJob(k -> GroupedTrainConfig.parse(k, new ArrayList<>()), withJobKeys(jobKeys));
    }

    private Map<String, String> withJobKeys(Map<String, String> jobKeys) {
        Map<String, String> all = keys.jobOnly(jobKeys);
        all.putAll(configKeys());
        return all;
    }

    /**
     * Fits the frame's rows: caches them, runs the train job's loop, returns the model (its outputs set
     * from {@link #outputs()}). A vector column ({@code VectorAssembler}'s) is read as an array.
     *
     * @throws IllegalArgumentException with the train job's messages: a bad Param, a name that is neither a
     *     variable nor a column, bad rows under {@code badRows = fatal}, no usable row
     */
    @Override
    public TrainedModel fit(Dataset<?> dataset) {
        Dataset<Row> frame = Frames.withArrays(dataset);
        SparkSession spark = frame.sparkSession();
        if (isGrouped()) {
            return fitGroups(frame);
        }
        TrainConfig c = config();
        TrainJob.Prepared p;
        TrainJob.Fit fit;
        Phases phases = new Phases();
        RunRecord record = new RunRecord("train", configKeys(), c.effectiveDefaults(), c);
        try {
            p = TrainJob.bind(c, frame);
            fit = fit(spark, p, QualityGate.NONE, phases);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("tapeline fit failed: " + e.getMessage(), e);
        }
        TrainState end = fit.result().state();
        List<TrainState.HistoryPoint> h = end.history();
        TrainState.HistoryPoint last = h.get(h.size() - 1);
        List<String> names = p.model().parameterNames();
        TrainSummary s = new TrainSummary(fit.result().status(), fit.result().message(), end.step(), last.loss(),
                last.gradNorm(), fit.rows(), fit.badRows(), fit.partitions(), fit.resumedFrom(), fit.result().passes(),
                fit.result().passSeconds(), "<model>", names, end.params(), fit.errors());
        Map<String, Double> parameters = new LinkedHashMap<>();
        double[] values = end.params();
        for (int k = 0; k < values.length; k++) {
            parameters.put(names.get(k), values[k]);
        }
        TrainingSummary summary = new TrainingSummary(s.status().name(), s.message(), s.steps(), s.passes(), s.rows(),
                s.skippedRows(), s.finalLoss(), s.finalGradNorm(), h);
        Map<String, Object> fields = record.succeeded(spark, phases, s, QualityGate.NONE).fields();
        fields.put("input", DATASET_INPUT);
        TrainedModel m = new TrainedModel(ConfigParams.uid("trained"), parameters, summary, TrainedModel.json(fields))
                .withErrors(fit.errors()); // null unless stderr: the fit's standard errors and covariance, or why none
        copyValues(m, ParamMap.empty());
        return m.setParent(this);
    }

    /**
     * {@link #fit(Dataset)}'s loop on rows already bound to this stage's config ({@link TrainJob#bind}, or
     * the train job's {@code prepare} of {@link #jobConfig}, which adds its checkpoints): caches and checks
     * the rows (bad rows, {@code gate}), runs the driver loop, computes the standard errors when asked;
     * writes nothing but checkpoints. The train job's fit is this ({@code tapeline.job.StageJobs}).
     *
     * @throws ConfigException bad rows under {@code badRows = fatal}, or no usable row
     */
    public TrainJob.Fit fit(SparkSession spark, TrainJob.Prepared bound, QualityGate gate, Phases phases) throws Exception {
        return TrainJob.fit(spark, bound, gate, phases);
    }

    /**
     * The grouped fit's rows (one a group) for rows already bound to this stage's grouped config
     * ({@link GroupedTrainJob#bind}, or the grouped train job's {@code prepare} of {@link #groupedJobConfig}),
     * counted into {@code counts}; lazy. The grouped train job's rows are this ({@code tapeline.job.StageJobs}).
     */
    public Dataset<Row> fit(GroupedTrainJob.Prepared bound, GroupedCounts counts, Phases phases) {
        return GroupedTrainJob.fit(bound, counts, phases);
    }

    /**
     * The grouped fit: the grouped train's code ({@link GroupedTrainJob#bind}, {@link GroupedTrainJob#fit})
     * on the frame, its rows (one a group) computed here and kept (persisted) as the model's.
     */
    private TrainedModel fitGroups(Dataset<Row> frame) {
        SparkSession spark = frame.sparkSession();
        Map<String, String> keys = configKeys();
        GroupedTrainConfig g = groupedConfig();
        Phases phases = new Phases();
        GroupedTrainJob.Prepared p;
        phases.begin("load");
        try {
            p = GroupedTrainJob.bind(g, frame);
            if (g.train().badRows() == TrainConfig.BadRows.FATAL) {
                GroupedTrainJob.failOnBadRows(spark, p);
            }
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        GroupedCounts counts = GroupedCounts.register(spark.sparkContext());
        Dataset<Row> groups = fit(p, counts, phases).persist(StorageLevel.MEMORY_AND_DISK());
        phases.begin("solve_and_write");
        spark.sparkContext().setJobDescription("tapeline fit: solve every group (" + g.train().optimizer() + ")");
        long t0 = System.nanoTime();
        groups.count(); // fit is eager, as MLlib's: the groups are solved here, once
        double seconds = (System.nanoTime() - t0) / 1e9;
        spark.sparkContext().setJobDescription(null);
        phases.end();
        GroupedSummary s = new GroupedSummary(counts.groupsByStatus(), counts.groups(), counts.rowsUsed(), counts.badRows(),
                counts.steps(), GroupedTrainJob.partitions(p), seconds, GroupedSummary.TaskSeconds.of(counts), "<model>", List.of(),
                p.layout().stderr() ? counts.groupsWithoutStandardErrors() : -1, List.of());
        Map<String, Object> fields = new RunRecord("train", keys, g.effectiveDefaults(), g)
                .succeeded(spark, phases, s, QualityGate.NONE).fields();
        fields.put("input", DATASET_INPUT);
        String uid = ConfigParams.uid("trained");
        TrainedModel m = TrainedModel.grouped(uid, groups, "model " + uid, TrainedModel.json(fields));
        copyValues(m, ParamMap.empty());
        return m.setParent(this);
    }

    /**
     * The model's schema: the outputs, {@code status} and {@code error} after the frame's columns (the
     * frame as it is when no output is set). Checks the Params and binds the loss to the columns, as
     * {@link #fit} does, without reading a row.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        if (isGrouped()) {
            return groupedSchema(schema);
        }
        TrainConfig c = config();
        Map<String, Double> zeros = new LinkedHashMap<>();
        try {
            TrainJob.bind(c, Frames.empty(Frames.withArrays(schema))).model().parameterNames()
                    .forEach(n -> zeros.put(n, 0.0));
        } catch (ConfigException e) {
            IllegalArgumentException bad = new IllegalArgumentException(e.getMessage(), e);
            if (!Frames.onlyUnknownSizes(bad)) {
                throw bad;
            }
            zeros.putAll(zeros(c));
        }
        if (getOrDefault(outputs).length == 0) {
            return schema;
        }
        TrainedModel probe = new TrainedModel(uid, zeros, null, TrainedModel.json(Map.of()));
        copyValues(probe, ParamMap.empty());
        return probe.transformSchema(schema);
    }

    /** {@link #transformSchema} of a grouped fit: the grouped model's, with no group's parameters. */
    private StructType groupedSchema(StructType schema) {
        GroupedTrainConfig g = groupedConfig();
        StructType frame = Frames.withArrays(schema);
        StructType layout;
        try {
            layout = GroupedTrainJob.bind(g, Frames.empty(frame)).layout().schema();
        } catch (ConfigException e) {
            IllegalArgumentException bad = new IllegalArgumentException(e.getMessage(), e);
            if (!Frames.onlyUnknownSizes(bad)) {
                throw bad;
            }
            layout = null;
        }
        if (getOrDefault(outputs).length == 0) {
            return schema;
        }
        if (layout == null) {
            // A vector's size comes with the frame (a VectorAssembler's transformSchema does not say it): the
            // columns a grouped model adds are an ungrouped one's, so its schema stands in; fit checks the rest.
            TrainedModel probe = new TrainedModel(uid, zeros(g.train()), null, TrainedModel.json(Map.of()));
            copyValues(probe, ParamMap.empty());
            probe.clear(probe.groupBy());
            return probe.transformSchema(schema);
        }
        TrainedModel probe = TrainedModel.grouped(uid, Frames.empty(layout), "<model>", TrainedModel.json(Map.of()));
        copyValues(probe, ParamMap.empty());
        return probe.transformSchema(schema);
    }

    /** A zero for every scalar parameter the variables declare, named as LossModel names them (b, w[0], ...). */
    private static Map<String, Double> zeros(TrainConfig c) {
        Map<String, Double> zeros = new LinkedHashMap<>();
        for (var v : c.variables()) {
            for (int k = 0; k < v.size(); k++) {
                zeros.put(v.size() == 1 ? v.name() : v.name() + "[" + k + "]", 0.0);
            }
        }
        return zeros;
    }

    @Override
    public Trainer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    // ---- persistence: Spark ML's metadata directory, the Params in it ----

    @Override
    public MLWriter write() {
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                try {
                    StageMetadata.write(Trainer.this, path, sparkSession().version(), sc().hadoopConfiguration());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    public static MLReader<Trainer> read() {
        return new MLReader<>() {
            @Override
            public Trainer load(String path) {
                try {
                    JsonNode m = StageMetadata.read(path, Trainer.class, sc().hadoopConfiguration());
                    Trainer t = new Trainer(m.get("uid").asText());
                    StageMetadata.setParams(t, m, t::set);
                    return t;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    public static Trainer load(String path) {
        return read().load(path);
    }

    @Override
    public void save(String path) throws IOException {
        write().save(path);
    }
}
