package tapeline.engine.codegen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tapeline.engine.tape.DType;
import tapeline.engine.tape.Op;
import tapeline.engine.tape.Tape;

/**
 * Turns a recorded train tape ({@code tapeline.engine.train.LossModel}: shared parameters, per-row
 * data columns, one row per lane) into the Java source of a {@link GeneratedPass}: the loss sum and
 * every parameter's gradient sum over a chunk of rows.
 *
 * <p>The interpreter's reverse pass ({@link Tape#backward}) is walked once at generation time, as
 * {@link KernelSource} does for the sweep, with what the sweep has not: parameters shared by all
 * lanes, read directly by {@code + - *} and {@link Op#DOT} or through a {@link Op#BROADCAST}, whose
 * cotangent is a lane reduction. The generated method has three parts:
 * <ol>
 *   <li>one loop over the lanes: forward values, the per-lane backward (cotangents of per-lane
 *       nodes, in registers), and the per-lane terms of each lane reduction stored in a scratch
 *       buffer (a term that is a cotangent times a data column stores only the cotangent);</li>
 *   <li>the reductions, by {@link Op#laneSum}, {@link Op#laneDot} and {@link Op#laneDot2}
 *       themselves: the interpreter's order of summation by construction (eight interleaved partial
 *       sums), the same bits;</li>
 *   <li>the scalar part in the walk's order: each shared node's cotangent gathered from those
 *       reductions and from the shared nodes above it, as {@code Tape} adds them, down to the
 *       parameters.</li>
 * </ol>
 * Cotangents of shared nodes only flow to shared nodes, and per-lane cotangents never read them,
 * so computing every reduction before the scalar part keeps the interpreter's order of additions.
 * As in {@link KernelSource}, only node numbers and exact literals appear in the source.
 */
final class PassSource {
    private static final String ONE = "1.0"; // the seed's cotangent, the interpreter's buffer of ones

    /** The generated source and which parameters get a gradient (the others' are not written: 0). */
    record Result(String source, boolean[] hasGradient, int termBuffers) { }

    /** A lane reduction: {@code laneSum(terms)}, or {@code laneDot(terms, factor)} when factor is not null. */
    private record Sum(String name, String terms, String factor) { }

    private final Tape tape;
    private final int loss;
    private final int[] params;
    private final boolean f32;
    /** The cotangent so far: per-lane nodes a loop local or literal, shared nodes a scalar local; null: none. */
    final String[] adj;
    private final boolean[] needed;
    final List<String> loopBackward = new ArrayList<>();
    final List<String> scalarPart = new ArrayList<>();
    /** Shared cotangents that read no lane sum (a shared target's, above its lane reductions): before the loop. */
    final List<String> scalarPre = new ArrayList<>();
    /** Names whose values come from lane sums: computed after the loop, never read in it. */
    private final java.util.Set<String> afterSums = new java.util.HashSet<>();
    final Map<String, Integer> terms = new LinkedHashMap<>();
    /** Each swept node's terms and its buffer's name: a node with the same terms reads that buffer ({@link #sweeps}). */
    private final Map<List<String>, String> sweptTerms = new java.util.HashMap<>();
    private final List<Sum> sums = new ArrayList<>();
    private int fresh;

    PassSource(Tape tape, int loss, int[] params) {
        this.tape = tape;
        this.loss = loss;
        this.params = params;
        this.f32 = tape.dtype() == DType.FLOAT32;
        this.adj = new String[loss + 1];
        this.needed = new boolean[loss + 1];
    }

    /**
     * The source of a class {@code GeneratedTrainPass} for this tape.
     *
     * @param loss the per-lane loss node
     * @param params the shared parameter leaves, in slot order
     * @throws KernelSource.Unsupported naming the node and op this generator does not handle
     */
    static Result generate(Tape tape, int loss, int[] params) throws KernelSource.Unsupported {
        return new PassSource(tape, loss, params).source();
    }

