package tapeline.job.score;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import tapeline.job.JobResult;
import tapeline.job.io.PreviewTable;

/**
 * What a score did, and what it prints at the end:
 * <pre>
 * tapeline score: 2,000 rows in 1.2 s with 6 parameters of out/train-linear
 *   SCORED 1,999   INVALID 1
 * output: out/score-linear (prediction)
 * </pre>
 *
 * @param output     where the output went
 * @param paramsPath where the parameters came from
 * @param parameters scalar parameters read
 * @param columns    the output columns computed
 * @param scored     rows scored
 * @param invalid    rows with a bad cell (outputs null)
 * @param seconds    wall time of the score and its write
 * @param schema     the written schema
 * @param preview    the first {@code show.rows} rows
 */
public record ScoreSummary(String output, String paramsPath, int parameters, List<String> columns, long scored,
                           long invalid, long noModel, double seconds, StructType schema, List<Row> preview)
        implements JobResult {

    /** An ungrouped score's: every row has the model. */
    public ScoreSummary(String output, String paramsPath, int parameters, List<String> columns, long scored,
                        long invalid, double seconds, StructType schema, List<Row> preview) {
        this(output, paramsPath, parameters, columns, scored, invalid, 0, seconds, schema, preview);
    }

    @Override
    public long rowsRead() {
        return scored + invalid + noModel;
    }

    /** {@code SCORED}, {@code INVALID}; with {@code group.by} also {@code NO_MODEL}. */
    @Override
    public Map<String, Long> rowsByStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("SCORED", scored);
        m.put("INVALID", invalid);
        if (noModel > 0) m.put("NO_MODEL", noModel);
        return m;
    }

    /** {@code INVALID} rows, and {@code NO_MODEL} rows (a grouped score's rows without parameters: not scored either). */
    @Override
    public long invalidRows() {
        return invalid + noModel;
    }

    @Override
    public long stepsTaken() {
        return 0;
    }

    /** The record's {@code score} entry: where the parameters came from. */
    @Override
    public Map<String, Object> details() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("params_path", paramsPath);
        s.put("parameters", parameters);
        s.put("outputs", columns);
        return Map.of("score", s);
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "tapeline score: %,d rows in %.1f s with %d parameters of %s%n",
                rowsRead(), seconds, parameters, paramsPath));
        sb.append(String.format(Locale.ROOT, "   SCORED %,d   INVALID %,d%s%n", scored, invalid,
                noModel > 0 ? String.format(Locale.ROOT, "   NO_MODEL %,d", noModel) : ""));
        sb.append("output: ").append(output).append(" (").append(String.join(", ", columns)).append(")\n");
        if (!preview.isEmpty()) {
            sb.append(preview.size() < rowsRead() ? "first " + preview.size() + " of " + rowsRead() + " rows:\n" : "rows:\n");
            sb.append(PreviewTable.render(schema, preview));
        }
        return sb.toString();
    }
}
