package tapeline.engine.expr;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean": the closest candidate by edit distance, if it is close enough to be a likely
 * typo. The one implementation behind every suggestion tapeline makes (config keys, columns,
 * expression names and functions).
 *
 * <pre>{@code
 * Suggest.closest("optimiser", List.of("optimizer", "steps"))   // Optional.of("optimizer")
 * }</pre>
 */
public final class Suggest {
    /** Longer words get no suggestion: hostile input must stay cheap. */
    private static final int MAX_LENGTH = 64;

    private Suggest() {
    }

    /** The closest candidate (ties: the alphabetically first), case-insensitively, or empty. */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        if (word.length() > MAX_LENGTH) return Optional.empty();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        // A third of the word's length, at least 1 and at most 3: short words need a close match.
        int allowed = Math.max(1, Math.min(3, word.length() / 3));
        return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** The Levenshtein distance (insertions, deletions, substitutions; a transposition counts 2). */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
