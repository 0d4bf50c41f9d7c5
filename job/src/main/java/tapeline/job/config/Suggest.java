package tapeline.job.config;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean" for config keys and columns: the engine's {@link tapeline.engine.expr.Suggest}. */
public final class Suggest {
    private Suggest() {}

    /** {@code closest("optimiser", List.of("optimizer", "steps"))} is {@code Optional.of("optimizer")}. */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        return tapeline.engine.expr.Suggest.closest(word, candidates);
    }
}
