package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Levenberg-Marquardt, one least-squares problem per lane: the settings and the per-lane state of
 * {@code optimizer = lm}, as MINPACK's {@code lmder} keeps them (the trust region's radius
 * {@code delta}, the Levenberg-Marquardt parameter {@code par}, the diagonal scaling {@code diag}
 * from the Jacobian's column norms, never decreasing, here to the power {@code jac_scaling}). The step needs each lane's residuals and
 * their Jacobian, so the block solver runs it ({@code tapeline.engine.solve.LmStep}); this class has
 * no first-order update and refuses {@link #applyGradients}.
 *
 * <p>Arguments: {@code factor} (default 100, as MINPACK's and scipy's: the first radius is
 * {@code factor * ||diag * x||}, or {@code factor} when that is 0; it may be a per-row column) and
 * {@code jac_scaling} (in [0, 1]: D_k is the largest norm of the Jacobian's column k met so far, to
 * that power; 1 (or true) is MINPACK's {@code mode = 1}, scipy's {@code x_scale='jac'}; 0 (or false)
 * is D = 1, MINPACK's {@code mode = 2} with unit {@code diag}, scipy's {@code x_scale=1}; 0.5 is their
 * geometric mean). Its default depends on the path: {@value #PER_ROW_JAC_SCALING} for per-row fits
 * (the block solver, {@code job = sweep}, which puts it in when the config gives none: MGH 95 of 105
 * against 93, NIST 54), 1 here and so for {@code job = train} and grouped train, whose step works from
 * the summed {@code J^T J} (J's condition number squared), where 0.5 misses NIST MGH17 start 1;
 * docs/curve-fitting.md gives the counts. A value given always wins.
 *
 * <pre>{@code
 * BlockSolver s = BlockSolver.leastSquares(residuals, vars, inputs, "lm", Map.of(),
 *         new SolverSettings(200, 1e-10, 1e-10, false, 1e-10), DType.FLOAT64);
 * }</pre>
 */
public final class LevenbergMarquardt extends Optimizer {
    private static final long serialVersionUID = 1L;

    /** The optimizer's config name. */
    public static final String NAME = "lm";

    /** The argument naming the power of the Jacobian's column norms in the scaling D. */
    public static final String JAC_SCALING = "jac_scaling";
    /**
     * {@link #JAC_SCALING}'s default for per-row fits (since session 24): D the square root of the
     * column norms. This class's own default, for {@code job = train}'s summed {@code J^T J}, stays 1.
     */
    public static final double PER_ROW_JAC_SCALING = 0.5;

    /** How a lane's tests ended it (in {@link #converged}): none yet. */
    public static final int RUNNING = 0;
    /** Ended by ftol ({@code tolerance.cost}). */
    public static final int FTOL = 1;
    /** Ended by xtol ({@code tolerance.step}). */
    public static final int XTOL = 2;
    /** Ended by gtol ({@code tolerance.grad}). */
    public static final int GTOL = 4;

    private final Hyper factor;
    /** The power of the Jacobian's column norms in D: 1 (the default; per-row fits 0.5) MINPACK's mode 1, 0 D = 1 (mode 2). */
    private final double jacScaling;
    private double[] delta;
    private double[] par;
    private double[] xnorm;
    /** 0 before the lane's scaling and radius were set, 1 until its first step was accepted (MINPACK's {@code iter == 1}), 2 after. */
    private double[] stage;
    private double[] converged;
    /** The lane's ||r|| at its start: the scale against which its residuals count as negligible. */
    private double[] fnorm0;
    /** The lane's largest |x_k| at its start: against it a valley that runs to infinity shows. */
    private double[] xmax0;
    private double[][] diag;

    public LevenbergMarquardt(Arguments args, DType dtype) {
        super(args, dtype, 1.0);
        factor = hyper("factor", 100, Arguments.Range.POSITIVE);
        jacScaling = args.number(JAC_SCALING, 1, Arguments.Range.UNIT_CLOSED); // per-row fits: the block solver gives 0.5
        for (String h : new String[] {"learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}) {
            if (args.has(h)) args.problem("optimizer lm does not take " + h + ": its step comes from a trust region on the residuals' Jacobian");
        }
        if (args.schedule() != null) args.problem("optimizer lm takes no learning-rate schedule");
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        delta = newLaneState();
        par = newLaneState();
        xnorm = newLaneState();
        stage = newLaneState();
        converged = newLaneState();
        fnorm0 = newLaneState();
        xmax0 = newLaneState();
        diag = new double[slots][];
        for (int k = 0; k < slots; k++) diag[k] = newLaneState();
    }

    @Override
    protected void update(int slot, double[] w, double[] g, int n, long t) {
        throw new UnsupportedOperationException("lm needs each lane's residuals and their Jacobian: it runs in the block"
                + " solver (optimizer = lm with residuals), not through applyGradients");
    }

    /** Lane p's initial step bound factor. */
    public double factor(int p) { return factor.at(p); }
    /** The power of the Jacobian's column norms in the scaling ({@code jac_scaling}: default 1, per-row fits 0.5). */
    public double jacScaling() { return jacScaling; }

    /**
     * Lane p's scaling of slot k at a new iterate whose Jacobian column k has norm {@code norm}:
     * {@code norm^jac_scaling} (1 for a zero column) on the lane's first iterate, after that the
     * largest such value met (MINPACK's {@code diag(j) = max(diag(j), wa2(j))}).
     */
    public void scale(int k, int p, double norm, boolean first) {
        double d;
        if (jacScaling == 0) d = 1;
        else if (jacScaling == 1) d = norm;
        else if (jacScaling == 0.5) d = Math.sqrt(norm); // sqrt, not pow: correctly rounded, the same bits everywhere
        else d = Math.pow(norm, jacScaling);
        if (first) diag[k][p] = d == 0 ? 1 : d;
        else diag[k][p] = Math.max(diag[k][p], d);
    }
    /** Lane p's trust-region radius. */
    public double delta(int p) { return delta[p]; }
    public void delta(int p, double v) { delta[p] = v; }
    /** Lane p's Levenberg-Marquardt parameter. */
    public double par(int p) { return par[p]; }
    public void par(int p, double v) { par[p] = v; }
    /** Lane p's {@code ||diag * x||} at its last accepted point. */
    public double xnorm(int p) { return xnorm[p]; }
    public void xnorm(int p, double v) { xnorm[p] = v; }
    /** Lane p's stage: 0 before its scaling and radius were set, 1 until its first step was accepted, 2 after. */
    public int stage(int p) { return (int) stage[p]; }
    public void stage(int p, int v) { stage[p] = v; }
    /** Which test ended lane p ({@link #FTOL}, {@link #XTOL}, {@link #GTOL} or a sum), or {@link #RUNNING}. */
    public int converged(int p) { return (int) converged[p]; }
    public void converged(int p, int how) { converged[p] = how; }
    /** Lane p's scaling of slot k. */
    public double fnorm0(int p) { return fnorm0[p]; }
    public void fnorm0(int p, double v) { fnorm0[p] = v; }

    public double xmax0(int p) { return xmax0[p]; }
    public void xmax0(int p, double v) { xmax0[p] = v; }

    public double diag(int k, int p) { return diag[k][p]; }
    public void diag(int k, int p, double v) { diag[k][p] = v; }
}
