package tapeline.ml;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.MLReadable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import tapeline.job.config.ConfigException;
import tapeline.job.config.SweepConfig;
import tapeline.job.sweep.SweepCounts;
import tapeline.job.sweep.SweepJob;

/**
 * The sweep job as a Spark ML {@link Transformer}: every row of the frame is its own problem,
 * minimised in parallel; {@link #transform} returns the frame with the sweep's output columns (one per
 * variable, {@code cost}, {@code grad_norm}, {@code steps}, {@code status}, {@code error}; with
 * {@code verdict} also {@code curvature} and {@code verdict}), lazily: nothing runs until an action.
 *
 * <p>Each Param is named after the config key it stands for ({@code toleranceGrad} is
 * {@code tolerance.grad}) and is checked by the sweep job's own parser, with its messages: a value at
 * {@code set}, the whole at {@link #transformSchema}. The sweep job ({@code ./submit.sh}) runs this
 * stage: the config's keys become its Params ({@link #fromConfig}), the job runs their config
 * ({@link #jobConfig}) and writes {@link #transform(SweepJob.Prepared, SweepCounts)}; so the two give the same bits.
 *
 * <pre>{@code
 * Dataset<Row> out = new Sweep().setCost("x0 * w^2 + x1 * w + x2").setVariables("w")
 *         .setOptimizer("adam").setOptimizerArg("learning_rate", 0.1).setSteps(1000).setDtype("float32")
 *         .transform(coefficients);                 // lazy
 * out.select("w", "cost", "status").show();
 * }</pre>
 */
public final class Sweep extends Transformer implements MLWritable {
    private static final long serialVersionUID = 1L;
    /** A minimal valid sweep, the base against which one value is checked at {@code set}. */
    private static final Map<String, String> BASE = Map.of("cost", "w", "variables", "w");
    /** A minimal valid least-squares sweep: for the keys that need residuals ({@code optimizer = lm}, {@code stderr}). */
    private static final Map<String, String> RESIDUALS_BASE = Map.of("residuals", "w", "variables", "w");

    private final String uid;
    private final Param<String> cost;
    private final Param<String> residuals;
    private final DoubleParam toleranceCost;
    private final BooleanParam stderr;
    private final Param<String> costKind;
    private final Param<String> variables;
    private final Param<String> optimizer;
    private final StringArrayParam optimizerArgs;
    private final StringArrayParam init;
    private final IntParam steps;
    private final DoubleParam toleranceGrad;
    private final DoubleParam toleranceStep;
    private final Param<String> dtype;
    private final IntParam blockSize;
    private final BooleanParam engineCodegen;
    private final BooleanParam verdict;
    private final StageKeys keys;

    public Sweep() {
        this(ConfigParams.uid("sweep"));
    }

