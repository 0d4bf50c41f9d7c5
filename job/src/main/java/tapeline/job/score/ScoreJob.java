package tapeline.job.score;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.job.Job;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.LazyRows;
import tapeline.job.SparkLine;
import tapeline.job.columns.ColumnBinder;
import tapeline.job.config.ConfigException;
import tapeline.job.config.Format;
import tapeline.job.config.ScoreConfig;
import tapeline.job.io.InputReader;
import tapeline.job.io.OutputWriter;
import tapeline.job.sweep.SweepPlan;

/**
 * The score job ({@code job = score}): a train job's fitted parameters applied to new rows. Every
 * input row appears once, followed by one column per {@code output.<column>} expression, then
 * {@code status} ({@code SCORED} or {@code INVALID}) and {@code error}, as the sweep writes its rows.
 *
 * <p>The job scores through a {@link Stage}: the {@code tapeline.ml.TrainedModel} stage made from the
 * config's keys and the parameters read from {@code params.path} ({@code tapeline.job.StageJobs} wires
 * it; this package does not know {@code tapeline.ml}). The config the job runs with is the one the
 * model's Params stand for, and the rows it writes are the model's transform of the checked input.
 *
 * <pre>{@code
 * ScoreJob job = tapeline.job.StageJobs.score();
 * ScoreJob.Prepared p = job.check(spark, job.configure(keys, problems));   // ConfigException: a parameter the params do not have, ...
 * ScoreSummary s = job.run(spark, p, QualityGate.NONE, new Phases());
 * }</pre>
 */
public final class ScoreJob implements Job<ScoreConfig, ScoreJob.Prepared, ScoreSummary> {

    /** The score the job runs: the {@code tapeline.ml.TrainedModel} stage's, made from the config's keys. */
    public interface Stage {
        /** The config the model's Params stand for, with the job's own keys (input, output, params.path, ...). */
        ScoreConfig config() throws ConfigException;

        /**
         * The model made from the config's keys and the parameters read from {@code params.path}
         * ({@code b}, {@code w[0]}, ...): its parameters, which the job binds.
         */
        Map<String, Double> parameters(Map<String, Double> read);

        /** The model's rows for the checked input and its parameters, counted by status; lazy. */
        Dataset<Row> rows(Prepared p, LongAccumulator scored, LongAccumulator invalid);
    }

    private final java.util.function.Function<Map<String, String>, Stage> stages;
    private Stage stage;

    /** A score job scoring through the stages {@code stages} makes of a config's keys. */
    public ScoreJob(java.util.function.Function<Map<String, String>, Stage> stages) {
        this.stages = stages;
    }

    /** The status of a row whose outputs were computed. */
    public static final String SCORED = "SCORED";

