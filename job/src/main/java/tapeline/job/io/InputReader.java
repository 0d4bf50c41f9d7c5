package tapeline.job.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.DataSource$;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import tapeline.job.config.ConfigException;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.columns.ColumnInfo;

/**
 * Reads a job's input: {@code InputReader.read(spark, new InputSpec("data/x.csv", Format.CSV))}: a path
 * or a catalog table, in any data source Spark can load, with the config's {@code input.option.*}.
 * CSV has a header row and its column types are inferred (an extra pass over the file): a column of
 * numbers becomes numeric, a column with one bad cell stays text and is checked cell by cell later.
 */
public final class InputReader {
    private InputReader() {}

    /**
     * Problems with the input, found without reading any data; empty when fine: a format Spark does
     * not know, a table the catalog does not have, nothing at the path.
     */
    public static List<String> check(SparkSession spark, InputSpec input) {
        List<String> problems = new ArrayList<>();
        if (input.table() != null) {
            try {
                if (!spark.catalog().tableExists(input.table())) {
                    problems.add("input.table: Spark's catalog has no table '" + input.table() + "'");
                }
            } catch (RuntimeException e) {
                problems.add("input.table: cannot look up '" + input.table() + "': " + firstLine(e));
            }
            return problems;
        }
        unknownSource(spark, "input.format", input.format()).ifPresent(problems::add);
        if (input.path() == null) {
            return problems;
        }
        try {
            Path p = new Path(input.path());
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            FileStatus[] found = fs.globStatus(p); // a plain path or a glob such as data/part-*.csv
            if (found == null || found.length == 0) {
                problems.add("input.path: nothing at '" + input.path() + "' (" + fs.makeQualified(p) + ")");
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add("input.path: cannot look at '" + input.path() + "': " + e.getMessage());
        }
        return problems;
    }

    /**
     * A problem naming {@code key} when Spark cannot load a data source of this name (its jar is not
     * on the class path, or the name is misspelt); empty for the built-in four and any source Spark finds.
     */
    public static Optional<String> unknownSource(SparkSession spark, String key, Format format) {
        if (format.isBuiltIn()) {
            return Optional.empty();
        }
        try {
            DataSource$.MODULE$.lookupDataSource(format.sparkName(), spark.sessionState().conf());
            return Optional.empty();
        } catch (Exception | LinkageError e) { // Spark's SparkClassNotFoundException, or a class that is not a source
            return Optional.of(key + ": Spark has no data source '" + format.sparkName() + "' on its class path"
                    + " (built in: " + Format.names() + "; others, such as avro, delta, iceberg or jdbc's driver,"
                    + " need their jars: spark.jars.packages on a cluster, job/target/lib for an embedded run)");
        }
    }

    /** The input as a DataFrame; lazy except for CSV schema inference. {@code input.option.*} come last, so they win. */
    public static Dataset<Row> read(SparkSession spark, InputSpec input) {
        if (input.table() != null) {
            return spark.read().options(input.options()).table(input.table());
        }
        DataFrameReader r = spark.read().format(input.format().sparkName());
        if (input.format() == Format.CSV) {
            r = r.option("header", "true").option("inferSchema", "true");
        }
        r = r.options(input.options());
        return input.path() == null ? r.load() : r.load(input.path());
    }

    /** The binder's view of a schema: which columns can feed the cost, and how. */
    public static List<ColumnInfo> columns(StructType schema) {
        List<ColumnInfo> out = new ArrayList<>();
        for (StructField f : schema.fields()) {
            out.add(new ColumnInfo(f.name(), kind(f.dataType()), f.dataType().simpleString()));
        }
        return out;
    }

    private static ColumnInfo.Kind kind(DataType t) {
        if (isAtomicNumberLike(t)) {
            return ColumnInfo.Kind.SCALAR;
        }
        if (t instanceof ArrayType a && isAtomicNumberLike(a.elementType())) {
            return ColumnInfo.Kind.ARRAY;
        }
        return ColumnInfo.Kind.OTHER;
    }

    private static boolean isAtomicNumberLike(DataType t) {
        // Text and booleans are accepted here and judged per cell (text "1.5" is a number; booleans
        // are fine only for Keras boolean arguments).
        return t instanceof NumericType || t instanceof StringType || t instanceof BooleanType;
    }

    /**
     * The second validation round's start, for every job: when the first round found problems they are
     * thrown with the output's; otherwise the input is read for its schema, and an input Spark cannot
     * read is thrown the same way.
     *
     * @param job            the Spark job description's prefix ({@code "tapeline train"})
     * @param problems       the first round's problems about the input (added to)
     * @param outputProblems the output's problems, reported after the input's
     * @throws ConfigException with every problem found
     */
    public static Dataset<Row> readChecked(SparkSession spark, InputSpec input, String job, List<String> problems,
                                           List<String> outputProblems) throws ConfigException {
        if (!problems.isEmpty()) {
            problems.addAll(outputProblems);
            throw new ConfigException(problems);
        }
        spark.sparkContext().setJobDescription(job + ": read the schema of " + input.describe());
        try {
            return read(spark, input);
        } catch (RuntimeException e) {
            // Spark's AnalysisException (e.g. a file that is not parquet) says what is wrong; keep its first line.
            problems.add(unreadable(input, e));
            problems.addAll(outputProblems);
            throw new ConfigException(problems);
        }
    }

    /** A config problem for an input Spark could not read: its first line says what is wrong. */
    public static String unreadable(InputSpec input, RuntimeException e) {
        if (input.table() != null) {
            return "input.table: cannot read '" + input.table() + "': " + firstLine(e);
        }
        if (input.path() == null) {
            return "input.format: cannot read the " + input.format().sparkName() + " source (input.option.*): " + firstLine(e);
        }
        return "input.path: cannot read '" + input.path() + "' as " + input.format().sparkName() + ": " + firstLine(e);
    }

    /** The first line of an exception's message (Spark's carry a plan after it). */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        return m == null ? "(no message)" : m.indexOf('\n') < 0 ? m : m.substring(0, m.indexOf('\n'));
    }

    /**
     * For a CSV file input, the first non-null value of a text column as the binder asks for it
     * (one small Spark job per text column the cost reads); for any other input, {@link ColumnBinder#NOT_CSV}.
     */
    public static java.util.function.Function<String, String> csvText(Dataset<Row> input, InputSpec spec) {
        if (spec.table() != null || spec.format() != Format.CSV) {
            return tapeline.job.columns.ColumnBinder.NOT_CSV;
        }
        return column -> {
            org.apache.spark.sql.Column c = org.apache.spark.sql.functions.col("`" + column + "`");
            List<Row> first = input.select(c).where(c.isNotNull()).limit(1).collectAsList();
            return first.isEmpty() ? null : String.valueOf(first.get(0).get(0));
        };
    }

    /** The length of the first non-null array in the column, or -1 when there is none. */
    public static int arrayLength(Dataset<Row> input, String column) {
        // A vector from Spark ML (VectorAssembler) carries its size in its column's metadata: no job to run.
        org.apache.spark.sql.types.Metadata meta = input.schema().apply(column).metadata();
        if (meta.contains("ml_attr") && meta.getMetadata("ml_attr").contains("num_attrs")) {
            return (int) meta.getMetadata("ml_attr").getLong("num_attrs");
        }
        List<Row> first = input.select(org.apache.spark.sql.functions.size(org.apache.spark.sql.functions.col("`" + column + "`")))
                .where(org.apache.spark.sql.functions.col("`" + column + "`").isNotNull()).limit(1).collectAsList();
        return first.isEmpty() ? -1 : first.get(0).getInt(0);
    }
}
