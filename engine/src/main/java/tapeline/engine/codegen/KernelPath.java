package tapeline.engine.codegen;

/**
 * Which path a block's steps run on, and why: {@code compiled} (generated source compiled by
 * Janino, with the optimizer's update fused in or not) or {@code interpreted} (the tape's own loop),
 * with the reason when it is a fallback.
 *
 * <pre>{@code
 * KernelPath p = solver.kernelPath();   // "compiled (update fused)", or "interpreted: op DOT (node 7) has no generated form"
 * }</pre>
 *
 * @param compiled whether the generated code runs
 * @param fused whether the optimizer's update is part of the generated step
 * @param reason why the interpreter runs (null when compiled, or when codegen is off by request: "engine.codegen = false")
 * @param source the generated source (null when interpreted for any reason but a failed compilation)
 */
public record KernelPath(boolean compiled, boolean fused, String reason, String source) {
    static KernelPath interpreted(String reason, String source) {
        return new KernelPath(false, false, reason, source);
    }

    /** One phrase for a log line: {@code compiled}, {@code compiled, update fused}, {@code interpreted (reason)}. */
    public String describe() {
        if (compiled) return fused ? "compiled, update fused" : "compiled (optimizer update in Java)";
        return reason == null ? "interpreted" : "interpreted (" + reason + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
