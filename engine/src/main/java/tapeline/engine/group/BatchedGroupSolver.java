package tapeline.engine.group;

/**
 * Many groups solved together on one tape, with the same bits as {@link PerGroupSolver}.
 *
 * <p><b>For now</b> it solves group after group exactly as {@link PerGroupSolver} does (the same
 * results; none of the batching's speed): the API is fixed first so the job can be written against
 * it; the batched evaluation replaces this body behind the same signature.
 *
 * <pre>{@code
 * GroupFit[] fits = new BatchedGroupSolver().solve(problem, block);
 * }</pre>
 */
public final class BatchedGroupSolver implements GroupSolver {

    @Override
    public GroupFit[] solve(GroupProblem problem, GroupBlock block) {
        return new PerGroupSolver().solve(problem, block);
    }
}
