package tapeline.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
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
import org.apache.spark.util.LongAccumulator;
import tapeline.engine.train.ParameterErrors;
import tapeline.engine.train.TrainState.HistoryPoint;
import tapeline.job.RunRecord;
import tapeline.job.config.ConfigException;
import tapeline.job.config.Format;
import tapeline.job.config.OutputMode;
import tapeline.job.config.OutputSpec;
import tapeline.job.config.ScoreConfig;
import tapeline.job.score.GroupedScoreJob;
import tapeline.job.score.ModelDirectory;
import tapeline.job.score.ScoreJob;
import tapeline.job.train.TrainJob;

/**
 * A fitted train: its parameters ({@link #parameters()}: {@code b}, {@code w[0]}, ... in the params
 * file's order), how the fit went ({@link #summary()}), and {@link #transform}, which scores rows with
 * named output expressions as {@code job = score} does (the same code: {@link ScoreJob#bind},
 * {@link ScoreJob#score}): the outputs, {@code status} and {@code error}, lazily.
 *
 * <p>Saved, it <em>is</em> a train job's output directory: {@code params/}, {@code history/},
 * {@code loss.png}, the run record {@code _tapeline.json}, and Spark ML's {@code metadata/}. So a
 * saved model scores with {@code job = score}, and a train job's output loads as a model
 * ({@link #load}); the format is read from the directory's record. A fit asked for standard errors
 * ({@code Trainer.setStderr(true)}) keeps them ({@link #standardErrors()}, {@link #covariance()}) and
 * saves them as {@code job = train} with {@code stderr = true} does: the {@code se} column of
 * {@code params/} and {@code covariance/}.
 *
 * <p>{@code job = score} runs this stage: its keys become the Params ({@link #forScoreJob}) and its
 * rows are {@link #transform(ScoreJob.Prepared, LongAccumulator, LongAccumulator)}.
 *
 * <pre>{@code
 * TrainedModel m = new Trainer().setLoss("(y - (b + dot(w, x)))^2").setVariables("b, w[3]").fit(train);
 * m.parameters().get("w[0]");
 * m.setOutput("prediction", "b + dot(w, x)").transform(test).select("prediction").show();
 * m.write().overwrite().save("models/linear");       // also a train output: job = score reads it
 * TrainedModel again = TrainedModel.load("out/train-linear");
 * }</pre>
 */
