package tapeline.job.score;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.LazyRows;
import tapeline.job.SparkLine;
import tapeline.engine.expr.Expression;
import tapeline.job.Job;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.columns.ColumnBinder;
import tapeline.job.config.ConfigException;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.config.ScoreConfig;
import tapeline.job.config.Suggest;
import tapeline.job.io.InputReader;
import tapeline.job.io.OutputWriter;
import tapeline.job.sweep.SweepPlan;
import tapeline.job.train.grouped.GroupedOutput;

/**
 * {@code job = score} with {@code group.by}: each row scored with its own group's parameters, read
 * from a grouped train's output ({@code params.path}). A row whose group has no fitted parameters
 * (no such group, or one that ended {@code INVALID} or {@code DIVERGED}) is {@code NO_MODEL}, with
 * its key in {@code error}; the others are {@code SCORED} or {@code INVALID} as in an ungrouped score.
 *
 * <p>The job scores through a {@link Stage}: the grouped {@code tapeline.ml.TrainedModel} stage made from
 * the config's keys ({@code tapeline.job.StageJobs} wires it; this package does not know {@code tapeline.ml}).
 *
 * <pre>{@code
 * GroupedScoreJob job = tapeline.job.StageJobs.groupedScore();
 * GroupedScoreJob.Prepared p = job.check(spark, config);
 * ScoreSummary s = job.run(spark, p, QualityGate.NONE, new Phases());
 * }</pre>
 *
 * <p>How: the parameters become columns of the rows by a left join on the key (null keys match null
 * keys; Spark broadcasts the parameters when they are small and shuffles both sides otherwise), and
 * the outputs are computed as in an ungrouped score with every parameter read as a column
 * ({@link ScorePartition}). The row's own columns, the outputs, {@code status} and {@code error} are written.
 */
public final class GroupedScoreJob implements Job<GroupedScoreJob.Config, GroupedScoreJob.Prepared, ScoreSummary> {

    /** The status of a row whose group has no fitted parameters. */
    public static final String NO_MODEL = "NO_MODEL";
    private static final Pattern COMPONENT = Pattern.compile("(.+)_(\\d+)");
    private static final String MATCHED = "_tapeline_has_model";

    /** A score config and its {@code group.by} columns. */
    public record Config(ScoreConfig score, List<String> groupBy) implements tapeline.job.config.CommonConfig {
        public Config {
            groupBy = List.copyOf(groupBy);
        }

        @Override
        public String appName() {
            return score.appName();
        }

        @Override
        public Map<String, String> spark() {
            return score.spark();
        }

        @Override
        public tapeline.job.config.InputSpec input() {
            return score.input();
        }

        @Override
        public tapeline.job.config.OutputSpec output() {
            return score.output();
        }
    }

    /** The score the job runs: the grouped {@code tapeline.ml.TrainedModel} stage's, made from the config's keys. */
    public interface Stage {
        /** The config the model's Params stand for, with the job's own keys (input, output, params.path, ...). */
        Config config() throws ConfigException;

        /** The model's rows for the checked input and groups' parameters, counted by status; lazy. */
        Dataset<Row> rows(Prepared p, LongAccumulator scored, LongAccumulator invalid, LongAccumulator noModel);
    }

    private final java.util.function.Function<Map<String, String>, Stage> stages;
    private Stage stage;

    /** A grouped score job scoring through the stages {@code stages} makes of a config's keys. */
    public GroupedScoreJob(java.util.function.Function<Map<String, String>, Stage> stages) {
        this.stages = stages;
    }

    /** Everything a grouped score needs, checked: the parameters as a frame of key and variable columns. */
    public record Prepared(Config config, Dataset<Row> input, Dataset<Row> params, List<String> variables,
                           ScoreModel model, StructType schema, String paramsDirectory) {}

    @Override
    public String kind() {
        return "score";
    }

    @Override
    public Map<String, String> defaults() {
        return ScoreConfig.defaults();
    }

    @Override
    public Config configure(Map<String, String> keys, List<String> problems) throws ConfigException {
        parse(keys, problems); // every problem at once (exit 2), with the job's messages
        stage = stages.apply(keys);
        return stage.config(); // the same keys, through the model's Params
    }

