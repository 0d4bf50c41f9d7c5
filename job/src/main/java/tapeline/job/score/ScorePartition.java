package tapeline.job.score;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.LongAccumulator;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;
import tapeline.job.sweep.SweepPlan;

/**
 * One task of a score: the partition's rows block by block, each row followed by its output columns,
 * {@code status} ({@code SCORED}, or {@code INVALID} for a row with a missing, non-numeric or
 * non-finite cell, whose outputs are null) and {@code error}. Counts the rows by status into
 * accumulators, updated by the writing tasks (once per partition, whatever the retries).
 *
 * <p>A grouped score passes {@link Unmodelled}: its rows come from the left join of the input with
 * the groups' parameters, and a row whose flag column is null found no parameters; it is
 * {@code NO_MODEL}, its key in {@code error}, in the same pass (so the join runs once per action).
 *
 * <pre>{@code
 * Iterator<InternalRow> out = new ScorePartition(model, schema, 4096, scored, invalid).call(rows);
 * }</pre>
 */
public final class ScorePartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;
    static final UTF8String SCORED = UTF8String.fromString("SCORED");
    static final UTF8String INVALID = UTF8String.fromString("INVALID");

    private final ScoreModel model;
    private final StructType schema;
    private final int blockSize;
    private final LongAccumulator scored;
    private final LongAccumulator invalid;
    private final Unmodelled unmodelled;

    /**
     * How a grouped score's rows without parameters are told and reported: {@code flag} is the column
     * that is null on them, {@code keys} the key columns' positions and names for the message.
     */
    record Unmodelled(int flag, int[] keyIndex, List<String> keys, String params, UTF8String status,
                             LongAccumulator count) implements java.io.Serializable {
        public Unmodelled {
            keyIndex = keyIndex.clone();
            keys = List.copyOf(keys);
            if (keyIndex.length != keys.size()) {
                throw new IllegalArgumentException("keyIndex: " + keyIndex.length + " positions for " + keys.size() + " keys");
            }
        }

        /** The row's {@code error}: its group's key and where parameters were looked for. */
        UTF8String error(InternalRow r, StructType schema) {
            StringBuilder key = new StringBuilder();
            for (int k = 0; k < keyIndex.length; k++) {
                Object value = r.isNullAt(keyIndex[k]) ? null : r.get(keyIndex[k], schema.fields()[keyIndex[k]].dataType());
                key.append(k == 0 ? "" : ", ").append(keys.get(k)).append('=').append(value);
            }
            return UTF8String.fromString(String.format(Locale.ROOT, "no fitted parameters for group %s in %s", key, params));
        }
    }

    public ScorePartition(ScoreModel model, StructType schema, int blockSize, LongAccumulator scored,
                          LongAccumulator invalid) {
        this(model, schema, blockSize, scored, invalid, null);
    }

    /** A grouped score's partition: rows whose {@code unmodelled.flag()} column is null are {@code NO_MODEL}. */
    ScorePartition(ScoreModel model, StructType schema, int blockSize, LongAccumulator scored,
                          LongAccumulator invalid, Unmodelled unmodelled) {
        this.model = model;
        this.schema = schema;
        this.blockSize = blockSize;
        this.scored = scored;
        this.invalid = invalid;
        this.unmodelled = unmodelled;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> input) {
        ScoreModel.Compiled compiled = model.compile(blockSize);
        CellReader reader = new CellReader(schema);
        List<Cell> cells = new ArrayList<>();
        for (SweepPlan.Input in : model.inputs()) {
            cells.addAll(in.cells());
        }
        int outputs = model.outputs().size();
        return new Iterator<>() {
            final List<InternalRow> block = new ArrayList<>();
            final List<InternalRow> done = new ArrayList<>();
            int next;

            @Override
            public boolean hasNext() {
                if (next < done.size()) {
                    return true;
                }
                done.clear();
                next = 0;
                fill();
                return !done.isEmpty();
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return done.get(next++);
            }

            /** Reads up to a block of rows, computes the good ones in one pass of the tape. */
            private void fill() {
                block.clear();
                List<Object[]> results = new ArrayList<>();
                int lanes = 0;
                int[] laneOf = new int[blockSize];
                long withoutModel = 0;
                while (input.hasNext() && block.size() < blockSize) {
                    InternalRow row = input.next().copy(); // Spark reuses the row it hands over
                    Object[] out = new Object[outputs + 2];
                    if (unmodelled != null && row.isNullAt(unmodelled.flag())) {
                        laneOf[block.size()] = -1;
                        out[outputs] = unmodelled.status();
                        out[outputs + 1] = unmodelled.error(row, schema);
                        withoutModel++;
                        block.add(row);
                        results.add(out);
                        continue;
                    }
                    try {
                        for (int c = 0; c < cells.size(); c++) {
                            compiled.columns()[c][lanes] = reader.read(row, cells.get(c), false);
                        }
                        laneOf[block.size()] = lanes++;
                        out[outputs] = SCORED;
                    } catch (CellReader.BadCell bad) {
                        laneOf[block.size()] = -1;
                        out[outputs] = INVALID;
                        out[outputs + 1] = UTF8String.fromString(bad.getMessage());
                    }
                    block.add(row);
                    results.add(out);
                }
                if (block.isEmpty()) {
                    return;
                }
                double[][] values = lanes > 0 ? compiled.run(lanes) : new double[outputs][0];
                long good = 0;
                for (int r = 0; r < block.size(); r++) {
                    Object[] out = results.get(r);
                    if (laneOf[r] >= 0) {
                        good++;
                        for (int o = 0; o < outputs; o++) {
                            double v = values[o][laneOf[r]];
                            out[o] = v; // NaN or infinite as computed (log of a negative, ...): the row was valid
                        }
                    }
                    done.add(new JoinedRow(block.get(r), new GenericInternalRow(out)));
                }
                scored.add(good);
                invalid.add(block.size() - good - withoutModel);
                if (withoutModel > 0) unmodelled.count().add(withoutModel);
            }
        };
    }
}
