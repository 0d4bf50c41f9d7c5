package tapeline.engine.solve;

import java.io.Serializable;

/**
 * How long a lane runs: at most {@code maxSteps} optimizer steps, and earlier if the enabled
 * convergence tests pass. A lane converges when its gradient norm is at most
 * {@code gradTolerance} and its last step moved it by at most {@code stepTolerance} (Euclidean
 * norms over all components); a tolerance of 0 turns that test off, and with both off a lane runs
 * all {@code maxSteps}. With {@code verdict}, every lane that ends also gets the smallest
 * eigenvalue of its Hessian and a {@link Verdict}.
 *
 * <p>{@code optimizer = lm} reads the tolerances as MINPACK's {@code lmder} does, each relative:
 * {@code gradTolerance} is {@code gtol} (the largest cosine between the residuals and a column of
 * the Jacobian), {@code stepTolerance} is {@code xtol} (the trust region's radius against the
 * scaled variables' norm) and {@code costTolerance} ({@code tolerance.cost}) is {@code ftol} (the
 * relative fall of the sum of squares, actual and predicted); any one that passes ends the lane
 * converged. Other optimizers do not read {@code costTolerance}.
 */
public record SolverSettings(int maxSteps, double gradTolerance, double stepTolerance, boolean verdict,
                             double costTolerance) implements Serializable {

    /** Settings without a cost tolerance. */
    public SolverSettings(int maxSteps, double gradTolerance, double stepTolerance, boolean verdict) {
        this(maxSteps, gradTolerance, stepTolerance, verdict, 0);
    }

    /** Settings without the verdict. */
    public SolverSettings(int maxSteps, double gradTolerance, double stepTolerance) {
        this(maxSteps, gradTolerance, stepTolerance, false);
    }

    public SolverSettings {
        if (maxSteps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + maxSteps);
        }
        if (!(gradTolerance >= 0) || gradTolerance == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("tolerance.grad must be a finite number >= 0, got " + gradTolerance);
        }
        if (!(stepTolerance >= 0) || stepTolerance == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("tolerance.step must be a finite number >= 0, got " + stepTolerance);
        }
        if (!(costTolerance >= 0) || costTolerance == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("tolerance.cost must be a finite number >= 0, got " + costTolerance);
        }
    }

    /** Whether any convergence test is on (the cost tolerance is lm's alone, and not counted here). */
    public boolean testsConvergence() {
        return gradTolerance > 0 || stepTolerance > 0;
    }
}
