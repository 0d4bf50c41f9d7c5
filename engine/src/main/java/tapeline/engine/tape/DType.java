package tapeline.engine.tape;

import java.util.Locale;

/**
 * The two number types a tape computes in.
 *
 * <p>Values are always held in {@code double} arrays. In {@link #FLOAT32} every op result, every
 * gradient contribution and every optimizer update is rounded to the nearest {@code float}; for
 * {@code + - * /} and {@code sqrt} rounding the exact double result once gives the correctly
 * rounded float result (double has more than 2*24+2 bits), so this is float32 arithmetic, bit for
 * bit, as TensorFlow does it on a CPU.
 */
public enum DType {
    FLOAT64,
    FLOAT32;

    /** Parses {@code "float64"} or {@code "float32"} (case-insensitive). */
    public static DType parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "float64", "double" -> FLOAT64;
            case "float32", "float" -> FLOAT32;
            default -> throw new IllegalArgumentException(
                    "dtype must be float64 or float32, got '" + text + "'");
        };
    }

    /** The value as this type would hold it. */
    public double round(double value) {
        return this == FLOAT32 ? (float) value : value;
    }

    /** Rounds the first {@code n} values in place (a no-op in float64). */
    public void round(double[] values, int n) {
        if (this == FLOAT32) {
            for (int i = 0; i < n; i++) {
                values[i] = (float) values[i];
            }
        }
    }

    /** The name used in configs: {@code float64} or {@code float32}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
