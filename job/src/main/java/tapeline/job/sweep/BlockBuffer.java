package tapeline.job.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * One block of lanes being filled from input rows: the engine's column-major arrays, one slot per
 * valid row. A row with a bad cell is refused with a message and takes no lane, so the engine only
 * ever sees clean numbers. The arrays are allocated once and reused block after block; this is what
 * bounds a task's memory by {@code block.size}, not by the partition size.
 *
 * <pre>{@code
 * BlockBuffer b = new BlockBuffer(plan, new CellReader(schema), optimizer, fixedArgs, 1024);
 * String error = b.tryAdd(row);          // an InternalRow; null: the row is lane b.lanes() - 1
 * BlockResult r = b.solve(solver);       // then b.clear() for the next block
 * }</pre>
 */
public final class BlockBuffer {
    private final SweepPlan plan;
    private final CellReader reader;
    private final String optimizer;
    private final Map<String, Double> fixedArgs;
    private final int capacity;
    private final double[][][] inputs;   // [input][component][lane]
    private final double[][][] init;     // [init][component][lane]
    private final double[][] laneArgs;   // [arg][lane]
    /** By input: whether it is a whole array column, read from the row at once ({@link CellReader#readArray}). */
    private final boolean[] wholeArray;
    private int lanes;

    /**
     * @param plan      where each value comes from
     * @param reader    reads the cells of the input's rows
     * @param optimizer the optimizer name, to check per-row arguments against
     * @param fixedArgs the optimizer arguments that are the same for all rows (per-row ones are checked with them)
     * @param capacity  lanes per block
     */
    public BlockBuffer(SweepPlan plan, CellReader reader, String optimizer, Map<String, Double> fixedArgs, int capacity) {
        this.plan = plan;
        this.reader = reader;
        this.optimizer = optimizer;
        this.fixedArgs = Map.copyOf(fixedArgs);
        this.capacity = capacity;
        inputs = new double[plan.inputs().size()][][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = new double[plan.inputs().get(i).cells().size()][capacity];
        }
        init = new double[plan.init().size()][][];
        for (int i = 0; i < init.length; i++) {
            init[i] = new double[plan.init().get(i).size()][capacity];
        }
        laneArgs = new double[plan.laneArgs().size()][capacity];
        wholeArray = new boolean[inputs.length];
        for (int i = 0; i < inputs.length; i++) wholeArray[i] = CellReader.isWholeArray(plan.inputs().get(i).cells());
    }

    /** Lanes filled so far. */
    public int lanes() {
        return lanes;
    }

    public boolean isFull() {
        return lanes == capacity;
    }

    /** Empties the block; the arrays are kept. */
    public void clear() {
        lanes = 0;
    }

    /**
     * Reads the row into the next lane.
     *
     * @return null when the row took a lane; else every problem of the row, joined by "; ", and no lane is taken
     */
    public String tryAdd(InternalRow row) {
        if (isFull()) {
            throw new IllegalStateException("block is full (" + capacity + " lanes)");
        }
        List<String> errors = null;
        int lane = lanes;
        for (int i = 0; i < inputs.length; i++) {
            List<Cell> cells = plan.inputs().get(i).cells();
            if (wholeArray[i]) {
                errors = reader.readArray(row, cells, inputs[i], lane, errors);
                continue;
            }
            for (int c = 0; c < cells.size(); c++) {
                errors = read(row, cells.get(c), false, inputs[i][c], lane, errors);
            }
        }
        for (int i = 0; i < init.length; i++) {
            SweepPlan.Init in = plan.init().get(i);
            List<Cell> cells = in.cells();
            if (cells.isEmpty()) {
                for (double[] component : init[i]) {
                    component[lane] = in.constant();
                }
            } else if (cells.size() == 1) {
                errors = read(row, cells.get(0), false, init[i][0], lane, errors);
                for (int c = 1; c < in.size(); c++) {
                    init[i][c][lane] = init[i][0][lane];
                }
            } else {
                for (int c = 0; c < cells.size(); c++) {
                    errors = read(row, cells.get(c), false, init[i][c], lane, errors);
                }
            }
        }
        for (int i = 0; i < laneArgs.length; i++) {
            errors = read(row, plan.laneArgs().get(i).cell(), true, laneArgs[i], lane, errors);
        }
        if (errors == null && laneArgs.length > 0) {
            // Per-row arguments get the same checks as fixed ones, for this row alone.
            Map<String, Double> args = new HashMap<>(fixedArgs);
            for (int i = 0; i < laneArgs.length; i++) {
                args.put(plan.laneArgs().get(i).argument(), laneArgs[i][lane]);
            }
            try {
                Optimizers.validate(optimizer, args);
            } catch (IllegalArgumentException e) {
                StringBuilder cols = new StringBuilder();
                for (SweepPlan.LaneArg a : plan.laneArgs()) {
                    cols.append(cols.length() == 0 ? "" : ", ").append(a.cell().name());
                }
                return "column " + cols + ": " + e.getMessage();
            }
        }
        if (errors != null) {
            return String.join("; ", errors);
        }
        lanes++;
        return null;
    }

    private List<String> read(InternalRow row, Cell cell, boolean booleans, double[] into, int lane, List<String> errors) {
        try {
            into[lane] = reader.read(row, cell, booleans);
        } catch (CellReader.BadCell e) {
            if (errors == null) {
                errors = new ArrayList<>(2);
            }
            if (!errors.contains(e.getMessage())) { // a missing array is one problem, not one per element
                errors.add(e.getMessage());
            }
        }
        return errors;
    }

    /** Solves the filled lanes. The engine gets arrays of exactly {@link #lanes()} slots. */
    public BlockResult solve(BlockSolver solver) {
        Map<String, double[][]> in = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            in.put(plan.inputs().get(i).name(), trim(inputs[i]));
        }
        Map<String, double[][]> start = new LinkedHashMap<>();
        for (int i = 0; i < init.length; i++) {
            start.put(plan.init().get(i).variable(), trim(init[i]));
        }
        Map<String, double[]> args = new LinkedHashMap<>();
        for (int i = 0; i < laneArgs.length; i++) {
            args.put(plan.laneArgs().get(i).argument(), lanes == capacity ? laneArgs[i] : Arrays.copyOf(laneArgs[i], lanes));
        }
        return solver.solve(lanes, in, start, args);
    }

    private double[][] trim(double[][] a) {
        if (lanes == capacity) {
            return a; // the engine does not retain the arrays, so the full block is passed as is
        }
        double[][] t = new double[a.length][];
        for (int c = 0; c < a.length; c++) {
            t[c] = Arrays.copyOf(a[c], lanes);
        }
        return t;
    }
}
