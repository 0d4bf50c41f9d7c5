package tapeline.job.config;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Spark data source: one of the four built in ({@link #CSV}, {@link #PARQUET}, {@link #JSON},
 * {@link #ORC}, which tapeline knows how to read and write well: CSV headers, JSON nulls, Parquet
 * dictionaries), or any other short name or class Spark can load ({@code avro}, {@code jdbc},
 * {@code delta}, {@code org.example.MySource}), passed to Spark as given. Whether Spark knows such a
 * name is checked against the running session ({@code InputReader.check}), not here.
 *
 * <pre>{@code
 * Format.parse("csv") == Format.CSV;            // the built-in instance
 * Format.parse("avro").sparkName();             // "avro", isBuiltIn() false
 * Format.fromPath("data/x.parquet");            // Optional.of(PARQUET)
 * }</pre>
 */
public final class Format implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final Format CSV = new Format("csv");
    public static final Format PARQUET = new Format("parquet");
    public static final Format JSON = new Format("json");
    public static final Format ORC = new Format("orc");

    private static final List<Format> BUILT_IN = List.of(CSV, PARQUET, JSON, ORC);
    /** A short name ({@code avro}) or a class name ({@code org.apache.spark.sql.avro.AvroFileFormat}). */
    private static final Pattern SOURCE = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_$-]*)*");

    private final String name;

    private Format(String name) {
        this.name = name;
    }

    /** The name Spark's {@code DataFrameReader.format} expects. */
    public String sparkName() {
        return name;
    }

    /** One of csv, parquet, json, orc. */
    public boolean isBuiltIn() {
        return BUILT_IN.contains(this);
    }

    /** Whether a column may hold an array (CSV cannot: vectors become one column per component). */
    public boolean hasArrays() {
        return this != CSV;
    }

    /** The four built in, in the order the README lists them. */
    public static List<Format> values() {
        return BUILT_IN;
    }

    /**
     * A built-in format by name (any case), or any other data source name as given.
     *
     * @throws IllegalArgumentException for text that cannot be a source name, naming the value and the built-in ones
     */
    public static Format parse(String s) {
        String t = s.trim();
        for (Format f : BUILT_IN) {
            if (f.name.equals(t.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        if (!SOURCE.matcher(t).matches()) {
            throw new IllegalArgumentException("expected one of " + names()
                    + " or a Spark data source's short name or class, got '" + s + "'");
        }
        return new Format(t);
    }

    /** The format a path's extension names ({@code .csv}, {@code .parquet}, {@code .json}/{@code .jsonl}, {@code .orc}). */
    public static Optional<Format> fromPath(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.endsWith(".jsonl") || p.endsWith(".ndjson")) {
            return Optional.of(JSON);
        }
        for (Format f : BUILT_IN) {
            if (p.endsWith("." + f.sparkName())) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The built-in names, for messages: "csv, parquet, json, orc". */
    public static String names() {
        return BUILT_IN.stream().map(Format::sparkName).collect(Collectors.joining(", "));
    }

    /** Keeps the built-in instances unique across serialisation, so {@code ==} stays right in a task. */
    private Object readResolve() {
        for (Format f : BUILT_IN) {
            if (f.name.equals(name)) {
                return f;
            }
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Format f && f.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
