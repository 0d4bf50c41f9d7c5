package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Trust-region Newton, one problem per lane: the settings and the per-lane state of
 * {@code optimizer = trust} (the radius, the diagonal scaling D from the Hessian's diagonal, never
 * decreasing, and the lane's convergence). The step needs each lane's exact Hessian and its cost at
 * trial points, so the block solver runs it ({@code tapeline.engine.solve.TrustStep}); this class
 * has no first-order update and refuses {@link #applyGradients}.
 *
 * <p>Arguments: {@code factor} (default 1, as scipy's {@code trf}: the first radius is
 * {@code factor * ||D x||}, or {@code factor} when that is 0; it may be a per-row column; lm's
 * MINPACK default of 100 lets the first trials of an exact-Hessian model jump into another basin) and
 * {@code hess_scaling} (default false: D = 1, the scaling of scipy's {@code trf} ({@code x_scale = 1})
 * and {@code trust-exact}; true: D is {@code sqrt(|H_kk|)}, never decreasing, MINPACK's
 * {@code mode = 1} with the Hessian's diagonal in place of the Jacobian's column norms). The default
 * is D = 1 because the exact Hessian's diagonal is no bounded scaling, which the convergence theory of
 * scaled trust regions needs (Nocedal-Wright 4.5; Conn-Gould-Toint 6.7, the norms uniformly
 * equivalent: D's entries within fixed positive bounds): where a variable has next to no curvature at the start its D is next to 0 and its
 * first steps are huge (MGH Biggs EXP6 100x: D_4 = 3e-9, x4 jumped from 100 to -1.35e6), and a
 * transient curvature, never forgotten, freezes a variable (Meyer 100x: D_1 grew to 5e37 while x1
 * passed 1e-33, and x1 could then move 1e-31 a step). Column norms of a Jacobian (lmder) stay bounded
 * on a bounded level set; the residual-curvature term of a Hessian's diagonal does not.
 *
 * <pre>{@code
 * BlockSolver s = new BlockSolver(cost, vars, inputs, "trust", Map.of(), new SolverSettings(200, 1e-10, 0), DType.FLOAT64);
 * }</pre>
 */
public final class TrustRegion extends Optimizer {
    private static final long serialVersionUID = 1L;

    /** The optimizer's config name. */
    public static final String NAME = "trust";

    private final Hyper factor;
    private final boolean hessScaling;
    private double[] delta;
    /** 0 before the lane's scaling and radius were set, 1 after. */
    private double[] stage;
    private double[] converged;
    /** The scaled length of the lane's last accepted step (+inf before its first). */
    private double[] lastStep;
    private double[][] diag;

    public TrustRegion(Arguments args, DType dtype) {
        super(args, dtype, 1.0);
        factor = hyper("factor", 1, Arguments.Range.POSITIVE);
        hessScaling = args.flag("hess_scaling", false);
        for (String h : new String[] {"learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}) {
            if (args.has(h)) args.problem("optimizer trust does not take " + h + ": its step comes from a trust region on the Hessian");
        }
        if (args.schedule() != null) args.problem("optimizer trust takes no learning-rate schedule");
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        delta = newLaneState();
        stage = newLaneState();
        converged = newLaneState();
        lastStep = newLaneState();
        diag = new double[slots][];
        for (int k = 0; k < slots; k++) diag[k] = newLaneState();
    }

    @Override
    protected void update(int slot, double[] w, double[] g, int n, long t) {
        throw new UnsupportedOperationException("trust needs each lane's Hessian and cost: it runs in the block"
                + " solver (optimizer = trust in a sweep), not through applyGradients");
    }

    /** Lane p's initial radius factor. */
    public double factor(int p) { return factor.at(p); }
    /** Whether D follows the Hessian's diagonal ({@code hess_scaling}, default false: D = 1). */
    public boolean hessScaling() { return hessScaling; }
    /** Lane p's trust-region radius, in the scaled variables D x. */
    public double delta(int p) { return delta[p]; }
    public void delta(int p, double v) { delta[p] = v; }
    /** Lane p's stage: 0 before its scaling and radius were set, 1 after. */
    public int stage(int p) { return (int) stage[p]; }
    public void stage(int p, int v) { stage[p] = v; }
    /** Whether lane p passed the convergence tests at its last evaluation. */
    public boolean converged(int p) { return converged[p] != 0; }
    public void converged(int p, boolean v) { converged[p] = v ? 1 : 0; }
    /** The length of lane p's last accepted step (unscaled, as {@code tolerance.step} reads it). */
    public double lastStep(int p) { return lastStep[p]; }
    public void lastStep(int p, double v) { lastStep[p] = v; }
    /** Lane p's scaling of slot k. */
    public double diag(int k, int p) { return diag[k][p]; }
    public void diag(int k, int p, double v) { diag[k][p] = v; }
}
