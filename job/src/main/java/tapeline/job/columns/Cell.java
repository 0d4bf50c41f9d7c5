package tapeline.job.columns;

import java.io.Serializable;

/**
 * Where one component of a lane's value is read from in an input row.
 * {@code new Cell(2, "x1", -1, 0)} is the whole of column 2 ({@code x1}); {@code new Cell(1, "x", 2, 3)} is
 * element 2 of the array column 1 ({@code x}), whose arrays must hold 3 elements.
 *
 * @param column  the column's index in the input row
 * @param name    the column's name, for error messages
 * @param element the array element, or -1 for a scalar column
 * @param length  the array length every row must have (ignored for a scalar column)
 */
public record Cell(int column, String name, int element, int length) implements Serializable {

    /** A scalar column. */
    public static Cell scalar(int column, String name) {
        return new Cell(column, name, -1, 0);
    }

    /** Element {@code element} of an array column whose arrays have {@code length} elements. */
    public static Cell element(int column, String name, int element, int length) {
        return new Cell(column, name, element, length);
    }

    public boolean isArrayElement() {
        return element >= 0;
    }
}
