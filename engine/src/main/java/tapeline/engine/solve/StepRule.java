package tapeline.engine.solve;

import java.io.Serializable;

/**
 * How a second-order solver proposes and accepts one step for every running lane of a block:
 * {@link NewtonStep} (a line search on the Hessian's step), {@link LmStep} (Levenberg-Marquardt's
 * scaled trust region on the residuals' Jacobian). {@link BlockRun} keeps the bookkeeping (judge,
 * pack, statuses, the divergence rule); a rule only moves the lanes' values and says what it alone
 * can know about a lane: an unbounded fall, or its own convergence tests. A first-order (Keras)
 * optimizer needs no rule: its update is {@code Optimizer.step}.
 *
 * <p>A rule keeps any state that must survive a pause in its optimizer's per-lane arrays (which
 * move with the lanes when a block packs, and serialise with the run); its own fields are buffers.
 */
interface StepRule extends Serializable {

    /** One step of the first {@code active} lanes: {@code values[k][p]} move in place. */
    void step(double[][] values, int active);

    /** Why lane position p is falling without bound, as only this rule can tell, or null. */
    String divergence(int p, double cost, double gradNorm);

    /**
     * Whether this rule's own tests decide convergence (then {@link BlockRun}'s absolute gradient
     * and step tests do not apply to its lanes).
     */
    default boolean ownsConvergence() {
        return false;
    }

    /** With {@link #ownsConvergence}: whether lane position p passed a test at its last step. */
    default boolean converged(int p) {
        return false;
    }
}
