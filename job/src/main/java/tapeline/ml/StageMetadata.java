package tapeline.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * A stage's {@code metadata} directory, in the shape Spark ML's {@code DefaultParamsWriter} writes
 * (one JSON line in {@code metadata/part-00000}: {@code class}, {@code timestamp}, {@code sparkVersion},
 * {@code uid}, {@code paramMap}, {@code defaultParamMap}), so that a {@code Pipeline} or
 * {@code PipelineModel} reader finds the stage's class and calls its static {@code read()}. Written and
 * read here with Jackson rather than through Spark's Scala helpers, whose signatures differ between
 * Spark 3 and 4.
 */
final class StageMetadata {
    static final String DIR = "metadata";
    private static final ObjectMapper JSON = new ObjectMapper();

    private StageMetadata() {}

    /** Writes {@code path/metadata}: the stage's class, uid and every Param set or defaulted (Spark's JSON). */
    static void write(Params stage, String path, String sparkVersion, Configuration hadoop) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("class", stage.getClass().getName());
        m.put("timestamp", System.currentTimeMillis());
        m.put("sparkVersion", sparkVersion);
        m.put("uid", stage.uid());
        m.set("paramMap", params(stage, true));
        m.set("defaultParamMap", params(stage, false));
        Path dir = new Path(path, DIR);
        FileSystem fs = dir.getFileSystem(hadoop);
        fs.mkdirs(dir);
        try (OutputStream o = fs.create(new Path(dir, "part-00000"), true)) {
            o.write((JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        fs.create(new Path(dir, "_SUCCESS"), true).close();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ObjectNode params(Params stage, boolean set) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        for (Param p : stage.params()) { // a Java array: no Scala collection, the same on 2.12 and 2.13
            boolean isSet = stage.isSet(p);
            if (set ? isSet : !isSet && stage.hasDefault(p)) {
                n.set(p.name(), JSON.readTree(p.jsonEncode(stage.getOrDefault(p))));
            }
        }
        return n;
    }

    /** Whether {@code path} has a {@code metadata} directory. */
    static boolean exists(String path, Configuration hadoop) throws IOException {
        Path dir = new Path(path, DIR);
        return dir.getFileSystem(hadoop).exists(dir);
    }

    /**
     * Reads {@code path/metadata}; checks it is {@code expected}'s.
     *
     * @throws IllegalArgumentException naming the file: not Spark ML metadata, or another class's
     */
    static JsonNode read(String path, Class<?> expected, Configuration hadoop) throws IOException {
        Path dir = new Path(path, DIR);
        FileSystem fs = dir.getFileSystem(hadoop);
        JsonNode m = null;
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.getPath().getName().startsWith("part-")) {
                try (InputStream in = fs.open(s.getPath())) {
                    m = JSON.readTree(in);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(s.getPath() + " is not a stage's metadata (damaged JSON: "
                            + e.getOriginalMessage() + ")");
                }
                break;
            }
        }
        if (m == null || !m.has("class") || !m.has("uid")) {
            throw new IllegalArgumentException(dir + " holds no stage metadata (class, uid)");
        }
        if (!m.get("class").asText().equals(expected.getName())) {
            throw new IllegalArgumentException(dir + " is the metadata of a " + m.get("class").asText() + ", not of a "
                    + expected.getName());
        }
        return m;
    }

    /** Sets on {@code stage} every Param of the metadata's {@code paramMap} (a name it does not have is an error). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void setParams(Params stage, JsonNode metadata, ParamSetter setter) throws IOException {
        JsonNode map = metadata.path("paramMap");
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!stage.hasParam(e.getKey())) {
                throw new IllegalArgumentException("the metadata sets '" + e.getKey() + "', which a "
                        + stage.getClass().getSimpleName() + " does not have; it has " + names(stage));
            }
            Param p = stage.getParam(e.getKey());
            setter.set(p, p.jsonDecode(JSON.writeValueAsString(e.getValue())));
        }
    }

    /** A stage's own {@code set}, which Spark keeps protected. */
    @FunctionalInterface
    interface ParamSetter {
        void set(Param<Object> param, Object value);
    }

    private static String names(Params stage) {
        StringBuilder s = new StringBuilder("[");
        Param<?>[] ps = stage.params();
        for (int i = 0; i < ps.length; i++) {
            s.append(i == 0 ? "" : ", ").append(ps[i].name());
        }
        return s.append(']').toString();
    }
}
