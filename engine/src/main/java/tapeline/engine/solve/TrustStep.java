package tapeline.engine.solve;

import tapeline.engine.optim.TrustRegion;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;

/**
 * One trust-region Newton iteration for every running lane of a block ({@code optimizer = trust}),
 * with the exact Hessian from the tape and each lane's own radius.
 *
 * <p>Per lane: the gradient g and Hessian H at its point, the scaling D (1 by default, as scipy's
 * {@code trf} and {@code trust-exact}: the Hessian's diagonal is no bounded scaling, see
 * {@link TrustRegion}; with {@code hess_scaling} MINPACK's rule on the first
 * iteration {@code D_k = sqrt(|H_kk|)}, 1 where that is 0, then never decreasing), and in the scaled
 * variables {@code u = D s} the model {@code m(u) = gh.u + u.Hh.u / 2} with {@code gh = D^-1 g},
 * {@code Hh = D^-1 H D^-1}. The subproblem {@code min m(u), ||u|| <= delta} is solved exactly
 * (Moré-Sorensen) through the eigen-decomposition {@code Hh = V diag(l) V^T} ({@link SymmetricEigen}):
 * with {@code a = V^T gh}, {@code u(lam) = -sum a_i / (l_i + lam) v_i}; the interior Newton step when
 * Hh is positive definite and it fits, else the root {@code lam > max(0, -l_min)} of
 * {@code ||u(lam)|| = delta} by safeguarded Newton on the secular equation
 * {@code 1/delta - 1/||u(lam)||}, and in the hard case (g orthogonal to l_min's eigenvectors, and
 * {@code ||u(-l_min)|| < delta}) {@code lam = -l_min} plus {@code tau v_min} to reach the boundary.
 * Before any of that, Moré-Sorensen's first test by the cheap factors: where {@code Hh = L D L'}
 * ({@link Ldl}) shows Hh positive definite with every eigenvalue above {@link Verdict#relativeZero} of
 * the largest, and its Newton step {@code -Hh^-1 gh} lies inside the radius, that step is the
 * subproblem's solution and the first trial, without the eigen-decomposition (the usual iteration
 * near a minimum); the decomposition is done only if that trial is refused (the radius then shrinks
 * below the step) or the factors cannot decide (indefinite, ill-conditioned, a step outside).
 * The eigen-decomposition is one Jacobi sweep series per lane per iteration and every trial radius
 * after it costs O(m) per secular iteration: on these small dense Hessians (a handful of parameters
 * per row) that is cheaper and more exact than Steihaug-CG, which pays off only when m is large and
 * H is applied without being formed.
 *
 * <p>Trials: the ratio {@code rho} of the actual to the predicted fall; {@code rho < 1/4} (or a
 * predicted fall that is not positive, or a
 * non-finite cost) shrinks the radius to a quarter of {@code min(delta, ||u||)}, {@code rho > 3/4}
 * with the step on the boundary doubles it (Nocedal-Wright Algorithm 4.1). A trial is taken where
 * the cost resolves the change ({@link NewtonAcceptance#byCost}) if it fell by more than the cost's
 * rounding and {@code rho >= }{@value #ETA}; near a stationary point, where the predicted and the
 * actual change are both within the cost's rounding and rho is noise, if the trial's gradient norm
 * fell by at least half of what the model predicts ({@link NewtonAcceptance#byModelGradient}),
 * the radius then unchanged (a ratio of noise shrank it to nothing, and the lane ended
 * {@code MAX_STEPS} a few ulps from the optimum). The lane never climbs by more than the cost's
 * rounding. All lanes try together, each trial one forward pass of the cost over the lanes still
 * trying (the whole tape's forward pass when a lane needs its trial's gradient); a lane with no
 * accepted step after {@value #TRIALS} trials stays where it is and goes on from its smaller radius
 * at the next iteration. The first radius is {@code factor * ||D x0||} (factor 1 by default, as
 * scipy's {@code trf}).
 *
 * <p>Convergence is only by the tolerances, tested at the lane's evaluated point
 * ({@link #converged}): the gradient norm at most {@code tolerance.grad} (where set) and the last
 * accepted step no longer than {@code tolerance.step} (where set; an iteration that accepted no step
 * fails it, unless the gradient test is set and passes and the radius allows no step longer than
 * {@code tolerance.step}, as lmder's xtol test on the radius), and the Hessian with no eigenvalue below {@code -}{@link Verdict#zero} (at a saddle the
 * tolerances may pass with a vanishing gradient, but a model step along the negative curvature still
 * falls, so the lane takes it). A lane whose radius collapses without progress, away from a point where those pass,
 * never ends CONVERGED: it runs to {@code MAX_STEPS} (or is DIVERGED by the block's rules).
 * At a saddle the model's negative curvature gives a step of length delta along it, so the lane
 * leaves; the verdict is computed at the end point as for every optimizer.
 */
