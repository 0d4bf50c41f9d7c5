package tapeline.job.train;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * The loss curve as a PNG, drawn with JFreeChart and written through the Hadoop FileSystem API (so
 * it lands next to the other outputs, wherever they are). People look at a curve, not 500 numbers.
 *
 * <pre>{@code
 * LossChart.write(history, "linear: (y - (b + dot(w, x)))^2", new Path("out/train/loss.png"), conf, false);
 * }</pre>
 *
 * <p>The loss axis is logarithmic when every loss is positive (a least-squares curve spans decades),
 * linear otherwise. Non-finite points are left out of the picture (they are in {@code history}).
 */
public final class LossChart {
    private LossChart() {}

    public static void write(List<HistoryPoint> history, String title, Path file, Configuration conf,
                             boolean overwrite) throws IOException {
        System.setProperty("java.awt.headless", "true"); // drivers have no display
        XYSeries series = new XYSeries("loss");
        boolean positive = true;
        for (HistoryPoint p : history) {
            if (Double.isFinite(p.loss())) {
                series.add(p.step(), p.loss());
                positive &= p.loss() > 0;
            }
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", "loss",
                new XYSeriesCollection(series), PlotOrientation.VERTICAL, false, false, false);
        if (positive && series.getItemCount() > 0) {
            LogAxis axis = new LogAxis("loss (log scale)");
            axis.setSmallestValue(Math.max(Double.MIN_NORMAL, series.getMinY() / 2));
            chart.getXYPlot().setRangeAxis(axis);
        }
        FileSystem fs = file.getFileSystem(conf);
        try (OutputStream out = fs.create(file, overwrite)) {
            ChartUtils.writeChartAsPNG(out, chart, 900, 540);
        }
    }
}
