package tapeline.engine.solve;

import java.io.Serializable;
import tapeline.engine.tape.HessianProgram;

/**
 * With the verdict on, a first-order optimizer's lanes are watched for an unbounded fall at every
 * check step (every {@value BlockRun#COST_EVERY} steps): the displacement s since the previous
 * check, and the curvature of the cost along it, {@code s'Hs / s's}, from one Hessian-vector
 * product for the whole block (about two gradients' work per check, and only when some lane's cost
 * fell while its gradient did not shrink). A lane whose cost fell, whose
 * gradient norm did not shrink and whose path had no positive curvature over {@value #CHECKS}
 * checks in a row, and fell over them by more than the size of the cost where that began
 * ({@link #bigFall}), is falling without bound: {@link LaneStatus#DIVERGED} then, with the numbers,
 * instead of at the end of its steps. A lane that converges slows down (its gradient shrinks) or
 * meets positive curvature, so it is rarely caught: a heuristic all the same, from what the path
 * shows. It can misjudge a cost whose basin is approached through a long concave stretch (a
 * narrow one-dimensional Gaussian well from far out) that falls by more than the cost's own size.
 */
final class CurvatureWatch implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Consecutive check intervals that make a fall unbounded. */
    static final int CHECKS = 4;

    private final HessianProgram hessian;
    private final int m;
    // Per lane position, moved with the lane (moveLane).
    private final double[][] previous;
    private final double[] previousCost;
    private final double[] previousGrad;
    private final boolean[] seen;
    private final int[] streak;
    private final double[] streakCost;
    private final double[] streakGrad;
    private final double[] curvature;
    private transient double[][] s;
    private transient double[][] hs;
    private transient boolean[] candidate;

    CurvatureWatch(HessianProgram hessian, int slots, int lanes) {
        this.hessian = hessian;
        this.m = slots;
        hessian.prepareHessianVectorProduct(); // recorded with the block, not when a lane first looks suspect
        previous = new double[slots][lanes];
        previousCost = new double[lanes];
        previousGrad = new double[lanes];
        seen = new boolean[lanes];
        streak = new int[lanes];
        streakCost = new double[lanes];
        streakGrad = new double[lanes];
        curvature = new double[lanes];
    }

    /**
     * Takes a check step's look at the first {@code active} lanes: their values, costs and gradient
     * norms. Returns whether it ran the Hessian-vector product (a forward and a reverse pass of the
     * tape: the caller then takes its gradients again). It runs only when some lane is a candidate,
     * its cost fallen and its gradient not shrunk since the previous check; lanes on their way to a
     * minimum have a shrinking gradient and cost nothing here.
     */
    boolean observe(double[][] values, double[] cost, double[] gradNorm, int active) {
        if (s == null) {
            s = new double[m][previous[0].length];
            hs = new double[m][previous[0].length];
            candidate = new boolean[previous[0].length];
        }
        boolean any = false;
        for (int p = 0; p < active; p++) {
            candidate(p, cost, gradNorm);
            any |= candidate[p];
        }
        if (any) {
            for (int k = 0; k < m; k++) {
                for (int p = 0; p < active; p++) s[k][p] = candidate[p] ? values[k][p] - previous[k][p] : 0;
            }
            hessian.hessianVectorProduct(s, hs);
        }
        for (int p = 0; p < active; p++) {
            boolean falling = false;
            if (candidate[p]) {
                double ss = 0;
                double shs = 0;
                for (int k = 0; k < m; k++) {
                    ss += s[k][p] * s[k][p];
                    shs += s[k][p] * hs[k][p];
                }
                falling = ss > 0 && shs <= 0;
                if (falling) {
                    if (streak[p] == 0) {
                        streakCost[p] = previousCost[p];
                        streakGrad[p] = previousGrad[p];
                    }
                    streak[p]++;
                    curvature[p] = shs / ss;
                }
            }
            if (!falling) streak[p] = 0;
            for (int k = 0; k < m; k++) previous[k][p] = values[k][p];
            previousCost[p] = cost[p];
            previousGrad[p] = gradNorm[p];
            seen[p] = true;
        }
        return any;
    }

    private void candidate(int p, double[] cost, double[] gradNorm) {
        candidate[p] = seen[p] && cost[p] < previousCost[p] && gradNorm[p] >= previousGrad[p];
    }

    /** Why lane position p is falling without bound, or null. */
    String divergence(int p, double cost, double gradNorm, int step) {
        if (streak[p] < CHECKS || !bigFall(streakCost[p], cost)) return null;
        return "cost falls without bound along non-positive curvature: over the last " + streak[p] * BlockRun.COST_EVERY
                + " steps (to step " + step + ") it fell at every check, from " + streakCost[p] + " to " + cost
                + ", the gradient norm grew from " + streakGrad[p] + " to " + gradNorm
                + ", and the curvature along the path was " + curvature[p] + " (s'Hs/s's <= 0)";
    }

    /**
     * Whether a fall from {@code from} to {@code to} is large for this cost: more than
     * {@code max(1, |from|)}. A slow descent through a non-convex stretch of a cost bounded below
     * (Rosenbrock's valley, from 4.2 by a few thousandths per check) is not.
     */
    static boolean bigFall(double from, double to) {
        return from - to > Math.max(1, Math.abs(from));
    }

    void moveLane(int from, int to) {
        for (int k = 0; k < m; k++) previous[k][to] = previous[k][from];
        previousCost[to] = previousCost[from];
        previousGrad[to] = previousGrad[from];
        seen[to] = seen[from];
        streak[to] = streak[from];
        streakCost[to] = streakCost[from];
        streakGrad[to] = streakGrad[from];
        curvature[to] = curvature[from];
    }
}
