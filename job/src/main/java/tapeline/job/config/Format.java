package tapeline.job.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A file format Spark reads and writes. {@code Format.parse("csv")} is {@link #CSV};
 * {@code Format.fromPath("data/x.parquet")} is {@code Optional.of(PARQUET)}.
 */
public enum Format {
    CSV, PARQUET, JSON, ORC;

    /** The name Spark's {@code DataFrameReader.format} expects. */
    public String sparkName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a column may hold an array (CSV cannot: vectors become one column per component). */
    public boolean hasArrays() {
        return this != CSV;
    }

    /** @throws IllegalArgumentException naming the value and the accepted ones */
    public static Format parse(String s) {
        for (Format f : values()) {
            if (f.sparkName().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("expected one of " + names() + ", got '" + s + "'");
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
        for (Format f : values()) {
            if (p.endsWith("." + f.sparkName())) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    static String names() {
        return Arrays.stream(values()).map(Format::sparkName).collect(Collectors.joining(", "));
    }
}