public final class TrainedModel extends Model<TrainedModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A minimal valid score, the base against which one value is checked at {@code set}. */
    private static final Map<String, String> SCORE_BASE = Map.of("job", "score", "params.path", "<model>", "output.p", "1");
    /** The same without an output, for checking one. */
    private static final Map<String, String> OUTPUT_BASE = Map.of("job", "score", "params.path", "<model>");

    private final String uid;
    private final Map<String, Double> parameters;
    private final TrainingSummary summary;
    /**
     * The fit's standard errors and covariance ({@code stderr = true}; all NaN, with the reason, when the
     * fit has none), or null when they were not asked for. Written as the train job writes them.
     */
    private ParameterErrors errors;
    /** The run record of the fit (or of the loaded directory), rewritten with each save. */
    private final ObjectNode record;
    /** A grouped model's parameters: the grouped train's rows (keys, variables, results), else null. */
    private final Dataset<Row> groups;
    /** What a grouped model's parameters are called in messages ({@code NO_MODEL}'s error): a directory, or the model. */
    private final String source;
    private final StringArrayParam outputs;
    private final Param<String> groupBy;
    private final Param<String> dtype;
    private final IntParam blockSize;
    private final StageKeys keys;

    TrainedModel(String uid, Map<String, Double> parameters, TrainingSummary summary, ObjectNode record) {
        this(uid, parameters, summary, record, null, null);
    }

    private TrainedModel(String uid, Map<String, Double> parameters, TrainingSummary summary, ObjectNode record,
                         Dataset<Row> groups, String source) {
        this.uid = uid;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.summary = summary;
        this.record = record;
        this.groups = groups;
        this.source = source;
        outputs = new StringArrayParam(this, "outputs",
                "config keys output.<column>: column=expression entries, each over input columns and the parameters");
        dtype = new Param<>(this, "dtype", "config key dtype: the number type the outputs are computed in");
        blockSize = new IntParam(this, "blockSize", "config key block.size: rows computed together on one tape");
        groupBy = new Param<>(this, "groupBy", "config key group.by of job = score: the key columns of a grouped model"
                + " (set by its fit or its directory)");
        keys = new StageKeys(this, this::set, ScoreConfig::parse, key -> key.startsWith("output.") ? OUTPUT_BASE : SCORE_BASE,
                List.of(new ConfigParams.Key(outputs, "output."), new ConfigParams.Key(dtype, "dtype"),
                        new ConfigParams.Key(blockSize, "block.size"), new ConfigParams.Key(groupBy, "group.by")));
        Map<String, String> d = ScoreConfig.defaults();
        setDefault(outputs, new String[0]);
        setDefault(dtype, d.get("dtype"));
        setDefault(blockSize, Integer.parseInt(d.get("block.size")));
    }

    /** Spark ML's {@code copy} and {@code defaultCopy} call this; a model needs its parameters, so it has none. */
    public TrainedModel(String uid) {
        this(uid, Map.of(), null, JSON.createObjectNode());
    }

    /** A grouped model: {@code groups} is the grouped train's output rows, keyed by the {@code groupBy} columns. */
    static TrainedModel grouped(String uid, Dataset<Row> groups, String source, ObjectNode record) {
        return new TrainedModel(uid, Map.of(), null, record, groups, source);
    }

    /** The score job's keys this model's Params stand for (an entry Param's ends in "."). */
    List<ConfigParams.Key> stageKeys() {
        return keys.list();
    }

    @Override
    public String uid() {
        return uid;
    }

    /** Whether this is a grouped fit's model ({@code Trainer.setGroupBy}): one set of parameters per group. */
    public boolean isGrouped() {
        return groups != null;
    }

    /**
     * A grouped model's parameters, one row per group, as the grouped train writes them: the key
     * columns, one column per variable ({@code w} an array), {@code loss}, {@code grad_norm},
     * {@code steps}, {@code passes}, {@code rows}, {@code bad_rows}, {@code status}, {@code error}.
     *
     * @throws IllegalStateException for a model of one set of parameters ({@link #parameters()})
     */
    public Dataset<Row> groupParameters() {
        if (groups == null) {
            throw new IllegalStateException("model " + uid + " has one set of parameters (not a grouped fit): see parameters()");
        }
        return groups;
    }

    /** As Spark's, with list-valued Params readable ({@code learning_rate=0.1, beta_1=0.9}). */
    @Override
    public String explainParam(Param<?> param) {
        String entries = ConfigParams.explainEntries(this, param);
        return entries != null ? entries : super.explainParam(param);
    }

    public StringArrayParam outputs() { return outputs; }
    public Param<String> dtype() { return dtype; }
    public IntParam blockSize() { return blockSize; }
    public Param<String> groupBy() { return groupBy; }

    /** The fitted parameters by scalar name ({@code b}, {@code w[0]}, {@code w[1]}, ...), in the params file's order. */
    public Map<String, Double> parameters() {
        if (groups != null) {
            throw new IllegalStateException("model " + uid + " is a grouped fit (group.by = " + getOrDefault(groupBy)
                    + "): one set of parameters per group, in groupParameters()");
        }
        return parameters;
    }

    /** This model with the fit's standard errors ({@code null}: not asked for); for the fit and the loader. */
    TrainedModel withErrors(ParameterErrors e) {
        if (e != null && (e.se().length != parameters.size() || e.covariance().length != parameters.size())) {
            throw new IllegalArgumentException("standard errors for " + e.se().length + " parameters, the model has "
                    + parameters.size());
        }
        this.errors = e;
        return this;
    }

    /**
     * The fitted parameters' standard errors by scalar name, in {@link #parameters()}' order: what
     * {@code job = train} with {@code stderr = true} writes in the params' {@code se} column
     * ({@code Trainer.setStderr(true)}; for residuals {@code sqrt(diag((J^T J)^-1) * RSS / (n - p))}, for
     * {@code costKind = nll} {@code sqrt(diag(H^-1))}). Empty when the fit was not asked for them or has
     * none ({@link #standardErrorsReason()} says why).
     *
     * <pre>{@code
     * TrainedModel m = new Trainer().setResiduals("y - (b + w * x)").setVariables("b, w").setOptimizer("lm")
     *         .setStderr(true).fit(points);
     * m.standardErrors().get("w");   // statsmodels' bse for w
     * }</pre>
     *
     * @throws IllegalStateException for a grouped model (as {@link #parameters()})
     */
    public Map<String, Double> standardErrors() {
        Map<String, Double> names = parameters();
        if (errors == null || errors.reason() != null) {
            return Map.of();
        }
        Map<String, Double> se = new LinkedHashMap<>();
        int k = 0;
        for (String name : names.keySet()) {
            se.put(name, errors.se()[k++]);
        }
        return Collections.unmodifiableMap(se);
    }

    /**
     * The parameters' covariance matrix (statsmodels' {@code cov_params()}), rows and columns in
     * {@link #parameters()}' order, as the train job's {@code covariance} table; empty when there are no
     * standard errors ({@link #standardErrorsReason()}).
     *
     * @throws IllegalStateException for a grouped model (as {@link #parameters()})
     */
    public Optional<org.apache.spark.ml.linalg.Matrix> covariance() {
        int p = parameters().size();
        if (errors == null || errors.reason() != null) {
            return Optional.empty();
        }
        double[] columnMajor = new double[p * p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                columnMajor[j * p + i] = errors.covariance()[i][j];
            }
        }
        return Optional.of(new org.apache.spark.ml.linalg.DenseMatrix(p, p, columnMajor));
    }

    /**
     * Why {@link #standardErrors()} is empty, or empty when it is not: the fit was not asked for them
     * ({@code stderr} unset), or the fit's reason as the train job's run record gives it
     * ({@code train.standard_errors.reason}: {@code J^T J is singular ...}, the run DIVERGED, ...).
     *
     * @throws IllegalStateException for a grouped model (as {@link #parameters()})
     */
    public Optional<String> standardErrorsReason() {
        parameters();
        if (errors == null) {
            return Optional.of("the fit was not asked for standard errors (stderr = false)");
        }
        return Optional.ofNullable(errors.reason());
    }

    /** Whether the fit was asked for standard errors ({@code stderr = true}): then a save writes {@code se} and {@code covariance}. */
    boolean hasErrorColumns() {
        return errors != null;
    }

    /** Whether the model knows how its fit went (a bare params directory loaded does not). */
    public boolean hasSummary() {
        return summary != null;
    }

    /**
     * How the fit went.
     *
     * @throws IllegalStateException when {@link #hasSummary()} is false
     */
    public TrainingSummary summary() {
        if (summary == null) {
            throw new IllegalStateException("model " + uid + " has no training summary (loaded from a params directory"
                    + " without its train run's record)");
        }
        return summary;
    }

    /** {@code output.<column> = expression}: a scalar per row over input columns and the parameters. */
    public TrainedModel setOutput(String column, String expression) {
        set(outputs, withOutput(getOrDefault(outputs), column, expression));
        return this;
    }

    /** {@code outputs} with {@code output.<column> = expression} checked (the score job's message) and put. */
    static String[] withOutput(String[] outputs, String column, String expression) {
        ConfigParams.check(ScoreConfig::parse, OUTPUT_BASE, "output." + column, expression);
        return ConfigParams.with(outputs, column, expression);
    }

    public TrainedModel setDtype(String value) { keys.put(dtype, "dtype", value); return this; }
    public TrainedModel setBlockSize(int value) { keys.put(blockSize, "block.size", value); return this; }

    /** The score job's keys these Params stand for ({@code params.path} aside). */
    public Map<String, String> configKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("job", "score");
        m.putAll(keys.keys());
        return m;
    }

    /** The grouped score's config and its binding to the frame (the grouped score job's code). */
    private GroupedScoreJob.Prepared prepareGroups(Dataset<Row> frame) {
        Map<String, String> k = new LinkedHashMap<>(ConfigParams.FRAME);
        k.putAll(configKeys());
        k.put("params.path", "<model " + uid + ">");
        try {
            GroupedScoreJob.Config c = GroupedScoreJob.parse(k, new ArrayList<>());
            // The vectors' sizes from the fit's record: binding reads no row, so transform runs no job.
            return GroupedScoreJob.bind(c, frame, groups, source, GroupedScoreJob.sizes(record));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private ScoreJob.Prepared prepare(Dataset<Row> frame) {
        Map<String, String> k = configKeys();
        k.put("params.path", "<model " + uid + ">");
        ScoreConfig c = ConfigParams.parse(ScoreConfig::parse, k);
        try {
            return ScoreJob.bind(c, frame, ScoreJob.vectors(parameters, "model " + uid), "model " + uid);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The frame with one column per output, then {@code status} ({@code SCORED} or {@code INVALID}) and
     * {@code error}, as a plan: nothing runs until an action.
     *
     * @throws IllegalArgumentException with the score job's messages: no output, a name that is neither a
     *     parameter nor a column, an output column the frame already has
     */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        SparkSession spark = dataset.sparkSession();
        if (groups != null) {
            GroupedScoreJob.Prepared g = prepareGroups(Frames.withArrays(dataset));
            return GroupedScoreJob.score(g, spark.sparkContext().longAccumulator("tapeline score: " + ScoreJob.SCORED),
                    spark.sparkContext().longAccumulator("tapeline score: INVALID"),
                    spark.sparkContext().longAccumulator("tapeline score: " + GroupedScoreJob.NO_MODEL));
        }
        ScoreJob.Prepared p = prepare(Frames.withArrays(dataset));
        return transform(p, spark.sparkContext().longAccumulator("tapeline score: " + ScoreJob.SCORED),
                spark.sparkContext().longAccumulator("tapeline score: INVALID"));
    }

    /**
     * {@link #transform(Dataset)} of a frame already bound to this model's config and parameters
     * ({@link ScoreJob#bind}, or the score job's check of {@link #jobConfig} with the parameters of
     * {@code params.path}): the rows, counted by status, lazily. The score job's rows are this
     * ({@code tapeline.job.StageJobs}).
     */
    public Dataset<Row> transform(ScoreJob.Prepared bound, LongAccumulator scored, LongAccumulator invalid) {
        return ScoreJob.score(bound, scored, invalid);
    }

    /**
     * The grouped score's rows for a frame already bound to this model's config and the groups'
     * parameters (the grouped score job's check of {@link #groupedJobConfig}), counted by status, lazily.
     * The grouped score job's rows are this ({@code tapeline.job.StageJobs}); a grouped model's
     * {@link #transform(Dataset)} runs the same {@link GroupedScoreJob#score}.
     */
    public Dataset<Row> transform(GroupedScoreJob.Prepared bound, LongAccumulator scored, LongAccumulator invalid,
                                  LongAccumulator noModel) {
        return GroupedScoreJob.score(bound, scored, invalid, noModel);
    }

    /**
     * A model for {@code job = score}: its Params ({@code outputs}, {@code dtype}, {@code blockSize},
     * {@code groupBy}) set from a score config's keys, which the score job's parser has checked, without
     * parameters (a grouped model's are the groups' rows the job reads). {@code tapeline.job.StageJobs}
     * makes the score job's model so, then with the parameters the job reads from {@code params.path}.
     */
    public static TrainedModel forScoreJob(Map<String, String> configKeys) {
        return forScoreJob(configKeys, Map.of());
    }

    /**
     * {@link #forScoreJob(Map)} with its parameters ({@code b}, {@code w[0]}, ...: what the score job read
     * from {@code params.path}, as {@link #load} reads them).
     */
    public static TrainedModel forScoreJob(Map<String, String> configKeys, Map<String, Double> parameters) {
        TrainedModel m = new TrainedModel(ConfigParams.uid("trained"), parameters, null, JSON.createObjectNode());
        Map<String, String> own = new LinkedHashMap<>();
        configKeys.forEach((k, v) -> {
            if (isOwnScoreKey(k)) {
                own.put(k, v);
            }
        });
        m.keys.setKeys(own);
        return m;
    }

    /** Whether a score config's key is a Param of this model: an output, {@code dtype}, {@code block.size}, {@code group.by}. */
    private static boolean isOwnScoreKey(String k) {
        if (k.startsWith("output.")) {
            // output.path, output.format, ... and output.option.* are the job's output, not columns.
            return !ScoreConfig.fixedKeys().contains(k) && !k.startsWith("output.option.");
        }
        return k.equals("dtype") || k.equals("block.size") || k.equals("group.by");
    }

    /** The keys of a score config that are the job's (input, output, params.path, Spark, ...). */
    private static Map<String, String> jobOnly(Map<String, String> configKeys) {
        Map<String, String> job = new LinkedHashMap<>();
        configKeys.forEach((k, v) -> {
            if (!isOwnScoreKey(k)) {
                job.put(k, v);
            }
        });
        return job;
    }

    /**
     * The Params as the score job's config, with the job's own keys (input, output, {@code params.path},
     * Spark, ...) taken from {@code jobKeys}: what {@code ./submit.sh} runs with.
     *
     * @throws IllegalArgumentException with the parser's messages
     */
    public ScoreConfig jobConfig(Map<String, String> jobKeys) {
        Map<String, String> all = jobOnly(jobKeys);
        all.putAll(configKeys());
        all.remove("group.by");
        return ConfigParams.parseJob(ScoreConfig::parse, all);
    }

    /** {@link #jobConfig} with {@code group.by}: the grouped score job's config. */
    public GroupedScoreJob.Config groupedJobConfig(Map<String, String> jobKeys) {
        Map<String, String> all = jobOnly(jobKeys);
        all.putAll(configKeys());
        return ConfigParams.parseJob(k -> GroupedScoreJob.parse(k, new ArrayList<>()), all);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        StructType frame = Frames.withArrays(schema);
        try {
            return groups != null ? prepareGroups(Frames.empty(frame)).schema() : prepare(Frames.empty(frame)).schema();
        } catch (IllegalArgumentException e) {
            if (!Frames.onlyUnknownSizes(e)) {
                throw e;
            }
            // The score's columns, whatever the sizes (ScoreJob.bind adds them so).
            for (String column : ConfigParams.keys(this, List.of(new ConfigParams.Key(outputs, ""))).keySet()) {
                frame = frame.add(column, org.apache.spark.sql.types.DataTypes.DoubleType, true);
            }
            return frame.add("status", org.apache.spark.sql.types.DataTypes.StringType, false)
                    .add("error", org.apache.spark.sql.types.DataTypes.StringType, true);
        }
    }

    @Override
    public TrainedModel copy(ParamMap extra) {
        TrainedModel m = new TrainedModel(uid, parameters, summary, record.deepCopy(), groups, source);
        m.errors = errors;
        return copyValues(m, extra).setParent(parent());
    }

    // ---- persistence: the train job's output layout ----

    @Override
    public MLWriter write() {
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                try {
                    writeLayout(sparkSession(), path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** Writes the layout into {@code path} (which the writer has made sure is free). */
    private void writeLayout(SparkSession spark, String path) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (groups != null) {
            // The groups' rows under params/ (as a train's params): Spark ML's metadata/ beside them would
            // make the directory unreadable as one table. job = score with group.by reads it (the record says the format).
            spark.sparkContext().setJobDescription("tapeline model " + uid + ": write the groups' parameters");
            groups.write().mode("errorifexists").parquet(new Path(path, "params").toString());
            spark.sparkContext().setJobDescription(null);
        } else {
            List<String> names = new ArrayList<>(parameters.keySet());
            double[] values = parameters.values().stream().mapToDouble(Double::doubleValue).toArray();
            // The train job's own writer: with standard errors, the se column and covariance/ as stderr = true writes them.
            TrainJob.write(spark, new OutputSpec(path, Format.PARQUET, OutputMode.ERROR), names, values,
                    summary == null ? List.of() : summary.points(), "tapeline model " + uid, errors);
        }
        StageMetadata.write(this, path, spark.version(), hadoop);
        // The record says what is there and how it was written: the params are parquet here, wherever they came from.
        ObjectNode r = record.deepCopy();
        if (!r.has("record_version")) {
            r.put("record_version", RunRecord.VERSION);
            r.put("job", "train");
            r.put("tapeline_version", RunRecord.tapelineVersion());
        }
        if (groups != null) {
            // The keys a grouped model's rows are keyed by, where a loader looks for them.
            ObjectNode config = r.has("config") && r.get("config").isObject() ? (ObjectNode) r.get("config") : r.putObject("config");
            config.put("group.by", getOrDefault(groupBy));
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("format", Format.PARQUET.sparkName());
        out.put("path", path);
        out.putNull("table");
        out.put("mode", "error");
        out.putArray("partition_by");
        r.set("output", out);
        r.put("status", "succeeded");
        r.put("exit_code", 0);
        if (!r.has("message")) {
            r.putNull("message");
        }
        Path file = new Path(path, RunRecord.FILE);
        FileSystem fs = file.getFileSystem(hadoop);
        Path tmp = new Path(path, RunRecord.FILE + "._tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r).getBytes(StandardCharsets.UTF_8));
        }
        if (!fs.rename(tmp, file)) {
            throw new IOException("cannot rename " + tmp + " to " + file);
        }
    }

    /**
     * Spark ML's reader. It reads a model saved by {@link #write()}, and a train job's output (or its
     * {@code params} directory) just as well: the format comes from the directory's run record.
     */
    public static MLReader<TrainedModel> read() {
        return new MLReader<>() {
            @Override
            public TrainedModel load(String path) {
                try {
                    return TrainedModel.load(sparkSession(), path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** {@code read().load(path)}. */
    public static TrainedModel load(String path) {
        return read().load(path);
    }

    @Override
    public void save(String path) throws IOException {
        write().save(path);
    }

    private static TrainedModel load(SparkSession spark, String path) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (StageMetadata.exists(path, hadoop) && !new Path(path, RunRecord.FILE).getFileSystem(hadoop)
                .exists(new Path(path, RunRecord.FILE))) {
            try {
                StageMetadata.read(path, TrainedModel.class, hadoop); // another stage saved there (a Sweep's Params): says which
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("TrainedModel.load: " + e.getMessage() + ": it holds no fitted parameters", e);
            }
        }
        JsonNode grouped = groupedRecord(path, hadoop);
        if (grouped != null) {
            return loadGroups(spark, path, grouped, hadoop);
        }
        ModelDirectory dir;
        Map<String, Double> scalars;
        try {
            dir = ModelDirectory.open("path", path, null, hadoop);
            scalars = ScoreJob.readScalars(spark, dir); // a read error says where the format came from, as job = score's
        } catch (ConfigException e) {
            throw new IllegalArgumentException("TrainedModel.load: " + e.getMessage(), e);
        }
        JsonNode metadata = dir.root() != null && StageMetadata.exists(dir.root(), hadoop)
                ? StageMetadata.read(dir.root(), TrainedModel.class, hadoop) : null;
        ObjectNode record = dir.record() == null ? JSON.createObjectNode() : (ObjectNode) dir.record().deepCopy();
        TrainedModel m = new TrainedModel(metadata == null ? ConfigParams.uid("trained") : metadata.get("uid").asText(),
                scalars, summary(spark, dir), record).withErrors(dir.standardErrors(spark, List.copyOf(scalars.keySet())));
        String dtype = record.path("config").path("dtype").asText("");
        if (!dtype.isEmpty()) {
            m.set(m.dtype, dtype); // outputs computed in the fit's number type unless the metadata says otherwise
        }
        if (metadata != null) {
            StageMetadata.setParams(m, metadata, m::set);
        }
        return m;
    }

    /**
     * The run record of a grouped train's output at {@code path} (its rows there, or under
     * {@code params/} as {@link #write()} saves them), or null when {@code path} is not one.
     */
    private static JsonNode groupedRecord(String path, Configuration hadoop) throws IOException {
        Path file = new Path(path, RunRecord.FILE);
        FileSystem fs = file.getFileSystem(hadoop);
        if (!fs.exists(file)) {
            return null;
        }
        JsonNode r;
        try (java.io.InputStream in = fs.open(file)) {
            r = JSON.readTree(in);
        } catch (IOException e) {
            return null; // damaged JSON, a checksum that fails: ModelDirectory says what is wrong with it
        }
        return r != null && !r.path("config").path("group.by").asText("").isBlank() ? r : null;
    }

    /** A grouped model from a grouped train's output (the CLI's, its rows at {@code path}) or a saved one ({@code params/}). */
    private static TrainedModel loadGroups(SparkSession spark, String path, JsonNode record, Configuration hadoop)
            throws IOException {
        if (!record.path("job").asText("").equals("train") || !record.path("status").asText("").equals("succeeded")) {
            throw new IllegalArgumentException("TrainedModel.load: " + new Path(path, RunRecord.FILE) + " says job '"
                    + record.path("job").asText("") + "', status '" + record.path("status").asText("")
                    + "': not a grouped train that succeeded, so no fitted parameters");
        }
        boolean saved = new Path(path, "params").getFileSystem(hadoop).exists(new Path(path, "params"));
        Format format;
        try {
            // The CLI's grouped output has its rows at the top: ModelDirectory sees a bare directory, told the record's format.
            ModelDirectory dir = saved ? ModelDirectory.open("path", path, null, hadoop)
                    : ModelDirectory.open("path", path, recordedFormat(record, path), hadoop);
            format = dir.format();
            String rows = dir.paramsDirectory();
            Dataset<Row> groups = dir.read(spark);
            JsonNode metadata = saved && StageMetadata.exists(path, hadoop) ? StageMetadata.read(path, TrainedModel.class, hadoop) : null;
            TrainedModel m = grouped(metadata == null ? ConfigParams.uid("trained") : metadata.get("uid").asText(), groups,
                    rows, (ObjectNode) record.deepCopy());
            m.set(m.groupBy, record.path("config").path("group.by").asText());
            String dtype = record.path("config").path("dtype").asText("");
            if (!dtype.isEmpty()) {
                m.set(m.dtype, dtype);
            }
            if (metadata != null) {
                StageMetadata.setParams(m, metadata, m::set);
            }
            return m;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("TrainedModel.load: " + e.getMessage(), e);
        }
    }

    private static Format recordedFormat(JsonNode record, String path) throws ConfigException {
        String written = record.path("output").path("format").asText("");
        try {
            return Format.parse(written);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("path: " + new Path(path, RunRecord.FILE) + " names no format its rows were written in"
                    + " (output.format is '" + written + "'): the record is damaged");
        }
    }

    /** The summary the record and the history directory tell, or null without a record. */
    private static TrainingSummary summary(SparkSession spark, ModelDirectory dir) {
        JsonNode r = dir.record();
        if (r == null || !r.has("train")) {
            return null;
        }
        JsonNode t = r.get("train");
        List<HistoryPoint> points = new ArrayList<>();
        Path history = new Path(dir.root(), "history");
        try {
            if (history.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(history)) {
                var reader = spark.read().format(dir.format().sparkName());
                if (dir.format() == Format.CSV) {
                    reader = reader.option("header", "true").schema(TrainingSummary.SCHEMA);
                }
                for (Row h : reader.load(history.toString()).orderBy("step").collectAsList()) {
                    points.add(new HistoryPoint(((Number) h.getAs("step")).intValue(), ((Number) h.getAs("loss")).doubleValue(),
                            ((Number) h.getAs("grad_norm")).doubleValue(), ((Number) h.getAs("passes")).intValue()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode rows = r.path("rows_by_status");
        return new TrainingSummary(t.path("stop_reason").asText(), t.path("stop_message").isNull() ? ""
                : t.path("stop_message").asText(""), t.path("steps").asInt(), t.path("gradient_passes").asInt(),
                rows.path("used").asLong(), rows.path("skipped").asLong(), t.path("final_loss").asDouble(),
                t.path("final_grad_norm").asDouble(), points);
    }

    /** The run record's fields as JSON (for the fit's record). */
    static ObjectNode json(Map<String, Object> fields) {
        return JSON.valueToTree(fields);
    }

    Optional<TrainingSummary> summaryIfAny() {
        return Optional.ofNullable(summary);
    }
}
