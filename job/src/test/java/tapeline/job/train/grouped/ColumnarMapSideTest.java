package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.Phases;
import tapeline.job.config.GroupedTrainConfig;
import tapeline.job.io.OutputWriter;
import tapeline.job.testing.SparkSuite;

/**
 * The map side's columnar read ({@link ColumnarScan}) against its row read ({@link GroupPacker.RowFeed}),
 * the second implementation: on the same Parquet input, every output column of every group is the same
 * bits, with bad cells of every kind (null, NaN, infinity, an array of the wrong length or with a null
 * element), columns of other types than double (float, decimal, int: read by {@code CellReader} from the
 * batch's row), several key columns with hashes shared by many keys, an all-bad group, a group over
 * {@code group.max.rows}, and map-side buffers of a few rows (a group in many chunks). And the row path
 * is still what CSV and JSON inputs take, with the same bits as the columnar read of the same values.
 */
class ColumnarMapSideTest extends SparkSuite {

    @TempDir
    Path dir;

    @Override
    public SparkConf conf() {
        return super.conf().setMaster("local[2]");
    }

    /** Groups (store int, sku string) of 1 to 40 rows, one of 400; rows y double, x0 float, x1 decimal, n int; bad cells. */
    List<Row> rows() {
        Random r = new Random(21);
        List<Row> rows = new ArrayList<>();
        for (int g = 0; g < 30; g++) {
            int store = g % 4;
            String sku = "k" + (g * 7 % 11) + (g > 11 ? "-" + g : "");
            int n = g == 3 ? 400 : 1 + r.nextInt(40);
            double b = r.nextGaussian(), w0 = r.nextGaussian(), w1 = r.nextGaussian();
            for (int i = 0; i < n; i++) {
                float x0 = (float) r.nextGaussian();
                BigDecimal x1 = BigDecimal.valueOf(Math.round(r.nextGaussian() * 1e4), 4);
                Double y = b + w0 * x0 + w1 * x1.doubleValue() + 0.1 * r.nextGaussian();
                int bad = r.nextInt(40);
                if (bad == 0) y = null;
                if (bad == 1) y = Double.NaN;
                if (bad == 2) y = Double.NEGATIVE_INFINITY;
                rows.add(RowFactory.create(store, sku, y, bad == 3 ? null : x0, bad == 4 ? null : x1, i % 3));
            }
        }
        for (int i = 0; i < 3; i++) rows.add(RowFactory.create(9, "dead", null, 1f, BigDecimal.ONE, 0)); // an all-bad group
        for (int i = 0; i < 20; i++) rows.add(rows.get(i * 13)); // repeated rows: ties in the canonical order
        Collections.shuffle(rows, new Random(4));
        return rows;
    }

    StructType schema() {
        return new StructType().add("store", DataTypes.IntegerType).add("sku", DataTypes.StringType)
                .add("y", DataTypes.DoubleType).add("x0", DataTypes.FloatType)
                .add("x1", DataTypes.createDecimalType(10, 4)).add("n", DataTypes.IntegerType);
    }

    Path config(Path input, String format, Path out, String loss, String variables) {
        return config(input, format, out, loss, variables, "store, sku");
    }

    Path config(Path input, String format, Path out, String loss, String variables, String groupBy) {
        return config(dir, "job = train", "group.by = " + groupBy, "loss = " + loss, "variables = " + variables,
                "optimizer = lbfgs", "regularization = 0.01 * sum(w^2)", "tolerance.grad = 1e-12", "tolerance.loss = 0",
                "steps = 100", "bad.rows = skip", "group.max.rows = 250", "partitions = 3",
                "input.path = " + input, "input.format = " + format, "output.path = " + out);
    }

