package tapeline.job.sweep;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;

/**
 * The task side of a sweep: input rows in, output rows out, one block of {@code block.size} rows at a
 * time. Lazy: a block is read and solved only when the previous one has been consumed, so a task
 * holds at most one block of input rows and one of output rows, whatever the partition's size.
 *
 * <p>Each lane is solved independently by the engine, so a row's result does not depend on which
 * rows share its block: the output is the same for any partitioning and for a re-run task.
 *
 * <pre>{@code
 * Iterator<Row> out = new SweepPartition(plan, solver, layout, "adam", Map.of(), 1024).call(rows);
 * }</pre>
 */
public final class SweepPartition implements MapPartitionsFunction<Row, Row> {
    // Static, so it is not serialised with the function; each executor makes its own.
    private static final Logger LOG = LoggerFactory.getLogger(SweepPartition.class);

    private static final long PROGRESS_NANOS = 30_000_000_000L;

    private final SweepPlan plan;
    private final BlockSolver solver;
    private final OutputLayout layout;
    private final String optimizer;
    private final Map<String, Double> fixedArgs;
    private final int blockSize;

    public SweepPartition(SweepPlan plan, BlockSolver solver, OutputLayout layout, String optimizer,
                          Map<String, Double> fixedArgs, int blockSize) {
        this.plan = plan;
        this.solver = solver;
        this.layout = layout;
        this.optimizer = optimizer;
        this.fixedArgs = Map.copyOf(fixedArgs);
        this.blockSize = blockSize;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Blocks(input);
    }

    private final class Blocks implements Iterator<Row> {
        private final Iterator<Row> input;
        private final BlockBuffer buffer = new BlockBuffer(plan, optimizer, fixedArgs, blockSize);
        private final Row[] rows = new Row[blockSize];
        private final String[] errors = new String[blockSize];
        private final int[] laneOf = new int[blockSize];
        private int size;     // rows in the current block
        private int next;     // next row of the block to emit
        private BlockResult result;
        private final long started = System.nanoTime();
        private long lastReport = started;
        private long rowCount;
        private long stepCount;

        Blocks(Iterator<Row> input) {
            this.input = input;
        }

        @Override
        public boolean hasNext() {
            while (next == size) {
                if (!input.hasNext()) {
                    if (rowCount > 0) {
                        logDone();
                    }
                    return false;
                }
                fill();
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int i = next++;
            Row in = rows[i];
            rows[i] = null; // let the input row go as soon as its output row exists
            return laneOf[i] < 0 ? layout.invalid(in, errors[i]) : layout.solved(in, result, laneOf[i]);
        }

        private void fill() {
            buffer.clear();
            size = 0;
            next = 0;
            while (size < blockSize && input.hasNext()) {
                Row r = input.next();
                rows[size] = r;
                String error = buffer.tryAdd(r);
                errors[size] = error;
                laneOf[size] = error == null ? buffer.lanes() - 1 : -1;
                size++;
            }
            result = buffer.lanes() > 0 ? buffer.solve(solver) : null;
            rowCount += size;
            if (result != null) {
                for (int s : result.steps()) {
                    stepCount += s;
                }
            }
            long now = System.nanoTime();
            if (now - lastReport > PROGRESS_NANOS) {
                // Spark's progress bar counts tasks; a long task says itself how far it got.
                lastReport = now;
                TaskContext tc = TaskContext.get();
                LOG.info("partition {}: {} rows so far, {} steps, {} s", tc == null ? "-" : tc.partitionId(), rowCount,
                        stepCount, String.format("%.0f", (now - started) / 1e9));
            }
        }

        private void logDone() {
            TaskContext tc = TaskContext.get();
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.info("partition {}: {} rows, {} steps in {} s",
                    tc == null ? "-" : tc.partitionId(), rowCount, stepCount, String.format("%.2f", seconds));
            rowCount = 0; // log once
        }
    }
}
