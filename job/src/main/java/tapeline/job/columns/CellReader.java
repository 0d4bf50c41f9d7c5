package tapeline.job.columns;

import java.io.Serializable;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one cell of an input row as a finite double, or says exactly what is wrong with it.
 *
 * <pre>{@code
 * CellReader cells = new CellReader(schema);        // one per input schema, serialisable
 * double x = cells.read(internalRow, Cell.scalar(1, "x1"), false);
 *     // a string column holding "abc" throws BadCell: "column x1: not a number: 'abc'"
 * }</pre>
 * Accepted: any numeric column (double, float, long, int, short, byte, decimal); text holding a plain
 * decimal number (surrounding spaces ignored); and, where {@code booleans} is set (Keras boolean
 * arguments), booleans and the text true/false. Arrays of any of these, element by element. Rejected, with the column
 * named: a null or empty cell ({@code missing value}), other text ({@code not a number}), NaN and
 * infinities ({@code not finite}), and an array of the wrong length.
 *
 * <p>It reads Spark's internal rows, as the sweep and the train job hand them over: primitives
 * straight from the row, where Spark's external {@code Row}s would box every cell (the per-row cost
 * of a sweep is of the order of 1000 engine steps). Messages are built only for a bad cell.
 */
public final class CellReader implements Serializable {
    private static final long serialVersionUID = 1L;

    // How a column (or an array column's elements) is read from an InternalRow.
    private static final byte DOUBLE = 0, FLOAT = 1, LONG = 2, INT = 3, SHORT = 4, BYTE = 5, DECIMAL = 6,
            STRING = 7, BOOLEAN = 8, ARRAY = 9, OTHER = 10;

    private final DataType[] types;   // by column
    private final byte[] kinds;       // by column
    private final byte[] elementKinds; // by column, for array columns

    /** A reader of internal rows of {@code schema}. */
    public CellReader(StructType schema) {
        int n = schema.fields().length;
        types = new DataType[n];
        kinds = new byte[n];
        elementKinds = new byte[n];
        for (int i = 0; i < n; i++) {
            DataType t = schema.fields()[i].dataType();
            types[i] = t;
            kinds[i] = kind(t);
            elementKinds[i] = t instanceof ArrayType a ? kind(a.elementType()) : OTHER;
        }
    }

    private static byte kind(DataType t) {
        if (t instanceof DoubleType) return DOUBLE;
        if (t instanceof FloatType) return FLOAT;
        if (t instanceof LongType) return LONG;
        if (t instanceof IntegerType) return INT;
        if (t instanceof ShortType) return SHORT;
        if (t instanceof ByteType) return BYTE;
        if (t instanceof DecimalType) return DECIMAL;
        if (t instanceof StringType) return STRING;
        if (t instanceof BooleanType) return BOOLEAN;
        if (t instanceof ArrayType) return ARRAY;
        return OTHER;
    }

    /** The cell's value from an internal row of this reader's schema; the rules of the class comment. */
    public double read(InternalRow row, Cell cell, boolean booleans) throws BadCell {
        int col = cell.column();
        if (row.isNullAt(col)) {
            throw new BadCell("column " + cell.name() + ": missing value");
        }
        if (!cell.isArrayElement()) {
            return number(row, col, kinds[col], types[col], cell, booleans);
        }
        if (kinds[col] != ARRAY) {
            throw new BadCell("column " + cell.name() + ": not an array: " + types[col].simpleString());
        }
        ArrayData a = row.getArray(col);
        if (a.numElements() != cell.length()) {
            throw new BadCell("column " + cell.name() + ": expected an array of " + cell.length()
                    + " elements, got " + a.numElements());
        }
        if (a.isNullAt(cell.element())) {
            throw new BadCell(where(cell) + ": missing value");
        }
        return number(a, cell.element(), elementKinds[col], ((ArrayType) types[col]).elementType(), cell, booleans);
    }

    /**
     * Whether {@code cells} are the elements 0, 1, ..., n-1 of one array column of n elements, in
     * order: such an input is read by {@link #readArray}, the array taken from the row once.
     */
    public static boolean isWholeArray(java.util.List<Cell> cells) {
        if (cells.isEmpty()) return false;
        int col = cells.get(0).column();
        for (int k = 0; k < cells.size(); k++) {
            Cell c = cells.get(k);
            if (!c.isArrayElement() || c.column() != col || c.element() != k || c.length() != cells.size()) return false;
        }
        return true;
    }

