package tapeline.engine.solve;

import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;

/**
 * One outer iteration of MINPACK's {@code lmder} for every running lane ({@code optimizer = lm}):
 * the residuals r and their Jacobian J at the lane's point, the scaling D (the Jacobian's column
 * norms to the power {@code jac_scaling}, never decreasing), the gtol test, then trial steps from {@link LmSubproblem} inside the
 * lane's trust region until one is accepted ({@code ratio >= 1e-4}: the actual fall of the sum of
 * squares at least 1e-4 of the fall the linear model predicts), updating the radius and
 * {@code par} by lmder's rules, with its ftol and xtol tests after each trial.
 *
 * <p>The Jacobian comes from the tape in reverse mode, one pass per residual component: each pass
 * reaches only the nodes its residual depends on, and a per-row fit's residuals share few (forward
 * mode, one pass per variable, would have to walk the whole tape each time; the tape has no
 * forward-mode pass).
 *
 * <p>All lanes try their steps together, each trial one forward pass of the residuals over the
 * lanes still trying; a lane that has not accepted a step after {@value #TRIALS} trials stays where
 * it is this iteration and goes on from its (smaller) radius at the next one, so a lane's path
 * does not depend on the other lanes of its block. A step is accepted only if the sum of squares
 * fell: the lane never climbs.
 *
 * <p>Convergence is the lane's own ({@link #converged}): with {@code tolerance.cost} (ftol)
 * {@code |actred| <= ftol} and {@code prered <= ftol} and {@code ratio <= 2}; with
 * {@code tolerance.step} (xtol) {@code delta <= xtol ||D x||}; with {@code tolerance.grad} (gtol)
 * the largest cosine between r and a column of J at most gtol (a point where the residuals are
 * all 0 passes it). Before any of these ends a lane, r must also lie outside J's range to
 * {@link #RANGE_BOUND} ({@link RangeAngle}); if it does not, the lane probes along the Gauss-Newton
 * step ({@link #PROBE}) and ends only if no probe lowers the cost visibly. State lives in
 * {@link LevenbergMarquardt}'s per-lane arrays.
 */
final class LmStep implements StepRule {
    private static final long serialVersionUID = 1L;

    /** Trial steps per lane per iteration before it waits for the next iteration. */
    static final int TRIALS = 20;

    /** The most doubles kept for the lanes' factorisations ({@link LmSubproblem#keep}). */
    static final long KEPT_FACTORS = 1L << 20;

    private final Tape tape;
    private final int costNode;
    private final int[] residuals;
    private final int[] vars;
    private final DType dtype;
    private final LevenbergMarquardt lm;
    private final SolverSettings settings;
    private final int n;
    private final int m;
    /** The residuals and Jacobian from an element tape, or null: the row tape's reverse passes. */
    private final ElementKernel elements;

    /** Row by row: {@code r[p][i]}, {@code jac[p][k n + i]} (a lane's J column by column: the subproblem's matrix as it is). */
    private transient double[][] r;
    private transient double[][] jac;
    private transient double[] laneDiag;
    private transient LmSubproblem sub;
    /** Whether lane p's J was factored this iteration (its factors kept in {@code sub}): lmder's one QR per iteration. */
    private transient boolean[] factored;
    private transient double[][] x0;
    private transient double[][] step;
    private transient double[] fnorm;
    private transient double[] gnorm;
    private transient double[] jtr;
    private transient double[] pnorm;
    private transient double[] prered;
    private transient double[] dirder;
    private transient boolean[] trying;
    private transient int[] rows;
    private transient RangeAngle angle;
    private transient double[][] laneJtj;
    private transient double[] laneJtr;
    /** Lanes whose next trial is a probe ({@link #PROBE}), the test that would have ended them, and the probe's step. */
    private transient boolean[] probing;
    private transient int[] probeHow;
    private transient int[] probeCount;
    private transient double[] probeScale;
    private transient double[][] probeStep;
    private transient double[] laneProbe;

    LmStep(Tape tape, int costNode, int[] residuals, int[] vars, DType dtype, LevenbergMarquardt lm,
           SolverSettings settings) {
        this(tape, costNode, residuals, vars, dtype, lm, settings, null);
    }

