package tapeline.engine.solve;

import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.tape.DType;

/**
 * MINPACK's {@code lmder} for one problem whose Jacobian is never held, only its sums: the train
 * job's {@code optimizer = lm}, where the rows are spread over partitions and a pass returns
 * {@code r^T r}, {@code J^T r} and {@code J^T J}. The same rules as the sweep's per-row
 * {@link LmStep} (its scaling, radius and {@code par} updates, ftol/xtol/gtol tests and the
 * stationarity guard are the same static methods), and the same subproblem solver
 * ({@link LmSubproblem}, lmpar's iteration), given a square matrix {@code A} with
 * {@code A^T A = J^T J} and a vector {@code b} with {@code A^T b = J^T r} in place of J and r:
 * {@code ||A s + b||^2} differs from {@code ||J s + r||^2} by a constant, so the damped least-squares
 * problems, and their solutions, are the same. A and b come from the eigen-decomposition of
 * {@code J^T J} scaled to a unit diagonal, {@code C^-1 J^T J C^-1 = V L V^T} (C the columns' norms;
 * unscaled, a Jacobian whose columns differ by 1e6 in size would lose its small directions to the
 * rounding of the large ones): {@code A = L^1/2 V^T C}, {@code b = L^-1/2 V^T C^-1 J^T r} (0 along
 * a zero eigenvalue, where {@code J^T r} has no component either).
 *
 * <p>Forming {@code J^T J} squares J's condition number: a fit whose scaled J has a condition
 * number near 1e8 loses the accuracy of its steps (the steps, not the answer, which is where the
 * residuals' sum of squares is least and is judged by passes over the rows).
 *
 * <pre>{@code
 * LmNormalStep lm = new LmNormalStep(state, ftol, xtol, gtol, DType.FLOAT64);   // state: LevenbergMarquardt, one lane
 * if (!lm.iterate(x, sums...)) { double[] trial = lm.propose(); ...; lm.judge(trialRss) }
 * }</pre>
 */
public final class LmNormalStep {
    /** What {@link #judge} found. */
    public enum Trial {
        /** The trial lowered the sum of squares enough: it is the next iterate. */
        ACCEPTED,
        /** Refused; the radius shrank: propose again. */
        REJECTED,
        /** ftol or xtol passed at a stationary point: the run ends at the trial point if it was taken, else at the iterate. */
        CONVERGED_ACCEPTED,
        /** As CONVERGED_ACCEPTED, the trial refused: the run ends at the iterate. */
        CONVERGED_REJECTED
    }

    private final LevenbergMarquardt lm;
    private final double ftol;
    private final double xtol;
    private final double gtol;
    private final DType dtype;
    private final int m;
    private final LmSubproblem sub;
    private final RangeAngle angle;
    private final double[][] a;
    /** {@code a} column by column, as {@link LmSubproblem} takes it. */
    private final double[] aColumns;
    private final double[] b;
    private final double[] diag;
    private double[] x0;
    private double[][] jtj;
    private double fnorm;
    private double gnorm;
    private double jtrNorm;
    /** ||P r|| / ||r|| at the iterate ({@link RangeAngle}), from the subproblem's b. */
    private double range;
    /** Whether the next trial is the Gauss-Newton probe ({@link LmStep#PROBE}), and the test that ends the run if it fails. */
    private boolean probing;
    private int probeHow;
    private int probeCount;
    private double probeScale;
    private double[] probeDir;
    /** The trial just taken passed ftol or xtol with r partly in J's range: judge its point by a probe ({@code pendingHow} the tests). */
    private int pendingHow;
    private long residuals;
    private double pnorm;
    private double prered;
    private double dirder;
    private double[] trial;
    /** Whether {@code a} and {@code b} of this iterate were factored: once per iteration, for all its trials (lmder's order). */
    private boolean factored;