final class TrustStep implements StepRule {
    private static final long serialVersionUID = 1L;

    /** Trial steps per lane per iteration before it waits for the next iteration. */
    static final int TRIALS = 20;
    /**
     * The smallest ratio of actual to predicted fall that accepts a step: scipy's trust-region
     * methods' 0.15 (Nocedal-Wright's eta in [0, 1/4)). With lmder's 1e-4 a first trial that fell by
     * a twentieth of its prediction was taken, and on exp3 it crossed into the basin of b < 0, whose
     * cost runs down a valley to infinity (31 of 2,000 bench rows ended MAX_STEPS there).
     */
    static final double ETA = 0.15;

    private final NewtonStep second;
    private final Tape tape;
    private final int costNode;
    private final int m;
    private final DType dtype;
    private final TrustRegion tr;
    private final SolverSettings settings;

    /** A lane's trial source this iteration: the eigen path, or the Newton step from the factors (untried, tried). */
    private static final byte EIGEN = 0;
    private static final byte FACTOR = 1;
    private static final byte FACTOR_REFUSED = 2;

    private transient double[][] x0;
    private transient double[] cost0;
    private transient double[][] lam;
    private transient double[][] a;
    private transient double[][][] vec;
    private transient double[] c;
    private transient double[] unorm;
    private transient double[] pred;
    private transient double[] modelGrad;
    private transient double[] norm0;
    private transient NewtonAcceptance.Judged[] judged;
    private transient boolean[] trying;
    private transient boolean[] accepted;
    private transient double[][] h;
    /** Lane p's scaled Hessian {@code D^-1 H D^-1} (kept for an eigen-decomposition after a refused factor step). */
    private transient double[][][] hs;
    /** Lane p's gradient, unscaled (the eigen path's projection divides by D as it always did). */
    private transient double[][] grad;
    /** Lane p's Newton step {@code u = -Hh^-1 gh} in the scaled variables, where the factors gave it. */
    private transient double[][] newton;
    private transient byte[] mode;
    private transient double[] gh;
    private transient SymmetricEigen eigen;
    private transient Ldl ldl;

    TrustStep(NewtonStep second, Tape tape, int costNode, int slots, DType dtype, TrustRegion tr, SolverSettings settings) {
        this.second = second;
        this.tape = tape;
        this.costNode = costNode;
        this.m = slots;
        this.dtype = dtype;
        this.tr = tr;
        this.settings = settings;
    }

    private void allocate() {
        int lanes = tape.lanes();
        x0 = new double[m][lanes];
        cost0 = new double[lanes];
        lam = new double[lanes][m];
        a = new double[lanes][m];
        vec = new double[lanes][m][m];
        c = new double[m];
        unorm = new double[lanes];
        pred = new double[lanes];
        modelGrad = new double[lanes];
        norm0 = new double[lanes];
        judged = new NewtonAcceptance.Judged[lanes];
        trying = new boolean[lanes];
        accepted = new boolean[lanes];
        h = new double[m][m];
        hs = new double[lanes][m][m];
        grad = new double[lanes][m];
        newton = new double[lanes][m];
        mode = new byte[lanes];
        gh = new double[m];
        eigen = new SymmetricEigen(m);
        ldl = new Ldl(m);
    }

