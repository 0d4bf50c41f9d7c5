package tapeline.job.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CsvNumbers#text} against JDK 25's {@code Double.toString}/{@code Float.toString} (the reference
 * file, made by scripts/shortest-numbers-reference.java), and reading its text back to the same bits.
 */
class CsvNumbersTest {

    /** One line of the reference: kind ('d' or 'f'), the bits, JDK 19+'s text. */
    record Ref(char kind, long bits, String text) {
        double asDouble() {
            return Double.longBitsToDouble(bits);
        }

        float asFloat() {
            return Float.intBitsToFloat((int) bits);
        }
    }

    static List<Ref> reference() throws IOException {
        List<Ref> refs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                CsvNumbersTest.class.getResourceAsStream("/csv/shortest-numbers.tsv")), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] p = line.split("\t");
                refs.add(new Ref(p[0].charAt(0), Long.parseUnsignedLong(p[1], 16), p[2]));
            }
        }
        return refs;
    }

    @Test
    void theTextIsJdk25sForEveryReferenceNumber() throws IOException {
        List<Ref> refs = reference();
        assertThat(refs).hasSizeGreaterThan(4000);
        for (Ref ref : refs) {
            String text = ref.kind() == 'd' ? CsvNumbers.text(ref.asDouble()) : CsvNumbers.text(ref.asFloat());
            assertThat(text).as("%s %x", ref.kind(), ref.bits()).isEqualTo(ref.text());
        }
    }

    @Test
    void theReferenceDiffersFromJdk17sTextWhereJdk17IsNotShortest() throws IOException {
        // Shows the reference can tell the two apart: on JDK 17, some of its texts are not Double.toString's.
        if (Runtime.version().feature() >= 19) {
            return; // on 19+ Double.toString is the reference itself
        }
        long doubles = 0;
        long floats = 0;
        for (Ref ref : reference()) {
            if (ref.kind() == 'd' && !Double.toString(ref.asDouble()).equals(ref.text())) {
                doubles++;
                assertThat(ref.text().length()).as("%x", ref.bits()).isLessThanOrEqualTo(Double.toString(ref.asDouble()).length());
            }
            if (ref.kind() == 'f' && !Float.toString(ref.asFloat()).equals(ref.text())) {
                floats++;
            }
        }
        assertThat(doubles).isPositive();
        assertThat(floats).isPositive();
        assertThat(Double.toString(2e23)).isEqualTo("1.9999999999999998E23");
        assertThat(CsvNumbers.text(2e23)).isEqualTo("2.0E23");
    }

    @Test
    void everyReferenceNumberReadsBackToItsBits() throws IOException {
        for (Ref ref : reference()) {
            if (ref.kind() == 'd') {
                double back = Double.parseDouble(CsvNumbers.text(ref.asDouble()));
                assertBits(ref.asDouble(), back);
            } else {
                float back = Float.parseFloat(CsvNumbers.text(ref.asFloat()));
                assertThat(Float.isNaN(back) ? Float.isNaN(ref.asFloat()) : Float.floatToRawIntBits(back) == (int) ref.bits())
                        .as("%x", ref.bits()).isTrue();
            }
        }
    }

    @Test
    void randomBitsReadBackExactly() {
        SplittableRandom r = new SplittableRandom(2112);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < 1_000_000; i++) {
            long bits = r.nextLong();
            if (i % 4 == 0) {
                bits &= 0x800fffffffffffffL; // subnormals and zeros
            }
            double v = Double.longBitsToDouble(bits);
            double back = Double.parseDouble(CsvNumbers.text(v));
            if (Double.isNaN(v) ? !Double.isNaN(back) : Double.doubleToRawLongBits(back) != bits) {
                wrong.add(String.format("d %016x -> %s", bits, CsvNumbers.text(v)));
            }
            float f = Float.intBitsToFloat((int) bits);
            float fb = Float.parseFloat(CsvNumbers.text(f));
            if (Float.isNaN(f) ? !Float.isNaN(fb) : Float.floatToRawIntBits(fb) != (int) bits) {
                wrong.add(String.format("f %08x -> %s", (int) bits, CsvNumbers.text(f)));
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** Same bits, or both NaN (CSV keeps no NaN payload: every NaN is written "NaN"). */
    static void assertBits(double expected, double actual) {
        if (Double.isNaN(expected)) {
            assertThat(actual).isNaN();
        } else {
            assertThat(Double.doubleToRawLongBits(actual)).as("%s", expected).isEqualTo(Double.doubleToRawLongBits(expected));
        }
    }
}