    /** With {@code elements} not null, r, J and the trial points' costs come from its element tape. */
    LmStep(Tape tape, int costNode, int[] residuals, int[] vars, DType dtype, LevenbergMarquardt lm,
           SolverSettings settings, ElementKernel elements) {
        if (residuals == null) throw new IllegalArgumentException("optimizer lm needs the cost as residuals");
        this.tape = tape;
        this.costNode = costNode;
        this.residuals = residuals;
        this.vars = vars;
        this.dtype = dtype;
        this.lm = lm;
        this.settings = settings;
        this.n = residuals.length;
        this.m = vars.length;
        this.elements = elements;
    }

    private void allocate() {
        int lanes = tape.lanes();
        if (elements == null) {
            r = new double[lanes][n];
            jac = new double[lanes][n * m];
        } else {
            rows = new int[lanes];
        }
        laneDiag = new double[m];
        // Each lane's factors kept for its later trials of the iteration, unless that would take more than
        // 2^20 doubles (many lanes of many variables): then a trial factors again, with the same bits.
        sub = new LmSubproblem(n, m, (long) lanes * (Math.min(n, m) + 1) * m <= KEPT_FACTORS ? lanes : 0);
        factored = new boolean[lanes];
        x0 = new double[m][lanes];
        step = new double[m][lanes];
        fnorm = new double[lanes];
        gnorm = new double[lanes];
        jtr = new double[lanes];
        pnorm = new double[lanes];
        prered = new double[lanes];
        dirder = new double[lanes];
        trying = new boolean[lanes];
        probing = new boolean[lanes];
        probeHow = new int[lanes];
        probeCount = new int[lanes];
        probeScale = new double[lanes];
        probeStep = new double[m][lanes];
        laneProbe = new double[m];
    }

    /**
     * The residuals and their Jacobian of the first {@code active} lanes at the variables' current
     * values, into {@code out[p][i]} and {@code outJac[p][k n + i]}.
     */
    void evaluate(int active, double[][] out, double[][] outJac) {
        jacobian(tape, costNode, residuals, vars, active, out, outJac);
    }

    /** {@link #evaluate} for any recorded residuals: reverse mode, one pass per residual. */
    static void jacobian(Tape tape, int costNode, int[] residuals, int[] vars, int active, double[][] out,
                         double[][] outJac) {
        int n = residuals.length;
        int m = vars.length;
        tape.forwardTo(costNode);
        for (int i = 0; i < n; i++) {
            double[] v = tape.valueBuffer(residuals[i]);
            for (int p = 0; p < active; p++) out[p][i] = v[p];
        }
        for (int i = 0; i < n; i++) {
            tape.backward(residuals[i]);
            for (int k = 0; k < m; k++) {
                double[] g = tape.gradient(vars[k]);
                for (int p = 0; p < active; p++) outJac[p][k * n + i] = g == null ? 0 : g[p];
            }
        }
    }

    // step() is called once per iteration of a block and loops over its lanes: its loops only call a
    // method per lane (begin, offer, judge, stay), so those small methods are what the JIT compiles, as
    // methods and early (each is called lanes times per iteration), not step() on stack replacement at
    // each of its loops in turn (a short job's cost: session 25). The same operations in the same order.
    @Override
    public void step(double[][] values, int active) {
        if (laneDiag == null) allocate();
        if (elements == null) evaluate(active, r, jac);
        else {
            elements.ensure(active); // the block's gradient just took them here, or an accepted trial did
            r = elements.r(); // the kernel swaps rows' arrays in place: read them through these
            jac = elements.jac();
        }
        double ftol = settings.costTolerance();
        double xtol = settings.stepTolerance();
        double gtol = settings.gradTolerance();
        int left = 0;
        for (int p = 0; p < active; p++) if (begin(p, values, gtol)) left++;
        double[] cost = tape.valueBuffer(costNode);
        // A probe starts by trial TRIALS - 1 and takes at most PROBES more: it always ends within this
        // iteration, so no probe state outlives step() (BlockRun moves lanes between steps).
        for (int trial = 0; trial < TRIALS + PROBES && left > 0; trial++) {
            for (int p = 0; p < active; p++) if (trying[p] && !offer(p, trial, values)) left--;
            if (left == 0) break;
            if (elements == null) tape.forwardTo(costNode);
            else {
                int count = 0;
                for (int p = 0; p < active; p++) if (trying[p]) rows[count++] = p;
                elements.costs(rows, count);
            }
            for (int p = 0; p < active; p++) {
                if (trying[p] && judge(p, cost[p], values, ftol, xtol)) {
                    trying[p] = false;
                    left--;
                }
            }
        }
        for (int p = 0; p < active; p++) if (trying[p]) stay(p, values); // no step accepted this iteration
    }

