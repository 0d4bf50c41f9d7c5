package tapeline.job.train.grouped;

import org.apache.spark.TaskContext;
import org.apache.spark.memory.MemoryConsumer;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.util.TaskCompletionListener;

/**
 * A map task's buffer for {@link GroupPacker}, taken from Spark's execution memory: the task asks for the most it
 * would use and holds what it is granted (the executor's execution memory shared among the tasks running, as Spark's
 * own sorters get theirs), never less than {@link GroupPacker#FLOOR} (the fixed buffer before session 25, safe in a
 * 1 GB executor). Outside a task (a bench of the packer alone) it holds the floor.
 *
 * <pre>{@code
 * int doubles = TaskBudget.take(GroupPacker.BUDGET);   // in a task: as granted, given back at the task's end
 * new RadixChunks(feed, keys, width, doubles, GroupPacker.CHUNK, nanos);
 * }</pre>
 *
 * <p>Why: a flush's chunks carry a group's rows held at that moment, so the buffer sets the chunks' size (a
 * map task's rows over its groups) and so the shuffle's record count, which both sides pay per record (the reduce
 * side's sort reads each record back with a cache miss). Asking Spark keeps the larger buffer accounted: a small
 * executor, or many tasks at once, grants less, and the task's peak execution memory shows it.
 */
final class TaskBudget extends MemoryConsumer {
    private TaskBudget(TaskMemoryManager tmm) {
        super(tmm, 0, MemoryMode.ON_HEAP);
    }

    /** The doubles to hold: {@code wanted} at most, the floor at least (unless less is wanted), else what was granted. */
    static int grant(int wanted, int floor, long granted) {
        if (wanted < 1 || floor < 1 || granted < 0) {
            throw new IllegalArgumentException("wanted and floor must be positive and granted not negative, got "
                    + wanted + ", " + floor + ", " + granted);
        }
        return (int) Math.min(wanted, Math.max(Math.min(wanted, floor), granted));
    }

    /** In a task: {@code wanted} doubles as far as Spark grants them (the floor at least), released at the task's end. */
    static int take(int wanted) {
        return take(wanted, GroupPacker.FLOOR);
    }

    static int take(int wanted, int floor) {
        TaskContext task = TaskContext.get();
        if (task == null || wanted <= floor) return grant(wanted, floor, 0);
        TaskBudget b = new TaskBudget(task.taskMemoryManager());
        task.addTaskCompletionListener((TaskCompletionListener) t -> b.release());
        return grant(wanted, floor, b.acquireMemory(8L * wanted) / 8);
    }

    /** Gives the grant back (at the task's end; once). */
    void release() {
        long held = getUsed();
        if (held > 0) freeMemory(held);
    }

    /** The buffer is the task's working set: it is emitted at its own flushes, never spilled on request. */
    @Override
    public long spill(long size, MemoryConsumer trigger) {
        return 0;
    }
}
