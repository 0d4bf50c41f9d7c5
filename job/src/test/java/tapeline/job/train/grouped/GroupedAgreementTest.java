package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * Issue #21's agreement tests that {@link GroupedTrainJobTest} covers for one case only:
 * <ul>
 *   <li>each group's result against {@code job = train} run on that group's rows alone, for groups of
 *       1, 37 and 5,000 rows and the optimizers Adam, OWL-QN and Newton (L-BFGS and lm: the other
 *       tests): a one-row group sums one row in both, so the same bits; the others within 1e-9
 *       relative (the train job sums its rows in hash buckets, another reduction order);</li>
 *   <li>the same bits, every column, for random input orders, file splits, partition counts and
 *       block sizes (a property over seeds, as the train job's partitioning test is).</li>
 * </ul>
 */
class GroupedAgreementTest extends SparkSuite {

    @TempDir
    Path dir;

    /** Lines g,y,x0,x1 for groups of the given sizes, each its own true parameters. */
    static Map<String, List<String>> groups(int[] sizes, long seed) {
        Random r = new Random(seed);
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int g = 0; g < sizes.length; g++) {
            double b = r.nextGaussian(), w0 = 2 * r.nextGaussian(), w1 = r.nextGaussian();
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < sizes[g]; i++) {
                double x0 = Math.round(r.nextGaussian() * 1e4) / 1e4;
                double x1 = Math.round(r.nextGaussian() * 1e4) / 1e4;
                double y = Math.round((b + w0 * x0 + w1 * x1 + 0.2 * r.nextGaussian()) * 1e6) / 1e6;
                lines.add(String.format(Locale.ROOT, "%s,%s,%s", y, x0, x1));
            }
            m.put("g" + g, lines);
        }
        return m;
    }

    static final String[] MODEL = {"loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]", "regularization = 0.01 * sum(w^2)",
        "reduce = mean"};

    static String[] optimizer(String name) {
        return switch (name) {
            case "adam" -> new String[] {"optimizer = adam", "optimizer.learning_rate = 0.05", "steps = 60", "tolerance.grad = 0",
                "tolerance.loss = 0"};
            case "owlqn" -> new String[] {"optimizer = owlqn", "optimizer.l1 = 0.01", "steps = 200", "tolerance.grad = 1e-12",
                "tolerance.loss = 0"};
            case "newton" -> new String[] {"optimizer = newton", "steps = 50", "tolerance.grad = 1e-12", "tolerance.loss = 0"};
            default -> throw new IllegalArgumentException(name);
        };
    }

    Path run(String... lines) {
        Path c = config(dir, lines);
        Run r = main(c.toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        return c;
    }

    @Test
    void eachGroupAgreesWithTheTrainJobOnItsRowsAloneForEveryOptimizerAndSize() {
        Map<String, List<String>> groups = groups(new int[] {1, 37, 5000}, 21);
        List<String> all = new ArrayList<>();
        groups.forEach((g, rows) -> rows.forEach(l -> all.add(g + "," + l)));
        Collections.shuffle(all, new Random(4));
        Path in = csv(dir.resolve("all.csv"), "g,y,x0,x1", all);
        Map<String, Path> alone = new LinkedHashMap<>();
        groups.forEach((g, rows) -> alone.put(g, csv(dir.resolve(g + ".csv"), "y,x0,x1", rows)));
        for (String opt : List.of("adam", "owlqn", "newton")) {
            Path out = dir.resolve("grouped-" + opt);
            run(Stream.of(new String[] {"job = train", "group.by = g", "partitions = 5", "input.path = " + in, "output.path = " + out},
                    MODEL, optimizer(opt)).flatMap(Stream::of).toArray(String[]::new));
            Map<String, Row> got = new TreeMap<>();
            for (Row r : spark().read().parquet(out.toString()).collectAsList()) got.put(r.getAs("g"), r);
            for (String g : groups.keySet()) {
                Path t = dir.resolve("train-" + opt + "-" + g);
                run(Stream.of(new String[] {"job = train", "partitions = 3", "input.path = " + alone.get(g), "output.path = " + t},
                        MODEL, optimizer(opt)).flatMap(Stream::of).toArray(String[]::new));
                Map<String, Double> p = new LinkedHashMap<>();
                for (Row r : spark().read().parquet(t.resolve("params").toString()).collectAsList()) p.put(r.getString(0), r.getDouble(1));
                Row h = spark().read().parquet(t.resolve("history").toString()).orderBy(org.apache.spark.sql.functions.col("step").desc())
                        .first();
                Row r = got.get(g);
                double[] mine = {r.getAs("b"), (Double) r.getList(r.fieldIndex("w")).get(0), (Double) r.getList(r.fieldIndex("w")).get(1)};
                double[] theirs = {p.get("b"), p.get("w[0]"), p.get("w[1]")};
                String what = opt + " " + g + " (" + groups.get(g).size() + " rows)";
                assertThat((int) r.getAs("steps")).as(what + " steps").isEqualTo(h.getInt(0));
                for (int k = 0; k < 3; k++) {
                    if (groups.get(g).size() == 1) { // one row: the same sums, the same bits
                        assertThat(Double.doubleToRawLongBits(mine[k])).as(what + " param " + k)
                                .isEqualTo(Double.doubleToRawLongBits(theirs[k]));
                    } else {
                        assertThat(mine[k]).as(what + " param " + k).isCloseTo(theirs[k], within(1e-9 * Math.max(1, Math.abs(theirs[k]))));
                    }
                }
                assertThat((double) r.getAs("loss")).as(what + " loss").isCloseTo(h.getDouble(1), within(1e-9 * Math.max(1, h.getDouble(1))));
            }
        }
    }

    /** Every column of every group, doubles (and array elements) by their bits. */
    static Map<String, List<Object>> bits(List<Row> rows) {
        Map<String, List<Object>> m = new TreeMap<>();
        for (Row r : rows) {
            List<Object> v = new ArrayList<>();
            for (int i = 0; i < r.length(); i++) {
                Object o = r.get(i);
                if (o instanceof Double d) {
                    v.add(Double.doubleToRawLongBits(d));
                } else if (o != null && r.schema().fields()[i].dataType() instanceof org.apache.spark.sql.types.ArrayType) {
                    List<Object> e = new ArrayList<>();
                    for (Object x : r.getList(i)) {
                        e.add(x instanceof Double d ? Double.doubleToRawLongBits(d) : x);
                    }
                    v.add(e);
                } else {
                    v.add(o);
                }
            }
            assertThat(m.put(r.getAs("g"), v)).isNull();
        }
        return m;
    }

    @Test
    void anyOrderSplitPartitioningAndBlockSizeGivesTheSameBitsInEveryColumn() throws Exception {
        Random sizes = new Random(8);
        int[] n = new int[60];
        for (int g = 0; g < n.length; g++) n[g] = g == 3 ? 900 : 1 + sizes.nextInt(40);
        List<String> all = new ArrayList<>();
        groups(n, 5).forEach((g, rows) -> rows.forEach(l -> all.add(g + "," + l)));
        all.add("g7,,1,2"); // a bad row: counted, the same in every run
        String[] base = {"job = train", "group.by = g", "loss = (y - (b + dot(w, x)))^2", "variables = b, w[2]",
            "optimizer = lbfgs", "steps = 60", "tolerance.grad = 1e-10", "bad.rows = skip"};
        Path reference = dir.resolve("reference");
        run(Stream.concat(Stream.of(base), Stream.of("input.path = " + csv(dir.resolve("one.csv"), "g,y,x0,x1", all),
                "output.path = " + reference)).toArray(String[]::new));
        Map<String, List<Object>> want = bits(spark().read().parquet(reference.toString()).collectAsList());
        assertThat(want).hasSize(60);
        for (long seed = 1; seed <= 3; seed++) {
            Random r = new Random(seed);
            List<String> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, r);
            Path files = Files.createDirectories(dir.resolve("split" + seed));
            int parts = 1 + r.nextInt(4);
            int from = 0;
            for (int f = 0; f < parts; f++) {
                int to = f == parts - 1 ? shuffled.size() : from + r.nextInt(shuffled.size() - from + 1);
                csv(files.resolve("part" + f + ".csv"), "g,y,x0,x1", shuffled.subList(from, to));
                from = to;
            }
            int partitions = 1 + r.nextInt(13);
            int blockRows = List.of(7, 100, 65536).get(r.nextInt(3));
            Path out = dir.resolve("out" + seed);
            run(Stream.concat(Stream.of(base), Stream.of("input.path = " + files, "input.format = csv", "output.path = " + out,
                    "partitions = " + partitions, "group.block.rows = " + blockRows)).toArray(String[]::new));
            assertThat(bits(spark().read().parquet(out.toString()).collectAsList()))
                    .as("seed %d: %d files, %d partitions, block rows %d", seed, parts, partitions, blockRows).isEqualTo(want);
        }
    }
}
