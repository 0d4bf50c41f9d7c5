package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.Records;
import tapeline.job.testing.SparkSuite;

/**
 * {@code stderr = true} with {@code group.by}, end to end on local[2]: each group's standard errors
 * and covariance against statsmodels' OLS and Logit {@code bse} / {@code cov_params()} for the same
 * rows (values in {@code grouped/stderr-reference.txt}, written by
 * {@code scripts/grouped-stderr-reference.py}), against NIST StRD's certified standard deviations
 * (Misra1a and BoxBOD as two groups of one run), and against {@code job = train} on the group's rows
 * alone; a singular group, one with n <= p and an INVALID one; the same fit as without
 * {@code stderr}; CSV's flattened columns; the grouped score reading such an output.
 */
class GroupedStderrTest extends SparkSuite {

    /** Reference lines by kind, then group: the values after the group's name. */
    static Map<String, Map<String, List<double[]>>> reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void readReference() throws IOException {
        reference = new TreeMap<>();
        try (InputStream in = GroupedStderrTest.class.getResourceAsStream("/grouped/stderr-reference.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split(" ");
                double[] v = new double[f.length - 2];
                for (int i = 2; i < f.length; i++) v[i - 2] = Double.parseDouble(f[i]);
                reference.computeIfAbsent(f[0], k -> new TreeMap<>()).computeIfAbsent(f[1], k -> new ArrayList<>()).add(v);
            }
        }
    }

    static double[] ref(String kind, String group) {
        return reference.get(kind).get(group).get(0);
    }

    static String line(String group, double[] v) {
        StringBuilder s = new StringBuilder(group);
        for (double d : v) s.append(',').append(d);
        return s.toString();
    }

    /**
     * The OLS groups, plus: {@code sing} (x2 = x0: J^T J singular), {@code few} (3 rows, 4 parameters)
     * and {@code dead} (its one row bad: INVALID).
     */
    Path olsInput() {
        List<String> lines = new ArrayList<>();
        reference.get("ols_row").forEach((g, rows) -> rows.forEach(r -> lines.add(line(g, r))));
        Random r = new Random(5);
        for (int i = 0; i < 10; i++) {
            double x0 = Math.round(r.nextGaussian() * 1e4) / 1e4;
            double x1 = Math.round(r.nextGaussian() * 1e4) / 1e4;
            lines.add(line("sing", new double[] {Math.round((1 + x0 - x1 + 0.1 * r.nextGaussian()) * 1e6) / 1e6, x0, x1, x0}));
        }
        for (int i = 0; i < 3; i++) lines.add(line("few", new double[] {i, 0.5 * i, -i, 2 + i * i}));
        lines.add("dead,,1,2,3");
        Collections.shuffle(lines, new Random(9));
        return csv(dir.resolve("ols.csv"), "g,y,x0,x1,x2", lines);
    }

    Path ols(Path in, Path out, String... extra) {
        String[] base = {"job = train", "group.by = g", "residuals = y - (b + dot(w, x))", "variables = b, w[3]",
            "optimizer = lm", "steps = 200", "tolerance.loss = 1e-15", "tolerance.step = 1e-15", "tolerance.grad = 0",
            "reduce = sum", "bad.rows = skip", "input.path = " + in, "output.path = " + out};
        boolean stderrGiven = Stream.of(extra).anyMatch(e -> e.startsWith("stderr"));
        return config(dir, Stream.concat(Stream.concat(Stream.of(base), stderrGiven ? Stream.empty() : Stream.of("stderr = true")),
                Stream.of(extra)).toArray(String[]::new));
    }

    Map<String, Row> byGroup(Path out, String format) {
        var reader = spark().read().format(format);
        if (format.equals("csv")) reader = reader.option("header", "true").option("inferSchema", "true");
        Map<String, Row> m = new TreeMap<>();
        for (Row r : reader.load(out.toString()).collectAsList()) {
            assertThat(m.put(String.valueOf((Object) r.getAs("g")), r)).isNull();
        }
        return m;
    }

    static double[] doubles(Row r, String column) {
        return r.getList(r.fieldIndex(column)).stream().mapToDouble(d -> (Double) d).toArray();
    }

