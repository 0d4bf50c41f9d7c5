package tapeline.job;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.job.config.ConfigException;
import tapeline.job.config.TrainConfig;
import tapeline.job.train.TrainJob;
import tapeline.job.train.TrainSummary;

/**
 * {@link Main} for {@code job = train}: same arguments, same exit codes (0 ran; 2 configuration or
 * data error, nothing written; 1 failure while running), same session handling.
 */
final class TrainMain {
    private static final Logger LOG = LoggerFactory.getLogger(TrainMain.class);

    private TrainMain() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        TrainConfig config;
        try {
            config = TrainConfig.load(Path.of(args[0]), List.of(Arrays.copyOfRange(args, 1, args.length)));
        } catch (ConfigException e) {
            err.println("tapeline: " + args[0] + ": " + e.getMessage());
            return Main.USAGE;
        }
        SparkSession existing = Main.runningSession();
        boolean owned = existing == null;
        SparkSession spark;
        try {
            spark = owned ? Main.start(config.appName(), config.spark()) : existing;
        } catch (RuntimeException e) {
            err.println("tapeline: cannot start Spark: " + e.getMessage());
            return Main.FAILED;
        }
        try {
            TrainJob.Prepared prepared = TrainJob.prepare(spark, config);
            TrainSummary summary = TrainJob.run(spark, prepared);
            out.print(summary.render());
            out.flush();
            return Main.OK;
        } catch (ConfigException e) {
            err.println("tapeline: " + args[0] + ": " + e.getMessage());
            return Main.USAGE;
        } catch (tapeline.job.train.Checkpoints.CheckpointException e) {
            err.println("tapeline: " + args[0] + ": " + e.getMessage());
            return Main.USAGE;
        } catch (Exception e) {
            LOG.error("the train job failed", e);
            err.println("tapeline: the train job failed: " + Main.rootCause(e));
            return Main.FAILED;
        } finally {
            if (owned) {
                spark.stop();
            }
        }
    }
}
