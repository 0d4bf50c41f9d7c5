package tapeline.engine;

import java.util.ArrayList;
import java.util.List;

import org.quicktheories.QuickTheory;
import org.quicktheories.api.AsString;
import org.quicktheories.api.Pair;
import org.quicktheories.core.ExceptionReporter;
import org.quicktheories.core.Gen;
import org.quicktheories.core.Reporter;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Property tests on QuickTheories, from plain JUnit 5 test methods: {@code Theories.qt(300).forAll(...).checkAssert(...)}.
 * The engine's and the job's tests share it (the job's through the engine's test-jar).
 * The seed is the clock's unless {@code -DQT_SEED=...} names one; a failure reports the shrunk
 * counterexample, the seed and the command that runs that property again on the same cases, e.g.
 * <pre>{@code
 * Theories.qt(2000).forAll(Theories.withEdges(SourceDSL.doubles().any(), 0.0, -0.0))
 *         .checkAssert(x -> assertThat(f(x)).isEqualTo(g(x)));
 * }</pre>
 */
public final class Theories {
    private Theories() {
    }

    /**
     * A theory that runs at least {@code examples} distinct cases and shrinks a failure for at most
     * {@code 10 * examples} (at least 500) cycles: the properties' cases cost from microseconds to
     * a Janino compile, and a shrink should not outlast the run that found it by much.
     * QuickTheories skips a draw it has already run (edge cases recur) and counts it as an example:
     * a quarter more draws keeps the cases run above {@code examples} (measured for every
     * generator here: up to 11% of the draws were repeats).
     */
    public static QuickTheory qt(int examples) {
        return theory(examples, examples + examples / 4);
    }

    /**
     * As {@link #qt}, for properties whose cases are costly (a Janino compile each) and built of
     * many independent parts, so that a whole case rarely repeats: a twentieth more draws, plus one
     * for QuickTheories' first draws (its simplest, all-minimum and all-maximum cases), which often
     * coincide. Measured for every such generator here, over 20 seeds each: never fewer distinct
     * cases than {@code examples}.
     */
    public static QuickTheory qtCostly(int examples) {
        return theory(examples, examples + examples / 20 + 1);
    }

    private static QuickTheory theory(int examples, int draws) {
        String test = caller();
        return QuickTheory.qt().withExamples(draws).withShrinkCycles(Math.max(500, 10 * examples))
                .withReporter(new Rerun(test));
    }

    /**
     * {@code random}, with one draw in ten one of {@code edges} (the values a range's ends and zero
     * stand for: QuickTheories tries only the all-minimum and all-maximum case by itself).
     */
    @SafeVarargs
    public static <T> Gen<T> withEdges(Gen<T> random, T... edges) {
        return Generate.frequency(Pair.of(9, random), Pair.of(1, Generate.pick(List.of(edges))));
    }

    /** Uniform in [lo, hi] with lo, hi and (when inside) zero as edge cases. */
    public static Gen<Double> doubles(double lo, double hi) {
        List<Double> edges = new ArrayList<>(List.of(lo, hi));
        if (lo < 0 && hi > 0) edges.add(0.0);
        return withEdges(SourceDSL.doubles().between(lo, hi), edges.toArray(Double[]::new));
    }

    /** Any long (a seed for {@code java.util.Random}), with 0, 1, -1, min and max as edge cases. */
    public static Gen<Long> seeds() {
        return withEdges(SourceDSL.longs().all(), 0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** The test class and method that called {@link #qt}, for the rerun line. */
    private static String caller() {
        return StackWalker.getInstance().walk(s -> s.filter(f -> !f.getClassName().equals(Theories.class.getName()))
                .findFirst().map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "#" + f.getMethodName())
                .orElse("?"));
    }

    /**
     * The maven command that reruns {@code test} on the cases of {@code seed}, in the module that runs it
     * ({@code basedir}, which surefire sets): the engine's alone, another's with the engine built too ({@code -am}).
     */
    static String command(String basedir, String test, long seed) {
        String module = basedir.substring(basedir.lastIndexOf(java.io.File.separatorChar) + 1);
        return "mvn -pl " + module + (module.equals("engine") ? " test" : " -am test -Dsurefire.failIfNoSpecifiedTests=false")
                + " -Dtest=" + test + " -DQT_SEED=" + seed;
    }

    /** QuickTheories' report (shrunk value, others, cause, seed), with the line that reruns the case. */
    private record Rerun(String test) implements Reporter {
        private static final Reporter REPORT = new ExceptionReporter();

        @Override
        public void falisification(long seed, int examplesUsed, Object smallest, Throwable cause, List<Object> examples,
                                   AsString<Object> toString) {
            try {
                REPORT.falisification(seed, examplesUsed, smallest, cause, examples, toString);
            } catch (AssertionError e) {
                throw rerun(seed, e);
            }
        }

        @Override
        public void falisification(long seed, int examplesUsed, Object smallest, List<Object> examples, AsString<Object> toString) {
            try {
                REPORT.falisification(seed, examplesUsed, smallest, examples, toString);
            } catch (AssertionError e) {
                throw rerun(seed, e);
            }
        }

        @Override
        public void valuesExhausted(int completedExamples) {
            REPORT.valuesExhausted(completedExamples);
        }

        private AssertionError rerun(long seed, AssertionError e) {
            AssertionError a = new AssertionError(e.getMessage() + System.lineSeparator() + "Rerun: "
                    + command(System.getProperty("basedir", "engine"), test, seed));
            a.setStackTrace(e.getStackTrace());
            return a;
        }
    }
}
