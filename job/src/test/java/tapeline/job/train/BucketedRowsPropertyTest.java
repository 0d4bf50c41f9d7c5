package tapeline.job.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import tapeline.engine.Theories;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.GradientAggregator;
import tapeline.engine.train.GradientSums;
import tapeline.engine.train.LossModel;
import tapeline.engine.train.RowSampler;
import tapeline.job.columns.Cell;

/**
 * The load and the pass's summation, without Spark's scheduling but with its pieces: random rows
 * (with repeats, and -0.0 next to 0.0) in a random order, split into random input partitions, sent
 * to a random number of partitions by bucket in a random arrival order, each partition's buckets
 * added in a random order and the partitions' aggregates merged in a random order. The sums must
 * equal, bit for bit, a single-thread reference that sums the canonical buckets
 * ({@link TrainJobTest#canonicalFold}), for the whole data and for a mini-batch.
 */
class BucketedRowsPropertyTest {

    static final StructType SCHEMA = new StructType().add("y", DataTypes.DoubleType).add("x0", DataTypes.DoubleType)
            .add("x1", DataTypes.DoubleType);
    static final List<Cell> CELLS = List.of(Cell.scalar(0, "y"), Cell.scalar(1, "x0"), Cell.scalar(2, "x1"));

    /** One case: the seed of everything random, and the sizes. */
    record Shape(long seed, int n, int inputPartitions, int partitions, int lanes) { }

    @Test
    void passSumsEqualTheSingleThreadCanonicalReference() {
        // QuickTheories tries the all-minimum and all-maximum shapes first; 1 row, one partition, one lane each are edges too.
        Theories.qt(80).forAll(Theories.seeds().zip(Theories.withEdges(integers().between(1, 3000), 1, 2, 3000),
                        Theories.withEdges(integers().between(1, 7), 1), Theories.withEdges(integers().between(1, 9), 1),
                        Theories.withEdges(integers().between(1, 300), 1, 300), Shape::new))
                .checkAssert(s -> sumsEqualTheReference(s.seed(), s.n(), s.inputPartitions(), s.partitions(), s.lanes()));
    }

    static void sumsEqualTheReference(long seed, int n, int inputPartitions, int partitions, int lanes) {
        Random r = new Random(seed);
        double fraction = r.nextBoolean() ? 1.0 : 0.3;
        int step = r.nextInt(5);
        Map<String, Integer> inputs = new LinkedHashMap<>();
        inputs.put("y", 1);
        inputs.put("x", 2);
        LossModel model = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
                List.of(new VariableSpec("b", 1), new VariableSpec("w", 2)), inputs, DType.FLOAT64, lanes);
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            if (i > 0 && r.nextInt(4) == 0) {
                rows[i] = rows[r.nextInt(i)].clone(); // a repeated row
            } else {
                rows[i] = new double[] {r.nextGaussian() * 10, r.nextInt(3) == 0 ? 0.0 : r.nextGaussian(),
                        r.nextInt(7) == 0 ? -0.0 : r.nextGaussian() * 1e3};
            }
        }
        double[] params = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};

        // The job's way: the rows in another order, cut into input partitions ...
        List<double[]> shuffled = new ArrayList<>(List.of(rows));
        Collections.shuffle(shuffled, r);
        List<List<Tuple2<Integer, BucketedRows.Piece>>> received = new ArrayList<>();
        for (int p = 0; p < partitions; p++) received.add(new ArrayList<>());
        int from = 0;
        for (int t = 0; t < inputPartitions; t++) {
            int to = t == inputPartitions - 1 ? n : from + r.nextInt(n - from + 1);
            List<InternalRow> split = new ArrayList<>();
            for (double[] row : shuffled.subList(from, to)) split.add(new GenericInternalRow(new Object[] {row[0], row[1], row[2]}));
            from = to;
            // ... each task's pieces sent to the partition of their bucket (HashPartitioner: bucket mod partitions) ...
            for (Iterator<Tuple2<Integer, BucketedRows.Piece>> it = BucketedRows.pieces(split.iterator(), SCHEMA, CELLS); it.hasNext(); ) {
                Tuple2<Integer, BucketedRows.Piece> piece = it.next();
                received.get(piece._1() % partitions).add(piece);
            }
        }
        // ... arriving in any order; each partition's buckets added in any order, the aggregates merged in any order.
        List<GradientAggregator> aggregates = new ArrayList<>();
        long rowsHeld = 0;
        for (List<Tuple2<Integer, BucketedRows.Piece>> arrived : received) {
            Collections.shuffle(arrived, r);
            List<ColumnBlock> blocks = new ArrayList<>();
            BucketedRows.buckets(arrived.iterator(), CELLS.size(), fraction < 1).forEachRemaining(blocks::add);
            Collections.shuffle(blocks, r);
            GradientAggregator agg = new GradientAggregator(model);
            for (ColumnBlock b : blocks) {
                b.addTo(agg, params, step, seed, fraction);
                rowsHeld += b.rows();
            }
            aggregates.add(agg);
        }
        assertThat(rowsHeld).isEqualTo(n);
        Collections.shuffle(aggregates, r);
        GradientAggregator job = new GradientAggregator(model);
        for (GradientAggregator a : aggregates) job.merge(a);

        List<double[]> batch = new ArrayList<>();
        for (double[] row : rows) if (RowSampler.includes(RowSampler.rowKey(row), seed, step, fraction)) batch.add(row);
        GradientAggregator reference = TrainJobTest.canonicalFold(model, batch.toArray(double[][]::new), params);

        assertThat(job.sameSumsAs(reference)).as("exact sums").isTrue();
        GradientSums a = job.snapshot();
        GradientSums b = reference.snapshot();
        assertThat(a.count()).isEqualTo(batch.size());
        assertThat(Double.doubleToRawLongBits(a.lossSum())).isEqualTo(Double.doubleToRawLongBits(b.lossSum()));
        for (int k = 0; k < params.length; k++) {
            assertThat(Double.doubleToRawLongBits(a.gradientSum()[k])).isEqualTo(Double.doubleToRawLongBits(b.gradientSum()[k]));
        }
    }
}
