package tapeline.job;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which JIT an embedded run was started with, for its log (docs/jit.md).
 *
 * <p>A job is a short-lived JVM, and on a small machine HotSpot's C2 compiler thread takes a core from
 * the tasks for most of a run, compiling the JDK's, Spark's, Parquet's and tapeline's hot code and
 * recompiling it as its profiles change. {@code submit.sh} therefore starts an embedded grouped fit
 * ({@code job = train} with {@code group.by}, a {@code local} master) on a machine of up to {@link
 * #SMALL_MACHINE} cores with {@code -XX:TieredStopAtLevel=1}: C1 alone compiles every hot method once,
 * quickly, without profiling. Measured on 2 cores (BENCHMARKS.md, session 27) a grouped run at issue
 * 21's size takes 15-20% less wall. Other jobs keep the JVM's own JIT: a per-row sweep of 20,000 rows
 * gains as much, but one of 400,000 loses 35-45% (its rows' reading and writing run hot in C1's slower
 * code). Results are the same bits either way (Java 17's floating point is strict in the interpreter,
 * C1 and C2).
 *
 * <p>{@code TAPELINE_JIT} chooses: {@code auto} (the default) C1 alone for a grouped fit on up to {@link
 * #SMALL_MACHINE} cores unless the user's {@code TAPELINE_JAVA_OPTS} hold a compiler flag of their own,
 * {@code c1} C1 alone for any embedded run, {@code default} the JVM's own tiered compilation. {@code submit.sh} applies the
 * rule (the flag must be on the JVM's command line) and passes the choice as {@code -Dtapeline.jit};
 * this class reads back what the JVM actually runs with, for the log. A cluster run ({@code
 * spark-submit}), the tests and a user's own program keep their JVM's JIT.
 *
 * <pre>{@code
 * Jit.describe("auto", true, 2, List.of(), "1")
 * // "JIT: C1 only (-XX:TieredStopAtLevel=1; TAPELINE_JIT=auto: a grouped fit on 2 cores; ...)"
 * }</pre>
 */
final class Jit {
    /** The system property {@code submit.sh} sets from {@code TAPELINE_JIT}. */
    static final String PROPERTY = "tapeline.jit";

    /** Up to this many cores {@code auto} starts a grouped fit on C1 alone (measured on 2: BENCHMARKS.md). */
    static final int SMALL_MACHINE = 4;

    /** JVM options by which a user takes the JIT into their own hands; {@code auto} then leaves it. */
    static final List<String> USER_FLAGS = List.of("TieredStopAtLevel", "TieredCompilation",
            "CompilerDirectivesFile", "-Xint", "-Xcomp", "CompileThresholdScaling");

    private Jit() {}

    /** The first of the user's options that is a compiler flag of {@link #USER_FLAGS}, if any. */
    static Optional<String> userFlag(List<String> options) {
        return options.stream().filter(o -> USER_FLAGS.stream().anyMatch(o::contains)).findFirst();
    }

    /**
     * The log's line: the JIT this JVM runs with and why.
     *
     * @param choice the {@link #PROPERTY} value {@code submit.sh} passed
     * @param groupedFit whether the run is a grouped fit ({@code job = train} with {@code group.by})
     * @param cores the machine's cores
     * @param userOptions the user's JVM options ({@code TAPELINE_JAVA_OPTS}, split at blanks)
     * @param stopAtLevel the JVM's {@code TieredStopAtLevel}, as it reports it
     */
    static String describe(String choice, boolean groupedFit, int cores, List<String> userOptions, String stopAtLevel) {
        String c = normalise(choice);
        boolean c1 = "1".equals(stopAtLevel);
        String why;
        if (c.equals("auto")) {
            Optional<String> own = userFlag(userOptions);
            String on = cores + (cores == 1 ? " core" : " cores");
            why = own.isPresent() ? "TAPELINE_JIT=auto: the JVM option " + own.get() + " is the user's choice"
                    : !groupedFit ? "TAPELINE_JIT=auto: C1 alone is for grouped fits"
                    : "TAPELINE_JIT=auto: a grouped fit on " + on + (cores > SMALL_MACHINE ? ", C1 alone up to " + SMALL_MACHINE : "");
        } else {
            why = "TAPELINE_JIT=" + c;
        }
        return (c1 ? "JIT: C1 only (-XX:TieredStopAtLevel=1; " + why + "; docs/jit.md; TAPELINE_JIT=default for the JVM's own)"
                : "JIT: the JVM's own (TieredStopAtLevel=" + stopAtLevel + "; " + why + ")");
    }

    /** {@link #describe} for this JVM. */
    static String describe(boolean groupedFit) {
        String level;
        try {
            level = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("TieredStopAtLevel").getValue();
        } catch (RuntimeException e) { // not HotSpot, or no jdk.management
            level = "unknown";
        }
        String userOptions = System.getenv().getOrDefault("TAPELINE_JAVA_OPTS", "").trim();
        return describe(System.getProperty(PROPERTY), groupedFit, Runtime.getRuntime().availableProcessors(),
                userOptions.isEmpty() ? List.of() : List.of(userOptions.split("\\s+")), level);
    }

    private static String normalise(String choice) {
        String c = choice == null ? "" : choice.trim().toLowerCase(Locale.ROOT);
        if (!c.equals("auto") && !c.equals("c1") && !c.equals("default")) {
            throw new IllegalArgumentException(
                    "TAPELINE_JIT (" + PROPERTY + ") = '" + choice + "': expected auto, c1 or default");
        }
        return c;
    }
}
