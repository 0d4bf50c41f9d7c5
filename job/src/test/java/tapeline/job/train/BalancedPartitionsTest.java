package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import tapeline.engine.Theories;
import tapeline.engine.train.RowBuckets;

/** {@link BucketedRows#balanced}: the smallest multiple of the slots that holds the input's partitions. */
class BalancedPartitionsTest {

    @Test
    void smallestMultipleOfTheSlotsNotBelowTheInput() {
        // 1000 cases as before; the ends of both ranges, and the cap's neighbourhood, as edge cases.
        Theories.qt(1000).forAll(Theories.withEdges(integers().between(1, 5000), 1, 2, 5000, RowBuckets.COUNT - 1, RowBuckets.COUNT,
                        RowBuckets.COUNT + 1), Theories.withEdges(integers().between(1, 600), 1, 2, 600))
                .checkAssert(BalancedPartitionsTest::smallestMultiple);
    }

    static void smallestMultiple(int read, int slots) {
        int p = BucketedRows.balanced(read, slots);
        if (p == RowBuckets.COUNT) {
            return; // capped: one partition per bucket
        }
        assertThat(p % slots).isZero();
        assertThat(p).isGreaterThanOrEqualTo(read).isLessThan(read + slots);
    }

    @Test
    void examples() {
        assertThat(BucketedRows.balanced(3, 2)).isEqualTo(4);
        assertThat(BucketedRows.balanced(4, 2)).isEqualTo(4);
        assertThat(BucketedRows.balanced(1, 8)).isEqualTo(8);
        assertThat(BucketedRows.balanced(5000, 16)).isEqualTo(RowBuckets.COUNT);
        assertThatThrownBy(() -> BucketedRows.balanced(0, 2)).hasMessageContaining("read=0");
    }
}
