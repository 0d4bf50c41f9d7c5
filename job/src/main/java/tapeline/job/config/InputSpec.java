package tapeline.job.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the input is and how to read it: {@code input.path} (a file, directory or glob) or
 * {@code input.table} (a table of Spark's catalog), {@code input.format} and the
 * {@code input.option.<k>} options passed to Spark's reader as given.
 *
 * <pre>{@code
 * new InputSpec("data/seed_coefficients.csv", Format.CSV);                       // a file
 * new InputSpec(null, Format.parse("jdbc"), null, Map.of("url", "jdbc:h2:mem:x", "dbtable", "coefficients"));
 * }</pre>
 *
 * @param path    {@code input.path}, or null when the source needs none (a table, JDBC)
 * @param format  {@code input.format} (for a table: the catalog's, recorded as given or parquet)
 * @param table   {@code input.table}, or null
 * @param options {@code input.option.<k>}, in the config's order
 */
public record InputSpec(String path, Format format, String table, Map<String, String> options) implements Serializable {
    public InputSpec {
        Objects.requireNonNull(format, "format");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A file input with no options. */
    public InputSpec(String path, Format format) {
        this(Objects.requireNonNull(path, "path"), format, null, Map.of());
    }

    /** What the input is, for messages: the path, the table, or the format. */
    public String describe() {
        return table != null ? "table " + table : path != null ? path : format.sparkName() + " source " + options.getOrDefault("dbtable", "");
    }
}
