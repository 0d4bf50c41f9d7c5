package tapeline.job.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * {@code job = score} with {@code group.by}: each row with its own group's parameters (checked by
 * computing {@code b + w.x} from the grouped train's output in plain Java), an unseen group and an
 * INVALID one {@code NO_MODEL} with the key in {@code error}; parameters in Parquet (arrays) and CSV
 * ({@code w_0, w_1}).
 */
class GroupedScoreTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void eachRowIsScoredWithItsGroupsParametersAndAnUnseenGroupHasNoModel() {
        Random r = new Random(1);
        List<String> train = new ArrayList<>();
        for (int g = 0; g < 6; g++) {
            for (int i = 0; i < 20; i++) {
                double x0 = r.nextGaussian(), x1 = r.nextGaussian();
                train.add(String.format(Locale.ROOT, "%s,%.6f,%.6f,%.6f", "g" + g, g + 2 * x0 - g * x1 + 0.1 * r.nextGaussian(), x0, x1));
            }
        }
        train.add("bad,,1,2"); // an all-bad group: INVALID, so its rows get no model
        Path in = csv(dir.resolve("train.csv"), "store,y,x0,x1", train);
        for (String format : List.of("parquet", "csv")) {
            Path fitted = dir.resolve("fit-" + format);
            Run t = main(config(dir, "job = train", "group.by = store", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                    "optimizer = lbfgs", "bad.rows = skip", "input.path = " + in, "output.path = " + fitted,
                    "output.format = " + format).toString());
            assertThat(t.code()).as(t.err()).isZero();
            Map<String, double[]> params = new HashMap<>();
            var reader = spark().read().format(format);
            if (format.equals("csv")) reader = reader.option("header", "true").option("inferSchema", "true");
            for (Row p : reader.load(fitted.toString()).collectAsList()) {
                if (!"INVALID".equals(p.getAs("status"))) {
                    double[] w = format.equals("csv") ? new double[] {p.getAs("w_0"), p.getAs("w_1")}
                            : p.getList(p.fieldIndex("w")).stream().mapToDouble(d -> (Double) d).toArray();
                    params.put(p.getAs("store"), new double[] {p.getAs("b"), w[0], w[1]});
                }
            }
            assertThat(params).hasSize(6);

            List<String> rows = new ArrayList<>();
            for (int i = 0; i < 30; i++) rows.add(String.format(Locale.ROOT, "%d,%s,%.3f,%.3f", i, "g" + (i % 7), 0.1 * i, -0.2 * i));
            rows.add("30,bad,1,1");
            Path scoreIn = csv(dir.resolve("score-" + format + ".csv"), "id,store,x0,x1", rows);
            Path scored = dir.resolve("scored-" + format);
            // no params.format: the grouped train's _tapeline.json says how it wrote its rows
            Run s = main(config(dir, "job = score", "group.by = store", "params.path = " + fitted,
                    "output.prediction = b + dot(w, x)", "input.path = " + scoreIn, "output.path = " + scored).toString());
            assertThat(s.code()).as(s.err()).isZero();
            assertThat(s.out()).contains("SCORED 26").contains("NO_MODEL 5");
            List<Row> out = output(scored, "parquet").collectAsList();
            assertThat(out).hasSize(31);
            for (Row o : out) {
                int id = o.getAs("id");
                String store = o.getAs("store");
                double[] p = params.get(store);
                if (p == null) {
                    assertThat((String) o.getAs("status")).isEqualTo("NO_MODEL");
                    assertThat((String) o.getAs("error")).contains("no fitted parameters for group store=" + store);
                    assertThat((Object) o.getAs("prediction")).isNull();
                } else {
                    assertThat((String) o.getAs("status")).isEqualTo("SCORED");
                    double x0 = Double.parseDouble(String.format(Locale.ROOT, "%.3f", 0.1 * id));
                    double x1 = Double.parseDouble(String.format(Locale.ROOT, "%.3f", -0.2 * id));
                    assertThat((double) o.getAs("prediction")).as("row %d", id)
                            .isCloseTo(p[0] + p[1] * x0 + p[2] * x1, within(1e-12));
                }
            }
        }
    }

    /**
     * The rows with a model and those without come out of one pass over the join, so the input is read
     * once per score: the tasks read the input's rows once and the parameters' (two passes, one for the
     * scored rows and one for the {@code NO_MODEL} ones, read both twice).
     */
    @Test
    void theInputIsReadOnceWhetherRowsHaveAModelOrNot() {
        Path fitted = groupedFit("parquet");
        int n = 3000;
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(i + "," + (i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "unseen") + ",1,2");
        Path csv = csv(dir.resolve("read-once.csv"), "id,store,x0,x1", rows);
        Path in = dir.resolve("read-once-in");
        // Parquet, whose schema is in its footer: a CSV's schema inference would read the rows once more
        spark().read().option("header", "true").option("inferSchema", "true").csv(csv.toString()).write().parquet(in.toString());
        java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
        org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) read.addAndGet(end.taskMetrics().inputMetrics().recordsRead());
            }
        };
        drain();
        spark().sparkContext().addSparkListener(listener);
        try {
            Run s = main(config(dir, "job = score", "group.by = store", "params.path = " + fitted,
                    "output.prediction = b + dot(w, x)", "input.path = " + in, "input.format = parquet",
                    "output.path = " + dir.resolve("read-once"), "show.rows = 0") // no preview: it reads the output back
                    .toString());
            assertThat(s.code()).as(s.err()).isZero();
            assertThat(s.out()).contains("SCORED 2,000").contains("NO_MODEL 1,000");
            drain();
        } finally {
            spark().sparkContext().removeSparkListener(listener);
        }
        // the input's n rows and the fit's two parameter rows (groups a and b)
        assertThat(read.get()).as("records read by the score's tasks").isEqualTo(n + 2L);
    }

    private void drain() {
        try {
            spark().sparkContext().listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the listener bus did not drain", e);
        }
    }

    @Test
    void aGroupColumnTheParamsDoNotHaveIsNamed() throws Exception {
        Path fitted = groupedFit("parquet");
        Path scoreIn = csv(dir.resolve("score.csv"), "id,shop,store,x0,x1", List.of("1,a,a,1,1"));
        // the record says which columns the groups were fitted by
        Run s = main(scoreConfig(fitted, "group.by = shop", "input.path = " + scoreIn).toString(), "--check");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("group.by: is shop, but " + fitted.resolve("_tapeline.json"))
                .contains("fitted per group of store; give group.by = store");
        // a directory without a record: its columns say it
        Files.delete(fitted.resolve("_tapeline.json"));
        Files.deleteIfExists(fitted.resolve("._tapeline.json.crc"));
        Run bare = main(scoreConfig(fitted, "group.by = shop", "input.path = " + scoreIn).toString(), "--check");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.err()).contains("group.by: '").contains("has no key column 'shop'");
    }

    /** Issue 22's rule for grouped score: params.format only for a directory without a record, and never against it. */
    @Test
    void aParamsFormatThatContradictsAGroupedRecordIsAConfigErrorNamingTheFiles() {
        Path fitted = groupedFit("csv");
        Path out = dir.resolve("contradicted");
        Run s = main(scoreConfig(fitted, "group.by = store", "params.format = parquet", "output.path = " + out).toString());
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("params.format: is parquet, but " + fitted.resolve("_tapeline.json"))
                .contains("written as csv").containsPattern("files in \\S*fit-csv: \\[part-00000-\\S*\\.csv");
        assertThat(out).doesNotExist();
        Run same = main(scoreConfig(fitted, "group.by = store", "params.format = csv", "output.path = " + out).toString(),
                "--check");
        assertThat(same.code()).as(same.err()).isZero();
    }

    @Test
    void aDamagedGroupedRecordIsAClearConfigError() throws Exception {
        Path fitted = groupedFit("csv");
        Files.deleteIfExists(fitted.resolve("._tapeline.json.crc")); // edited by hand: no checksum to disagree
        Files.writeString(fitted.resolve("_tapeline.json"), "{\"record_version\": 1, \"job\": \"tra");
        Run s = main(scoreConfig(fitted, "group.by = store").toString(), "--check");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains(fitted.resolve("_tapeline.json") + " is not a readable run record (damaged JSON")
                .doesNotContain("\tat ");
        // a record of a grouped train beside a params directory: not as a grouped train leaves its output
        Path moved = groupedFit("parquet");
        Files.createDirectories(moved.resolve("params"));
        Run m = main(scoreConfig(moved, "group.by = store").toString(), "--check");
        assertThat(m.code()).isEqualTo(2);
        assertThat(m.err()).contains("says a train by group (group.by = store)").contains("there is a params directory in it")
                .contains("the directory is damaged");
    }

    /** A plain train's model given with group.by, and a grouped train's without it: each a clear exit-2 error. */
    @Test
    void aDirectoryThatIsNotAGroupedTrainsOutputIsAClearConfigError() {
        Path in = csv(dir.resolve("plain.csv"), "store,y,x0,x1", List.of("a,1,2,3", "a,2,3,4", "b,0,1,1"));
        Path plain = dir.resolve("plain-fit");
        Run t = main(config(dir, "job = train", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                "input.path = " + in, "output.path = " + plain, "output.format = csv", "steps = 2").toString());
        assertThat(t.code()).as(t.err()).isZero();
        Run s = main(scoreConfig(plain, "group.by = store").toString(), "--check");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("params.path: '" + plain + "' is the output of a train without group.by")
                .contains(plain.resolve("_tapeline.json") + " and a params directory found")
                .containsPattern("files in \\S*plain-fit/params: \\[part-00000-\\S*\\.csv")
                .contains("leave group.by out").doesNotContain("\tat ");

        Path grouped = groupedFit("csv");
        Run u = main(config(dir, "job = score", "params.path = " + grouped, "output.prediction = b + dot(w, x)",
                "input.path = " + dir.resolve("score-in.csv"), "output.path = " + dir.resolve("u")).toString(), "--check");
        assertThat(u.code()).isEqualTo(2);
        assertThat(u.err()).contains("params.path: '" + grouped + "' is a grouped train's output")
                .contains("says group.by = store").contains("add group.by = store");
    }

    /** A grouped train's output by {@code store} in {@code format} (parameters b, w[2]), once per format. */
    private Path groupedFit(String format) {
        Path fitted = dir.resolve("fit-" + format);
        if (!Files.exists(fitted)) {
            Path in = csv(dir.resolve("train.csv"), "store,y,x0,x1", List.of("a,1,2,3", "a,2,3,4", "b,0,1,1"));
            Run t = main(config(dir, "job = train", "group.by = store", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                    "input.path = " + in, "output.path = " + fitted, "output.format = " + format, "steps = 2").toString());
            assertThat(t.code()).as(t.err()).isZero();
        }
        return fitted;
    }

    /** A score with {@code params.path = fitted}, one output, and {@code more} keys (which replace the defaults' ones). */
    private Path scoreConfig(Path fitted, String... more) {
        csv(dir.resolve("score-in.csv"), "id,store,x0,x1", List.of("1,a,1,1"));
        List<String> lines = new ArrayList<>(List.of(more));
        for (String d : List.of("job = score", "params.path = " + fitted, "output.prediction = b + dot(w, x)",
                "input.path = " + dir.resolve("score-in.csv"), "output.path = " + dir.resolve("scored"))) {
            String key = d.substring(0, d.indexOf(" ="));
            if (lines.stream().noneMatch(l -> l.startsWith(key + " ="))) lines.add(d);
        }
        return config(dir, lines.toArray(String[]::new));
    }
}
