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
                           long invalid, double seconds, StructType schema, List<Row> preview) implements JobResult {

    @Override
    public long rowsRead() {
        return scored + invalid;
    }

    @Override
    public Map<String, Long> rowsByStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("SCORED", scored);
        m.put("INVALID", invalid);
        return m;
    }

    @Override
    public long invalidRows() {
        return invalid;
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
        sb.append(String.format(Locale.ROOT, "   SCORED %,d   INVALID %,d%n", scored, invalid));
        sb.append("output: ").append(output).append(" (").append(String.join(", ", columns)).append(")\n");
        if (!preview.isEmpty()) {
            sb.append(preview.size() < rowsRead() ? "first " + preview.size() + " of " + rowsRead() + " rows:\n" : "rows:\n");
            sb.append(PreviewTable.render(schema, preview));
        }
        return sb.toString();
    }
}
