package tapeline.job.train.grouped;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import tapeline.job.SparkLine;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.Regularizer;
import tapeline.job.Job;
import tapeline.job.Phases;
import tapeline.job.QualityGate;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;
import tapeline.job.columns.ColumnBinder;
import tapeline.job.config.ConfigException;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.config.Suggest;
import tapeline.job.config.TrainConfig;
import tapeline.job.io.InputReader;
import tapeline.job.io.OutputWriter;
import tapeline.job.sweep.SweepPlan;

/**
 * The grouped train ({@code job = train} with {@code group.by}): one fit per group of rows, each
 * what {@code job = train} would fit to that group's rows alone.
 *
 * <pre>{@code
 * GroupedTrainJob job = tapeline.job.StageJobs.groupedTrain();
 * GroupedTrainJob.Prepared p = job.check(spark, config);   // ConfigException: exit 2, nothing written
 * GroupedSummary s = job.run(spark, p, QualityGate.NONE, new Phases());
 * }</pre>
 *
 * <p>How it runs: the key (float keys normalised as {@code groupBy} does), the used columns and a
 * 64-bit hash of the key only are selected; each map task reads its rows into doubles and packs them
 * by key into chunks, one record per (group, chunk) with the rows in one array ({@link GroupPacker});
 * Spark SQL's own exchange (Tungsten rows, not Java-serialised objects) brings each group's chunks to
 * one partition, and a sort by the hash alone (a radix sort of longs) makes them contiguous. Then one
 * {@code mapPartitions} ({@link GroupedPartition}) copies their arrays into primitive columns, puts each group's rows in canonical
 * order there (by their values; rows equal in every value are interchangeable, so ties do not change
 * a bit), streams them in blocks of whole groups through the solver and emits one row per group. A group's parameters therefore depend on its rows
 * alone: not on the input's order, files, splits or partitioning, nor on task retries.
 *
 * <p>Partitions: {@code partitions} when set, else eight per task slot, so that a giant group's task
 * shares little with small ones, and the other slots keep working through the rest.
 */
