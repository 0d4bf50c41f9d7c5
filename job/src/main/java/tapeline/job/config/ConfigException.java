package tapeline.job.config;

import java.util.List;

/**
 * Every problem found in a job's configuration, reported at once. Leads to exit code 2 with nothing
 * written. Each problem names the key (or the expression position, or the column) it is about:
 * <pre>
 * 2 configuration problems:
 *   - steps: expected a whole number &gt;= 1, got 'ten'
 *   - unknown key 'optimiser' (did you mean 'optimizer'?)
 * </pre>
 */
public final class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(render(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** The problems, one message each, in the order they were found. */
    public List<String> problems() {
        return problems;
    }

    private static String render(List<String> problems) {
        StringBuilder sb = new StringBuilder();
        sb.append(problems.size()).append(problems.size() == 1 ? " configuration problem:" : " configuration problems:");
        for (String p : problems) {
            // Multi-line problems (an expression with its caret line) stay aligned under the bullet.
            sb.append("\n  - ").append(p.replace("\n", "\n    "));
        }
        return sb.toString();
    }
}
