package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import tapeline.engine.train.RowBuckets;

/** {@link BucketedRows#balanced}: the smallest multiple of the slots that holds the input's partitions. */
class BalancedPartitionsTest {

    @Property
    void smallestMultipleOfTheSlotsNotBelowTheInput(@ForAll @IntRange(min = 1, max = 5000) int read,
                                                     @ForAll @IntRange(min = 1, max = 600) int slots) {
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