    /**
     * The pass's parts, before they are put into a class: declarations before the loop, the loop's body
     * (not yet through {@link #shareExp}), what follows the loop (the lane sums, the shared cotangents,
     * {@code out[0]} the loss sum and {@code out[1 + k]} the gradient), which parameters get a gradient,
     * and the scratch buffers used ({@code t[0 .. termBuffers)}). {@link HessianSource} adds Newton's
     * Hessian to them.
     */
    record Parts(String pre, StringBuilder loop, String after, boolean[] hasGradient, int termBuffers) { }

    Parts parts() throws KernelSource.Unsupported {
        if (!tape.isLaneShaped(loss)) throw new KernelSource.Unsupported("the loss (node " + loss + ") is not per lane");
        markNeeded();
        backward();
        String lossSum = sum(bufferOf("v" + loss), null);
        StringBuilder pre = new StringBuilder();
        StringBuilder loop = new StringBuilder();
        forward(pre, loop);
        for (String b : loopBackward) loop.append("            ").append(b).append('\n');
        for (Map.Entry<String, Integer> t : terms.entrySet()) {
            if (t.getKey().startsWith("#")) continue; // a swept DOT's buffer, declared with its sweeps
            pre.append("        final double[] t").append(t.getValue()).append(" = t[").append(t.getValue()).append("];\n");
            loop.append("            t").append(t.getValue()).append("[i] = ").append(t.getKey()).append(";\n");
        }
        for (String a : scalarPre) pre.append("        ").append(a).append('\n');
        StringBuilder after = new StringBuilder();
        after.append("        // the lane sums, in Op's order\n");
        sums(after);
        after.append("        // the shared nodes' cotangents, in the interpreter's order\n");
        for (String a : scalarPart) after.append("        ").append(a).append('\n');
        after.append("        out[0] = ").append(lossSum).append(";\n");
        boolean[] has = new boolean[params.length];
        for (int k = 0; k < params.length; k++) {
            has[k] = params[k] <= loss && adj[params[k]] != null;
            if (has[k]) after.append("        out[").append(k + 1).append("] = ").append(adj[params[k]]).append(";\n");
        }
        return new Parts(pre.toString(), loop, after.toString(), has, terms.size());
    }

    private Result source() throws KernelSource.Unsupported {
        Parts p = parts();
        StringBuilder s = new StringBuilder();
        s.append("// Generated by tapeline.engine.codegen from a recorded train tape (").append(tape.dtype()).append(", ")
                .append(loss + 1).append(" nodes, ").append(params.length).append(" parameters). Do not edit.\n");
        s.append("// v<k>: node k's value in lane i; adj<k>_<m>: its cotangent; n<k>: its buffer; t<m>: terms of a lane sum.\n");
        s.append("public final class GeneratedTrainPass implements tapeline.engine.codegen.GeneratedPass {\n\n");
        s.append("    public void pass(double[][] n, double[][] t, double[] two, double[] out, int lanes) {\n");
        s.append(p.pre());
        s.append("        for (int i = 0; i < lanes; i++) {\n").append(shareExp(p.loop())).append("        }\n");
        s.append(p.after());
        s.append("    }\n}\n");
        return new Result(s.toString(), p.hasGradient(), p.termBuffers());
    }

    private static final java.util.regex.Pattern LOGISTIC =
            java.util.regex.Pattern.compile("tapeline\\.engine\\.tape\\.Op\\.(softplus|sigmoid)\\((v\\d+)\\)");

    /**
     * {@code softplus(x)} and {@code sigmoid(x)} of the same x (the logistic loss's value and its
     * derivative) both start with {@code e^-|x|}: computed once, before the first statement that
     * needs it, and passed to {@link Op#softplus(double, double)} and {@link Op#sigmoid(double, double)},
     * which give the one-argument functions' bits. The JIT does not merge two calls of {@code Math.exp}.
     */
    static StringBuilder shareExp(StringBuilder loop) {
        Map<String, Integer> uses = new LinkedHashMap<>();
        java.util.regex.Matcher m = LOGISTIC.matcher(loop);
        while (m.find()) uses.merge(m.group(2), 1, Integer::sum);
        StringBuilder out = new StringBuilder();
        java.util.Set<String> declared = new java.util.HashSet<>();
        for (String line : loop.toString().split("\n", -1)) {
            if (line.isEmpty()) continue;
            m = LOGISTIC.matcher(line);
            StringBuilder l = new StringBuilder();
            while (m.find()) {
                String x = m.group(2);
                if (uses.get(x) < 2) {
                    m.appendReplacement(l, java.util.regex.Matcher.quoteReplacement(m.group()));
                    continue;
                }
                if (declared.add(x)) {
                    out.append("            final double e").append(x.substring(1)).append(" = Math.exp(-Math.abs(").append(x)
                            .append(")); // shared by softplus and sigmoid of ").append(x).append('\n');
                }
                m.appendReplacement(l, "tapeline.engine.tape.Op." + m.group(1) + "(" + x + ", e" + x.substring(1) + ")");
            }
            m.appendTail(l);
            out.append(l).append('\n');
        }
        return out;
    }

