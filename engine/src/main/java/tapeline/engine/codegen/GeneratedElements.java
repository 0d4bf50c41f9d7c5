package tapeline.engine.codegen;

/**
 * What a generated element program implements (see {@link ElementSource} for the source): an element
 * tape's passes, lane = one array element of one row, a chunk's rows at lanes {@code [q per, q per + per)}.
 * Sums over a row's elements are taken in the elements' order, as {@code ElementTape} sums them. It
 * holds no state: one instance serves every chunk and thread of the same program.
 *
 * <p>{@code n[k]} is node k's value buffer on the element tape; {@code t} scratch buffers of the
 * tape's lane count; a chunk's row q goes to position {@code rows[c0 + q]} of the outputs.
 */
public interface GeneratedElements {
    /** The residual of every lane into {@code r[i]} (the residual tape only). */
    void residuals(double[][] n, double[] r, int lanes);

    /** The residual of every lane into {@code r[i]} and its gradient per variable into {@code jac[k][i]}. */
    void jacobian(double[][] n, double[] r, double[][] jac, int lanes);

    /** The body summed per row into {@code cost[p]}. */
    void costs(double[][] n, int[] rows, int c0, int count, int per, double[] cost);

    /** The body ({@code cost}, unless null) and its gradient ({@code grad[k][p]}) summed per row. */
    void gradients(double[][] n, int[] rows, int c0, int count, int per, double[] cost, double[][] grad);

    /**
     * The body, the gradient program's values and the Hessian ({@code hess[i][j][p]}: per element the
     * upper half, row i from gradient node i's reverse pass, mirrored) summed per row; with {@code reverse} not null also what
     * {@link #gradients} gives ({@code reverse[k][p]}), from the same forward pass. Only when the Hessian was generated.
     */
    void derivatives(double[][] n, double[][] t, int[] rows, int c0, int count, int per, double[] cost, double[][] grad,
                     double[][][] hess, double[][] reverse);
}
