package tapeline.engine.codegen;

/**
 * What a generated Newton pass implements ({@link HessianSource}): the train pass, whose loop also keeps
 * the per-lane values Newton's Hessian reads, and the Hessian from them, so that the Hessian costs its
 * own arithmetic only (no forward value computed twice) and is paid only when it is asked for.
 */
public interface GeneratedNewton extends GeneratedPass {
    /**
     * The Hessian's upper triangle summed over lanes {@code [0, lanes)}, {@code out[i * m + j]} for
     * {@code j >= i} (where it has a term), at the values the last {@link #pass} over the same buffers kept.
     */
    void hessian(double[][] n, double[][] t, double[] two, double[] out, int lanes);
}
