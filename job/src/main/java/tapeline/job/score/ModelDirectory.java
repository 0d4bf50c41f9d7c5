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
import tapeline.job.RunRecord;
import tapeline.job.config.ConfigException;
import tapeline.job.config.Format;

/**
 * A fitted model's directory, as a train job (or {@code TrainedModel.write()}) leaves it:
 * {@code params/}, {@code history/}, and the run record {@code _tapeline.json}, which says in which
 * format the params were written. A model directory describes itself: a reader is not told the format.
 *
 * <pre>{@code
 * ModelDirectory d = ModelDirectory.open("out/train-linear", null, hadoopConf);  // ConfigException: why not
 * d.paramsDirectory();   // "out/train-linear/params"
 * d.format();            // CSV, as the run record says
 * }</pre>
 *
 * @param root            the train output's directory, or null when {@code params.path} is a bare params directory
 * @param paramsDirectory the directory holding the {@code name, value} rows
 * @param format          the format to read them in: the record's, else the one given, else parquet
 * @param record          the run record, or null when the directory has none
 */
public record ModelDirectory(String root, String paramsDirectory, Format format, JsonNode record) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Finds the params under {@code path} (a train output or its {@code params} directory) and their
     * format. {@code given} is {@code params.format} when set (null otherwise): needed only for a
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
            }
            return new ModelDirectory(root == null ? null : root.toString(), params.toString(), format, record);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(key + ": cannot look at '" + path + "': " + e.getMessage());
        }
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
}
