package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.memory.MemoryConsumer;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.util.TaskCompletionListener;
import org.junit.jupiter.api.Test;
import tapeline.job.testing.SparkSuite;

/**
 * The map side's buffer bound ({@link TaskBudget}): the wanted doubles at most, the floor at least, else what Spark's
 * execution memory grants the task; the grant is Spark's (the task's consumption shows it) and is given back at the
 * task's end (a listener that runs after the release fails the task otherwise).
 */
class TaskBudgetTest extends SparkSuite {

    @Test
    void theGrantLiesBetweenTheFloorAndTheWanted() {
        assertThat(TaskBudget.grant(1000, 100, 5000)).isEqualTo(1000);   // more granted than wanted: the wanted
        assertThat(TaskBudget.grant(1000, 100, 400)).isEqualTo(400);     // as granted
        assertThat(TaskBudget.grant(1000, 100, 7)).isEqualTo(100);       // never under the floor
        assertThat(TaskBudget.grant(50, 100, 0)).isEqualTo(50);          // a wanted budget under the floor: as wanted
        assertThat(TaskBudget.grant(GroupPacker.BUDGET, GroupPacker.FLOOR, 0)).isEqualTo(GroupPacker.FLOOR);
        assertThatThrownBy(() -> TaskBudget.grant(0, 100, 0)).hasMessageContaining("0, 100, 0");
        assertThatThrownBy(() -> TaskBudget.grant(10, 100, -1)).hasMessageContaining("-1");
        // Outside a task (no Spark memory to ask): the floor, or less where less is wanted.
        assertThat(TaskBudget.take(GroupPacker.BUDGET)).isEqualTo(GroupPacker.FLOOR);
        assertThat(TaskBudget.take(4096)).isEqualTo(4096);
    }

    /** A consumer that takes execution memory and gives none back on request (as the task's other users would). */
    static final class Hog extends MemoryConsumer {
        Hog(TaskMemoryManager m) {
            super(m, 0, MemoryMode.ON_HEAP);
        }

        @Override
        public long spill(long size, MemoryConsumer trigger) {
            return 0;
        }
    }

    @Test
    void aTaskHoldsWhatSparkGrantsItAndGivesItBack() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        // One task: [granted with the pool free, the task's memory then, after the release, with 100 MB left by a hog,
        // with nothing left (the floor), with nothing left and a small floor]
        List<long[]> out = sc.parallelize(List.of(1), 1).map(x -> {
            TaskContext task = TaskContext.get();
            TaskMemoryManager m = task.taskMemoryManager();
            // Listeners run in reverse order of registration: this one after TaskBudget's releases (and before Spark
            // frees a task's leftovers itself). The task fails if any grant is still held then.
            task.addTaskCompletionListener((TaskCompletionListener) t -> {
                if (m.getMemoryConsumptionForThisTask() != 0) {
                    throw new IllegalStateException("still held at the task's end: " + m.getMemoryConsumptionForThisTask());
                }
            });
            long before = m.getMemoryConsumptionForThisTask();
            long free = TaskBudget.take(GroupPacker.BUDGET);
            long taken = m.getMemoryConsumptionForThisTask() - before;
            Hog hog = new Hog(m);
            long all = hog.acquireMemory(Long.MAX_VALUE / 4);   // the rest of what this task may have
            hog.freeMemory(100L << 20);
            long hundred = TaskBudget.take(GroupPacker.BUDGET);
            long none = TaskBudget.take(GroupPacker.BUDGET);
            long small = TaskBudget.take(GroupPacker.BUDGET, 1000);
            hog.freeMemory(hog.getUsed());
            return new long[] {free, taken, all, hundred, none, small};
        }).collect();
        long[] r = out.get(0);
        // The test JVM's execution memory is far over 256 MB: the whole budget, taken from Spark's pool.
        assertThat(r[0]).isEqualTo(GroupPacker.BUDGET);
        assertThat(r[1]).isEqualTo(8L * GroupPacker.BUDGET);
        assertThat(r[2]).isGreaterThan(100L << 20);
        assertThat(r[3]).isEqualTo((100L << 20) / 8);
        assertThat(r[4]).isEqualTo(GroupPacker.FLOOR);
        assertThat(r[5]).isEqualTo(1000);
    }
}
