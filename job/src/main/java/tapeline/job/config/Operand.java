package tapeline.job.config;

import java.io.Serializable;

/**
 * A config value that is either a number for every row or the name of an input column, read per row.
 *
 * <p>{@code init.w = 0.5} gives {@code new Constant(0.5)}; {@code optimizer.learning_rate = lr} gives
 * {@code new Column("lr")}, so a sweep over learning rates is just a column of the input.
 */
public sealed interface Operand extends Serializable {

    /** The same value for every row. */
    record Constant(double value) implements Operand {}

    /** The value of the named input column (or columns, for a vector: see README, "Binding"). */
    record Column(String name) implements Operand {}
}
