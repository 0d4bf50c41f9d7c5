package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.AttributedCharacterIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogTick;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.Tick;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.Size2D;
import org.jfree.data.Range;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * What {@code loss.png} shows, read from the chart {@link LossChart#chart} builds (laid out at the
 * PNG's size, as {@link LossChart#write} draws it), not from pixels: the loss axis's tick labels, the
 * title's lines, the theme.
 */
class LossChartTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    static List<HistoryPoint> history(int steps, DoubleUnaryOperator loss) {
        List<HistoryPoint> h = new ArrayList<>();
        for (int i = 0; i <= steps; i++) {
            h.add(new HistoryPoint(i, loss.applyAsDouble(i), 1));
        }
        return h;
    }

    /** The loss axis's labels, bottom to top, as the PNG of {@link LossChart#WIDTH} x {@link LossChart#HEIGHT} has them. */
    static List<String> lossLabels(JFreeChart chart) {
        BufferedImage image = new BufferedImage(LossChart.WIDTH, LossChart.HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g2 = image.createGraphics();
        ChartRenderingInfo info = new ChartRenderingInfo();
        chart.draw(g2, new Rectangle2D.Double(0, 0, LossChart.WIDTH, LossChart.HEIGHT), info);
        Rectangle2D dataArea = info.getPlotInfo().getDataArea();
        ValueAxis axis = chart.getXYPlot().getRangeAxis();
        List<String> labels = new ArrayList<>();
        for (Object o : axis.refreshTicks(g2, new AxisState(), dataArea, RectangleEdge.LEFT)) {
            String text = o instanceof LogTick t ? text(t) : ((Tick) o).getText();
            if (text != null && !text.isEmpty()) {
                labels.add(text);
            }
        }
        g2.dispose();
        return labels;
    }

    static String text(LogTick t) {
        if (t.getAttributedLabel() == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        AttributedCharacterIterator it = t.getAttributedLabel().getIterator();
        for (char c = it.first(); c != AttributedCharacterIterator.DONE; c = it.next()) {
            sb.append(c);
        }
        return sb.toString();
    }

    @Test
    void aLossWithinADecadeIsLabelledWithPlainNumbers() {
        // 398 down to 390: the picture, whose log axis read 10^2.60, 10^2.59, ...
        JFreeChart chart = LossChart.chart(history(100, i -> 390 + 8 * Math.exp(-i / 20.0)), "tapeline train: (y - w * x)^2");
        List<String> labels = lossLabels(chart);
        assertThat(chart.getXYPlot().getRangeAxis()).isInstanceOf(NumberAxis.class);
        assertThat(chart.getXYPlot().getRangeAxis().getLabel()).isEqualTo("loss");
        assertThat(labels).hasSizeGreaterThanOrEqualTo(4).allMatch(s -> s.matches("\\d{3}(\\.\\d+)?"), "plain numbers");
        List<Double> values = labels.stream().map(Double::parseDouble).toList();
        assertThat(values).isSorted();
        // They cover the curve (390 .. 398) and no more than a step beyond it on either side.
        double step = values.get(1) - values.get(0);
        assertThat(values.get(0)).isBetween(390 - step, 390.0);
        assertThat(values.get(values.size() - 1)).isBetween(398.0 - step, 398 + step);
    }

    @Test
    void aLossOverSeveralDecadesIsLabelledAtTheDecades() {
        // From 50 down to 1.15e-4: the axis runs from 10^-4 to 10^2 and labels each decade.
        JFreeChart chart = LossChart.chart(history(600, i -> 50 * Math.exp(-i / 40.0) + 1e-4), "tapeline train: x");
        assertThat(chart.getXYPlot().getRangeAxis().getLabel()).isEqualTo("loss (log scale)");
        assertThat(lossLabels(chart)).containsExactly("10\u207b\u2074", "10\u207b\u00b3", "10\u207b\u00b2", "10\u207b\u00b9",
                "1", "10", "10\u00b2");
    }

    @Test
    void aLossOverManyDecadesSkipsDecadesEvenly() {
        // 1e20 down to 1e-20: 41 decades do not fit 540 pixels; every label is still a whole decade, evenly apart.
        JFreeChart chart = LossChart.chart(history(400, i -> Math.pow(10, 20 - i / 10.0)), "tapeline train: x");
        List<String> labels = lossLabels(chart);
        assertThat(labels).hasSizeBetween(4, 25).contains("1");
        List<Integer> exponents = labels.stream().map(LossChartTest::exponent).toList();
        int gap = exponents.get(1) - exponents.get(0);
        assertThat(gap).isPositive();
        for (int i = 1; i < exponents.size(); i++) {
            assertThat(exponents.get(i) - exponents.get(i - 1)).isEqualTo(gap);
        }
        assertThat(exponents.get(0)).isBetween(-20, -20 + gap);
        assertThat(exponents.get(exponents.size() - 1)).isBetween(20 - gap, 20);
    }

    /** "10⁻¹²" is -12, "1" is 0, "10" is 1: the label read back by hand. */
    static int exponent(String label) {
        if (label.equals("1")) {
            return 0;
        }
        if (label.equals("10")) {
            return 1;
        }
        assertThat(label).startsWith("10");
        StringBuilder k = new StringBuilder();
        for (char c : label.substring(2).toCharArray()) {
            k.append(c == '\u207b' ? '-' : (char) ('0' + "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079".indexOf(c)));
        }
        return Integer.parseInt(k.toString());
    }

    @Test
    void decadesAreTenToAWholePower() {
        assertThat(LossChart.decade(1e-4)).isEqualTo("10\u207b\u2074");
        assertThat(LossChart.decade(Math.pow(10, -4))).isEqualTo("10\u207b\u2074");
        assertThat(LossChart.decade(1)).isEqualTo("1");
        assertThat(LossChart.decade(10)).isEqualTo("10");
        assertThat(LossChart.decade(1e12)).isEqualTo("10\u00b9\u00b2");
        assertThat(LossChart.decade(1e-305)).isEqualTo("10\u207b\u00b3\u2070\u2075");
    }

    @Test
    void aLossThatReachesZeroHasALinearAxis() {
        JFreeChart chart = LossChart.chart(history(10, i -> Math.max(0, 5 - i)), "tapeline train: x");
        assertThat(chart.getXYPlot().getRangeAxis()).isInstanceOf(NumberAxis.class);
        assertThat(lossLabels(chart)).isNotEmpty().allMatch(s -> s.matches("-?\\d+(\\.\\d+)?"));
    }

    @Test
    void theTitleOfATwentyFeatureLossIsOneLine() {
        StringBuilder loss = new StringBuilder("(y - (b");
        for (int j = 0; j < 20; j++) {
            loss.append(" + w").append(j).append(" * x").append(j);
        }
        String full = "tapeline train: " + loss.append("))^2");
        JFreeChart chart = LossChart.chart(history(10, i -> 1.0 / (i + 1)), full);
        TextTitle title = chart.getTitle();
        assertThat(title.getText()).endsWith(" \u2026").startsWith("tapeline train: (y - (b + w0 * x0 + w1 * x1");
        assertThat(full).startsWith(title.getText().substring(0, title.getText().length() - 2));
        // Laid out at the PNG's width it takes one line: as high as a title of one word.
        Graphics2D g2 = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB).createGraphics();
        double inside = LossChart.WIDTH - chart.getPadding().getLeft() - chart.getPadding().getRight();
        RectangleConstraint width = new RectangleConstraint(new Range(0, inside), null);
        Size2D laidOut = title.arrange(g2, width);
        TextTitle word = new TextTitle("tapeline", title.getFont());
        word.setPadding(title.getPadding());
        assertThat(laidOut.getHeight()).isEqualTo(word.arrange(g2, width).getHeight());
        // Without the cut, JFreeChart would have wrapped it over several lines.
        TextTitle uncut = new TextTitle(full, title.getFont());
        uncut.setPadding(title.getPadding());
        assertThat(uncut.arrange(g2, width).getHeight()).isGreaterThan(laidOut.getHeight() * 1.5);
        g2.dispose();

        String shortTitle = "tapeline train: (y - (b + dot(w, x)))^2";
        assertThat(LossChart.chart(history(10, i -> 1.0 / (i + 1)), shortTitle).getTitle().getText()).isEqualTo(shortTitle);
    }

    @Test
    void theThemeIsLight() {
        JFreeChart chart = LossChart.chart(history(10, i -> 1.0 / (i + 1)), "tapeline train: x");
        assertThat(chart.getBackgroundPaint()).isEqualTo(Color.WHITE);
        assertThat(chart.getXYPlot().getBackgroundPaint()).isEqualTo(Color.WHITE);
        Color grid = (Color) chart.getXYPlot().getRangeGridlinePaint();
        assertThat(grid.getRed() + grid.getGreen() + grid.getBlue()).isGreaterThan(3 * 200); // light grey lines
    }
}
