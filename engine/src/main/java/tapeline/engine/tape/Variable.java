package tapeline.engine.tape;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * A trainable value, like {@code tf.Variable}: either one value per lane (each lane of a sweep has
 * its own {@code w}) or one value shared by all lanes (train: one set of weights for every data
 * row). Optimizers update it in place.
 *
 * <pre>{@code
 * Variable w = Variable.scalar("w", 0.0, DType.FLOAT32);   // the notebook's tf.Variable(0, dtype=tf.float32)
 * Variable ws = Variable.perLane("w", new double[] {0, 0, 0}, DType.FLOAT64);  // three lanes
 * }</pre>
 */
public final class Variable implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final double[] storage;
    private final boolean perLane;
    private final DType dtype;

    private Variable(String name, double[] storage, boolean perLane, DType dtype) {
        this.name = Objects.requireNonNull(name, "name");
        this.storage = storage;
        this.perLane = perLane;
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        dtype.round(storage, storage.length);
    }

    /** One value shared by all lanes (its gradient is the sum over lanes). */
    public static Variable scalar(String name, double initial, DType dtype) {
        return new Variable(name, new double[] {initial}, false, dtype);
    }

    /** One value per lane; the array is copied. */
    public static Variable perLane(String name, double[] initial, DType dtype) {
        if (initial.length == 0) {
            throw new IllegalArgumentException("variable " + name + " needs at least one lane");
        }
        return new Variable(name, initial.clone(), true, dtype);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** True for one value per lane, false for one value shared by all lanes. */
    public boolean isPerLane() {
        return perLane;
    }

    /** A copy of the values: one per lane, or one. */
    public double[] values() {
        return storage.clone();
    }

    /** The first (for a scalar, the only) value. */
    public double value() {
        return storage[0];
    }

    /** Sets the values (rounded to the dtype); the length must stay the same. */
    public void assign(double... values) {
        if (values.length != storage.length) {
            throw new IllegalArgumentException(
                    "variable " + name + " has " + storage.length + " values, got " + values.length);
        }
        System.arraycopy(values, 0, storage, 0, values.length);
        dtype.round(storage, storage.length);
    }

    /**
     * The live array the tape reads and optimizers update in place. Engine plumbing: prefer
     * {@link #values()} and {@link #assign}.
     */
    public double[] storage() {
        return storage;
    }

    @Override
    public String toString() {
        return "Variable(" + name + ", " + dtype + ", "
                + (perLane ? Arrays.toString(storage) : Double.toString(storage[0])) + ")";
    }
}