    /**
     * Lane p at the start of an iteration: its point, ||r||, the scaling, the gtol cosine and ||J'r||, on
     * its first iteration its radius; the gtol test. Returns whether it tries steps this iteration.
     */
    private boolean begin(int p, double[][] values, double gtol) {
        factored[p] = false;
        for (int k = 0; k < m; k++) x0[k][p] = values[k][p];
        double[] rp = r[p];
        double fn = 0;
        for (int i = 0; i < n; i++) fn += rp[i] * rp[i];
        fnorm[p] = Math.sqrt(fn);
        boolean fresh = lm.stage(p) == 0;
        columns(p, fresh);
        if (fresh) {
            double xn = scaledNorm(x0, p);
            lm.xnorm(p, xn);
            lm.fnorm0(p, fnorm[p]);
            lm.xmax0(p, maxAbs(x0, p));
            lm.delta(p, xn == 0 ? lm.factor(p) : lm.factor(p) * xn);
            lm.stage(p, 1);
        }
        if (gtol > 0 && gnorm[p] <= gtol) {
            if (inRange(range(p), n)) {
                lm.converged(p, LevenbergMarquardt.GTOL); // lmder's info 4: stays put, ends at the next judgement
                trying[p] = false;
                return false;
            }
            probe(p, LevenbergMarquardt.GTOL); // r lies partly in J's range: probe along the Gauss-Newton step
        }
        trying[p] = true;
        return true;
    }

    /** Lane p's columns of J: the scaling from their norms, lmder's gtol cosine into gnorm and ||J'r|| into jtr. */
    private void columns(int p, boolean fresh) {
        double[] rp = r[p];
        double[] jp = jac[p];
        double g = 0;
        double jtrSq = 0;
        for (int k = 0; k < m; k++) {
            double c = 0;
            double jr = 0;
            for (int i = 0, at = k * n; i < n; i++) {
                c += jp[at + i] * jp[at + i];
                jr += jp[at + i] * rp[i];
            }
            c = Math.sqrt(c);
            jtrSq += jr * jr;
            lm.scale(k, p, c, fresh);
            if (c != 0 && fnorm[p] != 0) g = Math.max(g, Math.abs(jr / fnorm[p]) / c);
        }
        gnorm[p] = g;
        jtr[p] = Math.sqrt(jtrSq);
    }

    /**
     * Lane p's trial number {@code trial}: its step proposed and its trial point put in {@code values}, or,
     * its {@link #TRIALS} spent (and no probe on), back to its iterate: returns false then (it stops trying).
     */
    private boolean offer(int p, int trial, double[][] values) {
        if (trial >= TRIALS && !probing[p]) {
            trying[p] = false; // its TRIALS are spent: it stays where it is this iteration
            stay(p, values);
            return false;
        }
        propose(p);
        for (int k = 0; k < m; k++) values[k][p] = dtype.round(x0[k][p] + step[k][p]);
        return true;
    }

    /** Lane p back at its iterate. */
    private void stay(int p, double[][] values) {
        for (int k = 0; k < m; k++) values[k][p] = x0[k][p];
    }

