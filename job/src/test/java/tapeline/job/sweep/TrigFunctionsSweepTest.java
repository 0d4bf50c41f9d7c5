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
 * Issue 23's functions end to end: a sweep with {@code optimizer = newton} and the verdict through
 * {@code atan2}, {@code asin} and {@code pi}, against the closed-form minimiser
 * {@code w = x tan(asin(s)) = x s / sqrt(1 - s^2)}, {@code v = pi x}; rows whose {@code asin} is
 * outside its domain end DIVERGED with the reason while the others converge.
 */
class TrigFunctionsSweepTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void newtonThroughAtan2AsinAndPiFindsTheClosedFormAndBadRowsDiverge() {
        List<String> lines = List.of("1,1.0,0.5", "2,2.5,-0.3", "3,0.7,0.9", "4,1.0,1.5", "5,3.0,-2");
        Path in = csv(dir.resolve("angles.csv"), "id,x,s", lines);
        Path out = dir.resolve("angles-out");
        Path conf = config(dir, "cost = square(atan2(w, x) - asin(s)) + square(v - pi * x)", "variables = w, v",
                "optimizer = newton", "steps = 100", "tolerance.grad = 1e-12", "verdict = true", "dtype = float64",
                "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        Map<Integer, Row> byId = output(out, "parquet").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        assertThat(byId).hasSize(lines.size());
        for (int id = 1; id <= 3; id++) {
            Row r = byId.get(id);
            double x = r.getAs("x");
            double s = r.getAs("s");
            assertThat((String) r.getAs("status")).as("row %d: %s", id, (Object) r.getAs("error")).isEqualTo("CONVERGED");
            assertThat((Double) r.getAs("w")).as("row %d", id).isCloseTo(x * s / Math.sqrt(1 - s * s), within(1e-9));
            assertThat((Double) r.getAs("v")).as("row %d", id).isCloseTo(Math.PI * x, within(1e-9));
            assertThat((String) r.getAs("verdict")).as("row %d", id).isEqualTo("MINIMUM");
        }
        for (int id : new int[] {4, 5}) {
            assertThat((String) byId.get(id).getAs("status")).as("row %d", id).isEqualTo("DIVERGED");
            assertThat((String) byId.get(id).getAs("error")).as("row %d", id).isEqualTo("cost is NaN after 0 steps");
        }
        assertThat(run.out()).contains("CONVERGED 3").contains("DIVERGED 2");
    }

    @Test
    void aVariableNamedPiIsAConfigError() {
        Path in = csv(dir.resolve("pi.csv"), "id,x", List.of("1,1.0"));
        Path conf = config(dir, "cost = square(pi - x)", "variables = pi", "input.path = " + in,
                "output.path = " + dir.resolve("pi-out"));
        Run run = main(conf.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("variables: 'pi' is a constant of the expression language");
    }
}
