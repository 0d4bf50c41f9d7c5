package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.SweepConfig;
import tapeline.job.testing.SparkSuite;

/**
 * The sweep end to end on real local Spark, through {@link tapeline.job.Main#run} as the script calls
 * it. Oracles are independent of the engine: the notebook's printed digits, closed-form minimisers,
 * one SGD step by hand.
 */
class SweepJobTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void theSeedConfigReproducesTheNotebook() {
        Path out = dir.resolve("seed");
        Run run = main(repo().resolve("conf/seed-sweep.properties").toString(),
                "input.path=" + repo().resolve("data/seed_coefficients.csv"), "output.path=" + out);
        assertThat(run.code()).as(run.err()).isZero();

        Dataset<Row> result = output(out, "parquet");
        assertThat(result.schema().apply("w").dataType()).isEqualTo(DataTypes.FloatType);
        List<Row> rows = result.collectAsList();
        assertThat(rows).hasSize(8);
        Map<Integer, Row> byId = rows.stream().collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        // The notebook's two printed results: x = [1, -10, 25] and x = [5, -7, 13].
        assertThat(Float.toString(byId.get(1).getAs("w"))).isEqualTo("5.000001");
        assertThat(Float.toString(byId.get(2).getAs("w"))).isEqualTo("0.7");
        assertThat((String) byId.get(1).getAs("status")).isEqualTo("MAX_STEPS");
        assertThat((Integer) byId.get(1).getAs("steps")).isEqualTo(1000);
        assertThat((String) byId.get(7).getAs("status")).isEqualTo("DIVERGED");
        assertThat((String) byId.get(7).getAs("error")).startsWith("cost falls without bound");
        assertThat((Integer) byId.get(7).getAs("steps")).isLessThan(1000);
        assertThat(result.schema().apply("grad_norm").dataType()).isEqualTo(DataTypes.FloatType);
        // Row 1 ends at w = 5.000001: the gradient 2w - 10, as the engine computes it in float32.
        float w1 = byId.get(1).getAs("w");
        assertThat((Float) byId.get(1).getAs("grad_norm")).isEqualTo(Math.abs((float) (2 * w1) - 10f));
        assertThat(byId.get(8).isNullAt(byId.get(8).fieldIndex("grad_norm"))).isTrue();
        assertThat((String) byId.get(8).getAs("status")).isEqualTo("INVALID");
        assertThat((String) byId.get(8).getAs("error")).isEqualTo("column x1: not a number: 'abc'");
        assertThat(byId.get(8).isNullAt(byId.get(8).fieldIndex("w"))).isTrue();

