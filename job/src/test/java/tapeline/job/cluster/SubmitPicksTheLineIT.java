package tapeline.job.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code submit.sh} with a cluster master picks the job jar by the Spark of {@code $SPARK_HOME} (the
 * version in its {@code jars/spark-core_<scala>-<version>.jar}). The Spark homes here are fakes: a
 * {@code jars/} with an empty jar of the right name and a {@code bin/spark-submit} that prints its
 * arguments, so what the script would hand to Spark is seen without a cluster.
 */
class SubmitPicksTheLineIT {
    /** The line this build is for (failsafe sets it from the Maven profile). */
    private static final String LINE = System.getenv().getOrDefault("TAPELINE_SPARK_LINE", "3.5");
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void theSparkOfSparkHomePicksTheJarOfItsLine() throws IOException {
        String version = LINE.equals("3.5") ? "3.5.9" : "4.2.0";
        String scala = LINE.equals("3.5") ? "2.12" : "2.13";
        Submission.Result r = submit("picked", fakeSparkHome("home-" + LINE, scala, version), Map.of());

        assertThat(r.code()).as(r.err()).isZero();
        String jarDir = LINE.equals("3.5") ? "job/target/" : "job/target/spark-" + LINE + "/";
        assertThat(r.out()).contains("fake spark-submit: --class tapeline.job.Main --master spark://127.0.0.1:1 ")
                .contains(" " + REPO.resolve(jarDir + "tapeline-job_" + scala + "-0.1.0-SNAPSHOT.jar") + " conf/seed-sweep.properties");
    }

    @Test
    void aSparkOfNoLineIsAnErrorThatSaysWhichLinesThereAre() throws IOException {
        Submission.Result r = submit("old", fakeSparkHome("home-old", "2.12", "3.3.2"), Map.of());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("is Spark 3.3.2; tapeline builds for Spark 3.5 (Scala 2.12)").contains("Spark 4 (Scala 2.13)");
    }

    @Test
    void aLineAskedForThatIsNotTheClustersIsAnError() throws IOException {
        String other = LINE.equals("3.5") ? "4" : "3.5";
        String scala = LINE.equals("3.5") ? "2.12" : "2.13";
        String version = LINE.equals("3.5") ? "3.5.9" : "4.2.0";
        Submission.Result r = submit("mismatch", fakeSparkHome("home-mismatch", scala, version),
                Map.of("TAPELINE_SPARK_LINE", other));

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("TAPELINE_SPARK_LINE=" + other + ", but SPARK_HOME=").contains("is Spark " + version);
    }

    @Test
    void aLineThatIsNoLineIsAnError() {
        Submission.Result r = Submission.start(REPO, dir, "no-line", Map.of("TAPELINE_SPARK_LINE", "3.4"),
                List.of("conf/seed-sweep.properties")).await(Duration.ofMinutes(1));

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("TAPELINE_SPARK_LINE='3.4': expected 3.5 or 4");
    }

    private Submission.Result submit(String name, Path sparkHome, Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SPARK_HOME", sparkHome.toString());
        all.putIfAbsent("TAPELINE_SPARK_LINE", "");
        return Submission.start(REPO, dir, name, all, List.of("conf/seed-sweep.properties", "--master", "spark://127.0.0.1:1"))
                .await(Duration.ofMinutes(1));
    }

    private Path fakeSparkHome(String name, String scala, String version) throws IOException {
        Path home = dir.resolve(name);
        Files.createDirectories(home.resolve("jars"));
        Files.createFile(home.resolve("jars/spark-core_" + scala + "-" + version + ".jar"));
        Path submit = Files.createDirectories(home.resolve("bin")).resolve("spark-submit");
        Files.writeString(submit, "#!/usr/bin/env bash\necho \"fake spark-submit: $*\"\n");
        Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }
}
