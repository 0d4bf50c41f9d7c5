package tapeline.job.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
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

    /** Problems with writing to the output path; empty when fine. Looks, never changes anything. */
    public static List<String> check(SparkSession spark, OutputSpec output, InputSpec input) {
        List<String> problems = new ArrayList<>();
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
            if (output.mode() == OutputMode.OVERWRITE && input != null) {
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
     */
    public static void write(Dataset<Row> frame, OutputSpec output, List<String> continuous) {
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
        w.save(output.path());
    }

    /** Reads back what {@link #write} wrote, with the schema it was written with. */
    public static Dataset<Row> readBack(SparkSession spark, OutputSpec output, StructType schema) {
        return spark.read().format(output.format().sparkName()).schema(schema)
                .option("header", String.valueOf(output.format() == Format.CSV))
                .load(output.path());
    }
}
