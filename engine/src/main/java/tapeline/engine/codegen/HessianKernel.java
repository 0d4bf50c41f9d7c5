package tapeline.engine.codegen;

import java.util.concurrent.CompletableFuture;

import tapeline.engine.tape.Tape;

/**
 * Newton's pass over a chunk compiled to Java ({@link HessianSource}): {@link #run} gives the loss and
 * gradient sums with the bits of {@link PassKernel} (and of the interpreter's forward and backward),
 * and keeps the per-lane values the Hessian reads; {@link #hessian} then gives the Hessian sums with
 * the bits of {@link tapeline.engine.tape.HessianProgram#evaluate} on the same tape (one reverse pass
 * per parameter, the upper triangle mirrored into the lower) without computing any forward value again
 * (for the logistic loss: no second {@code e^-|x|}, no second dot product). A line-search trial that
 * needs only the value and gradient does not pay for the Hessian. Prepared in the background like
 * {@link PassKernel}; until {@link #ready()}, or for a tape the generator does not handle
 * ({@link #reason()}), the caller runs the interpreter.
 *
 * <pre>{@code
 * int[] g = tape.gradientProgram(loss, params);      // recorded once, as HessianProgram.record does
 * HessianKernel k = HessianKernel.prepare(tape, loss, params, columns, g);
 * if (k.ready()) { k.run(n); use(k.lossSum(), k.gradient(0)); double[] h = k.hessian(n); }   // h[i * m + j], symmetrised
 * }</pre>
 */
public final class HessianKernel {
    private record Program(HessianSource.Result result, GeneratedNewton generated, String failure) { }

    private final Tape tape;
    private final int[] columns;
    private final int m;
    private final CompletableFuture<Program> program;
    private GeneratedNewton generated;
    private HessianSource.Result result;
    private double[][] buffers;
    private double[][] scratch;
    private final double[] two = new double[2];
    private final double[] sums;
    private final double[] out;

    private HessianKernel(Tape tape, int loss, int[] params, int[] columns, int[] gradient) {
        this.tape = tape;
        this.columns = columns.clone();
        this.m = params.length;
        this.sums = new double[1 + m];
        this.out = new double[m * m];
        int[] p = params.clone();
        int[] g = gradient.clone();
        this.program = KernelCache.inBackground(() -> {
            try {
                HessianSource.Result r = HessianSource.generate(tape, loss, p, g);
                KernelCache.Entry e = KernelCache.get(r.source());
                return new Program(r, e.instance() == null ? null : e.newton(), e.failure());
            } catch (KernelSource.Unsupported | RuntimeException e) {
                return new Program(null, null, String.valueOf(e.getMessage()));
            }
        });
    }

    /**
     * Starts generating and compiling Newton's pass of a train tape whose gradient program is recorded.
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
        result = p.result();
        buffers = new double[tape.size()][];
        for (int j = 0; j < tape.size(); j++) buffers[j] = tape.valueBuffer(j);
        scratch = new double[result.buffers()][Math.max(tape.lanes(), 1)];
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
     * The pass over the first {@code lanes} lanes at the tape's current parameter values and rows: the
     * loss and gradient sums ({@link #lossSum}, {@link #gradient}), and the values {@link #hessian}
     * reads; {@link #ready()} must be true.
     */
    public void run(int lanes) {
        for (int c : columns) buffers[c] = tape.valueBuffer(c);
        generated.pass(buffers, scratch, two, sums, lanes);
    }

    /** The last run's loss, summed over its lanes. */
    public double lossSum() {
        return sums[0];
    }

    /** Whether parameter k gets a gradient at all (the interpreter writes none for a parameter the loss does not use). */
    public boolean hasGradient(int k) {
        return result.hasGradient()[k];
    }

    /** The last run's gradient of parameter k, summed over its lanes. */
    public double gradient(int k) {
        return sums[1 + k];
    }

    /**
     * The Hessian of the sum of the last {@link #run}'s lanes' loss (the same {@code lanes}, nothing run
     * on this kernel between), row-major and symmetrised (the array is reused).
     */
    public double[] hessian(int lanes) {
        java.util.Arrays.fill(out, 0.0);
        generated.hessian(buffers, scratch, two, out, lanes);
        boolean[] has = result.has();
        for (int k = 0; k < out.length; k++) if (!has[k]) out[k] = 0.0;
        // HessianProgram's symmetrisation: the upper triangle (the only one generated) mirrored into the lower.
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) out[j * m + i] = out[i * m + j];
        }
        return out;
    }
}
