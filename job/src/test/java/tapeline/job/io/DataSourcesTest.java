package tapeline.job.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.RunRecord;
import tapeline.job.testing.Records;
import tapeline.job.testing.SparkSuite;

/**
 * Sources other than the four built in, on real data sources (no mocks): Avro files (spark-avro),
 * JDBC against an in-process H2 database, tables of Spark's catalog, the {@code input.option.*} and
 * {@code output.option.*} keys, and partitioned output whose overwrite replaces only the partitions
 * it writes. Oracle: each row's closed-form minimiser {@code -x1 / (2 x0)}.
 */
class DataSourcesTest extends SparkSuite {
    static final Path WAREHOUSE = Path.of("target", "warehouse-" + DataSourcesTest.class.getSimpleName()).toAbsolutePath();

    @TempDir
    Path dir;
    Path out;

    @Override
    public SparkConf conf() {
        // Managed tables go under target/, not into the module's working directory.
        return super.conf().set("spark.sql.warehouse.dir", WAREHOUSE.toUri().toString());
    }

    @BeforeEach
    void paths() {
        out = dir.resolve("out");
    }

    static final String[] COST = {"cost = x0 * w^2 + x1 * w + x2", "variables = w", "steps = 5000",
            "optimizer.learning_rate = 0.1", "tolerance.grad = 1e-10", "show.rows = 0"};

    Path job(String... extra) {
        return config(dir, Stream.concat(Stream.of(COST), Stream.of(extra)).toArray(String[]::new));
    }

    static void assertMinimised(List<Row> rows) {
        assertThat(rows).isNotEmpty();
        for (Row r : rows) {
            double x0 = ((Number) r.getAs("x0")).doubleValue();
            double x1 = ((Number) r.getAs("x1")).doubleValue();
            assertThat((String) r.getAs("status")).as("row %s", r).isEqualTo("CONVERGED");
            assertThat((Double) r.getAs("w")).as("row %s", r).isCloseTo(-x1 / (2 * x0), within(1e-6));
        }
    }

    @Test
    void anUnknownFormatIsAConfigErrorNamingItAndTheBuiltInOnes() {
        Path in = csv(dir.resolve("in.csv"), "id,x0,x1,x2", List.of("1,1,-10,25"));
        Run run = main(job("input.path = " + in, "input.format = xls", "output.path = " + out,
                "output.format = nosuchsource").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("input.format: Spark has no data source 'xls'")
                .contains("output.format: Spark has no data source 'nosuchsource'")
                .contains("built in: csv, parquet, json, orc");
        assertThat(out).doesNotExist();
    }

    @Test
    void avroInAndOutWithOptionsPassedAsGiven() throws Exception {
        // A semicolon-separated CSV needs input.option.sep; the Avro output's codec is an output option.
        Path in = dir.resolve("in.csv");
        csv(in, "id;x0;x1;x2", List.of("1;1;-10;25", "2;5;-7;13", "3;2;4;0"));
        Path avroIn = dir.resolve("coefficients.avro");
        Run toAvro = main(job("input.path = " + in, "input.option.sep = ;", "output.path = " + avroIn,
                "output.format = avro", "output.option.compression = deflate").toString());
        assertThat(toAvro.code()).as(toAvro.err()).isZero();
        List<Row> first = spark().read().format("avro").load(avroIn.toString()).orderBy("id").collectAsList();
        assertThat(first).hasSize(3);
        assertMinimised(first);
        try (Stream<Path> files = Files.list(avroIn)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".avro"));
        }