    private static final Pattern PARAMETER = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)(?:\\[(\\d+)])?");

    /** Everything a score needs, checked. */
    public record Prepared(ScoreConfig config, Dataset<Row> input, ScoreModel model, StructType schema,
                           String paramsDirectory) {}

    @Override
    public Map<String, String> defaults() {
        return ScoreConfig.defaults();
    }

    @Override
    public String kind() {
        return "score";
    }

    @Override
    public ScoreConfig configure(Map<String, String> keys, List<String> problems) throws ConfigException {
        ScoreConfig.parse(keys, problems); // every problem at once (exit 2), with the job's messages
        stage = stages.apply(keys);
        return stage.config(); // the same keys, through the model's Params
    }

    /**
     * Reads the fitted parameters and the input's schema; binds every name of the outputs to a
     * parameter or input columns; records the outputs once; checks the output.
     *
     * @throws ConfigException with every problem, among them each name that is neither a parameter nor a column
     */
    @Override
    public Prepared check(SparkSession spark, ScoreConfig c) throws ConfigException {
        List<String> problems = new ArrayList<>(InputReader.check(spark, c.input()));
        List<String> outputProblems = OutputWriter.check(spark, c.output(), c.input());
        Map<String, double[]> params = null;
        String paramsDir = null;
        try {
            ModelDirectory model = ModelDirectory.open("params.path", c.paramsPath(), c.paramsFormat(),
                    spark.sparkContext().hadoopConfiguration());
            paramsDir = model.paramsDirectory();
            if (model.grouped()) {
                throw new ConfigException("params.path: '" + model.root() + "' is a grouped train's output (" + model.recordFile()
                        + " says group.by = " + String.join(", ", model.groupBy()) + "): one set of parameters per group;"
                        + " add group.by = " + String.join(", ", model.groupBy()) + " to score each row with its group's");
            }
            params = vectors(stage.parameters(readScalars(spark, model)), paramsDir); // the model's, read from the directory
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        Dataset<Row> input = InputReader.readChecked(spark, c.input(), "tapeline score", problems, outputProblems);
        return bind(c, input, params, paramsDir, problems, outputProblems);
    }

    /**
     * {@link #check} for a frame and parameters already in hand (the {@code tapeline.ml.TrainedModel}
     * stage): binds the outputs' names to the parameters and the frame's columns, records the outputs
     * once. {@code c}'s input, output and params keys are not used; {@code source} names the parameters
     * in messages.
     *
     * @throws ConfigException with every problem, among them each name that is neither a parameter nor a column
     */
    public static Prepared bind(ScoreConfig c, Dataset<Row> input, Map<String, double[]> params, String source)
            throws ConfigException {
        return bind(c, input, params, source, new ArrayList<>(), List.of());
    }

    private static Prepared bind(ScoreConfig c, Dataset<Row> input, Map<String, double[]> params, String paramsDir,
                                 List<String> problems, List<String> outputProblems) throws ConfigException {
        SparkSession spark = input.sparkSession();
        List<VariableSpec> parameters = new ArrayList<>();
        params.forEach((name, values) -> parameters.add(new VariableSpec(name, values.length)));
        Map<String, SweepPlan.Input> bound = new LinkedHashMap<>();
        for (Expression e : c.outputs().values()) {
            try {
                Dataset<Row> in = input;
                for (SweepPlan.Input i : ColumnBinder.bindInputs(e, parameters, InputReader.columns(input.schema()),
                        name -> InputReader.arrayLength(in, name), InputReader.csvText(in, c.input()))) {
                    bound.putIfAbsent(i.name(), i);
                }
            } catch (ConfigException ex) {
                for (String p : ex.problems()) {
                    problems.add(p.replace("is neither a variable nor an input column",
                                    "is neither a fitted parameter of " + paramsDir + " nor an input column")
                            .replace("(variables: ", "(parameters: "));
                }
            }
        }
        StructType schema = input.schema();
        Set<String> taken = new HashSet<>();
        for (String f : schema.fieldNames()) {
            taken.add(f.toLowerCase(Locale.ROOT));
        }
        for (String column : c.outputs().keySet()) {
            if (!taken.add(column.toLowerCase(Locale.ROOT))) {
                problems.add("output." + column + ": the input already has a column '" + column + "'; name the output another way");
            }
            schema = schema.add(column, DataTypes.DoubleType, true);
        }
        for (String column : List.of("status", "error")) {
            if (!taken.add(column)) {
                problems.add("input: has a column '" + column + "', which the score's output adds; rename it");
            }
        }
        schema = schema.add("status", DataTypes.StringType, false).add("error", DataTypes.StringType, true);
        ScoreModel model = new ScoreModel(c.outputs(), params, List.copyOf(bound.values()), c.dtype());
        if (problems.isEmpty()) {
            try {
                model.compile(1); // sizes of vectors, a vector where one number is needed: named with the position
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        problems.addAll(OutputWriter.checkPartitions(c.output(), schema));
        problems.addAll(outputProblems);
        spark.sparkContext().setJobDescription(null);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Prepared(c, input, model, schema, paramsDir);
    }

    @Override
    public ScoreSummary run(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws QualityGate.Failed {
        ScoreConfig c = p.config();
        phases.begin("solve_and_write");
        long t0 = System.nanoTime();
        LongAccumulator scored = spark.sparkContext().longAccumulator("tapeline score: " + SCORED);
        LongAccumulator invalid = spark.sparkContext().longAccumulator("tapeline score: INVALID");
        int parameters = p.model().params().values().stream().mapToInt(v -> v.length).sum();
        return write(spark, c, stage.rows(p, scored, invalid), "with the parameters of " + p.paramsDirectory(), t0, phases, gate,
                (written, seconds, preview) -> new ScoreSummary(c.output().describe(), p.paramsDirectory(), parameters,
                        List.copyOf(c.outputs().keySet()), scored.value(), invalid.value(), seconds, written, preview));
    }

    /** The summary of a score whose rows are written: what {@link #write} knows only once it has written them. */
    interface Summary {
        ScoreSummary of(StructType written, double seconds, List<Row> preview);
    }

    /**
     * The tail of a score's run, grouped or not: writes {@code rows} ({@code with}: whose parameters, for
     * the Spark UI), reads back the first {@code show.rows} for the preview, makes the summary (the
     * accumulators are counted once the write has run) and checks the quality gate.
     */
    static ScoreSummary write(SparkSession spark, ScoreConfig c, Dataset<Row> rows, String with, long t0, Phases phases,
                              QualityGate gate, Summary summary) throws QualityGate.Failed {
        Dataset<Row> out = OutputWriter.forFormat(rows, c.output().format());
        StructType written = out.schema();
        spark.sparkContext().setJobDescription("tapeline score: " + c.input().describe() + " " + with + ", write "
                + c.output().describe());
        OutputWriter.write(out, c.output(), List.copyOf(c.outputs().keySet()));
        double seconds = (System.nanoTime() - t0) / 1e9;

        phases.begin("summary");
        List<Row> preview = List.of();
        if (c.showRows() > 0) {
            spark.sparkContext().setJobDescription("tapeline score: read the first " + c.showRows() + " output rows");
            preview = OutputWriter.readBack(spark, c.output(), written).limit(c.showRows()).collectAsList();
        }
        spark.sparkContext().setJobDescription(null);
        phases.end();
        ScoreSummary s = summary.of(written, seconds, preview);
        gate.check(s.invalidRows(), s.rowsRead(), s.rowsByStatus(), 0,
                () -> OutputWriter.firstErrors(spark, c.output(), written, QualityGate.SHOWN_REASONS));
        return s;
    }

    /**
     * The score as a lazy transformation (nothing runs until an action): the input's rows, each
     * followed by the outputs, {@code status} and {@code error}; rows counted by status into the two
     * accumulators.
     */
    public static Dataset<Row> score(Prepared p, LongAccumulator scored, LongAccumulator invalid) {
        ScorePartition f = new ScorePartition(p.model(), p.input().schema(), p.config().blockSize(), scored, invalid);
        RDD<InternalRow> rows = LazyRows.of(p.input()).toJavaRDD().mapPartitions(f).rdd(); // planned by the action (LazyRows)
        return SparkLine.internalDataFrame(p.input().sparkSession(), rows, p.schema());
    }

    @Override
    public String summarise(ScoreSummary result) {
        return result.render();
    }

    /**
     * The scalar parameters a train job wrote (columns {@code name}, {@code value}), by name in the
     * file's order ({@code b}, {@code w[0]}, {@code w[1]}, ...).
     */
    public static Map<String, Double> readScalars(SparkSession spark, String dir, Format format) throws ConfigException {
        return readScalars(spark, dir, format, "params.format");
    }

    /** {@link #readScalars(SparkSession, String, Format)} of a model directory, in the format it says. */
    public static Map<String, Double> readScalars(SparkSession spark, ModelDirectory model) throws ConfigException {
        return readScalars(spark, model.paramsDirectory(), model.format(), model.whence());
    }

    private static Map<String, Double> readScalars(SparkSession spark, String dir, Format format, String whence)
            throws ConfigException {
        List<Row> rows;
        try {
            spark.sparkContext().setJobDescription("tapeline score: read the parameters in " + dir);
            rows = ModelDirectory.reader(spark, format).load(dir).select("name", "value").collectAsList();
        } catch (Exception e) { // Spark's SparkException (a file of another format) is checked, though undeclared
            throw ModelDirectory.cannotRead(spark, "parameters (columns name, value)", dir, format, whence, e);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        Map<String, Double> scalars = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Row row : rows) {
            String name = row.isNullAt(0) ? "" : row.getString(0);
            if (!PARAMETER.matcher(name).matches() || row.isNullAt(1) || !(row.get(1) instanceof Number)) {
                problems.add("params.path: '" + dir + "' has a row that is not a parameter: " + row);
                continue;
            }
            scalars.put(name, ((Number) row.get(1)).doubleValue());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return scalars;
    }

    /**
     * The parameters a train job wrote (columns {@code name}, {@code value}; {@code w[0]}, {@code w[1]},
     * ... make a vector {@code w}), by name in the order first seen.
     */
    public static Map<String, double[]> readParams(SparkSession spark, String dir, Format format) throws ConfigException {
        return vectors(readScalars(spark, dir, format), dir);
    }

    /**
     * Scalar parameters by name ({@code b}, {@code w[0]}, {@code w[1]}, ...) as vectors by name
     * ({@code b}, {@code w}), in the order first seen; {@code source} names them in messages.
     *
     * @throws ConfigException for a name that is not a parameter, or a vector with a component missing
     */
    public static Map<String, double[]> vectors(Map<String, Double> scalars, String source) throws ConfigException {
        Map<String, TreeMap<Integer, Double>> byName = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        scalars.forEach((name, value) -> {
            Matcher m = PARAMETER.matcher(name);
            if (!m.matches()) {
                problems.add("params.path: '" + source + "' has a parameter name that is not one: '" + name + "'");
                return;
            }
            int index = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
            byName.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(index, value);
        });
        Map<String, double[]> params = new LinkedHashMap<>();
        byName.forEach((name, comps) -> {
            if (comps.lastKey() != comps.size() - 1) {
                problems.add("params.path: parameter '" + name + "' in '" + source + "' has components " + comps.keySet()
                        + ", not 0 to " + comps.lastKey());
            }
            params.put(name, comps.values().stream().mapToDouble(Double::doubleValue).toArray());
        });
        if (params.isEmpty() && problems.isEmpty()) {
            problems.add("params.path: '" + source + "' holds no parameters");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return params;
    }
}
