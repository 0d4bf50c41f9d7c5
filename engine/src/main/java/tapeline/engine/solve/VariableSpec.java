package tapeline.engine.solve;

import java.io.Serializable;

/**
 * A variable to optimise: its name and how many components it has ({@code 1} for a scalar
 * {@code w}, {@code k} for a vector {@code w[k]}).
 */
public record VariableSpec(String name, int size) implements Serializable {
    public VariableSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a variable needs a name");
        }
        if (size < 1) {
            throw new IllegalArgumentException("variable " + name + " must have at least 1 component, got " + size);
        }
    }

    /** {@code w} for a scalar, {@code w[3]} for a vector. */
    @Override
    public String toString() {
        return size == 1 ? name : name + "[" + size + "]";
    }
}
