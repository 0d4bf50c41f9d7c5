package tapeline.job;

import org.apache.spark.OneToOneDependency;
import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;

/**
 * A frame's rows in Spark's internal form, as {@code frame.queryExecution().toRdd()}, planned only
 * when a job needs them. {@code toRdd()} itself is not lazy for every plan: with adaptive query
 * execution a plan with an exchange (a join, a repartition) runs its shuffle and broadcast stages to
 * plan the rest, and without it a broadcast is started at once. The jobs' partition functions
 * (sweep, score, grouped score) take their input this way, so that a stage's {@code transform}
 * returns a plan and nothing runs until an action: Spark asks for {@link #getPartitions()} on the
 * action's thread, before the job is submitted, and the frame's physical plan is made then, once.
 *
 * <pre>{@code
 * RDD<InternalRow> rows = LazyRows.of(frame);              // no job yet, whatever the plan
 * Dataset<Row> out = SparkLine.internalDataFrame(spark, rows.toJavaRDD().mapPartitions(f).rdd(), schema);
 * out.count();                                            // the frame's plan runs here
 * }</pre>
 */
public final class LazyRows extends RDD<InternalRow> {
    private static final long serialVersionUID = 1L;

    /** The frame, until its rows are planned (the driver's only: a task gets {@link #rows}). */
    private transient Dataset<?> frame;
    private RDD<InternalRow> rows;

    private LazyRows(Dataset<?> frame) {
        // No dependency given here: getDependencies gives the planned rows' when Spark first asks.
        super(frame.sparkSession().sparkContext(), noDependencies(), ClassTag$.MODULE$.apply(InternalRow.class));
        this.frame = frame;
    }

    /** {@code frame}'s rows, planned when the first job over them asks for its partitions. */
    public static RDD<InternalRow> of(Dataset<?> frame) {
        return new LazyRows(frame);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static scala.collection.immutable.List noDependencies() {
        // A Scala List is the Seq both Spark lines' constructors take (scala.collection.Seq in 2.12, immutable in 2.13).
        return (scala.collection.immutable.List) scala.collection.immutable.Nil$.MODULE$;
    }

    /** The frame's physical rows, planned once (here AQE runs the stages it needs to plan the rest). */
    private synchronized RDD<InternalRow> rows() {
        if (rows == null) {
            rows = frame.queryExecution().toRdd();
            frame = null;
        }
        return rows;
    }

    @Override
    public Iterator<InternalRow> compute(Partition split, TaskContext context) {
        return rows.iterator(split, context); // set on the driver before any task is made
    }

    @Override
    public Partition[] getPartitions() {
        return rows().partitions();
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public scala.collection.immutable.List getDependencies() {
        return noDependencies().$colon$colon(new OneToOneDependency<>(rows()));
    }
}
