package tapeline.job.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/** CSV, Parquet, JSON (and ORC) in and out; vectors as array columns or one column per component. */
class FormatsTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void csvInJsonOut() {
        Path in = csv(dir.resolve("in.csv"), "id,x0,x1,x2", List.of("1,1,-10,25", "2,5,-7,13", "3,2,4,1"));
        Path out = dir.resolve("out.json");
        Run r = main(config(dir, "cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 5000", "optimizer.learning_rate = 0.1",
                "tolerance.grad = 1e-10", "input.path = " + in, "output.path = " + out, "output.format = json").toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<Row> rows = output(out, "json").collectAsList();
        assertThat(rows).hasSize(3);
        assertThat((Double) rows.get(0).getAs("w")).isCloseTo(5, within(1e-7));
        assertThat((Double) rows.get(1).getAs("w")).isCloseTo(0.7, within(1e-7));
        assertThat((Double) rows.get(2).getAs("w")).isCloseTo(-1, within(1e-7));
        assertThat(rows.get(0).schema().fieldNames()).containsExactly("cost", "error", "grad_norm", "id", "status", "steps", "w", "x0", "x1", "x2");
        assertThat(r.out()).as("the summary's counts, whatever the format").contains("sweep: 3 rows").contains("CONVERGED 3");
    }

    @Test
    void jsonWithArraysInCsvOutWritesOneColumnPerComponentAndAHeader() throws Exception {
        Path in = dir.resolve("in.json");
        Files.write(in, List.of("{\"id\": 1, \"x\": [1.5, -2.0]}", "{\"id\": 2, \"x\": [0.25, 4.0]}", "{\"id\": 3, \"x\": [1.0]}"));
        Path out = dir.resolve("out-csv");
        Run r = main(config(dir, "cost = (w[0] - x[0])^2 + (w[1] - x[1])^2", "variables = w[2]", "steps = 5000", "optimizer.learning_rate = 0.1",
                "tolerance.grad = 1e-10", "input.path = " + in, "output.path = " + out, "output.format = csv").toString());
        assertThat(r.code()).as(r.err()).isZero();

        Path part;
        try (Stream<Path> s = Files.list(out)) {
            part = s.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
        }
        assertThat(Files.readAllLines(part).get(0)).isEqualTo("id,x,w_0,w_1,cost,grad_norm,steps,status,error");
        List<Row> rows = output(out, "csv").collectAsList();
        assertThat((Double) rows.get(0).getAs("w_0")).isCloseTo(1.5, within(1e-7));
        assertThat((Double) rows.get(0).getAs("w_1")).isCloseTo(-2.0, within(1e-7));
        assertThat((String) rows.get(0).getAs("x")).isEqualTo("[1.5,-2.0]");
        assertThat((Double) rows.get(1).getAs("w_1")).isCloseTo(4.0, within(1e-7));
        assertThat((String) rows.get(2).getAs("status")).isEqualTo("INVALID");
        assertThat((String) rows.get(2).getAs("error")).isEqualTo("column x: expected an array of 2 elements, got 1");
        assertThat(r.out()).contains("sweep: 3 rows").contains("INVALID 1");
    }

    @Test
    void parquetInParquetAndOrcOutWithAVectorOfNumberedColumnsBoundToDot() {
        // minimise dot(x, w) + dot(w, w): w = -x / 2, with x the columns x0, x1, x2.
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("x0", DataTypes.DoubleType)
                .add("x1", DataTypes.DoubleType).add("x2", DataTypes.DoubleType);
        Path in = dir.resolve("in.parquet");
        spark().createDataFrame(List.of(RowFactory.create(1, 2.0, -4.0, 6.0), RowFactory.create(2, 1.0, 0.0, -1.0)), schema)
                .write().parquet(in.toString());
        for (String format : List.of("parquet", "orc")) {
            Path out = dir.resolve("out-" + format);
            Run r = main(config(dir, "cost = dot(x, w) + dot(w, w)", "variables = w[3]", "steps = 5000", "optimizer.learning_rate = 0.1",
                    "tolerance.grad = 1e-10", "dtype = float32", "input.path = " + in, "output.path = " + out,
                    "output.format = " + format).toString());
            assertThat(r.code()).as(r.err()).isZero();
            List<Row> rows = output(out, format).collectAsList();
            assertThat(((org.apache.spark.sql.types.ArrayType) rows.get(0).schema().apply("w").dataType()).elementType())
                    .isEqualTo(DataTypes.FloatType);
            List<Float> w = rows.get(0).getList(rows.get(0).fieldIndex("w"));
            assertThat(w).hasSize(3);
            assertThat(w.get(0)).isCloseTo(-1f, within(1e-4f));
            assertThat(w.get(1)).isCloseTo(2f, within(1e-4f));
            assertThat(w.get(2)).isCloseTo(-3f, within(1e-4f));
            assertThat(r.out()).contains("sweep: 2 rows");
        }
    }
}
