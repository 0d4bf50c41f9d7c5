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
 * {@code v}, {@code n}, {@code adj}, {@code sc} or {@code st}, which are the kernel's.
 *
 * <pre>{@code
 * new UpdateSource("$w[i] = $w[i] - $g * $c0;", 0, 1)   // plain SGD in float64
 * }</pre>
 *
 * @param body statements for one lane
 * @param statesPerSlot state arrays per slot
 * @param scalars per-step scalars
 */
public record UpdateSource(String body, int statesPerSlot, int scalars) {
    public UpdateSource {
        if (statesPerSlot < 0 || scalars < 0) {
            throw new IllegalArgumentException("counts must be >= 0, got " + statesPerSlot + " states and " + scalars + " scalars");
        }
    }
}
