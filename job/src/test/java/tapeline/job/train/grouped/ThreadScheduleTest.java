package tapeline.job.train.grouped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import org.junit.jupiter.api.Test;

/** {@link ThreadSchedule}'s split against the JVM's own thread CPU clock and a known sleep. */
class ThreadScheduleTest {

    @Test
    void onCpuTimeAgreesWithTheJvmsThreadCpuClock() {
        assumeTrue(ThreadSchedule.now() != null, "no /proc/thread-self/schedstat here");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] a = ThreadSchedule.now();
        long c0 = mx.getCurrentThreadCpuTime();
        double sink = 0;
        while (mx.getCurrentThreadCpuTime() - c0 < 150_000_000L) {
            for (int i = 0; i < 10_000; i++) sink += Math.sqrt(i + sink);
        }
        long cpu = mx.getCurrentThreadCpuTime() - c0;
        long[] b = ThreadSchedule.now();
        assertThat(sink).isPositive();
        // Both read the kernel's count of the thread's run time: they agree to scheduler-tick accounting.
        assertThat((double) (b[0] - a[0])).isCloseTo(cpu, org.assertj.core.data.Offset.offset(0.1 * cpu + 10e6));
        assertThat(b[2]).isGreaterThanOrEqualTo(a[2]);
        assertThat(b[1]).isGreaterThanOrEqualTo(a[1]);
    }

    @Test
    void aSleepIsNeitherOnACpuNorWaitingForOne() throws InterruptedException {
        assumeTrue(ThreadSchedule.now() != null, "no /proc/thread-self/schedstat here");
        long t0 = System.nanoTime();
        long[] a = ThreadSchedule.now();
        Thread.sleep(300);
        long[] b = ThreadSchedule.now();
        long wall = System.nanoTime() - t0;
        long stopped = wall - (b[0] - a[0]) - (b[1] - a[1]);
        assertThat(stopped).isGreaterThan(250_000_000L);
        assertThat(b[0] - a[0]).isLessThan(100_000_000L);
    }
}
