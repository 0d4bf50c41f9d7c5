package tapeline.engine.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.optim.Arguments;
import tapeline.engine.optim.Hyper;
import tapeline.engine.optim.LevenbergMarquardt;
import tapeline.engine.tape.DType;

/**
 * When lm's ftol or xtol test may end a row ({@code LmStep.stationary}), on the figures that rows
 * of the MGH and NIST corpora had where those tests passed (printed by MghCorpusTest's and
 * NistStrdTest's runs in session 23): ||r||, the residual count, the largest cosine between r and a
 * column of J, ||J'r|| / ||r||^2, the largest |x_k| and the start's.
 */
class LmStationarityTest {

    static LevenbergMarquardt lane(double fnorm0, double xmax0) {
        LevenbergMarquardt lm = new LevenbergMarquardt(Arguments.of("lm", Map.of()), DType.FLOAT64);
        lm.build(1, new boolean[] {true});
        lm.fnorm0(0, fnorm0);
        lm.xmax0(0, xmax0);
        return lm;
    }

    static boolean stationary(LevenbergMarquardt lm, double fn, int n, double cosine, double flat, double xmax) {
        return LmStep.stationary(lm, 0, fn, n, cosine, flat * fn * fn, xmax, () -> 0) == LmStep.STATIONARY;
    }

    @Test
    void theRoundingCosineIsSqrtOfNEps() {
        // sqrt(n eps): lmder's gtol guard sqrt(eps) at n = 1; MGH10's 16 residuals: 5.96e-8.
        assertThat(LmStep.roundingCosine(1)).isEqualTo(LmStep.COSINE);
        assertThat(LmStep.roundingCosine(16)).isEqualTo(4 * Math.sqrt(Math.ulp(1.0)));
    }

    @Test
    void aValleyToInfinityIsNotAnEnd() {
        // Beale from 100x (start (100, 100)) with jac_scaling = 0.5: at x1 = -4.05e6, ||r|| = 0.6723
        // (cost 0.4520093, the infimum along the valley is 0.4520...), cosine 7.6e-8, ||J'r|| / ||r||^2
        // 3.7e-4. Before session 23 the flatness test (1e-3) would have ended it CONVERGED.
        LevenbergMarquardt lm = lane(1e6, 100);
        assertThat(stationary(lm, 0.6723, 3, 7.57e-8, 3.73e-4, 4.05e6)).isFalse();
        // The same figures short of the run-away (x1 = 9e5 < 1e4 * 100): the flatness test may end it.
        assertThat(stationary(lm, 0.6723, 3, 7.57e-8, 3.73e-4, 9e5)).isTrue();
    }

    @Test
    void vanishedColumnsEndARowThatRanAway() {
        // Bard from 10x: its published end 17.4287 as x2, x3 -> inf, where J's x2 and x3 columns are 0
        // to working precision: ||J'r|| / ||r||^2 1.5e-16, while the cosine on what is left of them is 0.835.
        LevenbergMarquardt lm = lane(4.17 / 0.011, 10);
        assertThat(stationary(lm, 4.17, 15, 0.835, 1.53e-16, 1e9)).isTrue();
    }

    @Test
    void theCosineAllowanceIsTheCostsRounding() {
        // NIST MGH10 start 1, jac_scaling = 1: ||r|| 9.38 (cost 87.95, certified), 16 residuals, cosine
        // 3.96e-8 (c^2 = 1.6e-15, 7 eps: below the rounding of the sum of squares), ||J'r|| / ||r||^2 4.7e-2.
        LevenbergMarquardt lm = lane(9.38 / 2.3e-4, 4e5);
        assertThat(stationary(lm, 9.38, 16, 3.96e-8, 4.7e-2, 6181)).isTrue();
        // A cosine of 1.5e-6 (c^2 = 2.3e-12, 1e4 eps: a fall the cost can show) is not an end; nor is 1e-3,
        // which the former allowance (1e-2) let end CONVERGED.
        assertThat(stationary(lm, 9.38, 16, 1.5e-6, 4.7e-2, 6181)).isFalse();
        assertThat(stationary(lm, 9.38, 16, 1e-3, 4.7e-2, 6181)).isFalse();
    }

