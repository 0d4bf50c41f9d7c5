package tapeline.engine.solve;

/**
 * The outcome of one block, lane by lane, in the order the lanes were given.
 *
 * @param values {@code values[v][c][lane]}: component c of variable v (in the solver's variable order)
 * @param cost the cost at the final values
 * @param steps optimizer steps applied
 * @param status how each lane ended
 * @param error why, for {@code DIVERGED} and {@code INVALID} lanes; null otherwise
 */
public record BlockResult(int lanes, double[][][] values, double[] cost, int[] steps, LaneStatus[] status,
                          String[] error) {
}
