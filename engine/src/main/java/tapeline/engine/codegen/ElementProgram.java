package tapeline.engine.codegen;

import tapeline.engine.tape.Tape;

/**
 * An element tape's passes compiled to Java ({@link ElementSource}): the same bits as the
 * interpreter's forward and reverse passes on the element tape with {@code ElementTape}'s row sums,
 * without a buffer per node and a loop per op. Made once per element tape, in the caller's thread
 * (a JVM compiles each program once: {@link KernelCache}); a tape the generator does not handle, or
 * a class over the JIT's limit, gets a program that is not {@link #compiled()}, with the reason, and
 * the caller runs the interpreter.
 *
 * <pre>{@code
 * ElementProgram p = ElementProgram.prepare(tape, residual, body, vars, gradientNodes);
 * if (p.compiled()) p.costs(rows, 0, count, n, cost);   // else p.reason() says why
 * }</pre>
 */
public final class ElementProgram {
    private final Tape tape;
    private final GeneratedElements generated;
    private final String source;
    private final String reason;
    private final int scratch;
    private double[][] buffers;
    private double[][] t;

    private ElementProgram(Tape tape, GeneratedElements generated, String source, String reason, int scratch) {
        this.tape = tape;
        this.generated = generated;
        this.source = source;
        this.reason = reason;
        this.scratch = scratch;
    }

    /**
     * Generates and compiles the passes of a closed element tape (or finds them compiled).
     *
     * @param residual the residual's node, or -1 for a cost {@code sum(body)}
     * @param body the node of one element's term of the cost
     * @param vars the variables' leaves (per lane), in slot order
     * @param gradient the body's gradient program (one node per variable, -1: none), or null without a Hessian
     */
    public static ElementProgram prepare(Tape tape, int residual, int body, int[] vars, int[] gradient) {
        try {
            ElementSource.Result r = ElementSource.generate(tape, residual, body, vars.clone(),
                    gradient == null ? null : gradient.clone());
            KernelCache.Entry e = KernelCache.get(r.source());
            return new ElementProgram(tape, e.instance() == null ? null : e.elements(), r.source(), e.failure(), r.scratch());
        } catch (KernelSource.Unsupported | RuntimeException e) {
            return new ElementProgram(tape, null, null, String.valueOf(e.getMessage()), 0);
        }
    }

    /** Whether the compiled class runs. */
    public boolean compiled() {
        return generated != null;
    }

    /** Why the interpreter runs (the unsupported node, or the compiler's failure); null when compiled. */
    public String reason() {
        return reason;
    }

    /** The generated source (null when the tape is not supported). */
    public String source() {
        return source;
    }

    private double[][] n() {
        if (buffers == null) {
            buffers = new double[tape.size()][];
            for (int j = 0; j < tape.size(); j++) buffers[j] = tape.valueBuffer(j);
        }
        return buffers;
    }

    /** The residual of the first {@code lanes} lanes into {@code r}, and with {@code jac} not null its gradient per variable. */
    public void residuals(double[] r, double[][] jac, int lanes) {
        if (jac == null) generated.residuals(n(), r, lanes);
        else generated.jacobian(n(), r, jac, lanes);
    }

    /** The cost of rows {@code rows[c0 .. c0 + count)}, whose elements are the chunk's lanes {@code [q per, q per + per)}. */
    public void costs(int[] rows, int c0, int count, int per, double[] cost) {
        generated.costs(n(), rows, c0, count, per, cost);
    }

    /** The cost (unless null) and its gradient of the chunk's rows, as {@link #costs}. */
    public void gradients(int[] rows, int c0, int count, int per, double[] cost, double[][] grad) {
        generated.gradients(n(), rows, c0, count, per, cost, grad);
    }

    /**
     * The cost, the gradient program's values and the Hessian ({@code hess[i][j][p]}) of the chunk's
     * rows, as {@link #costs}; with {@code reverse} not null also {@link #gradients}' values, in one pass.
     */
    public void derivatives(int[] rows, int c0, int count, int per, double[] cost, double[][] grad, double[][][] hess,
                            double[][] reverse) {
        if (t == null) t = new double[scratch][tape.lanes()];
        generated.derivatives(n(), t, rows, c0, count, per, cost, grad, hess, reverse);
    }
}
