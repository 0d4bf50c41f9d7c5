package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inverse and hyperbolic ops (atan, asin, acos, sinh, cosh, atan2): each rule against central
 * finite differences of the forward rule, each derivative program differentiated again against
 * finite differences of the first-order rule, over seeded random lanes in each op's domain
 * (float64), and what they give at their domain's edges.
 */
class TrigOpsTest {

    /** An op of one or two arguments, with the domain its lanes are drawn from. */
    record Case(String name, BinaryOperator<Tensor> f, double lo, double hi, double lo2, double hi2, boolean binary) {
        @Override public String toString() { return name; }
    }

    static final List<Case> OPS = List.of(
            new Case("atan", (a, b) -> a.atan(), -6, 6, 0, 0, false),
            new Case("asin", (a, b) -> a.asin(), -0.95, 0.95, 0, 0, false),
            new Case("acos", (a, b) -> a.acos(), -0.95, 0.95, 0, 0, false),
            new Case("sinh", (a, b) -> a.sinh(), -4, 4, 0, 0, false),
            new Case("cosh", (a, b) -> a.cosh(), -4, 4, 0, 0, false),
            // every quadrant: y and x of either sign, away from the origin and the branch cut x < 0, y = 0
            new Case("atan2(y>0)", Tensor::atan2, 0.2, 3, -3, 3, true),
            new Case("atan2(y<0)", Tensor::atan2, -3, -0.2, -3, 3, true),
            new Case("atan2(x>0)", Tensor::atan2, -3, 3, 0.2, 3, true));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Case c : OPS) {
            for (long seed = 1; seed <= 6; seed++) {
                Random r = new Random(seed * 7919 + c.name().hashCode());
                double[] a = lanes(r, c.lo(), c.hi());
                double[] b = c.binary() ? lanes(r, c.lo2(), c.hi2()) : null;
                out.add(Arguments.of(c, a, b));
            }
        }
        return out.stream();
    }

    private static double[] lanes(Random r, double lo, double hi) {
        double[] x = new double[9];
        for (int i = 0; i < x.length; i++) x[i] = lo + (hi - lo) * r.nextDouble();
        return x;
    }

    @ParameterizedTest(name = "{0} {index}")
    @MethodSource("cases")
    void firstOrderRuleMatchesFiniteDifferencesOfTheForwardRule(Case c, double[] a, double[] b) {
        double[][] g = gradient(a, b, c.f());
        for (int s = 0; s < (b == null ? 1 : 2); s++) {
            for (int lane = 0; lane < a.length; lane++) {
                final int src = s;
                final int l = lane;
                double numeric = centralDifference(src == 0 ? a : b, l,
                        x -> laneValue(src == 0 ? x : a, src == 0 ? b : x, c.f(), l));
                assertClose(c + " d/d" + (src == 0 ? "a" : "b") + " lane " + l, g[src][l], numeric);
            }
        }
    }

    @ParameterizedTest(name = "{0} {index}")
    @MethodSource("cases")
    void secondOrderProgramMatchesFiniteDifferencesOfTheFirstOrderRule(Case c, double[] a, double[] b) {
        int n = b == null ? 1 : 2;
        double[][][] h = hessian(a, b, c.f());
        for (int i = 0; i < n; i++) {
            for (int jj = 0; jj < n; jj++) {
                for (int lane = 0; lane < a.length; lane++) {
                    final int gi = i;
                    final int j = jj;
                    final int l = lane;
                    double numeric = centralDifference(j == 0 ? a : b, l,
                            x -> gradient(j == 0 ? x : a, j == 0 ? b : x, c.f())[gi][l]);
                    assertClose(c + " H[" + i + "][" + j + "] lane " + l, h[i][j][l], numeric);
                }
            }
        }
    }

    /** The gradient program writes Op's numeric rule with the tape's ops, operation for operation. */
    @ParameterizedTest(name = "{0} {index}")
    @MethodSource("cases")
    void gradientProgramGivesTheFirstOrderRulesBits(Case c, double[] a, double[] b) {
        double[][] rule = gradient(a, b, c.f());
        double[][] program = programGradient(a, b, c.f());
        for (int i = 0; i < rule.length; i++) {
            assertThat(program[i]).as(c + " gradient " + i).isEqualTo(rule[i]);
        }
    }

    @Test
    void domainEdgesGiveInfiniteOrNaNGradientsNotExceptions() {
        double[] edges = {1.0, -1.0, 1.5};
        double[][] gAsin = gradient(edges, null, (x, y) -> x.asin());
        double[][] gAcos = gradient(edges, null, (x, y) -> x.acos());
        assertThat(gAsin[0][0]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(gAsin[0][1]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(gAsin[0][2]).isNaN();
        assertThat(gAcos[0][0]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(gAcos[0][1]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(gAcos[0][2]).isNaN();
        // atan2 at the origin: the value is 0 (Math.atan2(0, 0)), the gradient 0/0.
        double[][] g2 = gradient(new double[] {0.0}, new double[] {0.0}, Tensor::atan2);
        assertThat(g2[0][0]).isNaN();
        assertThat(g2[1][0]).isNaN();
    }

    @Test
    void valuesAreJavasMathFunctionsAndFloat32RoundsThem() {
        double[] x = {-0.7, 0.3, 0.9};
        for (DType dtype : DType.values()) {
            Tape t = new Tape(dtype);
            Tensor a = t.tensor(t.constant(x));
            Tensor y = t.tensor(t.constant(new double[] {2.0, -1.0, -0.5}));
            double[] xr = a.values();
            double[] yr = y.values();
            double[] atan = a.atan().values();
            double[] asin = a.asin().values();
            double[] acos = a.acos().values();
            double[] sinh = a.sinh().values();
            double[] cosh = a.cosh().values();
            double[] atan2 = y.atan2(a).values();
            for (int i = 0; i < x.length; i++) {
                assertThat(atan[i]).isEqualTo(dtype.round(Math.atan(xr[i])));
                assertThat(asin[i]).isEqualTo(dtype.round(Math.asin(xr[i])));
                assertThat(acos[i]).isEqualTo(dtype.round(Math.acos(xr[i])));
                assertThat(sinh[i]).isEqualTo(dtype.round(Math.sinh(xr[i])));
                assertThat(cosh[i]).isEqualTo(dtype.round(Math.cosh(xr[i])));
                assertThat(atan2[i]).isEqualTo(dtype.round(Math.atan2(yr[i], xr[i])));
            }
        }
        // A value checked against a closed form: atan2(-1, -1) = -3 pi / 4.
        Tape t = new Tape(DType.FLOAT64);
        Tensor m = t.tensor(t.scalar(-1.0));
        assertThat(m.atan2(m).value()).isCloseTo(-3 * Math.PI / 4, within(1e-15));
    }

    // ---- helpers (self-contained: the shared ones live in the property tests) ----------------

    /** d(sum of f's lanes)/da and /db per lane, from the first-order rules. */
    static double[][] gradient(double[] a, double[] b, BinaryOperator<Tensor> f) {
        Tape t = new Tape(DType.FLOAT64);
        int na = t.variable(a.clone(), true, true);
        int nb = b == null ? -1 : t.variable(b.clone(), true, true);
        int y = f.apply(t.tensor(na), nb < 0 ? null : t.tensor(nb)).node();
        t.backward(y);
        double[][] out = new double[b == null ? 1 : 2][];
        out[0] = copy(t.gradient(na), a.length);
        if (b != null) out[1] = copy(t.gradient(nb), a.length);
        return out;
    }

    /** The same gradient read from the recorded gradient program's nodes. */
    static double[][] programGradient(double[] a, double[] b, BinaryOperator<Tensor> f) {
        Tape t = new Tape(DType.FLOAT64);
        int na = t.variable(a.clone(), true, true);
        int nb = b == null ? -1 : t.variable(b.clone(), true, true);
        int y = f.apply(t.tensor(na), nb < 0 ? null : t.tensor(nb)).node();
        int[] g = t.gradientProgram(y, b == null ? new int[] {na} : new int[] {na, nb});
        t.forward();
        double[][] out = new double[g.length][];
        for (int i = 0; i < g.length; i++) out[i] = t.values(g[i]);
        return out;
    }

    static double[][][] hessian(double[] a, double[] b, BinaryOperator<Tensor> f) {
        Tape t = new Tape(DType.FLOAT64);
        int na = t.variable(a.clone(), true, true);
        int nb = b == null ? -1 : t.variable(b.clone(), true, true);
        int y = f.apply(t.tensor(na), nb < 0 ? null : t.tensor(nb)).node();
        int[] src = b == null ? new int[] {na} : new int[] {na, nb};
        HessianProgram h = HessianProgram.record(t, y, src);
        double[][] g = new double[src.length][a.length];
        double[][][] out = new double[src.length][src.length][a.length];
        t.forward();
        h.evaluate(g, out);
        return out;
    }

    private static double laneValue(double[] a, double[] b, BinaryOperator<Tensor> f, int lane) {
        Tape t = new Tape(DType.FLOAT64);
        Tensor ta = t.tensor(t.constant(a));
        Tensor tb = b == null ? null : t.tensor(t.constant(b));
        return f.apply(ta, tb).values()[lane];
    }

    private static double centralDifference(double[] x, int lane, java.util.function.ToDoubleFunction<double[]> f) {
        double h = 1e-6 * Math.max(1, Math.abs(x[lane]));
        double[] up = x.clone();
        double[] down = x.clone();
        up[lane] += h;
        down[lane] -= h;
        return (f.applyAsDouble(up) - f.applyAsDouble(down)) / (2 * h);
    }

    private static double[] copy(double[] g, int n) {
        return g == null ? new double[n] : java.util.Arrays.copyOf(g, n);
    }

    static void assertClose(String what, double analytic, double numeric) {
        double tol = 1e-5 * Math.max(1, Math.abs(numeric));
        assertThat(analytic).as("%s: tape %s, finite differences %s", what, analytic, numeric).isCloseTo(numeric, within(tol));
    }
}