    /**
     * @param lm the state (radius, {@code par}, scaling): a {@link LevenbergMarquardt} built for one lane
     *           of {@code m} slots, the train run's optimizer, checkpointed with it
     */
    public LmNormalStep(LevenbergMarquardt lm, int m, double ftol, double xtol, double gtol, DType dtype) {
        this.lm = lm;
        this.m = m;
        this.ftol = ftol;
        this.xtol = xtol;
        this.gtol = gtol;
        this.dtype = dtype;
        sub = new LmSubproblem(m, m);
        angle = new RangeAngle(m);
        a = new double[m][m];
        aColumns = new double[m * m];
        b = new double[m];
        diag = new double[m];
    }

    /**
     * A new iterate {@code x} with its sums: the scaling (the columns' norms {@code sqrt((J^T J)_kk)},
     * never decreasing), on the first iterate the radius, and lmder's gtol test.
     *
     * @return true when gtol ends the run here (the largest cosine between r and a column of J at most gtol)
     */
    public boolean iterate(double[] x, double rss, double[] jtr, double[][] jtj, long residuals) {
        this.x0 = x.clone();
        this.jtj = jtj;
        this.residuals = residuals;
        fnorm = Math.sqrt(rss);
        boolean fresh = lm.stage(0) == 0;
        double g = 0;
        double sq = 0;
        for (int k = 0; k < m; k++) {
            double c = Math.sqrt(jtj[k][k]);
            sq += jtr[k] * jtr[k];
            lm.scale(k, 0, c, fresh);
            if (c != 0 && fnorm != 0) g = Math.max(g, Math.abs(jtr[k] / fnorm) / c);
        }
        gnorm = g;
        jtrNorm = Math.sqrt(sq);
        if (fresh) {
            double xn = scaledNorm(x0);
            lm.xnorm(0, xn);
            lm.fnorm0(0, fnorm);
            lm.xmax0(0, maxAbs(x0));
            lm.delta(0, xn == 0 ? lm.factor(0) : lm.factor(0) * xn);
            lm.stage(0, 1);
        }
        // With C the columns' norms and C^-1 J^T J C^-1 = V L V^T (unit diagonal: a badly scaled J
        // keeps its small directions): A = L^1/2 V^T C, b = L^-1/2 V^T C^-1 J^T r.
        angle.factor(jtj, jtr, a, b);
        factored = false;
        range = angle.angle(fnorm);
        probing = false;
        int pending = pendingHow;
        pendingHow = 0;
        if (pending != 0) {
            // As the sweep's LmStep: the tests passed at the trial that made this iterate; it ends here
            // unless r lies partly in J's range here and a probe along the Gauss-Newton step lowers the cost.
            if (LmStep.inRange(range, residuals)) {
                lm.converged(0, pending);
                return true;
            }
            startProbe(pending);
            return false;
        }
        if (gtol > 0 && g <= gtol) {
            if (LmStep.inRange(range, residuals)) {
                lm.converged(0, LevenbergMarquardt.GTOL);
                return true;
            }
            startProbe(LevenbergMarquardt.GTOL); // r lies partly in J's range: probe along the Gauss-Newton step
        }
        return false;
    }

    /** The next trial point from the current radius (lmpar), rounded to the dtype. */
    public double[] propose() {
        for (int k = 0; k < m; k++) diag[k] = lm.diag(k, 0);
        if (probing) {
            double[] s = new double[m];
            for (int k = 0; k < m; k++) s[k] = dtype.round(probeScale * probeDir[k]);
            double pn = 0;
            for (int k = 0; k < m; k++) pn += (diag[k] * s[k]) * (diag[k] * s[k]);
            pnorm = Math.sqrt(pn);
            trial = new double[m];
            for (int k = 0; k < m; k++) trial[k] = dtype.round(x0[k] + s[k]);
            return trial.clone();
        }
        if (!factored) {
            LmSubproblem.columns(a, aColumns);
            sub.factor(aColumns, b);
            factored = true;
        }
        double par = sub.solveFactored(aColumns, b, diag, lm.delta(0), lm.par(0));
        lm.par(0, par);
        double[] s = sub.step();
        double pn = 0;
        for (int k = 0; k < m; k++) pn += (diag[k] * s[k]) * (diag[k] * s[k]);
        pn = Math.sqrt(pn);
        pnorm = pn;
        if (lm.stage(0) == 1) lm.delta(0, Math.min(lm.delta(0), pn));
        double js = 0; // ||J s||^2 = s' J'J s
        for (int i = 0; i < m; i++) {
            double v = 0;
            for (int k = 0; k < m; k++) v += jtj[i][k] * s[k];
            js += s[i] * v;
        }
        double[] pd = LmStep.predicted(Math.max(0, js), par, pn, fnorm);
        prered = pd[0];
        dirder = pd[1];
        trial = new double[m];
        for (int k = 0; k < m; k++) trial[k] = dtype.round(x0[k] + s[k]);
        return trial.clone();
    }

