package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * {@code job = train} with {@code residuals} and {@code optimizer = lm}, and {@code stderr = true},
 * end to end on local[2]: NIST StRD Misra1a (its 14 observations as rows) to the certified
 * parameters and standard deviations, the same bits for 1, 3 and 8 partitions, the covariance file
 * and the run record, a singular fit's null errors, and the config errors.
 */
class TrainLmJobTest extends SparkSuite {
    /** NIST StRD Misra1a: y x (https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml). */
    static final double[][] MISRA1A = {{10.07, 77.6}, {14.73, 114.9}, {17.94, 141.1}, {23.93, 190.8}, {29.61, 239.9},
        {35.18, 289.0}, {40.02, 332.8}, {44.82, 378.4}, {50.76, 434.8}, {55.05, 477.3}, {61.01, 536.8}, {66.40, 593.1},
        {75.47, 689.1}, {81.78, 760.0}};
    static final double[] CERTIFIED = {2.3894212918E+02, 5.5015643181E-04};
    static final double[] CERTIFIED_SE = {2.7070075241E+00, 7.2668688436E-06};

    @TempDir
    Path dir;
    Path data;

    @BeforeEach
    void misra1a() {
        List<String> lines = new ArrayList<>();
        for (double[] r : MISRA1A) lines.add(r[0] + "," + r[1]);
        data = csv(dir.resolve("misra1a.csv"), "y,x", lines);
    }

