package tapeline.job.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where the output goes: {@code output.path} and/or {@code output.table}, {@code output.format},
 * {@code output.mode}, {@code output.partitionBy} and the {@code output.option.<k>} options passed
 * to Spark's writer as given.
 *
 * <pre>{@code
 * new OutputSpec("out/seed-sweep", Format.PARQUET, OutputMode.ERROR);
 * new OutputSpec("out/daily", Format.PARQUET, OutputMode.OVERWRITE, null, List.of("day"), Map.of());
 * }</pre>
 *
 * @param path        {@code output.path}: the directory written (and where the run record goes); for a
 *                    table, its location (null: the catalog's); for a source that is not a directory
 *                    (JDBC), only the run record's directory; may be null then
 * @param format      {@code output.format}
 * @param mode        {@code output.mode}
 * @param table       {@code output.table}, or null
 * @param partitionBy {@code output.partitionBy}: columns to partition the files by (empty: none)
 * @param options     {@code output.option.<k>}, in the config's order
 */
public record OutputSpec(String path, Format format, OutputMode mode, String table, List<String> partitionBy,
                         Map<String, String> options) implements Serializable {
    public OutputSpec {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(mode, "mode");
        partitionBy = List.copyOf(partitionBy);
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        if (path == null && table == null && format.isBuiltIn()) {
            throw new IllegalArgumentException("a " + format + " output needs a path or a table");
        }
    }

    /** A plain directory output. */
    public OutputSpec(String path, Format format, OutputMode mode) {
        this(Objects.requireNonNull(path, "path"), format, mode, null, List.of(), Map.of());
    }

    /** The same output under another directory (the train job's {@code params}, {@code history}). */
    public OutputSpec under(String subdirectory) {
        return new OutputSpec(path + "/" + subdirectory, format, mode, null, partitionBy, options);
    }

    /** What the output is, for messages: the table or the path. */
    public String describe() {
        return table != null ? "table " + table : path != null ? path : format.sparkName() + " " + options.getOrDefault("dbtable", "");
    }
}
