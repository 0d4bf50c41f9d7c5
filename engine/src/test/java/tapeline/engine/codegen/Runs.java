package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import tapeline.engine.solve.BlockResult;

/** Inputs for blocks over the names u, v (variables) and c (an input), and a bit-for-bit comparison of results. */
final class Runs {
    private Runs() {
    }

    record Block(int lanes, Map<String, double[][]> inputs, Map<String, double[][]> init) { }

    /** {@code lanes} lanes with c, u and v drawn from [-2, 2]. */
    static Block block(int lanes, long seed) {
        Random r = new Random(seed);
        double[] c = new double[lanes];
        double[] u = new double[lanes];
        double[] v = new double[lanes];
        for (int i = 0; i < lanes; i++) {
            c[i] = -2 + 4 * r.nextDouble();
            u[i] = -2 + 4 * r.nextDouble();
            v[i] = -2 + 4 * r.nextDouble();
        }
        return new Block(lanes, Map.of("c", new double[][] {c}), Map.of("u", new double[][] {u}, "v", new double[][] {v}));
    }

    /** Every number of a result as its bits (NaN as one NaN), with steps, statuses and messages. */
    static List<Object> bits(BlockResult r) {
        List<Object> out = new ArrayList<>();
        for (double[][] var : r.values()) {
            for (double[] comp : var) out.add(toBits(comp));
        }
        out.add(toBits(r.cost()));
        out.add(Arrays.toString(r.steps()));
        out.add(Arrays.toString(r.status()));
        out.add(Arrays.toString(r.error()));
        return out;
    }

    private static String toBits(double[] a) {
        StringBuilder s = new StringBuilder();
        for (double d : a) s.append(Long.toHexString(Double.doubleToLongBits(d))).append(' ');
        return s.toString();
    }

    static void assertSameBits(BlockResult compiled, BlockResult interpreted, String what) {
        assertThat(bits(compiled)).as(what).isEqualTo(bits(interpreted));
    }
}