    // The iteration is a short driver over lanes; each lane's work is a method of its own (prepare,
    // propose, judge, settle), so that the JIT compiles each once as an ordinary method rather than
    // recompiling one large on-stack-replaced loop whenever an inlined triangular loop trips a
    // profiled predicate (docs/jit.md). The arithmetic and its order are the same as in one loop.
    @Override
    public void step(double[][] values, int active) {
        if (x0 == null) allocate();
        second.evaluate();
        double[] cost = tape.valueBuffer(costNode);
        int left = 0;
        for (int p = 0; p < active; p++) {
            if (prepare(p, values, cost)) left++;
        }
        for (int trial = 0; trial < TRIALS && left > 0; trial++) {
            for (int p = 0; p < active; p++) {
                if (trying[p]) propose(p, values);
            }
            second.trialCosts(trying, active);
            boolean byGradient = false;
            for (int p = 0; p < active; p++) {
                if (trying[p]) byGradient |= judge(p, cost);
            }
            if (byGradient) second.trialGradients(trying, active); // only near a stationary point: the trials' gradients
            for (int p = 0; p < active; p++) {
                if (trying[p] && settle(p, cost, values)) left--;
            }
        }
        for (int p = 0; p < active; p++) {
            if (!accepted[p] && !tr.converged(p)) stay(p, values);
        }
    }

