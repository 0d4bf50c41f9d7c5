package tapeline.engine.solve;

/** How a lane ended. */
public enum LaneStatus {
    /** Every enabled convergence test passed. */
    CONVERGED,
    /** Ran all its steps without converging (or with the tests off). */
    MAX_STEPS,
    /**
     * The cost or a gradient became non-finite, a variable passed the dtype's bound, or the cost falls
     * without bound ({@link Divergence} says exactly when); the lane's error says which.
     */
    DIVERGED,
    /** Its input could not be used (a non-finite input, initial value or hyper-parameter). */
    INVALID
}
