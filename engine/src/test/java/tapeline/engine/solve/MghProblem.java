package tapeline.engine.solve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One Moré-Garbow-Hillstrom least-squares test problem from {@code mgh/problems.txt} (written by
 * {@code scripts/mgh-corpus.py} from the paper's definitions): residuals in {@code x1..xn}, the
 * textbook start and the published optimal sums of squares.
 */
record MghProblem(String name, int n, double[] x0, double[] fstars, String residuals) {

    static List<MghProblem> all() {
        List<MghProblem> out = new ArrayList<>();
        for (String line : NistProblem.text("mgh/problems.txt").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\\|");
            out.add(new MghProblem(f[0].trim(), Integer.parseInt(f[1].trim()), numbers(f[2]), numbers(f[3]), f[4].trim()));
        }
        return out;
    }

    private static double[] numbers(String s) {
        return Arrays.stream(s.trim().split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    /** MINPACK's test driver's start for a factor: {@code factor * x0}, or {@code factor} everywhere when x0 is 0. */
    double[] start(double factor) {
        boolean zero = Arrays.stream(x0).allMatch(v -> v == 0);
        double[] x = new double[n];
        for (int k = 0; k < n; k++) x[k] = zero ? factor : factor * x0[k];
        if (factor == 1) return x0.clone();
        return x;
    }

    /** Whether a sum of squares reached one of the published optimal values (relative 1e-5, or 1e-10 absolute). */
    boolean solvedBy(double cost) {
        for (double f : fstars) {
            if (Math.abs(cost - f) <= 1e-5 * f + 1e-10) return true;
        }
        return false;
    }
}
