package tapeline.engine.codegen;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loop body too large for one fused loop, generated as a sequence of small loops over a chunk of
 * lanes. C2 unrolls and vectorises only small loop bodies, and compiles no method over 8,000 bytes
 * of bytecode; so the statements of one lane are cut, in their order, into segments of a few dozen,
 * each a method of its own with a loop over the {@value #CHUNK} lanes of one chunk. Values pass
 * between segments through scratch arrays of chunk length, which stay in the L1 cache (a value whose
 * last reader has run frees its array for another).
 *
 * <p>Every array a segment's loop touches is a scratch array indexed by the loop's counter, over a
 * constant count: C2 vectorises only the accesses that share one alignment, so a loop that read the
 * lane buffers at {@code from + i} and the scratch at {@code i} ran mostly scalar. The driver copies
 * each chunk's lane inputs in ({@code System.arraycopy}) and its gradients and cost out. The last
 * chunk may be shorter: its loops still run over the whole scratch arrays (the lanes past its end
 * compute on what a previous chunk left there, and are never copied out). The optimizer's update
 * then runs in loops of its own over all lanes, one or a few slots each, reading the gradients from
 * {@code grad} (as {@code UpdateSource.ownLoop} does); in a check step's method each of those loops
 * returns its slots' finiteness sums ({@code KernelSource.method}) and the driver returns their sum.
 *
 * <p>Each lane runs the same statements as in one fused loop, in an order that keeps each value
 * close to its readers ({@link #schedule}), with some values stored to and read back from memory:
 * the same bits. Each segment reads and writes only
 * its own chunk's lanes, and the update, which writes the variables, runs after every chunk.
 *
 * <pre>{@code
 * private void gradientsOnly(double[][] n, double[][] grad, int lanes) {
 *     final double[][] t = this.t;
 *     for (int from = 0; from < lanes; from += 128) {
 *         final int m = Math.min(128, lanes - from);
 *         System.arraycopy(n[0], from, t[0], 0, m);        // node 0, a variable
 *         gradientsOnly_0(n, t);                           // 10 statements for each lane of the chunk
 *         gradientsOnly_1(n, t);                           // 10 more, reading what the first left in t
 *         System.arraycopy(t[3], 0, grad[0], from, m);     // slot 0's gradient
 *     }
 * }
 * }</pre>
 */
final class Segments {
    /**
     * Lanes per chunk: the scratch arrays' length. 128 lanes of the large cost's 34 scratch arrays
     * are 34 KB, within L1; in the whole solve 64, 128 and 256 measured alike (0.87 to 0.89 times the
     * interpreter's time, within the noise), 512 a little slower (0.95).
     */
    static final int CHUNK = 128;
    /**
     * Statements per segment. C2 unrolls, and so vectorises, only a loop body of a few dozen IR
     * nodes ({@code LoopUnrollLimit}, 60 on x86), and the scratch loads and stores count: on the
     * large cost segments of 6 to 10 statements ran at 4.5 to 7 ns per lane in all, 12 to 24 at 12
     * to 28 ns (not vectorised); in the whole solve 7, 10 and 14 gave 0.91, 0.86 and 1.07 times the
     * interpreter's time, and a budget of statements plus the values read from earlier segments
     * (16, 20, 24) no better than 10 statements.
     */
    static final int SEGMENT = 10;
    /**
     * Lines of update blocks per update loop (a block is never split): one slot per loop for Adam,
     * as the optimizer's own Java update runs (three slots per loop measured 1.33x the interpreter's
     * time on the large cost, one slot 0.97x).
     */
    static final int UPDATE = 12;
    /**
     * Statements of the method that drives the segments (a call, or a copy of one lane array, per
     * chunk): each takes up to about 20 bytes of bytecode, and C2 compiles no method over 8,000.
     * A loop that would need more is not generated (the tape runs interpreted).
     */
    static final int MAX_DRIVER = 350;

    /** The comment that opens the scratch field: {@link KernelPath#segmented} looks for it. */
    static final String MARK = "// Scratch for the values passed between the segments";

    private static final Pattern LOCAL = Pattern.compile("\\b(v\\d+|adj\\d+_\\d+)\\b");
    private static final Pattern DEFINES = Pattern.compile("^\\s*final double(?:\\[\\])? (\\w+) =");
    private static final Pattern INPUT = Pattern.compile("^\\s*final double (v\\d+) = n(\\d+)\\[i\\];\\n$");
    private static final Pattern OUTPUT = Pattern.compile("^\\s*(grad(\\d+)|cost)\\[i\\] = ([^;]+);\\n$");
    private static final Pattern WORD = Pattern.compile("\\b[A-Za-z_]\\w*\\b");
    private static final Pattern CHECK_SUM = Pattern.compile("\\bchk(\\d+) \\+=");

    /** Scratch arrays the class needs: the most any of its methods uses. */
    private int scratch;
    /** Whether some method of the class is in segments. */
    private boolean used;

    boolean used() {
        return used;
    }

    /** The class's scratch field and the factory that gives each block an instance of its own. */
    void emitFields(StringBuilder s) {
        s.append("    ").append(MARK).append(" of one chunk of lanes: one set per block.\n");
        s.append("    private final double[][] t = new double[").append(scratch).append("][").append(CHUNK).append("];\n\n");
        s.append("    public tapeline.engine.codegen.GeneratedStep forBlock() {\n        return new GeneratedKernel();\n    }\n\n");
    }

    /** Lines in these units. */
    static int lines(List<String> units) {
        int n = 0;
        for (String u : units) n += u.split("\n").length;
        return n;
    }

    /**
     * Emits the method {@code signature} (a {@code static} one becomes an instance method, to reach
     * the scratch) as a loop over chunks calling one method per segment, then the update's loops.
     *
     * @param pre declarations before the loop (one each)
     * @param loop the statements for lane {@code i}, in order (one each): lane inputs, computed values,
     *     and stores of gradients and cost
     * @param update update blocks reading the gradients from {@code grad} (one each)
     */
    void emit(StringBuilder s, String signature, List<String> pre, List<String> loop, List<String> update)
            throws KernelSource.Unsupported {
        Map<String, Integer> inputs = new LinkedHashMap<>(); // a lane input's local -> its node
        Map<String, String> outputs = new LinkedHashMap<>(); // a destination (grad3, cost) -> its value
        List<String> statements = new ArrayList<>();
        for (String u : loop) {
            Matcher in = INPUT.matcher(u);
            Matcher out = OUTPUT.matcher(u);
            if (in.matches()) {
                inputs.put(in.group(1), Integer.parseInt(in.group(2)));
            } else if (out.matches()) {
                outputs.put(out.group(1), out.group(3).strip());
            } else if (u.contains("[i]") || !DEFINES.matcher(u).find()) {
                throw new KernelSource.Unsupported("a statement of the loop cannot be split into segments: " + u.strip());
            } else {
                statements.add(u);
            }
        }
        List<List<String>> segments = groups(schedule(statements, outputs.values()), SEGMENT);
        int count = segments.size();
        if (count + inputs.size() + outputs.size() > MAX_DRIVER) {
            throw new KernelSource.Unsupported("the loop would need " + count + " segments and " + (inputs.size() + outputs.size())
                    + " copies per chunk of lanes, over " + MAX_DRIVER + " (C2 compiles no method over 8000 bytes)");
        }

        // Where each local is defined and last read, by segment: the inputs before the first (-1),
        // the outputs after the last (count).
        Map<String, Integer> definedIn = new HashMap<>();
        Map<String, Integer> lastRead = new HashMap<>();
        List<Set<String>> reads = new ArrayList<>();
        for (String x : inputs.keySet()) definedIn.put(x, -1);
        for (int g = 0; g < count; g++) {
            Set<String> r = new LinkedHashSet<>();
            for (String u : segments.get(g)) {
                Matcher d = DEFINES.matcher(u);
                d.find();
                Matcher m = LOCAL.matcher(u.substring(d.end()));
                while (m.find()) r.add(m.group(1));
                definedIn.put(d.group(1), g);
            }
            reads.add(r);
            for (String x : r) lastRead.put(x, g);
        }
        for (String x : outputs.values()) {
            if (definedIn.containsKey(x)) lastRead.put(x, count);
        }
        // A scratch array for each value read after the segment that defines it, reused once the last
        // segment reading its value has run.
        Map<String, Integer> slot = new HashMap<>();
        List<Integer> busyUntil = new ArrayList<>();
        List<String> ordered = new ArrayList<>(inputs.keySet());
        for (List<String> g : segments) {
            for (String u : g) {
                Matcher d = DEFINES.matcher(u);
                d.find();
                ordered.add(d.group(1));
            }
        }
        for (String x : ordered) {
            Integer last = lastRead.get(x);
            int def = definedIn.get(x);
            if (last == null || last <= def) continue;
            int k = 0;
            while (k < busyUntil.size() && busyUntil.get(k) >= def) k++;
            if (k == busyUntil.size()) busyUntil.add(last);
            else busyUntil.set(k, last);
            slot.put(x, k);
        }
        scratch = Math.max(scratch, busyUntil.size());
        used = true;

        String name = signature.substring(0, signature.indexOf('(')).replaceAll(".* ", "");
        Declarations declared = Declarations.of(pre);
        StringBuilder driver = new StringBuilder();
        driver.append("        final double[][] t = this.t;\n");
        driver.append("        for (int from = 0; from < lanes; from += ").append(CHUNK).append(") {\n");
        driver.append("            final int m = Math.min(").append(CHUNK).append(", lanes - from);\n");
        for (Map.Entry<String, Integer> e : inputs.entrySet()) {
            if (!slot.containsKey(e.getKey())) continue;
            driver.append("            java.lang.System.arraycopy(n[").append(e.getValue()).append("], from, t[").append(slot.get(e.getKey()))
                    .append("], 0, m); // node ").append(e.getValue()).append('\n');
        }
        for (int g = 0; g < count; g++) driver.append("            ").append(name).append('_').append(g).append("(n, t);\n");
        for (Map.Entry<String, String> e : outputs.entrySet()) {
            String to = e.getKey().equals("cost") ? "cost" : "grad[" + e.getKey().substring(4) + "]";
            if (slot.containsKey(e.getValue())) {
                driver.append("            java.lang.System.arraycopy(t[").append(slot.get(e.getValue())).append("], 0, ").append(to)
                        .append(", from, m);\n");
            } else { // a constant (a gradient of 0 or 1)
                driver.append("            java.util.Arrays.fill(").append(to).append(", from, from + m, ").append(e.getValue()).append(");\n");
            }
        }
        driver.append("        }\n");
        List<List<String>> updates = updateLoops(update);
        String args = "n, " + (signature.contains(" grad,") ? "grad" : "null") + ", st, sc, lanes";
        // A checked step (its method returns a double) sums the update loops' finiteness sums.
        boolean check = signature.contains(" double " + name + "(");
        if (check) driver.append("        double chk = 0.0;\n");
        for (int u = 0; u < updates.size(); u++) {
            driver.append("        ").append(check ? "chk += " : "").append(name).append("_u").append(u).append('(').append(args).append(");\n");
        }
        if (check) driver.append("        return chk;\n");
        // A gradient that is a constant of the tape (not a literal) is declared like any constant.
        s.append("    ").append(signature.replace(" static ", " ")).append(" {\n");
        for (String p : declared.readBy(driver.toString())) s.append(p);
        s.append(driver).append("    }\n\n");

        for (int g = 0; g < count; g++) {
            StringBuilder body = new StringBuilder();
            Set<Integer> used = new LinkedHashSet<>();
            for (String x : reads.get(g)) {
                if (definedIn.getOrDefault(x, g) < g) {
                    body.append("            final double ").append(x).append(" = t").append(slot.get(x)).append("[i];\n");
                    used.add(slot.get(x));
                }
            }
            for (String u : segments.get(g)) body.append(u);
            for (String u : segments.get(g)) {
                Matcher d = DEFINES.matcher(u);
                d.find();
                if (slot.containsKey(d.group(1))) {
                    body.append("            t").append(slot.get(d.group(1))).append("[i] = ").append(d.group(1)).append(";\n");
                    used.add(slot.get(d.group(1)));
                }
            }
            s.append("    // ").append(name).append(", segment ").append(g + 1).append(" of ").append(count)
                    .append(": lane from + i of the chunk, values in and out through t\n");
            s.append("    private static void ").append(name).append('_').append(g).append("(double[][] n, double[][] t) {\n");
            for (String p : declared.readBy(body.toString())) s.append(p);
            for (int k : used) s.append("        final double[] t").append(k).append(" = t[").append(k).append("];\n");
            s.append("        for (int i = 0; i < ").append(CHUNK).append("; i++) {\n").append(body).append("        }\n    }\n\n");
        }
        for (int u = 0; u < updates.size(); u++) {
            StringBuilder body = new StringBuilder();
            for (String b : updates.get(u)) body.append(b);
            s.append("    // ").append(name).append(", the update (").append(u + 1).append(" of ").append(updates.size()).append(")\n");
            s.append("    private static ").append(check ? "double " : "void ").append(name).append("_u").append(u)
                    .append("(double[][] n, double[][] grad, double[][] st, double[] sc, int lanes) {\n");
            for (String p : declared.readBy(body.toString())) s.append(p);
            List<Integer> sums = new ArrayList<>(); // the finiteness sums of this loop's slots (KernelSource.method)
            Matcher c = CHECK_SUM.matcher(body);
            while (c.find()) sums.add(Integer.parseInt(c.group(1)));
            for (int k : sums) s.append("        double chk").append(k).append(" = 0.0;\n");
            s.append("        for (int i = 0; i < lanes; i++) {\n").append(body).append("        }\n");
            if (check) {
                s.append("        return 0.0");
                for (int k : sums) s.append(" + chk").append(k);
                s.append(";\n");
            }
            s.append("    }\n\n");
        }
    }

    /**
     * The statements in an order that keeps what one value needs next to it: depth first from the
     * outputs, each statement after the statements defining what it reads. Any order in which every
     * value is defined before it is read computes the same bits (each statement is one expression
     * of final locals); this one lets most values live and die within one segment, so that fewer
     * pass through scratch (the interpreter's order, forward then backward, passed most forward
     * values to the far end of the backward pass).
     */
    private static List<String> schedule(List<String> statements, java.util.Collection<String> outputs) {
        Map<String, Integer> definer = new HashMap<>();
        for (int k = 0; k < statements.size(); k++) {
            Matcher d = DEFINES.matcher(statements.get(k));
            d.find();
            definer.put(d.group(1), k);
        }
        List<List<Integer>> needs = new ArrayList<>();
        for (String u : statements) {
            Matcher d = DEFINES.matcher(u);
            d.find();
            List<Integer> n = new ArrayList<>();
            Matcher m = LOCAL.matcher(u.substring(d.end()));
            while (m.find()) {
                Integer k = definer.get(m.group(1));
                if (k != null && !n.contains(k)) n.add(k);
            }
            needs.add(n);
        }
        boolean[] placed = new boolean[statements.size()];
        List<String> order = new ArrayList<>();
        List<Integer> roots = new ArrayList<>();
        for (String x : outputs) {
            if (definer.containsKey(x)) roots.add(definer.get(x));
        }
        for (int k = 0; k < statements.size(); k++) roots.add(k); // the rest in their order
        java.util.ArrayDeque<int[]> stack = new java.util.ArrayDeque<>(); // {statement, next input to visit}
        for (int root : roots) {
            if (placed[root]) continue;
            stack.push(new int[] {root, 0});
            while (!stack.isEmpty()) {
                int[] top = stack.peek();
                List<Integer> n = needs.get(top[0]);
                if (top[1] < n.size()) {
                    int next = n.get(top[1]++);
                    if (!placed[next]) stack.push(new int[] {next, 0});
                } else {
                    stack.pop();
                    if (!placed[top[0]]) {
                        placed[top[0]] = true;
                        order.add(statements.get(top[0]));
                    }
                }
            }
        }
        return order;
    }

    /** Update blocks grouped into loops of at most {@link #UPDATE} lines (at least one block each). */
    private static List<List<String>> updateLoops(List<String> blocks) {
        return groups(blocks, UPDATE);
    }

    /** Pieces of source in their order, cut into groups of at most {@code maxLines} lines (at least one piece each). */
    private static List<List<String>> groups(List<String> pieces, int maxLines) {
        List<List<String>> groups = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int size = 0;
        for (String u : pieces) {
            int l = u.split("\n").length;
            if (size > 0 && size + l > maxLines) {
                groups.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(u);
            size += l;
        }
        if (!current.isEmpty()) groups.add(current);
        return groups;
    }

    /** The declarations before a loop, each with the name it declares and the names it reads. */
    private record Declarations(List<String> lines, List<String> names, List<Set<String>> reads) {
        static Declarations of(List<String> pre) {
            List<String> names = new ArrayList<>();
            List<Set<String>> reads = new ArrayList<>();
            for (String p : pre) {
                Matcher d = DEFINES.matcher(p);
                names.add(d.find() ? d.group(1) : null);
                reads.add(words(names.get(names.size() - 1) == null ? "" : p.substring(d.end())));
            }
            return new Declarations(pre, names, reads);
        }

        /** The declarations the body reads, and those they read, in their order. */
        List<String> readBy(String body) {
            Set<String> wanted = words(body);
            boolean[] keep = new boolean[lines.size()];
            for (int p = lines.size() - 1; p >= 0; p--) {
                if (names.get(p) == null || !wanted.contains(names.get(p))) continue;
                keep[p] = true;
                wanted.addAll(reads.get(p));
            }
            List<String> out = new ArrayList<>();
            for (int p = 0; p < lines.size(); p++) {
                if (keep[p]) out.add(lines.get(p));
            }
            return out;
        }
    }

    private static Set<String> words(String text) {
        Set<String> w = new HashSet<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) w.add(m.group());
        return w;
    }
}
