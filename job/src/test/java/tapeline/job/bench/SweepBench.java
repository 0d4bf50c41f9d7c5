package tapeline.job.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import tapeline.job.config.SweepConfig;
import tapeline.job.sweep.SweepJob;
import tapeline.job.sweep.SweepSummary;

/**
 * The sweep job's throughput in a warm JVM, as JMH measures the engine's: the same sweep run several
 * times in one SparkSession ({@code local[2]}), each run a whole job (read, solve, write through the
 * commit protocol, output overwritten), the first runs discarded as warm-up. Prints each run's
 * config-steps/s (as the job's summary computes it) and the median of the measured runs.
 *
 * <p>Run with {@code scripts/bench-sweep.sh}, which also runs the cold {@code submit.sh} job and JMH.
 *
 * <pre>{@code
 * SweepBench CONF INPUT OUTPUT [warmup=2] [runs=5] [key=value ...]   # overrides of CONF, e.g. steps=1
 * }</pre>
 */
public final class SweepBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SweepBench CONF INPUT OUTPUT [warmup] [runs]");
            System.exit(2);
        }
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        List<String> overrides = new ArrayList<>(List.of("input.path=" + args[1], "output.path=" + args[2],
                "output.mode=overwrite"));
        overrides.addAll(Arrays.asList(args).subList(Math.min(args.length, 5), args.length));
        SweepConfig config = SweepConfig.load(Path.of(args[0]), overrides);
        java.util.Map<String, String> keys = tapeline.job.config.ConfigFile.read(Path.of(args[0]), overrides, new ArrayList<>());
        SparkSession spark = SparkSession.builder().master("local[2]").appName("tapeline sweep bench")
                .config(new SparkConf().set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false"))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < warmup + runs; i++) {
            // As ./submit.sh runs it: the keys through the Sweep stage (StageJobs), its rows written.
            SweepJob job = tapeline.job.StageJobs.sweep();
            SweepConfig c = job.configure(keys, new ArrayList<>());
            SweepSummary s = job.run(spark, job.check(spark, c), tapeline.job.QualityGate.NONE, new tapeline.job.Phases());
            double rate = s.stepsPerSecond();
            System.out.printf(Locale.ROOT, "%s %d: %.2f s, %.3g config-steps/s%n", i < warmup ? "warm-up" : "run", i + 1,
                    s.seconds(), rate);
            if (i >= warmup) {
                rates.add(rate);
            }
        }
        double[] sorted = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "warm sweep job, local[2], median of %d runs: %.3g config-steps/s%n", runs,
                sorted[sorted.length / 2]);
        System.out.println("rates " + Arrays.toString(sorted));

        // The same sweep written to Spark's "noop" sink: read + solve + rows out, without Parquet encoding and commit.
        List<Double> noop = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            SweepJob.Prepared p = SweepJob.prepare(spark, config);
            long t0 = System.nanoTime();
            SweepJob.sweep(p).write().format("noop").mode("overwrite").save();
            double seconds = (System.nanoTime() - t0) / 1e9;
            noop.add(seconds);
            System.out.printf(Locale.ROOT, "noop sink %d: %.2f s%n", i + 1, seconds);
        }
        noop.sort(null);
        System.out.printf(Locale.ROOT, "warm sweep, noop sink, median: %.2f s%n", noop.get(noop.size() / 2));
        spark.stop();
    }
}
