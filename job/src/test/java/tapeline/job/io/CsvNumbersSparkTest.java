package tapeline.job.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.OutputMode;
import tapeline.job.config.OutputSpec;
import tapeline.job.testing.SparkSuite;

/**
 * CSV output's numbers through {@link OutputWriter#write}, in real Spark: each cell's text is JDK 25's
 * (the reference file), nulls are empty cells, and Spark reads every value back to the same bits, with
 * the written schema and with {@code inferSchema}.
 */
class CsvNumbersSparkTest extends SparkSuite {

    @TempDir
    Path dir;

    private static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType, false)
            .add("d", DataTypes.DoubleType, true).add("f", DataTypes.FloatType, true).add("s", DataTypes.StringType, true);

    @Test
    void everyDoubleAndFloatIsWrittenAsTheReferenceTextAndReadsBackBitExact() throws IOException {
        List<CsvNumbersTest.Ref> refs = CsvNumbersTest.reference();
        List<CsvNumbersTest.Ref> doubles = refs.stream().filter(r -> r.kind() == 'd').toList();
        List<CsvNumbersTest.Ref> floats = refs.stream().filter(r -> r.kind() == 'f').toList();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < doubles.size(); i++) {
            Double d = i % 50 == 7 ? null : doubles.get(i).asDouble(); // some nulls among them
            Float f = i < floats.size() && i % 40 != 3 ? floats.get(i).asFloat() : null;
            rows.add(RowFactory.create(i, d, f, i % 3 == 0 ? null : "text " + i));
        }
        Dataset<Row> frame = spark().createDataFrame(rows, SCHEMA).repartition(3);
        Path out = dir.resolve("out");
        OutputWriter.write(frame, new OutputSpec(out.toString(), Format.CSV, OutputMode.ERROR));

        // The text, cell by cell.
        Map<Integer, String[]> cells = new HashMap<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path part : s.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                List<String> lines = Files.readAllLines(part);
                assertThat(lines.get(0)).isEqualTo("id,d,f,s");
                for (String line : lines.subList(1, lines.size())) {
                    String[] c = line.split(",", -1);
                    assertThat(c).as(line).hasSize(4);
                    cells.put(Integer.parseInt(c[0]), c);
                }
            }
        }
        assertThat(cells).hasSize(rows.size());
        for (Row row : rows) {
            String[] c = cells.get(row.getInt(0));
            int i = row.getInt(0);
            assertThat(c[1]).as("d of row %d", i).isEqualTo(row.isNullAt(1) ? "" : doubles.get(i).text());
            assertThat(c[2]).as("f of row %d", i).isEqualTo(row.isNullAt(2) ? "" : floats.get(i).text());
            assertThat(c[3]).as("s of row %d", i).isEqualTo(row.isNullAt(3) ? "" : "text " + i);
        }

        // Read back with the written schema, and with inferSchema: same bits, same nulls.
        Map<Integer, Row> typed = byId(spark().read().schema(SCHEMA).option("header", "true").csv(out.toString()).collectAsList());
        Dataset<Row> inferredFrame = spark().read().option("header", "true").option("inferSchema", "true").csv(out.toString());
        assertThat(inferredFrame.schema().apply("d").dataType()).isEqualTo(DataTypes.DoubleType);
        Map<Integer, Row> inferred = byId(inferredFrame.collectAsList());
        for (Row row : rows) {
            int i = row.getInt(0);
            for (Row back : List.of(typed.get(i), inferred.get(i))) {
                assertThat(back.isNullAt(1)).as("d null of row %d", i).isEqualTo(row.isNullAt(1));
                if (!row.isNullAt(1)) {
                    CsvNumbersTest.assertBits(row.getDouble(1), back.getDouble(1));
                }
            }
            Row back = typed.get(i);
            assertThat(back.isNullAt(2)).as("f null of row %d", i).isEqualTo(row.isNullAt(2));
            if (!row.isNullAt(2)) {
                float f = row.getFloat(2);
                assertThat(Float.isNaN(f) ? Float.isNaN(back.getFloat(2)) : Float.floatToRawIntBits(back.getFloat(2)) == Float.floatToRawIntBits(f))
                        .as("f of row %d: %s back as %s", i, f, back.getFloat(2)).isTrue();
            }
            assertThat(back.isNullAt(3)).isEqualTo(row.isNullAt(3));
        }
    }

    @Test
    void aPartitionColumnKeepsItsTypeAndTheOtherNumbersTheirText() throws IOException {
        StructType schema = new StructType().add("p", DataTypes.DoubleType).add("v", DataTypes.DoubleType);
        Dataset<Row> frame = spark().createDataFrame(List.of(RowFactory.create(0.5, 2e23), RowFactory.create(1.5, 0.1)), schema);
        Path out = dir.resolve("parted");
        OutputWriter.write(frame, new OutputSpec(out.toString(), Format.CSV, OutputMode.ERROR, null, List.of("p"), Map.of()));
        assertThat(out.resolve("p=0.5")).isDirectory();
        assertThat(out.resolve("p=1.5")).isDirectory();
        try (Stream<Path> s = Files.list(out.resolve("p=0.5"))) {
            Path part = s.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
            assertThat(Files.readAllLines(part)).containsExactly("v", "2.0E23"); // JDK 17's Double.toString: 1.9999999999999998E23
        }
        List<Row> back = spark().read().option("header", "true").option("inferSchema", "true").csv(out.toString()).orderBy("p").collectAsList();
        assertThat(back.get(0).schema().apply("p").dataType()).isEqualTo(DataTypes.DoubleType);
        assertThat(back.get(0).getDouble(0)).isEqualTo(2e23);
        assertThat(back.get(1).getDouble(0)).isEqualTo(0.1);
    }

    @Test
    void aSweepWritesItsCsvNumbersShortestInFloat32ToAndCopiedInputColumnsToo() throws IOException {
        // A copied input double whose JDK 17 text is not the shortest (1.9999999999999998E23), a null, and
        // float32 variables: the job's whole path, through Main.
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("x0", DataTypes.DoubleType)
                .add("big", DataTypes.DoubleType);
        Path in = dir.resolve("in.parquet");
        spark().createDataFrame(List.of(RowFactory.create(1, 3.0, 2e23), RowFactory.create(2, 0.5, null)), schema)
                .write().parquet(in.toString());
        Path out = dir.resolve("sweep-csv");
        Run r = main(config(dir, "cost = (w - x0)^2", "variables = w", "dtype = float32", "steps = 200", "optimizer.learning_rate = 0.25",
                "input.path = " + in, "output.path = " + out, "output.format = csv").toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = new ArrayList<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path part : s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                List<String> l = Files.readAllLines(part);
                assertThat(l.get(0)).isEqualTo("id,x0,big,w,cost,grad_norm,steps,status,error");
                lines.addAll(l.subList(1, l.size()));
            }
        }
        assertThat(lines).hasSize(2);
        Map<String, String[]> byId = new HashMap<>();
        for (String line : lines) {
            byId.put(line.split(",", -1)[0], line.split(",", -1));
        }
        assertThat(byId.get("1")[2]).isEqualTo("2.0E23");
        assertThat(byId.get("2")[2]).isEmpty();
        Row back = spark().read().option("header", "true").option("inferSchema", "true").csv(out.toString()).where("id = 1").first();
        assertThat(back.<Double>getAs("big")).isEqualTo(2e23);
        // float32: w, cost and grad_norm are floats; each cell is Float.toString's shortest text of the written float.
        Row typed = output(out, "csv").where("id = 1").first();
        float w = ((Number) typed.getAs("w")).floatValue();
        assertThat(w).isCloseTo(3.0f, org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(byId.get("1")[3]).isEqualTo(CsvNumbers.text(Float.parseFloat(byId.get("1")[3])));
    }

    private static Map<Integer, Row> byId(List<Row> rows) {
        Map<Integer, Row> m = new HashMap<>();
        for (Row r : rows) {
            m.put(r.getInt(0), r);
        }
        return m;
    }
}
