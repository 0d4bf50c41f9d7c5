package tapeline.job.sweep;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * Where a sweep task's time goes, for its closing log line: the task thread's CPU seconds in the
 * engine, in reading input rows into lanes and in making output rows, against the whole task's;
 * and, for the JVM, the JIT's compile time and the collectors' time while the task ran. CPU seconds,
 * not wall: on a shared machine a wall figure measures the neighbours. Read once per block (reading
 * and solving) and with two {@code nanoTime} calls per emitted row, so it costs nothing a row can see.
 *
 * <pre>{@code
 * TaskClock c = new TaskClock();
 * c.startReading(); ... c.startSolving(); ... c.solved();
 * LOG.info("... {}", c.describe()); // "CPU: engine 1.20 s, reading 0.30 s, output 0.10 s of 2.10 s in the task; ..."
 * }</pre>
 */
final class TaskClock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long cpu0 = cpu();
    private final long jit0 = jitMillis();
    private final long gc0 = gcMillis();
    private long mark;
    private long readCpu;
    private long solveCpu;
    private long emitNanos;

    void startReading() {
        mark = cpu();
    }

    void startSolving() {
        long now = cpu();
        readCpu += now - mark;
        mark = now;
    }

    void solved() {
        solveCpu += cpu() - mark;
    }

    /** Wall nanoseconds spent making one output row (CPU-bound; too short to read the thread's CPU clock for). */
    void emitted(long nanos) {
        emitNanos += nanos;
    }

    /** The task thread's CPU nanoseconds in the engine so far. */
    long engineCpuNanos() {
        return solveCpu;
    }

    String describe() {
        return String.format(Locale.ROOT,
                "CPU: engine %.2f s, reading rows %.2f s, output rows %.2f s (wall) of %.2f s in the task;"
                        + " the JVM meanwhile: JIT compiling %.2f s, GC %.2f s",
                solveCpu / 1e9, readCpu / 1e9, emitNanos / 1e9, (cpu() - cpu0) / 1e9,
                (jitMillis() - jit0) / 1e3, (gcMillis() - gc0) / 1e3);
    }

    private static long cpu() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static long jitMillis() {
        var c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    private static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) t += Math.max(0, g.getCollectionTime());
        return t;
    }
}
