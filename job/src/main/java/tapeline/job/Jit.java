package tapeline.job;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * C2 for tapeline's code only, in an embedded run on a small machine (docs/jit.md).
 *
 * <p>A job is a short-lived JVM, and on 2 cores HotSpot's C2 compiler thread takes a core from the
 * tasks for most of it, mostly compiling the JDK's, Spark's and Parquet's code. This adds the HotSpot
 * compiler directives of {@code jit-directives.json} (a resource next to this class) to the running
 * JVM: C2 compiles tapeline's engine, its job code and the kernels it generates; every other method
 * that gets hot is compiled by C1 without profiling, as {@code -XX:TieredStopAtLevel=1} would compile
 * it. tapeline's own methods keep C2; the rest of the JIT's work shrinks. Results are the same bits
 * either way (Java 17's floating point is strict in the interpreter, C1 and C2 alike).
 *
 * <p>Opt-in: {@code submit.sh} passes {@code -Dtapeline.jit=} the value of {@code TAPELINE_JIT}, {@code default}
 * when unset. Measured quiet on 2 cores (BENCHMARKS.md, session 26) it halves a per-row exp3 job's engine time,
 * but it slows the grouped solve and a job whose CSV output formats many doubles (C2 will not inline a method
 * it was told not to compile, and the libraries' hot code stays C1's). {@code auto} adds the directives when
 * the master is {@code local} and the machine has at most {@link #SMALL_MACHINE} cores and the JVM was given no compiler flags of the
 * user's own; {@code tapeline} adds them whenever the master is {@code local}; {@code default} never.
 * Without the property (spark-submit, tests, a user's own program) nothing changes.
 *
 * <pre>{@code
 * Jit.choose("auto", "local[2]", 2, List.of()) // Optional.empty(): add the directives
 * }</pre>
 */
final class Jit {
    /** The system property {@code submit.sh} sets from {@code TAPELINE_JIT}. */
    static final String PROPERTY = "tapeline.jit";

    /** Up to this many cores {@code auto} adds the directives (measured on 2: BENCHMARKS.md). */
    static final int SMALL_MACHINE = 4;

    private static final String RESOURCE = "jit-directives.json";

    /** JVM options by which a user takes the JIT into their own hands; {@code auto} then leaves it. */
    private static final List<String> USER_FLAGS = List.of("TieredStopAtLevel", "TieredCompilation",
            "CompilerDirectivesFile", "-Xint", "-Xcomp", "CompileThresholdScaling");

    private Jit() {}

    /**
     * Why the directives are not added, or empty when they are.
     *
     * @param choice the property's value: {@code auto}, {@code tapeline} or {@code default}; null when not set
     * @param master the run's Spark master
     * @param cores the cores this JVM may use
     * @param jvmArgs the JVM's options ({@code RuntimeMXBean.getInputArguments()})
     * @throws IllegalArgumentException naming the value when the choice is none of the three
     */
    static Optional<String> choose(String choice, String master, int cores, List<String> jvmArgs) {
        if (choice == null || choice.isBlank()) {
            return Optional.of("not asked for (" + PROPERTY + " unset)");
        }
        String c = choice.trim().toLowerCase(Locale.ROOT);
        if (!c.equals("auto") && !c.equals("tapeline") && !c.equals("default")) {
            throw new IllegalArgumentException(
                    "TAPELINE_JIT (" + PROPERTY + ") = '" + choice + "': expected auto, tapeline or default");
        }
        if (c.equals("default")) {
            return Optional.of("TAPELINE_JIT=default");
        }
        if (!master.equals("local") && !master.startsWith("local[")) {
            return Optional.of("master " + master + " is not embedded");
        }
        if (c.equals("auto")) {
            if (cores > SMALL_MACHINE) {
                return Optional.of(cores + " cores (auto: up to " + SMALL_MACHINE + ")");
            }
            for (String a : jvmArgs) {
                for (String f : USER_FLAGS) {
                    if (a.contains(f)) {
                        return Optional.of("the JVM option " + a + " is the user's choice");
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Adds the directives to this JVM when {@link #choose} says so; returns a line for the log saying
     * what was done. A JVM that cannot take them (no {@code jdk.management}, the command refused) runs on
     * with its own JIT, and the line says why.
     */
    static String apply(String master) {
        Optional<String> skip = choose(System.getProperty(PROPERTY), master, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (skip.isPresent()) {
            return "JIT: the JVM's own (" + skip.get() + ")";
        }
        try {
            String answer = add();
            return "JIT: C2 for tapeline's code only, C1 for the rest (" + answer.trim()
                    + "; docs/jit.md; TAPELINE_JIT=default for the JVM's own)";
        } catch (IOException | JMException | RuntimeException e) {
            return "JIT: the JVM's own (its compiler directives could not be added: " + e + ")";
        }
    }

    /** The diagnostic command {@code Compiler.directives_add}, as {@code jcmd} runs it, on this JVM. */
    private static String add() throws IOException, JMException {
        Path file = Files.createTempFile("tapeline-jit", ".json");
        try {
            try (InputStream in = Jit.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException("resource " + RESOURCE + " missing from the jar");
                }
                Files.write(file, in.readAllBytes());
            }
            Object answer = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            String text = String.valueOf(answer);
            if (!text.contains("directives added")) {
                throw new IOException("Compiler.directives_add answered: " + text.trim());
            }
            return text;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