    Path job(String... extra) {
        String[] base = {"job = train", "residuals = y - b1 * (1 - exp(-b2 * x))", "variables = b1, b2", "optimizer = lm",
                "init.b1 = 500", "init.b2 = 0.0001", "steps = 500", "tolerance.loss = 1e-15", "tolerance.step = 1e-15",
                "tolerance.grad = 0", "reduce = sum", "stderr = true", "input.path = " + data, "block.size = 3"};
        return config(dir, Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    static double digits(double got, double want) {
        return -Math.log10(Math.abs(got - want) / Math.abs(want));
    }

    @Test
    void misra1aToItsCertifiedValuesWithTheSameBitsFor1_3And8Partitions() throws Exception {
        List<List<Row>> params = new ArrayList<>();
        List<List<Row>> covs = new ArrayList<>();
        for (int n : new int[] {1, 3, 8}) {
            Path out = dir.resolve("parts" + n);
            Run r = main(job("partitions = " + n, "output.path = " + out).toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("CONVERGED").contains("Levenberg-Marquardt converged by").contains("(se ");
            List<Row> p = spark().read().parquet(out.resolve("params").toString()).orderBy("name").collectAsList();
            params.add(p);
            covs.add(spark().read().parquet(out.resolve("covariance").toString()).orderBy("name").collectAsList());
            String record = Files.readString(out.resolve("_tapeline.json"));
            assertThat(record).contains("\"standard_errors\"").contains("\"covariance\"").containsPattern("\"available\"\\s*:\\s*true");
            // train's lm keeps MINPACK's scaling (the sweep's per-row default is 0.5): the effective config says so
            assertThat(record).containsPattern("\"optimizer\\.jac_scaling\"\\s*:\\s*\"1\"");
            assertThat(tapeline.job.testing.Records.errors(tapeline.job.testing.Records.read(out))).as("the published schema").isEmpty();
        }
        List<Row> p = params.get(0);
        assertThat(p.get(0).getString(0)).isEqualTo("b1");
        for (int k = 0; k < 2; k++) {
            assertThat(digits(p.get(k).getDouble(1), CERTIFIED[k])).as("b" + (k + 1)).isGreaterThanOrEqualTo(6);
            assertThat(digits(p.get(k).getDouble(2), CERTIFIED_SE[k])).as("se b" + (k + 1)).isGreaterThanOrEqualTo(4);
            // The covariance's diagonal is the squared standard error.
            assertThat(covs.get(0).get(k).getDouble(k + 1)).isCloseTo(Math.pow(p.get(k).getDouble(2), 2),
                    within(1e-12 * Math.pow(p.get(k).getDouble(2), 2)));
        }
        assertThat(covs.get(0).get(0).getDouble(2)).isEqualTo(covs.get(0).get(1).getDouble(1));
        assertThat(params.get(1)).isEqualTo(p);
        assertThat(params.get(2)).isEqualTo(p);
        assertThat(covs.get(1)).isEqualTo(covs.get(0));
        assertThat(covs.get(2)).isEqualTo(covs.get(0));
    }

    @Test
    void aSingularFitWritesNullErrorsAndSaysWhy() throws Exception {
        Path out = dir.resolve("singular");
        // a and b enter only as a + b: J^T J is singular everywhere.
        Run r = main(config(dir, "job = train", "residuals = y - (a + b) * x", "variables = a, b", "optimizer = lm",
                "stderr = true", "input.path = " + data, "output.path = " + out).toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("no standard errors: J^T J is");
        for (Row row : spark().read().parquet(out.resolve("params").toString()).collectAsList()) {
            assertThat(row.isNullAt(2)).isTrue();
        }
        assertThat(Files.readString(out.resolve("_tapeline.json"))).containsPattern("\"available\"\\s*:\\s*false").contains("J^T J is");
        assertThat(tapeline.job.testing.Records.errors(tapeline.job.testing.Records.read(out))).as("the published schema").isEmpty();
    }

    @Test
    void configErrorsNameTheKeys() {
        Run both = main(job("loss = (y - b1 * x)^2", "output.path = " + dir.resolve("o1")).toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("loss and residuals are both given");
        Run lmLoss = main(config(dir, "job = train", "loss = (y - b1 * x)^2", "variables = b1", "optimizer = lm",
                "input.path = " + data, "output.path = " + dir.resolve("o2")).toString());
        assertThat(lmLoss.code()).isEqualTo(2);
        assertThat(lmLoss.err()).contains("optimizer: lm (Levenberg-Marquardt) needs the loss as residuals");
        Run reg = main(job("regularization = 0.1 * b1^2", "output.path = " + dir.resolve("o3")).toString());
        assertThat(reg.code()).isEqualTo(2);
        assertThat(reg.err()).contains("regularization: optimizer lm");
        Run se = main(config(dir, "job = train", "loss = (y - b1 * x)^2", "variables = b1", "stderr = true",
                "input.path = " + data, "output.path = " + dir.resolve("o4")).toString());
        assertThat(se.code()).isEqualTo(2);
        assertThat(se.err()).contains("stderr: standard errors need the loss as residuals");
        Run batch = main(job("batch.fraction = 0.5", "output.path = " + dir.resolve("o5")).toString());
        assertThat(batch.code()).isEqualTo(2);
        assertThat(batch.err()).contains("batch.fraction: optimizer = lm needs the full batch");
    }

    /**
     * A grouped fit with lm: each group its own Levenberg-Marquardt run. Group 1 is Misra1a, group 2
     * Misra1a with y doubled (its b1 doubles, b2 stays): both to the certified values; and group 1 is
     * job = train on its rows alone (the same TrainRun step) to 1e-9.
     */
    @Test
    void groupedLmFitsEachGroupToItsCertifiedValues() throws Exception {
        List<String> lines = new ArrayList<>();
        for (double[] r : MISRA1A) lines.add("1," + r[0] + "," + r[1]);
        for (double[] r : MISRA1A) lines.add("2," + (2 * r[0]) + "," + r[1]);
        Path grouped = csv(dir.resolve("grouped.csv"), "g,y,x", lines);
        Path out = dir.resolve("grouped-out");
        Run r = main(config(dir, "job = train", "group.by = g", "residuals = y - b1 * (1 - exp(-b2 * x))", "variables = b1, b2",
                "optimizer = lm", "init.b1 = 500", "init.b2 = 0.0001", "steps = 500", "tolerance.loss = 1e-15",
                "tolerance.step = 1e-15", "tolerance.grad = 0", "reduce = sum", "input.path = " + grouped,
                "output.path = " + out).toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        java.util.Map<Integer, Row> byGroup = new java.util.HashMap<>();
        for (Row row : spark().read().parquet(out.toString()).collectAsList()) byGroup.put(row.getAs("g"), row);
        assertThat(byGroup).hasSize(2);
        for (int g = 1; g <= 2; g++) {
            Row row = byGroup.get(g);
            assertThat((String) row.getAs("status")).isEqualTo("CONVERGED");
            assertThat(digits(row.getAs("b1"), g * CERTIFIED[0])).as("group %d b1", g).isGreaterThanOrEqualTo(6);
            assertThat(digits(row.getAs("b2"), CERTIFIED[1])).as("group %d b2", g).isGreaterThanOrEqualTo(6);
        }
        Path alone = dir.resolve("alone");
        assertThat(main(config(dir, "job = train", "residuals = y - b1 * (1 - exp(-b2 * x))", "variables = b1, b2",
                "optimizer = lm", "init.b1 = 500", "init.b2 = 0.0001", "steps = 500", "tolerance.loss = 1e-15",
                "tolerance.step = 1e-15", "tolerance.grad = 0", "reduce = sum", "input.path = " + data,
                "output.path = " + alone).toString()).code()).isZero();
        List<Row> p = spark().read().parquet(alone.resolve("params").toString()).orderBy("name").collectAsList();
        // The train job sums its rows by bucket, the group as one sequence: the same fit, not the same last bits.
        assertThat((double) byGroup.get(1).getAs("b1")).isCloseTo(p.get(0).getDouble(1), within(1e-9 * CERTIFIED[0]));
        assertThat((double) byGroup.get(1).getAs("b2")).isCloseTo(p.get(1).getDouble(1), within(1e-9 * CERTIFIED[1]));
        // With stderr = true each group also gets its standard errors: group 1's are Misra1a's certified ones
        // (more in GroupedStderrTest), group 2's b1 error twice that (y doubled), b2's the same.
        Path gse = dir.resolve("gse");
        Run se = main(config(dir, "job = train", "group.by = g", "residuals = y - b1 * (1 - exp(-b2 * x))", "variables = b1, b2",
                "optimizer = lm", "init.b1 = 500", "init.b2 = 0.0001", "steps = 500", "tolerance.loss = 1e-15",
                "tolerance.step = 1e-15", "tolerance.grad = 0", "reduce = sum", "stderr = true", "input.path = " + grouped,
                "output.path = " + gse).toString());
        assertThat(se.code()).as(se.err() + se.out()).isZero();
        for (Row row : spark().read().parquet(gse.toString()).collectAsList()) {
            int g = row.getAs("g");
            assertThat(digits(row.getAs("b1_se"), g * CERTIFIED_SE[0])).as("group %d b1_se", g).isGreaterThanOrEqualTo(4);
            assertThat(digits(row.getAs("b2_se"), CERTIFIED_SE[1])).as("group %d b2_se", g).isGreaterThanOrEqualTo(4);
        }
    }
}
