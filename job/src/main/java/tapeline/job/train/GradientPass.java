package tapeline.job.train;

import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.TrainLoop;

/**
 * The whole of the train job's Spark wiring for one iteration, as MLlib's {@code RDDLossFunction}:
 * broadcast the parameters, {@code treeAggregate} the partitions' {@link GradientAggregator}s, destroy
 * the broadcast, hand back the sums. The driver's loop ({@link TrainLoop}) sees only this function.
 *
 * <pre>{@code
 * TrainLoop.GradientPass pass = new GradientPass(sc, cachedBlocks, model, 1.0, 0L, 2);
 * GradientSums s = pass.pass(params, step);
 * }</pre>
 *
 * <p>Each element of {@code data} is one bucket of rows in canonical order ({@link BucketedRows}),
 * summed in plain double chunk by chunk; the aggregate's merge is exact (integer arithmetic
 * underneath), so the result does not depend on the number of partitions, the tree's shape, task
 * retries or the order tasks finish in.
 */
public final class GradientPass implements TrainLoop.GradientPass, TrainLoop.JacobianPass {
    private static final Logger LOG = LoggerFactory.getLogger(GradientPass.class);

    private final SparkContext sc;
    private final JavaRDD<ColumnBlock> data;
    private final LossModel model;
    private final double fraction;
    private final long seed;
    private final int depth;
    /** Whether every pass also sums the rows' Hessians ({@code optimizer = newton}). */
    private boolean hessian;
    /** The path the last pass logged (compiled or interpreted, and why): logged again only when it changes. */
    private String lastPath = "";

    public GradientPass(SparkContext sc, JavaRDD<ColumnBlock> data, LossModel model, double fraction, long seed, int depth) {
        this.sc = sc;
        this.data = data;
        this.model = model;
        this.fraction = fraction;
        this.seed = seed;
        this.depth = depth;
    }

    /** The residuals' model, for least-squares passes ({@link #jacobianPass}), or null. */
    private tapeline.engine.train.ResidualModel residuals;

    /** This pass, able to sum the residuals' {@code J^T J}, {@code J^T r}, {@code r^T r} too ({@code optimizer = lm}, {@code stderr}). */
    public GradientPass withResiduals(tapeline.engine.train.ResidualModel model) {
        residuals = model;
        return this;
    }

    /**
     * A least-squares pass over every row ({@code optimizer = lm}; the standard errors): the same
     * wiring as {@link #pass}, the partitions' {@link tapeline.engine.train.JacobianAggregator}s
     * merged exactly, so the sums do not depend on the partitioning either.
     */
    @Override
    public tapeline.engine.train.JacobianSums jacobianPass(double[] params, int step) {
        if (residuals == null) throw new IllegalStateException("this pass has no residuals (residuals = ...)");
        sc.setJobDescription("tapeline train: least-squares pass, step " + step);
        Broadcast<double[]> bc = JavaSparkContext.fromSparkContext(sc).broadcast(params);
        tapeline.engine.train.ResidualModel m = residuals;
        try {
            return data.treeAggregate(new tapeline.engine.train.JacobianAggregator(m),
                    (agg, block) -> block.addTo(agg, bc.value()),
                    tapeline.engine.train.JacobianAggregator::merge, depth).snapshot();
        } finally {
            bc.destroy();
            sc.setJobDescription(null);
        }
    }

    /** The Hessian sums of every row at {@code params} (the standard errors of a negative log-likelihood). */
    public GradientSums hessianPass(double[] params) {
        boolean was = hessian;
        hessian = true;
        try {
            return fraction < 1 ? fullBatch().pass(params, -1) : pass(params, -1);
        } finally {
            hessian = was;
        }
    }

    private GradientPass fullBatch() {
        return new GradientPass(sc, data, model, 1.0, seed, depth).withHessian(true);
    }

    /** This pass, summing the rows' Hessians too ({@code optimizer = newton} needs them). */
    public GradientPass withHessian(boolean on) {
        hessian = on;
        return this;
    }

    @Override
    public GradientSums pass(double[] params, int step) {
        sc.setJobDescription("tapeline train: gradient pass, step " + step);
        Broadcast<double[]> bc = JavaSparkContext.fromSparkContext(sc).broadcast(params);
        // Locals only: the closures must not capture this (it holds the SparkContext).
        double f = fraction;
        long s = seed;
        boolean h = hessian;
        try {
            GradientAggregator sum = data.treeAggregate(new GradientAggregator(model, h),
                    (agg, block) -> block.addTo(agg, bc.value(), step, s, f),
                    GradientAggregator::merge, depth);
            logPath(sum, step);
            return sum.snapshot();
        } finally {
            bc.destroy();
            sc.setJobDescription(null);
        }
    }

    /**
     * Says which path the pass's chunks ran ({@code engine.codegen}): the compiled pass, the tape's
     * interpreter (while the class compiles, for a loss the generator does not handle, or when
     * switched off), or both. The bits are the same either way.
     */
    private void logPath(GradientAggregator sum, int step) {
        String kind = sum.interpretedChunks() == 0 ? "compiled" : sum.compiledChunks() == 0 ? "interpreted: " + sum.fallback()
                : "mixed: " + sum.fallback();
        if (!kind.equals(lastPath)) {
            LOG.info("gradient pass at step {}: {}", step, sum.describePath());
            lastPath = kind;
        }
    }
}
