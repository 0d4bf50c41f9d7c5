// The reference texts for CSV output's numbers (job/src/test/resources/csv/shortest-numbers.tsv):
// Double.toString and Float.toString as JDK 19+ print them (Raffaello Giulietti's Schubfach, JDK-4511638),
// the shortest decimal that reads back to the same bits. Run with a JDK 19 or later, from the repository root:
//   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java scripts/shortest-numbers-reference.java > job/src/test/resources/csv/shortest-numbers.tsv
// Lines: kind (d or f), the bits in hex, the text. Fixed seed, so the file is the same every run.
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

public class ShortestNumbersReference {
    public static void main(String[] args) {
        if (Runtime.version().feature() < 19) {
            throw new IllegalStateException("needs JDK 19+ (Double.toString before 19 is not always the shortest), got " + Runtime.version());
        }
        List<Long> d = new ArrayList<>();
        for (long b : new long[]{0L, 0x8000000000000000L, 0x7ff8000000000000L, 0x7ff0000000000001L, 0xfff8000000000123L,
                0x7ff0000000000000L, 0xfff0000000000000L, 1L, 0x8000000000000001L, 0x000fffffffffffffL, 0x0010000000000000L,
                0x7fefffffffffffffL, 0xffefffffffffffffL}) {
            d.add(b);
        }
        double[] named = {1.0, -1.0, 0.1, 0.1 + 0.2, 0.7, 5.000001, 2e23, 1e23, 1e22, 9007199254740993.0, 1e7, 9999999.999999998,
                1e-3, 9.999999999999998e-4, 123456789.0, 1.0 / 3, Math.PI, Math.E, 2e-3, 4.35, 0.3, 100.0, 1e16, 1e21,
                // JDK 17 prints these longer than the shortest (found by comparing JDK 17 with Schubfach):
                Double.longBitsToDouble(0x4398eca613c99f76L), Double.longBitsToDouble(0x43dee0d49e920aa9L),
                Double.longBitsToDouble(0xc38b11f2bf7b399dL), Double.longBitsToDouble(0x436dbe8e93b4a31eL)};
        for (double x : named) {
            d.add(Double.doubleToRawLongBits(x));
        }
        for (int e = -324; e <= 308; e++) {
            d.add(Double.doubleToRawLongBits(Double.parseDouble("1e" + e)));
        }
        for (int e = -1074; e <= 1023; e += 7) {
            d.add(Double.doubleToRawLongBits(Math.scalb(1.0, e)));
        }
        SplittableRandom r = new SplittableRandom(21);
        for (int i = 0; i < 1500; i++) {
            d.add(r.nextLong());                                                       // any bits: every exponent
        }
        for (int i = 0; i < 300; i++) {
            d.add(r.nextLong() & 0x800fffffffffffffL);                                 // subnormals
        }
        for (int i = 0; i < 700; i++) {
            d.add(Double.doubleToRawLongBits((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(-12, 13)))); // fitted values' sizes
        }
        for (long b : d) {
            System.out.println("d\t" + String.format("%016x", b) + "\t" + Double.toString(Double.longBitsToDouble(b)));
        }

        List<Integer> f = new ArrayList<>();
        for (int b : new int[]{0, 0x80000000, 0x7fc00000, 0x7f800001, 0x7f800000, 0xff800000, 1, 0x80000001, 0x007fffff,
                0x00800000, 0x7f7fffff, 0xff7fffff, 0x57d2a012, 0xcca89146, 0x4e91cc8e}) {
            f.add(b);
        }
        for (float x : new float[]{1f, 0.1f, 0.7f, 1e7f, 1e-3f, 2e23f, 3.4028235e38f, 1.0f / 3}) {
            f.add(Float.floatToRawIntBits(x));
        }
        for (int i = 0; i < 800; i++) {
            f.add(r.nextInt());
        }
        for (int i = 0; i < 100; i++) {
            f.add(r.nextInt() & 0x807fffff);
        }
        for (int b : f) {
            System.out.println("f\t" + String.format("%08x", b) + "\t" + Float.toString(Float.intBitsToFloat(b)));
        }
    }
}