        // Avro as the input of the next sweep (its result columns dropped by the next run's own).
        spark().read().format("avro").load(avroIn.toString()).select("id", "x0", "x1", "x2")
                .write().format("avro").save(dir.resolve("plain.avro").toString());
        Run fromAvro = main(job("input.path = " + dir.resolve("plain.avro"), "input.format = avro",
                "output.path = " + out).toString());
        assertThat(fromAvro.code()).as(fromAvro.err()).isZero();
        assertMinimised(output(out, "parquet").collectAsList());
        JsonNode r = Records.read(out);
        assertThat(Records.errors(r)).isEmpty();
        assertThat(r.get("input").get("format").asText()).isEqualTo("avro");
    }

    @Test
    void jdbcFromATableOfH2IntoAnother() throws Exception {
        String url = "jdbc:h2:mem:tapeline_" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
        // The first connection to an in-memory H2 database sets its user and password.
        try (Connection c = DriverManager.getConnection(url, "sa", "hunter2"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE \"coefficients\" (\"id\" INT PRIMARY KEY, \"x0\" DOUBLE, \"x1\" DOUBLE, \"x2\" DOUBLE)");
            s.execute("INSERT INTO \"coefficients\" VALUES (1, 1, -10, 25), (2, 5, -7, 13), (3, 0.5, 3, 1), (4, 2, NULL, 0)");

            Path record = dir.resolve("run");
            Run run = main(job("input.format = jdbc", "input.option.url = " + url, "input.option.dbtable = \"coefficients\"",
                    "input.option.user = sa", "input.option.password = hunter2",
                    "output.format = jdbc", "output.option.url = " + url, "output.option.dbtable = \"results\"",
                    "output.option.user = sa", "output.option.password = hunter2", "output.path = " + record).toString());
            assertThat(run.code()).as(run.err()).isZero();

            Map<Integer, double[]> results = new HashMap<>();
            Map<Integer, String> status = new HashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT \"id\", \"x0\", \"x1\", \"w\", \"status\", \"error\" FROM \"results\"")) {
                while (rs.next()) {
                    results.put(rs.getInt(1), new double[] {rs.getDouble(2), rs.getDouble(3), rs.getDouble(4)});
                    status.put(rs.getInt(1), rs.getString(5));
                }
            }
            assertThat(status).containsEntry(4, "INVALID").hasSize(4);
            for (int id : List.of(1, 2, 3)) {
                double[] x = results.get(id);
                assertThat(status.get(id)).isEqualTo("CONVERGED");
                assertThat(x[2]).isCloseTo(-x[1] / (2 * x[0]), within(1e-6));
            }
            // The record goes to output.path (all a JDBC output has of a directory), the password redacted.
            JsonNode r = Records.read(record);
            assertThat(Records.errors(r)).isEmpty();
            assertThat(r.get("rows_by_status").get("INVALID").asLong()).isEqualTo(1);
            assertThat(r.get("config").get("input.option.password").asText()).isEqualTo(RunRecord.REDACTED);
            assertThat(r.get("config").get("output.option.password").asText()).isEqualTo(RunRecord.REDACTED);
            assertThat(Files.readString(record.resolve(RunRecord.FILE))).doesNotContain("hunter2");

            // A run that fails while writing (the database refuses the password): exit 1, and the record in
            // output.path now says failed; the earlier run's record that said succeeded is gone.
            Run failed = main(job("input.format = jdbc", "input.option.url = " + url, "input.option.dbtable = \"coefficients\"",
                    "input.option.user = sa", "input.option.password = hunter2",
                    "output.format = jdbc", "output.option.url = " + url, "output.option.dbtable = \"results\"",
                    "output.option.user = sa", "output.option.password = wrong", "output.path = " + record,
                    "output.mode = overwrite").toString());
            assertThat(failed.code()).as(failed.err()).isEqualTo(1);
            JsonNode f = Records.read(record);
            assertThat(Records.errors(f)).as(f.toPrettyString()).isEmpty();
            assertThat(f.get("status").asText()).isEqualTo("failed");
            assertThat(f.get("exit_code").asInt()).isEqualTo(1);
            assertThat(f.get("message").asText()).contains("password");
            assertThat(f.get("rows_read").isNull()).isTrue();
        }
    }

    @Test
    void catalogTablesInAndOutHonouringOutputMode() {
        spark().sql("CREATE DATABASE IF NOT EXISTS sweeps");
        spark().sql("DROP TABLE IF EXISTS sweeps.coefficients");
        spark().sql("DROP TABLE IF EXISTS sweeps.results");
        spark().read().option("header", "true").option("inferSchema", "true")
                .csv(csv(dir.resolve("in.csv"), "id,x0,x1,x2", List.of("1,1,-10,25", "2,5,-7,13")).toString())
                .write().saveAsTable("sweeps.coefficients");

        Path conf = job("input.table = sweeps.coefficients", "output.table = sweeps.results");
        Run run = main(conf.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertMinimised(spark().table("sweeps.results").collectAsList());
        assertThat(spark().table("sweeps.results").count()).isEqualTo(2);

        // output.mode = error (the default): an existing table is a config error, and is left as it was.
        Run again = main(conf.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("output.table: 'sweeps.results' already exists");
        Run overwrite = main(conf.toString(), "output.mode=overwrite");
        assertThat(overwrite.code()).as(overwrite.err()).isZero();
        assertThat(spark().table("sweeps.results").count()).isEqualTo(2);

        // The record sits in the table's location.
        String location = spark().sql("DESCRIBE TABLE EXTENDED sweeps.results").where("col_name = 'Location'")
                .collectAsList().get(0).getString(1);
        JsonNode r = Records.read(Path.of(java.net.URI.create(location)));
        assertThat(Records.errors(r)).isEmpty();
        assertThat(r.get("output").get("table").asText()).isEqualTo("sweeps.results");

        Run missing = main(job("input.table = sweeps.nosuch", "output.path = " + out).toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("input.table: Spark's catalog has no table 'sweeps.nosuch'");
    }

    @Test
    void aDailyOverwriteReplacesItsDayAndNoOther() {
        Path days = csv(dir.resolve("days.csv"), "id,day,x0,x1,x2",
                List.of("1,2026-11-28,1,-10,25", "2,2026-11-28,5,-7,13", "3,2026-11-29,1,-4,0", "4,2026-11-29,2,-4,0"));
        Run run = main(job("input.path = " + days, "output.path = " + out, "output.partitionBy = day").toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(out.resolve("day=2026-11-28")).isDirectory();
        assertThat(out.resolve("day=2026-11-29")).isDirectory();

        // The re-run of the 29th, with other coefficients: the 28th's rows must survive untouched.
        Path rerun = csv(dir.resolve("rerun.csv"), "id,day,x0,x1,x2", List.of("5,2026-11-29,4,-8,0"));
        Run again = main(job("input.path = " + rerun, "output.path = " + out, "output.partitionBy = day",
                "output.mode = overwrite").toString());
        assertThat(again.code()).as(again.err()).isZero();
        List<Row> rows = output(out, "parquet").collectAsList();
        assertThat(rows).extracting(r -> r.getAs("id")).containsExactly(1, 2, 5);
        assertMinimised(rows);
        assertThat(Records.errors(Records.read(out))).isEmpty();

        // The same through a partitioned catalog table.
        spark().sql("DROP TABLE IF EXISTS daily");
        assertThat(main(job("input.path = " + days, "output.table = daily", "output.partitionBy = day").toString()).code())
                .isZero();
        Run tableRerun = main(job("input.path = " + rerun, "output.table = daily", "output.partitionBy = day",
                "output.mode = overwrite").toString());
        assertThat(tableRerun.code()).as(tableRerun.err()).isZero();
        assertThat(spark().table("daily").orderBy("id").collectAsList()).extracting(r -> r.getAs("id"))
                .containsExactly(1, 2, 5);

        Run badColumn = main(job("input.path = " + days, "output.path = " + dir.resolve("x"), "output.partitionBy = dya").toString());
        assertThat(badColumn.code()).isEqualTo(2);
        assertThat(badColumn.err()).contains("output.partitionBy: the output has no column 'dya'");
    }
}