    /** Lane p's next trial step from its radius: lmpar, into {@code step}. */
    private void propose(int p) {
        if (probing[p]) {
            double pn = 0;
            for (int k = 0; k < m; k++) {
                step[k][p] = dtype.round(probeScale[p] * probeStep[k][p]);
                pn += (lm.diag(k, p) * step[k][p]) * (lm.diag(k, p) * step[k][p]);
            }
            pnorm[p] = Math.sqrt(pn);
            return;
        }
        double[] laneJac = jac[p];
        for (int k = 0; k < m; k++) laneDiag[k] = lm.diag(k, p);
        double par;
        if (!sub.keepsLanes()) par = sub.solve(laneJac, r[p], laneDiag, lm.delta(p), lm.par(p));
        else {
            // J and r are the iterate's for every trial of this iteration: factor them at its first
            if (factored[p]) sub.restore(p);
            else {
                sub.factor(laneJac, r[p]);
                sub.keep(p);
                factored[p] = true;
            }
            par = sub.solveFactored(laneJac, r[p], laneDiag, lm.delta(p), lm.par(p));
        }
        lm.par(p, par);
        double[] s = sub.step();
        double pn = 0;
        for (int k = 0; k < m; k++) {
            step[k][p] = s[k];
            pn += (laneDiag[k] * s[k]) * (laneDiag[k] * s[k]);
        }
        pn = Math.sqrt(pn);
        pnorm[p] = pn;
        if (lm.stage(p) == 1) lm.delta(p, Math.min(lm.delta(p), pn)); // lmder: on the first iteration, fit the bound to the step
        double js = squaredNorm(laneJac, s);
        double[] pd = predicted(js, par, pn, fnorm[p]);
        prered[p] = pd[0];
        dirder[p] = pd[1];
    }

    /** {@code ||J s||^2}. */
    private double squaredNorm(double[] laneJac, double[] s) {
        double js = 0;
        for (int i = 0; i < n; i++) {
            double v = 0;
            for (int k = 0; k < m; k++) v += laneJac[k * n + i] * s[k];
            js += v * v;
        }
        return js;
    }

    /**
     * The linear model's predicted fall, relative to ||r||^2, {@code ||J s||^2 + 2 par ||D s||^2}, and
     * lmder's directional derivative: {@code {prered, dirder}} from {@code js = ||J s||^2}.
     */
    static double[] predicted(double js, double par, double pnorm, double fnorm) {
        double temp1 = fnorm == 0 ? 0 : Math.sqrt(js) / fnorm;
        double temp2 = fnorm == 0 ? 0 : Math.sqrt(par) * pnorm / fnorm;
        return new double[] {temp1 * temp1 + temp2 * temp2 / 0.5, -(temp1 * temp1 + temp2 * temp2)};
    }

    /**
     * Lane p's trial, whose sum of squares is {@code cost}: lmder's ratio, radius update,
     * acceptance and ftol/xtol tests. Returns whether the lane is done trying this iteration.
     */
    private boolean judge(int p, double cost, double[][] values, double ftol, double xtol) {
        double fn = fnorm[p];
        if (probing[p]) {
            if (probeLowers(cost, fn, n)) {
                probing[p] = false;
                for (int k = 0; k < m; k++) x0[k][p] = values[k][p];
                lm.xnorm(p, scaledNorm(x0, p));
                lm.stage(p, 2);
                probed(lm, p, pnorm[p]);
                return true;
            }
            for (int k = 0; k < m; k++) values[k][p] = x0[k][p];
            if (++probeCount[p] < PROBES) {
                probeScale[p] *= 0.1;
                return false;
            }
            probing[p] = false;
            lm.converged(p, probeHow[p]); // no step along it lowers the cost visibly: the fall was the model's, not the cost's
            return true;
        }
        double[] ar = radius(lm, p, cost, fn, prered[p], dirder[p], pnorm[p]);
        boolean accepted = ar[1] >= 1e-4 && cost < fn * fn;
        if (accepted) {
            for (int k = 0; k < m; k++) x0[k][p] = values[k][p];
            lm.xnorm(p, scaledNorm(x0, p));
            lm.stage(p, 2);
        }
        int how = tolerances(lm, p, cost, ar[0], ar[1], prered[p], ftol, xtol);
        int verdict = how == 0 ? MOVING : stationary(p);
        if (verdict == STATIONARY) {
            lm.converged(p, how);
            if (!accepted) for (int k = 0; k < m; k++) values[k][p] = x0[k][p];
            return true;
        }
        if (verdict == PROBE) {
            // Probe along the iterate's Gauss-Newton step, from the trial's point if it was taken (a
            // direction in which the cost falls visibly from there shows that point is no end either).
            probe(p, how);
            if (accepted) fnorm[p] = Math.sqrt(cost);
            for (int k = 0; k < m; k++) values[k][p] = x0[k][p];
            return false;
        }
        return accepted;
    }

