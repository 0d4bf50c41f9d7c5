package tapeline.engine.tape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The tf.GradientTape behaviours users rely on. */
class GradientTapeTest {

    @Test
    void notebookGradientAtZeroIsMinusTen() {
        Variable w = Variable.scalar("w", 0.0, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            Tensor wt = tape.read(w);
            Tensor cost = wt.square().sub(wt.mul(10)).add(25);
            assertThat(cost.value()).isEqualTo(25.0);
            assertThat(tape.gradient(cost, w)[0]).containsExactly(-10.0);
        }
    }

    @Test
    void valueUsedTwiceGetsTheSumOfItsGradients() {
        Variable w = Variable.scalar("w", 3.0, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            Tensor wt = tape.read(w);
            Tensor y = wt.mul(wt).add(wt); // w^2 + w: 2w + 1 = 7
            assertThat(tape.gradient(y, w)[0]).containsExactly(7.0);
        }
    }

    @Test
    void eachLaneGetsItsOwnGradientAndASharedVariableTheSum() {
        Variable w = Variable.perLane("w", new double[] {1, 2, 3}, DType.FLOAT64);
        Variable b = Variable.scalar("b", 0.5, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            Tensor x = tape.constant(10, 20, 30);
            Tensor y = tape.read(w).mul(x).add(tape.read(b)); // lane i: w_i x_i + b
            double[][] g = tape.gradient(y, w, b);
            assertThat(g[0]).containsExactly(10, 20, 30);
            assertThat(g[1]).containsExactly(3.0);
        }
    }

    /**
     * A kinked op whose input already holds a cotangent adds its own to it: relu, max, min and
     * select read their condition after the sum (a precedence slip once made these 0 or 1).
     */
    @Test
    void kinkedOpsAddToAGradientGatheredBefore() {
        Variable w = Variable.scalar("w", 2.0, DType.FLOAT64);
        Variable u = Variable.scalar("u", -1.0, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor wt = tape.read(w);
            Tensor ut = tape.read(u);
            // Recorded first, differentiated last: the mul has given w (and u) a cotangent by then.
            Tensor kinks = wt.relu().add(wt.max(ut)).add(ut.min(wt)).add(Tensor.select(wt, ut, wt));
            Tensor y = kinks.add(wt.mul(3)).add(ut.mul(5));
            double[][] g = tape.gradient(y, w, u);
            assertThat(g[0]).containsExactly(3 + 1 + 1.0);     // 3 + relu' + max' (w > u)
            assertThat(g[1]).containsExactly(5 + 1 + 1.0);     // 5 + min' (u < w) + select (w > 0)
        }
    }

    @Test
    void reductionsOverLanes() {
        Variable w = Variable.scalar("w", 2.0, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor x = tape.constant(1, 2, 3, 4);
            Tensor loss = tape.read(w).mul(x).sub(x).square().mean(); // mean((w-1)^2 x^2) = 7.5 at w=2
            assertThat(loss.isPerLane()).isFalse();
            assertThat(loss.value()).isEqualTo(7.5);
            assertThat(tape.gradient(loss, w)[0]).containsExactly(15.0); // mean(2 (w-1) x^2)
            Tensor total = tape.read(w).mul(x).sum();
            assertThat(tape.gradient(total, w)[0]).containsExactly(10.0);
        }
    }

    @Test
    void unconnectedSourcesGiveNullOrZeros() {
        Variable w = Variable.scalar("w", 1.0, DType.FLOAT64);
        Variable unused = Variable.perLane("u", new double[] {1, 1}, DType.FLOAT64);
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor y = tape.read(w).exp();
            tape.read(unused);
            assertThat(tape.gradient(y, w, unused)[1]).isNull();
            assertThat(tape.gradient(y, UnconnectedGradients.ZERO, w, unused)[1]).containsExactly(0, 0);
        }
    }

    @Test
    void stopGradientAndWatch() {
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor x = tape.watch(tape.scalar(3.0));
            Tensor y = x.mul(tape.stopGradient(x)); // x * const(3): gradient 3, not 6
            assertThat(tape.gradient(y, x)[0]).containsExactly(3.0);
            Tensor notWatched = tape.scalar(2.0);
            assertThat(tape.gradient(notWatched.mul(x), notWatched)[0]).isNull();
        }
    }

    @Test
    void nonPersistentTapeAnswersOnce() {
        Variable w = Variable.scalar("w", 1.0, DType.FLOAT64);
        GradientTape tape = new GradientTape();
        Tensor y = tape.read(w).square();
        tape.close();
        assertThat(tape.gradient(y, w)[0]).containsExactly(2.0);
        assertThatThrownBy(() -> tape.gradient(y, w))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("non-persistent")
                .hasMessageContaining("persistent()");
    }

    @Test
    void closedTapeRecordsNothingMore() {
        Variable w = Variable.scalar("w", 1.0, DType.FLOAT64);
        GradientTape tape = new GradientTape();
        Tensor y = tape.read(w);
        tape.close();
        assertThatThrownBy(y::square).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void float32RoundsEveryResult() {
        try (GradientTape tape = new GradientTape(DType.FLOAT32, false)) {
            Tensor x = tape.scalar(0.1);
            assertThat(x.value()).isEqualTo((double) 0.1f);
            Tensor y = x.mul(x).add(x);
            assertThat(y.value()).isEqualTo((double) (0.1f * 0.1f + 0.1f));
        }
    }

    @Test
    void kinksFollowTensorFlow() {
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor z = tape.watch(tape.constant(0.0, 0.0));
            Tensor other = tape.watch(tape.constant(0.0, 0.0));
            assertThat(tape.gradient(z.relu(), z)[0]).containsExactly(0, 0);
            assertThat(tape.gradient(z.abs(), z)[0]).containsExactly(0, 0);
            // ties: max and min send the gradient to their first argument
            assertThat(tape.gradient(z.max(other), z, other)).isDeepEqualTo(new double[][] {{1, 1}, {0, 0}});
            assertThat(tape.gradient(z.min(other), z, other)).isDeepEqualTo(new double[][] {{1, 1}, {0, 0}});
        }
    }

    @Test
    void powWithBothSidesOnTheTape() {
        try (GradientTape tape = GradientTape.persistent()) {
            Tensor a = tape.watch(tape.scalar(2.0));
            Tensor b = tape.watch(tape.scalar(3.0));
            double[][] g = tape.gradient(a.pow(b), a, b);
            assertThat(g[0][0]).isEqualTo(12.0);
            assertThat(g[1][0]).isCloseTo(8 * Math.log(2), org.assertj.core.api.Assertions.within(1e-15));
            Tensor neg = tape.watch(tape.scalar(-2.0));
            assertThat(tape.gradient(neg.pow(b), b)[0][0]).isEqualTo(0.0); // TF: log(x) read as 0 where x <= 0
            assertThat(neg.pow(3).value()).isEqualTo(-8.0);                  // integer exponent keeps the sign
        }
    }

    @Test
    void mixingTapesOrLaneCountsFailsClearly() {
        try (GradientTape t1 = new GradientTape(); GradientTape t2 = new GradientTape()) {
            Tensor a = t1.constant(1, 2);
            Tensor b = t2.constant(1, 2);
            assertThatThrownBy(() -> a.add(b)).hasMessageContaining("different tapes");
            assertThatThrownBy(() -> t1.constant(1, 2, 3)).hasMessageContaining("3 lanes").hasMessageContaining("2 lanes");
        }
    }
}
