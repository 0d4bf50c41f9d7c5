package tapeline.job.columns;

import java.util.Objects;

/**
 * What the binder needs to know about one input column, without Spark types:
 * {@code new ColumnInfo("x1", ColumnInfo.Kind.SCALAR, "double")}.
 *
 * @param name     the column name
 * @param kind     how the column can be read
 * @param typeName the type as Spark prints it, for messages
 */
public record ColumnInfo(String name, Kind kind, String typeName) {

    /** How a column can feed the cost. */
    public enum Kind {
        /** A number per row: any numeric type, or text (a CSV column with one bad cell is text; each cell is checked). */
        SCALAR,
        /** An array per row (of numbers or text): a vector. */
        ARRAY,
        /** Anything else (struct, map, binary, date ...): cannot feed the cost. */
        OTHER
    }

    public ColumnInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(typeName, "typeName");
    }
}