        assertThat(run.out()).contains("8 rows").contains("MAX_STEPS 6").contains("DIVERGED 1").contains("INVALID 1")
                .contains("output: " + out).contains("5.000001").contains("0.7 ");
    }

    /**
     * {@code optimizer = newton} with {@code verdict = true} on the seed: the notebook's two rows in
     * one step each; then a cost whose Hessian is diag(2a, 2b), so every verdict is known in closed form.
     */
    @Test
    void newtonWithTheVerdictJudgesEveryRow() {
        Path out = dir.resolve("newton");
        Run run = main(repo().resolve("conf/seed-sweep.properties").toString(),
                "input.path=" + repo().resolve("data/seed_coefficients.csv"), "output.path=" + out,
                "optimizer=newton", "optimizer.learning_rate=1", "tolerance.grad=1e-6", "steps=50", "verdict=true");
        assertThat(run.code()).as(run.err()).isZero();
        Dataset<Row> result = output(out, "parquet");
        List<String> names = List.of(result.schema().fieldNames());
        assertThat(names.subList(names.size() - 2, names.size())).containsExactly("curvature", "verdict");
        assertThat(result.schema().apply("curvature").dataType()).isEqualTo(DataTypes.FloatType);
        Map<Integer, Row> byId = result.collectAsList().stream().collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        assertThat(Float.toString(byId.get(1).getAs("w"))).isEqualTo("5.0");
        assertThat(Float.toString(byId.get(2).getAs("w"))).isEqualTo("0.7");
        for (int id : new int[] {1, 2}) {
            assertThat((Integer) byId.get(id).getAs("steps")).isEqualTo(1);
            assertThat(status(byId.get(id))).isEqualTo("CONVERGED");
            assertThat((String) byId.get(id).getAs("verdict")).isEqualTo("MINIMUM");
        }
        assertThat((Float) byId.get(2).getAs("curvature")).isEqualTo(10f); // 2 x0
        assertThat(status(byId.get(7))).isEqualTo("DIVERGED");
        assertThat(error(byId.get(7))).contains("non-positive curvature");
        assertThat((String) byId.get(7).getAs("verdict")).isEqualTo("MAXIMUM");
        assertThat((Float) byId.get(7).getAs("curvature")).isEqualTo(-2f);
        Row bad = byId.get(8);
        assertThat(status(bad)).isEqualTo("INVALID");
        assertThat(bad.isNullAt(bad.fieldIndex("curvature"))).isTrue();
        assertThat(bad.isNullAt(bad.fieldIndex("verdict"))).isTrue();

        // a u^2 + b v^2 from (u0, v0): MINIMUM, SADDLE (from its stable line), MAXIMUM (from its top), FLAT.
        Path in = csv(dir.resolve("h.csv"), "id,a,b,u0,v0", List.of("1,1,2,3,4", "2,1,-1,3,0", "3,-1,-2,0,0", "4,0,1,5,1"));
        Path out2 = dir.resolve("h-out");
        Path conf = config(dir, "cost = a * u^2 + b * v^2", "variables = u, v", "init.u = u0", "init.v = v0",
                "optimizer = adam", "optimizer.learning_rate = 0.1", "steps = 3000", "tolerance.grad = 1e-9", "verdict = true",
                "input.path = " + in, "output.path = " + out2, "output.format = csv");
        Run run2 = main(conf.toString());
        assertThat(run2.code()).as(run2.err()).isZero();
        Map<Integer, Row> h = output(out2, "csv").collectAsList().stream()
                .collect(Collectors.toMap(r -> Integer.parseInt(r.getAs("id").toString()), r -> r));
        assertThat(h.get(1).getAs("verdict").toString()).isEqualTo("MINIMUM");
        assertThat(h.get(2).getAs("verdict").toString()).isEqualTo("SADDLE");
        assertThat(h.get(3).getAs("verdict").toString()).isEqualTo("MAXIMUM");
        assertThat(h.get(4).getAs("verdict").toString()).isEqualTo("FLAT");
        assertThat(Double.parseDouble(h.get(1).getAs("curvature").toString())).isEqualTo(2.0);  // min(2a, 2b)
        assertThat(Double.parseDouble(h.get(2).getAs("curvature").toString())).isEqualTo(-2.0);
        assertThat(Double.parseDouble(h.get(3).getAs("curvature").toString())).isEqualTo(-4.0);
        assertThat(Double.parseDouble(h.get(4).getAs("curvature").toString())).isEqualTo(0.0);
        assertThat(status(h.get(2))).isEqualTo("CONVERGED"); // a converged saddle: the verdict says so beside it
    }

    @Test
    void randomQuadraticsConvergeToTheirClosedFormMinimum() {
        SplittableRandom rnd = new SplittableRandom(42);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            lines.add(i + "," + rnd.nextDouble(0.5, 5) + "," + rnd.nextDouble(-10, 10) + "," + rnd.nextDouble(-10, 10));
        }
        Path in = csv(dir.resolve("q.csv"), "id,x0,x1,x2", lines);
        Path out = dir.resolve("q-out");
        Path conf = config(dir, "cost = x0 * w^2 + x1 * w + x2", "variables = w", "optimizer = adam",
                "optimizer.learning_rate = 0.1", "steps = 20000", "tolerance.grad = 1e-9", "tolerance.step = 1e-9",
                "input.path = " + in, "output.path = " + out, "block.size = 256");
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();

        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(rows).hasSize(3000);
        for (Row r : rows) {
            double x0 = r.getDouble(1);
            double x1 = r.getDouble(2);
            assertThat((String) r.getAs("status")).as("row %s", r).isEqualTo("CONVERGED");
            assertThat((Double) r.getAs("w")).as("row %s", r).isCloseTo(-x1 / (2 * x0), within(1e-6));
        }
    }

    @Test
    void rosenbrockWithPerRowParametersFindsAAndASquared() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(i + "," + rnd.nextDouble(0.5, 2) + "," + rnd.nextDouble(1, 20));
        }
        Path in = csv(dir.resolve("r.csv"), "id,a,b", lines);
        Path out = dir.resolve("r-out");
        Path conf = config(dir, "cost = (a - u)^2 + b * (v - u^2)^2", "variables = u, v", "optimizer = adam",
                "optimizer.learning_rate = 0.01", "steps = 20000", "tolerance.grad = 1e-9", "tolerance.step = 1e-12",
                "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();

        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(rows).hasSize(200);
        for (Row r : rows) {
            double a = r.getDouble(1);
            assertThat((String) r.getAs("status")).as("row %s", r).isEqualTo("CONVERGED");
            assertThat((Double) r.getAs("u")).as("row %s", r).isCloseTo(a, within(1e-6));
            assertThat((Double) r.getAs("v")).as("row %s", r).isCloseTo(a * a, within(1e-6));
        }
    }

    @Test
    void learningRateAndStartValueCanComeFromColumns() {
        // One SGD step on (w - t)^2 from w0 is w0 - lr * 2 (w0 - t): an oracle by hand.
        List<String> lines = List.of("1,3,0.1,1", "2,3,0.25,-2", "3,-1,0.05,10", "4,0,0.5,0");
        Path in = csv(dir.resolve("lr.csv"), "id,t,lr,start", lines);
        Path out = dir.resolve("lr-out");
        Path conf = config(dir, "cost = (w - t)^2", "variables = w", "optimizer = sgd", "optimizer.learning_rate = lr",
                "init.w = start", "steps = 1", "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        for (Row r : output(out, "parquet").collectAsList()) {
            double t = ((Number) r.getAs("t")).doubleValue();
            double lr = ((Number) r.getAs("lr")).doubleValue();
            double start = ((Number) r.getAs("start")).doubleValue();
            assertThat((Double) r.getAs("w")).as("row %s", r).isCloseTo(start - lr * 2 * (start - t), within(1e-12));
            assertThat((Integer) r.getAs("steps")).isEqualTo(1);
        }
    }

    @Test
    void badRowsAreInvalidAndUnboundedOnesDivergedAndEveryRowComesOut() {
        List<String> lines = List.of(
                "1,1,-10,25",
                "2,,-7,13",
                "3,1,abc,2",
                "4,1,2,NaN",
                "5,1,Inf,2",
                "6,-1,2,0",
                "7,2,-4,1");
        Path in = csv(dir.resolve("bad.csv"), "id,x0,x1,x2", lines);
        Path out = dir.resolve("bad-out");
        Path conf = config(dir, "cost = x0 * w^2 + x1 * w + x2", "variables = w", "optimizer.learning_rate = 0.1",
                "steps = 2000", "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();

        Map<Integer, Row> byId = output(out, "parquet").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        assertThat(byId).hasSize(lines.size());
        assertThat(status(byId.get(1))).isEqualTo("MAX_STEPS");
        assertThat(byId.get(1).isNullAt(byId.get(1).fieldIndex("error"))).isTrue();
        assertThat(error(byId.get(2))).isEqualTo("column x0: missing value");
        assertThat(error(byId.get(3))).isEqualTo("column x1: not a number: 'abc'");
        assertThat(error(byId.get(4))).isEqualTo("column x2: not finite: NaN");
        assertThat(error(byId.get(5))).isEqualTo("column x1: not finite: Inf");
        for (int id = 2; id <= 5; id++) {
            assertThat(status(byId.get(id))).isEqualTo("INVALID");
            assertThat((Integer) byId.get(id).getAs("steps")).isZero();
        }
        assertThat(status(byId.get(6))).isEqualTo("DIVERGED");
        assertThat(error(byId.get(6))).startsWith("cost falls without bound: it fell from 0.0 at the start to");
        assertThat(status(byId.get(7))).isEqualTo("MAX_STEPS");
        assertThat(run.out()).contains("INVALID 4").contains("DIVERGED 1");
        // grad_norm is |d/dw (x0 w^2 + x1 w + x2)| = |2 x0 w + x1| at the output's w; null where nothing was solved.
        assertThat(byId.get(1).schema().apply("grad_norm").dataType()).isEqualTo(DataTypes.DoubleType);
        for (int id : new int[] {1, 6, 7}) {
            Row r = byId.get(id);
            double x0 = Double.parseDouble(String.valueOf((Object) r.getAs("x0"))); // text columns: a bad cell is in them
            double x1 = Double.parseDouble(String.valueOf((Object) r.getAs("x1")));
            double w = r.getAs("w");
            assertThat((Double) r.getAs("grad_norm")).as("row %d", id).isCloseTo(Math.abs(2 * x0 * w + x1), within(1e-12 * (1 + Math.abs(x0 * w))));
        }
        assertThat((Double) byId.get(6).getAs("grad_norm")).isGreaterThan(10); // it was running away: w is far out
        for (int id = 2; id <= 5; id++) {
            assertThat(byId.get(id).isNullAt(byId.get(id).fieldIndex("grad_norm"))).isTrue();
        }
    }

    @Test
    void theLogOfANegativeNumberDivergesThatRowOnly() {
        Path in = csv(dir.resolve("log.csv"), "id,c", List.of("1,2.718281828459045", "2,-1", "3,1"));
        Path out = dir.resolve("log-out");
        Path conf = config(dir, "cost = (w - log(c))^2", "variables = w", "optimizer.learning_rate = 0.1",
                "steps = 3000", "tolerance.grad = 1e-9", "input.path = " + in, "output.path = " + out);
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(rows).hasSize(3);
        assertThat(status(rows.get(0))).isEqualTo("CONVERGED");
        assertThat((Double) rows.get(0).getAs("w")).isCloseTo(1.0, within(1e-6));
        assertThat(status(rows.get(1))).isEqualTo("DIVERGED");
        assertThat(error(rows.get(1))).isNotBlank();
        assertThat(status(rows.get(2))).isEqualTo("CONVERGED");
    }

    @Test
    void resultsAreIdenticalForAnyPartitioningAndBlockSize() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String x0 = i % 37 == 0 ? "-1" : String.valueOf(rnd.nextDouble(0.1, 5));
            String x1 = i % 53 == 0 ? "oops" : String.valueOf(rnd.nextDouble(-10, 10));
            lines.add(i + "," + x0 + "," + x1 + "," + rnd.nextDouble(-3, 3) + "," + rnd.nextDouble(0.01, 0.3));
        }
        Path in = csv(dir.resolve("p.csv"), "id,x0,x1,x2,lr", lines);
        Map<String, String> raw = new java.util.LinkedHashMap<>();
        raw.put("cost", "x0 * w^2 + x1 * w + x2 + 0.1 * sin(3 * w)");
        raw.put("variables", "w");
        raw.put("optimizer.learning_rate", "lr");
        raw.put("steps", "500");
        raw.put("tolerance.grad", "1e-8");
        raw.put("input.path", in.toString());
        raw.put("output.path", dir.resolve("unused").toString());
        raw.put("block.size", "16");
        SweepConfig c = SweepConfig.parse(raw);
        SweepJob.Prepared p = SweepJob.prepare(spark(), c);

        Dataset<Row> one = SweepJob.sweep(new SweepJob.Prepared(c, p.input().coalesce(1), p.plan(), p.solver(), p.layout()));
        Dataset<Row> seven = SweepJob.sweep(new SweepJob.Prepared(c, p.input().repartition(7), p.plan(), p.solver(), p.layout()));
        raw.put("block.size", "1000");
        SweepConfig big = SweepConfig.parse(raw);
        Dataset<Row> bigBlocks = SweepJob.sweep(new SweepJob.Prepared(big, p.input().repartition(3), p.plan(), p.solver(), p.layout()));

        assertThat(seven.rdd().getNumPartitions()).isEqualTo(7);
        Dataset<Row> a = one.orderBy("id");
        assertSameFrame(a, seven.orderBy("id"));
        assertSameFrame(a, bigBlocks.orderBy("id"));
        // And bit for bit, which the comparison above (==) does not promise for NaN or -0.0.
        List<Row> ra = a.collectAsList();
        List<Row> rb = seven.orderBy("id").collectAsList();
        assertThat(ra).hasSize(500);
        for (int i = 0; i < ra.size(); i++) {
            for (String col : List.of("w", "cost")) {
                Object x = ra.get(i).getAs(col);
                Object y = rb.get(i).getAs(col);
                assertThat(x == null ? null : Double.doubleToRawLongBits((Double) x))
                        .isEqualTo(y == null ? null : Double.doubleToRawLongBits((Double) y));
            }
        }
        assertThat(ra.stream().map(SweepJobTest::status).distinct()).contains("CONVERGED", "DIVERGED", "INVALID");
    }

    static String status(Row r) {
        return r.getAs("status");
    }

    static String error(Row r) {
        return r.getAs("error");
    }
}
