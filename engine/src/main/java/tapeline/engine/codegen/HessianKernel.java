package tapeline.engine.codegen;

import java.util.concurrent.CompletableFuture;

import tapeline.engine.tape.Tape;

/**
 * A chunk's Hessian sums compiled to Java ({@link HessianSource}): the same bits as
 * {@link tapeline.engine.tape.HessianProgram#evaluate} on the same tape (its forward pass, one reverse
 * pass per parameter, then the upper triangle mirrored into the lower), without the interpreter's buffer per node and op
 * per loop. Prepared in the background like {@link PassKernel}; until {@link #ready()}, or for a tape
 * the generator does not handle ({@link #reason()}), the caller runs the interpreter.
 *
 * <pre>{@code
 * int[] g = tape.gradientProgram(loss, params);      // recorded once, as HessianProgram.record does
 * HessianKernel k = HessianKernel.prepare(tape, loss, params, columns, g);
 * if (k.ready()) { double[] h = k.run(n); }         // h[i * m + j], symmetrised
 * }</pre>
 */
public final class HessianKernel {
    private record Program(HessianSource.Result result, GeneratedPass generated, String failure) { }

    private final Tape tape;
    private final int[] columns;
    private final int m;
    private final CompletableFuture<Program> program;
    private GeneratedPass generated;
    private boolean[] has;
    private double[][] buffers;
    private double[][] scratch;
    private final double[] two = new double[2];
    private final double[] out;

    private HessianKernel(Tape tape, int loss, int[] params, int[] columns, int[] gradient) {
        this.tape = tape;
        this.columns = columns.clone();
        this.m = params.length;
        this.out = new double[m * m];
        int[] p = params.clone();
        int[] g = gradient.clone();
        this.program = KernelCache.inBackground(() -> {
            try {
                HessianSource.Result r = HessianSource.generate(tape, loss, p, g);
                KernelCache.Entry e = KernelCache.get(r.source());
                return new Program(r, e.pass(), e.failure());
            } catch (KernelSource.Unsupported | RuntimeException e) {
                return new Program(null, null, String.valueOf(e.getMessage()));
            }
        });
    }

    /**
     * Starts generating and compiling the Hessian of a train tape whose gradient program is recorded.
     *
     * @param loss the per-lane loss node
     * @param params the shared parameter leaves, in slot order
     * @param columns the per-lane data leaves ({@link Tape#rebind} may point them elsewhere between runs)
     * @param gradient the gradient program's nodes, one per parameter (-1: the loss does not use it)
     */
    public static HessianKernel prepare(Tape tape, int loss, int[] params, int[] columns, int[] gradient) {
        return new HessianKernel(tape, loss, params, columns, gradient);
    }

    /** Whether the compiled class is there. */
    public boolean ready() {
        if (generated != null) return true;
        if (!program.isDone()) return false;
        Program p = program.join();
        if (p.generated() == null) return false;
        has = p.result().has();
        buffers = new double[tape.size()][];
        for (int j = 0; j < tape.size(); j++) buffers[j] = tape.valueBuffer(j);
        scratch = new double[p.result().buffers()][Math.max(tape.lanes(), 1)];
        generated = p.generated();
        return true;
    }

    /** Waits for the generator and the compiler; then {@link #ready()}. */
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
        HessianSource.Result r = program.join().result();
        return r == null ? null : r.source();
    }

    /**
     * The Hessian of the sum of the first {@code lanes} lanes' loss at the tape's current parameter
     * values and rows, row-major and symmetrised (the array is reused); {@link #ready()} must be true.
     */
    public double[] run(int lanes) {
        for (int c : columns) buffers[c] = tape.valueBuffer(c);
        java.util.Arrays.fill(out, 0.0);
        generated.pass(buffers, scratch, two, out, lanes);
        for (int k = 0; k < out.length; k++) if (!has[k]) out[k] = 0.0;
        // HessianProgram's symmetrisation: the upper triangle (the only one generated) mirrored into the lower.
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) out[j * m + i] = out[i * m + j];
        }
        return out;
    }
}
