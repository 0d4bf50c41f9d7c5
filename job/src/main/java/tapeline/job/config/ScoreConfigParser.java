package tapeline.job.config;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tapeline.engine.expr.Expression;
import tapeline.engine.expr.ExpressionException;
import tapeline.engine.tape.DType;

/**
 * Turns raw key/value pairs into a {@link ScoreConfig}, reporting every problem at once. The input,
 * output and Spark keys are read as for the sweep; {@code output.<column> = expression} adds a column
 * (the names {@code path}, {@code format}, {@code mode}, {@code table}, {@code partitionBy} and
 * {@code option} are the output's own keys, not columns).
 */
final class ScoreConfigParser {

    static final List<String> FIXED_KEYS = List.of(
            "job", "params.path", "params.format", "dtype", "input.path", "input.format", "input.table",
            "output.path", "output.format", "output.mode", "output.table", "output.partitionBy",
            "block.size", "app.name", "show.rows", "max.invalid");

    /** The value of each key left unset (the run record's effective config). */
    static final Map<String, String> DEFAULTS = ConfigValues.ordered("job", "score",
            "dtype", "float64", "output.format", "parquet", "output.mode", "error", "block.size", "4096",
            "app.name", "tapeline score", "show.rows", "20");

    static final int DEFAULT_BLOCK_SIZE = 4096;
    static final int MAX_BLOCK_SIZE = 1 << 20;

    private static final String OUTPUT = "output.";
    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final ConfigValues values;
    private final Map<String, String> raw;
    private final List<String> problems;

    private ScoreConfigParser(Map<String, String> raw, List<String> problems) {
        this.values = new ConfigValues(raw, problems);
        this.raw = values.raw();
        this.problems = problems;
    }

    static ScoreConfig parse(Map<String, String> raw, List<String> earlierProblems) throws ConfigException {
        return new ScoreConfigParser(raw, earlierProblems).parse();
    }

    private ScoreConfig parse() throws ConfigException {
        String paramsPath = values.required("params.path");
        // Unset: the model directory's run record says it (parquet for a directory without one).
        Format paramsFormat = raw.containsKey("params.format") ? values.format("params.format", null, false) : null;
        Map<String, Expression> outputs = parseOutputs();
        DType dtype = values.choice("dtype", "float64", Map.of("float64", DType.FLOAT64, "float32", DType.FLOAT32));
        InputSpec input = values.input();
        OutputSpec output = values.output(true);
        int blockSize = values.integer("block.size", DEFAULT_BLOCK_SIZE, 1, MAX_BLOCK_SIZE);
        int showRows = values.integer("show.rows", 20, 0, Integer.MAX_VALUE);
        String appName = values.appName("tapeline score");
        Map<String, String> sparkKeys = values.sparkKeys();
        checkUnknownKeys();
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ScoreConfig(paramsPath, paramsFormat, outputs, dtype, input, output, blockSize, appName, showRows,
                sparkKeys);
    }

    /** {@code output.<column> = expression}, every key under {@code output.} that is not the output's own. */
    private Map<String, Expression> parseOutputs() {
        Map<String, Expression> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(OUTPUT) || FIXED_KEYS.contains(k) || ConfigValues.isPassedOn(k)) {
                continue;
            }
            String column = k.substring(OUTPUT.length());
            if (!COLUMN.matcher(column).matches()) {
                problems.add(k + ": '" + column + "' is not a column name (letters, digits and _, not first a digit)");
                continue;
            }
            if (e.getValue().isEmpty()) {
                problems.add(k + ": expected an expression over input columns and fitted parameters, got nothing");
                continue;
            }
            try {
                outputs.put(column, Expression.parse(k, e.getValue()));
            } catch (ExpressionException ex) {
                problems.add(ex.getMessage());
            }
        }
        if (outputs.isEmpty() && problems.stream().noneMatch(p -> p.startsWith(OUTPUT))) {
            problems.add("output.<column>: a score needs at least one output column, e.g. output.prediction = b + dot(w, x)");
        }
        return outputs;
    }

    private void checkUnknownKeys() {
        Set<String> candidates = new LinkedHashSet<>(FIXED_KEYS);
        for (String k : raw.keySet()) {
            if (candidates.contains(k) || ConfigValues.isPassedOn(k) || k.startsWith(OUTPUT)) {
                continue;
            }
            if (SweepConfigParser.FIXED_KEYS.contains(k) || TrainConfigParser.FIXED_KEYS.contains(k)) {
                problems.add(k + ": a key of the sweep or train job, not of job=score");
            } else {
                problems.add("unknown key '" + k + "'" + ConfigValues.didYouMean(k, candidates));
            }
        }
    }
}
