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
 * @param curvature with the verdict on: the smallest eigenvalue of the Hessian at the result (NaN
 *     for {@code INVALID} lanes); null with it off
 * @param verdict with the verdict on: what the Hessian says (null for {@code INVALID} lanes); null
 *     with it off
 * @param standardErrors with {@code stderr} on: {@code standardErrors[v][c][lane]}, shaped as
 *     {@code values} ({@link StandardErrors}); NaN where a lane has none (singular, {@code DIVERGED},
 *     {@code INVALID}); null with it off
 */
public record BlockResult(int lanes, double[][][] values, double[] cost, double[] gradNorm, int[] steps,
                          LaneStatus[] status, String[] error, double[] curvature, Verdict[] verdict,
                          double[][][] standardErrors) {

    /** A result without standard errors. */
    public BlockResult(int lanes, double[][][] values, double[] cost, double[] gradNorm, int[] steps,
                       LaneStatus[] status, String[] error, double[] curvature, Verdict[] verdict) {
        this(lanes, values, cost, gradNorm, steps, status, error, curvature, verdict, null);
    }

    /** A result without the verdict. */
    public BlockResult(int lanes, double[][][] values, double[] cost, double[] gradNorm, int[] steps,
                       LaneStatus[] status, String[] error) {
        this(lanes, values, cost, gradNorm, steps, status, error, null, null);
    }
}
