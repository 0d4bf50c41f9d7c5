package tapeline.job.sweep;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tapeline.job.columns.Cell;
import tapeline.job.columns.ColumnBinder;

/**
 * Which input cells feed which engine inputs, start values and per-row optimizer arguments. Made on
 * the driver by {@link ColumnBinder} from the config and the input schema; shipped to every task.
 *
 * <p>For the notebook ({@code cost = x0 * w^2 + x1 * w + x2} over columns {@code id,x0,x1,x2}):
 * inputs {@code x0 -> [column 1]}, {@code x1 -> [column 2]}, {@code x2 -> [column 3]}; no init, no lane args.
 *
 * @param inputs   one entry per non-variable name of the cost, in the cost's order
 * @param init     start values read from columns (constant start values are folded in here too)
 * @param laneArgs optimizer arguments read per row from a column
 */
public record SweepPlan(List<Input> inputs, List<Init> init, List<LaneArg> laneArgs) implements Serializable {

    /** A name of the cost bound to one cell per component (1 for a scalar). */
    public record Input(String name, List<Cell> cells) implements Serializable {
        public Input {
            cells = List.copyOf(cells);
        }
    }

    /**
     * The start value of variable {@code variable} ({@code size} components): a constant when {@code cells}
     * is empty; one cell per component; or one cell broadcast to every component.
     */
    public record Init(String variable, int size, double constant, List<Cell> cells) implements Serializable {
        public Init {
            cells = List.copyOf(cells);
            if (!(cells.isEmpty() || cells.size() == 1 || cells.size() == size)) {
                throw new IllegalArgumentException("init of " + variable + ": " + cells.size() + " cells for " + size + " components");
            }
        }
    }

    /** An optimizer argument (a Keras name) read per row from one cell. */
    public record LaneArg(String argument, Cell cell) implements Serializable {}

    public SweepPlan {
        inputs = List.copyOf(inputs);
        init = List.copyOf(init);
        laneArgs = List.copyOf(laneArgs);
    }

    /**
     * Input values one block may hold, summed over its lanes (3 * 2^20). The solver keeps buffers per input
     * element and lane: the row tape's and the block's copy of the inputs (16 bytes a value), and for lm r
     * and J at the iterate and at the trial (64 bytes a residual with 3 variables, each row's J one array
     * since session 25; 104 before, when the cap was 2^21). A block of 1,024 rows of x[10000], y[10000]
     * would hold about 1 GB; capped (157 rows), about 150 MB, as 104 rows did before.
     */
    static final long VALUES_PER_BLOCK = 3L << 20;

    /**
     * Lanes per block: {@code blockSize}, fewer where each row's inputs are long arrays, at least one.
     * Rows are solved on their own lanes, so the block's size never changes a row's result.
     *
     * <pre>{@code
     * plan.lanesPerBlock(1024);   // 1024 for the notebook's three scalars; 157 for x[10000], y[10000]
     * }</pre>
     */
    public int lanesPerBlock(int blockSize) {
        if (blockSize < 1) throw new IllegalArgumentException("block size must be at least 1: " + blockSize);
        long values = Math.max(1, inputs.stream().mapToLong(i -> i.cells().size()).sum());
        return (int) Math.max(1, Math.min(blockSize, VALUES_PER_BLOCK / values));
    }

    /** For the engine: every input name and its number of components. */
    public Map<String, Integer> inputSizes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        inputs.forEach(i -> m.put(i.name(), i.cells().size()));
        return Collections.unmodifiableMap(m);
    }
}
