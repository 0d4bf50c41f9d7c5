package tapeline.job.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
            Run s = main(config(dir, "job = score", "group.by = store", "params.path = " + fitted, "params.format = " + format,
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

    @Test
    void aGroupColumnTheParamsDoNotHaveIsNamed() {
        Path in = csv(dir.resolve("train.csv"), "store,y,x0,x1", List.of("a,1,2,3", "a,2,3,4", "b,0,1,1"));
        Path fitted = dir.resolve("fit");
        Run t = main(config(dir, "job = train", "group.by = store", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
                "input.path = " + in, "output.path = " + fitted, "steps = 2").toString());
        assertThat(t.code()).as(t.err()).isZero();
        Path scoreIn = csv(dir.resolve("score.csv"), "id,shop,store,x0,x1", List.of("1,a,a,1,1"));
        Run s = main(config(dir, "job = score", "group.by = shop", "params.path = " + fitted,
                "output.prediction = b + dot(w, x)", "input.path = " + scoreIn, "output.path = " + dir.resolve("out")).toString(),
                "--check");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("group.by: '").contains("has no key column 'shop'");
    }
}
