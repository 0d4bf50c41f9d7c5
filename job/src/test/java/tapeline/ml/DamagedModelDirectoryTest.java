package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * The "a damaged or foreign directory is a clear error": a train's output damaged in the
 * ways a disk, a copy or a person damages it, and directories that are not a train's, loaded with
 * {@link TrainedModel#load} and given to {@code job = score} as {@code params.path}. Each is an
 * {@code IllegalArgumentException} (the CLI: exit 2) that names the directory or file and says what is
 * wrong, never a Spark or Parquet stack trace; the CLI and the model say the same thing.
 */
class DamagedModelDirectoryTest extends SparkSuite {

    @TempDir
    static Path dir;
    static Path train;
    static Path score;
    static Path plain;
    static Path grouped;

    static final String LOSS = "(y - (b + dot(w, x)))^2";

    @BeforeEach
    void data() {
        if (train != null) {
            return;
        }
        Random r = new Random(9);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double x0 = r.nextGaussian();
            double x1 = r.nextGaussian();
            lines.add(String.format(Locale.ROOT, "s%d,%.6f,%.6f,%.6f", i % 2, 1 + 2 * x0 - x1 + 0.1 * r.nextGaussian(), x0, x1));
        }
        train = csv(dir.resolve("train.csv"), "store,y,x0,x1", lines);
        score = csv(dir.resolve("score.csv"), "id,store,x0,x1", List.of("1,s0,0.5,0.25"));
        plain = dir.resolve("plain");
        assertThat(main(config(dir, "job = train", "loss = " + LOSS, "variables = b, w[2]", "optimizer = lbfgs", "steps = 30",
                "input.path = " + train, "output.path = " + plain).toString()).code()).isZero();
        grouped = dir.resolve("grouped");
        assertThat(main(config(dir, "job = train", "group.by = store", "loss = " + LOSS, "variables = b, w[2]",
                "optimizer = lbfgs", "steps = 30", "input.path = " + train, "output.path = " + grouped).toString()).code())
                .isZero();
    }

    /** A copy of {@code from} to damage (the Hadoop checksum files with it). */
    static Path copy(Path from, String name) {
        Path to = dir.resolve(name);
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.sorted().toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return to;
    }

    static void delete(Path p) {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parquet data files of a directory. */
    static List<Path> parts(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code TrainedModel.load(model)} and {@code job = score} with {@code params.path = model} (grouped or
     * not) both refuse it clearly: an IllegalArgumentException / exit 2, with each phrase and the path.
     */
    void clearError(Path model, boolean groupBy, String... phrases) {
        Throwable t = catchThrowable(() -> TrainedModel.load(model.toString()));
        assertThat(t).as("TrainedModel.load(%s)", model).isInstanceOf(IllegalArgumentException.class);
        String m = t.getMessage();
        assertThat(m).contains(model.getFileName().toString()).doesNotContain("\tat ");
        for (String phrase : phrases) {
            assertThat(m).as("TrainedModel.load's message").contains(phrase);
        }
        List<String> lines = new ArrayList<>(List.of("job = score", "params.path = " + model, "input.path = " + score,
                "output.path = " + dir.resolve("out-" + model.getFileName()), "output.p = b"));
        if (groupBy) {
            lines.add("group.by = store");
        }
        Run run = main(config(dir, lines.toArray(String[]::new)).toString());
        assertThat(run.code()).as("job = score on %s: %s", model, run.err()).isEqualTo(2);
        assertThat(run.err()).contains(model.getFileName().toString()).doesNotContain("\tat ");
        for (String phrase : phrases) {
            assertThat(run.err()).as("job = score's message").contains(phrase);
        }
    }

    @Test
    void aRecordThatIsNotJsonOrFailsItsChecksum() {
        Path json = copy(plain, "damaged-json");
        write(json.resolve("_tapeline.json"), "{\"record_version\": 1, \"job\": \"train\", ");
        delete(json.resolve("._tapeline.json.crc"));
        clearError(json, false, "_tapeline.json is not a readable run record (damaged JSON");

        Path crc = copy(plain, "damaged-checksum");
        String text;
        try {
            text = Files.readString(crc.resolve("_tapeline.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(crc.resolve("_tapeline.json"), text.replace("\"succeeded\"", "\"succeeded\" "));
        clearError(crc, false, "_tapeline.json is damaged (its checksum does not match");
    }

    @Test
    void paramsThatAreNotWhatTheRecordSays() {
        Path csvInside = copy(plain, "csv-inside");
        for (Path p : parts(csvInside.resolve("params"))) {
            write(p, "name,value\nb,1.0\n");
            delete(p.resolveSibling("." + p.getFileName() + ".crc"));
        }
        clearError(csvInside, false, "cannot read parameters", "as parquet", "_tapeline.json says", "not a Parquet file");

        Path gone = copy(plain, "params-gone");
        delete(gone.resolve("params"));
        clearError(gone, false, "there is none", "damaged or not as that run left it");

        Path groupRowsGone = copy(grouped, "grouped-rows-gone");
        for (Path p : parts(groupRowsGone)) {
            delete(p);
            delete(p.resolveSibling("." + p.getFileName() + ".crc"));
        }
        clearError(groupRowsGone, true, "grouped-rows-gone");
    }

    @Test
    void foreignDirectories() {
        Path notes = dir.resolve("notes");
        try {
            Files.createDirectories(notes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(notes.resolve("readme.txt"), "not a model\n");
        clearError(notes, false, "cannot read parameters", "readme.txt", "not a Parquet file");

        // a Sweep stage saved (Spark ML's metadata/ only): a stage's Params, no fitted parameters
        Path sweep = dir.resolve("saved-sweep");
        try {
            new Sweep().setCost("(x0 - v)^2").setVariables("v").write().save(sweep.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Throwable t = catchThrowable(() -> TrainedModel.load(sweep.toString()));
        assertThat(t).isInstanceOf(IllegalArgumentException.class);
        assertThat(t.getMessage()).contains("saved-sweep").contains("tapeline.ml.Sweep");

        // a train that failed: its record says so
        Path failed = copy(plain, "failed-train");
        String text;
        try {
            text = Files.readString(failed.resolve("_tapeline.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(failed.resolve("_tapeline.json"), text.replace("\"succeeded\"", "\"failed\""));
        delete(failed.resolve("._tapeline.json.crc"));
        clearError(failed, false, "did not succeed", "status 'failed'");
    }
}
