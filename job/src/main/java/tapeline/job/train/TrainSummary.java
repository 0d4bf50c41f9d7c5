package tapeline.job.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import tapeline.engine.train.TrainLoop;
import tapeline.job.JobResult;

/**
 * What a train run prints at the end.
 *
 * <pre>
 * tapeline train: MAX_STEPS after 300 steps, loss 0.0101 (grad norm 3.2e-05)
 *   rows: 2000 (0 bad rows skipped), 2 partitions, resumed from step 0
 *   gradient passes: 301 in 4.1 s, 13.6 ms per pass
 *   output: out/train-linear (params, history, loss.png)
 *     b = 0.5003
 *     w[0] = 1.9998 ...
 * </pre>
 */
public record TrainSummary(TrainLoop.Status status, String message, int steps, double finalLoss, double finalGradNorm,
                           long rows, long skippedRows, int partitions, int resumedFrom, int passes, double passSeconds,
                           String output, List<String> names, double[] params,
                           tapeline.engine.train.ParameterErrors errors) implements JobResult {

    /** Without standard errors. */
    public TrainSummary(TrainLoop.Status status, String message, int steps, double finalLoss, double finalGradNorm,
                        long rows, long skippedRows, int partitions, int resumedFrom, int passes, double passSeconds,
                        String output, List<String> names, double[] params) {
        this(status, message, steps, finalLoss, finalGradNorm, rows, skippedRows, partitions, resumedFrom, passes,
                passSeconds, output, names, params, null);
    }

    @Override
    public long rowsRead() {
        return rows + skippedRows;
    }

    /** {@code used} (trained on) and {@code skipped} (bad, with {@code bad.rows = skip}). */
    @Override
    public Map<String, Long> rowsByStatus() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("used", rows);
        m.put("skipped", skippedRows);
        return m;
    }

    @Override
    public long invalidRows() {
        return skippedRows;
    }

    @Override
    public long stepsTaken() {
        return steps;
    }

    /** The record's {@code train} entry: how the fit ended. */
    @Override
    public Map<String, Object> details() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("stop_reason", status.name());
        t.put("stop_message", message);
        t.put("steps", steps);
        t.put("final_loss", finalLoss);
        t.put("final_grad_norm", finalGradNorm);
        t.put("resumed_from", resumedFrom);
        t.put("gradient_passes", passes);
        if (errors != null) {
            // Where they are, or why there are none (then the se column and the covariance are null).
            Map<String, Object> se = new LinkedHashMap<>();
            se.put("available", errors.reason() == null);
            se.put("params_column", "se");
            se.put("covariance", "covariance");
            se.put("reason", errors.reason());
            t.put("standard_errors", se);
        }
        return Map.of("train", t);
    }

    public String render() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "tapeline train: %s after %d steps, loss %.6g (grad norm %.3g)%n",
                status, steps, finalLoss, finalGradNorm));
        if (message != null) {
            s.append("  ").append(status == TrainLoop.Status.DIVERGED ? "" : "stopped by ").append(message).append('\n');
        }
        s.append(String.format(Locale.ROOT, "  rows: %d (%d bad rows skipped), %d partition%s%s%n", rows, skippedRows,
                partitions, partitions == 1 ? "" : "s", resumedFrom > 0 ? ", resumed from step " + resumedFrom : ""));
        s.append(String.format(Locale.ROOT, "  gradient passes: %d in %.2f s, %.1f ms per pass%n", passes, passSeconds,
                passes == 0 ? 0.0 : 1000 * passSeconds / passes));
        s.append("  output: ").append(output).append(errors == null ? " (params, history, loss.png)\n"
                : " (params with se, covariance, history, loss.png)\n");
        if (errors != null && errors.reason() != null) s.append("  no standard errors: ").append(errors.reason()).append('\n');
        int shown = Math.min(names.size(), 20);
        for (int i = 0; i < shown; i++) {
            s.append(String.format(Locale.ROOT, "    %s = %.17g", names.get(i), params[i]));
            if (errors != null && errors.reason() == null) s.append(String.format(Locale.ROOT, "  (se %.6g)", errors.se()[i]));
            s.append('\n');
        }
        if (shown < names.size()) {
            s.append("    ... ").append(names.size() - shown).append(" more in params\n");
        }
        return s.toString();
    }
}