    /**
     * The grouped fit of {@code conf}'s input, its map side columnar or not, written; its output by key, as bits.
     * {@code offersColumnar}: whether the input's plan gives columnar batches (Parquet does, JSON does not).
     */
    Map<String, String> run(Path conf, Function<Column[], Column> hash, int budget, int chunk, boolean columnar,
                            boolean offersColumnar) throws Exception {
        GroupedTrainConfig c = GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(conf, List.of(),
                new ArrayList<>()), new ArrayList<>());
        GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), c);
        // The input offers the columnar read where expected (else the comparison would prove nothing).
        Dataset<Row> selected = GroupedTrainJob.select(p, hash);
        int k = c.groupBy().size();
        assertThat(ColumnarScan.of(selected, k, GroupedTrainJob.selectedCells(p)).isPresent()).isEqualTo(offersColumnar);
        GroupedCounts counts = GroupedCounts.register(spark().sparkContext());
        OutputWriter.write(GroupedTrainJob.fit(p, counts, new Phases(), GroupedTrainJob.solver(p), hash, budget, chunk,
                columnar), c.output());
        return bitsByKey(c.output().path(), c.groupBy());
    }

    /** Every column of every output row, doubles (and arrays of them) as raw bits, by key. */
    Map<String, String> bitsByKey(String out, List<String> keyColumns) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : spark().read().parquet(out).collectAsList()) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                String name = r.schema().fields()[i].name();
                if (keyColumns.contains(name)) continue;
                s.append(name).append('=').append(bits(r.get(i))).append(' ');
            }
            StringBuilder keyOf = new StringBuilder();
            for (String kc : keyColumns) keyOf.append(keyOf.length() > 0 ? "|" : "").append((Object) r.getAs(kc));
            String key = keyOf.toString();
            assertThat(m.put(key, s.toString())).as("group %s once", key).isNull();
        }
        return m;
    }

    static String bits(Object v) {
        if (v instanceof Double d) return Long.toHexString(Double.doubleToRawLongBits(d));
        if (v instanceof scala.collection.Seq<?> seq) {
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < seq.size(); i++) s.append(bits(seq.apply(i))).append(',');
            return s.append(']').toString();
        }
        if (v instanceof Row row) {
            StringBuilder s = new StringBuilder("{");
            for (int i = 0; i < row.size(); i++) s.append(bits(row.get(i))).append(',');
            return s.append('}').toString();
        }
        return String.valueOf(v);
    }

    @Test
    void theColumnarReadGivesTheRowReadsBitsWithBadCellsOtherTypesHashTiesAndTinyBuffers() throws Exception {
        Path in = dir.resolve("in.parquet");
        spark().createDataFrame(rows(), schema()).repartition(3).write().parquet(in.toString());
        String loss = "(y - (b + dot(w, x) + c * n))^2";
        Function<Column[], Column> xx = functions::xxhash64;
        Function<Column[], Column> tied = keys -> functions.pmod(functions.hash(keys), functions.lit(3));
        Map<String, String> reference = null;
        for (Object[] v : new Object[][] {{xx, GroupPacker.BUDGET, GroupPacker.CHUNK}, {tied, 40, 5}, {xx, 64, 3}}) {
            @SuppressWarnings("unchecked") Function<Column[], Column> hash = (Function<Column[], Column>) v[0];
            int budget = (int) v[1];
            int chunk = (int) v[2];
            String tag = budget + "-" + chunk + "-" + (hash == xx ? "xx" : "tied");
            Map<String, String> rowsRead = run(config(in, "parquet", dir.resolve("rows-" + tag), loss, "b, w[2], c"),
                    hash, budget, chunk, false, true);
            Map<String, String> columnar = run(config(in, "parquet", dir.resolve("columnar-" + tag), loss, "b, w[2], c"),
                    hash, budget, chunk, true, true);
            assertThat(columnar).as(tag).isEqualTo(rowsRead);
            if (reference == null) reference = rowsRead;
            assertThat(columnar).as(tag + " against the plain run").isEqualTo(reference);
        }
        // The run saw what it is meant to: bad rows counted with their reason, the all-bad group and the giant one INVALID.
        assertThat(reference).hasSize(31);
        assertThat(reference.get("9|dead")).contains("status=INVALID").contains("every one of the group's 3 rows is bad");
        assertThat(reference.get("3|k10")).contains("status=INVALID").contains("more than group.max.rows = 250");
        assertThat(reference.values().stream().filter(s -> s.contains("missing value")).count()).isPositive();
        long bad = 0;
        for (Row r : spark().read().parquet(dir.resolve("rows-" + GroupPacker.BUDGET + "-" + GroupPacker.CHUNK + "-xx").toString())
                .collectAsList()) {
            bad += r.<Long>getAs("bad_rows");
        }
        long expectedBad = 0;
        for (Row r : rows()) {
            boolean isBad = false;
            for (int i = 2; i < 5; i++) isBad |= r.isNullAt(i) || (i == 2 && !Double.isFinite(r.getDouble(2)));
            if (isBad) expectedBad++;
        }
        assertThat(bad).isEqualTo(expectedBad);
    }

    /**
     * A key of one number (its rows by {@link RadixChunks}; the columnar read gives their key bits a batch at once):
     * the columnar read against the row read, with a null key, bad cells, hashes shared by many keys and buffers of a
     * few rows; and against the two-column key's groups that it renames (the same rows, so the same bits).
     */
    @Test
    void aOneNumberKeyGivesTheSameBitsColumnarAndAsRowsWithANullKeyHashTiesAndTinyBuffers() throws Exception {
        // shop: one long a (store, sku) group; the group "k4" of store 2 has no shop (a null key).
        List<Row> rows = new ArrayList<>();
        for (Row r : rows()) {
            String sku = r.getString(1);
            Long shop = r.getInt(0) == 2 && sku.equals("k4") ? null : r.getInt(0) * 1_000_000_007L + sku.hashCode();
            rows.add(RowFactory.create(r.get(0), sku, r.get(2), r.get(3), r.get(4), r.get(5), shop));
        }
        Path in = dir.resolve("in-shop.parquet");
        spark().createDataFrame(rows, schema().add("shop", DataTypes.LongType)).repartition(3).write().parquet(in.toString());
        assertThat(rows.stream().filter(r -> r.isNullAt(6)).count()).isPositive();
        String loss = "(y - (b + dot(w, x) + c * n))^2";
        Function<Column[], Column> xx = functions::xxhash64;
        Function<Column[], Column> tied = keys -> functions.pmod(functions.hash(keys), functions.lit(3));
        Map<String, String> byPair = run(config(in, "parquet", dir.resolve("pair"), loss, "b, w[2], c", "store, sku"),
                xx, GroupPacker.BUDGET, GroupPacker.CHUNK, true, true);
        Map<String, String> pairByShop = new TreeMap<>();
        for (Row r : rows) pairByShop.put(String.valueOf(r.get(6)), r.get(0) + "|" + r.get(1));
        for (Object[] v : new Object[][] {{xx, GroupPacker.BUDGET, GroupPacker.CHUNK}, {tied, 40, 5}, {xx, 64, 3}, {xx, 7, 1}}) {
            @SuppressWarnings("unchecked") Function<Column[], Column> hash = (Function<Column[], Column>) v[0];
            int budget = (int) v[1];
            int chunk = (int) v[2];
            String tag = budget + "-" + chunk + "-" + (hash == xx ? "xx" : "tied");
            Map<String, String> rowsRead = run(config(in, "parquet", dir.resolve("shop-rows-" + tag), loss, "b, w[2], c", "shop"),
                    hash, budget, chunk, false, true);
            Map<String, String> columnar = run(config(in, "parquet", dir.resolve("shop-columnar-" + tag), loss, "b, w[2], c", "shop"),
                    hash, budget, chunk, true, true);
            assertThat(columnar).as(tag).isEqualTo(rowsRead);
            assertThat(columnar).as(tag).hasSize(byPair.size());
            for (Map.Entry<String, String> e : columnar.entrySet()) {
                // the same bits; an error names its own key
                assertThat(e.getValue().replaceAll(" \\(key [^)]*\\)", "")).as(tag + " shop " + e.getKey())
                        .isEqualTo(byPair.get(pairByShop.get(e.getKey())).replaceAll(" \\(key [^)]*\\)", ""));
            }
        }
    }

    /**
     * A one-number key whose cells are all double columns, columnar against the row read, with bad cells of each kind:
     * a null y or x0 (columns read with null checks), a NaN or infinite y, a NaN x1 (a column without nulls, read with
     * no null check), the budget's flushes (tiny buffers) and hash ties; a long and an int key hashed from the column.
     */
    @Test
    void aOneNumberKeyOfDoubleCellsGivesTheSameBitsColumnarAndAsRowsWithBadCellsAndTinyBuffers() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (Row r : rows()) {
            String sku = r.getString(1);
            Long shop = r.getInt(0) == 2 && sku.equals("k4") ? null : r.getInt(0) * 1_000_000_007L + sku.hashCode();
            Double x0 = r.isNullAt(3) ? null : (double) r.getFloat(3);
            Double x1 = r.isNullAt(4) ? Double.NaN : ((BigDecimal) r.get(4)).doubleValue();
            Integer store = shop == null ? null : r.getInt(0);
            rows.add(RowFactory.create(shop, r.get(2), x0, x1, (double) r.getInt(5), store));
        }
        StructType schema = new StructType().add("shop", DataTypes.LongType).add("y", DataTypes.DoubleType)
                .add("x0", DataTypes.DoubleType).add("x1", DataTypes.DoubleType).add("n", DataTypes.DoubleType)
                .add("store", DataTypes.IntegerType);
        Path in = dir.resolve("in-doubles.parquet");
        spark().createDataFrame(rows, schema).repartition(3).write().parquet(in.toString());
        assertThat(rows.stream().filter(r -> r.isNullAt(0)).count()).isPositive();
        assertThat(rows.stream().filter(r -> Double.isNaN(r.getDouble(3))).count()).isPositive();
        String loss = "(y - (b + dot(w, x) + c * n))^2";
        Function<Column[], Column> xx = functions::xxhash64;
        Function<Column[], Column> tied = keys -> functions.pmod(functions.hash(keys), functions.lit(3));
        for (Object[] v : new Object[][] {{xx, GroupPacker.BUDGET, GroupPacker.CHUNK}, {tied, 40, 5}, {xx, 64, 3}, {xx, 7, 1}}) {
            @SuppressWarnings("unchecked") Function<Column[], Column> hash = (Function<Column[], Column>) v[0];
            int budget = (int) v[1];
            int chunk = (int) v[2];
            String tag = budget + "-" + chunk + "-" + (hash == xx ? "xx" : "tied");
            Map<String, String> rowsRead = run(config(in, "parquet", dir.resolve("doubles-rows-" + tag), loss, "b, w[2], c", "shop"),
                    hash, budget, chunk, false, true);
            Map<String, String> columnar = run(config(in, "parquet", dir.resolve("doubles-columnar-" + tag), loss, "b, w[2], c", "shop"),
                    hash, budget, chunk, true, true);
            assertThat(columnar).as(tag).isEqualTo(rowsRead);
            assertThat(columnar).as(tag).hasSizeGreaterThan(20);
        }
        // The job's own hash of a long or int key is computed from the column's vector; another hash by the projection.
        for (String key : List.of("shop", "store")) {
            for (Function<Column[], Column> hash : List.of(xx, tied)) {
                GroupedTrainJob.Prepared p = GroupedTrainJob.prepare(spark(), GroupedTrainConfig.parse(tapeline.job.config.ConfigFile.read(
                        config(in, "parquet", dir.resolve("probe"), loss, "b, w[2], c", key), List.of(), new ArrayList<>()), new ArrayList<>()));
                ColumnarScan scan = ColumnarScan.of(GroupedTrainJob.select(p, hash), 1, GroupedTrainJob.selectedCells(p)).orElseThrow();
                assertThat(scan.hashesFromColumn()).as(key).isEqualTo(hash == xx);
            }
        }
        // An int key (and a null one), its hash from the column's vector: the same bits as the rows' projection.
        Map<String, String> rowsRead = run(config(in, "parquet", dir.resolve("store-rows"), loss, "b, w[2], c", "store"),
                xx, 64, 3, false, true);
        Map<String, String> columnar = run(config(in, "parquet", dir.resolve("store-columnar"), loss, "b, w[2], c", "store"),
                xx, 64, 3, true, true);
        assertThat(columnar).isEqualTo(rowsRead).hasSize(6);
    }

    @Test
    void arrayCellsGiveTheSameBitsColumnarAndAsRowsAndAsJson() throws Exception {
        // x as array<double>: a null array, one of the wrong length, a null element, a NaN element are bad cells; so are
        // a NaN and an infinite y.
        Random r = new Random(8);
        List<Row> rows = new ArrayList<>();
        for (int g = 0; g < 25; g++) {
            int n = 1 + r.nextInt(50);
            for (int i = 0; i < n; i++) {
                double x0 = r.nextGaussian(), x1 = r.nextGaussian();
                List<Double> x = new ArrayList<>(List.of(x0, x1));
                int bad = r.nextInt(30);
                if (bad == 1) x.add(3.0);
                if (bad == 2) x.set(1, null);
                if (bad == 3) x.set(0, Double.NaN);
                // y has no null, so the columnar read takes a batch's y without null checks: a NaN or infinite y is still bad.
                double y = 1 + g * 0.1 - x0 + 2 * x1 + 0.1 * r.nextGaussian();
                if (bad == 4) y = Double.NaN;
                if (bad == 5) y = Double.NEGATIVE_INFINITY;
                rows.add(RowFactory.create((long) g * 1_000_003L, bad == 0 ? null : x.toArray(new Double[0]), y));
            }
        }
        Collections.shuffle(rows, new Random(2));
        StructType schema = new StructType().add("store", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.DoubleType, true)).add("y", DataTypes.DoubleType);
        Dataset<Row> frame = spark().createDataFrame(rows, schema).withColumn("sku", functions.lit("a"));
        Path parquet = dir.resolve("in.parquet");
        Path json = dir.resolve("in.json");
        frame.repartition(2).write().parquet(parquet.toString());
        frame.repartition(3).write().json(json.toString());
        String loss = "(y - (b + dot(w, x)))^2";
        Function<Column[], Column> xx = functions::xxhash64;
        Map<String, String> rowsRead = run(config(parquet, "parquet", dir.resolve("rows"), loss, "b, w[2]"), xx, 30, 4,
                false, true);
        Map<String, String> columnar = run(config(parquet, "parquet", dir.resolve("columnar"), loss, "b, w[2]"), xx, 30, 4,
                true, true);
        Map<String, String> fromJson = run(config(json, "json", dir.resolve("json"), loss, "b, w[2]"), xx,
                GroupPacker.BUDGET, GroupPacker.CHUNK, true, false);
        assertThat(columnar).isEqualTo(rowsRead);
        assertThat(fromJson).isEqualTo(columnar);
        assertThat(columnar).hasSize(25);
        long bad = 0;
        for (String s : columnar.values()) bad += Long.parseLong(s.replaceAll(".*bad_rows=(\\d+) .*", "$1"));
        long expectedBad = rows.stream().filter(row -> {
            if (row.isNullAt(1) || !Double.isFinite(row.getDouble(2))) return true;
            List<Double> x = java.util.Arrays.asList((Double[]) row.get(1)); // the rows as made, before Spark
            return x.size() != 2 || x.contains(null) || x.stream().anyMatch(d -> d != null && !Double.isFinite(d));
        }).count();
        assertThat(expectedBad).isPositive();
        assertThat(bad).isEqualTo(expectedBad);
    }
}
