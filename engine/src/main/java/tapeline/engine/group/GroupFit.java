package tapeline.engine.group;

import tapeline.engine.train.TrainLoop;

/**
 * One group's result: what {@code job = train} on the group's rows alone would write.
 *
 * <pre>{@code
 * GroupFit f = fits[g];
 * if (f.status() == TrainLoop.Status.CONVERGED) use(f.params());
 * }</pre>
 *
 * @param params   the final parameters, in {@link tapeline.engine.train.LossModel#parameterNames()} order
 *                 (for INVALID: the start values, or empty when there were none)
 * @param loss     the group's objective at {@code params} (NaN when never evaluated)
 * @param gradNorm the norm of its gradient there (OWL-QN: of the pseudo-gradient)
 * @param steps    optimizer steps taken
 * @param passes   evaluations of the group's loss and gradient (line-search trials included)
 * @param status   how the group's run ended
 * @param message  null, or why it stopped or diverged (as {@link TrainLoop.TrainResult#message()}),
 *                 or for INVALID what was wrong
 */
public record GroupFit(double[] params, double loss, double gradNorm, int steps, int passes, TrainLoop.Status status,
                       String message) {
    public GroupFit {
        java.util.Objects.requireNonNull(params, "params");
        java.util.Objects.requireNonNull(status, "status");
    }
}