    /** Lane p's next trial is the Gauss-Newton probe from its iterate; {@code how}, the test that ends it if the probe fails. */
    private void probe(int p, int how) {
        range(p); // the lane's factorisation, into angle
        angle.probe(laneProbe);
        for (int k = 0; k < m; k++) probeStep[k][p] = laneProbe[k];
        probing[p] = true;
        probeHow[p] = how;
        probeCount[p] = 0;
        probeScale[p] = 1;
    }

    /**
     * Whether a probe's sum of squares {@code cost} is below the iterate's {@code fn^2} by more than the
     * rounding of a sum of n squares ({@code n eps} of it): a fall the cost shows, so the iterate was not stationary.
     */
    static boolean probeLowers(double cost, double fn, double n) {
        return cost < fn * fn * (1 - n * EPS); // false for NaN
    }

    /**
     * After a probe lowered the cost: the radius at least twice the probe's scaled length and {@code par}
     * 0, as lmder after a step whose ratio was at least 0.75 (the probe's own step was the Gauss-Newton one).
     */
    static void probed(LevenbergMarquardt lm, int p, double pnorm) {
        lm.delta(p, Math.max(lm.delta(p), pnorm / 0.5));
        lm.par(p, 0);
    }

    /**
     * Whether lane p, whose ftol or xtol test just passed, is where those tests may end it: its
     * residuals at the rounding of unit-sized terms, or r orthogonal to J's columns to {@value #COSINE} (MINPACK's gtol measure,
     * blind to the parameters' units), or its gradient J'r small against its sum of squares
     * (||J'r|| <= {@value #FLAT} ||r||^2, which sees a row whose columns of J vanish; for a lane that ran
     * away, its largest |x_k| past {@value #RUNAWAY} times its start's, only at {@value #COSINE}), or, with
     * its largest |x_k| within that, its residuals at most {@value #NEGLIGIBLE} of its start's or its cosine
     * c at most sqrt(n eps) (see {@link #roundingCosine}); for all but the zero-residual and run-away
     * cases, r's angle with J's range at most {@link #RANGE_BOUND}, else {@link #PROBE}. Otherwise the tests only say the steps
     * became small, as they do on a valley that runs to infinity with the cost falling to an asymptote (Beale from
     * 10x its start): the lane goes on, and ends MAX_STEPS if it never gets there.
     */
    private int stationary(int p) {
        return stationary(lm, p, fnorm[p], n, gnorm[p], jtr[p], maxAbs(x0, p), () -> range(p));
    }

    /** {@link RangeAngle} of lane p at its iterate (the r and J this iteration began with). */
    private double range(int p) {
        if (angle == null) {
            angle = new RangeAngle(m);
            laneJtj = new double[m][m];
            laneJtr = new double[m];
        }
        double[] rp = r[p];
        double[] jp = jac[p];
        for (int k = 0; k < m; k++) {
            double jr = 0;
            for (int i = 0; i < n; i++) jr += jp[k * n + i] * rp[i];
            laneJtr[k] = jr;
            for (int l = 0; l <= k; l++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += jp[k * n + i] * jp[l * n + i];
                laneJtj[k][l] = s;
                laneJtj[l][k] = s;
            }
        }
        return angle.of(laneJtj, laneJtr, fnorm[p]);
    }

