package tapeline.job.train.grouped;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The calling thread's scheduler counters (Linux {@code /proc/thread-self/schedstat}): nanoseconds on
 * a CPU, nanoseconds runnable but waiting for one, and time slices. They split a phase's wall time
 * that its CPU time does not cover: waiting for a CPU (other threads of the JVM or other processes
 * held both cores) or stopped (safepoints, GC pauses, I/O, locks: neither on a CPU nor queued for one).
 * The grouped train logs this split for its solve (issue 21: the logistic solve's wall exceeded its CPU
 * by a third). Where the file is missing (not Linux), {@link #now()} is null.
 *
 * <pre>{@code
 * long[] a = ThreadSchedule.now();   // {onCpuNanos, waitingNanos, slices}, or null
 * work();
 * long[] b = ThreadSchedule.now();
 * long waited = b[1] - a[1];         // runnable but not running, during work()
 * }</pre>
 */
final class ThreadSchedule {
    private static final Path FILE = Path.of("/proc/thread-self/schedstat");
    private static final boolean AVAILABLE = Files.isReadable(FILE);

    private ThreadSchedule() {}

    /** {on-CPU ns, runnable-waiting ns, time slices} of the calling thread, or null where not measured. */
    static long[] now() {
        if (!AVAILABLE) return null;
        try {
            String[] f = new String(Files.readAllBytes(FILE), StandardCharsets.US_ASCII).trim().split(" ");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (IOException | RuntimeException e) {
            return null; // a kernel without schedstats: no split, nothing else changes
        }
    }
}