    /** The keys as a grouped score's config: {@code group.by} and the score's keys. */
    public static Config parse(Map<String, String> keys, List<String> problems) throws ConfigException {
        Map<String, String> rest = new LinkedHashMap<>(keys);
        String text = rest.remove("group.by");
        List<String> groupBy = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String part : text.split(",", -1)) {
            String name = part.trim();
            if (name.isEmpty()) {
                problems.add("group.by: expected column names separated by commas, got '" + text + "'");
                break;
            }
            if (!seen.add(name)) problems.add("group.by: column '" + name + "' is named twice");
            groupBy.add(name);
        }
        ScoreConfig s = ScoreConfig.parse(rest, problems); // throws with the problems above too
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return new Config(s, groupBy);
    }

    @Override
    public Prepared check(SparkSession spark, Config g) throws ConfigException {
        ScoreConfig c = g.score();
        List<String> problems = new ArrayList<>(InputReader.check(spark, c.input()));
        List<String> outputProblems = OutputWriter.check(spark, c.output(), c.input());
        Dataset<Row> params = null;
        String dir = null;
        ModelDirectory model = null;
        try {
            model = ModelDirectory.open("params.path", c.paramsPath(), c.paramsFormat(),
                    spark.sparkContext().hadoopConfiguration());
            dir = model.paramsDirectory();
            List<String> misfit = fitsGroupBy(model, g.groupBy(), spark);
            if (!misfit.isEmpty()) {
                throw new ConfigException(misfit);
            }
            params = model.read(spark);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        Dataset<Row> input = InputReader.readChecked(spark, c.input(), "tapeline score", problems, outputProblems);
        Map<String, Integer> sizes = sizes(model == null ? null : model.record());
        return bind(g, input, params, dir, sizes, problems, outputProblems);
    }

    /**
     * The parameters' vector sizes a grouped train's run record declares (its config's {@code variables}),
     * so that binding reads no row; empty without a record (the rows tell, one row read).
     */
    public static Map<String, Integer> sizes(com.fasterxml.jackson.databind.JsonNode record) {
        String variables = record == null ? "" : record.path("config").path("variables").asText("");
        return variables.isBlank() ? Map.of() : GroupedTrainConfig.variableSizes(variables);
    }

    /**
     * {@link #check} for a frame and a grouped train's output rows already in hand (the
     * {@code tapeline.ml.TrainedModel} stage of a grouped fit); {@code source} names the parameters in
     * messages. {@code g}'s input, output and params keys are not used.
     *
     * @throws ConfigException with every problem
     */
    public static Prepared bind(Config g, Dataset<Row> input, Dataset<Row> params, String source) throws ConfigException {
        return bind(g, input, params, source, Map.of(), new ArrayList<>(), List.of());
    }

    /**
     * {@link #bind(Config, Dataset, Dataset, String)} with the parameters' vector sizes known
     * ({@link #sizes}: from the grouped train's record), so that no Spark job runs: the score stays a
     * plan until an action. A row whose vector has another size is {@code INVALID} with that reason.
     */
    public static Prepared bind(Config g, Dataset<Row> input, Dataset<Row> params, String source, Map<String, Integer> sizes)
            throws ConfigException {
        return bind(g, input, params, source, sizes, new ArrayList<>(), List.of());
    }

    private static Prepared bind(Config g, Dataset<Row> input, Dataset<Row> params, String dir, Map<String, Integer> sizes,
                                 List<String> problems, List<String> outputProblems) throws ConfigException {
        ScoreConfig c = g.score();
        SparkSession spark = input.sparkSession();
        List<String> inputNames = List.of(input.schema().fieldNames());
        for (String k : g.groupBy()) {
            if (!inputNames.contains(k)) {
                problems.add("group.by: no column '" + k + "' in the input" + Suggest.closest(k, inputNames)
                        .map(s -> "; did you mean '" + s + "'?").orElse("") + " (input columns: " + inputNames + ")");
            }
        }
        Map<String, Column> variables = new LinkedHashMap<>();
        if (params != null) {
            List<String> paramNames = List.of(params.schema().fieldNames());
            for (String k : g.groupBy()) {
                if (!paramNames.contains(k)) {
                    problems.add("group.by: '" + dir + "' has no key column '" + k + "': it is not the output of a grouped"
                            + " train by these columns (its columns: " + paramNames + ")");
                }
            }
            if (!paramNames.contains("status")) {
                problems.add("params.path: '" + dir + "' has no status column: not a grouped train's output (its columns: " + paramNames + ")");
            }
            variables = variables(params.schema(), g.groupBy());
            if (variables.isEmpty()) {
                problems.add("params.path: '" + dir + "' holds no parameter columns besides the keys and the results");
            }
            for (String v : variables.keySet()) {
                if (inputNames.contains(v)) {
                    problems.add("input: has a column '" + v + "', which is also a fitted parameter in '" + dir
                            + "'; rename the column");
                }
            }
        }
        if (!problems.isEmpty()) {
            problems.addAll(outputProblems);
            throw new ConfigException(problems);
        }
        // The parameters as the join will give them: one column per variable, named as it, next to the row's columns.
        List<Column> sel = new ArrayList<>();
        for (int i = 0; i < g.groupBy().size(); i++) sel.add(functions.col(quote(g.groupBy().get(i))).as("_tapeline_key_" + i));
        variables.forEach((name, col) -> sel.add(col.as(name)));
        sel.add(functions.lit(true).as(MATCHED));
        Dataset<Row> fitted = params.where(functions.col("status").isin("INVALID", "DIVERGED").unary_$bang())
                .select(sel.toArray(Column[]::new));
        StructType joined = input.schema();
        for (StructField f : fitted.schema().fields()) {
            if (!f.name().startsWith("_tapeline_key_")) joined = joined.add(f);
        }
        Map<String, SweepPlan.Input> bound = new LinkedHashMap<>();
        Dataset<Row> fittedForLengths = fitted;
        // A parameter vector's size: the record's, or its CSV components' count; else one row is read for it.
        Map<String, Integer> known = new LinkedHashMap<>(sizes);
        known.putAll(componentSizes(params.schema(), g.groupBy()));
        for (Expression e : c.outputs().values()) {
            try {
                for (SweepPlan.Input i : ColumnBinder.bindInputs(e, List.of(), InputReader.columns(joined),
                        name -> inputNames.contains(name) ? InputReader.arrayLength(input, name)
                                : known.containsKey(name) ? known.get(name) : InputReader.arrayLength(fittedForLengths, name))) {
                    bound.putIfAbsent(i.name(), i);
                }
            } catch (ConfigException ex) {
                for (String p : ex.problems()) {
                    problems.add(p.replace("is neither a variable nor an input column",
                            "is neither a fitted parameter of " + dir + " nor an input column"));
                }
            }
        }
        StructType schema = input.schema();
        for (String column : c.outputs().keySet()) {
            if (inputNames.contains(column)) {
                problems.add("output." + column + ": the input already has a column '" + column + "'; name the output another way");
            }
            schema = schema.add(column, DataTypes.DoubleType, true);
        }
        for (String column : List.of("status", "error")) {
            if (inputNames.contains(column)) problems.add("input: has a column '" + column + "', which the score's output adds; rename it");
        }
        schema = schema.add("status", DataTypes.StringType, false).add("error", DataTypes.StringType, true);
        ScoreModel model = new ScoreModel(c.outputs(), Map.of(), List.copyOf(bound.values()), c.dtype());
        if (problems.isEmpty()) {
            try {
                model.compile(1);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        problems.addAll(OutputWriter.checkPartitions(c.output(), schema));
        problems.addAll(outputProblems);
        spark.sparkContext().setJobDescription(null);
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return new Prepared(g, input, fitted, List.copyOf(variables.keySet()), model, schema, dir);
    }

    /**
     * Why {@code model} is not a grouped train's output by {@code groupBy}, or nothing: a directory with
     * a record must be a grouped train's by the same columns (in any order); one without a record is
     * taken as it is (its columns are checked when it is read).
     */
    static List<String> fitsGroupBy(ModelDirectory model, List<String> groupBy, SparkSession spark) {
        if (model.record() == null) {
            return List.of();
        }
        if (!model.grouped()) {
            return List.of("params.path: '" + model.root() + "' is the output of a train without group.by (" + model.recordFile()
                    + " and a params directory found; files in " + model.paramsDirectory() + ": "
                    + ModelDirectory.files(model.paramsDirectory(), spark.sparkContext().hadoopConfiguration())
                    + "): one set of parameters for all rows, not one per group; leave group.by out to score with it");
        }
        if (!Set.copyOf(model.groupBy()).equals(Set.copyOf(groupBy)) || model.groupBy().size() != groupBy.size()) {
            return List.of("group.by: is " + String.join(", ", groupBy) + ", but " + model.recordFile()
                    + " says its parameters were fitted per group of " + String.join(", ", model.groupBy())
                    + "; give group.by = " + String.join(", ", model.groupBy()));
        }
        return List.of();
    }

    /**
     * The variable columns of a grouped train's output: every column but the keys, the results and the
     * standard errors ({@code stderr = true}); a vector is an array column, or (CSV) columns
     * {@code w_0, w_1, ..}, gathered into one array.
     */
    static Map<String, Column> variables(StructType params, List<String> keys) {
        Map<String, Column> out = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, String>> components = new LinkedHashMap<>();
        List<String> names = List.of(params.fieldNames());
        for (StructField f : params.fields()) {
            String n = f.name();
            if (keys.contains(n) || GroupedOutput.RESULT_COLUMNS.contains(n)) continue;
            if (GroupedOutput.isStandardErrorColumn(n, names)) continue; // stderr = true: not parameters
            Matcher m = COMPONENT.matcher(n);
            if (!(f.dataType() instanceof ArrayType) && m.matches()) {
                components.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), n);
                out.put(m.group(1), null); // its place in the order
            } else {
                out.put(n, f.dataType() instanceof ArrayType ? functions.col(quote(n))
                        : functions.col(quote(n)).cast(DataTypes.DoubleType));
            }
        }
        components.forEach((name, parts) -> out.put(name, functions.array(parts.values().stream()
                .map(p -> functions.col(quote(p)).cast(DataTypes.DoubleType)).toArray(Column[]::new))));
        return out;
    }

    /** The sizes of the vectors a CSV output holds as components ({@code w_0, w_1, ..}): their counts. */
    static Map<String, Integer> componentSizes(StructType params, List<String> keys) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (StructField f : params.fields()) {
            Matcher m = COMPONENT.matcher(f.name());
            if (!keys.contains(f.name()) && !GroupedOutput.RESULT_COLUMNS.contains(f.name())
                    && !(f.dataType() instanceof ArrayType) && m.matches()) {
                out.merge(m.group(1), 1, Integer::sum);
            }
        }
        return out;
    }

    @Override
    public ScoreSummary run(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws QualityGate.Failed {
        ScoreConfig c = p.config().score();
        List<String> keys = p.config().groupBy();
        phases.begin("solve_and_write");
        long t0 = System.nanoTime();
        LongAccumulator scored = spark.sparkContext().longAccumulator("tapeline score: " + ScoreJob.SCORED);
        LongAccumulator invalid = spark.sparkContext().longAccumulator("tapeline score: INVALID");
        LongAccumulator noModel = spark.sparkContext().longAccumulator("tapeline score: " + NO_MODEL);
        return ScoreJob.write(spark, c, stage.rows(p, scored, invalid, noModel), "with each group's parameters from "
                + p.paramsDirectory(), t0, phases, gate,
                (written, seconds, preview) -> new ScoreSummary(c.output().describe(), p.paramsDirectory(), p.variables().size(),
                        List.copyOf(c.outputs().keySet()), scored.value(), invalid.value(), noModel.value(), seconds, written,
                        preview));
    }

    /**
     * The grouped score as a lazy transformation (nothing runs until an action): the input's rows, each
     * followed by the outputs, {@code status} ({@code SCORED}, {@code INVALID}, {@code NO_MODEL}) and
     * {@code error}; rows counted by status into the accumulators.
     */
    public static Dataset<Row> score(Prepared p, LongAccumulator scored, LongAccumulator invalid, LongAccumulator noModel) {
        ScoreConfig c = p.config().score();
        SparkSession spark = p.input().sparkSession();
        List<String> keys = p.config().groupBy();
        Column on = null;
        for (int i = 0; i < keys.size(); i++) {
            Column eq = p.input().col(quote(keys.get(i))).eqNullSafe(p.params().col("_tapeline_key_" + i));
            on = on == null ? eq : on.and(eq);
        }
        Dataset<Row> joined = p.input().join(p.params(), on, "left");
        // One frame, one pass: the row's columns, its group's parameters and the flag that is null
        // where the group has none (the join is planned once per action and its input read once).
        List<Column> columns = new ArrayList<>();
        for (String f : p.input().schema().fieldNames()) columns.add(p.input().col(quote(f)));
        p.variables().forEach(v -> columns.add(p.params().col(quote(v))));
        columns.add(p.params().col(MATCHED));
        Dataset<Row> withParams = joined.select(columns.toArray(Column[]::new));

        StructType withParamsSchema = withParams.schema();
        StructType scoredSchema = withParamsSchema;
        for (String column : c.outputs().keySet()) scoredSchema = scoredSchema.add(column, DataTypes.DoubleType, true);
        scoredSchema = scoredSchema.add("status", DataTypes.StringType, false).add("error", DataTypes.StringType, true);
        List<String> inputNames = List.of(p.input().schema().fieldNames());
        int[] keyIndex = keys.stream().mapToInt(inputNames::indexOf).toArray();
        ScorePartition.Unmodelled unmodelled = new ScorePartition.Unmodelled(withParamsSchema.fieldIndex(MATCHED),
                keyIndex, keys, p.paramsDirectory(), UTF8String.fromString(NO_MODEL), noModel);
        // LazyRows: the join is planned (and, with adaptive execution, its exchanges run) by the action, not here.
        RDD<InternalRow> scoredRows = LazyRows.of(withParams).toJavaRDD()
                .mapPartitions(new ScorePartition(p.model(), withParamsSchema, c.blockSize(), scored, invalid, unmodelled)).rdd();
        List<Column> outColumns = new ArrayList<>();
        for (String f : p.schema().fieldNames()) outColumns.add(functions.col(quote(f)));
        return SparkLine.internalDataFrame(spark, scoredRows, scoredSchema).select(outColumns.toArray(Column[]::new));
    }

    @Override
    public String summarise(ScoreSummary result) {
        return result.render();
    }

    private static String quote(String column) {
        return "`" + column.replace("`", "``") + "`";
    }
}
