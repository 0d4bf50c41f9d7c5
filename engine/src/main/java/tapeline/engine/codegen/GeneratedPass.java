package tapeline.engine.codegen;

/**
 * What a generated train pass implements (see {@link PassSource} for the source): one chunk of rows,
 * one row per lane. It holds no state: one instance serves every chunk and thread of the same program.
 */
public interface GeneratedPass {
    /**
     * Forward and backward over lanes {@code [0, lanes)}: {@code out[0]} the sum of the loss over the
     * lanes, {@code out[1 + k]} parameter k's gradient summed over them (where it has one), each in the
     * interpreter's order ({@link tapeline.engine.tape.Op#laneSum}).
     *
     * @param n     node k's value buffer on the tape (per-lane data, constants, shared parameters)
     * @param t     scratch buffers of at least {@code lanes} values, for the per-lane terms of the sums
     * @param two   scratch for {@link tapeline.engine.tape.Op#laneDot2}
     */
    void pass(double[][] n, double[][] t, double[] two, double[] out, int lanes);
}
