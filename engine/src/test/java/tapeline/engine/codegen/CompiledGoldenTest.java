package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/** The notebook's digits and the shared golden rows, through the compiled path of the block solver. */
class CompiledGoldenTest {

    private static BlockSolver notebook(int steps, DType dtype) {
        return new BlockSolver(Expression.parse("cost", "x0 * w^2 + x1 * w + x2"), List.of(new VariableSpec("w", 1)),
                Map.of("x0", 1, "x1", 1, "x2", 1), "adam", Map.of("learning_rate", 0.1), new SolverSettings(steps, 0, 0), dtype);
    }

    private static BlockResult solve(BlockSolver s, double[][] x) {
        double[] x0 = new double[x.length];
        double[] x1 = new double[x.length];
        double[] x2 = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x0[i] = x[i][0];
            x1[i] = x[i][1];
            x2[i] = x[i][2];
        }
        return s.solve(x.length, Map.of("x0", new double[][] {x0}, "x1", new double[][] {x1}, "x2", new double[][] {x2}),
                Map.of(), Map.of());
    }

    @Test
    void theNotebooksDigits() {
        BlockSolver one = notebook(1, DType.FLOAT32);
        BlockSolver thousand = notebook(1000, DType.FLOAT32);
        BlockSolver more = notebook(1001, DType.FLOAT32);
        double[][] x = {{1, -10, 25}, {5, -7, 13}};
        assertThat(Float.toString((float) solve(one, x).values()[0][0][0])).isEqualTo("0.09999931");
        assertThat(Float.toString((float) solve(more, x).values()[0][0][0])).isEqualTo("5.000001");
        assertThat(Float.toString((float) solve(thousand, x).values()[0][0][1])).isEqualTo("0.7");
        assertThat(thousand.kernelPath().compiled()).isTrue();
        assertThat(thousand.kernelPath().fused()).isTrue();
    }

    @Test
    void everyGoldenRow() throws IOException {
        Path golden;
        try {
            golden = Path.of(CompiledGoldenTest.class.getResource("/golden/adam_quadratic.csv").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        // dtype and step -> the rows (x0, x1, x2, w, cost): one block per pair, every problem a lane.
        Map<String, List<double[]>> groups = new TreeMap<>();
        for (String line : Files.readAllLines(golden).subList(1, Files.readAllLines(golden).size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            boolean f32 = f[0].equals("float32");
            groups.computeIfAbsent(f[0] + "," + f[4], k -> new ArrayList<>()).add(new double[] {
                Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                f32 ? Float.parseFloat(f[5]) : Double.parseDouble(f[5]), f32 ? Float.parseFloat(f[6]) : Double.parseDouble(f[6])});
        }
        assertThat(groups).hasSize(16);
        for (Map.Entry<String, List<double[]>> g : groups.entrySet()) {
            DType dtype = DType.parse(g.getKey().split(",")[0]);
            int steps = Integer.parseInt(g.getKey().split(",")[1]);
            double[][] x = g.getValue().toArray(new double[0][]);
            BlockSolver s = notebook(steps, dtype);
            BlockResult r = solve(s, x);
            assertThat(s.kernelPath().compiled()).isTrue();
            double tol = dtype == DType.FLOAT32 ? 2e-6 : 1e-9;
            for (int i = 0; i < x.length; i++) {
                assertThat(r.values()[0][0][i]).as("%s: w of %s", g.getKey(), java.util.Arrays.toString(x[i]))
                        .isCloseTo(x[i][3], within(tol));
                assertThat(r.cost()[i]).as("%s: cost of %s", g.getKey(), java.util.Arrays.toString(x[i]))
                        .isCloseTo(x[i][4], within(tol * Math.max(1, Math.abs(x[i][4]))));
            }
            Runs.assertSameBits(r, solve(s.withCodegen(false), x), g.getKey());
        }
    }
}