    /** The values the pass reads: the loss and, through every computed node, its inputs. */
    private void markNeeded() throws KernelSource.Unsupported {
        needed[loss] = true;
        for (int j = loss; j >= 0; j--) {
            Op op = tape.op(j);
            if (!needed[j] || op == Op.LEAF || !(tape.isVarying(j) || op == Op.BROADCAST)) continue;
            if (op != Op.DOT && op != Op.BROADCAST && OpSource.forward(op, c -> "x", "k") == null) {
                throw new KernelSource.Unsupported("op " + op + " (node " + j + ") has no generated form"
                        + (tape.isLaneShaped(j) ? "" : " (it reduces over the chunk's rows)"));
            }
            for (int in : tape.pairs(j)) if (in >= 0) needed[in] = true;
            if (op.arity() == 3) needed[tape.input(j, 2)] = true;
        }
    }

    /** Declarations before the loop (shared values, buffers) and the forward part of the loop. */
    private void forward(StringBuilder pre, StringBuilder loop) {
        Map<Integer, List<String>> swept = swept();
        boolean[] inLoop = inLoop(swept);
        for (int j = 0; j <= loss; j++) {
            if (!needed[j]) continue;
            if (tape.isLaneShaped(j) && !inLoop[j] && tape.op(j) != Op.BROADCAST) { // not read in the loop
                if (bufferNode(j) != null) pre.append("        final double[] n").append(j).append(" = n[").append(j).append("];\n");
                continue; // a value only sweeps and sums read (data), or none does
            }
            Op op = tape.op(j);
            boolean lane = tape.isLaneShaped(j);
            String v = "final double v" + j + " = ";
            if (op == Op.BROADCAST) { // the same value in every lane: its scalar, as a local
                pre.append("        ").append(v).append('v').append(tape.input(j, 0)).append(";\n");
            } else if (!lane && op == Op.LEAF) {
                pre.append("        ").append(v).append(tape.isVarying(j) ? "n[" + j + "][0]" : KernelSource.literal(tape.valueBuffer(j)[0]))
                        .append("; // ").append(tape.isVarying(j) ? "parameter" : "constant").append('\n');
            } else if (!tape.isVarying(j) && !lane) { // computed once from constants when recorded
                pre.append("        ").append(v).append("n[").append(j).append("][0]; // ").append(op).append('\n');
            } else if (op == Op.LEAF || !tape.isVarying(j)) { // data, or computed once from constants
                pre.append("        final double[] n").append(j).append(" = n[").append(j).append("];\n");
                loop.append("            ").append(v).append('n').append(j).append("[i];\n");
            } else if (swept.containsKey(j)) {
                sweeps(j, swept.get(j), pre);
                loop.append("            ").append(v).append('d').append(j).append("[i]; // node ").append(j).append(", swept\n");
            } else {
                String e = expression(j);
                (lane ? loop.append("            ") : pre.append("        ")).append(v).append(round(e)).append("; // node ")
                        .append(j).append(' ').append(op).append('\n');
            }
        }
    }

    /** Terms a sweep loop adds: small enough a body for C2 to unroll and vectorise the loop. */
    static final int TERMS_PER_SWEEP = 4;
    /** The fewest terms worth a sweep of their own. */
    static final int MIN_SWEPT_TERMS = 4;

