package tapeline.job.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.LaneStatus;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The task side without Spark running: laziness (the memory bound), order, and the output row shape.
 * Rows go in and out as Spark's internal rows, converted from and to {@code Row}s by Spark's converters.
 */
class SweepPartitionTest {

    static final StructType INPUT = new StructType().add("id", DataTypes.IntegerType).add("t", DataTypes.StringType);
    static final SweepPlan PLAN = new SweepPlan(List.of(new SweepPlan.Input("t", List.of(Cell.scalar(1, "t")))), List.of(), List.of());

    static SweepPartition partition(List<VariableSpec> vars, String cost, boolean arrays, DType dtype, int block) {
        return partition(vars, cost, arrays, dtype, block, new SweepCounts());
    }

    static SweepPartition partition(List<VariableSpec> vars, String cost, boolean arrays, DType dtype, int block,
                                    SweepCounts counts) {
        BlockSolver solver = new BlockSolver(Expression.parse("cost", cost), vars, Map.of("t", 1), "sgd",
                Map.of("learning_rate", 0.25), new SolverSettings(1, 0, 0), dtype);
        return new SweepPartition(PLAN, new CellReader(INPUT), solver, new OutputLayout(INPUT, vars, arrays, dtype), "sgd",
                Map.of(), block, counts);
    }

    static InternalRow internal(Row r) {
        return (InternalRow) CatalystTypeConverters.createToCatalystConverter(INPUT).apply(r);
    }

    static Iterator<InternalRow> internal(List<Row> rows) {
        return rows.stream().map(SweepPartitionTest::internal).iterator();
    }

    /** The output rows as {@code Row}s (each converted before the next is asked for). */
    static Iterator<Row> external(Iterator<InternalRow> out, StructType schema) {
        var toRow = CatalystTypeConverters.createToScalaConverter(schema);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return out.hasNext();
            }

            @Override
            public Row next() {
                return (Row) toRow.apply(out.next());
            }
        };
    }

    /** Rows id = 0.. with t = id, except every fifth which is text. */
    static final class CountingRows implements Iterator<InternalRow> {
        final int n;
        int pulled;

        CountingRows(int n) {
            this.n = n;
        }

        @Override
        public boolean hasNext() {
            return pulled < n;
        }

        @Override
        public InternalRow next() {
            int i = pulled++;
            return internal(RowFactory.create(i, i % 5 == 4 ? "n/a" : String.valueOf(i)));
        }
    }

    @Test
    void readsOneBlockAtATimeAndKeepsTheInputOrder() {
        CountingRows in = new CountingRows(100);
        SweepCounts counts = new SweepCounts();
        SweepPartition p = partition(List.of(new VariableSpec("w", 1)), "(w - t)^2", true, DType.FLOAT64, 8, counts);
        Iterator<Row> out = external(p.call(in), new OutputLayout(INPUT, List.of(new VariableSpec("w", 1)), true,
                DType.FLOAT64).schema());
        assertThat(in.pulled).as("nothing is read before it is asked for").isZero();
        Row first = out.next();
        assertThat(in.pulled).as("one block, not the partition").isEqualTo(8);
        assertThat(counts.value().rows(LaneStatus.MAX_STEPS)).as("rows are counted as emitted, not as solved").isEqualTo(1);
        List<Row> rows = new ArrayList<>(List.of(first));
        out.forEachRemaining(rows::add);
        assertThat(in.pulled).isEqualTo(100);
        assertThat(rows).hasSize(100);
        for (int i = 0; i < 100; i++) {
            Row r = rows.get(i);
            assertThat(r.getInt(0)).isEqualTo(i);
            if (i % 5 == 4) {
                assertThat(r.<String>getAs(6)).isEqualTo("INVALID");
                assertThat(r.<String>getAs(7)).isEqualTo("column t: not a number: 'n/a'");
                assertThat(r.isNullAt(2)).isTrue();
                assertThat(r.isNullAt(4)).isTrue();
            } else {
                // One SGD step from 0 on (w - t)^2: w = 0 - 0.25 * 2 * (0 - t) = t / 2.
                assertThat(r.getDouble(2)).isEqualTo(i / 2.0);
                // grad_norm there: |2 (w - t)| = |2 (t/2 - t)| = t.
                assertThat(r.getDouble(4)).isEqualTo((double) i);
                assertThat(r.<String>getAs(6)).isEqualTo("MAX_STEPS");
                assertThat(r.isNullAt(7)).isTrue();
            }
        }
        // Every fifth row is text: 20 INVALID (no steps), 80 solved with the one step each.
        assertThat(counts.value().byStatus()).containsEntry("INVALID", 20L).containsEntry("MAX_STEPS", 80L)
                .containsEntry("CONVERGED", 0L).containsEntry("DIVERGED", 0L);
        assertThat(counts.value().steps()).isEqualTo(80);
    }

    @Test
    void aBlockOfOnlyBadRowsNeedsNoEngine() {
        List<VariableSpec> w = List.of(new VariableSpec("w", 1));
        Iterator<Row> out = external(partition(w, "(w - t)^2", true, DType.FLOAT64, 2)
                .call(internal(List.of(RowFactory.create(1, "x"), RowFactory.create(2, null)))),
                new OutputLayout(INPUT, w, true, DType.FLOAT64).schema());
        assertThat(out.next().<String>getAs(7)).isEqualTo("column t: not a number: 'x'");
        assertThat(out.next().<String>getAs(7)).isEqualTo("column t: missing value");
        assertThat(out.hasNext()).isFalse();
    }

    @Test
    void outputLayoutsForArraysCsvAndFloat32() {
        List<VariableSpec> vars = List.of(new VariableSpec("w", 2), new VariableSpec("b", 1));
        OutputLayout arrays = new OutputLayout(INPUT, vars, true, DType.FLOAT64);
        assertThat(arrays.schema().fieldNames()).containsExactly("id", "t", "w", "b", "cost", "grad_norm", "steps", "status", "error");
        assertThat(arrays.schema().apply("w").dataType()).isEqualTo(DataTypes.createArrayType(DataTypes.DoubleType, false));
        OutputLayout csv = new OutputLayout(INPUT, vars, false, DType.FLOAT32);
        assertThat(csv.schema().fieldNames()).containsExactly("id", "t", "w_0", "w_1", "b", "cost", "grad_norm", "steps", "status", "error");
        assertThat(csv.schema().apply("w_1").dataType()).isEqualTo(DataTypes.FloatType);
        assertThat(csv.schema().apply("cost").dataType()).isEqualTo(DataTypes.FloatType);
        assertThat(csv.schema().apply("grad_norm").dataType()).isEqualTo(DataTypes.FloatType);

        List<VariableSpec> one = List.of(new VariableSpec("w", 1));
        Iterator<Row> out = external(partition(one, "(w - t)^2", false, DType.FLOAT32, 4)
                .call(internal(List.of(RowFactory.create(1, "0.2")))), new OutputLayout(INPUT, one, false, DType.FLOAT32).schema());
        Object w = out.next().get(2);
        assertThat(w).isInstanceOf(Float.class);
        assertThat(Float.toString((Float) w)).isEqualTo("0.1");
    }
}