    /** {@link #stationary(int)} from its figures: ||r||, the residual count, the gtol cosine, ||J'r||, the largest |x_k|. */
    static int stationary(LevenbergMarquardt lm, int p, double fn, double n, double gnorm, double jtr, double xmax,
                          java.util.function.DoubleSupplier range) {
        if (fn <= Math.sqrt(n) * ROUNDING) return STATIONARY;
        // A lane that ran away is judged by the gradient alone, at working precision: its start may be
        // so far off that 1e-12 of its ||r|| is large (Jennrich-Sampson 10x unscaled starts at ||r||
        // 2.4e17 and ended CONVERGED at ||r|| 1.2e5 with cosine 0.999), and a valley to infinity shows
        // itself so. Bard's columns vanish in float64 as x2, x3 grow (||J'r|| / ||r||^2 = 1e-16 at its
        // published end 17.43); Beale's valley, with jac_scaling = 0.5, reaches x1 = -4e6, where
        // ||J'r|| / ||r||^2 is 3.7e-4 and the cosine 7.6e-8: still falling toward its infimum, not an end.
        boolean ranAway = xmax >= RUNAWAY * Math.max(1, lm.xmax0(p));
        boolean small = gnorm <= COSINE || jtr <= (ranAway ? COSINE : FLAT) * fn * fn;
        if (ranAway) return small ? STATIONARY : MOVING;
        if (fn <= NEGLIGIBLE * lm.fnorm0(p)) return STATIONARY;
        if (!small && !(gnorm <= roundingCosine(n))) return MOVING;
        // The cosine sees one column at a time, ||J'r|| the gradient's size: neither sees r's component
        // along the difference of two nearly parallel columns (NIST MGH17, two exponentials that nearly
        // cancel: cosines 4e-9, r's angle with J's range 0.09 by the floored measure, 0.55 in exact arithmetic).
        return inRange(range.getAsDouble(), n) ? STATIONARY : PROBE;
    }

    /**
     * Whether r's component in J's range, {@code range = ||P r|| / ||r||} ({@link RangeAngle}), is at most
     * {@link #RANGE_BOUND}: the Gauss-Newton step then promises a relative fall of at most sqrt(eps).
     */
    static boolean inRange(double range, double n) {
        return range <= RANGE_BOUND; // false for NaN
    }

    /**
     * The largest {@code ||P r|| / ||r||} of a lane that the xtol, ftol and gtol allowances may end without a
     * probe: eps^(1/4) = 2^-13, a promised relative fall of sqrt(eps). At scipy trf's ends from NIST's second
     * starts it is at most 4.5e-7 (Lanczos3, whose J the floor of J^T J barely resolves; Lanczos1's
     * zero-residual fit, 6.8e-4, ends by its residuals' size), and at the ends of this engine's lm on the
     * NIST and MGH corpora at most 4.5e-7, except where J is singular at a minimum whose residuals are not
     * small (Freudenstein-Roth's 48.98, Jennrich-Sampson, Chebyquad 8, Biggs EXP6's local minimum: 0.01 to
     * 0.2). There the Gauss-Newton model leaves out the residuals' own curvature and its promise is
     * false: the probe finds no fall and the lane ends where it did. At Trigonometric's minimum (cost 2.8e-5,
     * angle about 1) a probe did find a fall of about 1e-12 of the cost, and the lane went on to end lower.
     */
    static final double RANGE_BOUND = 0x1p-13;

    /**
     * The largest cosine c between r and a column of J at which a lane may still be stationary at
     * working precision: sqrt(n eps) for n residuals. The best step along column k lowers ||r||^2 by
     * c_k^2 ||r||^2 (to first order), and the computed sum of n squares carries a rounding error of up to
     * about n eps of itself: with c^2 <= n eps no step the cosine promises can show in the cost, so
     * the steps that ftol and xtol found too small to matter are so. lmder's own gtol guard,
     * {@link #COSINE} = sqrt(eps), is the case n = 1. (Until session 23 this was 1e-2, which let a
     * row end CONVERGED where a relative fall of 1e-4 was still on offer; NIST's MGH10 start 1 with
     * jac_scaling = 1 ends at cosine 4.0e-8, within sqrt(16 eps) = 6.0e-8.)
     */
    static double roundingCosine(double n) {
        return Math.sqrt(n * EPS);
    }

