package tapeline.engine.solve;

import tapeline.engine.optim.Newton;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.HessianProgram;
import tapeline.engine.tape.Tape;

/**
 * One damped Newton step for every running lane of a block ({@code optimizer = newton}).
 *
 * <p>Per lane: the gradient g and Hessian H from the recorded derivative program, and the direction
 * {@code d = -V diag(1 / max(|l_i|, zero)) V^T g} from H's eigen-decomposition {@code H = V diag(l) V^T}
 * ({@link NewtonDirection}, the train job's rule too: by Cholesky where H is positive definite and well
 * conditioned, {@link SymmetricEigen} otherwise). Where H is positive definite (every
 * {@code l_i > zero}) that is exactly the Newton step {@code -H^-1 g}; elsewhere negative
 * eigenvalues are taken by magnitude and zero ones replaced by the tolerance, a positive-definite
 * matrix in both cases, so d is a descent direction ({@code g.d < 0}) that also moves away from a
 * saddle along its negative curvature. An all-zero Hessian (a linear cost) gives {@code d = -g}.
 *
 * <p>Then a backtracking line search on the lane's own cost: trial steps
 * {@code t = learning_rate, t/2, t/4, ...} (at most {@value #BACKTRACKS}), the first that
 * {@link NewtonAcceptance} takes is taken: the Armijo test {@code f(x + t d) <= f(x) + armijo t g.d}
 * where the cost can resolve it, the trial's gradient norm where it cannot (near the optimum). All
 * lanes search together: each trial is one forward pass of the cost (not of its derivative programs)
 * over the lanes still searching, and a whole forward pass when some lane needs its gradient. A lane
 * that finds no such t does not move: the step never climbs by more than the cost's rounding.
 *
 * <p>A lane whose accepted steps keep falling along directions of non-positive curvature
 * ({@code d.H.d <= 0}, while H has no positive-definite part to stop them) is falling without
 * bound: after {@value #STREAK} such steps in a row, with a gradient norm that did not shrink and a
 * fall larger than the cost's own size ({@link CurvatureWatch#bigFall}), it is
 * {@link LaneStatus#DIVERGED} ({@link #divergence}).
 */
final class NewtonStep implements StepRule {
    private static final long serialVersionUID = 1L;

    /** Halvings of the trial step before a lane gives up this step. */
    static final int BACKTRACKS = 40;
    /** Consecutive steps along non-positive curvature that make a fall unbounded. */
    static final int STREAK = 20;

    private final Tape tape;
    private final int costNode;
    private final HessianProgram hessian;
    private final int m;
    private final DType dtype;
    /** The settings and per-lane state of {@code optimizer = newton}, or null when only the verdict's Hessian is wanted. */
    private final Newton newton;
    /** The cost, gradient, Hessian and trial costs from an element tape, or null: the row tape's. */
    private final ElementKernel elements;

    private transient double[][] g;
    private transient double[][][] h;
    private transient double[][] matrix;
    private transient SymmetricEigen eigen;
    private transient NewtonDirection rule;
    private transient double[] gLane;
    private transient double[] dLane;
    private transient double[][] d;
    private transient double[][] x0;
    private transient double[] cost0;
    private transient double[] slope;
    private transient double[] t;
    private transient boolean[] searching;
    private transient double[] bend;
    private transient double[] norm0;
    private transient NewtonAcceptance.Judged[] judged;
    private transient int[] gradientNodes;

    NewtonStep(Tape tape, int costNode, HessianProgram hessian, int slots, DType dtype, Newton newton) {
        this(tape, costNode, hessian, slots, dtype, newton, null);
    }

    /** With {@code elements} not null, every evaluation runs on its element tape ({@code hessian} may be null then). */
    NewtonStep(Tape tape, int costNode, HessianProgram hessian, int slots, DType dtype, Newton newton, ElementKernel elements) {
        this.elements = elements;
        this.newton = newton;
        this.tape = tape;
        this.costNode = costNode;
        this.hessian = hessian;
        this.m = slots;
        this.dtype = dtype;
    }

    private void allocate() {
        int lanes = tape.lanes();
        g = new double[m][lanes];
        h = new double[m][m][lanes];
        matrix = new double[m][m];
        eigen = new SymmetricEigen(m);
        rule = new NewtonDirection(m);
        gLane = new double[m];
        dLane = new double[m];
        d = new double[m][lanes];
        x0 = new double[m][lanes];
        cost0 = new double[lanes];
        slope = new double[lanes];
        t = new double[lanes];
        searching = new boolean[lanes];
        bend = new double[lanes];
        norm0 = new double[lanes];
        judged = new NewtonAcceptance.Judged[lanes];
    }

    /**
     * Evaluates the gradient and Hessian of the active lanes at the variables' current values, into
     * this step's buffers (then {@link #decompose} a lane's): a full forward pass of the tape (the
     * cost and its derivative program, which a compiled step kernel does not compute) and one
     * reverse pass per variable.
     */
    void evaluate() {
        if (g == null) allocate();
        if (elements != null) {
            elements.derivatives(tape.activeLanes(), g, h);
            return;
        }
        tape.forward();
        hessian.evaluate(g, h);
    }

