package tapeline.engine.solve;

/**
 * The outcome of one block, lane by lane, in the order the lanes were given.
 *
 * @param values {@code values[v][c][lane]}: component c of variable v (in the solver's variable order)
 * @param cost the cost at the final values
 * @param gradNorm the Euclidean norm of the cost's gradient at the final values (NaN for {@code INVALID} lanes)
 * @param steps optimizer steps applied
 * @param status how each lane ended
 * @param error why, for {@code DIVERGED} and {@code INVALID} lanes; null otherwise
 */
public record BlockResult(int lanes, double[][][] values, double[] cost, double[] gradNorm, int[] steps, LaneStatus[] status,
                          String[] error) {
}