    /** A sweep with a given uid (Spark ML's {@code copy} and readers make them so). */
    public Sweep(String uid) {
        this.uid = uid;
        cost = new Param<>(this, "cost", "config key cost: the expression to minimise per row, e.g. x0 * w^2 + x1 * w + x2");
        residuals = new Param<>(this, "residuals", "config key residuals: least-squares residuals instead of a cost"
                + " (the cost is the sum of their squares), e.g. y - a * exp(-k * t); optimizer lm needs them");
        toleranceCost = new DoubleParam(this, "toleranceCost", "config key tolerance.cost: stop a row when its cost changes less");
        stderr = new BooleanParam(this, "stderr", "config key stderr: each solved row's standard errors (residuals, or cost.kind = nll)");
        costKind = new Param<>(this, "costKind", "config key cost.kind: nll when the cost is a negative log-likelihood (for stderr)");
        variables = new Param<>(this, "variables", "config key variables: what is optimised per row, e.g. w or b, w[3]");
        optimizer = new Param<>(this, "optimizer", "config key optimizer: adam, sgd, rmsprop, ..., newton");
        optimizerArgs = new StringArrayParam(this, "optimizerArgs",
                "config keys optimizer.<argument>: name=value entries (a number, or a column read per row)");
        init = new StringArrayParam(this, "init", "config keys init.<variable>: name=value entries (a number or a column)");
        steps = new IntParam(this, "steps", "config key steps: optimizer steps per row at most");
        toleranceGrad = new DoubleParam(this, "toleranceGrad", "config key tolerance.grad: stop a row at this gradient norm");
        toleranceStep = new DoubleParam(this, "toleranceStep", "config key tolerance.step: stop a row at this step size");
        dtype = new Param<>(this, "dtype", "config key dtype: float64 or float32");
        blockSize = new IntParam(this, "blockSize", "config key block.size: rows solved together on one tape");
        engineCodegen = new BooleanParam(this, "engineCodegen", "config key engine.codegen: compiled steps or the interpreter");
        verdict = new BooleanParam(this, "verdict", "config key verdict: add the curvature and verdict columns");
        keys = new StageKeys(this, this::set, SweepConfig::parse,
                key -> List.of("residuals", "optimizer", "stderr").contains(key) ? RESIDUALS_BASE : BASE, List.of(
                new ConfigParams.Key(cost, "cost"), new ConfigParams.Key(residuals, "residuals"),
                new ConfigParams.Key(variables, "variables"),
                new ConfigParams.Key(optimizer, "optimizer"), new ConfigParams.Key(optimizerArgs, "optimizer."),
                new ConfigParams.Key(init, "init."), new ConfigParams.Key(steps, "steps"),
                new ConfigParams.Key(toleranceGrad, "tolerance.grad"), new ConfigParams.Key(toleranceStep, "tolerance.step"),
                new ConfigParams.Key(dtype, "dtype"), new ConfigParams.Key(blockSize, "block.size"),
                new ConfigParams.Key(toleranceCost, "tolerance.cost"), new ConfigParams.Key(stderr, "stderr"),
                new ConfigParams.Key(costKind, "cost.kind"),
                new ConfigParams.Key(engineCodegen, "engine.codegen"), new ConfigParams.Key(verdict, "verdict")));
        // The defaults are the sweep job's, read from its parser's table.
        Map<String, String> d = SweepConfig.defaults();
        setDefault(optimizer, d.get("optimizer"));
        setDefault(optimizerArgs, new String[0]);
        setDefault(init, new String[0]);
        setDefault(steps, Integer.parseInt(d.get("steps")));
        setDefault(toleranceGrad, Double.parseDouble(d.get("tolerance.grad")));
        setDefault(toleranceStep, Double.parseDouble(d.get("tolerance.step")));
        setDefault(dtype, d.get("dtype"));
        setDefault(blockSize, Integer.parseInt(d.get("block.size")));
        setDefault(engineCodegen, Boolean.parseBoolean(d.get("engine.codegen")));
        setDefault(verdict, Boolean.parseBoolean(d.get("verdict")));
        setDefault(toleranceCost, Double.parseDouble(d.get("tolerance.cost")));
        setDefault(stderr, Boolean.parseBoolean(d.get("stderr")));
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

    // ---- Params (Spark ML finds them by these public no-argument methods) ----

    public Param<String> cost() { return cost; }
    public Param<String> residuals() { return residuals; }
    public DoubleParam toleranceCost() { return toleranceCost; }
    public BooleanParam stderr() { return stderr; }
    public Param<String> costKind() { return costKind; }
    public Param<String> variables() { return variables; }
    public Param<String> optimizer() { return optimizer; }
    public StringArrayParam optimizerArgs() { return optimizerArgs; }
    public StringArrayParam init() { return init; }
    public IntParam steps() { return steps; }
    public DoubleParam toleranceGrad() { return toleranceGrad; }
    public DoubleParam toleranceStep() { return toleranceStep; }
    public Param<String> dtype() { return dtype; }
    public IntParam blockSize() { return blockSize; }
    public BooleanParam engineCodegen() { return engineCodegen; }
    public BooleanParam verdict() { return verdict; }

    public String getCost() { return getOrDefault(cost); }
    public String getVariables() { return getOrDefault(variables); }
    public String getOptimizer() { return getOrDefault(optimizer); }
    public int getSteps() { return (Integer) getOrDefault(steps); }
    public String getDtype() { return getOrDefault(dtype); }

    /** {@code cost}: the expression to minimise, per row; a syntax error names its position. */
    public Sweep setCost(String value) { keys.put(cost, "cost", value); return this; }
    /**
     * {@code residuals}: least-squares residuals, one vector expression or several comma-separated (the cost
     * is the sum of their squares; {@code optimizer = lm} needs them). Give either this or {@link #setCost}.
     */
    public Sweep setResiduals(String value) { keys.put(residuals, "residuals", value); return this; }
    /** {@code variables}: {@code w}, {@code b, w[3]}. */
    public Sweep setVariables(String value) { keys.put(variables, "variables", value); return this; }
    /** {@code optimizer}: a Keras optimizer's name, {@code newton}, {@code trust}, or {@code lm} (with residuals). */
    public Sweep setOptimizer(String value) { keys.put(optimizer, "optimizer", value); return this; }
    /** {@code optimizer.<name> = value}: a number the same for every row. */
    public Sweep setOptimizerArg(String name, double value) { keys.putEntry(optimizerArgs, "optimizer.", name, value); return this; }
    /** {@code optimizer.<name> = column}: read per row from a column. */
    public Sweep setOptimizerArg(String name, String column) { keys.putEntry(optimizerArgs, "optimizer.", name, column); return this; }
    /** {@code init.<variable> = value}. */
    public Sweep setInit(String variable, double value) { keys.putEntry(init, "init.", variable, value); return this; }
    /** {@code init.<variable> = column}: the start value read per row from a column. */
    public Sweep setInit(String variable, String column) { keys.putEntry(init, "init.", variable, column); return this; }
    public Sweep setSteps(int value) { keys.put(steps, "steps", value); return this; }
    public Sweep setToleranceGrad(double value) { keys.put(toleranceGrad, "tolerance.grad", value); return this; }
    public Sweep setToleranceStep(double value) { keys.put(toleranceStep, "tolerance.step", value); return this; }
    public Sweep setToleranceCost(double value) { keys.put(toleranceCost, "tolerance.cost", value); return this; }
    /** {@code stderr}: standard errors per solved row (needs residuals, or {@code cost.kind = nll}; checked at transformSchema). */
    public Sweep setStderr(boolean value) { keys.put(stderr, "stderr", value); return this; }
    /** {@code cost.kind}: {@code nll}, the cost is a negative log-likelihood (its Hessian gives the standard errors). */
    public Sweep setCostKind(String value) { keys.put(costKind, "cost.kind", value); return this; }
    public Sweep setDtype(String value) { keys.put(dtype, "dtype", value); return this; }
    public Sweep setBlockSize(int value) { keys.put(blockSize, "block.size", value); return this; }
    public Sweep setEngineCodegen(boolean value) { keys.put(engineCodegen, "engine.codegen", value); return this; }
    public Sweep setVerdict(boolean value) { keys.put(verdict, "verdict", value); return this; }

    /** The config keys these Params stand for (what {@code ./submit.sh} would be given). */
    public Map<String, String> configKeys() {
        return keys.keys();
    }

    /**
     * A sweep set from a job config's keys ({@code cost}, {@code optimizer.learning_rate}, ...), checked
     * together by the sweep job's parser (every problem at once, with its messages); the input, output
     * and Spark keys are the job's and are left out.
     *
     * <pre>{@code
     * Sweep s = Sweep.fromConfig(Map.of("cost", "(w - x0)^2", "variables", "w", "steps", "200"));
     * }</pre>
     *
     * @throws IllegalArgumentException with the parser's messages
     */
    public static Sweep fromConfig(Map<String, String> configKeys) {
        Sweep s = new Sweep();
        Map<String, String> own = s.keys.own(configKeys);
        ConfigParams.parse(SweepConfig::parse, own);
        s.keys.setKeys(own);
        return s;
    }

    /** The Params as the sweep job's validated config (input and output keys are placeholders). */
    SweepConfig config() {
        return ConfigParams.parse(SweepConfig::parse, configKeys());
    }

    /**
     * The Params as the sweep job's config, with the job's own keys (input, output, Spark, ...) taken
     * from {@code jobKeys}: what {@code ./submit.sh} runs with ({@code tapeline.job.StageJobs} makes the
     * stage with {@link #fromConfig} and runs this config).
     *
     * @throws IllegalArgumentException with the parser's messages
     */
    public SweepConfig jobConfig(Map<String, String> jobKeys) {
        Map<String, String> all = keys.jobOnly(jobKeys);
        all.putAll(configKeys());
        return ConfigParams.parseJob(SweepConfig::parse, all);
    }

    /**
     * The frame with the sweep's columns, as a plan: nothing runs until an action. A vector column
     * ({@code VectorAssembler}'s) is read as an array of its size and comes out as one.
     *
     * @throws IllegalArgumentException with the sweep job's messages: a bad Param, a name that is neither a
     *     variable nor a column, vector sizes that do not match
     */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        SweepJob.Prepared p = prepare(Frames.withArrays(dataset));
        return transform(p, SweepCounts.register(p.input().sparkSession().sparkContext()));
    }

