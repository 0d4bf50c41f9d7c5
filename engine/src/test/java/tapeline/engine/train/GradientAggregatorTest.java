package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/** The aggregator's sums against closed forms, finite differences and re-blocked folds; no Spark. */
class GradientAggregatorTest {

    static final Random R = new Random(7);

    static LossModel linear(int k, int lanes) {
        Map<String, Integer> inputs = new java.util.LinkedHashMap<>(); // y then x (Map.of has no fixed order)
        inputs.put("y", 1);
        inputs.put("x", k);
        return new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", k)), inputs, DType.FLOAT64, lanes);
    }

    /** Columns y, x0..x{k-1} (the model's input order is y then x: LinkedHashMap in the record). */
    static double[][] data(LossModel m, int rows) {
        double[][] c = new double[m.columnCount()][rows];
        for (double[] col : c) for (int i = 0; i < rows; i++) col[i] = R.nextGaussian();
        return c;
    }

    @Test
    void linearLeastSquaresMatchesTheClosedForm() {
        LossModel m = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 3)),
                new java.util.LinkedHashMap<>(Map.of("y", 1)) {{ put("x", 3); }}, DType.FLOAT64, 16);
        double[][] c = data(m, 100);
        double[] p = {0.3, -1, 2, 0.5};
        GradientSums s = new GradientAggregator(m).add(p, c, 0, 100).snapshot();
        double loss = 0;
        double[] g = new double[4];
        for (int i = 0; i < 100; i++) {
            double r = c[0][i] - (p[0] + p[1] * c[1][i] + p[2] * c[2][i] + p[3] * c[3][i]);
            loss += r * r;
            g[0] += -2 * r;
            for (int j = 0; j < 3; j++) g[j + 1] += -2 * r * c[j + 1][i];
        }
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.lossSum()).isCloseTo(loss, within(1e-9 * Math.abs(loss)));
        for (int k = 0; k < 4; k++) assertThat(s.gradientSum()[k]).isCloseTo(g[k], within(1e-9));
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        LossModel m = new LossModel(Expression.parse("loss", "log1p(exp(-y * (b + dot(w, x)))) + 0.1 * sin(b) * w[0]^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 2)),
                new java.util.LinkedHashMap<>(Map.of("y", 1)) {{ put("x", 2); }}, DType.FLOAT64, 7);
        double[][] c = data(m, 50);
        double[] p = {0.2, -0.4, 0.9};
        double[] g = new GradientAggregator(m).add(p, c, 0, 50).snapshot().gradientSum();
        for (int k = 0; k < p.length; k++) {
            double h = 1e-6;
            double[] up = p.clone();
            double[] down = p.clone();
            up[k] += h;
            down[k] -= h;
            double fd = (new GradientAggregator(m).add(up, c, 0, 50).snapshot().lossSum()
                    - new GradientAggregator(m).add(down, c, 0, 50).snapshot().lossSum()) / (2 * h);
            assertThat(g[k]).as("component %d", k).isCloseTo(fd, within(1e-6 * Math.max(1, Math.abs(fd))));
        }
    }

    @Test
    void sumsDependOnEachSequenceOnlyNotOnWhichAggregateTookItNorOnTheMergeOrder() throws Exception {
        int rows = 3001;
        LossModel m = linear(5, 64);
        double[][] c = data(m, rows);
        double[] p = {0.1, 0.2, -0.3, 0.4, -0.5, 0.6};
        // Three sequences (the job: three buckets) added to one aggregate, in order ...
        GradientAggregator whole = new GradientAggregator(m).add(p, c, 0, 1000).add(p, c, 1000, 1003).add(p, c, 1003, rows);
        // ... or each to its own, merged in reverse, through Java serialisation (as Spark ships them).
        GradientAggregator a = new GradientAggregator(m).add(p, c, 0, 1000);
        GradientAggregator b = new GradientAggregator(m).add(p, c, 1000, 1003);
        GradientAggregator d = new GradientAggregator(m).add(p, c, 1003, rows);
        GradientAggregator merged = roundTrip(d).merge(roundTrip(b)).merge(a);
        assertThat(merged.sameSumsAs(whole)).isTrue();
        assertThat(merged.count()).isEqualTo(rows);
        GradientSums x = whole.snapshot();
        GradientSums y = merged.snapshot();
        assertThat(Double.doubleToRawLongBits(y.lossSum())).isEqualTo(Double.doubleToRawLongBits(x.lossSum()));
        for (int k = 0; k < p.length; k++) {
            assertThat(Double.doubleToRawLongBits(y.gradientSum()[k])).isEqualTo(Double.doubleToRawLongBits(x.gradientSum()[k]));
        }
        // A sequence is cut into chunks of blockLanes rows from its start: 150 rows are 64 + 64 + 22.
        GradientAggregator one = new GradientAggregator(m).add(p, c, 0, 150);
        GradientAggregator three = new GradientAggregator(m).add(p, c, 0, 64).add(p, c, 64, 128).add(p, c, 128, 150);
        assertThat(one.sameSumsAs(three)).isTrue();
    }

    @Test
    void eachChunkIsSummedInTheFixedLaneOrderAndAddedExactly() {
        // The reference: per row, the closed-form loss and gradient; per chunk of 64 rows, Op.laneSum; then ExactSum.
        LossModel m = linear(3, 64);
        int rows = 200;
        double[][] c = data(m, rows);
        double[] p = {0.3, -1, 2, 0.5};
        GradientSums s = new GradientAggregator(m).add(p, c, 0, rows).snapshot();
        ExactSum loss = new ExactSum();
        ExactSum[] g = {new ExactSum(), new ExactSum(), new ExactSum(), new ExactSum()};
        for (int start = 0; start < rows; start += 64) {
            int n = Math.min(64, rows - start);
            double[] l = new double[n];
            double[][] gr = new double[4][n];
            for (int i = 0; i < n; i++) {
                int r = start + i;
                double fit = p[1] * c[1][r] + p[2] * c[2][r] + p[3] * c[3][r]; // dot(w, x): the written-out order
                double res = c[0][r] - (p[0] + fit);
                l[i] = res * res;
                double gz = -(2.0 * res); // square's rule, then the subtraction's
                gr[0][i] = gz;
                for (int j = 0; j < 3; j++) gr[j + 1][i] = gz * c[j + 1][r];
            }
            loss.add(tapeline.engine.tape.Op.laneSum(l, n));
            for (int k = 0; k < 4; k++) g[k].add(tapeline.engine.tape.Op.laneSum(gr[k], n));
        }
        assertThat(Double.doubleToRawLongBits(s.lossSum())).isEqualTo(Double.doubleToRawLongBits(loss.value()));
        for (int k = 0; k < 4; k++) {
            assertThat(Double.doubleToRawLongBits(s.gradientSum()[k])).as("component %d", k)
                    .isEqualTo(Double.doubleToRawLongBits(g[k].value()));
        }
    }

    @Test
    void aSelectionOfRowsEqualsTheseRowsAdded() {
        LossModel m = linear(3, 32);
        double[][] c = data(m, 500);
        double[] p = {1, 2, 3, 4};
        int[] rows = java.util.stream.IntStream.range(0, 500).filter(i -> i % 3 == 0).toArray();
        double[][] picked = new double[c.length][rows.length];
        for (int j = 0; j < c.length; j++) for (int i = 0; i < rows.length; i++) picked[j][i] = c[j][rows[i]];
        GradientAggregator sel = new GradientAggregator(m).add(p, c, rows, rows.length);
        GradientAggregator dense = new GradientAggregator(m).add(p, picked, 0, rows.length);
        assertThat(sel.sameSumsAs(dense)).isTrue();
    }

    @Test
    void samplingIsAboutTheFractionAndRepeatable() {
        int in = 0;
        for (long key = 0; key < 100_000; key++) if (RowSampler.includes(RowSampler.mix(key), 3, 5, 0.25)) in++;
        assertThat(in).isBetween(24_000, 26_000);
        assertThat(RowSampler.includes(123, 3, 5, 0.25)).isEqualTo(RowSampler.includes(123, 3, 5, 0.25));
    }

    static GradientAggregator roundTrip(GradientAggregator a) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(a);
        }
        try (ObjectInputStream i = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (GradientAggregator) i.readObject();
        }
    }
}
