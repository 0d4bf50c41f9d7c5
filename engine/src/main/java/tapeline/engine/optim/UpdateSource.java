package tapeline.engine.optim;

/**
 * An optimizer's per-lane update as Java source, for a compiled step ({@code tapeline.engine.codegen}),
 * written next to the optimizer's own Java update and doing the same arithmetic in the same order.
 *
 * <p>{@code body} is the statements for one lane {@code i} of one slot. It names what it reads by
 * tokens: {@code $w} the slot's value array, {@code $g} the lane's gradient (a {@code double}),
 * {@code $s0, $s1, ...} the slot's state arrays (in {@link Optimizer#fusedState()}'s order),
 * {@code $c0, $c1, ...} the step's scalars (as {@code double}, filled by
 * {@link Optimizer#beginFusedStep(double[])}). Its own locals must not start with a digit-suffixed
 * {@code v}, {@code n}, {@code adj}, {@code grad}, {@code chk}, {@code sc} or {@code st}, which are the kernel's.
 *
 * <pre>{@code
 * new UpdateSource("$w[i] = $w[i] - $g * $c0;", 0, 1)   // plain SGD in float64
 * }</pre>
 *
 * <p>An update whose arithmetic changes with the step (Nadam leaves out two divisions once they are
 * by exactly 1) gives an {@code alternative} body: the compiled step then has one loop per body and
 * runs the alternative's when the last scalar is not 0. Choosing once per step keeps each loop free
 * of branches, which C2 vectorises where a per-element choice in one loop it does not.
 *
 * <p>{@code ownLoop} puts the update in a loop of its own, after the loop that computes the
 * gradients (through a scratch array): for an update whose body together with the gradient's is too
 * large for C2 to unroll and vectorise (Nadam's float64 update fused into one loop: 2.7x Adam's step,
 * in its own loop 1.5x). A small update is faster fused (Adam's: 10% slower in two loops).
 *
 * @param body statements for one lane
 * @param alternative statements for one lane on the steps whose last scalar is not 0, or null
 * @param ownLoop whether the update runs in a loop of its own after the gradients'
 * @param statesPerSlot state arrays per slot
 * @param scalars per-step scalars (with an alternative, the last one chooses)
 */
public record UpdateSource(String body, String alternative, boolean ownLoop, int statesPerSlot, int scalars) {
    public UpdateSource {
        if (statesPerSlot < 0 || scalars < 0) {
            throw new IllegalArgumentException("counts must be >= 0, got " + statesPerSlot + " states and " + scalars + " scalars");
        }
        if (alternative != null && scalars == 0) {
            throw new IllegalArgumentException("an alternative body needs a scalar to choose it, got 0 scalars");
        }
    }

    /** An update with one body. */
    public UpdateSource(String body, int statesPerSlot, int scalars) {
        this(body, null, false, statesPerSlot, scalars);
    }
}
