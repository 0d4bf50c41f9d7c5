package tapeline.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import tapeline.engine.tape.DType;
import tapeline.engine.tape.GradientTape;
import tapeline.engine.tape.Tensor;
import tapeline.engine.tape.Variable;

/** Adam on the notebook's quadratic against the notebook's printed digits and shared/golden. */
class GoldenAdamTest {

    /** The notebook's cost {@code x0*w^2 + x1*w + x2}, recorded as the notebook records it. */
    static Tensor cost(GradientTape tape, Variable w, double[] x) {
        Tensor wt = tape.read(w);
        return tape.scalar(x[0]).mul(wt.pow(2)).add(tape.scalar(x[1]).mul(wt)).add(tape.scalar(x[2]));
    }

    static Variable run(double[] x, int steps, DType dtype) {
        Variable w = Variable.scalar("w", 0, dtype);
        Optimizer adam = Adam.withLearningRate(0.1, dtype);
        for (int i = 0; i < steps; i++) {
            adam.minimize(tape -> cost(tape, w, x), w);
        }
        return w;
    }

    @Test
    void reproducesTheNotebookDigits() {
        // In [5]: one step; In [6]: 1000 more on the same variable and optimizer.
        assertThat(Float.toString((float) run(new double[] {1, -10, 25}, 1, DType.FLOAT32).value()))
                .isEqualTo("0.09999931");
        assertThat(Float.toString((float) run(new double[] {1, -10, 25}, 1001, DType.FLOAT32).value()))
                .isEqualTo("5.000001");
        // In [15]: a fresh variable and optimizer, 1000 steps.
        assertThat(Float.toString((float) run(new double[] {5, -7, 13}, 1000, DType.FLOAT32).value()))
                .isEqualTo("0.7");
    }

    record Row(DType dtype, double[] x, int step, double w, double cost) { }

    /**
     * The golden file travels with the tests (src/test/resources/golden, copied from the project's
     * shared/golden); where shared/ sits beside the checkout, the copy must still equal it.
     */
    static Path goldenFile() throws IOException {
        try {
            return Path.of(GoldenAdamTest.class.getResource("/golden/adam_quadratic.csv").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    @Test
    void bundledGoldenFileEqualsTheSharedOne() throws IOException {
        Path shared = Path.of("..", "..", "shared", "golden", "adam_quadratic.csv");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(shared), "no shared/ beside this checkout");
        assertThat(Files.readAllLines(goldenFile())).isEqualTo(Files.readAllLines(shared));
    }

    static List<Row> golden() throws IOException {
        Path p = goldenFile();
        return Files.readAllLines(p).stream().skip(1).filter(l -> !l.isBlank()).map(l -> {
            String[] f = l.split(",");
            DType d = DType.parse(f[0]);
            boolean f32 = d == DType.FLOAT32;
            return new Row(d, new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])},
                    Integer.parseInt(f[4]),
                    f32 ? Float.parseFloat(f[5]) : Double.parseDouble(f[5]),
                    f32 ? Float.parseFloat(f[6]) : Double.parseDouble(f[6]));
        }).toList();
    }

    @TestFactory
    List<DynamicTest> matchesEveryGoldenRow() throws IOException {
        // Group rows by problem so each trajectory is run once, recording the values at each listed step.
        Map<String, List<Row>> byProblem = new TreeMap<>();
        for (Row r : golden()) {
            byProblem.computeIfAbsent(r.dtype() + " " + java.util.Arrays.toString(r.x()), k -> new java.util.ArrayList<>()).add(r);
        }
        assertThat(byProblem).hasSize(20);
        return byProblem.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            List<Row> rows = e.getValue();
            Row first = rows.get(0);
            Variable w = Variable.scalar("w", 0, first.dtype());
            Optimizer adam = Adam.withLearningRate(0.1, first.dtype());
            int done = 0;
            double tol = first.dtype() == DType.FLOAT32 ? 2e-6 : 1e-9;
            for (Row r : rows) {
                while (done < r.step()) {
                    adam.minimize(tape -> cost(tape, w, r.x()), w);
                    done++;
                }
                double c;
                try (GradientTape tape = new GradientTape(r.dtype(), false)) {
                    c = cost(tape, w, r.x()).value();
                }
                assertThat(w.value()).as("w after %d steps", r.step()).isCloseTo(r.w(), within(tol));
                assertThat(c).as("cost after %d steps", r.step()).isCloseTo(r.cost(), within(tol * Math.max(1, Math.abs(r.cost()))));
            }
        })).toList();
    }
}
