package tapeline.job.sweep;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.LaneStatus;
import tapeline.job.columns.CellReader;

/**
 * The task side of a sweep: input rows in, output rows out, one block of {@code block.size} rows at a
 * time. Lazy: a block is read and solved only when the previous one has been consumed, so a task
 * holds at most one block of input rows and one of output rows, whatever the partition's size.
 *
 * <p>Each lane is solved independently by the engine, so a row's result does not depend on which
 * rows share its block: the output is the same for any partitioning and for a re-run task.
 *
 * <p>Rows are Spark's internal rows, read and written without conversion to external {@code Row}s:
 * at 1000 steps a row costs the engine about a microsecond, and the external conversion cost as much.
 * As in Spark's own operators, the row {@code next()} returns is reused: valid until the next call.
 *
 * <pre>{@code
 * Iterator<InternalRow> out = new SweepPartition(plan, new CellReader(schema), solver, layout, "adam", Map.of(), 1024,
 *         SweepCounts.register(sc))
 *     .call(rows);
 * }</pre>
 */
public final class SweepPartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    // Static, so it is not serialised with the function; each executor makes its own.
    private static final Logger LOG = LoggerFactory.getLogger(SweepPartition.class);

    private static final long PROGRESS_NANOS = 30_000_000_000L;

    private final SweepPlan plan;
    private final CellReader reader;
    private final BlockSolver solver;
    private final OutputLayout layout;
    private final String optimizer;
    private final Map<String, Double> fixedArgs;
    private final int blockSize;
    private final SweepCounts counts;

    /**
     * @param counts where each emitted row is counted by status (registered with the Spark context
     *               when the function is shipped to executors)
     */
    public SweepPartition(SweepPlan plan, CellReader reader, BlockSolver solver, OutputLayout layout, String optimizer,
                          Map<String, Double> fixedArgs, int blockSize, SweepCounts counts) {
        this.plan = plan;
        this.reader = reader;
        this.solver = solver;
        this.layout = layout;
        this.optimizer = optimizer;
        this.fixedArgs = Map.copyOf(fixedArgs);
        this.blockSize = plan.lanesPerBlock(blockSize);   // fewer lanes for long array rows: memory
        this.counts = counts;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> input) {
        return new Blocks(input);
    }

    private final class Blocks implements Iterator<InternalRow> {
        private final Iterator<InternalRow> input;
        private final BlockBuffer buffer = new BlockBuffer(plan, reader, optimizer, fixedArgs, blockSize);
        private final HeldRows held = new HeldRows(blockSize);
        private final InternalRow[] rows = new InternalRow[blockSize];
        private final OutputLayout.Rows out = layout.rows();
        private final String[] errors = new String[blockSize];
        private final int[] laneOf = new int[blockSize];
        private int size;     // rows in the current block
        private int next;     // next row of the block to emit
        private BlockResult result;
        private final long started = System.nanoTime();
        private long lastReport = started;
        private long rowCount;
        private long stepCount;
        private long solveNanos;
        // Where the task's time goes (logged at its end): thread CPU in the engine, reading the input's
        // rows into lanes, and making output rows; the rest of the task's CPU is Spark's (scan, writer).
        private final TaskClock clock = new TaskClock();

        Blocks(Iterator<InternalRow> input) {
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
        public InternalRow next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int i = next++;
            long e0 = System.nanoTime();
            InternalRow in = rows[i];
            rows[i] = null; // a copied row (not one of HeldRows' slots) can go as soon as its output row exists
            int lane = laneOf[i];
            if (lane < 0) {
                counts.count(LaneStatus.INVALID, 0);
                InternalRow o = out.invalid(in, errors[i]);
                clock.emitted(System.nanoTime() - e0);
                return o;
            }
            // Counted as emitted, not as solved: a consumer that stops early (a limit) counts what it took.
            counts.count(result.status()[lane], result.steps()[lane]);
            LaneStatus st = result.status()[lane];
            double[][][] se = result.standardErrors();
            if (se != null && se.length > 0 && (st == LaneStatus.CONVERGED || st == LaneStatus.MAX_STEPS)
                    && Double.isNaN(se[0][0][lane])) {
                counts.countNoStandardErrors(); // solved, but J^T J or H singular (or n <= p): null errors
            }
            InternalRow o = out.solved(in, result, lane);
            clock.emitted(System.nanoTime() - e0);
            return o;
        }

        private void fill() {
            buffer.clear();
            held.clear(); // every row of the previous block has been emitted (and copied by whoever keeps it)
            size = 0;
            next = 0;
            clock.startReading();
            while (size < blockSize && input.hasNext()) {
                // Spark reuses the row object it hands out; a block keeps its rows until they are emitted.
                InternalRow r = held.hold(size, input.next());
                rows[size] = r;
                String error = buffer.tryAdd(r);
                errors[size] = error;
                laneOf[size] = error == null ? buffer.lanes() - 1 : -1;
                size++;
            }
            clock.startSolving();
            long t0 = System.nanoTime();
            result = buffer.lanes() > 0 ? buffer.solve(solver) : null;
            solveNanos += System.nanoTime() - t0;
            clock.solved();
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
            // Which engine path ran: compiled (generated code) or interpreted, and why if it fell back.
            tapeline.engine.codegen.KernelPath path = solver.kernelPath();
            LOG.info("partition {}: {} rows, {} steps in {} s ({} s of it in the engine, {}); {}",
                    tc == null ? "-" : tc.partitionId(), rowCount, stepCount, String.format("%.2f", seconds),
                    String.format("%.2f", solveNanos / 1e9), path == null ? "no lane solved" : path.describe(),
                    clock.describe());
            rowCount = 0; // log once
        }
    }
}
