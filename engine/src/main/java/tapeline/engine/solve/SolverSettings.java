package tapeline.engine.solve;

import java.io.Serializable;

/**
 * How long a lane runs: at most {@code maxSteps} optimizer steps, and earlier if the enabled
 * convergence tests pass. A lane converges when its gradient norm is at most
 * {@code gradTolerance} and its last step moved it by at most {@code stepTolerance} (Euclidean
 * norms over all components); a tolerance of 0 turns that test off, and with both off a lane runs
 * all {@code maxSteps}. With {@code verdict}, every lane that ends also gets the smallest
 * eigenvalue of its Hessian and a {@link Verdict}.
 */
public record SolverSettings(int maxSteps, double gradTolerance, double stepTolerance, boolean verdict)
        implements Serializable {

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
    }

    /** Whether any convergence test is on. */
    public boolean testsConvergence() {
        return gradTolerance > 0 || stepTolerance > 0;
    }
}
