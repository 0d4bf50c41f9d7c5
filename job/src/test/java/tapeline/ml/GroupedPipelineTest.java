package tapeline.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.config.Format;
import tapeline.job.config.InputSpec;
import tapeline.job.io.InputReader;
import tapeline.job.testing.SparkSuite;

/**
 * A Spark ML {@code Pipeline} of a {@code VectorAssembler} and a grouped {@link Trainer}: fitted,
 * saved as a {@code PipelineModel}, loaded, and scoring held-out rows. Oracles: each store's
 * least-squares coefficients from numpy's {@code lstsq} on the same rows
 * ({@code scripts/grouped-pipeline-reference.py} wrote the data and the expected values under
 * {@code src/test/resources/ml/}); the unsaved model's own output, which the loaded one must repeat.
 */
class GroupedPipelineTest extends SparkSuite {

    @TempDir
    static Path dir;

    static Path resource(String name) {
        try {
            return Path.of(GroupedPipelineTest.class.getResource("/ml/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    Dataset<Row> read(String name) {
        return InputReader.read(spark(), new InputSpec(resource(name).toString(), Format.CSV)); // as the jobs read it
    }

    /** numpy's coefficients by store: b, w0, w1, w2. */
    static Map<String, double[]> expected() {
        Map<String, double[]> out = new HashMap<>();
        try {
            for (String line : Files.readAllLines(resource("grouped-pipeline-expected.csv")).subList(1, 5)) {
                String[] f = line.split(",");
                out.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[4])});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Pipeline pipeline() {
        VectorAssembler assemble = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2"}).setOutputCol("features");
        Trainer perStore = new Trainer().setGroupBy("store").setLoss("(y - (b + dot(w, features)))^2").setVariables("b, w[3]")
                .setOptimizer("lbfgs").setSteps(500).setToleranceGrad(1e-12).setOutput("prediction", "b + dot(w, features)");
        return new Pipeline().setStages(new PipelineStage[] {assemble, perStore});
    }

    @Test
    void aVectorAssemblerAndAGroupedTrainerFitSaveLoadAndScoreAsTheUnsavedModel() throws Exception {
        Pipeline pipeline = pipeline();
        Path unfitted = dir.resolve("pipeline");
        pipeline.write().overwrite().save(unfitted.toString());
        Trainer trainerBack = (Trainer) Pipeline.load(unfitted.toString()).getStages()[1];
        assertThat(trainerBack.isGrouped()).isTrue();
        assertThat(trainerBack.configKeys()).isEqualTo(((Trainer) pipeline.getStages()[1]).configKeys());

        PipelineModel fitted = pipeline.fit(read("grouped-pipeline-train.csv"));
        TrainedModel inside = (TrainedModel) fitted.stages()[1];
        assertThat(inside.isGrouped()).isTrue();

        // each store's parameters: numpy's least squares on its rows
        Map<String, double[]> truth = expected();
        List<Row> groups = inside.groupParameters().collectAsList();
        assertThat(groups).hasSize(4);
        for (Row g : groups) {
            String store = g.getAs("store");
            double[] e = truth.get(store);
            assertThat(e).as("store %s", store).isNotNull();
            assertThat(g.<String>getAs("status")).as("store %s", store).isEqualTo("CONVERGED");
            assertThat(g.<Double>getAs("b")).as("%s: b", store).isCloseTo(e[0], within(1e-8));
            List<Double> w = g.getList(g.fieldIndex("w"));
            for (int k = 0; k < 3; k++) {
                assertThat(w.get(k)).as("%s: w[%d]", store, k).isCloseTo(e[k + 1], within(1e-8));
            }
        }

        Path saved = dir.resolve("pipeline-model");
        fitted.write().overwrite().save(saved.toString());
        PipelineModel back = PipelineModel.load(saved.toString());
        TrainedModel loaded = (TrainedModel) back.stages()[1];
        assertThat(loaded.isGrouped()).isTrue();
        assertThat(loaded.uid()).isEqualTo(inside.uid());
        assertThat(loaded.getOrDefault(loaded.groupBy())).isEqualTo("store");
        // the groups' rows as saved: the unsaved ones through Parquet (its nullability), the same bits
        Path through = dir.resolve("groups-through-parquet");
        inside.groupParameters().write().parquet(through.toString());
        assertSameFrame(spark().read().parquet(through.toString()).orderBy("store"), loaded.groupParameters().orderBy("store"));

        // held-out rows: the loaded pipeline scores as the unsaved one, every column but the error's text
        // (a NO_MODEL row names where the parameters are: the model, or the saved directory)
        Dataset<Row> held = read("grouped-pipeline-held.csv");
        Dataset<Row> before = fitted.transform(held).orderBy("id");
        Dataset<Row> after = back.transform(held).orderBy("id");
        assertSameFrame(before.drop("error"), after.drop("error"));
        List<Row> rows = after.collectAsList();
        assertThat(rows).hasSize(30);
        int scored = 0;
        for (Row r : rows) {
            String store = r.getAs("store");
            if (store.equals("nowhere")) {
                assertThat(r.<String>getAs("status")).isEqualTo("NO_MODEL");
                assertThat(r.<String>getAs("error")).startsWith("no fitted parameters for group store=nowhere in ")
                        .contains(saved.toString());
                assertThat((Object) r.getAs("prediction")).isNull();
            } else {
                double[] e = truth.get(store);
                double p = e[0] + e[1] * r.<Double>getAs("x0") + e[2] * r.<Double>getAs("x1") + e[3] * r.<Double>getAs("x2");
                assertThat(r.<String>getAs("status")).isEqualTo("SCORED");
                assertThat(r.<Double>getAs("prediction")).as("row %s", r).isCloseTo(p, within(1e-7));
                scored++;
            }
        }
        assertThat(scored).isEqualTo(24);
        assertThat(before.where("store = 'nowhere'").first().<String>getAs("error"))
                .isEqualTo("no fitted parameters for group store=nowhere in model " + inside.uid());
    }
}
