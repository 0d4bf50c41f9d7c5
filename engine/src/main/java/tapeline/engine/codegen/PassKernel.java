package tapeline.engine.codegen;

import java.util.concurrent.CompletableFuture;

import tapeline.engine.tape.Tape;

/**
 * A train tape's pass compiled to Java ({@link PassSource}): the loss sum and every parameter's
 * gradient sum over a chunk of rows, the same bits as {@link Tape#forward()}, {@link Tape#backward}
 * and {@link tapeline.engine.tape.Op#laneSum} of the loss. One per thread and tape; the class behind
 * it is compiled once per JVM per program ({@link KernelCache}: keyed by the source, which holds node
 * numbers and constants only, so two losses that differ only in their names share it).
 *
 * <p><b>The pass does not wait for code generation.</b> {@link #prepare} hands the generation and
 * the compilation to a background thread and returns at once; until the class is there,
 * {@link #ready()} is false and the caller runs the interpreter, which gives the same bits.
 * Measured on the shared 2-core machine: generating takes 1 to 2 ms (20 to 170 ms the first time in
 * a JVM), compiling 90 to 190 ms (1.6 s the first time in a JVM, Janino itself not yet compiled by
 * the JIT), while a task's whole share of a pass over 2,000,000 rows takes about 100 ms.
 *
 * <pre>{@code
 * PassKernel k = PassKernel.prepare(tape, lossNode, paramNodes, columnNodes);
 * if (k.ready()) { k.run(n); use(k.lossSum(), k.gradient(0)); }   // else the interpreter, k.reason() says why
 * }</pre>
 */
public final class PassKernel {
    /** A generated and compiled program, or why there is none. */
    private record Program(PassSource.Result result, GeneratedPass generated, String failure) { }

    private final Tape tape;
    private final int loss;
    private final int[] columns;
    private final CompletableFuture<Program> program;
    private PassSource.Result result;
    private GeneratedPass generated;
    private double[][] buffers;
    private double[][] terms;
    private final double[] two = new double[2];
    private double[] out;

    private PassKernel(Tape tape, int loss, int[] params, int[] columns) {
        this.tape = tape;
        this.loss = loss;
        this.columns = columns.clone();
        int[] slots = params.clone();
        // The tape's program is fixed once recorded (closed): the background thread reads only that.
        this.program = KernelCache.inBackground(() -> {
            try {
                PassSource.Result r = PassSource.generate(tape, loss, slots);
                KernelCache.Entry e = KernelCache.get(r.source());
                return new Program(r, e.pass(), e.failure());
            } catch (KernelSource.Unsupported e) {
                return new Program(null, null, e.getMessage());
            }
        });
    }

    /**
     * Starts generating and compiling the pass of a train tape in the background (or finds it
     * compiled); a tape this generator does not handle gets a kernel that is never ready, with the reason.
     *
     * @param loss the per-lane loss node
     * @param params the shared parameter leaves, in slot order
     * @param columns the per-lane data leaves, which {@link Tape#rebind} may point elsewhere between runs
     */
    public static PassKernel prepare(Tape tape, int loss, int[] params, int[] columns) {
        return new PassKernel(tape, loss, params, columns);
    }

    /** Whether the compiled class is there (it never is when the tape is not supported or did not compile). */
    public boolean ready() {
        if (generated != null) return true;
        if (!program.isDone()) return false;
        Program p = program.join();
        if (p.generated() == null) return false;
        result = p.result();
        buffers = new double[loss + 1][];
        for (int j = 0; j <= loss; j++) buffers[j] = tape.valueBuffer(j);
        terms = new double[result.termBuffers()][Math.max(tape.lanes(), 1)];
        out = new double[1 + result.hasGradient().length];
        generated = p.generated();
        return true;
    }

    /** Waits for the generator and the compiler (tests and benchmarks: so that the next chunks run compiled); then {@link #ready()}. */
    public boolean awaitCompiled() {
        program.join();
        return ready();
    }

    /** Why the interpreter runs: "compiling", the unsupported node, or the compiler's failure; null when ready. */
    public String reason() {
        if (ready()) return null;
        return program.isDone() ? program.join().failure() : "compiling";
    }

    /** The generated source, waiting for it (null when the tape is not supported). */
    public String source() {
        PassSource.Result r = program.join().result();
        return r == null ? null : r.source();
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
        return result.hasGradient()[k];
    }

    /** The last run's gradient of parameter k, summed over its lanes. */
    public double gradient(int k) {
        return out[1 + k];
    }
}
