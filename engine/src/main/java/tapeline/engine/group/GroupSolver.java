package tapeline.engine.group;

/**
 * Fits one model per group of rows. A group's trouble (a loss not finite at the start, no rows, an
 * exception while evaluating it) becomes that group's fit with its reason; the block's other groups go
 * on.
 *
 * <pre>{@code
 * GroupFit[] fits = new PerGroupSolver().solve(problem, new GroupBlock(columns, starts));
 * }</pre>
 */
public interface GroupSolver {
    /** One fit per group of {@code block}, in its order. */
    GroupFit[] solve(GroupProblem problem, GroupBlock block);
}