    /** b, w's standard errors as one array (parquet: b_se, w_se). */
    static double[] se(Row r) {
        double[] w = doubles(r, "w_se");
        double[] all = new double[w.length + 1];
        all[0] = r.getAs("b_se");
        System.arraycopy(w, 0, all, 1, w.length);
        return all;
    }

    static void assertRelative(String what, double[] got, double[] want, double rel) {
        assertThat(got).as(what).hasSameSizeAs(want);
        double scale = 0;
        for (double w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("%s[%d]", what, i).isCloseTo(want[i], within(rel * Math.max(Math.abs(want[i]), 1e-3 * scale)));
        }
    }

    @Test
    void olsGroupsHaveStatsmodelsStandardErrorsAndCovarianceAndTheOthersSayWhyNot() {
        Path in = olsInput();
        Path out = dir.resolve("lm");
        Run run = main(ols(in, out).toString());
        assertThat(run.code()).as(run.err() + run.out()).isZero();
        Map<String, Row> got = byGroup(out, "parquet");
        assertThat(got.keySet()).containsExactlyInAnyOrder("ols1", "ols2", "ols3", "sing", "few", "dead");
        for (String g : List.of("ols1", "ols2", "ols3")) {
            Row r = got.get(g);
            assertThat((String) r.getAs("status")).as(g).isEqualTo("CONVERGED");
            double[] params = new double[4];
            params[0] = r.getAs("b");
            System.arraycopy(doubles(r, "w"), 0, params, 1, 3);
            assertRelative(g + " params", params, ref("ols_params", g), 1e-8);
            assertRelative(g + " se", se(r), ref("ols_bse", g), 1e-8);
            assertRelative(g + " covariance", doubles(r, "covariance"), ref("ols_cov", g), 1e-8);
            assertThat((Object) r.getAs("se_reason")).as(g).isNull();
        }
        Row sing = got.get("sing");
        assertThat((Object) sing.getAs("b_se")).isNull();
        assertThat((Object) sing.getAs("w_se")).isNull();
        assertThat((Object) sing.getAs("covariance")).isNull();
        assertThat((String) sing.getAs("se_reason")).startsWith("J^T J is");
        Row few = got.get("few");
        assertThat((Object) few.getAs("b_se")).isNull();
        assertThat((String) few.getAs("se_reason")).isEqualTo("3 residuals for 4 parameters: n - p must be positive");
        Row dead = got.get("dead");
        assertThat((String) dead.getAs("status")).isEqualTo("INVALID");
        assertThat((Object) dead.getAs("b_se")).isNull();
        assertThat((Object) dead.getAs("se_reason")).as("an INVALID group has no parameters to have errors of").isNull();

        // The summary and the record count the solved groups without standard errors.
        assertThat(run.out()).contains("2 solved groups without standard errors").contains("g=sing: J^T J is")
                .contains("g=few: 3 residuals for 4 parameters");
        JsonNode record = Records.read(out);
        assertThat(Records.errors(record)).as("the published schema").isEmpty();
        JsonNode se = record.path("groups").path("standard_errors");
        assertThat(se.path("groups_without").asLong(-1)).isEqualTo(2);
        assertThat(se.path("reason_column").asText()).isEqualTo("se_reason");
        assertThat(se.path("covariance").asText()).isEqualTo("covariance");

        // Without stderr: the same fits, bit for bit, the same statuses and errors, and no standard-error columns.
        Path plain = dir.resolve("plain");
        Run p = main(ols(in, plain, "stderr = false").toString());
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.out()).doesNotContain("without standard errors");
        Map<String, Row> without = byGroup(plain, "parquet");
        assertThat(List.of(spark().read().parquet(plain.toString()).columns())).doesNotContain("b_se", "se_reason", "covariance");
        assertThat(Records.read(plain).path("groups").has("standard_errors")).isFalse();
        for (String g : got.keySet()) {
            Row a = got.get(g);
            Row b = without.get(g);
            assertThat((String) a.getAs("status")).as(g).isEqualTo(b.getAs("status"));
            assertThat((Object) a.getAs("error")).as(g).isEqualTo(b.getAs("error"));
            assertThat((Object) a.getAs("b")).as(g).isEqualTo(b.getAs("b"));
            assertThat((Object) a.getAs("w")).as(g).isEqualTo(b.getAs("w"));
            assertThat((Object) a.getAs("loss")).as(g).isEqualTo(b.getAs("loss"));
        }
    }

    @Test
    void anyOptimizerOnResidualsGivesTheSameStandardErrors() {
        Path in = olsInput();
        Path out = dir.resolve("lbfgs");
        Run run = main(config(dir, "job = train", "group.by = g", "residuals = y - (b + dot(w, x))", "variables = b, w[3]",
                "optimizer = lbfgs", "steps = 500", "tolerance.loss = 0", "tolerance.grad = 1e-10", "reduce = sum",
                "stderr = true", "bad.rows = skip", "input.path = " + in, "output.path = " + out).toString());
        assertThat(run.code()).as(run.err() + run.out()).isZero();
        Map<String, Row> got = byGroup(out, "parquet");
        for (String g : List.of("ols1", "ols2", "ols3")) {
            assertRelative(g + " se (lbfgs)", se(got.get(g)), ref("ols_bse", g), 1e-6);
        }
        assertThat((String) got.get("few").getAs("se_reason")).startsWith("3 residuals for 4 parameters");
    }

    @Test
    void csvFlattensTheStandardErrorsAndTheCovarianceAndTheGroupedScoreReadsEitherOutput() {
        Path in = olsInput();
        Path parquet = dir.resolve("fit-parquet");
        Path csvOut = dir.resolve("fit-csv");
        assertThat(main(ols(in, parquet).toString()).code()).isZero();
        Run c = main(ols(in, csvOut, "output.format = csv").toString());
        assertThat(c.code()).as(c.err()).isZero();
        Map<String, Row> a = byGroup(parquet, "parquet");
        Map<String, Row> b = byGroup(csvOut, "csv");
        List<String> columns = List.of(spark().read().option("header", "true").csv(csvOut.toString()).columns());
        assertThat(columns).contains("w_0", "w_2", "b_se", "w_0_se", "w_1_se", "w_2_se", "covariance_0_0", "covariance_3_3",
                "se_reason").doesNotContain("w_se", "covariance");
        for (String g : List.of("ols1", "ols2", "ols3")) {
            double[] se = se(a.get(g));
            assertThat((double) b.get(g).getAs("b_se")).isEqualTo(se[0]);
            for (int k = 0; k < 3; k++) assertThat((double) b.get(g).getAs("w_" + k + "_se")).isEqualTo(se[k + 1]);
            double[] cov = doubles(a.get(g), "covariance");
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    assertThat((double) b.get(g).getAs("covariance_" + i + "_" + j)).isEqualTo(cov[i * 4 + j]);
                }
            }
        }
        assertThat((Object) b.get("sing").getAs("covariance_1_2")).isNull();

        // Scoring: the standard-error columns are not parameters, in either format.
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rows.add(i + "," + List.of("ols1", "ols2", "ols3", "sing", "dead", "nope").get(i % 6) + "," + (0.1 * i) + "," + (-0.3 * i)
                    + "," + (0.05 * i));
        }
        Path scoreIn = csv(dir.resolve("score.csv"), "id,g,x0,x1,x2", rows);
        for (Path fitted : List.of(parquet, csvOut)) {
            Path scored = dir.resolve("scored-" + fitted.getFileName());
            Run s = main(config(dir, "job = score", "group.by = g", "params.path = " + fitted,
                    "output.prediction = b + dot(w, x)", "input.path = " + scoreIn, "output.path = " + scored).toString());
            assertThat(s.code()).as(s.err()).isZero();
            assertThat(s.out()).contains("SCORED 8").contains("NO_MODEL 4");
            for (Row o : output(scored, "parquet").collectAsList()) {
                String g = o.getAs("g");
                int id = o.getAs("id");
                if (g.equals("dead") || g.equals("nope")) {
                    assertThat((String) o.getAs("status")).isEqualTo("NO_MODEL");
                    continue;
                }
                Row p = a.get(g);
                double[] w = doubles(p, "w");
                double want = (double) p.getAs("b") + w[0] * (0.1 * id) + w[1] * (-0.3 * id) + w[2] * (0.05 * id);
                assertThat((double) o.getAs("prediction")).as("row %d", id).isCloseTo(want, within(1e-12 * (1 + Math.abs(want))));
            }
        }
    }

    @Test
    void logitGroupsHaveStatsmodelsStandardErrorsWithANegativeLogLikelihood() {
        List<String> lines = new ArrayList<>();
        reference.get("logit_row").forEach((g, rows) -> rows.forEach(r -> lines.add(line(g, r))));
        Path in = csv(dir.resolve("logit.csv"), "g,t,z0,z1", lines);
        for (String reduce : List.of("sum", "mean")) {
            Path out = dir.resolve("logit-" + reduce);
            Run run = main(config(dir, "job = train", "group.by = g", "loss = softplus(-(2 * t - 1) * (b + dot(w, z)))",
                    "variables = b, w[2]", "cost.kind = nll", "stderr = true", "optimizer = newton", "reduce = " + reduce,
                    "steps = 100", "tolerance.grad = 1e-12", "tolerance.loss = 0", "input.path = " + in,
                    "output.path = " + out).toString());
            assertThat(run.code()).as(run.err() + run.out()).isZero();
            assertThat(run.out()).contains("0 solved groups without standard errors");
            Map<String, Row> got = byGroup(out, "parquet");
            for (String g : List.of("logit1", "logit2")) {
                Row r = got.get(g);
                double[] params = {r.getAs("b"), doubles(r, "w")[0], doubles(r, "w")[1]};
                assertRelative(g + " params", params, ref("logit_params", g), 1e-7);
                // The likelihood is the sum of the rows' terms whatever reduce is: the same errors for both.
                assertRelative(g + " se " + reduce, se(r), ref("logit_bse", g), 1e-7);
                assertRelative(g + " covariance", doubles(r, "covariance"), ref("logit_cov", g), 1e-7);
            }
            assertThat(Records.errors(Records.read(out))).as("the published schema").isEmpty();
        }
    }

    /** NIST StRD Misra1a and BoxBOD, y = b1 (1 - exp(-b2 x)), as two groups; certified values from the .dat files. */
    @Test
    void nistProblemsAsGroupsToTheirCertifiedStandardDeviations() {
        List<String> lines = new ArrayList<>();
        double[][] misra1a = {{10.07, 77.6}, {14.73, 114.9}, {17.94, 141.1}, {23.93, 190.8}, {29.61, 239.9},
            {35.18, 289.0}, {40.02, 332.8}, {44.82, 378.4}, {50.76, 434.8}, {55.05, 477.3}, {61.01, 536.8}, {66.40, 593.1},
            {75.47, 689.1}, {81.78, 760.0}};
        for (double[] r : misra1a) lines.add("misra1a," + r[0] + "," + r[1]);
        double[][] boxbod = {{109, 1}, {149, 2}, {149, 3}, {191, 5}, {213, 7}, {224, 10}};
        for (double[] r : boxbod) lines.add("boxbod," + r[0] + "," + r[1]);
        lines.add("two,10.07,77.6");
        lines.add("two,14.73,114.9");
        Collections.shuffle(lines, new Random(2));
        Path in = csv(dir.resolve("nist.csv"), "g,y,x", lines);
        Path out = dir.resolve("nist");
        Run run = main(config(dir, "job = train", "group.by = g", "residuals = y - b1 * (1 - exp(-b2 * x))",
                "variables = b1, b2", "optimizer = lm", "init.b1 = 500", "init.b2 = 0.0001", "steps = 500",
                "tolerance.loss = 1e-15", "tolerance.step = 1e-15", "tolerance.grad = 0", "reduce = sum", "stderr = true",
                "input.path = " + in, "output.path = " + out).toString());
        assertThat(run.code()).as(run.err() + run.out()).isZero();
        Map<String, Row> got = byGroup(out, "parquet");
        Map<String, double[][]> certified = new LinkedHashMap<>();
        certified.put("misra1a", new double[][] {{2.3894212918E+02, 5.5015643181E-04}, {2.7070075241E+00, 7.2668688436E-06}});
        certified.put("boxbod", new double[][] {{2.1380940889E+02, 5.4723748542E-01}, {1.2354515176E+01, 1.0455993237E-01}});
        certified.forEach((g, c) -> {
            Row r = got.get(g);
            assertThat((String) r.getAs("status")).as(g).isEqualTo("CONVERGED");
            for (int k = 0; k < 2; k++) {
                String b = "b" + (k + 1);
                assertThat(digits(r.getAs(b), c[0][k])).as("%s %s", g, b).isGreaterThanOrEqualTo(6);
                assertThat(digits(r.getAs(b + "_se"), c[1][k])).as("%s %s_se", g, b).isGreaterThanOrEqualTo(4);
            }
        });
        Row two = got.get("two");
        assertThat((String) two.getAs("status")).isNotIn("INVALID", "DIVERGED");
        assertThat((Object) two.getAs("b1_se")).isNull();
        assertThat((String) two.getAs("se_reason")).isEqualTo("2 residuals for 2 parameters: n - p must be positive");
        assertThat(run.out()).contains("1 solved group without standard errors");
    }

    static double digits(double got, double want) {
        return -Math.log10(Math.abs(got - want) / Math.abs(want));
    }

    /** A group's standard errors are what job = train writes for that group's rows alone (a different summation order: 1e-9). */
    @Test
    void aGroupAloneGivesTheTrainJobsStandardErrors() {
        Path in = olsInput();
        Path grouped = dir.resolve("grouped");
        assertThat(main(ols(in, grouped).toString()).code()).isZero();
        List<String> mine = new ArrayList<>();
        for (double[] r : reference.get("ols_row").get("ols2")) mine.add(line("", r).substring(1));
        Path alone = csv(dir.resolve("ols2.csv"), "y,x0,x1,x2", mine);
        Path trained = dir.resolve("trained");
        Run t = main(config(dir, "job = train", "residuals = y - (b + dot(w, x))", "variables = b, w[3]", "optimizer = lm",
                "steps = 200", "tolerance.loss = 1e-15", "tolerance.step = 1e-15", "tolerance.grad = 0", "reduce = sum",
                "stderr = true", "partitions = 3", "input.path = " + alone, "output.path = " + trained).toString());
        assertThat(t.code()).as(t.err()).isZero();
        Map<String, Double> se = new LinkedHashMap<>();
        for (Row p : spark().read().parquet(trained.resolve("params").toString()).collectAsList()) se.put(p.getString(0), p.getDouble(2));
        Map<String, double[]> cov = new LinkedHashMap<>();
        for (Row p : spark().read().parquet(trained.resolve("covariance").toString()).collectAsList()) {
            double[] row = new double[4];
            for (int j = 0; j < 4; j++) row[j] = p.getDouble(j + 1);
            cov.put(p.getString(0), row);
        }
        Row g = byGroup(grouped, "parquet").get("ols2");
        assertRelative("se", se(g), new double[] {se.get("b"), se.get("w[0]"), se.get("w[1]"), se.get("w[2]")}, 1e-9);
        double[] flat = new double[16];
        String[] names = {"b", "w[0]", "w[1]", "w[2]"};
        for (int i = 0; i < 4; i++) System.arraycopy(cov.get(names[i]), 0, flat, 4 * i, 4);
        assertRelative("covariance", doubles(g, "covariance"), flat, 1e-9);
    }

    @Test
    void configErrors() {
        Path in = olsInput();
        Run noKind = main(config(dir, "job = train", "group.by = g", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[3]",
                "stderr = true", "input.path = " + in, "output.path = " + dir.resolve("o1")).toString());
        assertThat(noKind.code()).isEqualTo(2);
        assertThat(noKind.err()).contains("stderr: standard errors need the loss as residuals");
        // b's standard error and a variable b_se would be two columns named b_se.
        Run clash = main(config(dir, "job = train", "group.by = g", "residuals = y - (b + b_se * x0)", "variables = b, b_se",
                "stderr = true", "optimizer = lm", "input.path = " + in, "output.path = " + dir.resolve("o2")).toString());
        assertThat(clash.code()).isEqualTo(2);
        assertThat(clash.err()).contains("output: two columns would be named 'b_se'");
        Run check = main(ols(in, dir.resolve("o3")).toString(), "--check");
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(dir.resolve("o3")).doesNotExist();
    }
}
