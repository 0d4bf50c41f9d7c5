package tapeline.engine.codegen;

import java.util.concurrent.CompletableFuture;

import tapeline.engine.tape.Tape;

/**
 * A train tape's pass compiled to Java ({@link PassSource}): the loss sum and every parameter's
 * gradient sum over a chunk of rows, the same bits as {@link Tape#forward()}, {@link Tape#backward}
 * and {@link tapeline.engine.tape.Op#laneSum} of the loss. One per thread and tape; the class behind
 * it is compiled once per JVM per program ({@link KernelCache}).
 *
 * <p><b>The pass does not wait for the compiler.</b> {@link #prepare} generates the source at once
 * (a fraction of a millisecond) and hands it to a background thread to compile; until the class
 * is there, {@link #ready()} is false and the caller runs the interpreter, which gives the same
 * bits. Compiling takes tens of milliseconds (Janino), the time of hundreds of interpreted chunks,
 * and a pass over a partition may be shorter than that.
 *
 * <pre>{@code
 * PassKernel k = PassKernel.prepare(tape, lossNode, paramNodes, columnNodes);
 * if (k.ready()) { k.run(n); use(k.lossSum(), k.gradient(0)); }   // else the interpreter, k.reason() says why
 * }</pre>
 */
public final class PassKernel {
    private final Tape tape;
    private final int[] columns;
    private final PassSource.Result program;
    private final CompletableFuture<KernelCache.Entry> compiling;
    private final String unsupported;
    private GeneratedPass generated;
    private double[][] buffers;
    private double[][] terms;
    private final double[] two = new double[2];
    private double[] out;

    private PassKernel(Tape tape, int loss, int[] columns, PassSource.Result program,
                       CompletableFuture<KernelCache.Entry> compiling, String unsupported) {
        this.tape = tape;
        this.columns = columns.clone();
        this.program = program;
        this.compiling = compiling;
        this.unsupported = unsupported;
        if (program != null) {
            buffers = new double[loss + 1][];
            for (int j = 0; j <= loss; j++) buffers[j] = tape.valueBuffer(j);
            terms = new double[program.termBuffers()][Math.max(tape.lanes(), 1)];
            out = new double[1 + program.hasGradient().length];
        }
    }

    /**
     * Generates the pass of a train tape and starts compiling it in the background (or finds it
     * compiled); a tape this generator does not handle gets a kernel that is never ready, with the reason.
     *
     * @param loss the per-lane loss node
     * @param params the shared parameter leaves, in slot order
     * @param columns the per-lane data leaves, which {@link Tape#rebind} may point elsewhere between runs
     */
    public static PassKernel prepare(Tape tape, int loss, int[] params, int[] columns) {
        try {
            PassSource.Result r = PassSource.generate(tape, loss, params);
            return new PassKernel(tape, loss, columns, r, KernelCache.getAsync(r.source()), null);
        } catch (KernelSource.Unsupported e) {
            return new PassKernel(tape, loss, columns, null, null, e.getMessage());
        }
    }

    /** Whether the compiled class is there (it never is when the tape is not supported or did not compile). */
    public boolean ready() {
        if (generated != null) return true;
        if (compiling == null || !compiling.isDone()) return false;
        generated = compiling.join().pass();
        return generated != null;
    }

    /** Waits for the compiler (tests and benchmarks: so that the next chunks run compiled); then {@link #ready()}. */
    public boolean awaitCompiled() {
        if (compiling != null) compiling.join();
        return ready();
    }

    /** Why the interpreter runs: "compiling", the unsupported node, or the compiler's failure; null when ready. */
    public String reason() {
        if (ready()) return null;
        if (unsupported != null) return unsupported;
        return compiling.isDone() ? compiling.join().failure() : "compiling";
    }

    /** The generated source (null when the tape is not supported). */
    public String source() {
        return program == null ? null : program.source();
    }

    /** Runs the compiled pass over the first {@code lanes} lanes; {@link #ready()} must be true. */
    public void run(int lanes) {
        for (int c : columns) buffers[c] = tape.valueBuffer(c); // rebound to the chunk where it lies
        generated.pass(buffers, terms, two, out, lanes);
    }

    /** The last run's loss, summed over its lanes. */
    public double lossSum() {
        return out[0];
    }

    /** Whether parameter k gets a gradient at all (the interpreter writes none for a parameter the loss does not use). */
    public boolean hasGradient(int k) {
        return program.hasGradient()[k];
    }

    /** The last run's gradient of parameter k, summed over its lanes. */
    public double gradient(int k) {
        return out[1 + k];
    }
}
