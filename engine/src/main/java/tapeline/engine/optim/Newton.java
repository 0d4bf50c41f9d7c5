package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * Damped Newton, one problem per lane: the settings and the per-lane state of
 * {@code optimizer = newton}. The step itself needs the lane's Hessian and its cost at trial
 * points, so the block solver runs it ({@code tapeline.engine.solve.NewtonStep}); this class has no
 * first-order update and refuses {@link #applyGradients}.
 *
 * <p>Arguments: {@code learning_rate} (default 1, in (0, 1]: the first trial step of the line
 * search, 1 being the full Newton step) and {@code armijo} (default 1e-4, in [0, 1): the sufficient
 * decrease constant c1 of the Armijo test {@code f(x + t d) <= f(x) + c1 t g.d}). Both may be
 * per-row columns. Keras's clipping and weight decay do not apply to Newton and are refused.
 *
 * <pre>{@code
 * BlockSolver s = new BlockSolver(cost, vars, inputs, "newton", Map.of(), new SolverSettings(50, 1e-9, 0), DType.FLOAT64);
 * }</pre>
 */
public final class Newton extends Optimizer {
    private static final long serialVersionUID = 1L;

    private final Hyper armijo;
    /** Per lane: consecutive steps that fell along non-positive curvature, and where that began. */
    private double[] streak;
    private double[] streakCost;
    private double[] streakGrad;

    public Newton(Arguments args, DType dtype) {
        super(args, dtype, 1.0);
        armijo = hyper("armijo", 1e-4, Arguments.Range.UNIT_OPEN);
        for (String h : new String[] {"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}) {
            if (args.has(h)) args.problem("optimizer newton does not take " + h + ": its step comes from the Hessian");
        }
        if (args.schedule() != null) args.problem("optimizer newton takes no learning-rate schedule");
        // Read again with Newton's range, (0, 1]: the first trial step. The range is what a per-row
        // column is checked against, so a row with 2 is INVALID, not the whole block.
        args.hyper("learning_rate", 1.0, Arguments.Range.UNIT_LEFT_OPEN);
        checkArguments();
    }

    @Override
    protected void build(int slots) {
        streak = newLaneState();
        streakCost = newLaneState();
        streakGrad = newLaneState();
    }

    @Override
    protected void update(int slot, double[] w, double[] g, int n, long t) {
        throw new UnsupportedOperationException("newton needs each lane's Hessian and cost: it runs in the block"
                + " solver (optimizer = newton in a sweep), not through applyGradients");
    }

    /** The first trial step of lane p's line search. */
    public double initialStep(int p) {
        return learningRate.at(p);
    }

    /** Lane p's Armijo constant c1. */
    public double armijo(int p) {
        return armijo.at(p);
    }

    /**
     * Records one accepted step of lane p: whether it fell along non-positive curvature. Returns
     * the length of the current streak of such steps.
     */
    public int track(int p, boolean fellAlongNonPositiveCurvature, double costBefore, double gradNormBefore) {
        if (!fellAlongNonPositiveCurvature) {
            streak[p] = 0;
            return 0;
        }
        if (streak[p] == 0) {
            streakCost[p] = costBefore;
            streakGrad[p] = gradNormBefore;
        }
        return (int) ++streak[p];
    }

    /** Lane p's current streak of steps that fell along non-positive curvature. */
    public int streak(int p) {
        return (int) streak[p];
    }

    /** The cost of lane p when its current streak began. */
    public double streakCost(int p) {
        return streakCost[p];
    }

    /** The gradient norm of lane p when its current streak began. */
    public double streakGradNorm(int p) {
        return streakGrad[p];
    }
}
