package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tapeline.job.columns.Cell;

/** The block's lanes against the inputs' length: the plain division, checked by hand. */
class SweepPlanTest {

    private static SweepPlan.Input array(int column, String name, int length) {
        List<Cell> cells = new ArrayList<>();
        for (int e = 0; e < length; e++) cells.add(Cell.element(column, name, e, length));
        return new SweepPlan.Input(name, cells);
    }

    private static SweepPlan plan(SweepPlan.Input... inputs) {
        return new SweepPlan(List.of(inputs), List.of(), List.of());
    }

    @Test
    void scalarsAndShortArraysKeepTheBlockSize() {
        SweepPlan notebook = plan(new SweepPlan.Input("x0", List.of(Cell.scalar(1, "x0"))),
                new SweepPlan.Input("x1", List.of(Cell.scalar(2, "x1"))), new SweepPlan.Input("x2", List.of(Cell.scalar(3, "x2"))));
        assertThat(notebook.lanesPerBlock(1024)).isEqualTo(1024);
        assertThat(notebook.lanesPerBlock(7)).isEqualTo(7);
        // exp3's 50 points and the 200-point logistic fit (x[200][5], y[200]) keep 1,024 lanes
        assertThat(plan(array(1, "x", 50), array(2, "y", 50)).lanesPerBlock(1024)).isEqualTo(1024);
        assertThat(plan(array(1, "x", 1000), array(2, "y", 200)).lanesPerBlock(1024)).isEqualTo(1024);
    }

    @Test
    void longArraysGetFewerLanes() {
        // 3 * 2^20 values a block / 20,000 values a row = 157.3
        assertThat(plan(array(1, "x", 10_000), array(2, "y", 10_000)).lanesPerBlock(1024)).isEqualTo(157);
        assertThat(plan(array(1, "x", 4096)).lanesPerBlock(1024)).isEqualTo(768);
        // a row larger than a block's values still gets a lane of its own
        assertThat(plan(array(1, "x", 3_000_000)).lanesPerBlock(1024)).isEqualTo(1);
    }

    @Test
    void aBlockSizeBelowOneIsRefused() {
        assertThatThrownBy(() -> plan().lanesPerBlock(0)).hasMessageContaining("0");
    }
}
