package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/**
 * L-BFGS and OWL-QN in the train job against MLlib's {@code LogisticRegression} on the same rows, with
 * the same objective written as a config: the mean log loss plus
 * {@code regParam * ((1 - α)/2 * ||w||² + α ||w||₁)} over the coefficients (never the intercept),
 * standardization off. Both run to tight tolerances; the coefficients agree to 1e-6 relative, and
 * those MLlib sets to exactly 0 are exactly 0.
 */
class SolversVsMllibTest extends SparkSuite {
    static final int N = 1000;
    static final int K = 4;

    @TempDir
    Path dir;
    Path data;
    Dataset<Row> mllibRows;

    @BeforeEach
    void logisticRows() {
        Random r = new Random(17);
        List<String> lines = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        double[] truth = {1.2, -0.8, 0.05, 0.3};
        double[] scale = {1, 3, 0.5, 2}; // features of different scales: standardization off must matter alike
        for (int i = 0; i < N; i++) {
            double[] x = new double[K];
            double z = 0.3;
            for (int j = 0; j < K; j++) {
                x[j] = Math.round(r.nextGaussian() * scale[j] * 1e4) / 1e4;
                z += truth[j] * x[j];
            }
            double y = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
            lines.add(String.format(Locale.ROOT, "%s,%s,%s,%s,%s", y, x[0], x[1], x[2], x[3]));
            rows.add(RowFactory.create(y, Vectors.dense(x)));
        }
        data = csv(dir.resolve("logistic.csv"), "y,x0,x1,x2,x3", lines);
        StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
        mllibRows = spark().createDataFrame(rows, schema).cache();
    }

    /** MLlib's fit: intercept first, then the coefficients. */
    double[] mllib(double regParam, double alpha) {
        LogisticRegressionModel m = new LogisticRegression().setRegParam(regParam).setElasticNetParam(alpha)
                .setStandardization(false).setMaxIter(1000).setTol(1e-12).fit(mllibRows);
        double[] out = new double[K + 1];
        out[0] = m.intercept();
        for (int j = 0; j < K; j++) out[j + 1] = m.coefficients().apply(j);
        return out;
    }

    /** The train job with {@code extra} keys: intercept first, then the coefficients. */
    double[] ours(String name, String... extra) {
        Path out = dir.resolve(name);
        List<String> lines = new ArrayList<>(List.of("job = train", "loss = softplus(-(2 * y - 1) * (b + dot(w, x)))",
                "variables = b, w[" + K + "]", "steps = 1000", "tolerance.grad = 1e-12", "tolerance.loss = 0",
                "input.path = " + data, "output.path = " + out));
        lines.addAll(List.of(extra));
        Run run = main(config(dir, lines.toArray(String[]::new)).toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("CONVERGED");
        Map<String, Double> p = new HashMap<>();
        for (Row row : spark().read().parquet(out.resolve("params").toString()).collectAsList()) {
            p.put(row.getString(0), row.getDouble(1));
        }
        double[] v = new double[K + 1];
        v[0] = p.get("b");
        for (int j = 0; j < K; j++) v[j + 1] = p.get("w[" + j + "]");
        return v;
    }

    static void assertClose(double[] ours, double[] mllib) {
        for (int k = 0; k < ours.length; k++) {
            if (mllib[k] == 0) {
                assertThat(ours[k]).as("component %d, which MLlib sets to exactly 0", k).isEqualTo(0.0);
            } else {
                assertThat(ours[k]).as("component %d (ours %s, MLlib's %s)", k, List.of(ours), List.of(mllib))
                        .isCloseTo(mllib[k], within(1e-6 * Math.abs(mllib[k])));
            }
        }
    }

    @Test
    void lbfgsWithoutRegularisationMeetsMllib() {
        assertClose(ours("plain", "optimizer = lbfgs"), mllib(0, 0));
    }

    @Test
    void lbfgsWithL2MeetsMllib() {
        // regParam 0.05, elasticNetParam 0: 0.05 * (1/2) ||w||^2.
        assertClose(ours("ridge", "optimizer = lbfgs", "regularization = 0.5 * 0.05 * sum(w^2)"), mllib(0.05, 0));
    }

    @Test
    void owlqnElasticNetMeetsMllibAndItsExactZeros() {
        // regParam 0.1, elasticNetParam 0.5: 0.1 * (0.5/2 ||w||^2 + 0.5 ||w||_1), the intercept not penalised.
        double[] theirs = mllib(0.1, 0.5);
        double zeros = java.util.Arrays.stream(theirs).filter(v -> v == 0).count();
        assertThat(zeros).as("MLlib sets some coefficients to 0 on these rows").isPositive();
        assertClose(ours("enet", "optimizer = owlqn", "optimizer.l1 = 0.05", "optimizer.l1_variables = w",
                "regularization = 0.1 * 0.5 / 2 * sum(w^2)"), theirs);
    }
}