    /**
     * lmder's ratio of actual to predicted fall of a trial whose sum of squares is {@code cost}
     * (from {@code ||r|| = fn}), and its update of lane p's radius and {@code par}: returns
     * {@code {actred, ratio}}.
     */
    static double[] radius(LevenbergMarquardt lm, int p, double cost, double fn, double prered, double dirder, double pnorm) {
        double fnorm1 = Math.sqrt(cost); // NaN stays NaN: then actred = -1, a rejection
        double actred = 0.1 * fnorm1 < fn ? 1 - (fnorm1 / fn) * (fnorm1 / fn) : -1;
        double ratio = prered != 0 ? actred / prered : 0;
        double delta = lm.delta(p);
        double par = lm.par(p);
        if (ratio <= 0.25) {
            double temp = actred >= 0 ? 0.5 : 0.5 * dirder / (dirder + 0.5 * actred);
            if (0.1 * fnorm1 >= fn || temp < 0.1 || !(temp == temp)) temp = 0.1;
            delta = temp * Math.min(delta, pnorm / 0.1);
            par = par / temp;
        } else if (par == 0 || ratio >= 0.75) {
            delta = pnorm / 0.5;
            par = 0.5 * par;
        }
        lm.delta(p, delta);
        lm.par(p, par);
        return new double[] {actred, ratio};
    }

    /**
     * lmder's ftol and xtol tests after a trial (lane p's xnorm already that of its accepted point):
     * {@link LevenbergMarquardt#FTOL}, {@link LevenbergMarquardt#XTOL}, both, or 0. A trial whose sum
     * of squares overflowed says nothing about convergence: only the radius shrank (MINPACK would
     * let xtol pass there, and end the lane "converged" where it is stuck).
     */
    static int tolerances(LevenbergMarquardt lm, int p, double cost, double actred, double ratio, double prered,
                          double ftol, double xtol) {
        if (!(cost < Double.POSITIVE_INFINITY)) return 0;
        int how = 0;
        if (ftol > 0 && Math.abs(actred) <= ftol && prered <= ftol && 0.5 * ratio <= 1) how |= LevenbergMarquardt.FTOL;
        if (xtol > 0 && lm.delta(p) <= xtol * lm.xnorm(p)) how |= LevenbergMarquardt.XTOL;
        return how;
    }

    /** {@link #stationary}'s verdicts: still moving; stationary; stationary but for r's component in J's range (probe it). */
    static final int MOVING = 0;
    static final int STATIONARY = 1;
    static final int PROBE = 2;

    /** Trials along the probe's direction, each a tenth of the one before, before its iterate counts as stationary. */
    static final int PROBES = 20;

    /** How far the largest |x_k| must have grown past its start (or 1) for a lane to be running away. */
    static final double RUNAWAY = 1e4;

    /** The spacing of doubles at 1. */
    static final double EPS = 0x1p-52;

    /** MINPACK's gtol measure (the largest cosine between r and a column of J) of a stationary row: sqrt(eps). */
    static final double COSINE = 1.4901161193847656e-8;

    /** ||r|| this small a fraction of the start's is a zero-residual fit (cost 1e-24 of the start's). */
    static final double NEGLIGIBLE = 1e-12;
    /** Residuals of unit-sized terms at their rounding (a few ulp of 1). */
    static final double ROUNDING = 1e-15;
    /** The largest ||J'r|| / ||r||^2 of a row that may end by ftol or xtol. */
    static final double FLAT = 1e-3;

    private double maxAbs(double[][] x, int p) {
        double a = 0;
        for (int k = 0; k < m; k++) a = Math.max(a, Math.abs(x[k][p]));
        return a;
    }

    private double scaledNorm(double[][] x, int p) {
        double sum = 0;
        for (int k = 0; k < m; k++) sum += (lm.diag(k, p) * x[k][p]) * (lm.diag(k, p) * x[k][p]);
        return Math.sqrt(sum);
    }

    @Override
    public String divergence(int p, double cost, double gradNorm) {
        return null; // a sum of squares is bounded below, and a step that does not lower it is refused
    }

    @Override
    public boolean ownsConvergence() {
        return true;
    }

    @Override
    public boolean converged(int p) {
        return lm.converged(p) != LevenbergMarquardt.RUNNING;
    }
}