    /** Decomposes lane p's Hessian (after {@link #evaluate}). */
    SymmetricEigen decompose(int p) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) matrix[i][j] = h[i][j][p];
        }
        eigen.decompose(matrix);
        return eigen;
    }

    /** Lane p's Hessian into {@code out[m][m]} (after {@link #evaluate}). */
    void hessian(int p, double[][] out) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) out[i][j] = h[i][j][p];
        }
    }

    /** Component k of lane p's gradient (after {@link #evaluate}). */
    double gradient(int k, int p) {
        return g[k][p];
    }

    /** Lane p's gradient norm (after {@link #evaluate}). */
    double gradNorm(int p) {
        double s = 0;
        for (int k = 0; k < m; k++) s += g[k][p] * g[k][p];
        return Math.sqrt(s);
    }

    @Override
    public void step(double[][] values, int active) {
        step(values, active, newton);
    }

    @Override
    public String divergence(int p, double cost, double gradNorm) {
        return divergence(p, cost, gradNorm, newton);
    }

    /** One step of every running lane: {@code values[k][p]} move in place. */
    void step(double[][] values, int active, Newton settings) {
        evaluate();
        double[] cost = tape.valueBuffer(costNode);
        for (int p = 0; p < active; p++) {
            cost0[p] = cost[p];
            norm0[p] = gradNorm(p);
            direction(p);
            for (int k = 0; k < m; k++) x0[k][p] = values[k][p];
            t[p] = settings.initialStep(p);
            searching[p] = true;
        }
        int left = active;
        for (int trial = 0; trial <= BACKTRACKS && left > 0; trial++) {
            for (int p = 0; p < active; p++) {
                if (!searching[p]) continue;
                for (int k = 0; k < m; k++) values[k][p] = dtype.round(x0[k][p] + t[p] * d[k][p]);
            }
            trialCosts(searching, active);
            boolean byGradient = false;
            for (int p = 0; p < active; p++) {
                if (!searching[p]) continue;
                judged[p] = NewtonAcceptance.byCost(cost0[p], cost[p], t[p], slope[p], settings.armijo(p), dtype);
                byGradient |= judged[p] == NewtonAcceptance.Judged.BY_GRADIENT;
            }
            // Only near the optimum: the whole tape's forward pass (the derivative program's nodes hold the
            // gradient), for the lanes whose cost cannot judge the trial.
            if (byGradient) trialGradients(searching, active);
            for (int p = 0; p < active; p++) {
                if (!searching[p]) continue;
                boolean take = judged[p] == NewtonAcceptance.Judged.TAKE
                        || (judged[p] == NewtonAcceptance.Judged.BY_GRADIENT
                            && NewtonAcceptance.byGradient(norm0[p], trialGradNorm(p), t[p]));
                if (take) {
                    searching[p] = false;
                    left--;
                } else {
                    t[p] *= 0.5;
                }
            }
        }
        for (int p = 0; p < active; p++) {
            boolean moved = !searching[p];
            if (!moved) {
                for (int k = 0; k < m; k++) values[k][p] = x0[k][p]; // no decrease found: stay
            }
            // d.H.d <= 0: the Hessian is not positive definite and nothing along d curves back up.
            settings.track(p, moved && cost[p] < cost0[p] && bend[p] <= 0, cost0[p], norm0[p]);
        }
    }

    /**
     * The cost of the lanes with {@code which[p]} at their current (trial) values, into the cost
     * node's buffer: a forward pass of the row tape up to the cost, or the element tape's.
     */
    void trialCosts(boolean[] which, int active) {
        if (elements == null) tape.forwardTo(costNode);
        else elements.costs(which, active);
    }

    /**
     * The gradients of the lanes with {@code which[p]} at their trial values, for
     * {@link #trialGradNorm}: the row tape's whole forward pass (its gradient program), or the
     * element tape's reverse pass.
     */
    void trialGradients(boolean[] which, int active) {
        if (elements == null) tape.forward();
        else elements.gradientsOf(which, active);
    }

    /** Lane p's gradient norm at its trial point, from the gradient program's nodes (after a full forward pass). */
    double trialGradNorm(int p) {
        if (elements != null) {
            double[][] tg = elements.trialGradients();
            double s = 0;
            for (int k = 0; k < m; k++) s += tg[k][p] * tg[k][p];
            return Math.sqrt(s);
        }
        if (gradientNodes == null) gradientNodes = hessian.gradientNodes();
        double s = 0;
        for (int node : gradientNodes) {
            if (node < 0) continue;
            double v = tape.valueBuffer(node)[tape.isLaneShaped(node) ? p : 0];
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** d for lane p by Newton's one rule ({@link NewtonDirection}), with slope g.d and bend d.H.d. */
    private void direction(int p) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) matrix[i][j] = h[i][j][p];
            gLane[i] = g[i][p];
        }
        rule.direction(matrix, gLane, dtype, dLane);
        for (int k = 0; k < m; k++) d[k][p] = dLane[k];
        double s = 0;
        double b = 0;
        for (int i = 0; i < m; i++) {
            s += g[i][p] * d[i][p];
            double hd = 0;
            for (int j = 0; j < m; j++) hd += h[i][j][p] * d[j][p];
            b += d[i][p] * hd;
        }
        slope[p] = s;
        bend[p] = b;
    }

    /**
     * Why lane p is falling without bound, or null: {@value #STREAK} steps in a row fell along
     * non-positive curvature and the gradient norm did not shrink over them.
     */
    static String divergence(int p, double cost, double gradNorm, Newton settings) {
        int streak = settings.streak(p);
        if (streak < STREAK || gradNorm < settings.streakGradNorm(p)
                || !CurvatureWatch.bigFall(settings.streakCost(p), cost)) return null;
        return "cost falls without bound along non-positive curvature: each of the last " + streak
                + " Newton steps fell along a direction d with d'Hd <= 0 (no positive-definite Hessian to stop it),"
                + " from " + settings.streakCost(p) + " to " + cost + ", while the gradient norm grew from "
                + settings.streakGradNorm(p) + " to " + gradNorm;
    }
}
