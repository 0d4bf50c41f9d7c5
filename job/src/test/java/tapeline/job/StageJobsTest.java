package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * The jobs built on the stages ({@link StageJobs}): the direction of the dependencies (the jobs'
 * packages never use {@code tapeline.ml}; the stages never use the wiring), and a config the stage
 * could misread: a variable named {@code lambda}, which is the Trainer's tuning Param's name.
 */
class StageJobsTest extends SparkSuite {
    static final Path MAIN = Path.of("src/main/java/tapeline");

    @TempDir
    Path dir;

    /** The code lines (comments aside) of the Java files under {@code root} that contain {@code text}. */
    static List<String> uses(Path root, String text) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    String t = line.trim();
                    if (!t.startsWith("*") && !t.startsWith("/*") && !t.startsWith("//") && t.contains(text)) {
                        found.add(MAIN.relativize(f) + ": " + t);
                    }
                }
            }
        }
        return found;
    }

    @Test
    void theJobsPackagesNeverUseTheStagesAndTheStagesNeverUseTheWiring() throws IOException {
        for (String pkg : List.of("sweep", "train", "score", "config", "columns", "io", "tools")) {
            assertThat(uses(MAIN.resolve("job").resolve(pkg), "tapeline.ml")).as("tapeline.job." + pkg).isEmpty();
        }
        assertThat(uses(MAIN.resolve("ml"), "StageJobs")).isEmpty();
        assertThat(uses(MAIN.resolve("ml"), "tapeline.job.Main")).isEmpty();
        // In tapeline.job itself, only the wiring knows the stages.
        List<String> top = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN.resolve("job"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (!f.getFileName().toString().equals("StageJobs.java")
                        && Files.readAllLines(f).stream().anyMatch(l -> l.startsWith("import tapeline.ml"))) {
                    top.add(f.getFileName().toString());
                }
            }
        }
        assertThat(top).isEmpty();
        assertThat(uses(MAIN.resolve("job/StageJobs.java"), "import tapeline.ml")).isNotEmpty();
    }

    /**
     * {@code regularization} may read a variable named {@code lambda}; through the Trainer (whose
     * {@code lambda} Param stands for that name in a tuned regularization) it stays the variable. Oracle:
     * the same fit with the variable renamed, bit for bit.
     */
    @Test
    void aVariableNamedLambdaStaysTheVariable() {
        Random r = new Random(7);
        List<String> rows = new ArrayList<>();
        int n = 60;
        double[] xs = new double[n];
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = Math.round(r.nextGaussian() * 1e6) / 1e6;
            ys[i] = Math.round((1 + 3 * xs[i] + 0.1 * r.nextGaussian()) * 1e6) / 1e6;
            rows.add(String.format(Locale.ROOT, "%.6f,%.6f", ys[i], xs[i]));
        }
        Path data = csv(dir.resolve("d.csv"), "y,x", rows);
        List<List<Row>> params = new ArrayList<>();
        for (String name : List.of("lambda", "slope")) {
            Path out = dir.resolve(name);
            Run run = main(config(dir, "job = train", "loss = (y - (b + " + name + " * x))^2", "variables = b, " + name,
                    "regularization = 5 * " + name + "^2", "optimizer = lbfgs", "steps = 100", "input.path = " + data,
                    "output.path = " + out).toString());
            assertThat(run.code()).as(run.err()).isZero();
            params.add(spark().read().parquet(out.resolve("params").toString()).select("value").collectAsList());
        }
        assertThat(params.get(0)).isEqualTo(params.get(1));
        // The regularization counted: mean((y - b - s x)^2) + 5 s^2 is least at s = cov(x, y) / (var(x) + 5).
        double mx = java.util.Arrays.stream(xs).average().orElseThrow();
        double my = java.util.Arrays.stream(ys).average().orElseThrow();
        double cov = 0;
        double var = 0;
        for (int i = 0; i < n; i++) {
            cov += (xs[i] - mx) * (ys[i] - my) / n;
            var += (xs[i] - mx) * (xs[i] - mx) / n;
        }
        assertThat(params.get(0).get(1).getDouble(0)).isCloseTo(cov / (var + 5), org.assertj.core.data.Offset.offset(1e-7));
    }
}
