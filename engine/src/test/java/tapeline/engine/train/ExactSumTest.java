package tapeline.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import tapeline.engine.Theories;

/** Exactness, order independence and rounding of {@link ExactSum}, against BigDecimal as the oracle. */
class ExactSumTest {

    /** Decimals with two places (up to 1e10), any finite bit pattern, and the edges. */
    static Gen<Double> anyFinite() {
        long maxBits = Double.doubleToRawLongBits(Double.MAX_VALUE);
        return Generate.oneOf(
                longs().between(-1_000_000_000_000L, 1_000_000_000_000L).map(k -> k / 100.0),
                longs().between(-maxBits, maxBits).map(b -> b < 0 ? -Double.longBitsToDouble(-b) : Double.longBitsToDouble(b)),
                Generate.pick(List.of(0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE,
                        1e308, -1e308, 1.0, -1.0, 0x1p-1022, 0x1.fffffffffffffp-1023)));
    }

    /** The exact sum, rounded once, computed independently with BigDecimal. */
    static double oracle(List<Double> xs) {
        BigDecimal s = BigDecimal.ZERO;
        for (double x : xs) s = s.add(new BigDecimal(x));
        // BigDecimal.doubleValue() rounds correctly (half even) from the exact decimal value.
        return s.doubleValue();
    }

    static ExactSum sum(List<Double> xs, boolean bulk) {
        ExactSum s = new ExactSum();
        if (bulk) {
            double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
            s.addAll(a, 0, a.length, ExactSum.newBuckets());
        } else {
            xs.forEach(s::add);
        }
        return s;
    }

    @Test
    void isTheExactSumRoundedOnce() {
        Theories.qt(300).forAll(list()).checkAssert(xs -> {
            double expected = oracle(xs);
            assertThat(sum(xs, false).value()).isEqualTo(expected);
            assertThat(sum(xs, true).value()).isEqualTo(expected);
        });
    }

    static Gen<List<Double>> list() {
        return lists().of(anyFinite()).ofSizeBetween(0, 60);
    }

    @Test
    void mergeIsAssociativeAndCommutativeBitForBit() {
        Theories.qt(200).forAll(list(), list(), list()).checkAssert(ExactSumTest::mergesAnyWay);
    }

    static void mergesAnyWay(List<Double> a, List<Double> b, List<Double> c) {
        ExactSum ab_c = sum(a, true).copy();
        ab_c.merge(sum(b, false));
        ab_c.merge(sum(c, true));
        ExactSum a_bc = sum(b, true).copy();
        a_bc.merge(sum(c, false));
        ExactSum x = sum(a, false);
        x.merge(a_bc);
        ExactSum c_b_a = sum(c, false);
        c_b_a.merge(sum(b, true));
        c_b_a.merge(sum(a, false));
        assertThat(ab_c.sameAs(x)).isTrue();
        assertThat(ab_c.sameAs(c_b_a)).isTrue();
        List<Double> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        assertThat(Double.doubleToRawLongBits(ab_c.value())).isEqualTo(Double.doubleToRawLongBits(sum(all, true).value()));
    }

    @Test
    void anyPermutationGivesTheSameBits() {
        Theories.qt(100).forAll(lists().of(Theories.doubles(-1e6, 1e6)).ofSizeBetween(0, 200), Theories.seeds())
                .checkAssert((xs, seed) -> {
                    List<Double> shuffled = new ArrayList<>(xs);
                    Collections.shuffle(shuffled, new Random(seed));
                    assertThat(sum(shuffled, true).sameAs(sum(xs, false))).isTrue();
                });
    }

    /**
     * Runs as training produces them: values clustered below a common top (anywhere from the
     * subnormals to 2^1010), spread over up to 80 binades, with zeros, subnormals and halfway values,
     * over several runs of {@code addAll}.
     */
    static Gen<List<Double>> clustered() {
        return Theories.withEdges(integers().between(-1100, 1010), -1100, 1010, 0, -1022, 1).flatMap(top -> lists().of(Generate.oneOf(
                integers().between(0, 80).zip(longs().all(), (down, bits) -> {
                    double m = 1.0 + (bits & 0xF_FFFF_FFFF_FFFFL) * 0x1p-52;
                    double v = Math.scalb(m, top - down);
                    return bits < 0 ? -v : v;
                }),
                Generate.pick(List.of(0.0, -0.0, Double.MIN_VALUE, -0x1p-1070, Math.scalb(1.0, top), Math.scalb(1.5, top - 53)))))
                .ofSizeBetween(1, 2500));
    }

    @Test
    void bulkAddingIsExactForClusteredRuns() {
        Theories.qt(300).forAll(clustered()).checkAssert(xs -> {
            ExactSum bulk = sum(xs, true);
            assertThat(bulk.sameAs(sum(xs, false))).as("the same exact sum as adding one by one").isTrue();
            assertThat(bulk.value()).isEqualTo(oracle(xs));
        });
    }

    @Test
    void bulkAddingIsExactForTrainingLikeGradients() {
        Random r = new Random(5);
        double[] a = new double[10_000];
        List<Double> xs = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            // residual * feature: mostly within a few binades, now and then a tiny feature value.
            double x = r.nextInt(1000) == 0 ? (r.nextDouble() - 0.5) * 1e-15 : r.nextDouble() * 2 - 1;
            a[i] = 0.01 * r.nextGaussian() * x;
            xs.add(a[i]);
        }
        ExactSum s = new ExactSum();
        s.addAll(a, 0, a.length, ExactSum.newBuckets());
        assertThat(s.sameAs(sum(xs, false))).isTrue();
        assertThat(s.value()).isEqualTo(oracle(xs));
    }

    @Test
    void catastrophicCancellationIsExact() {
        assertThat(sum(List.of(1e100, 1.0, -1e100), true).value()).isEqualTo(1.0);
        assertThat(sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE), false).value())
                .isEqualTo(Double.MAX_VALUE);
        assertThat(sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE), true).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(sum(List.of(Double.MIN_VALUE, Double.MIN_VALUE), true).value()).isEqualTo(2 * Double.MIN_VALUE);
    }

    @Test
    void manyValuesAcrossBucketFlushesAndNormalisation() {
        Random r = new Random(1);
        double[] a = new double[100_000];
        BigDecimal exact = BigDecimal.ZERO;
        for (int i = 0; i < a.length; i++) {
            a[i] = (r.nextDouble() - 0.5) * Math.pow(2, r.nextInt(40) - 20);
            exact = exact.add(new BigDecimal(a[i]));
        }
        ExactSum s = new ExactSum();
        s.addAll(a, 0, a.length, ExactSum.newBuckets());
        assertThat(s.value()).isEqualTo(exact.round(MathContext.DECIMAL128).doubleValue());
    }

    @Test
    void nonFiniteValuesAreCountedApart() {
        assertThat(sum(List.of(1.0, Double.POSITIVE_INFINITY), true).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(sum(List.of(Double.NEGATIVE_INFINITY, 3.0), false).value()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(sum(List.of(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY), true).value()).isNaN();
        assertThat(sum(List.of(1.0, Double.NaN), true).value()).isNaN();
        assertThat(new ExactSum().value()).isEqualTo(0.0);
    }
}
