package tapeline.job.config;

import java.io.Serializable;
import java.util.Objects;

/** Where the output goes, e.g. {@code new OutputSpec("out/seed-sweep", Format.PARQUET, OutputMode.ERROR)}. */
public record OutputSpec(String path, Format format, OutputMode mode) implements Serializable {
    public OutputSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(mode, "mode");
    }
}