public final class GroupedTrainJob implements Job<GroupedTrainConfig, GroupedTrainJob.Prepared, GroupedSummary> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupedTrainJob.class);

    /** Partitions per task slot when {@code partitions} is not set. */
    static final int PARTITIONS_PER_SLOT = 8;

    private Map<String, String> defaults = new LinkedHashMap<>(TrainConfig.defaults());

    /**
     * The fit the job runs: the {@code tapeline.ml.Trainer} stage's with {@code group.by}, made from the
     * config's keys ({@code tapeline.job.StageJobs} wires it; this package does not know {@code tapeline.ml}).
     */
    public interface Stage {
        /** The config the stage's Params stand for, with the job's own keys (input, output, ...). */
        GroupedTrainConfig config() throws ConfigException;

        /** The stage's rows, one a group, for the checked input ({@link #fit(Prepared, GroupedCounts, Phases)}); lazy. */
        Dataset<Row> fit(Prepared p, GroupedCounts counts, Phases phases);
    }

    private final java.util.function.Function<Map<String, String>, Stage> stages;
    private Stage stage;

    /** A grouped train job fitting through the stages {@code stages} makes of a config's keys. */
    public GroupedTrainJob(java.util.function.Function<Map<String, String>, Stage> stages) {
        this.stages = stages;
    }

    /** Everything a grouped run needs, checked. */
    public record Prepared(GroupedTrainConfig config, Dataset<Row> input, LossModel model, List<Cell> cells,
                           List<String> usedColumns, GroupedOutput layout) {}

    @Override
    public String kind() {
        return "train";
    }

    @Override
    public GroupedTrainConfig configure(Map<String, String> keys, List<String> problems) throws ConfigException {
        GroupedTrainConfig.parse(keys, problems); // every problem at once (exit 2), with the job's messages
        stage = stages.apply(keys);
        GroupedTrainConfig c = stage.config(); // the same keys, through the stage's Params
        defaults = c.effectiveDefaults();
        return c;
    }

    @Override
    public Map<String, String> defaults() {
        return defaults;
    }

    @Override
    public Prepared check(SparkSession spark, GroupedTrainConfig config) throws ConfigException {
        return prepare(spark, config);
    }

    @Override
    public String summarise(GroupedSummary result) {
        return result.render();
    }

    /**
     * Reads the input's schema; checks the group columns, binds the loss's names, records the loss
     * once; checks the output. Reads no row (CSV schema inference aside), writes nothing.
     */
    public static Prepared prepare(SparkSession spark, GroupedTrainConfig g) throws ConfigException {
        TrainConfig c = g.train();
        List<String> problems = new ArrayList<>(InputReader.check(spark, c.input()));
        List<String> outputProblems = OutputWriter.check(spark, c.output(), c.input());
        Dataset<Row> input = InputReader.readChecked(spark, c.input(), "tapeline train", problems, outputProblems);
        return bind(g, input, problems, outputProblems);
    }

    /**
     * {@link #prepare} for a frame already in hand (the {@code tapeline.ml.Trainer} stage with a group
     * column): checks the group columns and binds the loss's names to the frame's columns. {@code g}'s
     * input and output keys are not used.
     *
     * @throws ConfigException with every problem
     */
    public static Prepared bind(GroupedTrainConfig g, Dataset<Row> input) throws ConfigException {
        return bind(g, input, new ArrayList<>(), List.of());
    }

    private static Prepared bind(GroupedTrainConfig g, Dataset<Row> input, List<String> problems,
                                 List<String> outputProblems) throws ConfigException {
        TrainConfig c = g.train();
        SparkSession spark = input.sparkSession();
        List<String> names = List.of(input.schema().fieldNames());
        List<StructField> keyFields = new ArrayList<>();
        for (String k : g.groupBy()) {
            if (names.contains(k)) {
                keyFields.add(input.schema().apply(k));
            } else {
                problems.add("group.by: no column '" + k + "' in the input"
                        + Suggest.closest(k, names).map(s -> "; did you mean '" + s + "'?").orElse("")
                        + " (input columns: " + names + ")");
            }
        }
        LossModel model = null;
        List<Cell> cells = new ArrayList<>();
        try {
            Dataset<Row> in = input;
            List<SweepPlan.Input> inputs = ColumnBinder.bindInputs(c.loss(), c.variables(),
                    InputReader.columns(input.schema()), name -> InputReader.arrayLength(in, name));
            Map<String, Integer> sizes = new LinkedHashMap<>();
            for (SweepPlan.Input i : inputs) {
                sizes.put(i.name(), i.cells().size());
                cells.addAll(i.cells());
            }
            model = new LossModel(c.loss(), c.variables(), sizes, c.dtype(), c.blockSize()).withCodegen(c.codegen());
            new LossModel(c.loss(), c.variables(), sizes, c.dtype(), 1).compile(); // names, sizes, a scalar loss
            if (cells.isEmpty()) {
                // Each group is fitted to its rows' values: a loss of the variables alone fits every group alike.
                problems.add("loss: reads no input column, so every group would get the same fit (group.by fits each"
                        + " group to its own rows: write the loss over the input's columns, e.g. (y - b * x)^2)");
            }
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        } catch (IllegalArgumentException e) { // ExpressionException among them: it names the position
            problems.add(e.getMessage());
        }
        GroupedOutput layout = new GroupedOutput(keyFields, c.variables(), c.output().format().hasArrays(),
                c.stderr() != tapeline.engine.solve.StandardErrors.Kind.NONE);
        Set<String> seen = new java.util.HashSet<>();
        for (String n : layout.schema().fieldNames()) {
            // A key or variable named as a result or standard-error column would make two columns of one name.
            if (!seen.add(n.toLowerCase(java.util.Locale.ROOT))) {
                problems.add("output: two columns would be named '" + n + "' (a group.by column or variable with the name of"
                        + " an output column: rename it; output columns: " + List.of(layout.schema().fieldNames()) + ")");
            }
        }
        if (keyFields.size() == g.groupBy().size()) {
            problems.addAll(OutputWriter.checkPartitions(c.output(), layout.schema()));
        }
        problems.addAll(outputProblems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Set<String> used = new LinkedHashSet<>();
        for (Cell cell : cells) used.add(cell.name());
        spark.sparkContext().setJobDescription(null);
        return new Prepared(g, input, model, List.copyOf(cells), List.copyOf(used), layout);
    }

    @Override
    public GroupedSummary run(SparkSession spark, Prepared p, QualityGate gate, Phases phases) throws Exception {
        GroupedTrainConfig g = p.config();
        TrainConfig c = g.train();
        try {
            phases.begin("load");
            // Embedded Spark: compile the solve's pass on the core the driver's planning leaves idle
            // (fit asks again before the map stage; the second ask finds it under way).
            if (spark.sparkContext().isLocal()) precompile(solver(p));
            if (c.badRows() == TrainConfig.BadRows.FATAL) {
                failOnBadRows(spark, p);
            }
            GroupedCounts counts = GroupedCounts.register(spark.sparkContext());
            Dataset<Row> out = stage.fit(p, counts, phases);
            phases.begin("solve_and_write");
            spark.sparkContext().setJobDescription("tapeline train: solve every group of " + c.input().describe()
                    + " (" + c.optimizer() + ") and write " + c.output().describe());
            long t0 = System.nanoTime();
            OutputWriter.write(OutputWriter.forFormat(out, c.output().format()), c.output(), p.layout().continuousColumns());
            double seconds = (System.nanoTime() - t0) / 1e9;
            phases.begin("summary");
            Map<String, Long> byStatus = counts.groupsByStatus();
            long groups = counts.groups();
            StructType written = OutputWriter.forFormat(out, c.output().format()).schema();
            List<String> shown = byStatus.get("CONVERGED") == groups ? List.of() : firstNotConverged(spark, p, written);
            long noErrors = p.layout().stderr() ? counts.groupsWithoutStandardErrors() : -1;
            List<String> shownNoErrors = noErrors > 0 ? firstWithoutStandardErrors(spark, p, written) : List.of();
            GroupedSummary s = new GroupedSummary(byStatus, groups, counts.rowsUsed(), counts.badRows(), counts.steps(),
                    partitions(p), seconds, GroupedSummary.TaskSeconds.of(counts), c.output().describe(), shown,
                    noErrors, shownNoErrors);
            // Counted in groups: an INVALID group is one invalid result, whatever its size.
            gate.check(byStatus.get("INVALID"), groups, byStatus, s.stepsTaken(),
                    () -> OutputWriter.firstErrors(spark, c.output(), written, QualityGate.SHOWN_REASONS));
            phases.end();
            return s;
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * The output rows, lazily: the exchange and sort, then {@link GroupedPartition}. With adaptive
     * query execution on (Spark's default) the exchange's map stage runs here, so {@code phases}'
     * {@code load} holds the read, the checks of the cells aside, and the shuffle's write.
     */
    public static Dataset<Row> fit(Prepared p, GroupedCounts counts, Phases phases) {
        return fit(p, counts, phases, solver(p));
    }

    /** {@link #fit(Prepared, GroupedCounts, Phases)} with another solve of the blocks (tests: one that fails once). */
    static Dataset<Row> fit(Prepared p, GroupedCounts counts, Phases phases, GroupedPartition.BlockSolve solve) {
        return fit(p, counts, phases, solve, functions::xxhash64, GroupPacker.BUDGET, GroupPacker.CHUNK);
    }

    /**
     * {@link #fit(Prepared, GroupedCounts, Phases)} with another solve, another hash of the key
     * columns (a long; tests: a hash with many ties between keys) and other map-side buffers
     * ({@link GroupPacker}'s budget in doubles and rows a chunk; tests: tiny ones, many chunks a group).
     */
    static Dataset<Row> fit(Prepared p, GroupedCounts counts, Phases phases, GroupedPartition.BlockSolve solve,
                            java.util.function.Function<Column[], Column> keyHash, int packBudget, int chunkRows) {
        return fit(p, counts, phases, solve, keyHash, packBudget, chunkRows, true);
    }

    /**
     * {@link #fit(Prepared, GroupedCounts, Phases, GroupedPartition.BlockSolve, java.util.function.Function, int, int)},
     * the map side reading columnar batches where the input's plan gives them ({@link ColumnarScan}) or,
     * with {@code columnar} false, rows always (tests: both paths give the same bits).
     */
    static Dataset<Row> fit(Prepared p, GroupedCounts counts, Phases phases, GroupedPartition.BlockSolve solve,
                            java.util.function.Function<Column[], Column> keyHash, int packBudget, int chunkRows,
                            boolean columnar) {
        GroupedTrainConfig g = p.config();
        TrainConfig c = g.train();
        SparkSession spark = p.input().sparkSession();
        int k = g.groupBy().size();
        Dataset<Row> selected = select(p, keyHash);
        StructType schema = selected.schema();
        StructField[] keyFields = java.util.Arrays.copyOf(schema.fields(), k);
        DataType[] keyTypes = new DataType[k];
        for (int i = 0; i < k; i++) keyTypes[i] = keyFields[i].dataType();
        List<Cell> cells = selectedCells(p);
        // Map side: rows packed by key into chunks of primitive arrays (far fewer, larger shuffle records).
        GroupPacker pack = new GroupPacker(schema, keyTypes, schema.fieldIndex("_hash"), cells, packBudget, chunkRows,
                counts.packNanos);
        java.util.Optional<ColumnarScan> scan = columnar ? ColumnarScan.of(selected, k, cells) : java.util.Optional.empty();
        RDD<InternalRow> chunks;
        if (scan.isPresent()) {
            LOG.info("grouped train: the map side reads the columnar batches of {}", scan.get().describe());
            chunks = scan.get().batches().toJavaRDD().mapPartitions(pack.batches(scan.get())).rdd();
        } else {
            LOG.info("grouped train: the map side reads rows ({})", columnar ? "the input's plan gives no columnar batches" : "asked");
            chunks = selected.queryExecution().toRdd().toJavaRDD().mapPartitions(pack).rdd();
        }
        // One shuffle by a 64-bit hash of the key, and a sort by that hash alone: one long, so Spark's
        // sorter radix-sorts its prefixes and never compares records. Each group's chunks are then contiguous
        // (hash ties between keys are split in GroupedPartition) and its rows are put in canonical order there.
        Column hash = functions.col("_hash");
        Dataset<Row> sorted = SparkLine.internalDataFrame(spark, chunks, GroupPacker.schema(keyFields))
                .repartition(partitions(p), hash)
                .sortWithinPartitions(hash);
        spark.sparkContext().setJobDescription("tapeline train: read " + c.input().describe() + " and bring each group's rows together");
        // Embedded (local) Spark: the tasks run in this JVM, so the solve's pass is compiled on a thread of
        // its own while the map stage runs (toRdd below runs that stage, with adaptive execution, before it
        // returns: compiled after it, the compile was a gap with no task running). Each task also asks
        // (GroupedPartition.call), which is what a cluster's executors do, and waits for nothing.
        if (spark.sparkContext().isLocal()) precompile(solve);
        RDD<InternalRow> rows = sorted.queryExecution().toRdd();
        GroupedPartition f = new GroupedPartition(keyTypes, cells.size(), g.maxRows(), g.blockRows(),
                solve, p.layout(), counts);
        JavaRDD<InternalRow> out = rows.toJavaRDD().mapPartitions(f);
        return SparkLine.internalDataFrame(spark, out.rdd(), p.layout().schema());
    }

    /**
     * Starts {@code solve.prepare()} on a daemon thread and returns it: the driver goes on planning and
     * running the map stage meanwhile. A prepare that fails is harmless (each task prepares again).
     */
    static Thread precompile(GroupedPartition.BlockSolve solve) {
        Thread t = new Thread(() -> {
            try {
                solve.prepare();
            } catch (RuntimeException | LinkageError e) {
                LOG.debug("grouped train: compiling the solve ahead failed; the tasks compile it", e);
            }
        }, "tapeline-precompile");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The map side's input: the key columns ({@code _group_i}, normalised), the used columns ({@code _used_i}), {@code _hash}. */
    static Dataset<Row> select(Prepared p, java.util.function.Function<Column[], Column> keyHash) {
        Dataset<Row> in = p.input();
        List<String> groupBy = p.config().groupBy();
        StructType inSchema = in.schema();
        List<Column> select = new ArrayList<>();
        List<Column> keys = new ArrayList<>();
        for (int i = 0; i < groupBy.size(); i++) {
            String name = groupBy.get(i);
            select.add(normalised(functions.col(quote(name)), inSchema.apply(name).dataType()).as("_group_" + i));
            keys.add(functions.col("_group_" + i));
        }
        for (int i = 0; i < p.usedColumns().size(); i++) {
            select.add(functions.col(quote(p.usedColumns().get(i))).as("_used_" + i));
        }
        return in.select(select.toArray(Column[]::new))
                .withColumn("_hash", keyHash.apply(keys.toArray(Column[]::new)).cast("long"));
    }

    /** The model's cells, as columns of {@link #select}'s frame. */
    static List<Cell> selectedCells(Prepared p) {
        int k = p.config().groupBy().size();
        List<Cell> cells = new ArrayList<>();
        for (Cell cell : p.cells()) {
            int column = k + p.usedColumns().indexOf(cell.name());
            cells.add(new Cell(column, cell.name(), cell.element(), cell.length()));
        }
        return cells;
    }

    /**
     * A key column as Spark's {@code groupBy} compares it: {@code -0.0} as {@code 0.0}, every NaN as the
     * one NaN (Spark normalises grouping keys so; a plain exchange and {@code equals} would not). Other
     * types as they are. (Floating-point values inside array or struct keys are not normalised.)
     */
    static Column normalised(Column c, DataType type) {
        if (type instanceof org.apache.spark.sql.types.DoubleType) {
            return functions.when(functions.isnan(c), functions.lit(Double.NaN))
                    .when(c.equalTo(functions.lit(0.0)), functions.lit(0.0)).otherwise(c);
        }
        if (type instanceof org.apache.spark.sql.types.FloatType) {
            return functions.when(functions.isnan(c), functions.lit(Float.NaN))
                    .when(c.equalTo(functions.lit(0.0f)), functions.lit(0.0f)).otherwise(c);
        }
        return c;
    }

    /** {@code partitions}, or {@link #PARTITIONS_PER_SLOT} per task slot. */
    public static int partitions(Prepared p) {
        int n = p.config().train().partitions();
        return n > 0 ? n : PARTITIONS_PER_SLOT * p.input().sparkSession().sparkContext().defaultParallelism();
    }

    /** The solve of one block: the engine's batched group solver, each group from its own fresh start. */
    static EngineSolve solver(Prepared p) {
        TrainConfig c = p.config().train();
        return new EngineSolve(p.model(), c.steps(), c.gradTolerance(), c.lossTolerance(), c.reduce(),
                c.regularization() == null ? null : new Regularizer(c.regularization(), c.variables(), c.dtype()),
                GroupStart.of(c, p.model()), true,
                c.residuals().isEmpty() ? null : tapeline.engine.train.ResidualModel.of(c.residuals(), p.model()), c.stepTolerance(),
                c.stderr());
    }

    /** {@code bad.rows = fatal}: a read of the input before any group is solved; a bad row stops the run (exit 2, nothing written). */
    public static void failOnBadRows(SparkSession spark, Prepared p) throws ConfigException {
        TrainConfig c = p.config().train();
        spark.sparkContext().setJobDescription("tapeline train: check the rows of " + c.input().describe() + " (bad.rows=fatal)");
        StructType schema = p.input().schema();
        List<Cell> cells = p.cells();
        List<BadRows> found = p.input().queryExecution().toRdd().toJavaRDD()
                .mapPartitions((Iterator<InternalRow> it) -> List.of(BadRows.of(it, schema, cells)).iterator()).collect();
        long bad = 0;
        long rows = 0;
        List<String> first = new ArrayList<>();
        for (BadRows b : found) {
            bad += b.bad();
            rows += b.rows();
            for (String s : b.first()) if (first.size() < 5) first.add(s);
        }
        if (bad > 0) {
            List<String> problems = new ArrayList<>();
            problems.add("input: " + bad + " bad row" + (bad == 1 ? "" : "s") + " of " + rows + " in '" + c.input().describe()
                    + "' (bad.rows=fatal; set bad.rows=skip to leave them out, counted per group). The first:");
            first.forEach(s -> problems.add("  " + s));
            throw new ConfigException(problems);
        }
    }

    /** One task's bad rows: counted, the first few described. */
    record BadRows(long rows, long bad, List<String> first) implements java.io.Serializable {
        static BadRows of(Iterator<InternalRow> it, StructType schema, List<Cell> cells) {
            CellReader reader = new CellReader(schema);
            long rows = 0;
            long bad = 0;
            List<String> first = new ArrayList<>();
            while (it.hasNext()) {
                InternalRow r = it.next();
                rows++;
                for (Cell cell : cells) {
                    try {
                        reader.read(r, cell, false);
                    } catch (CellReader.BadCell e) {
                        if (bad++ < 5) {
                            Row shown = (Row) CatalystTypeConverters.createToScalaConverter(schema).apply(r);
                            String text = shown.mkString("[", ", ", "]");
                            first.add("row " + (text.length() > 120 ? text.substring(0, 117) + "..." : text) + ": " + e.getMessage());
                        }
                        break;
                    }
                }
            }
            return new BadRows(rows, bad, first);
        }
    }

    /** The first few groups that did not converge, read back from the output, for the summary. */
    private static List<String> firstNotConverged(SparkSession spark, Prepared p, StructType written) {
        spark.sparkContext().setJobDescription("tapeline train: read the first groups that did not converge");
        TrainConfig c = p.config().train();
        List<String> keys = p.config().groupBy();
        List<Column> cols = new ArrayList<>();
        keys.forEach(k -> cols.add(functions.col(quote(k))));
        cols.add(functions.col("status"));
        cols.add(functions.col("error"));
        List<String> out = new ArrayList<>();
        for (Row r : OutputWriter.readBack(spark, c.output(), written).where(functions.col("status").notEqual("CONVERGED")).select(cols.toArray(Column[]::new))
                .limit(GroupedSummary.SHOWN).collectAsList()) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < keys.size(); i++) s.append(i == 0 ? "" : ", ").append(keys.get(i)).append('=').append(r.get(i));
            s.append(": ").append(r.getString(keys.size()));
            if (!r.isNullAt(keys.size() + 1)) s.append(" (").append(r.getString(keys.size() + 1)).append(')');
            out.add(s.toString());
        }
        return out;
    }

    /** The first few solved groups without standard errors, with the reason, read back from the output. */
    private static List<String> firstWithoutStandardErrors(SparkSession spark, Prepared p, StructType written) {
        spark.sparkContext().setJobDescription("tapeline train: read the first groups without standard errors");
        List<String> keys = p.config().groupBy();
        List<Column> cols = new ArrayList<>();
        keys.forEach(k -> cols.add(functions.col(quote(k))));
        cols.add(functions.col(GroupedOutput.SE_REASON));
        List<String> out = new ArrayList<>();
        for (Row r : OutputWriter.readBack(spark, p.config().train().output(), written)
                .where(functions.col(GroupedOutput.SE_REASON).isNotNull()
                        .and(functions.col("status").isin("INVALID", "DIVERGED").unary_$bang()))
                .select(cols.toArray(Column[]::new)).limit(GroupedSummary.SHOWN).collectAsList()) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < keys.size(); i++) s.append(i == 0 ? "" : ", ").append(keys.get(i)).append('=').append(r.get(i));
            out.add(s.append(": ").append(r.getString(keys.size())).toString());
        }
        return out;
    }

    private static String quote(String column) {
        return "`" + column.replace("`", "``") + "`";
    }
}
