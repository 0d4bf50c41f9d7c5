package tapeline.engine.codegen;

/**
 * What a generated class implements (see {@link KernelSource} for the source). Every method works
 * on the first {@code lanes} lanes; {@code n[k]} is node k's value buffer on the tape. It holds no
 * state, except the scratch arrays of a large program's segments ({@link #forBlock}).
 */
public interface GeneratedStep {
    /**
     * The instance one block uses: this one, or for a program generated in segments a new one with
     * scratch arrays of its own (a block runs on one thread; the cached instance may be shared).
     */
    default GeneratedStep forBlock() {
        return this;
    }

    /** Forward and backward: slot k's gradient into {@code grad[k]}, and the cost into {@code cost} unless it is null. */
    void gradients(double[][] n, double[][] grad, double[] cost, int lanes);

    /** Forward only: the cost into {@code cost}. */
    void cost(double[][] n, double[] cost, int lanes);

    /** Whether {@link #step} was generated (the optimizer's update has a source). */
    boolean fused();

    /**
     * Forward, backward and the optimizer's update in one pass: {@code st} holds every slot's state
     * arrays, {@code grad} arrays it may use as scratch for the gradients, {@code sc} the step's scalars ({@code tapeline.engine.optim.UpdateSource}); the cost
     * before the update into {@code cost} unless it is null. With {@code check}, returns the sum of
     * {@code g - g} over every slot's gradient {@code g} in every lane: 0 exactly when they are all
     * finite, else NaN (without it, 0).
     */
    double step(double[][] n, double[][] grad, boolean check, double[][] st, double[] sc, double[] cost, int lanes);
}
