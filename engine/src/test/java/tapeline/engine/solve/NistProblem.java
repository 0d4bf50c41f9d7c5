package tapeline.engine.solve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One NIST StRD nonlinear regression problem read from its published file (test resources
 * {@code nist/}): the two starts, the certified parameters and their standard deviations, the
 * certified residual sum of squares, and the data columns ({@code y}, then {@code x} or
 * {@code x1}, {@code x2}), with the model written as tapeline residuals in {@code nist/models.txt}.
 */
public record NistProblem(String name, String residuals, double[][] starts, double[] certified, double[] certifiedSe,
                   double rss, Map<String, double[]> columns) {

    private static final Pattern PARAM = Pattern.compile("\\s*b(\\d+)\\s*=\\s*(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s*");

    public int parameters() {
        return certified.length;
    }

    public int observations() {
        return columns.get("y").length;
    }

    public static Map<String, String> models() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text("nist/models.txt").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int eq = line.indexOf('=');
            out.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        return out;
    }

    public static List<NistProblem> all() {
        List<NistProblem> out = new ArrayList<>();
        models().forEach((name, model) -> out.add(load(name, model)));
        return out;
    }

    public static NistProblem load(String name, String model) {
        String[] lines = text("nist/" + name + ".dat").split("\r?\n");
        List<double[]> params = new ArrayList<>();
        double rss = Double.NaN;
        int data = -1;
        String[] header = null;
        for (int i = 0; i < lines.length; i++) {
            Matcher m = PARAM.matcher(lines[i]);
            if (m.matches() && data < 0) {
                params.add(new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                        Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5))});
            } else if (lines[i].startsWith("Residual Sum of Squares:")) {
                rss = Double.parseDouble(lines[i].substring(lines[i].indexOf(':') + 1).trim());
            } else if (lines[i].matches("Data:\\s+y\\s+x.*")) {
                header = lines[i].substring(5).trim().split("\\s+");
                data = i + 1;
            }
        }
        List<double[]> rows = new ArrayList<>();
        for (int i = data; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            String[] f = lines[i].trim().split("\\s+");
            double[] row = new double[f.length];
            for (int j = 0; j < f.length; j++) row[j] = Double.parseDouble(f[j]);
            rows.add(row);
        }
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (int j = 0; j < header.length; j++) {
            double[] c = new double[rows.size()];
            for (int i = 0; i < c.length; i++) c[i] = rows.get(i)[j];
            columns.put(header[j], c);
        }
        int p = params.size();
        double[][] starts = new double[2][p];
        double[] cert = new double[p];
        double[] se = new double[p];
        for (int k = 0; k < p; k++) {
            starts[0][k] = params.get(k)[0];
            starts[1][k] = params.get(k)[1];
            cert[k] = params.get(k)[2];
            se[k] = params.get(k)[3];
        }
        return new NistProblem(name, model, starts, cert, se, rss, columns);
    }

    /** The lowest number of correct significant digits over the parameters (NIST's LRE), capped at 15. */
    public static double correctDigits(double[] got, double[] want) {
        double worst = 15;
        for (int k = 0; k < want.length; k++) {
            double rel = Math.abs(got[k] - want[k]) / Math.abs(want[k]);
            double lre = rel == 0 ? 15 : -Math.log10(rel);
            if (!(lre >= 0)) lre = 0; // NaN too
            worst = Math.min(worst, lre);
        }
        return worst;
    }

    public static String text(String resource) {
        try (InputStream in = NistProblem.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
