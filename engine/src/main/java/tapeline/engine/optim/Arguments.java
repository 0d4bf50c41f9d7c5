package tapeline.engine.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import tapeline.engine.optim.schedule.LearningRateSchedule;

/**
 * The Keras arguments an optimizer is built from (name to value), read with defaults and checked:
 * a value out of range is an error naming the argument and the value, and an argument nobody
 * reads is an error naming it and the accepted ones.
 *
 * <pre>{@code
 * Arguments args = Arguments.of("adam", Map.of("learning_rate", Hyper.of(0.1)));
 * Hyper lr = args.hyper("learning_rate", 0.001, Range.NON_NEGATIVE);
 * }</pre>
 */
public final class Arguments implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The allowed values of an argument. */
    public enum Range {
        ANY("any number"),
        NON_NEGATIVE("in [0, inf)"),
        POSITIVE("in (0, inf)"),
        UNIT_OPEN("in [0, 1)"),
        UNIT_CLOSED("in [0, 1]"),
        UNIT_LEFT_OPEN("in (0, 1]"),
        BOOLEAN("0 or 1 (false or true)");

        private final String text;

        Range(String text) {
            this.text = text;
        }

        /** Words for the range, such as {@code "in [0, 1)"}. */
        public String text() {
            return text;
        }

        public boolean contains(double v) {
            return switch (this) {
                case ANY -> !Double.isNaN(v);
                case NON_NEGATIVE -> v >= 0 && v < Double.POSITIVE_INFINITY;
                case POSITIVE -> v > 0 && v < Double.POSITIVE_INFINITY;
                case UNIT_OPEN -> v >= 0 && v < 1;
                case UNIT_CLOSED -> v >= 0 && v <= 1;
                case UNIT_LEFT_OPEN -> v > 0 && v <= 1;
                case BOOLEAN -> v == 0 || v == 1;
            };
        }
    }

    private final String optimizer;
    private final Map<String, Hyper> given;
    private final Set<String> read = new TreeSet<>();
    private final Map<String, Range> ranges = new java.util.TreeMap<>();
    private final Map<String, Double> defaults = new java.util.TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    private final LearningRateSchedule schedule;

    private Arguments(String optimizer, Map<String, Hyper> given, LearningRateSchedule schedule) {
        this.optimizer = optimizer;
        this.given = new LinkedHashMap<>(given);
        this.schedule = schedule;
    }

    public static Arguments of(String optimizer, Map<String, Hyper> given) {
        return new Arguments(optimizer, given, null);
    }

    /**
     * Arguments whose learning rate is a schedule (Keras {@code learning_rate=ExponentialDecay(...)});
     * {@code learning_rate} must then not be given as a number too.
     */
    public static Arguments of(String optimizer, Map<String, Hyper> given, LearningRateSchedule schedule) {
        return new Arguments(optimizer, given, schedule);
    }

    /** The learning-rate schedule, or null when the learning rate is a number. */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * Reads an argument that Keras defaults to {@code None}: null when not given. Its range is
     * recorded all the same, so {@link #ranges()} lists it.
     */
    public Hyper optional(String name, Range range) {
        if (!given.containsKey(name)) {
            read.add(name);
            ranges.put(name, range);
            return null;
        }
        return hyper(name, Double.NaN, range);
    }

    /** Reads a (possibly per-lane) number, checking every lane's value. */
    public Hyper hyper(String name, double defaultValue, Range range) {
        read.add(name);
        ranges.put(name, range);
        if (!Double.isNaN(defaultValue)) {
            defaults.put(name, defaultValue);
        }
        Hyper h = given.getOrDefault(name, Hyper.of(defaultValue));
        for (double v : h.values()) {
            if (!range.contains(v)) {
                problems.add("optimizer." + name + " must be " + range.text + ", got " + v);
                break;
            }
        }
        return h;
    }

    /** Reads a number that must be the same for every lane. */
    public double number(String name, double defaultValue, Range range) {
        Hyper h = hyper(name, defaultValue, range);
        if (!h.isUniform()) {
            problems.add("optimizer." + name + " must be one value for all rows, not a column");
        }
        return h.value();
    }

    /** Reads a flag given as 0/1 (false/true). */
    public boolean flag(String name, boolean defaultValue) {
        return number(name, defaultValue ? 1 : 0, Range.BOOLEAN) == 1;
    }

    /** The allowed range of every argument read so far. */
    public Map<String, Range> ranges() {
        return Map.copyOf(ranges);
    }

    /**
     * The default of every argument read so far that has one (flags as 1/0); those Keras defaults to
     * {@code None} are not listed.
     */
    public Map<String, Double> defaults() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(defaults));
    }

    /** Whether the caller gave this argument. */
    public boolean has(String name) {
        return given.containsKey(name);
    }

    /** Adds a problem found by the optimizer itself (for example two exclusive arguments). */
    public void problem(String message) {
        problems.add(message);
    }

    /**
     * Fails with every problem at once: out-of-range values, and arguments this optimizer does not
     * read.
     */
    public void check() {
        List<String> all = new ArrayList<>(problems);
        for (String name : given.keySet()) {
            if (!read.contains(name)) {
                all.add("optimizer " + optimizer + " has no argument '" + name + "' (it takes "
                        + String.join(", ", read) + ")");
            }
        }
        if (!all.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", all));
        }
    }

    /** The argument names read so far (after construction: every argument the optimizer takes). */
    public Set<String> names() {
        return Set.copyOf(read);
    }
}
