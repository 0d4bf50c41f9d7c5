package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;

/**
 * trust's interior step from the {@code L D L'} factors ({@link TrustStep#newtonInside}) against the
 * eigen path ({@link SymmetricEigen} and {@link TrustStep#subproblem}, the step trust took before) and
 * against the closed form: on a random positive definite H with a known minimiser {@code u*} of the
 * model ({@code g = -H u*}), the factor step is {@code u*} and the eigen path's interior step to
 * rounding ({@code cond(H)} ulps). Where the factors cannot decide (indefinite, semidefinite, a
 * zero or near-zero eigenvalue) or the step leaves the radius, they decline and the eigen path's
 * boundary step is the one taken.
 */
class TrustFactorStepTest {
    static final double REL = 1e-8; // Verdict.relativeZero(FLOAT64)
    static final double EPS = Math.ulp(1.0);

    /** The eigen path's step {@code u = V c} for {@code h}, {@code g} within {@code delta}. */
    static double[] eigenStep(double[][] h, double[] g, double delta) {
        int n = g.length;
        SymmetricEigen e = new SymmetricEigen(n);
        e.decompose(h);
        double[] l = new double[n];
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            l[i] = e.value(i);
            for (int k = 0; k < n; k++) a[i] += e.vector(i, k) * g[k];
        }
        double[] c = new double[n];
        TrustStep.subproblem(l, a, n, delta, c);
        double[] u = new double[n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < n; i++) u[k] += e.vector(i, k) * c[i];
        }
        return u;
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }

    static double distance(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (x[i] - y[i]) * (x[i] - y[i]);
        return Math.sqrt(s);
    }

    static double condition(double[][] h) {
        SymmetricEigen e = new SymmetricEigen(h.length);
        e.decompose(h);
        return e.largest() / e.smallest();
    }

    /** A model whose minimiser is {@code star}: {@code g = -H star}. */
    static double[] gradientFor(double[][] h, double[] star) {
        double[] g = new double[star.length];
        for (int i = 0; i < star.length; i++) {
            for (int j = 0; j < star.length; j++) g[i] -= h[i][j] * star[j];
        }
        return g;
    }

    @Test
    void insideTheRadiusTheFactorStepIsTheEigenPathsStep() {
        Random rnd = new Random(23);
        int taken = 0;
        for (int t = 0; t < 4000; t++) {
            int n = 1 + rnd.nextInt(8);
            SymmetricCases.Kind kind = rnd.nextBoolean() ? SymmetricCases.Kind.DEFINITE : SymmetricCases.Kind.DIAGONAL;
            double[][] h = SymmetricCases.draw(rnd, n, kind, false);
            double[] star = new double[n];
            for (int i = 0; i < n; i++) star[i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3);
            double[] g = gradientFor(h, star);
            double delta = norm(star) * (1 + rnd.nextDouble()); // the Newton step is inside
            double[] u = new double[n];
            boolean inside = TrustStep.newtonInside(new Ldl(n), h, g, delta, REL, u);
            // cond <= 1e6 for these kinds (SymmetricCases): far from the factors' limit of 1e8.
            assertThat(inside).as("case %d (%s, n = %d)", t, kind, n).isTrue();
            taken++;
            double cond = condition(h);
            double[] v = eigenStep(h, g, delta);
            double tol = 64 * n * cond * EPS * norm(star);
            assertThat(distance(u, star)).as("factor step against the closed form, case %d, cond %.1e", t, cond).isLessThanOrEqualTo(tol);
            assertThat(distance(u, v)).as("factor step against the eigen path, case %d, cond %.1e", t, cond).isLessThanOrEqualTo(2 * tol);
            if (kind == SymmetricCases.Kind.DIAGONAL) {
                // A diagonal H: both are -g_i / h_ii, exactly.
                for (int i = 0; i < n; i++) assertThat(u[i]).isEqualTo(-g[i] / h[i][i]);
            }
        }
        assertThat(taken).isEqualTo(4000);
    }

    @Test
    void aStepOutsideTheRadiusTakesTheEigenPathsBoundaryStep() {
        Random rnd = new Random(2323);
        for (int t = 0; t < 2000; t++) {
            int n = 1 + rnd.nextInt(8);
            double[][] h = SymmetricCases.draw(rnd, n, SymmetricCases.Kind.DEFINITE, false);
            double[] star = new double[n];
            for (int i = 0; i < n; i++) star[i] = rnd.nextGaussian();
            double[] g = gradientFor(h, star);
            double delta = norm(star) * (0.05 + 0.9 * rnd.nextDouble()); // the Newton step is outside
            assertThat(TrustStep.newtonInside(new Ldl(n), h, g, delta, REL, new double[n])).as("case %d", t).isFalse();
            // The eigen path then ends on the boundary, and lower on the model than the shortened Newton step.
            double[] v = eigenStep(h, g, delta);
            assertThat(norm(v)).isCloseTo(delta, within(1e-9 * delta));
            double[] shortened = star.clone();
            double scale = delta / norm(star);
            for (int i = 0; i < n; i++) shortened[i] *= scale;
            assertThat(model(h, g, v)).isLessThanOrEqualTo(model(h, g, shortened) + 1e-12 * Math.abs(model(h, g, shortened)));
        }
    }

    static double model(double[][] h, double[] g, double[] u) {
        double m = 0;
        for (int i = 0; i < u.length; i++) {
            m += g[i] * u[i];
            for (int j = 0; j < u.length; j++) m += 0.5 * u[i] * h[i][j] * u[j];
        }
        return m;
    }

    @Test
    void theFactorsDeclineWhatTheyCannotDecide() {
        Random rnd = new Random(2324);
        SymmetricCases.Kind[] kinds = {SymmetricCases.Kind.INDEFINITE, SymmetricCases.Kind.BARELY_INDEFINITE,
                SymmetricCases.Kind.NEGATIVE, SymmetricCases.Kind.SEMIDEFINITE, SymmetricCases.Kind.NEARLY_SINGULAR,
                SymmetricCases.Kind.ZERO};
        for (int t = 0; t < 6000; t++) {
            int n = 2 + rnd.nextInt(7);
            SymmetricCases.Kind kind = kinds[t % kinds.length];
            double[][] h = SymmetricCases.draw(rnd, n, kind, rnd.nextBoolean());
            double[] g = new double[n];
            for (int i = 0; i < n; i++) g[i] = rnd.nextGaussian();
            // Any radius, however large: the eigen path decides these (its boundary, hard-case or secular step).
            assertThat(TrustStep.newtonInside(new Ldl(n), h, g, 1e300, REL, new double[n])).as("case %d (%s)", t, kind).isFalse();
        }
    }

    @Test
    void aConvexQuadraticEndsAtItsMinimiserOnTheFactorStep() {
        // (u - 1)^2 + 2 (v + 2)^2 + u v: H = [[2, 1], [1, 4]], minimiser (16/7, -18/7), cost
        // 81/49 + 32/49 - 288/49 = -25/7 there.
        // From (10, 10) with factor 10 the radius (141) holds the Newton step: the first trial is the
        // factors' step and lands on the minimiser; the second iteration's tests end the lane.
        BlockSolver solver = new BlockSolver(Expression.parse("cost", "(u - 1)^2 + 2 * (v + 2)^2 + u * v"),
                List.of(new VariableSpec("u", 1), new VariableSpec("v", 1)), Map.of(), "trust", Map.of("factor", 10.0),
                new SolverSettings(50, 1e-10, 0, true), DType.FLOAT64);
        BlockResult r = solver.solve(1, Map.of(), TrustStepTest.start(new double[] {10}, new double[] {10}), Map.of());
        assertThat(r.status()).containsExactly(LaneStatus.CONVERGED);
        assertThat(r.verdict()).containsExactly(Verdict.MINIMUM);
        assertThat(r.values()[0][0][0]).isCloseTo(16.0 / 7, within(1e-13));
        assertThat(r.values()[1][0][0]).isCloseTo(-18.0 / 7, within(1e-13));
        assertThat(r.cost()[0]).isCloseTo(-25.0 / 7, within(1e-12));
        assertThat(r.steps()[0]).isLessThanOrEqualTo(2);
    }
}