    /**
     * Lane p's start of an iteration: its point, gradient, scaling, first radius, the tolerance tests,
     * and the model its trials are drawn from. True when the lane tries steps this iteration.
     */
    private boolean prepare(int p, double[][] values, double[] cost) {
        double gtol = settings.gradTolerance();
        double stol = settings.stepTolerance();
        cost0[p] = cost[p];
        for (int k = 0; k < m; k++) x0[k][p] = values[k][p];
        norm0[p] = second.gradNorm(p);
        second.hessian(p, h);
        boolean fresh = tr.stage(p) == 0;
        scaling(p, fresh);
        if (fresh) {
            double xn = 0;
            for (int k = 0; k < m; k++) xn += (tr.diag(k, p) * x0[k][p]) * (tr.diag(k, p) * x0[k][p]);
            xn = Math.sqrt(xn);
            tr.delta(p, xn == 0 ? tr.factor(p) : tr.factor(p) * xn);
            tr.lastStep(p, Double.POSITIVE_INFINITY);
            tr.stage(p, 1);
        }
        trying[p] = false;
        tr.converged(p, false);
        double[][] matrix = hs[p];
        boolean finite = true;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                matrix[i][j] = h[i][j] / (tr.diag(i, p) * tr.diag(j, p));
                finite &= Double.isFinite(matrix[i][j]);
            }
        }
        for (int k = 0; k < m; k++) grad[p][k] = second.gradient(k, p);
        // The step test passes on the last accepted step, or, with the gradient test on and passed, on
        // the radius: no step in the region is longer than tolerance.step (MINPACK's xtol test is on
        // the radius, delta <= xtol ||D x||). At the precision limit no trial is accepted (the cost
        // cannot see the change, the gradient cannot halve), so a row at its minimiser with a gradient
        // of 1e-15 ran to MAX_STEPS on the last-step rule alone while its radius shrank to nothing.
        boolean gradOk = gtol > 0 && norm0[p] <= gtol;
        boolean tested = (gtol > 0 || stol > 0) && (gtol == 0 || gradOk)
                && (stol == 0 || tr.lastStep(p) <= stol || (gradOk && tr.delta(p) / smallestScale(tr, p, m) <= stol));
        if (!finite) {
            tr.converged(p, tested); // no model to trust: the lane stays (the block's rules end it)
            return false;
        }
        // The tolerances pass, and no direction of negative curvature leads down from here: a
        // saddle with a vanishing gradient is not where trust stops (the model's step leaves it).
        // Where the factors show every eigenvalue far above zero (the usual last iteration), the
        // eigen-decomposition would say so too and its step is not needed (Ldl#certainlyAboveZero).
        if (tested && ldl.certainlyAboveZero(matrix, Verdict.relativeZero(dtype))) {
            tr.converged(p, true);
            return false;
        }
        if (tested) {
            decompose(p);
            if (lam[p][0] >= -Verdict.zero(eigen, dtype)) {
                tr.converged(p, true); // stays put, ends at the next judgement
                return false;
            }
            mode[p] = EIGEN;
        } else if (factorStep(p)) {
            mode[p] = FACTOR; // Moré-Sorensen's first test: H positive definite and its Newton step inside
        } else {
            decompose(p);
            mode[p] = EIGEN;
        }
        trying[p] = true;
        accepted[p] = false;
        return true;
    }

    /** Lane p's scaling D from its Hessian's diagonal {@code h} (1 unless {@code hess_scaling}). */
    private void scaling(int p, boolean fresh) {
        for (int k = 0; k < m; k++) {
            double dk = Math.sqrt(Math.abs(h[k][k]));
            if (!tr.hessScaling() || !(dk > 0) || dk == Double.POSITIVE_INFINITY) dk = fresh || !tr.hessScaling() ? 1 : tr.diag(k, p);
            tr.diag(k, p, fresh ? dk : Math.max(tr.diag(k, p), dk));
        }
    }

    /**
     * The interior Newton step from {@code Hh = L D L'} where the factors show Hh positive definite
     * with every eigenvalue above {@link Verdict#relativeZero} of the largest (as Newton's direction
     * asks, {@link Ldl#aboveZero}) and the step {@code u = -Hh^-1 gh} lies inside the radius: the step
     * the eigen path takes there too (its {@code lam > 0} and {@code ||u|| <= delta} branch), to
     * rounding, for a tenth of the work. Its predicted fall {@code -(gh.u + u.Hh.u / 2)} and the
     * model's gradient {@code D (gh + Hh u)} (rounding: the model's minimiser) are computed from the
     * step itself. False (the eigen path decides) for an indefinite, singular or ill-conditioned Hh
     * and for a step outside the radius.
     */
    private boolean factorStep(int p) {
        double[][] matrix = hs[p];
        for (int k = 0; k < m; k++) gh[k] = grad[p][k] / tr.diag(k, p);
        double[] u = newton[p];
        double delta = tr.delta(p);
        if (!newtonInside(ldl, matrix, gh, delta, Verdict.relativeZero(dtype), u)) return false;
        double gu = 0;
        double uhu = 0;
        double mg = 0;
        double un = 0;
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0; j < m; j++) s += matrix[i][j] * u[j];
            gu += gh[i] * u[i];
            uhu += u[i] * s;
            un += u[i] * u[i];
            double r = (gh[i] + s) * tr.diag(i, p);
            mg += r * r;
        }
        pred[p] = -(gu + 0.5 * uhu);
        unorm[p] = Math.sqrt(un);
        modelGrad[p] = Math.sqrt(mg);
        return true;
    }

    /**
     * Moré-Sorensen's first test by the factors: whether {@code hh} factors as {@code L D L'} with every
     * eigenvalue above {@code rel} of the largest ({@link Ldl#aboveZero}, spare 1) and its Newton step
     * {@code u = -hh^-1 g} (into {@code u}) has {@code ||u|| <= delta}. False leaves {@code u} unspecified.
     */
    static boolean newtonInside(Ldl ldl, double[][] hh, double[] g, double delta, double rel, double[] u) {
        if (!ldl.aboveZero(hh, rel, 1)) return false;
        ldl.solveNegative(g, u);
        double un = 0;
        for (double x : u) un += x * x;
        return un <= delta * delta; // false for NaN
    }

    /** Lane p's scaled Hessian's eigen-decomposition and the scaled gradient's coordinates on it. */
    private void decompose(int p) {
        eigen.decompose(hs[p]);
        for (int i = 0; i < m; i++) {
            lam[p][i] = eigen.value(i);
            double proj = 0;
            for (int k = 0; k < m; k++) {
                vec[p][i][k] = eigen.vector(i, k);
                proj += eigen.vector(i, k) * grad[p][k] / tr.diag(k, p);
            }
            a[p][i] = proj;
        }
    }

    /** Lane p's trial point within its radius into {@code values}, with its predicted fall and model gradient. */
    private void propose(int p, double[][] values) {
        if (mode[p] == FACTOR) {
            mode[p] = FACTOR_REFUSED; // until settle takes it
            double[] u = newton[p];
            for (int k = 0; k < m; k++) values[k][p] = dtype.round(x0[k][p] + u[k] / tr.diag(k, p));
            return;
        }
        if (mode[p] == FACTOR_REFUSED) {
            // The Newton step was refused and the radius shrank below it: the boundary step needs the eigen path.
            decompose(p);
            mode[p] = EIGEN;
        }
        subproblem(lam[p], a[p], m, tr.delta(p), c);
        double pr = 0;
        double un = 0;
        for (int i = 0; i < m; i++) {
            pr -= a[p][i] * c[i] + 0.5 * lam[p][i] * c[i] * c[i];
            un += c[i] * c[i];
        }
        pred[p] = pr;
        unorm[p] = Math.sqrt(un);
        modelGrad[p] = modelGradient(p);
        for (int k = 0; k < m; k++) {
            double u = 0;
            for (int i = 0; i < m; i++) u += vec[p][i][k] * c[i];
            values[k][p] = dtype.round(x0[k][p] + u / tr.diag(k, p));
        }
    }

    /** The model's gradient at the eigen path's trial, {@code ||D V (a + l c)||}, for a trial the cost cannot judge. */
    private double modelGradient(int p) {
        double mg = 0;
        for (int k = 0; k < m; k++) {
            double gk = 0;
            for (int i = 0; i < m; i++) gk += vec[p][i][k] * (a[p][i] + lam[p][i] * c[i]);
            gk *= tr.diag(k, p);
            mg += gk * gk;
        }
        return Math.sqrt(mg);
    }

    /** The cost's verdict on lane p's trial; true when the trial's gradient must decide. */
    private boolean judge(int p, double[] cost) {
        // The ratio test where the cost resolves the change (a fall of at least ETA times the
        // predicted one, by more than the cost's rounding); the gradient where it cannot.
        // A cost of -inf fell without bound: taken, so that the block's rules end the lane DIVERGED.
        judged[p] = cost[p] == Double.NEGATIVE_INFINITY ? NewtonAcceptance.Judged.TAKE
                : NewtonAcceptance.byCost(cost0[p], cost[p], 1, -pred[p], ETA, dtype);
        return judged[p] == NewtonAcceptance.Judged.BY_GRADIENT;
    }

    /** Lane p's trial taken or refused, and its radius updated; true when the lane stops trying. */
    private boolean settle(int p, double[] cost, double[][] values) {
        double f = cost[p];
        // A prediction of no fall is the model failing in rounding (the exact subproblem's step
        // never predicts a rise): its rho says nothing, and the radius shrinks (trf's
        // update_tr_radius: ratio 0 when the predicted reduction is not positive). A rise over a
        // negative prediction gave rho > 0.75 and doubled the radius.
        double rho = pred[p] > 0 ? (cost0[p] - f) / pred[p] : Double.NaN;
        boolean take;
        if (judged[p] == NewtonAcceptance.Judged.BY_GRADIENT) {
            // The cost's change is rounding, so rho is noise: take the trial if the gradient norm
            // fell by at least half of what the model says, and then leave the radius as it is.
            take = NewtonAcceptance.byModelGradient(norm0[p], second.trialGradNorm(p), modelGrad[p]);
            rho = take ? 0.5 : Double.NaN;
        } else {
            take = judged[p] == NewtonAcceptance.Judged.TAKE;
        }
        double delta = tr.delta(p);
        if (!(rho >= 0.25)) delta = 0.25 * Math.min(delta, unorm[p]); // also NaN: a non-finite cost
        else if (rho > 0.75 && unorm[p] >= 0.99 * delta) delta = 2 * delta;
        tr.delta(p, delta);
        if (take) {
            double sn = 0;
            for (int k = 0; k < m; k++) {
                double s = values[k][p] - x0[k][p];
                sn += s * s;
            }
            tr.lastStep(p, Math.sqrt(sn));
            accepted[p] = true;
            trying[p] = false;
            return true;
        }
        if (!(delta > 0)) {
            trying[p] = false; // the radius underflowed: nothing smaller to try
            return true;
        }
        return false;
    }

    /** Lane p accepted no step this iteration: it stays, and the step test cannot pass on it. */
    private void stay(int p, double[][] values) {
        for (int k = 0; k < m; k++) values[k][p] = x0[k][p];
        tr.lastStep(p, Double.POSITIVE_INFINITY);
    }

    /**
     * The subproblem's solution within radius {@code delta}, from the scaled Hessian's ascending
     * eigenvalues {@code l} and the scaled gradient's coordinates {@code ap} on its eigenvectors, as
     * coefficients on those eigenvectors, into {@code c} (the eigen path).
     */
    static void subproblem(double[] l, double[] ap, int m, double delta, double[] c) {
        double lmin = l[0];
        double lmax = Math.max(Math.abs(l[0]), Math.abs(l[m - 1]));
        if (lmin > 0) {
            double n2 = 0;
            for (int i = 0; i < m; i++) n2 += (ap[i] / l[i]) * (ap[i] / l[i]);
            if (n2 <= delta * delta) { // the Newton step fits
                for (int i = 0; i < m; i++) c[i] = -ap[i] / l[i];
                return;
            }
        }
        double gn2 = 0;
        for (int i = 0; i < m; i++) gn2 += ap[i] * ap[i];
        double gn = Math.sqrt(gn2);
        double lo = Math.max(0, -lmin);
        if (lmin <= 0) {
            // The hard case: g has (next to) nothing along the eigenvectors of l_min, and the step at
            // lam = -l_min stays inside: go to the boundary along v_min.
            double gap = 1e-12 * Math.max(lmax, Double.MIN_NORMAL);
            double along = 0;
            double rest = 0;
            for (int i = 0; i < m; i++) {
                if (l[i] - lmin <= gap) along += ap[i] * ap[i];
                else rest += (ap[i] / (l[i] - lmin)) * (ap[i] / (l[i] - lmin));
            }
            if (along <= 1e-24 * gn2 && rest <= delta * delta) {
                for (int i = 0; i < m; i++) c[i] = l[i] - lmin <= gap ? 0 : -ap[i] / (l[i] - lmin);
                // tau v_min with the sign that lowers the model (Moré-Sorensen 1983, section 3: of the two
                // boundary points the one of smaller model value): the linear term a_0 tau <= 0. With +tau
                // always, a gradient with a small part along v_min gave a step the model says climbs (MGH
                // Meyer 100x: a predicted fall of -5.7e7 at every radius; the lane sat at one point to MAX_STEPS).
                c[0] = (ap[0] > 0 ? -1 : 1) * Math.sqrt(delta * delta - rest);
                return;
            }
        }
        // The root of ||u(lam)|| = delta in (lo, hi]: at hi = lo + ||gh|| / delta, ||u|| <= delta.
        double hi = lo + gn / delta;
        double lower = lo;
        double upper = hi;
        double x = hi;
        boolean root = false;
        for (int it = 0; it < 200; it++) {
            double s2 = 0;
            double q = 0;
            boolean pole = false;
            for (int i = 0; i < m; i++) {
                double den = l[i] + x;
                if (!(den > 0)) {
                    if (ap[i] != 0) pole = true;
                    continue;
                }
                double t = ap[i] / den;
                s2 += t * t;
                q += t * t / den;
            }
            double norm = Math.sqrt(s2);
            if (pole || norm > delta) lower = x;
            else upper = x;
            if (!pole && Math.abs(norm - delta) <= 1e-12 * delta) {
                root = true;
                break;
            }
            if (upper - lower <= 1e-15 * Math.max(upper, Double.MIN_NORMAL)) break;
            double next = pole || q == 0 ? Double.NaN : x + (s2 / q) * (norm - delta) / delta;
            x = next > lower && next < upper ? next : 0.5 * (lower + upper);
        }
        if (!root) x = upper; // the bracket closed first: its right end, where ||u|| <= delta
        for (int i = 0; i < m; i++) {
            double den = l[i] + x;
            c[i] = den > 0 ? -ap[i] / den : 0;
        }
    }

    @Override
    public String divergence(int p, double cost, double gradNorm) {
        return null; // a step that does not lower the cost is refused; an unbounded fall is the block's rule's
    }

    @Override
    public boolean ownsConvergence() {
        return true;
    }

    @Override
    public boolean converged(int p) {
        return tr.converged(p);
    }

    /** The smallest entry of lane p's scaling D: the longest step the radius allows is {@code delta / min D}. */
    private static double smallestScale(TrustRegion tr, int p, int m) {
        double dmin = Double.POSITIVE_INFINITY;
        for (int k = 0; k < m; k++) dmin = Math.min(dmin, tr.diag(k, p));
        return dmin;
    }
}