    /**
     * Per-lane nodes computed before the main loop, by sweeps, with their terms: in float64, a
     * {@link Op#DOT} and a written-out sum of products ({@code b + w0 * x0 + w1 * x1 + ...}), when
     * every factor is a shared value or data on the tape. The main loop, with a product per
     * component in it, is not vectorised (too large a body, and often a call), and its chain of
     * additions waits on each one's latency; a loop of a few products is vectorised.
     */
    private Map<Integer, List<String>> swept() {
        Map<Integer, List<String>> out = new LinkedHashMap<>();
        if (f32) return out; // every product and sum is rounded on its own: the main loop keeps them
        boolean[] inner = new boolean[loss + 1];
        List<Integer> candidates = new ArrayList<>();
        for (int j = 0; j <= loss; j++) {
            if (!needed[j] || !tape.isLaneShaped(j) || !tape.isVarying(j)) continue;
            List<String> t = sweepTerms(j);
            if (t == null || t.size() < MIN_SWEPT_TERMS) continue;
            candidates.add(j);
            if (tape.op(j) == Op.ADD) inner[tape.input(j, 0)] = true; // the chain goes on above it
        }
        for (int j : candidates) if (!inner[j]) out.put(j, sweepTerms(j));
        return out;
    }

    /** Node j's value as a left-to-right sum of terms over shared values and data, or null. */
    private List<String> sweepTerms(int j) {
        Op op = tape.op(j);
        if (op == Op.DOT && tape.isLaneShaped(j)) {
            int[] p = tape.pairs(j);
            List<String> t = new ArrayList<>();
            for (int q = 0; q < p.length; q += 2) {
                String a = atom(p[q]);
                String b = atom(p[q + 1]);
                if (a == null || b == null) return null;
                t.add(a + " * " + b);
            }
            return t;
        }
        if (op == Op.ADD && tape.isLaneShaped(j) && tape.isVarying(j)) {
            String right = product(tape.input(j, 1));
            if (right == null) return null;
            int a = tape.input(j, 0);
            List<String> left = tape.op(a) == Op.ADD ? sweepTerms(a) : null;
            if (left == null) {
                String first = atom(a) != null ? atom(a) : product(a);
                if (first == null) return null;
                left = List.of(first);
            }
            List<String> t = new ArrayList<>(left);
            t.add(right);
            return t;
        }
        return null;
    }

    /** A product of two atoms, as node m computes it, or null. */
    private String product(int m) {
        if (tape.op(m) != Op.MUL || !tape.isLaneShaped(m) || !tape.isVarying(m)) return null;
        String a = atom(tape.input(m, 0));
        String b = atom(tape.input(m, 1));
        return a == null || b == null ? null : a + " * " + b;
    }

    /** A shared value's local, or a per-lane buffer's element; null for a value computed in the loop. */
    private String atom(int x) {
        if (!tape.isLaneShaped(x)) return "v" + x;
        String b = tape.op(x) == Op.BROADCAST ? null : bufferNode(x);
        return b == null ? null : b + "[i]";
    }

    /** Node j into a buffer of its own, before the main loop: a sweep per few terms, each lane's in the interpreter's order. */
    private void sweeps(int j, List<String> t, StringBuilder pre) {
        String d = "d" + j;
        // A node whose terms are another swept node's, word for word, has its values (the same products of
        // the same locals and buffers, added in the same order): it reads that node's buffer, no sweep of its
        // own. A loss that writes its linear predictor twice (softplus(b + dot(w, x)) - y * (b + dot(w, x)))
        // records two DOT nodes; this computes the predictor once per lane.
        String same = sweptTerms.putIfAbsent(t, d);
        if (same != null) {
            pre.append("        final double[] ").append(d).append(" = ").append(same).append("; // node ").append(j).append(' ')
                    .append(tape.op(j)).append(": the terms of ").append(same).append(", the same values\n");
            return;
        }
        pre.append("        final double[] ").append(d).append(" = t[").append(terms.computeIfAbsent("#" + d, k -> terms.size()))
                .append("]; // node ").append(j).append(' ').append(tape.op(j)).append(", ").append(t.size()).append(" terms\n");
        for (int q = 0; q < t.size(); q += TERMS_PER_SWEEP) {
            pre.append("        for (int i = 0; i < lanes; i++) ").append(d).append("[i] = ").append(q == 0 ? "" : d + "[i] + ");
            pre.append(String.join(" + ", t.subList(q, Math.min(t.size(), q + TERMS_PER_SWEEP)))).append(";\n");
        }
    }

