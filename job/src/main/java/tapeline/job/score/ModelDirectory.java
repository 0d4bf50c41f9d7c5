package tapeline.job.score;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import tapeline.engine.train.ParameterErrors;
import tapeline.job.RunRecord;
import tapeline.job.config.ConfigException;
import tapeline.job.config.Format;

/**
 * A fitted model's directory, as a train job (or {@code TrainedModel.write()}) leaves it:
 * {@code params/}, {@code history/}, and the run record {@code _tapeline.json}, which says in which
 * format the params were written; or as a grouped train ({@code group.by}) leaves it: one row per
 * group in the directory itself, next to its record, which also says the {@code group.by} columns.
 * A model directory describes itself: a reader is not told the format.
 *
 * <pre>{@code
 * ModelDirectory d = ModelDirectory.open("out/train-linear", null, hadoopConf);  // ConfigException: why not
 * d.paramsDirectory();   // "out/train-linear/params"
 * d.format();            // CSV, as the run record says
 * }</pre>
 *
 * @param root            the train output's directory, or null when {@code params.path} is a bare params directory
 * @param paramsDirectory the directory holding the {@code name, value} rows (a grouped train's: the rows by group,
 *                        the same as {@code root})
 * @param format          the format to read them in: the record's, else the one given, else parquet
 * @param record          the run record, or null when the directory has none
 */
