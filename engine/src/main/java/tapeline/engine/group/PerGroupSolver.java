package tapeline.engine.group;

import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.TrainLoop;
import tapeline.engine.train.TrainState;

/**
 * The reference group solver: for each group in turn, {@link TrainLoop#run} with its pass a
 * {@link GradientAggregator} over the group's rows {@code [from, to)} alone. So a group's fit is, by
 * construction, the one {@code job = train} makes on those rows in that order as one bucket. Simple
 * and slow for small groups: every evaluation pays a pass's and the optimizer's fixed costs;
 * {@link BatchedGroupSolver} gives the same bits faster.
 *
 * <pre>{@code
 * GroupFit[] fits = new PerGroupSolver().solve(problem, block);
 * }</pre>
 */
public final class PerGroupSolver implements GroupSolver {

    @Override
    public GroupFit[] solve(GroupProblem problem, GroupBlock block) {
        GroupFit[] out = new GroupFit[block.groups()];
        for (int g = 0; g < out.length; g++) out[g] = solveOne(problem, block, g);
        return out;
    }

    /** Group g alone; its exceptions become its fit. */
    static GroupFit solveOne(GroupProblem problem, GroupBlock block, int g) {
        int from = block.from(g);
        int to = block.to(g);
        TrainState start;
        try {
            start = problem.start().start();
        } catch (RuntimeException e) {
            return invalid(new double[0], "the start failed: " + describe(e));
        }
        if (to == from) return invalid(start.params(), "the group has no rows");
        double[][] columns = block.columns();
        TrainLoop.Settings s = withoutCheckpoints(problem.settings());
        boolean hessian = start.optimizer() instanceof tapeline.engine.optim.Newton;
        try {
            TrainLoop.TrainResult r = TrainLoop.run(start, s, new GroupPass(problem, hessian, columns, from, to),
                    TrainLoop.Listener.NONE, state -> {});
            return fit(r);
        } catch (Exception e) {
            return invalid(start.params(), describe(e));
        }
    }

    /** One group's rows as a train pass: gradient sums, or least-squares sums for lm. */
    private record GroupPass(GroupProblem problem, boolean hessian, double[][] columns, int from, int to)
            implements TrainLoop.GradientPass, TrainLoop.JacobianPass {
        @Override
        public tapeline.engine.train.GradientSums pass(double[] params, int step) {
            return new GradientAggregator(problem.model(), hessian).add(params, columns, from, to).snapshot();
        }

        @Override
        public tapeline.engine.train.JacobianSums jacobianPass(double[] params, int step) {
            if (problem.residuals() == null) throw new IllegalStateException("optimizer lm needs residuals");
            return new tapeline.engine.train.JacobianAggregator(problem.residuals()).add(params, columns, from, to).snapshot();
        }
    }

    /** The settings with checkpointEvery 0: a group is never checkpointed. */
    static TrainLoop.Settings withoutCheckpoints(TrainLoop.Settings s) {
        return s.checkpointEvery() == 0 ? s
                : new TrainLoop.Settings(s.steps(), s.gradTolerance(), s.lossTolerance(), s.reduce(), 0, s.regularizer(),
                        s.stepTolerance());
    }

    /** A run's end as a group's fit. */
    static GroupFit fit(TrainLoop.TrainResult r) {
        TrainState st = r.state();
        var h = st.history();
        double loss = h.isEmpty() ? Double.NaN : h.get(h.size() - 1).loss();
        double gradNorm = h.isEmpty() ? Double.NaN : h.get(h.size() - 1).gradNorm();
        return new GroupFit(st.params(), loss, gradNorm, st.step(), r.passes(), r.status(), r.message());
    }

    static GroupFit invalid(double[] params, String why) {
        return new GroupFit(params, Double.NaN, Double.NaN, 0, 0, TrainLoop.Status.INVALID, why);
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
