package tapeline.engine.optim;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A hyper-parameter: one value for every lane, or one value per lane (a sweep over learning rates
 * is then one block). Per-lane values move with their lanes when the solver packs lanes.
 *
 * <pre>{@code
 * Hyper lr = Hyper.of(0.1);
 * Hyper lrs = Hyper.perLane(new double[] {0.1, 0.01, 0.001});
 * }</pre>
 */
public final class Hyper implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double value;
    private final double[] lanes;

    private Hyper(double value, double[] lanes) {
        this.value = value;
        this.lanes = lanes;
    }

    public static Hyper of(double value) {
        return new Hyper(value, null);
    }

    /** One value per lane; the array is copied. */
    public static Hyper perLane(double[] values) {
        return new Hyper(values.length > 0 ? values[0] : Double.NaN, values.clone());
    }

    /** True when every lane has the same value. */
    public boolean isUniform() {
        return lanes == null;
    }

    /** The value for all lanes; for a per-lane hyper-parameter, lane 0's. */
    public double value() {
        return value;
    }

    /** The value in lane {@code i}. */
    public double at(int i) {
        return lanes == null ? value : lanes[i];
    }

    /** Number of lanes it holds values for, or 0 when uniform. */
    int laneCount() {
        return lanes == null ? 0 : lanes.length;
    }

    /** The live per-lane array (null when uniform), so the optimizer can move lanes. */
    double[] laneArray() {
        return lanes;
    }

    /** Every distinct value it takes, for validation messages. */
    double[] values() {
        return lanes == null ? new double[] {value} : lanes.clone();
    }

    @Override
    public String toString() {
        return lanes == null ? Double.toString(value) : "per lane " + Arrays.toString(lanes);
    }
}
