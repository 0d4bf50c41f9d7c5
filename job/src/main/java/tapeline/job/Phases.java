package tapeline.job;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall times of a run's phases, in seconds, in the order they ran: what the run record's
 * {@code seconds} holds ({@code start}, {@code schema_check}, {@code load}, {@code solve_and_write},
 * {@code summary}).
 *
 * <pre>{@code
 * Phases phases = new Phases();
 * phases.begin("load");  ...;  phases.end();
 * phases.seconds();      // {load=0.42}
 * }</pre>
 */
public final class Phases {
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private String current;
    private long started;

    /** Starts phase {@code name}, ending the one running. */
    public void begin(String name) {
        end();
        current = name;
        started = System.nanoTime();
    }

    /** Ends the phase running, if any; a phase run twice adds up. */
    public void end() {
        if (current != null) {
            seconds.merge(current, (System.nanoTime() - started) / 1e9, Double::sum);
            current = null;
        }
    }

    /** The phases ended so far. */
    public Map<String, Double> seconds() {
        return Collections.unmodifiableMap(seconds);
    }
}
