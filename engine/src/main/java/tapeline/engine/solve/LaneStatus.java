package tapeline.engine.solve;

/** How a lane ended. */
public enum LaneStatus {
    /** Every enabled convergence test passed. */
    CONVERGED,
    /** Ran all its steps without converging (or with the tests off). */
    MAX_STEPS,
    /** A value, gradient or the cost became non-finite, or the cost fell without bound. */
    DIVERGED,
    /** Its input could not be used (a non-finite input, initial value or hyper-parameter). */
    INVALID
}
