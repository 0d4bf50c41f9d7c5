package tapeline.job.config;

import java.io.Serializable;
import java.util.Objects;

/** Where the input is and how to read it, e.g. {@code new InputSpec("data/seed_coefficients.csv", Format.CSV)}. */
public record InputSpec(String path, Format format) implements Serializable {
    public InputSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
    }
}