    /** The trial's sum of squares: lmder's ratio test, radius update and ftol/xtol tests. */
    public Trial judge(double rss) {
        if (probing) {
            if (LmStep.probeLowers(rss, fnorm, residuals)) {
                probing = false;
                lm.xnorm(0, scaledNorm(trial));
                lm.stage(0, 2);
                LmStep.probed(lm, 0, pnorm);
                return Trial.ACCEPTED;
            }
            if (++probeCount < LmStep.PROBES) {
                probeScale *= 0.1;
                return Trial.REJECTED;
            }
            probing = false;
            lm.converged(0, probeHow); // no step along it lowers the cost visibly: the fall was the model's, not the cost's
            return Trial.CONVERGED_REJECTED;
        }
        double[] ar = LmStep.radius(lm, 0, rss, fnorm, prered, dirder, pnorm);
        boolean accepted = ar[1] >= 1e-4 && rss < fnorm * fnorm;
        double xmax = maxAbs(x0);
        if (accepted) {
            lm.xnorm(0, scaledNorm(trial));
            lm.stage(0, 2);
            xmax = maxAbs(trial);
        }
        int how = LmStep.tolerances(lm, 0, rss, ar[0], ar[1], prered, ftol, xtol);
        int verdict = how == 0 ? LmStep.MOVING : LmStep.stationary(lm, 0, fnorm, residuals, gnorm, jtrNorm, xmax, () -> range);
        if (verdict == LmStep.STATIONARY) {
            lm.converged(0, how);
            return accepted ? Trial.CONVERGED_ACCEPTED : Trial.CONVERGED_REJECTED;
        }
        if (verdict == LmStep.PROBE) {
            if (accepted) pendingHow = how;
            else startProbe(how);
        }
        return accepted ? Trial.ACCEPTED : Trial.REJECTED;
    }

    /** The next trials probe along the floored Gauss-Newton step from the iterate ({@link LmStep#PROBE}); {@code how} ends the run if none lowers the cost. */
    private void startProbe(int how) {
        probeDir = new double[m];
        angle.probe(probeDir);
        probing = true;
        probeHow = how;
        probeCount = 0;
        probeScale = 1;
    }

    /**
     * Whether the next trial is a probe along the Gauss-Newton step: its refusals do not count toward
     * the run's trials per step (a probe's at most {@value LmStep#PROBES} trials end in an acceptance or in
     * convergence, as they do within one iteration of a sweep row).
     */
    public boolean probing() {
        return probing;
    }

    /** Which tests ended the run ({@link LevenbergMarquardt#FTOL}, {@code XTOL}, {@code GTOL}, a sum), or 0. */
    public int converged() {
        return lm.converged(0);
    }

    private double scaledNorm(double[] x) {
        double sum = 0;
        for (int k = 0; k < m; k++) sum += (lm.diag(k, 0) * x[k]) * (lm.diag(k, 0) * x[k]);
        return Math.sqrt(sum);
    }

    private double maxAbs(double[] x) {
        double v = 0;
        for (double e : x) v = Math.max(v, Math.abs(e));
        return v;
    }
}
