package tapeline.job.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.config.OutputMode;
import tapeline.job.config.OutputSpec;

/**
 * Writes a job's output through Spark's DataFrameWriter, so its commit protocol applies: the output
 * appears whole or not at all. Existing output is never touched unless {@code output.mode=overwrite}:
 * {@link #check} refuses it before any work, and {@link SaveMode#ErrorIfExists} backs that up.
 *
 * <pre>{@code
 * List<String> problems = OutputWriter.check(spark, config.output(), config.input());  // before running
 * OutputWriter.write(result, config.output());
 * }</pre>
 */
public final class OutputWriter {
    private OutputWriter() {}

    /** Problems with writing the output; empty when fine. Looks, never changes anything. */
    public static List<String> check(SparkSession spark, OutputSpec output, InputSpec input) {
        List<String> problems = new ArrayList<>();
        InputReader.unknownSource(spark, "output.format", output.format()).ifPresent(problems::add);
        if (output.table() != null) {
            try {
                if (output.mode() == OutputMode.ERROR && spark.catalog().tableExists(output.table())) {
                    problems.add("output.table: '" + output.table() + "' already exists; nothing was written."
                            + " Choose another output.table, drop it, or set output.mode=overwrite");
                }
            } catch (RuntimeException e) {
                problems.add("output.table: cannot look up '" + output.table() + "': " + InputReader.firstLine(e));
            }
        }
        if (output.path() == null) {
            return problems;
        }
        try {
            Path out = new Path(output.path());
            FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path qualifiedOut = fs.makeQualified(out);
            if (fs.exists(out)) {
                if (output.mode() == OutputMode.ERROR) {
                    problems.add("output.path: '" + output.path() + "' already exists (" + qualifiedOut
                            + "); nothing was written. Choose another output.path, delete it, or set output.mode=overwrite");
                }
            }
            if (output.mode() == OutputMode.OVERWRITE && input != null && input.path() != null) {
                Path in = new Path(input.path());
                Path qualifiedIn = in.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(in);
                if (isUnder(qualifiedIn, qualifiedOut)) {
                    problems.add("output.path: '" + output.path() + "' holds the input '" + input.path()
                            + "'; overwriting it would delete the input before it is read");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add("output.path: cannot look at '" + output.path() + "': " + e.getMessage());
        }
        return problems;
    }

    /** Problems with {@code output.partitionBy}: a column the output does not have. */
    public static List<String> checkPartitions(OutputSpec output, StructType written) {
        List<String> problems = new ArrayList<>();
        List<String> names = List.of(written.fieldNames());
        for (String c : output.partitionBy()) {
            if (!names.contains(c)) {
                problems.add("output.partitionBy: the output has no column '" + c + "'; its columns are " + names);
            }
        }
        if (!output.partitionBy().isEmpty() && output.partitionBy().size() >= names.size()) {
            problems.add("output.partitionBy: every column would be a partition column; leave some in the files");
        }
        return problems;
    }

    /**
     * Where the run record goes: {@code output.path}, or the location of {@code output.table} in the
     * catalog; null for an output that has neither (JDBC without {@code output.path}).
     */
    public static String recordDirectory(SparkSession spark, OutputSpec output) throws Exception {
        if (output.path() != null) {
            return output.path();
        }
        if (output.table() != null) {
            TableIdentifier id = spark.sessionState().sqlParser().parseTableIdentifier(output.table());
            return spark.sessionState().catalog().getTableMetadata(id).location().toString();
        }
        return null;
    }

    private static boolean isUnder(Path p, Path dir) {
        for (Path q = p; q != null; q = q.getParent()) {
            if (q.equals(dir)) {
                return true;
            }
        }
        return false;
    }

    /** The frame as it will be written: for CSV, array/struct/map input columns become JSON text. */
    public static Dataset<Row> forFormat(Dataset<Row> frame, Format format) {
        if (format.hasArrays()) {
            return frame;
        }
        Dataset<Row> f = frame;
        for (StructField field : frame.schema().fields()) {
            if (field.dataType() instanceof ArrayType || field.dataType() instanceof StructType
                    || field.dataType() instanceof MapType) {
                Column c = functions.col("`" + field.name() + "`");
                f = f.withColumn(field.name(), functions.to_json(c));
            }
        }
        return f;
    }

    /** Writes; throws whatever Spark throws when the job fails (nothing is left behind then). */
    public static void write(Dataset<Row> frame, OutputSpec output) {
        write(frame, output, List.of());
    }

    /**
     * As {@link #write(Dataset, OutputSpec)}; in Parquet, the columns {@code continuous} (numbers an
     * optimizer produced, which almost never repeat) are written without a dictionary: Parquet would
     * build one per column chunk, find it too large and start over without it, for nothing.
     * {@code output.option.*} come after tapeline's own options, so they win. With
     * {@code output.partitionBy} and {@code overwrite}, only the partitions this output has are
     * replaced (Spark's dynamic partition overwrite): a daily re-run replaces its day, no other.
     */
    public static void write(Dataset<Row> frame, OutputSpec output, List<String> continuous) {
        if (output.format() == Format.CSV && output.table() == null) {
            // Numbers as the shortest text, formatted fast (CsvNumbers); not for a table, whose
            // catalog schema would then say string.
            frame = CsvNumbers.asText(frame, output.partitionBy());
        }
        DataFrameWriter<Row> w = frame.write()
                .format(output.format().sparkName())
                .mode(output.mode() == OutputMode.OVERWRITE ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
        if (output.format() == Format.CSV) {
            w = w.option("header", "true");
        }
        if (output.format() == Format.PARQUET) {
            for (String column : continuous) {
                w = w.option("parquet.enable.dictionary#" + column, "false");
            }
        }
        if (output.format() == Format.JSON) {
            // Every row carries every column, error: null included, so readers see the whole contract.
            w = w.option("ignoreNullFields", "false");
        }
        if (!output.partitionBy().isEmpty()) {
            w = w.partitionBy(output.partitionBy().toArray(String[]::new)).option("partitionOverwriteMode", "dynamic");
        }
        w = w.options(output.options());
        if (output.table() != null && !output.partitionBy().isEmpty() && output.mode() == OutputMode.OVERWRITE
                && frame.sparkSession().catalog().tableExists(output.table())) {
            overwritePartitions(frame, output.table());
        } else if (output.table() != null) {
            if (output.path() != null) {
                w = w.option("path", output.path()); // an external table at output.path
            }
            w.saveAsTable(output.table());
        } else if (output.path() != null && output.format().isBuiltIn()) {
            w.save(output.path());
        } else if (output.path() != null && !output.options().containsKey("dbtable")) {
            w.save(output.path()); // a file source of its own (avro, ...)
        } else {
            w.save(); // a source that is not a directory (jdbc): output.path only holds the run record
        }
    }

    /** The {@code error} of the first {@code n} {@code INVALID} rows of the written output (for the gate's message). */
    public static List<String> firstErrors(SparkSession spark, OutputSpec output, StructType written, int n) {
        spark.sparkContext().setJobDescription("tapeline: read the first invalid rows of the output");
        List<String> reasons = new ArrayList<>();
        for (Row r : readBack(spark, output, written).where(functions.col("status").equalTo("INVALID"))
                .select("error").limit(n).collectAsList()) {
            reasons.add(r.getString(0));
        }
        spark.sparkContext().setJobDescription(null);
        return reasons;
    }

    /**
     * Replaces the partitions of an existing partitioned table that {@code frame} has, and only those.
     * {@code saveAsTable} would replace the whole table, and {@code insertInto} takes no write options:
     * the session's partition overwrite mode is set to dynamic for the one insert, then restored.
     */
    private static void overwritePartitions(Dataset<Row> frame, String table) {
        SparkSession spark = frame.sparkSession();
        String key = "spark.sql.sources.partitionOverwriteMode";
        String before = spark.conf().get(key, "static");
        Column[] inTableOrder = java.util.Arrays.stream(spark.table(table).columns())
                .map(n -> functions.col("`" + n + "`")).toArray(Column[]::new); // insertInto matches by position
        try {
            spark.conf().set(key, "dynamic");
            frame.select(inTableOrder).write().mode(SaveMode.Overwrite).insertInto(table);
        } finally {
            spark.conf().set(key, before);
        }
    }

    /** Reads back what {@link #write} wrote, with the schema it was written with. */
    public static Dataset<Row> readBack(SparkSession spark, OutputSpec output, StructType schema) {
        Column[] columns = java.util.Arrays.stream(schema.fieldNames()).map(n -> functions.col("`" + n + "`")).toArray(Column[]::new);
        if (output.table() != null) {
            return spark.read().table(output.table()).select(columns);
        }
        DataFrameReader r = spark.read().format(output.format().sparkName()).options(output.options());
        if (output.format().isBuiltIn()) {
            r = r.schema(schema).option("header", String.valueOf(output.format() == Format.CSV));
        }
        boolean directory = output.path() != null && (output.format().isBuiltIn() || !output.options().containsKey("dbtable"));
        // Partition columns come back last: the select puts every column where it was written.
        return (directory ? r.load(output.path()) : r.load()).select(columns);
    }
}