    /**
     * The per-lane values the main loop computes: those its statements and the sums' terms read,
     * and what they are computed from, down to the swept nodes (computed before it).
     */
    private boolean[] inLoop(Map<Integer, List<String>> swept) {
        boolean[] in = new boolean[loss + 1];
        List<String> read = new ArrayList<>(loopBackward);
        read.addAll(terms.keySet());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bv(\\d+)\\b").matcher(String.join(" ", read));
        while (m.find()) in[Integer.parseInt(m.group(1))] = true;
        for (int j = loss; j >= 0; j--) {
            Op op = tape.op(j);
            if (!in[j] || op == Op.LEAF || swept.containsKey(j) || !tape.isVarying(j)) continue;
            for (int x : tape.pairs(j)) if (x >= 0) in[x] = true;
            if (op.arity() == 3) in[tape.input(j, 2)] = true;
        }
        return in;
    }

    /** Node j's value as the interpreter computes it (unrounded), from its inputs' locals. */
    String expression(int j) {
        if (tape.op(j) == Op.DOT) { // the written-out sum of products, left to right (Op.DOT's sweeps)
            int[] p = tape.pairs(j);
            StringBuilder e = new StringBuilder();
            for (int q = 0; q < p.length; q += 2) e.append(q == 0 ? "" : " + ").append('v').append(p[q]).append(" * v").append(p[q + 1]);
            return e.toString();
        }
        return OpSource.forward(tape.op(j), c -> "v" + tape.input(j, c - 'a'), KernelSource.literal(tape.param(j)));
    }

    /**
     * The interpreter's reverse pass, {@link Tape#backward}, statement by statement, from the target
     * node ({@code loss}): a per-lane loss, or a shared node (a gradient program's sum, for a row of the
     * Hessian: {@link HessianSource}).
     */
    void backward() throws KernelSource.Unsupported {
        adj[loss] = ONE;
        for (int i = loss; i >= 0; i--) {
            Op op = tape.op(i);
            if (adj[i] == null || op == Op.LEAF || !tape.needsGradient(i)) continue;
            int[] p = tape.pairs(i);
            int a = p[0];
            int b = op.arity() >= 2 ? p[1] : -1;
            String gz = adj[i];
            boolean lane = tape.isLaneShaped(i);
            if (op == Op.SUM) { // Op.SUM: the shared cotangent written to (or added to) every lane of its input
                if (!tape.needsGradient(a)) continue;
                spread(a, gz);
                continue;
            }
            boolean sameA = tape.isLaneShaped(a) == lane;
            boolean sameB = b >= 0 && tape.isLaneShaped(b) == lane;
            boolean seedProduct = op == Op.MUL && gz.equals(ONE) && sameA && sameB;
            String throughA = (op == Op.ADD || op == Op.SUB) && sameA ? gz : seedProduct ? "v" + b : null;
            String throughB = op == Op.ADD && sameB ? gz : seedProduct ? "v" + a : null;
            if (tape.needsGradient(a)) {
                if (throughA != null) pass(a, throughA, lane);
                else contribute(i, a, true, a, b);
            }
            if (b >= 0 && tape.needsGradient(b)) {
                if (throughB != null) pass(b, throughB, lane);
                else contribute(i, b, false, a, b);
            }
            for (int q = 2; q < p.length; q += 2) { // DOT's further pairs, each as a product
                if (tape.needsGradient(p[q])) contribute(i, p[q], true, p[q], p[q + 1]);
                if (tape.needsGradient(p[q + 1])) contribute(i, p[q + 1], false, p[q], p[q + 1]);
            }
        }
    }

