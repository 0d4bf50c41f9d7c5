package tapeline.job;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import tapeline.job.config.ConfigValues;

/**
 * The data-quality gate, {@code max.invalid}: at most {@code N} rows, or at most {@code P%} of the
 * rows read, may be {@code INVALID} (sweep, score) or bad ({@code train} with {@code bad.rows = skip});
 * more, and the job exits 3. Unset: no limit.
 *
 * <pre>{@code
 * QualityGate g = QualityGate.parse("0.5%", problems);
 * g.passes(5, 1000);    // true: 5 is not more than 0.5% of 1000
 * g.passes(6, 1000);    // false
 * }</pre>
 *
 * @param count    the most rows allowed, or -1
 * @param percent  the most rows allowed as a percentage of the rows read, or -1
 */
public record QualityGate(long count, double percent) {

    /** The config key. */
    public static final String KEY = "max.invalid";
    /** No limit. */
    public static final QualityGate NONE = new QualityGate(-1, -1);
    /** Reasons the message and the record show at most. */
    public static final int SHOWN_REASONS = 5;

    /** The value of {@code max.invalid} (null: unset); a bad value is a problem naming the key, and no limit. */
    public static QualityGate parse(String value, List<String> problems) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        String v = value.trim();
        if (v.endsWith("%")) {
            String p = v.substring(0, v.length() - 1).trim();
            if (ConfigValues.isNumber(p)) {
                double d = Double.parseDouble(p);
                if (d >= 0 && d <= 100) {
                    return new QualityGate(-1, d);
                }
            }
        } else if (v.matches("\\d{1,18}")) {
            return new QualityGate(Long.parseLong(v), -1);
        }
        problems.add(KEY + ": expected a whole number of rows >= 0 or a percentage of the rows read in [0%, 100%]"
                + " (e.g. 10 or 0.5%), got '" + value + "'");
        return NONE;
    }

    /** Whether {@code invalid} rows of {@code rowsRead} are within the limit. */
    public boolean passes(long invalid, long rowsRead) {
        if (count >= 0) {
            return invalid <= count;
        }
        if (percent >= 0) {
            return invalid <= percent / 100 * rowsRead;
        }
        return true;
    }

    /** The limit as the config gives it ({@code 10}, {@code 0.5%}), or null without one. */
    public String limit() {
        if (count >= 0) {
            return Long.toString(count);
        }
        return percent >= 0 ? (percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent)) + "%" : null;
    }

    /**
     * Throws {@link Failed} when the gate does not pass; {@code reasons} is asked only then.
     *
     * @param byStatus the rows by status, and {@code steps} the optimizer steps taken, for the record
     */
    public void check(long invalid, long rowsRead, Map<String, Long> byStatus, long steps,
                      Supplier<List<String>> reasons) throws Failed {
        if (!passes(invalid, rowsRead)) {
            throw new Failed(this, invalid, rowsRead, byStatus, steps, List.copyOf(reasons.get()));
        }
    }

    /** The gate did not pass: exit 3. */
    public static final class Failed extends Exception {
        private final transient QualityGate gate;
        private final long invalid;
        private final long rowsRead;
        private final transient Map<String, Long> byStatus;
        private final long steps;
        private final transient List<String> reasons;

        Failed(QualityGate gate, long invalid, long rowsRead, Map<String, Long> byStatus, long steps, List<String> reasons) {
            super(String.format(Locale.ROOT, "%s: %,d invalid row%s of %,d read, more than the %s allowed%s",
                    KEY, invalid, invalid == 1 ? "" : "s", rowsRead, gate.limit(),
                    reasons.isEmpty() ? "" : "; the first: " + String.join("; ", reasons)), null, false, false);
            this.gate = gate;
            this.invalid = invalid;
            this.rowsRead = rowsRead;
            this.byStatus = Map.copyOf(byStatus);
            this.steps = steps;
            this.reasons = reasons;
        }

        public QualityGate gate() {
            return gate;
        }

        public long invalid() {
            return invalid;
        }

        public long rowsRead() {
            return rowsRead;
        }

        public Map<String, Long> byStatus() {
            return byStatus;
        }

        public long steps() {
            return steps;
        }

        public List<String> reasons() {
            return reasons;
        }

        /**
         * What stdout shows for a run the gate stopped, as a successful run shows its summary: the
         * counts and the first reasons, e.g.
         * <pre>
         * tapeline sweep: the data-quality gate failed: 1 invalid row of 4 read, more than the 0 allowed (max.invalid)
         *   rows by status: CONVERGED 3, INVALID 1
         *   steps: 150
         *   first reasons:
         *     column x1: not a number: 'abc'
         * </pre>
         */
        public String summary(String job) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "tapeline %s: the data-quality gate failed: %,d invalid row%s of %,d read,"
                    + " more than the %s allowed (%s)%n", job, invalid, invalid == 1 ? "" : "s", rowsRead, gate.limit(), KEY));
            StringBuilder counts = new StringBuilder();
            new java.util.TreeMap<>(byStatus).forEach((status, n) ->
                    counts.append(counts.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %,d", status, n)));
            sb.append("  rows by status: ").append(counts).append(System.lineSeparator());
            sb.append(String.format(Locale.ROOT, "  steps: %,d%n", steps));
            if (!reasons.isEmpty()) {
                sb.append("  first reasons:").append(System.lineSeparator());
                reasons.stream().limit(SHOWN_REASONS)
                        .forEach(r -> sb.append("    ").append(r).append(System.lineSeparator()));
            }
            return sb.toString();
        }
    }
}
