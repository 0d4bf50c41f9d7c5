package tapeline.engine.solve;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import tapeline.engine.codegen.StepKernel;
import tapeline.engine.optim.Arguments;
import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.optim.Newton;
import tapeline.engine.optim.TrustRegion;
import tapeline.engine.optim.Optimizer;
import tapeline.engine.optim.Optimizers;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.HessianProgram;
import tapeline.engine.tape.Op;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * One block being solved: the recorded cost, the optimizer and every lane's progress. The loop in
 * {@link #advance} is the whole solver: forward, backward, judge each lane, pack the lanes that
 * finished out of the way, step. A finished lane is frozen and costs nothing more. The run is
 * {@link Serializable}: stopped, shipped and resumed, it continues on exactly the same trajectory.
 *
 * <p>Second order, where asked for: with {@code optimizer = newton} the step is {@link NewtonStep}'s
 * (the cost's gradient program, recorded after the cost, is evaluated with it); with the verdict on,
 * the lanes that end in a round get their Hessian's smallest eigenvalue and a {@link Verdict}, and a
 * first-order optimizer's lanes are watched for an unbounded fall ({@link CurvatureWatch}).
 */
public final class BlockRun implements Serializable {
    private static final long serialVersionUID = 1L;

    private final BlockSolver solver;
    private final int lanes;
    private final Compiled compiled;
    private final Tape tape;
    private final int costNode;
    private final int[] varNodes;
    /** Live variable values, one array per slot (variable component), shared with the tape. */
    private final double[][] values;
    private final Optimizer optimizer;
    /** The second-order part (newton's step, the verdict's Hessian), or null when neither is asked for. */
    private final NewtonStep second;
    /** The step strategy of a second-order optimizer (newton, trust, lm), or null for a Keras optimizer's own update. */
    private final StepRule rule;
    /** With the verdict on and a first-order optimizer: the watch for an unbounded fall, else null. */
    private final CurvatureWatch watch;
    /** With lm on residuals that qualify ({@link ElementTape#why}): r, J, cost and gradient from the element tape, else null. */
    private final ElementKernel elementKernel;

    // Lane bookkeeping, by position: laneAt[p] is the original lane at position p.
    private final int[] laneAt;
    private int active;
    private int step;
    private final double[] stepNorm;
    private final Divergence divergence;
    private final boolean[] retired;
    private transient double[][] grads;
    private transient double[][] before;
    /** newton: by position, whether the lane passed {@link #judgeStationarity} this round (null before the first such round). */
    private transient boolean[] stationary;
    private transient Stationarity stationarity;
    /** The values from before a kept step's update (see {@link StepKernel#keptStep}). */
    private transient double[][] kept;
    private transient double[] norms;
    /** Compiled or interpreted; never serialised: made again, from the cache, where the run continues. */
    private transient StepKernel kernel;

    // Results, by original lane.
    private final double[][] outValues;
    private final double[] outCost;
    private final double[] outGradNorm;
    private final int[] outSteps;
    private final LaneStatus[] outStatus;
    private final String[] outError;
    private final double[] outCurvature;
    private final Verdict[] outVerdict;
    /** With standard errors asked for: by slot and original lane (NaN where none), else null. */
    private final double[][] outStderr;

    private BlockRun(BlockSolver solver, int lanes, int[] valid, Map<String, double[][]> inputs,
                     Map<String, double[][]> init, Map<String, double[]> perLaneArgs) {
        this.solver = solver;
        this.lanes = lanes;
        int slots = 0;
        for (VariableSpec v : solver.variables()) slots += v.size();
        outValues = new double[slots][lanes];
        outCost = new double[lanes];
        outGradNorm = new double[lanes];
        outSteps = new int[lanes];
        outStatus = new LaneStatus[lanes];
        outError = new String[lanes];
        boolean verdict = solver.settings().verdict();
        outCurvature = verdict ? new double[lanes] : null;
        outVerdict = verdict ? new Verdict[lanes] : null;
        outStderr = solver.standardErrors() == StandardErrors.Kind.NONE ? null : new double[slots][lanes];
        if (outStderr != null) for (double[] o : outStderr) Arrays.fill(o, Double.NaN);

        int n = valid.length;
        laneAt = valid; // start's own array, which nothing else keeps
        active = n;
        stepNorm = new double[n];
        // From 512 steps on the samples fall where the cost is computed anyway (every COST_EVERY steps);
        // a run of 256 to 511 steps pays a forward pass every 8 steps (fewer than the old rule's last
        // 50 steps did). Sampling a shorter run more often cost 18% of a 200-step solve: too short to judge.
        int every = Math.max(MIN_EVERY, Divergence.every(solver.settings().maxSteps()));
        divergence = n == 0 ? new Divergence(0, slots, every, solver.dtype()) : solver.takeDivergence(n, slots, every);
        retired = new boolean[n];
        values = new double[slots][];
        varNodes = new int[slots];
        if (n == 0) {
            compiled = null;
            tape = null;
            costNode = -1;
            optimizer = null;
            second = null;
            rule = null;
            watch = null;
            elementKernel = null;
            return;
        }
        // The recorded cost is reused from the previous block when it has room: recording and
        // allocating buffers once per block would cost more than a short block's steps.
        Compiled k = solver.takeCompiled(n);
        compiled = k != null ? k : compile(solver, n);
        tape = compiled.tape();
        costNode = compiled.cost();
        DType dtype = solver.dtype();
        int leaf = 0;
        int slot = 0;
        for (VariableSpec v : solver.variables()) {
            double[][] start = init.get(v.name());
            for (int c = 0; c < v.size(); c++, slot++) {
                varNodes[slot] = compiled.leaves()[leaf++];
                values[slot] = tape.valueBuffer(varNodes[slot]);
                if (start == null) Arrays.fill(values[slot], 0, n, 0.0);
                else load(start[c], valid, values[slot], dtype);
            }
        }
        for (Map.Entry<String, Integer> e : solver.inputSizes().entrySet()) {
            double[][] columns = inputs.get(e.getKey());
            for (int c = 0; c < e.getValue(); c++) {
                load(columns[c], valid, tape.valueBuffer(compiled.leaves()[leaf++]), dtype);
            }
        }
        tape.setActiveLanes(n);
        // On the element path nothing reads the row tape's computed nodes (its kernel writes the cost),
        // and recomputing a row's unrolled nodes (6,005 for a 200-point logistic) cost as much as a step.
        if (compiled.elements() == null) tape.recomputeAll();
        optimizer = Optimizers.create(solver.optimizer(), solver.hypers(perLaneArgs, valid), solver.dtype());
        boolean[] perLane = new boolean[slots];
        Arrays.fill(perLane, true);
        // The components of one vector variable form one variable for clipnorm.
        int[] variableOfSlot = new int[slots];
        int at = 0;
        for (int v = 0; v < solver.variables().size(); v++) {
            for (int j = 0; j < solver.variables().get(v).size(); j++) variableOfSlot[at++] = v;
        }
        optimizer.build(n, perLane, variableOfSlot);
        ElementKernel ek = compiled.elements() == null ? null
                : new ElementKernel(compiled.elements(), tape, costNode, values, dtype, optimizer instanceof LevenbergMarquardt);
        second = compiled.hessian() == null && (ek == null || !compiled.elements().secondOrder()) ? null
                : new NewtonStep(tape, costNode, compiled.hessian(), slots, dtype,
                        optimizer instanceof Newton nw ? nw : null, ek);
        if (optimizer instanceof Newton) rule = second;
        else if (optimizer instanceof TrustRegion tr) rule = new TrustStep(second, tape, costNode, slots, dtype, tr, solver.settings());
        else if (optimizer instanceof LevenbergMarquardt lm) {
            rule = new LmStep(tape, costNode, compiled.residuals(), varNodes.clone(), dtype, lm, solver.settings(), ek);
        } else rule = null;
        elementKernel = ek;
        watch = solver.settings().verdict() && rule == null ? new CurvatureWatch(compiled.hessian(), slots, n) : null;
    }

    /** Copies the valid lanes of {@code from} into {@code to}, rounded to the dtype. */
    private static void load(double[] from, int[] valid, double[] to, DType dtype) {
        int n = valid.length;
        if (n > 0 && valid[n - 1] == n - 1) {
            System.arraycopy(from, 0, to, 0, n); // every lane valid: the common case
        } else {
            for (int i = 0; i < n; i++) to[i] = from[valid[i]];
        }
        dtype.round(to, n);
    }

    /**
     * A recorded cost: the tape, its leaves (variable slots, then input components), the cost node
     * and, for newton or the verdict, the program of its gradient and Hessian (else null).
     */
    record Compiled(Tape tape, int[] leaves, int cost, HessianProgram hessian, int[] residuals, ElementTape elements,
                    String unrolled) implements Serializable { }

    /** Whether the solver needs Hessians: newton's steps, or the verdict on every result. */
    private static boolean secondOrder(BlockSolver solver) {
        return solver.settings().verdict() || "newton".equals(solver.optimizer())
                || TrustRegion.NAME.equals(solver.optimizer())
                || solver.standardErrors() == StandardErrors.Kind.NLL;
    }

    /** Records the cost on a fresh tape of {@code lanes} lanes, with every leaf zero. */
    static Compiled compile(BlockSolver solver, int lanes) {
        Tape tape = new Tape(solver.dtype());
        Map<String, Tensor[]> bindings = new LinkedHashMap<>();
        java.util.List<Integer> leaves = new java.util.ArrayList<>();
        for (VariableSpec v : solver.variables()) {
            Tensor[] comps = new Tensor[v.size()];
            for (int c = 0; c < v.size(); c++) {
                int node = tape.variable(new double[lanes], true, true);
                leaves.add(node);
                comps[c] = tape.tensor(node);
            }
            bindings.put(v.name(), comps);
        }
        for (Map.Entry<String, Integer> e : solver.inputSizes().entrySet()) {
            Tensor[] comps = new Tensor[e.getValue()];
            for (int c = 0; c < comps.length; c++) {
                int node = tape.constant(new double[lanes]);
                leaves.add(node);
                comps[c] = tape.tensor(node);
            }
            bindings.put(e.getKey(), comps);
        }
        int[] residuals = null;
        int cost;
        if (solver.residuals().isEmpty()) {
            Tensor c = solver.compile(bindings);
            cost = c.isPerLane() ? c.node() : tape.record(Op.BROADCAST, c.node(), -1, -1, 0);
        } else {
            // The cost is the sum of the residuals' squares, in their order; each residual is a lane
            // node of its own, so that the Jacobian's rows are one reverse pass each.
            Tensor[] r = solver.compileResiduals(bindings);
            residuals = new int[r.length];
            Tensor sum = null;
            for (int i = 0; i < r.length; i++) {
                residuals[i] = r[i].isPerLane() ? r[i].node() : tape.record(Op.BROADCAST, r[i].node(), -1, -1, 0);
                Tensor sq = tape.tensor(residuals[i]).square();
                sum = sum == null ? sq : sum.add(sq);
            }
            cost = sum.node();
        }
        int[] leafNodes = leaves.stream().mapToInt(Integer::intValue).toArray();
        // The derivative program goes after the cost: forwardTo(cost) still computes the cost alone.
        // A residual or a sum(body) that reads the arrays element by element is recorded once more, on
        // lanes that are the elements (ElementTape); newton, trust and lm evaluate it there (and the
        // row tape's derivative program is not recorded). Otherwise the reason is logged.
        ElementTape elements = null;
        String unrolled = null;
        boolean perRow = LevenbergMarquardt.NAME.equals(solver.optimizer()) || "newton".equals(solver.optimizer())
                || TrustRegion.NAME.equals(solver.optimizer());
        if (solver.elementTape() && perRow && hasArrays(solver)) {
            unrolled = ElementTape.why(solver);
            if (unrolled == null) {
                int[][] rowInputs = new int[solver.inputSizes().size()][];
                int at = slotCount(solver);
                int j = 0;
                for (int size : solver.inputSizes().values()) {
                    rowInputs[j++] = Arrays.copyOfRange(leafNodes, at, at + size);
                    at += size;
                }
                elements = ElementTape.record(solver, rowInputs, secondOrder(solver));
            }
        }
        HessianProgram hessian = secondOrder(solver) && elements == null
                ? HessianProgram.record(tape, cost, java.util.Arrays.copyOf(leafNodes, slotCount(solver))) : null;
        tape.close();
        return new Compiled(tape, leafNodes, cost, hessian, residuals, elements, unrolled);
    }

    /** Whether some input is an array (a row that is a small dataset). */
    private static boolean hasArrays(BlockSolver solver) {
        for (int size : solver.inputSizes().values()) if (size > 1) return true;
        return false;
    }

    private static int slotCount(BlockSolver solver) {
        int slots = 0;
        for (VariableSpec v : solver.variables()) slots += v.size();
        return slots;
    }

    /**
     * Checks every lane's inputs, starting values and per-lane arguments; lanes with a non-finite
     * or out-of-range value are {@link LaneStatus#INVALID} at once and never reach the tape.
     */
    static BlockRun start(BlockSolver solver, int lanes, Map<String, double[][]> inputs,
                          Map<String, double[][]> init, Map<String, double[]> perLaneArgs) {
        if (lanes < 0) throw new IllegalArgumentException("lanes must be >= 0, got " + lanes);
        String[] why = new String[lanes];
        for (Map.Entry<String, Integer> e : solver.inputSizes().entrySet()) {
            double[][] cols = inputs.get(e.getKey());
            if (cols == null || cols.length != e.getValue()) {
                throw new IllegalArgumentException("input " + e.getKey() + " needs " + e.getValue()
                        + " component(s), got " + (cols == null ? "none" : cols.length));
            }
            for (int c = 0; c < cols.length; c++) {
                checkLength(cols[c], lanes, "input " + e.getKey());
                double[] col = cols[c];
                boolean finite = true;
                for (int i = 0; i < lanes; i++) finite &= Double.isFinite(col[i]);
                if (finite) continue; // the usual column: no label, no look at why[]
                String label = cols.length == 1 ? e.getKey() : e.getKey() + "[" + c + "]";
                for (int i = 0; i < lanes; i++) {
                    if (why[i] == null && !Double.isFinite(col[i])) why[i] = "input " + label + " is " + col[i];
                }
            }
        }
        for (VariableSpec v : solver.variables()) {
            double[][] start = init.get(v.name());
            if (start == null) continue;
            if (start.length != v.size()) {
                throw new IllegalArgumentException("initial values of " + v + " need " + v.size()
                        + " component(s), got " + start.length);
            }
            for (int c = 0; c < start.length; c++) {
                checkLength(start[c], lanes, "initial values of " + v.name());
                for (int i = 0; i < lanes; i++) {
                    if (why[i] == null && !Double.isFinite(start[c][i])) {
                        why[i] = "initial value of " + v.name() + " is " + start[c][i];
                    }
                }
            }
        }
        for (Map.Entry<String, double[]> e : perLaneArgs.entrySet()) {
            Arguments.Range range = solver.argumentRanges().get(e.getKey());
            checkLength(e.getValue(), lanes, "optimizer." + e.getKey());
            for (int i = 0; i < lanes; i++) {
                double a = e.getValue()[i];
                if (why[i] == null && !range.contains(a)) {
                    why[i] = "optimizer." + e.getKey() + " must be " + range.text() + ", got " + a;
                }
            }
        }
        int[] valid = new int[lanes]; // a plain loop: a stream's buffers showed in a 1000-step block's profile
        int count = 0;
        for (int i = 0; i < lanes; i++) {
            if (why[i] == null) valid[count++] = i;
        }
        if (count < lanes) valid = Arrays.copyOf(valid, count);
        BlockRun run = new BlockRun(solver, lanes, valid, inputs, init, perLaneArgs);
        for (int i = 0; i < lanes; i++) {
            if (why[i] != null) {
                run.outStatus[i] = LaneStatus.INVALID;
                run.outError[i] = why[i];
                run.outCost[i] = Double.NaN;
                run.outGradNorm[i] = Double.NaN;
                for (double[] o : run.outValues) o[i] = Double.NaN;
                if (run.outCurvature != null) run.outCurvature[i] = Double.NaN;
            }
        }
        return run;
    }

    private static void checkLength(double[] a, int lanes, String what) {
        if (a == null || a.length < lanes) {
            throw new IllegalArgumentException(what + " needs " + lanes + " values, got "
                    + (a == null ? "none" : a.length));
        }
    }

    /** True once every lane has ended. */
    public boolean isDone() {
        return active == 0;
    }

    /** Optimizer steps taken so far by the lanes still running. */
    public int step() {
        return step;
    }

    /** Lanes still running. */
    public int activeLanes() {
        return active;
    }

    /**
     * Runs at most {@code iterations} rounds of evaluate-judge-step; returns whether every lane has
     * ended.
     */
    public boolean advance(int iterations) {
        SolverSettings s = solver.settings();
        for (int it = 0; it < iterations && active > 0; it++) {
            // Lanes are judged one by one only on check steps (every COST_EVERY steps, the last step)
            // when something asks for it: a non-finite value (sticky under every optimizer here, so
            // caught at the next check step), a lane that converges, or one the divergence rule flags
            // at its samples (every max(MIN_EVERY, Divergence.every(steps)) steps).
            boolean last = step >= s.maxSteps();
            boolean sample = divergence.samples(step);
            boolean check = step % COST_EVERY == 0 || last;
            // Newton and LM read the cost at every step (their searches start from it).
            boolean withCost = check || sample || rule != null; // a short run samples more often than it checks
            StepKernel k = kernel();
            if (!check && !divergence.windowEnds(step) && !s.testsConvergence() && rule == null
                    && k.step(optimizer, sample, active)) {
                // No lane can end on this step: the update is fused into the compiled pass, which
                // leaves the cost from before the update where the divergence rule's sample reads it
                // (off a window's end the rule reads nothing else).
                if (sample) divergence.observe(step, tape.valueBuffer(costNode), null, null, active);
                step++;
                continue;
            }
            if (grads == null) grads = new double[values.length][];
            if (check && !last && !divergence.windowEnds(step) && !s.testsConvergence() && rule == null && watch == null) {
                // Only a lane whose cost or gradient is not finite can end here (off a window's end the
                // divergence rule flags none and reads only the cost; newton and the verdict's curvature
                // watch judge every check step, so they never come here): the fused step runs and keeps what
                // judging such a lane needs (its gradients and values from before the update).
                if (kept == null) kept = new double[values.length][tape.lanes()];
                StepKernel.Checked c = k.keptStep(optimizer, grads, kept, active);
                if (c != StepKernel.Checked.UNFUSED) {
                    if (sample) divergence.observe(step, tape.valueBuffer(costNode), null, null, active);
                    if (c == StepKernel.Checked.NOT_FINITE && endNotFinite(s)) break;
                    step++;
                    continue;
                }
            }
            boolean finite = k.gradients(withCost, grads, active);
            double[] cost = tape.valueBuffer(costNode);
            int flagged = sample ? divergence.observe(step, cost, grads, values, active) : 0;
            // With newton or the verdict's watch, lanes are judged at every check step: one may be
            // falling without bound along non-positive curvature.
            boolean quiet = !last && flagged == 0 && !(check && (rule != null || watch != null))
                    && (!check || finite) && !anyConverges(s);
            if (!quiet) {
                if (!withCost) k.cost(active); // a lane may end: its cost is part of its result
                if (check && watch != null) watchCurvature(cost);
                if (rule != null && rule == second) judgeStationarity(cost, s);
                int ended = 0;
                for (int p = 0; p < active; p++) {
                    if (judge(p, cost[p], s) != null) ended++;
                }
                if (ended > 0 && outVerdict != null) judgeCurvature(s);
                if (ended > 0 && outStderr != null) judgeStandardErrors();
                if (ended > 0) pack();
                if (active == 0) break;
            }
            boolean stepTest = s.stepTolerance() > 0;
            if (stepTest) remember();
            if (sample) divergence.beforeStep(values, active);
            if (rule != null) rule.step(values, active);
            else optimizer.step(values, grads, active);
            step++;
            if (sample) divergence.afterStep(values, active);
            if (stepTest) measureSteps();
        }
        if (active == 0 && compiled != null) {
            solver.giveBack(compiled);
            solver.giveBack(divergence); // nothing reads it once the block has ended
        }
        return active == 0;
    }

    /**
     * After a kept step ({@link StepKernel#keptStep}): the lanes whose cost or gradient was not finite
     * end, with their values from before the update (the others were updated as on the unfused path).
     * Returns whether every lane has ended.
     */
    private boolean endNotFinite(SolverSettings s) {
        double[] cost = tape.valueBuffer(costNode);
        int ended = 0;
        for (int p = 0; p < active; p++) {
            boolean finite = Double.isFinite(cost[p]);
            for (double[] g : grads) finite &= Double.isFinite(g[p]);
            if (finite) continue;
            for (int k = 0; k < values.length; k++) values[k][p] = kept[k][p]; // the lane ends: its values before the step
            if (judge(p, cost[p], s) != null) ended++;
        }
        if (ended > 0) pack();
        return active == 0;
    }

    /** The sweep samples the cost for the divergence rule at most this often: a runaway needs 256 steps. */
    static final int MIN_EVERY = 8;

    /** How often the cost is computed when nothing else asks for it (non-finite costs show up by then). */
    static final int COST_EVERY = 16;

    /** Whether some lane passes the convergence tests now (they need no cost). */
    private boolean anyConverges(SolverSettings s) {
        if (rule != null && rule.ownsConvergence()) {
            for (int p = 0; p < active; p++) if (rule.converged(p)) return true;
            return false;
        }
        if (!s.testsConvergence()) return false;
        for (int p = 0; p < active; p++) {
            boolean gradOk = s.gradTolerance() == 0 || norm(p) <= s.gradTolerance();
            if (gradOk && stepOk(p, s)) return true;
        }
        return false;
    }

    /** Whether lane position p passes the step-size test (always, when there is none). */
    private boolean stepOk(int p, SolverSettings s) {
        return s.stepTolerance() == 0 || (step > 0 && stepNorm[p] <= s.stepTolerance());
    }

    /** Decides whether lane position p ends now; records its result if so. Returns null if it runs on. */
    private String judge(int p, double cost, SolverSettings s) {
        double norm2 = 0;
        int bad = -1;
        for (int k = 0; k < grads.length; k++) {
            double g = grads[k][p];
            if (bad < 0 && !Double.isFinite(g)) bad = k;
            norm2 += g * g;
        }
        double norm = Math.sqrt(norm2);
        if (norm == Double.POSITIVE_INFINITY && bad < 0) norm = scaledNorm(p); // finite components past 1e154
        if (!Double.isFinite(cost)) {
            return end(p, LaneStatus.DIVERGED, cost, norm, "cost is " + cost + " after " + step + " steps");
        }
        if (bad >= 0) {
            return end(p, LaneStatus.DIVERGED, cost, norm,
                    "gradient of " + slotName(bad) + " is " + grads[bad][p] + " after " + step + " steps");
        }
        if (rule != null && rule.ownsConvergence()) {
            if (rule.converged(p)) return end(p, LaneStatus.CONVERGED, cost, norm, null);
        } else if (s.testsConvergence()) {
            // newton: and a minimum at working precision (judgeStationarity, this round)
            if (withinTolerances(p, norm, s) && (stationary == null || stationary[p])) {
                return end(p, LaneStatus.CONVERGED, cost, norm, null);
            }
        }
        // Curvature, where it is known, says sooner (and why) what the path-based rule would say later.
        if (watch != null) {
            String unbounded = watch.divergence(p, cost, norm, step);
            if (unbounded != null) return end(p, LaneStatus.DIVERGED, cost, norm, unbounded);
        }
        if (rule != null) {
            String unbounded = rule.divergence(p, cost, norm);
            if (unbounded != null) return end(p, LaneStatus.DIVERGED, cost, norm, unbounded);
        }
        String diverged = divergence.reason(p);
        if (diverged != null) return end(p, LaneStatus.DIVERGED, cost, norm, diverged);
        if (step >= s.maxSteps()) return end(p, LaneStatus.MAX_STEPS, cost, norm, null);
        return null;
    }

    /** The gradient norm of lane position p, scaled by its largest component so that the squares do not overflow. */
    private double scaledNorm(int p) {
        double max = 0;
        for (double[] g : grads) max = Math.max(max, Math.abs(g[p]));
        double sum = 0;
        for (double[] g : grads) sum += (g[p] / max) * (g[p] / max);
        return max * Math.sqrt(sum);
    }

    private String end(int p, LaneStatus status, double cost, double gradNorm, String error) {
        int lane = laneAt[p];
        for (int k = 0; k < values.length; k++) outValues[k][lane] = values[k][p];
        outCost[lane] = cost;
        outGradNorm[lane] = gradNorm;
        outSteps[lane] = step;
        outStatus[lane] = status;
        outError[lane] = error;
        retired[p] = true;
        return error == null ? status.name() : error;
    }

    /** Lane position p's gradient norm. */
    /** Lane p's tolerance tests ({@code tolerance.grad} on {@code norm}, {@code tolerance.step}), those set. */
    private boolean withinTolerances(int p, double norm, SolverSettings s) {
        return (s.gradTolerance() == 0 || norm <= s.gradTolerance()) && stepOk(p, s);
    }

    private double norm(int p) {
        double n2 = 0;
        for (double[] g : grads) n2 += g[p] * g[p];
        return Math.sqrt(n2);
    }

    /** A check step's look at the curvature along each lane's path ({@link CurvatureWatch}). */
    private void watchCurvature(double[] cost) {
        if (norms == null) norms = new double[tape.lanes()];
        for (int p = 0; p < active; p++) norms[p] = norm(p);
        if (watch.observe(values, cost, norms, active)) {
            kernel().gradients(false, grads, active); // the product's reverse pass may have reused their buffers
        }
    }

    /**
     * newton's second condition for CONVERGED, beside the tolerances ({@link Stationarity}): for the
     * lanes that pass {@code tolerance.grad} and {@code tolerance.step} this round, whether the point is
     * a minimum at working precision (no negative curvature, and a Newton decrement within the cost's
     * rounding), into {@link #stationary}. One Hessian evaluation for the block, only in a round where a
     * lane passes the tolerances; the cost's gradient is taken again after, as in {@link #judgeCurvature}.
     */
    private void judgeStationarity(double[] cost, SolverSettings s) {
        int m = values.length;
        if (stationary == null) {
            stationary = new boolean[tape.lanes()];
            stationarity = new Stationarity(m);
        }
        // Marked before the Hessian's reverse passes, which may reuse the gradient buffers norm() reads.
        boolean any = false;
        for (int p = 0; p < active; p++) {
            stationary[p] = s.testsConvergence() && withinTolerances(p, norm(p), s);
            any |= stationary[p];
        }
        if (!any) return;
        second.evaluate();
        double[][] h = new double[m][m];
        double[] g = new double[m];
        for (int p = 0; p < active; p++) {
            if (!stationary[p]) continue;
            second.hessian(p, h);
            for (int k = 0; k < m; k++) g[k] = second.gradient(k, p);
            stationary[p] = stationarity.atMinimum(h, g, cost[p], solver.dtype());
        }
        kernel().gradients(false, grads, active);
    }

    /**
     * The curvature and verdict of the lanes that ended this round (marked retired, not yet packed
     * away): one Hessian evaluation for the block, at this round's values. The reverse passes may
     * reuse the gradient buffers, so the cost's gradient is taken again after.
     */
    private void judgeCurvature(SolverSettings s) {
        second.evaluate();
        for (int p = 0; p < active; p++) {
            if (!retired[p]) continue;
            int lane = laneAt[p];
            SymmetricEigen e = second.decompose(p);
            outCurvature[lane] = e.smallest();
            double cost = outCost[lane];
            outVerdict[lane] = Verdict.of(e, solver.dtype(), second.gradNorm(p),
                    Verdict.gradientTolerance(s.gradTolerance(), cost, solver.dtype()));
        }
        kernel().gradients(false, grads, active);
    }

    /**
     * The standard errors of the lanes that ended this round solved ({@code CONVERGED},
     * {@code MAX_STEPS}): one evaluation of the residuals' Jacobian (or of the Hessian) for the block,
     * at this round's values; the cost's gradient is taken again after, as in {@link #judgeCurvature}.
     */
    private void judgeStandardErrors() {
        int m = values.length;
        double[] se = new double[m];
        if (solver.standardErrors() == StandardErrors.Kind.RESIDUALS) {
            int[] res = compiled.residuals();
            double[][] r;
            double[][] jac;
            if (elementKernel != null) {
                elementKernel.ensure(active); // the same bits as the row tape's reverse passes
                r = elementKernel.r();
                jac = elementKernel.jac();
            } else {
                r = new double[tape.lanes()][res.length];
                jac = new double[tape.lanes()][res.length * m];
                LmStep.jacobian(tape, costNode, res, varNodes, active, r, jac);
            }
            for (int p = 0; p < active; p++) {
                if (!retired[p] || !solved(outStatus[laneAt[p]])) continue;
                double rss = 0;
                for (int i = 0; i < res.length; i++) rss += r[p][i] * r[p][i];
                StandardErrors.fromJacobian(jac[p], res.length, rss, se);
                for (int k = 0; k < m; k++) outStderr[k][laneAt[p]] = se[k];
            }
        } else {
            second.evaluate();
            SymmetricEigen eigen = new SymmetricEigen(m);
            double[][] h = new double[m][m];
            for (int p = 0; p < active; p++) {
                if (!retired[p] || !solved(outStatus[laneAt[p]])) continue;
                second.hessian(p, h);
                StandardErrors.fromHessian(h, eigen, se);
                for (int k = 0; k < m; k++) outStderr[k][laneAt[p]] = se[k];
            }
        }
        kernel().gradients(false, grads, active);
    }

    private static boolean solved(LaneStatus s) {
        return s == LaneStatus.CONVERGED || s == LaneStatus.MAX_STEPS;
    }

    /** Moves the lanes still running to the front, so that finished ones cost nothing more. */
    private void pack() {
        int p = 0;
        int end = active;
        while (p < end) {
            if (!retired[p]) {
                p++;
                continue;
            }
            int last = end - 1;
            while (last > p && retired[last]) last--;
            if (last == p) {
                end = p;
                break;
            }
            moveLane(last, p);
            retired[last] = true;
            end = last;
            p++;
        }
        Arrays.fill(retired, 0, active, false);
        active = end;
        tape.setActiveLanes(active);
        // On the element path nothing reads the row tape's derived nodes (the next evaluation writes
        // the cost), and recomputing its unrolled nodes at every pack cost as much as the steps.
        if (elementKernel == null) tape.recomputeAll();
    }

    private void moveLane(int from, int to) {
        if (elementKernel != null) {
            // The element path reads the inputs row by row from its own copy (moved here): of the row
            // tape only the variables are read, and moving its input leaves (a buffer per array
            // element) cost a cache miss per element.
            elementKernel.moveLane(from, to);
            tape.moveLane(from, to, varNodes);
        } else {
            tape.moveLane(from, to); // variables and inputs
        }
        optimizer.moveLane(from, to);
        if (watch != null) watch.moveLane(from, to);
        laneAt[to] = laneAt[from];
        stepNorm[to] = stepNorm[from];
        divergence.moveLane(from, to);
        for (double[] g : grads) g[to] = g[from]; // this step's update still reads them
    }

    /**
     * Nodes up to the cost past which a per-row step rule (newton, trust, lm) takes the cost's
     * gradient on the interpreter rather than compiling it: KernelSource's one-loop limit
     * ({@code SEGMENT_FREE}, 64 statements), about where the generated kernel goes into segments.
     */
    static final int RULE_COMPILE_NODES = 64;

    /** The step kernel, made on first use (also after the run was deserialised). */
    private StepKernel kernel() {
        if (kernel == null && elementKernel != null) {
            kernel = elementKernel;
            solver.ranOn(kernel.path());
        }
        if (kernel == null) {
            // A step rule runs its own passes on the interpreter (the Hessian program, the
            // Jacobian's reverse passes, the trial points) and asks the kernel for one gradient per
            // iteration. For a large tape (a row whose array elements are unrolled into nodes) a
            // compiled kernel goes into segments and costs seconds per JVM to generate, compile and
            // warm (measured: 5 to 6 s for a 50-point exponential fit, where the interpreted gradient
            // is as fast once warm: docs/curve-fitting.md), so it never repays itself there.
            kernel = solver.codegen() && rule != null && costNode + 1 > RULE_COMPILE_NODES
                    ? StepKernel.interpreted(tape, costNode, varNodes, (compiled.unrolled() == null ? ""
                            : "unrolled tape: " + compiled.unrolled() + "; ") + "a per-row " + solver.optimizer()
                            + " step on a cost of " + (costNode + 1) + " nodes, over " + RULE_COMPILE_NODES
                            + ": its one gradient per iteration does not repay compiling")
                    : StepKernel.create(tape, costNode, varNodes, optimizer, solver.codegen());
            solver.ranOn(kernel.path());
        }
        return kernel;
    }

    /** Which path this block's steps run on (compiled or interpreted, and why). */
    public tapeline.engine.codegen.KernelPath kernelPath() {
        return compiled == null ? null : kernel().path();
    }

    private void remember() {
        if (before == null) before = new double[values.length][tape.lanes()];
        for (int k = 0; k < values.length; k++) System.arraycopy(values[k], 0, before[k], 0, active);
    }

    private void measureSteps() {
        Divergence.distances(values, before, active, stepNorm);
    }

    private String slotName(int k) {
        int slot = 0;
        for (VariableSpec v : solver.variables()) {
            if (k < slot + v.size()) return v.size() == 1 ? v.name() : v.name() + "[" + (k - slot) + "]";
            slot += v.size();
        }
        return "slot " + k;
    }

    /** The outcome of every lane; all lanes must have ended. */
    public BlockResult result() {
        if (active > 0) throw new IllegalStateException(active + " lanes are still running");
        double[][][] out = new double[solver.variables().size()][][];
        int slot = 0;
        for (int v = 0; v < out.length; v++) {
            int size = solver.variables().get(v).size();
            out[v] = new double[size][];
            for (int c = 0; c < size; c++) out[v][c] = outValues[slot++].clone();
        }
        return new BlockResult(lanes, out, outCost.clone(), outGradNorm.clone(), outSteps.clone(), outStatus.clone(),
                outError.clone(), outCurvature == null ? null : outCurvature.clone(),
                outVerdict == null ? null : outVerdict.clone(), standardErrors());
    }

    private double[][][] standardErrors() {
        if (outStderr == null) return null;
        double[][][] out = new double[solver.variables().size()][][];
        int slot = 0;
        for (int v = 0; v < out.length; v++) {
            int size = solver.variables().get(v).size();
            out[v] = new double[size][];
            for (int c = 0; c < size; c++) out[v][c] = outStderr[slot++].clone();
        }
        return out;
    }
}