    /** A cotangent that passes through unchanged: shared if x has none yet, else summed (Tape.pass). */
    private void pass(int x, String shared, boolean lane) throws KernelSource.Unsupported {
        if (adj[x] == null) {
            adj[x] = shared;
            return;
        }
        String name = "adj" + x + "_" + fresh++;
        emit(lane, name, "final double " + name + " = " + round(adj[x] + " + " + shared) + "; // node " + x + " += node's cotangent");
        adj[x] = name;
    }

    /** Op.SUM's rule to its per-lane input x: the shared cotangent g in every lane, or added to what x has. */
    private void spread(int x, String g) throws KernelSource.Unsupported {
        String name = "adj" + x + "_" + fresh++;
        if (afterSums.contains(g)) throw new KernelSource.Unsupported("a lane sum (node " + x + ") reads a cotangent made of lane sums");
        String e = adj[x] == null ? g : round(adj[x] + " + " + g);
        String stmt = "final double " + name + " = " + e + "; // node " + x + " += the cotangent of its sum";
        if (adj[x] == null) scalarPre.add(stmt); // the same value in every lane: once, before the loop
        else emit(true, name, stmt);
        adj[x] = name;
    }

    /**
     * Adds a statement defining {@code name}: a per-lane one to the loop, a shared one before the loop
     * when it reads no lane sum, else after the sums.
     */
    private void emit(boolean lane, String name, String stmt) throws KernelSource.Unsupported {
        boolean late = readsAfterSums(stmt);
        if (lane) {
            if (late) throw new KernelSource.Unsupported("a per-lane cotangent (" + name + ") reads a lane sum");
            loopBackward.add(stmt);
        } else if (late) {
            afterSums.add(name);
            scalarPart.add(stmt);
        } else {
            scalarPre.add(stmt);
        }
    }

    /** Whether a statement's right-hand side reads a lane sum ({@code r<k>}) or a value made from one. */
    private boolean readsAfterSums(String stmt) {
        String rhs = stmt.substring(stmt.indexOf('=') + 1);
        int c = rhs.indexOf("//");
        if (c >= 0) rhs = rhs.substring(0, c);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(r\\d+|adj\\d+_\\d+)\\b").matcher(rhs);
        while (m.find()) {
            if (m.group(1).startsWith("r") || afterSums.contains(m.group(1))) return true;
        }
        return false;
    }

    /** Node i's contribution to its input x (Tape.contribute); to a shared x from a per-lane i, a lane reduction. */
    private void contribute(int i, int x, boolean first, int a, int b) throws KernelSource.Unsupported {
        if (tape.isLaneShaped(i) && !tape.isLaneShaped(x)) {
            reduce(i, x, first, a, b);
            return;
        }
        Op op = tape.op(i) == Op.DOT ? Op.MUL : tape.op(i); // DOT's rule is the product's, pair by pair
        java.util.function.Function<Character, String> in = c -> "v" + (c == 'z' ? i : c == 'a' ? a : c == 'b' ? b : tape.input(i, 2));
        List<String> made = new ArrayList<>();
        String next = KernelSource.contribution(op, first, adj[i], in, tape.param(i), adj[x], f32, () -> "adj" + x + "_" + fresh++,
                " // node " + x + " += d(node " + i + " " + tape.op(i) + ")", made);
        if (next == null) throw new KernelSource.Unsupported("op " + op + " (node " + i + ") has no generated gradient");
        for (String m : made) emit(tape.isLaneShaped(i), m.substring("final double ".length(), m.indexOf(" =")), m);
        if (made.isEmpty() && afterSums.contains(adj[x])) afterSums.add(next);
        adj[x] = next;
    }

