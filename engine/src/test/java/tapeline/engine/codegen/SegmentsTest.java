package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What {@link Segments} refuses before it writes anything, so that its caller can still make one loop. */
class SegmentsTest {

    @Test
    void aStatementThatReadsALaneArrayIsRefusedWithNothingWritten() {
        // Such a statement would read lane i of the chunk's scratch instead of lane from + i.
        StringBuilder s = new StringBuilder();
        Segments segments = new Segments();
        List<String> loop = List.of("            final double v0 = n0[i];\n",
                "            final double v1 = v0 * w3[i]; // a form the segments do not know\n",
                "            grad0[i] = v1;\n");
        assertThatThrownBy(() -> segments.emit(s, "private static void gradientsOnly(double[][] n, double[][] grad, int lanes)",
                List.of("        final double[] n0 = n[0];\n"), loop, List.of()))
                .isInstanceOf(KernelSource.Unsupported.class)
                .hasMessage("a statement of the loop cannot be split into segments: final double v1 = v0 * w3[i];"
                        + " // a form the segments do not know");
        assertThat(s).isEmpty();
        assertThat(segments.used()).isFalse();
    }
}