    @Test
    void rLyingPartlyInJsRangeIsProbedNotConverged() {
        // job = train's lm, jac_scaling = 0.5, NIST MGH17 start 1 (session 23): ||r|| 8.93e-3, 33 residuals,
        // cosine 4.16e-9, ||J'r|| / ||r||^2 1.34e-5, largest |x_k| 99.8; r's angle with J's range 0.088
        // (RangeAngle; 0.55 in exact arithmetic). Every allowance but the range angle passes.
        LevenbergMarquardt lm = lane(1, 100);
        assertThat(LmStep.stationary(lm, 0, 8.93e-3, 33, 4.16e-9, 1.34e-5 * 8.93e-3 * 8.93e-3, 99.8, () -> 0.088))
                .isEqualTo(LmStep.PROBE);
        // the same figures with r orthogonal to J's range to rounding (scipy trf's ends: at most 4.5e-7)
        assertThat(LmStep.stationary(lm, 0, 8.93e-3, 33, 4.16e-9, 1.34e-5 * 8.93e-3 * 8.93e-3, 99.8, () -> 4.5e-7))
                .isEqualTo(LmStep.STATIONARY);
        // a zero-residual fit and a lane that ran away are not asked (their angle is noise)
        assertThat(LmStep.stationary(lm, 0, 1e-16, 33, 0.5, 1, 99.8, () -> 1)).isEqualTo(LmStep.STATIONARY);
        assertThat(LmStep.stationary(lm, 0, 4.17, 15, 0.835, 1.53e-16 * 4.17 * 4.17, 1e9, () -> 1)).isEqualTo(LmStep.STATIONARY);
        // a NaN angle is not an end
        assertThat(LmStep.stationary(lm, 0, 8.93e-3, 33, 4.16e-9, 1e-9, 99.8, () -> Double.NaN)).isEqualTo(LmStep.PROBE);
    }

    @Test
    void aProbeCountsOnlyAFallAboveTheRoundingOfTheSum() {
        // n = 33: a fall of 33 eps of the sum of squares is rounding; 1e-9 of it (MGH17's probes) is not
        double eps = Math.ulp(1.0);
        assertThat(LmStep.probeLowers(1 - 1e-9, 1, 33)).isTrue();
        assertThat(LmStep.probeLowers(1 - 30 * eps, 1, 33)).isFalse();
        assertThat(LmStep.probeLowers(Double.NaN, 1, 33)).isFalse();
    }

    @Test
    void jacScalingIsAPowerInTheUnitInterval() {
        LevenbergMarquardt half = new LevenbergMarquardt(Arguments.of("lm", Map.of("jac_scaling", Hyper.of(0.5))), DType.FLOAT64);
        half.build(1, new boolean[] {true});
        half.scale(0, 0, 16, true);
        assertThat(half.diag(0, 0)).isEqualTo(4);
        half.scale(0, 0, 9, false); // never decreasing
        assertThat(half.diag(0, 0)).isEqualTo(4);
        half.scale(0, 0, 0, false);
        assertThat(half.diag(0, 0)).isEqualTo(4);
        LevenbergMarquardt minpack = new LevenbergMarquardt(Arguments.of("lm", Map.of()), DType.FLOAT64); // the default, 1
        minpack.build(1, new boolean[] {true});
        minpack.scale(0, 0, 0, true); // a zero column: 1, as MINPACK's
        assertThat(minpack.diag(0, 0)).isEqualTo(1);
        minpack.scale(0, 0, 16, false);
        assertThat(minpack.diag(0, 0)).isEqualTo(16);
        LevenbergMarquardt unit = new LevenbergMarquardt(Arguments.of("lm", Map.of("jac_scaling", Hyper.of(0))), DType.FLOAT64);
        unit.build(1, new boolean[] {true});
        unit.scale(0, 0, 16, true);
        assertThat(unit.diag(0, 0)).isEqualTo(1);
        assertThatThrownBy(() -> new LevenbergMarquardt(Arguments.of("lm", Map.of("jac_scaling", Hyper.of(2))), DType.FLOAT64))
                .hasMessageContaining("optimizer.jac_scaling must be in [0, 1], got 2.0");
    }
}
