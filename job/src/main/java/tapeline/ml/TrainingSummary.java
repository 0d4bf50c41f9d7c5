package tapeline.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import tapeline.engine.train.TrainState.HistoryPoint;

/**
 * How a fit went, as MLlib's training summaries tell it: the stop reason, steps and gradient passes,
 * the rows used, and the objective's history ({@link #objectiveHistory()} as numbers,
 * {@link #history()} as a frame with the train job's {@code history} columns).
 *
 * <pre>{@code
 * TrainingSummary s = model.summary();
 * s.status();              // "CONVERGED"
 * s.objectiveHistory();    // the loss at step 0, 1, ...
 * }</pre>
 *
 * @param status        why the fit stopped: {@code CONVERGED}, {@code MAX_STEPS}, {@code DIVERGED}, {@code STALLED}
 * @param message       the stop's explanation (which tolerance was met, ...), or empty
 * @param steps         optimizer steps taken
 * @param passes        gradient passes over the data (a line search takes several a step)
 * @param rowsUsed      rows trained on
 * @param rowsSkipped   bad rows left out ({@code badRows = skip})
 * @param finalLoss     the objective at the end
 * @param finalGradNorm its gradient's norm
 * @param points        the history, one point per step (step 0 is the start)
 */
public record TrainingSummary(String status, String message, int steps, int passes, long rowsUsed, long rowsSkipped,
                              double finalLoss, double finalGradNorm, List<HistoryPoint> points) implements Serializable {

    public TrainingSummary {
        java.util.Objects.requireNonNull(status, "status");
        message = message == null ? "" : message;
        points = List.copyOf(points);
    }

    /** The objective (loss) at each step, as MLlib's {@code objectiveHistory}. */
    public double[] objectiveHistory() {
        return points.stream().mapToDouble(HistoryPoint::loss).toArray();
    }

    /** The history as a frame: {@code step}, {@code loss}, {@code grad_norm}, {@code passes} (the train job's {@code history}). */
    public Dataset<Row> history() {
        List<Row> rows = new ArrayList<>();
        for (HistoryPoint h : points) {
            rows.add(RowFactory.create(h.step(), h.loss(), h.gradNorm(), h.passes()));
        }
        return SparkSession.active().createDataFrame(rows, SCHEMA);
    }

    /** The {@code history} frame's schema. */
    public static final StructType SCHEMA = new StructType()
            .add("step", DataTypes.IntegerType, false)
            .add("loss", DataTypes.DoubleType, false)
            .add("grad_norm", DataTypes.DoubleType, false)
            .add("passes", DataTypes.IntegerType, false);
}