    /**
     * Every element of an array column at once ({@link #isWholeArray}): element k into
     * {@code into[k][lane]}. The values and messages are those of {@link #read} on each cell in turn,
     * each distinct message added once to {@code errors} in that order; but the array is taken from
     * the row once, not once per element (an {@code ArrayData} made and its length checked 50 times
     * for a 50-point row).
     *
     * <pre>{@code
     * List<String> errors = cells.readArray(row, plan.inputs().get(0).cells(), columns, lane, null);
     * // null: every element read; else e.g. ["column x, element 3: missing value"]
     * }</pre>
     *
     * @return {@code errors}, made when the first problem is found (null while there is none)
     */
    public java.util.List<String> readArray(InternalRow row, java.util.List<Cell> cells, double[][] into, int lane,
                                            java.util.List<String> errors) {
        Cell first = cells.get(0);
        int col = first.column();
        try {
            // The row-level checks of read(), which every element would fail alike (one message).
            if (row.isNullAt(col)) throw new BadCell("column " + first.name() + ": missing value");
            if (kinds[col] != ARRAY) {
                throw new BadCell("column " + first.name() + ": not an array: " + types[col].simpleString());
            }
        } catch (BadCell e) {
            return add(errors, e.getMessage());
        }
        ArrayData a = row.getArray(col);
        if (a.numElements() != first.length()) {
            return add(errors, "column " + first.name() + ": expected an array of " + first.length()
                    + " elements, got " + a.numElements());
        }
        byte kind = elementKinds[col];
        DataType type = ((ArrayType) types[col]).elementType();
        int n = cells.size();
        if (kind == DOUBLE) {
            // The common case (Parquet, JSON): no dispatch per element; a bad element takes the general path.
            for (int k = 0; k < n; k++) {
                double d;
                if (!a.isNullAt(k) && Double.isFinite(d = a.getDouble(k))) into[k][lane] = d;
                else errors = element(a, k, kind, type, cells.get(k), into, lane, errors);
            }
            return errors;
        }
        for (int k = 0; k < n; k++) errors = element(a, k, kind, type, cells.get(k), into, lane, errors);
        return errors;
    }

    private static java.util.List<String> element(ArrayData a, int k, byte kind, DataType type, Cell cell,
                                                  double[][] into, int lane, java.util.List<String> errors) {
        try {
            if (a.isNullAt(k)) throw new BadCell(where(cell) + ": missing value");
            into[k][lane] = number(a, k, kind, type, cell, false);
            return errors;
        } catch (BadCell e) {
            return add(errors, e.getMessage());
        }
    }

    private static java.util.List<String> add(java.util.List<String> errors, String message) {
        if (errors == null) errors = new java.util.ArrayList<>(2);
        if (!errors.contains(message)) errors.add(message);
        return errors;
    }

    /** Value {@code i} of a row or an array, of the given kind; messages built only for a bad cell. */
    private static double number(SpecializedGetters g, int i, byte kind, DataType type, Cell cell, boolean booleans)
            throws BadCell {
        double d;
        switch (kind) {
            case DOUBLE -> d = g.getDouble(i);
            case FLOAT -> d = g.getFloat(i);
            case LONG -> d = g.getLong(i);
            case INT -> d = g.getInt(i);
            case SHORT -> d = g.getShort(i);
            case BYTE -> d = g.getByte(i);
            case DECIMAL -> {
                DecimalType t = (DecimalType) type;
                d = g.getDecimal(i, t.precision(), t.scale()).toDouble();
            }
            case STRING -> {
                return text(g.getUTF8String(i).toString(), cell, booleans);
            }
            case BOOLEAN -> {
                return bool(g.getBoolean(i), cell, booleans);
            }
            default -> throw new BadCell(where(cell) + ": not a number: a " + type.simpleString());
        }
        if (!Double.isFinite(d)) {
            throw new BadCell(where(cell) + ": not finite: " + d);
        }
        return d;
    }

    private static String where(Cell cell) {
        return cell.isArrayElement() ? "column " + cell.name() + ", element " + cell.element() : "column " + cell.name();
    }

    /** Plain decimal text. Java's parseDouble alone would also take "1f", "0x1p3" and "Infinity". */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    /** A bad cell. No stack trace: bad rows are data, not bugs, and may be many. */
    public static final class BadCell extends Exception {
        BadCell(String message) {
            super(message, null, false, false);
        }
    }

    /** A text cell: a plain decimal number, or true/false where {@code booleans} is set. */
    private static double text(String s, Cell cell, boolean booleans) throws BadCell {
        String t = s.trim();
        if (t.isEmpty()) {
            throw new BadCell(where(cell) + ": missing value");
        } else if (NUMBER.matcher(t).matches()) {
            double d = Double.parseDouble(t);
            if (!Double.isFinite(d)) {
                throw new BadCell(where(cell) + ": not finite: " + t); // "1e400" overflows to infinity
            }
            return d;
        } else if (NON_FINITE.matcher(t).matches()) {
            throw new BadCell(where(cell) + ": not finite: " + t);
        } else if (booleans && (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false"))) {
            return t.equalsIgnoreCase("true") ? 1 : 0;
        }
        throw new BadCell(where(cell) + ": not a number: '" + abbreviate(t) + "'" + (t.startsWith("[")
                ? " (text like an array: CSV has no arrays: use JSON or Parquet, or a column per element)" : ""));
    }

    /** A boolean cell: 1 or 0 where {@code booleans} is set, else not a number. */
    private static double bool(boolean b, Cell cell, boolean booleans) throws BadCell {
        if (!booleans) {
            throw new BadCell(where(cell) + ": not a number: '" + b + "'");
        }
        return b ? 1 : 0;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
