package tapeline.job.sweep;

import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;

/**
 * Reads one cell of an input row as a finite double, or says exactly what is wrong with it.
 *
 * <pre>{@code
 * CellReader.read(RowFactory.create(1, "abc"), Cell.scalar(1, "x1"), false)
 *     // throws BadCell: "column x1: not a number: 'abc'"
 * }</pre>
 * Accepted: any Java number; text holding a plain decimal number (surrounding spaces ignored); and,
 * where {@code booleans} is set (Keras boolean arguments), true/false/1/0. Rejected, with the column
 * named: a null or empty cell ({@code missing value}), other text ({@code not a number}), NaN and
 * infinities ({@code not finite}), and an array of the wrong length.
 */
public final class CellReader {
    private CellReader() {}

    /** Plain decimal text. Java's parseDouble alone would also take "1f", "0x1p3" and "Infinity". */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    /** A bad cell. No stack trace: bad rows are data, not bugs, and may be many. */
    public static final class BadCell extends Exception {
        BadCell(String message) {
            super(message, null, false, false);
        }
    }

    /** The cell's value; see the class comment for what is accepted. */
    public static double read(Row row, Cell cell, boolean booleans) throws BadCell {
        Object v;
        String where;
        if (cell.isArrayElement()) {
            if (row.isNullAt(cell.column())) {
                throw new BadCell("column " + cell.name() + ": missing value");
            }
            List<?> list = elements(row.get(cell.column()));
            if (list.size() != cell.length()) {
                throw new BadCell("column " + cell.name() + ": expected an array of " + cell.length()
                        + " elements, got " + list.size());
            }
            v = list.get(cell.element());
            where = "column " + cell.name() + ", element " + cell.element();
        } else {
            v = row.isNullAt(cell.column()) ? null : row.get(cell.column());
            where = "column " + cell.name();
        }
        return value(v, where, booleans);
    }

    /** Spark hands arrays over as Scala sequences; rows built by hand may hold Java lists or arrays. */
    private static List<?> elements(Object array) {
        if (array instanceof scala.collection.Seq<?> seq) {
            return scala.collection.JavaConverters.seqAsJavaList(seq);
        } else if (array instanceof List<?> list) {
            return list;
        } else if (array instanceof Object[] a) {
            return java.util.Arrays.asList(a);
        }
        throw new IllegalArgumentException("not an array: " + array.getClass().getName());
    }

    static double value(Object v, String where, boolean booleans) throws BadCell {
        double d;
        if (v == null) {
            throw new BadCell(where + ": missing value");
        } else if (v instanceof Number n) {
            d = n.doubleValue();
        } else if (v instanceof Boolean b && booleans) {
            d = b ? 1 : 0;
        } else if (v instanceof String s) {
            String t = s.trim();
            if (t.isEmpty()) {
                throw new BadCell(where + ": missing value");
            } else if (NUMBER.matcher(t).matches()) {
                d = Double.parseDouble(t);
            } else if (NON_FINITE.matcher(t).matches()) {
                throw new BadCell(where + ": not finite: " + t);
            } else if (booleans && (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false"))) {
                d = t.equalsIgnoreCase("true") ? 1 : 0;
            } else {
                throw new BadCell(where + ": not a number: '" + abbreviate(t) + "'");
            }
        } else {
            throw new BadCell(where + ": not a number: '" + abbreviate(String.valueOf(v)) + "'");
        }
        if (!Double.isFinite(d)) {
            // Also catches text such as "1e400" that overflows to infinity.
            throw new BadCell(where + ": not finite: " + (v instanceof String s ? s.trim() : d));
        }
        return d;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
