package tapeline.job.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * A score job's configuration ({@code job = score}), validated: a train job's fitted parameters
 * applied to new rows, one output column per expression.
 *
 * <pre>{@code
 * ScoreConfig c = ScoreConfig.parse(Map.of("job", "score", "params.path", "out/train-linear",
 *         "output.prediction", "b + dot(w, x)", "input.path", "data/new.csv", "output.path", "out/scored"));
 * c.outputs().get("prediction").source();   // "b + dot(w, x)"
 * }</pre>
 *
 * @param paramsPath   {@code params.path}: a train job's {@code output.path}, or its {@code params} directory
 * @param paramsFormat {@code params.format}, or null when unset: the format of a params directory that has no
 *                     run record (the record of a train output says its own format; default parquet)
 * @param outputs      {@code output.<column>}: the output columns, in the config's order, each a scalar
 *                     expression over input columns and the fitted parameters
 * @param dtype        {@code dtype}: the number type the expressions are computed in
 * @param input        {@code input.*}
 * @param output       {@code output.path}, {@code output.format}, ... (as the sweep's)
 * @param blockSize    {@code block.size}: rows computed together on one tape
 * @param appName      {@code app.name}
 * @param showRows     {@code show.rows}: rows shown in the summary
 * @param spark        every {@code spark.*} key
 */
public record ScoreConfig(
        String paramsPath,
        Format paramsFormat,
        Map<String, Expression> outputs,
        DType dtype,
        InputSpec input,
        OutputSpec output,
        int blockSize,
        String appName,
        int showRows,
        Map<String, String> spark) implements Serializable, CommonConfig {

    public ScoreConfig {
        Objects.requireNonNull(paramsPath, "paramsPath");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(appName, "appName");
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        spark = Collections.unmodifiableMap(new LinkedHashMap<>(spark));
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("a score needs at least one output column");
        }
    }

    /** Parses already-merged key/value pairs. */
    public static ScoreConfig parse(Map<String, String> raw) throws ConfigException {
        return ScoreConfigParser.parse(raw, new java.util.ArrayList<>());
    }

    /** As {@link #parse(Map)}, reporting {@code earlierProblems} (malformed overrides) with this config's. */
    public static ScoreConfig parse(Map<String, String> raw, java.util.List<String> earlierProblems) throws ConfigException {
        return ScoreConfigParser.parse(raw, earlierProblems);
    }

    /** The keys without a variable part ({@code output.<column>} aside), as the parser knows them. */
    public static java.util.List<String> fixedKeys() {
        return ScoreConfigParser.FIXED_KEYS;
    }

    /** The value of each key left unset, for the run record's effective config. */
    public static Map<String, String> defaults() {
        return ScoreConfigParser.DEFAULTS;
    }
}