public record ModelDirectory(String root, String paramsDirectory, Format format, JsonNode record) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Finds the params under {@code path} (a train output, its {@code params} directory, or a grouped
     * train's output) and their format. {@code given} is {@code params.format} when set (null otherwise): needed only for a
     * directory without a record, and a config error when it contradicts the record.
     *
     * @throws ConfigException naming {@code key}: nothing there, a record that is not a train's or is damaged, a
     *     format that contradicts the record (with the files found)
     */
    public static ModelDirectory open(String key, String path, Format given, Configuration hadoop) throws ConfigException {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(hadoop);
            if (!fs.exists(p)) {
                throw new ConfigException(key + ": nothing at '" + path + "' (" + fs.makeQualified(p)
                        + "); give a train job's output.path or its params directory");
            }
            Path root;
            Path params;
            if (fs.exists(new Path(p, "params"))) {
                root = p;
                params = new Path(p, "params");
            } else if (p.getName().equals("params") && p.getParent() != null
                    && fs.exists(new Path(p.getParent(), RunRecord.FILE))) {
                root = p.getParent();
                params = p;
            } else if (fs.exists(new Path(p, RunRecord.FILE))) {
                root = p; // a grouped train's layout (or another job's output: the record says which)
                params = p;
            } else {
                root = null;
                params = p;
            }
            JsonNode record = null;
            Format format = given == null ? Format.PARQUET : given;
            if (root != null && fs.exists(new Path(root, RunRecord.FILE))) {
                Path file = new Path(root, RunRecord.FILE);
                record = readRecord(key, fs, file);
                String job = record.path("job").asText("");
                if (!job.equals("train")) {
                    throw new ConfigException(key + ": '" + root + "' is the output of " + (job.isEmpty() ? "no tapeline job"
                            : "a " + job + " job") + " (" + file + " says so), not of a train job: it holds no fitted parameters");
                }
                String status = record.path("status").asText("");
                if (!status.equals("succeeded")) {
                    throw new ConfigException(key + ": the train run in '" + root + "' did not succeed (" + file
                            + " says status '" + status + "'): its params are not a fitted model");
                }
                String written = record.path("output").path("format").asText("");
                Format recorded;
                try {
                    recorded = Format.parse(written);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(key + ": " + file + " names no format its params were written in"
                            + " (output.format is '" + written + "'): the record is damaged");
                }
                if (given != null && given != recorded) {
                    throw new ConfigException("params.format: is " + given.sparkName() + ", but " + file
                            + " says the params were written as " + recorded.sparkName() + " (files in " + params + ": "
                            + files(fs, params) + "); leave params.format unset: the directory says its format");
                }
                format = recorded;
                boolean grouped = isGrouped(record);
                // A grouped model saved by tapeline.ml keeps its rows under params/: Spark ML's metadata/ beside
                // the rows would make the directory unreadable as one table.
                boolean savedModel = grouped && !params.equals(root) && fs.exists(new Path(root, "metadata"));
                if (!savedModel && grouped == !params.equals(root)) {
                    throw new ConfigException(key + ": " + file + " says a train " + (grouped
                            ? "by group (group.by = " + record.path("config").path("group.by").asText() + "), whose rows are in '"
                            + root + "' itself, but there is a params directory in it" : "without group.by, whose parameters are in '"
                            + new Path(root, "params") + "', but there is none") + " (files in " + root + ": "
                            + files(fs, root) + "): the directory is damaged or not as that run left it");
                }
            }
            return new ModelDirectory(root == null ? null : root.toString(), params.toString(), format, record);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(key + ": cannot look at '" + path + "': " + e.getMessage());
        }
    }

    /** Whether the record is a grouped train's ({@code group.by} in its config): one row of parameters per group. */
    public boolean grouped() {
        return record != null && isGrouped(record);
    }

    /** The {@code group.by} columns of a grouped train's record, in its order; empty for any other directory. */
    public List<String> groupBy() {
        if (!grouped()) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        for (String k : record.path("config").path("group.by").asText().split(",")) {
            keys.add(k.trim());
        }
        return List.copyOf(keys);
    }

    /** The run record's file, or null when the directory has none. */
    public String recordFile() {
        return record == null ? null : new Path(root, RunRecord.FILE).toString();
    }

    /**
     * The parameters' rows as a frame, read in {@link #format()} (CSV with its header and inferred types).
     *
     * @throws ConfigException naming {@code params.path}, the format and the files found, when Spark cannot read them
     */
    public Dataset<Row> read(SparkSession spark) throws ConfigException {
        try {
            return reader(spark, format).load(paramsDirectory);
        } catch (Exception e) { // Spark's AnalysisException (no files to read) is checked, though undeclared
            throw cannotRead(spark, grouped() ? "a grouped train's parameters" : "parameters", e);
        }
    }

    /** Spark's reader for parameters in {@code format}: CSV with its header and inferred types. */
    public static DataFrameReader reader(SparkSession spark, Format format) {
        DataFrameReader r = spark.read().format(format.sparkName());
        return format == Format.CSV ? r.option("header", "true").option("inferSchema", "true") : r;
    }

    /** Why the parameters cannot be read: {@link #cannotRead(SparkSession, String, String, Format, String, Exception)} here. */
    public ConfigException cannotRead(SparkSession spark, String what, Exception e) {
        return cannotRead(spark, what, paramsDirectory, format, whence(), e);
    }

    /** Where {@link #format()} came from, for messages: the record, else {@code params.format} (or its default). */
    public String whence() {
        return record != null ? "as " + recordFile() + " says" : "params.format";
    }

    /**
     * Why {@code what} in {@code dir} cannot be read as {@code format}: a config error naming
     * {@code params.path}, the format and {@code whence} it came, the files found, and Spark's first line
     * (the cause of a {@code CANNOT_READ}: "is not a Parquet file" says more than "could not read footer").
     */
    public static ConfigException cannotRead(SparkSession spark, String what, String dir, Format format, String whence,
                                             Exception e) {
        Throwable t = e;
        // Down to the cause that says what is wrong: past CANNOT_READ and the wrapper of an awaited future.
        while (t.getCause() != null && t.getCause() != t && t.getMessage() != null && (t.getMessage().contains("CANNOT_READ")
                || t.getMessage().startsWith("Exception thrown in awaitResult"))) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage());
        return new ConfigException("params.path: cannot read " + what + " from '" + dir + "' as " + format.sparkName()
                + " (" + whence + "; files there: " + files(dir, spark.sparkContext().hadoopConfiguration()) + "): "
                + (m.indexOf('\n') < 0 ? m : m.substring(0, m.indexOf('\n'))));
    }

    private static boolean isGrouped(JsonNode record) {
        return !record.path("config").path("group.by").asText("").isBlank();
    }

    /** The record's JSON; anything else is a config error naming the file. */
    private static JsonNode readRecord(String key, FileSystem fs, Path file) throws ConfigException, IOException {
        try (InputStream in = fs.open(file)) {
            JsonNode n = JSON.readTree(in);
            if (n == null || !n.isObject() || !n.has("record_version")) {
                throw new ConfigException(key + ": " + file + " is not a tapeline run record (no record_version)");
            }
            if (n.get("record_version").asInt() > RunRecord.VERSION) {
                throw new ConfigException(key + ": " + file + " has record_version " + n.get("record_version")
                        + ", newer than this tapeline reads (" + RunRecord.VERSION + ")");
            }
            return n;
        } catch (org.apache.hadoop.fs.ChecksumException e) {
            throw new ConfigException(key + ": " + file + " is damaged (its checksum does not match: " + e.getMessage() + ")");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(key + ": " + file + " is not a readable run record (damaged JSON: "
                    + e.getOriginalMessage() + ")");
        }
    }

    /** The names of the data files in a directory (hidden and {@code _} files left out), for messages. */
    public static List<String> files(FileSystem fs, Path dir) {
        List<String> names = new ArrayList<>();
        try {
            for (FileStatus s : fs.listStatus(dir)) {
                String n = s.getPath().getName();
                if (!n.startsWith("_") && !n.startsWith(".")) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            names.add("(cannot list: " + e.getMessage() + ")");
        }
        names.sort(null);
        return names.size() <= 5 ? names : List.copyOf(names.subList(0, 5)) ;
    }

    /** {@link #files(FileSystem, Path)} by path. */
    public static List<String> files(String dir, Configuration hadoop) {
        try {
            Path p = new Path(dir);
            return files(p.getFileSystem(hadoop), p);
        } catch (IOException e) {
            return List.of("(cannot list: " + e.getMessage() + ")");
        }
    }

    /**
     * The standard errors this train output holds ({@code stderr = true}: the params' {@code se} column and
     * {@code covariance/} beside them, in the directory's format, as the train job writes them), or null
     * when it has none; read here, beside the params, for {@code TrainedModel.load}. A null
     * {@code se} (a fit without them) is NaN with the record's {@code train.standard_errors.reason}.
     */
    public ParameterErrors standardErrors(SparkSession spark, List<String> names) throws IOException {
        Dataset<Row> params = reader(spark, format).load(paramsDirectory);
        if (!List.of(params.schema().fieldNames()).contains("se")) {
            return null;
        }
        int p = names.size();
        double[] se = new double[p];
        double[][] cov = new double[p][p];
        java.util.Arrays.fill(se, Double.NaN);
        for (double[] row : cov) java.util.Arrays.fill(row, Double.NaN);
        for (Row r : params.select("name", "se").collectAsList()) {
            int k = names.indexOf(r.getString(0));
            if (k >= 0) se[k] = number(r, 1);
        }
        // Beside params/, as the train job writes it (a bare params directory: beside it too).
        Path covariance = new Path(new Path(paramsDirectory).getParent(), "covariance");
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (covariance.getFileSystem(hadoop).exists(covariance)) {
            Dataset<Row> c = reader(spark, format).load(covariance.toString());
            List<String> columns = List.of(c.schema().fieldNames());
            for (Row r : c.collectAsList()) {
                int i = names.indexOf(r.getString(columns.indexOf("name")));
                for (int j = 0; i >= 0 && j < p; j++) {
                    int at = columns.indexOf(names.get(j));
                    if (at >= 0) cov[i][j] = number(r, at);
                }
            }
        }
        JsonNode why = record == null ? null : record.path("train").path("standard_errors").path("reason");
        String reason = why != null && why.isTextual() ? why.asText() : null;
        boolean complete = java.util.Arrays.stream(se).noneMatch(Double::isNaN);
        if (reason == null && !complete) {
            reason = "no standard errors in " + paramsDirectory + " (its se column has nulls)";
        }
        return new ParameterErrors(se, cov, complete ? null : reason);
    }

    /** A number cell: null as NaN, a CSV's all-null column (read as text) too. */
    private static double number(Row r, int i) {
        if (r.isNullAt(i)) return Double.NaN;
        Object v = r.get(i);
        return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
    }
}
