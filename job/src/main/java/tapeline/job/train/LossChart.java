package tapeline.job.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.io.IOException;
import java.io.OutputStream;
import java.text.AttributedString;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * The loss curve as a PNG, drawn with JFreeChart and written through the Hadoop FileSystem API (so
 * it lands next to the other outputs, wherever they are). People look at a curve, not 500 numbers.
 *
 * <pre>{@code
 * LossChart.write(history, "tapeline train: (y - (b + dot(w, x)))^2", new Path("out/train/loss.png"), conf, false);
 * }</pre>
 *
 * <p>The loss axis is logarithmic when every loss is positive and the losses span a decade or more
 * (a least-squares curve often spans several): it runs from decade to decade and labels decades
 * ({@code 10⁻³}, {@code 10⁻²}, ...). Within a decade a log scale looks linear and its labels would be
 * fractional powers ({@code 10^2.59}), so the axis is linear with plain numbers, as it is when a loss
 * is zero or negative. The title is kept to one line (a long loss is cut, with an ellipsis: the whole
 * of it is in the run record). Non-finite points are left out of the picture (they are in {@code history}).
 */
public final class LossChart {
    /** The PNG's size in pixels. */
    static final int WIDTH = 900;
    static final int HEIGHT = 540;
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Color LINE = new Color(0x1f, 0x77, 0xb4);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);
    private static final Color TEXT = new Color(0x33, 0x33, 0x33);

    private LossChart() {}

    public static void write(List<HistoryPoint> history, String title, Path file, Configuration conf,
                             boolean overwrite) throws IOException {
        System.setProperty("java.awt.headless", "true"); // drivers have no display
        JFreeChart chart = chart(history, title);
        FileSystem fs = file.getFileSystem(conf);
        try (OutputStream out = fs.create(file, overwrite)) {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        }
    }

    /** The chart {@link #write} draws: a light theme, the axis the class comment describes, a one-line title. */
    static JFreeChart chart(List<HistoryPoint> history, String title) {
        XYSeries series = new XYSeries("loss");
        boolean positive = true;
        for (HistoryPoint p : history) {
            if (Double.isFinite(p.loss())) {
                series.add(p.step(), p.loss());
                positive &= p.loss() > 0;
            }
        }
        NumberAxis steps = new NumberAxis("step");
        steps.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        steps.setAutoRangeIncludesZero(false);
        ValueAxis loss = positive && series.getItemCount() > 0 && series.getMaxY() >= 10 * series.getMinY()
                ? decades(series.getMinY(), series.getMaxY()) : plain();
        XYLineAndShapeRenderer line = new XYLineAndShapeRenderer(true, false);
        line.setSeriesPaint(0, LINE);
        line.setSeriesStroke(0, new BasicStroke(2f));
        XYPlot plot = new XYPlot(new XYSeriesCollection(series), steps, loss, line);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        for (ValueAxis a : List.of(steps, loss)) {
            a.setAxisLineVisible(false);
            a.setTickMarksVisible(false);
            a.setLabelPaint(TEXT);
            a.setTickLabelPaint(TEXT);
            a.setLabelFont(AXIS_FONT);
            a.setTickLabelFont(TICK_FONT); // larger than JFreeChart's 10 pt: fewer, readable ticks
        }
        JFreeChart chart = new JFreeChart(null, TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(8, 8, 8, 16));
        TextTitle t = new TextTitle(oneLine(title, TITLE_FONT, WIDTH - 40), TITLE_FONT);
        t.setPaint(TEXT);
        t.setMaximumLinesToDisplay(1); // the cut above makes it fit; never a second line regardless
        t.setPadding(new RectangleInsets(4, 0, 8, 0));
        chart.setTitle(t);
        return chart;
    }

    /** A linear loss axis labelled with plain numbers, not forced to include zero. */
    private static NumberAxis plain() {
        NumberAxis a = new NumberAxis("loss");
        a.setAutoRangeIncludesZero(false);
        return a;
    }

    /** A log axis from the decade below {@code min} to the decade above {@code max}, labelled at whole decades. */
    private static LogAxis decades(double min, double max) {
        LogAxis a = new DecadeAxis("loss (log scale)");
        a.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // whole decades: one, two, five ... apart
        a.setSmallestValue(Double.MIN_NORMAL);
        // A hair beyond the decades, so that rounding in the log keeps both end ticks on the axis.
        a.setRange(Math.pow(10, Math.floor(Math.log10(min))) * (1 - 1e-9), Math.pow(10, Math.ceil(Math.log10(max))) * (1 + 1e-9));
        return a;
    }

    /** A decade's label: {@code 10⁻³}, {@code 1}, {@code 10}, {@code 10²}. */
    static String decade(double value) {
        long k = Math.round(Math.log10(value));
        if (k == 0 || k == 1) {
            return k == 0 ? "1" : "10";
        }
        StringBuilder sb = new StringBuilder("10");
        for (char c : Long.toString(k).toCharArray()) {
            sb.append(c == '-' ? '\u207b' : SUPERSCRIPT_DIGITS.charAt(c - '0'));
        }
        return sb.toString();
    }

    private static final String SUPERSCRIPT_DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";

    /** {@code text}, cut with an ellipsis where it would be wider than {@code width} pixels in {@code font}. */
    static String oneLine(String text, Font font, double width) {
        FontRenderContext frc = new FontRenderContext(null, true, true);
        String single = text.replaceAll("\\s+", " ").trim();
        if (font.getStringBounds(single, frc).getWidth() <= width) {
            return single;
        }
        int n = single.length();
        while (n > 0 && font.getStringBounds(single.substring(0, n).stripTrailing() + " \u2026", frc).getWidth() > width) {
            n--;
        }
        return single.substring(0, n).stripTrailing() + " \u2026";
    }

    /** A {@link LogAxis} whose tick labels are {@link #decade}s, not JFreeChart's {@code 10^2.60}. */
    static final class DecadeAxis extends LogAxis {
        private static final long serialVersionUID = 1L;

        DecadeAxis(String label) {
            super(label);
        }

        @Override
        protected AttributedString createTickLabel(double value) {
            return new AttributedString(decade(value));
        }
    }
}