    /**
     * A per-lane node i's contribution to a shared input x: the lane reduction of {@link Op}'s rules
     * ({@code passOn}, {@code mulInto}, SUB's and BROADCAST's), added to x's cotangent as they add it.
     */
    private void reduce(int i, int x, boolean first, int a, int b) throws KernelSource.Unsupported {
        Op op = tape.op(i);
        String gz = adj[i];
        String r;
        if (op == Op.ADD || op == Op.SUB || op == Op.BROADCAST) {
            r = sum(bufferOf(gz), null);
        } else if (op == Op.MUL || op == Op.DOT) { // laneDot(gz, the other factor)
            int other = first ? b : a;
            String factor = bufferNode(other);
            r = factor != null ? sum(bufferOf(gz), factor) : sum(bufferOf(gz + " * v" + other), null);
        } else {
            throw new KernelSource.Unsupported("node " + i + " (" + op + ") reads the shared node " + x + " directly");
        }
        if (f32 && op != Op.BROADCAST) {
            throw new KernelSource.Unsupported("node " + i + " (" + op + ") reads the shared node " + x + " directly in float32");
        }
        String base = adj[x];
        String e;
        if (f32) { // Tape.contribute: the reduction rounded, then added and rounded again
            e = base == null ? round(r) : round(base + " + " + round(r));
        } else if (op == Op.SUB && !first) { // Op.SUB: (base or 0.0) + -sum over lanes; one lane: -gz
            e = base == null ? "lanes > 1 ? 0.0 + -" + r + " : -" + r : base + " + -" + r;
        } else {
            e = base == null ? r : base + " + " + r;
        }
        String name = "adj" + x + "_" + fresh++;
        afterSums.add(name);
        scalarPart.add("final double " + name + " = " + e + "; // node " + x + " += the lane sum of d(node " + i + " " + op + ")");
        adj[x] = name;
    }

    /** The buffer holding a per-lane node's value on the tape (data, constants), or null if it is computed in the loop. */
    String bufferNode(int node) {
        boolean buffered = tape.isLaneShaped(node) && tape.op(node) != Op.BROADCAST
                && (tape.op(node) == Op.LEAF || !tape.isVarying(node));
        return buffered ? "n" + node : null;
    }

    /** A buffer holding the per-lane expression e: the tape's, if e is a value it holds, else a scratch buffer the loop fills. */
    private String bufferOf(String e) {
        if (e.matches("v\\d+")) {
            String b = bufferNode(Integer.parseInt(e.substring(1)));
            if (b != null) return b;
        }
        return "t" + terms.computeIfAbsent(e, k -> terms.size());
    }

    private String sum(String termBuffer, String factor) {
        String name = "r" + sums.size();
        sums.add(new Sum(name, termBuffer, factor));
        return name;
    }

    /** The reductions: two lane dots over the same terms in one sweep where possible (the same bits as two). */
    void sums(StringBuilder s) {
        sums(s, name -> true);
    }

    /**
     * The reductions whose names {@code wanted} accepts (the Hessian's rows skip those only its lower
     * triangle reads), paired as {@link #sums(StringBuilder)} pairs them: a lane dot's bits do not
     * depend on whether it ran alone or in a pair.
     */
    void sums(StringBuilder s, java.util.function.Predicate<String> wanted) {
        boolean[] done = new boolean[sums.size()];
        for (int m = 0; m < sums.size(); m++) done[m] = !wanted.test(sums.get(m).name());
        String op = "tapeline.engine.tape.Op.";
        for (int m = 0; m < sums.size(); m++) {
            if (done[m]) continue;
            Sum x = sums.get(m);
            done[m] = true;
            if (x.factor() == null) {
                s.append("        final double ").append(x.name()).append(" = ").append(op).append("laneSum(").append(x.terms()).append(", lanes);\n");
                continue;
            }
            int partner = -1;
            for (int q = m + 1; q < sums.size() && partner < 0; q++) {
                Sum y = sums.get(q);
                if (!done[q] && y.factor() != null && y.terms().equals(x.terms())) partner = q;
            }
            if (partner < 0) {
                s.append("        final double ").append(x.name()).append(" = ").append(op).append("laneDot(").append(x.terms())
                        .append(", ").append(x.factor()).append(", lanes);\n");
                continue;
            }
            Sum y = sums.get(partner);
            done[partner] = true;
            s.append("        ").append(op).append("laneDot2(").append(x.terms()).append(", ").append(x.factor()).append(", ")
                    .append(y.factor()).append(", lanes, two);\n");
            s.append("        final double ").append(x.name()).append(" = two[0];\n");
            s.append("        final double ").append(y.name()).append(" = two[1];\n");
        }
    }

    String round(String e) {
        return f32 ? "(float) (" + e + ")" : e;
    }
}
