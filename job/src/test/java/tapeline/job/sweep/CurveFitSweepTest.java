package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tapeline.job.testing.SparkSuite;

/**
 * Issue 23 end to end: a sweep whose rows are each a straight-line fit through three points,
 * given as a residual list, solved with {@code optimizer = lm} and {@code stderr = true}, against
 * ordinary least squares in closed form (x = 1, 2, 3: {@code b = (y3 - y1) / 2},
 * {@code a = mean(y) - 2 b}, {@code se(b) = sqrt(s2 / 2)}, {@code se(a) = sqrt(s2 (1/3 + 4/2))},
 * {@code s2 = RSS / (3 - 2)}).
 */
class CurveFitSweepTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void lmWithStandardErrorsMatchesClosedFormLeastSquares() throws Exception {
        List<String> lines = List.of("1,1.0,2.1,2.9", "2,0.5,0.4,0.7", "3,-3,1,4.5");
        Path in = csv(dir.resolve("pts.csv"), "id,y1,y2,y3", lines);
        Path out = dir.resolve("pts-out");
        Path conf = config(dir, "residuals = y1 - (a + b), y2 - (a + 2 * b), y3 - (a + 3 * b)", "variables = a, b",
                "optimizer = lm", "steps = 100", "tolerance.cost = 1e-14", "tolerance.step = 1e-14", "stderr = true",
                "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        Map<Integer, Row> byId = output(out, "parquet").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        assertThat(byId).hasSize(lines.size());
        for (int id = 1; id <= 3; id++) {
            Row r = byId.get(id);
            double y1 = r.getAs("y1");
            double y2 = r.getAs("y2");
            double y3 = r.getAs("y3");
            double b = (y3 - y1) / 2;
            double a = (y1 + y2 + y3) / 3 - 2 * b;
            double rss = Math.pow(y1 - a - b, 2) + Math.pow(y2 - a - 2 * b, 2) + Math.pow(y3 - a - 3 * b, 2);
            assertThat((String) r.getAs("status")).as("row %d", id).isEqualTo("CONVERGED");
            assertThat((Double) r.getAs("a")).as("row %d", id).isCloseTo(a, within(1e-9));
            assertThat((Double) r.getAs("b")).as("row %d", id).isCloseTo(b, within(1e-9));
            assertThat((Double) r.getAs("b_se")).as("row %d", id).isCloseTo(Math.sqrt(rss / 2), within(1e-9));
            assertThat((Double) r.getAs("a_se")).as("row %d", id).isCloseTo(Math.sqrt(rss * (1.0 / 3 + 2)), within(1e-9));
        }
        // the per-row default scaling (session 24), as the run record's effective config shows it
        assertThat(java.nio.file.Files.readString(out.resolve("_tapeline.json")))
                .containsPattern("\"optimizer\\.jac_scaling\"\\s*:\\s*\"0\\.5\"");
    }

    /**
     * Rows whose fit is solved but whose J^T J is singular (all three x equal: the intercept's and the
     * slope's columns are parallel) get null standard errors; the summary and the run record count
     * them, and the count is that of the output read back.
     */
    @Test
    void theSummaryCountsTheSolvedRowsWithoutStandardErrors() throws Exception {
        List<String> lines = List.of("1,1,2,3,1.0,2.1,2.9", "2,2,2,2,0.5,0.4,0.7", "3,1,2,3,-3,1,4.5", "4,5,5,5,1,1,1");
        Path in = csv(dir.resolve("pts2.csv"), "id,x1,x2,x3,y1,y2,y3", lines);
        Path out = dir.resolve("pts2-out");
        Path conf = config(dir, "residuals = y1 - (a + b * x1), y2 - (a + b * x2), y3 - (a + b * x3)", "variables = a, b",
                "optimizer = lm", "steps = 100", "tolerance.cost = 1e-14", "tolerance.step = 1e-14", "stderr = true",
                "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        List<Row> rows = output(out, "parquet").collectAsList();
        long solvedWithout = rows.stream().filter(r -> List.of("CONVERGED", "MAX_STEPS").contains((String) r.getAs("status"))
                && r.isNullAt(r.fieldIndex("a_se"))).count();
        assertThat(solvedWithout).isEqualTo(2);
        assertThat(run.out()).contains("2 solved rows without standard errors");
        assertThat(java.nio.file.Files.readString(out.resolve("_tapeline.json")))
                .containsPattern("\"rows_without_standard_errors\"\\s*:\\s*2");
        assertThat(tapeline.job.testing.Records.errors(tapeline.job.testing.Records.read(out))).as("the published schema").isEmpty();
    }
}
