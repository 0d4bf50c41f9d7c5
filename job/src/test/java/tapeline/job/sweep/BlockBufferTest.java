package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** Row to lane, without Spark running: what goes to the engine and what is refused, with which message. */
class BlockBufferTest {

    private final SweepPlan plan = new SweepPlan(
            List.of(new SweepPlan.Input("x0", List.of(Cell.scalar(1, "x0"))),
                    new SweepPlan.Input("v", List.of(Cell.element(2, "v", 0, 2), Cell.element(2, "v", 1, 2)))),
            List.of(new SweepPlan.Init("w", 1, 0, List.of(Cell.scalar(3, "w_start")))),
            List.of(new SweepPlan.LaneArg("learning_rate", Cell.scalar(4, "lr"))));

    private String add(BlockBuffer b, Object x0, Object v, Object start, Object lr) {
        return b.tryAdd(RowFactory.create(7, x0, v, start, lr));
    }

    @Test
    void goodRowsTakeLanesAndBadRowsSayWhy() {
        BlockBuffer b = new BlockBuffer(plan, "adam", Map.of(), 8);
        assertThat(add(b, 1.5, List.of(1.0, 2.0), "0.25", 0.1)).isNull();
        assertThat(add(b, " 2 ", List.of(3, 4L), 1, "0.2")).isNull();
        assertThat(b.lanes()).isEqualTo(2);

        assertThat(add(b, null, List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: missing value");
        assertThat(add(b, "", List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: missing value");
        assertThat(add(b, "abc", List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not a number: 'abc'");
        assertThat(add(b, Double.NaN, List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not finite: NaN");
        assertThat(add(b, "Inf", List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not finite: Inf");
        assertThat(add(b, Double.NEGATIVE_INFINITY, List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not finite: -Infinity");
        assertThat(add(b, "1e400", List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not finite: 1e400");
        assertThat(add(b, 1, List.of(1.0), 0, 0.1)).isEqualTo("column v: expected an array of 2 elements, got 1");
        assertThat(add(b, 1, java.util.Arrays.asList(1.0, null), 0, 0.1)).isEqualTo("column v, element 1: missing value");
        assertThat(add(b, "x", null, "y", 0.1))
                .isEqualTo("column x0: not a number: 'x'; column v: missing value; column w_start: not a number: 'y'");
        assertThat(add(b, 1, List.of(1.0, 2.0), 0, -1.0)).startsWith("column lr: ").contains("learning_rate").contains("-1");
        assertThat(b.lanes()).as("refused rows take no lane").isEqualTo(2);
    }

    @Test
    void booleanTextIsOnlyANumberForOptimizerArguments() {
        BlockBuffer b = new BlockBuffer(plan, "adam", Map.of(), 4);
        assertThat(add(b, true, List.of(1.0, 2.0), 0, 0.1)).isEqualTo("column x0: not a number: 'true'");
    }

    @Test
    void fullAndClear() {
        BlockBuffer b = new BlockBuffer(plan, "adam", Map.of(), 1);
        assertThat(add(b, 1, List.of(1, 2), 0, 0.1)).isNull();
        assertThat(b.isFull()).isTrue();
        b.clear();
        assertThat(b.lanes()).isZero();
    }
}
