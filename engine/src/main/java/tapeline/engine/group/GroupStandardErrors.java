package tapeline.engine.group;

import tapeline.engine.solve.StandardErrors;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums;
import tapeline.engine.train.JacobianAggregator;
import tapeline.engine.train.ParameterErrors;
import tapeline.engine.train.TrainLoop;

/**
 * Each group's standard errors and covariance ({@code stderr = true} with {@code group.by}): what
 * {@code job = train} computes for the group's rows alone, after the group's fit, by one more pass
 * over them at its parameters.
 *
 * <ul>
 *   <li>{@link StandardErrors.Kind#RESIDUALS}: the group's least-squares sums,
 *       {@code cov = (J^T J)^-1 RSS / (n - p)} ({@link ParameterErrors#fromResiduals});</li>
 *   <li>{@link StandardErrors.Kind#NLL}: the group's rows' summed Hessian, plus the regularization's
 *       as the objective adds it, {@code cov = H^-1} ({@link ParameterErrors#fromNll}).</li>
 * </ul>
 * An {@code INVALID} group gets none and no reason (it has no parameters); a {@code DIVERGED} one
 * none, with the reason (its parameters are not a fit), as the train job does.
 *
 * <pre>{@code
 * GroupFit[] fits = new BatchedGroupSolver().solve(problem, block);
 * ParameterErrors e = GroupStandardErrors.of(problem, StandardErrors.Kind.RESIDUALS, block, 0, fits[0]);
 * if (e != null && e.reason() == null) e.se()[0];
 * }</pre>
 */
public final class GroupStandardErrors {

    private GroupStandardErrors() {
    }

    /**
     * Group {@code g}'s standard errors at its fit, or null for an {@code INVALID} group (or
     * {@code kind} NONE). A pass that throws gives none, with its message as the reason.
     */
    public static ParameterErrors of(GroupProblem problem, StandardErrors.Kind kind, GroupBlock block, int g, GroupFit fit) {
        if (kind == StandardErrors.Kind.NONE || fit.status() == TrainLoop.Status.INVALID) return null;
        double[] x = fit.params();
        int p = x.length;
        if (fit.status() == TrainLoop.Status.DIVERGED) {
            return ParameterErrors.none(p, "the group DIVERGED: its parameters are not a fit");
        }
        int from = block.from(g);
        int to = block.to(g);
        try {
            if (kind == StandardErrors.Kind.RESIDUALS) {
                if (problem.residuals() == null) throw new IllegalStateException("standard errors from residuals need residuals");
                return ParameterErrors.fromResiduals(
                        new JacobianAggregator(problem.residuals()).add(x, block.columns(), from, to).snapshot());
            }
            GradientSums s = new GradientAggregator(problem.model(), true).add(x, block.columns(), from, to).snapshot();
            return ParameterErrors.fromNll(s.hessian(GradientSums.Reduce.SUM), problem.settings().regularizer(),
                    problem.settings().reduce(), to - from, x);
        } catch (RuntimeException e) {
            String m = e.getMessage();
            return ParameterErrors.none(p, "the standard errors' pass failed: " + (m == null ? e.getClass().getSimpleName() : m));
        }
    }

    /** {@link #of} for every group of the block, in order. */
    public static ParameterErrors[] of(GroupProblem problem, StandardErrors.Kind kind, GroupBlock block, GroupFit[] fits) {
        ParameterErrors[] out = new ParameterErrors[fits.length];
        for (int g = 0; g < fits.length; g++) out[g] = of(problem, kind, block, g, fits[g]);
        return out;
    }
}
