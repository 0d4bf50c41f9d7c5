package tapeline.job.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import tapeline.job.Main;

/**
 * A JUnit 5 suite with one real local Spark ({@code local[2]}, loopback) shared by its tests, and
 * stopped after the class: one SparkContext per JVM, so a class that left it running would hand it to
 * the next. The session and {@code assertSameFrame} come from {@link SparkSuiteBase}, one per Spark
 * line (spark-testing-base on 3.5, plain JUnit on 4).
 *
 * <p>{@link Main#run} finds this session running and uses it, exactly as the script's JVM would use its own.
 */
public abstract class SparkSuite extends SparkSuiteBase {

    @Override
    public SparkConf conf() {
        return new SparkConf()
                .setMaster("local[2]")
                .setAppName(getClass().getSimpleName())
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.sql.shuffle.partitions", "2");
    }

    @Override
    public boolean enableHiveSupport() {
        return false;
    }

    @BeforeEach
    void startSpark() {
        runBefore();
    }

    @AfterAll
    static void stopSpark() {
        runAfterClass();
        SparkSession.clearDefaultSession();
        SparkSession.clearActiveSession();
    }

    /** What {@link Main#run} returned and printed. */
    public record Run(int code, String out, String err) {}

    /** Runs the job entry point the script calls. */
    public static Run main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Writes a config file from "key = value" lines. */
    public static Path config(Path dir, String... lines) {
        try {
            Path f = Files.createTempFile(dir, "job", ".properties");
            Files.write(f, List.of(lines));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a CSV file with a header. */
    public static Path csv(Path file, String header, List<String> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(header);
        lines.addAll(rows);
        try {
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The job's output, read back with Spark: parquet unless said otherwise, sorted by {@code id}. */
    public Dataset<Row> output(Path path, String format) {
        var r = spark().read().format(format);
        if (format.equals("csv")) {
            r = r.option("header", "true").option("inferSchema", "true");
        }
        return r.load(path.toString()).orderBy("id");
    }

    /** The repository's root (tests run in job/). */
    public static Path repo() {
        return Path.of("..").toAbsolutePath().normalize();
    }
}
