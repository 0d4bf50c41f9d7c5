package tapeline.job.io;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * The first rows of an output as a plain aligned text table, for a job's summary on stdout:
 * <pre>
 *   id  x0  w         status
 *   --  --  --------  ---------
 *   1   1   5.000001  MAX_STEPS
 * </pre>
 */
public final class PreviewTable {
    private PreviewTable() {}

    /** A plain aligned text table of {@code rows} under the names of {@code schema}. */
    public static String render(StructType schema, List<Row> preview) {
        String[] names = schema.fieldNames();
        List<String[]> cells = new ArrayList<>();
        cells.add(names);
        for (Row r : preview) {
            String[] line = new String[names.length];
            for (int i = 0; i < names.length; i++) {
                line[i] = cell(r.isNullAt(i) ? null : r.get(i));
            }
            cells.add(line);
        }
        int[] width = new int[names.length];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int n = 0; n < cells.size(); n++) {
            String[] line = cells.get(n);
            sb.append(' ');
            for (int i = 0; i < line.length; i++) {
                sb.append(' ').append(line[i]).append(" ".repeat(width[i] - line[i].length())).append(' ');
            }
            sb.setLength(sb.length() - 1);
            sb.append('\n');
            if (n == 0) {
                sb.append(' ');
                for (int w : width) {
                    sb.append(' ').append("-".repeat(w)).append(' ');
                }
                sb.setLength(sb.length() - 1);
                sb.append('\n');
            }
        }
        return sb.toString().replaceAll(" +\n", "\n");
    }

    private static String cell(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Seq<?> s) {
            return s.mkString("[", ", ", "]");
        }
        String s = String.valueOf(v);
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
