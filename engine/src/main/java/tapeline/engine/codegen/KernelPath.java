package tapeline.engine.codegen;

/**
 * Which path a block's steps run on, and why: {@code compiled} (generated source compiled by
 * Janino, with the optimizer's update fused in or not) or {@code interpreted} (the tape's own loop),
 * with the reason when it is a fallback.
 *
 * <pre>{@code
 * KernelPath p = solver.kernelPath();   // "compiled, update fused", "compiled in segments, update fused",
 *                                       // or "interpreted (op DOT (node 7) has no generated form)"
 * }</pre>
 *
 * @param compiled whether the generated code runs
 * @param fused whether the optimizer's update is part of the generated step
 * @param reason why the interpreter runs (null when codegen is off by request: "engine.codegen = false"); when
 *     compiled, null or what was compiled (an element tape's passes)
 * @param source the generated source (null when interpreted for any reason but a failed compilation)
 */
public record KernelPath(boolean compiled, boolean fused, String reason, String source) {
    static KernelPath interpreted(String reason, String source) {
        return new KernelPath(false, false, reason, source);
    }

    /**
     * Whether the generated code splits a loop too large for one into segments, each a method with
     * a small loop over a chunk of lanes ({@code Segments}).
     */
    public boolean segmented() {
        return compiled && source != null && source.contains(Segments.MARK);
    }

    /**
     * One phrase for a log line: {@code compiled, update fused}, {@code compiled in segments, update
     * fused}, {@code compiled (optimizer update in Java)}, {@code interpreted (reason)}.
     */
    public String describe() {
        if (compiled) {
            String how = segmented() ? "compiled in segments" : "compiled";
            if (reason != null) return how + " (" + reason + ")"; // what was compiled (an element tape's passes)
            return fused ? how + ", update fused" : how + " (optimizer update in Java)";
        }
        return reason == null ? "interpreted" : "interpreted (" + reason + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