    /**
     * {@link #transform(Dataset)} of a frame already bound to this stage's config ({@link SweepJob#bind},
     * or the sweep job's {@code prepare} of {@link #jobConfig}): the rows, counted by status into
     * {@code counts}, lazily. The sweep job's rows are this ({@code tapeline.job.StageJobs}).
     */
    public Dataset<Row> transform(SweepJob.Prepared bound, SweepCounts counts) {
        return SweepJob.sweep(bound, counts);
    }

    private SweepJob.Prepared prepare(Dataset<Row> frame) {
        try {
            return SweepJob.bind(config(), frame);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The schema {@link #transform} gives; checks the Params and binds them to the columns, as transform does. */
    @Override
    public StructType transformSchema(StructType schema) {
        StructType frame = Frames.withArrays(schema);
        try {
            return prepare(Frames.empty(frame)).layout().schema();
        } catch (IllegalArgumentException e) {
            if (!Frames.onlyUnknownSizes(e)) {
                throw e;
            }
            SweepConfig c = config(); // the columns are the same whatever the sizes
            return new tapeline.job.sweep.OutputLayout(frame, c.variables(), true, c.dtype(), c.solver().verdict(),
                    c.stderr() != tapeline.engine.solve.StandardErrors.Kind.NONE).schema();
        }
    }

    @Override
    public Sweep copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    // ---- persistence: Spark ML's metadata directory, the Params in it ----

    @Override
    public MLWriter write() {
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                try {
                    StageMetadata.write(Sweep.this, path, sparkSession().version(), sc().hadoopConfiguration());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** Spark ML's reader: {@code Sweep.read().load(path)}; a {@code PipelineModel} finds it by this name. */
    public static MLReader<Sweep> read() {
        return new MLReader<>() {
            @Override
            public Sweep load(String path) {
                try {
                    JsonNode m = StageMetadata.read(path, Sweep.class, sc().hadoopConfiguration());
                    Sweep s = new Sweep(m.get("uid").asText());
                    StageMetadata.setParams(s, m, s::set);
                    return s;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** {@code read().load(path)}. */
    public static Sweep load(String path) {
        return read().load(path);
    }

    @Override
    public void save(String path) throws IOException {
        write().save(path);
    }
}
