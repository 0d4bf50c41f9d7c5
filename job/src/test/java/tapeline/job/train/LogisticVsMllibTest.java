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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.job.testing.SparkSuite;

/** Logistic loss written as an expression vs MLlib's LogisticRegression (no regularisation) on the same rows. */
class LogisticVsMllibTest extends SparkSuite {

    @TempDir
    Path dir;

    @Test
    void accuracyLossAndCoefficientsAreCloseToMllibs() {
        Random r = new Random(5);
        int n = 1000;
        double[][] x = new double[n][2];
        double[] y = new double[n];
        List<String> lines = new ArrayList<>();
        List<Row> mllibRows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            x[i][0] = Math.round(r.nextGaussian() * 1e4) / 1e4;
            x[i][1] = Math.round(r.nextGaussian() * 1e4) / 1e4;
            double z = 3 * (0.3 + 1.5 * x[i][0] - 2 * x[i][1]); // steep: separable-ish, a few labels flipped
            y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
            lines.add(String.format(Locale.ROOT, "%s,%s,%s", y[i], x[i][0], x[i][1]));
            mllibRows.add(RowFactory.create(y[i], Vectors.dense(x[i][0], x[i][1])));
        }
        Path data = csv(dir.resolve("logistic.csv"), "y,x0,x1", lines);
        Path out = dir.resolve("out");
        Run run = main(config(dir, "job = train", "loss = softplus(-(2*y - 1) * (b + dot(w, x)))", "variables = b, w[2]",
                // L-BFGS, as MLlib's own fit: a few dozen passes (Adam needed 3,000, one Spark job each).
                "optimizer = lbfgs", "steps = 200", "tolerance.grad = 1e-10",
                "input.path = " + data, "output.path = " + out).toString());
        assertThat(run.code()).as(run.err()).isZero();
        Map<String, Double> p = new HashMap<>();
        for (Row row : spark().read().parquet(out.resolve("params").toString()).collectAsList()) {
            p.put(row.getString(0), row.getDouble(1));
        }

        StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
        LogisticRegressionModel m = new LogisticRegression().setRegParam(0).setStandardization(false)
                .setMaxIter(500).setTol(1e-12).fit(spark().createDataFrame(mllibRows, schema));
        double[] mllib = {m.intercept(), m.coefficients().apply(0), m.coefficients().apply(1)};
        double[] ours = {p.get("b"), p.get("w[0]"), p.get("w[1]")};

        double ourLoss = meanLogLoss(ours, x, y);
        double theirLoss = meanLogLoss(mllib, x, y);
        assertThat(ourLoss).isCloseTo(theirLoss, within(1e-6));
        assertThat(accuracy(ours, x, y)).isCloseTo(accuracy(mllib, x, y), within(0.003));
        for (int k = 0; k < 3; k++) assertThat(ours[k]).as("component %d", k).isCloseTo(mllib[k], within(2e-3));
    }

    static double meanLogLoss(double[] p, double[][] x, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            double z = (2 * y[i] - 1) * (p[0] + p[1] * x[i][0] + p[2] * x[i][1]);
            s += Math.log1p(Math.exp(-z));
        }
        return s / y.length;
    }

    static double accuracy(double[] p, double[][] x, double[] y) {
        int ok = 0;
        for (int i = 0; i < y.length; i++) {
            double z = p[0] + p[1] * x[i][0] + p[2] * x[i][1];
            if ((z > 0) == (y[i] == 1)) ok++;
        }
        return ok / (double) y.length;
    }
}
