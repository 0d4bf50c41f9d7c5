package tapeline.job.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.LaneStatus;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.solve.Verdict;
import tapeline.engine.tape.DType;

/**
 * The shape of a sweep's output rows (ARCHITECTURE.md, "Contracts"): every input column as it came,
 * then one column per variable named as the variable, then {@code cost}, {@code grad_norm} (the norm of
 * the cost's gradient at the result), {@code steps}, {@code status} and {@code error}; with the verdict
 * on ({@code verdict = true}) also {@code curvature} (the smallest eigenvalue of the Hessian at the
 * result) and {@code verdict} ({@code MINIMUM}, {@code SADDLE}, {@code MAXIMUM}, {@code FLAT}; both
 * null for an INVALID row).
 *
 * <p>A vector variable {@code w[3]} is one array column {@code w}, or, for a format without arrays
 * (CSV), three columns {@code w_0, w_1, w_2}. In float32 the variables, the cost and its gradient norm are FloatType: the
 * engine's float32 results are floats stored in doubles, so the cast is exact and they print as the
 * notebook does ({@code 5.000001}). For an INVALID row the variables, the cost and the gradient norm are null
 * and steps is 0.
 *
 * <p>Rows are Spark's internal rows: the input row as it came, joined with a row of the result columns
 * in Spark's internal types, so no input cell is converted or copied value by value. A {@link Rows}
 * fills one such row again and again, without allocating (as Spark's own operators do: whoever keeps
 * a row copies it).
 *
 * <pre>{@code
 * OutputLayout.Rows out = layout.rows();             // one per task
 * InternalRow row = out.solved(input, result, lane);  // valid until the next call
 * }</pre>
 */
public final class OutputLayout implements Serializable {
    private static final UTF8String[] STATUS = new UTF8String[LaneStatus.values().length];
    private static final UTF8String[] VERDICT = new UTF8String[Verdict.values().length];

    static {
        for (LaneStatus s : LaneStatus.values()) {
            STATUS[s.ordinal()] = UTF8String.fromString(s.name());
        }
        for (Verdict v : Verdict.values()) {
            VERDICT[v.ordinal()] = UTF8String.fromString(v.name());
        }
    }

    private final StructType schema;
    private final int inputWidth;
    private final int resultWidth;
    private final int[] sizes;
    private final boolean arrays;
    private final boolean float32;
    private final boolean verdict;
    /** Whether the {@code <variable>_se} columns come last. */
    private final boolean stderr;
    /** Where {@code steps} is among the result columns (after the variables and the cost). */
    private final int stepsAt;

    /**
     * @param input     the input's schema
     * @param variables the variables, in the config's order
     * @param arrays    whether the output format has array columns
     * @param dtype     the engine's dtype
     */
    public OutputLayout(StructType input, List<VariableSpec> variables, boolean arrays, DType dtype) {
        this(input, variables, arrays, dtype, false);
    }

    /**
     * @param verdict whether the {@code curvature} and {@code verdict} columns follow the others
     */
    public OutputLayout(StructType input, List<VariableSpec> variables, boolean arrays, DType dtype, boolean verdict) {
        this(input, variables, arrays, dtype, verdict, false);
    }

    /**
     * @param stderr whether {@code <variable>_se} columns (an array for a vector variable, or
     *     {@code <variable>_<c>_se} without arrays) come last: the standard errors, null where a row
     *     has none
     */
    public OutputLayout(StructType input, List<VariableSpec> variables, boolean arrays, DType dtype, boolean verdict,
                        boolean stderr) {
        this.verdict = verdict;
        this.stderr = stderr;
        this.inputWidth = input.fields().length;
        this.sizes = variables.stream().mapToInt(VariableSpec::size).toArray();
        this.arrays = arrays;
        this.float32 = dtype == DType.FLOAT32;
        DataType number = float32 ? DataTypes.FloatType : DataTypes.DoubleType;
        List<StructField> fields = new ArrayList<>(List.of(input.fields()));
        for (VariableSpec v : variables) {
            if (v.size() == 1) {
                fields.add(DataTypes.createStructField(v.name(), number, true));
            } else if (arrays) {
                fields.add(DataTypes.createStructField(v.name(), DataTypes.createArrayType(number, false), true));
            } else {
                for (int c = 0; c < v.size(); c++) {
                    fields.add(DataTypes.createStructField(v.name() + "_" + c, number, true));
                }
            }
        }
        fields.add(DataTypes.createStructField("cost", number, true));
        fields.add(DataTypes.createStructField("grad_norm", number, true));
        this.stepsAt = fields.size() - inputWidth;
        fields.add(DataTypes.createStructField("steps", DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField("status", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        if (verdict) {
            fields.add(DataTypes.createStructField("curvature", number, true));
            fields.add(DataTypes.createStructField("verdict", DataTypes.StringType, true));
        }
        if (stderr) {
            for (VariableSpec v : variables) {
                if (v.size() == 1) {
                    fields.add(DataTypes.createStructField(v.name() + "_se", number, true));
                } else if (arrays) {
                    fields.add(DataTypes.createStructField(v.name() + "_se", DataTypes.createArrayType(number, true), true));
                } else {
                    for (int c = 0; c < v.size(); c++) {
                        fields.add(DataTypes.createStructField(v.name() + "_" + c + "_se", number, true));
                    }
                }
            }
        }
        this.schema = DataTypes.createStructType(fields);
        this.resultWidth = fields.size() - inputWidth;
    }

    public StructType schema() {
        return schema;
    }

    /** The scalar result columns that hold the optimizer's numbers: the variables', {@code cost} and {@code grad_norm}. */
    public List<String> continuousColumns() {
        List<String> names = new ArrayList<>();
        for (int i = inputWidth; i < schema.fields().length; i++) {
            StructField f = schema.fields()[i];
            if (DataTypes.DoubleType.equals(f.dataType()) || DataTypes.FloatType.equals(f.dataType())) {
                names.add(f.name());
            }
        }
        return names;
    }

    /** A new writer of output rows; not thread-safe, one per task. */
    public Rows rows() {
        return new Rows();
    }

    /** Fills one reused output row. */
    public final class Rows {
        private final SpecificInternalRow results;
        private final JoinedRow joined = new JoinedRow();

        private Rows() {
            StructType resultColumns = new StructType(java.util.Arrays.copyOfRange(schema.fields(), inputWidth,
                    schema.fields().length));
            results = new SpecificInternalRow(resultColumns);
        }

        /** The output row of a row the engine solved as lane {@code lane} of {@code r}; valid until the next call. */
        public InternalRow solved(InternalRow in, BlockResult r, int lane) {
            int k = 0;
            for (int v = 0; v < sizes.length; v++) {
                double[][] values = r.values()[v];
                if (sizes[v] == 1) {
                    number(k++, values[0][lane]);
                } else if (arrays) {
                    results.update(k++, array(values, lane));
                } else {
                    for (int c = 0; c < sizes[v]; c++) {
                        number(k++, values[c][lane]);
                    }
                }
            }
            number(k++, r.cost()[lane]);
            number(k++, r.gradNorm()[lane]);
            results.setInt(k++, r.steps()[lane]);
            results.update(k++, STATUS[r.status()[lane].ordinal()]);
            String error = r.error() == null ? null : r.error()[lane];
            if (error == null) {
                results.setNullAt(k++);
            } else {
                results.update(k++, UTF8String.fromString(error));
            }
            if (verdict) {
                double c = r.curvature() == null ? Double.NaN : r.curvature()[lane];
                Verdict v = r.verdict() == null ? null : r.verdict()[lane];
                if (v == null) {
                    results.setNullAt(k++); // INVALID: no Hessian was taken
                    results.setNullAt(k);
                } else {
                    number(k++, c);
                    results.update(k, VERDICT[v.ordinal()]);
                }
                k++;
            }
            if (stderr) {
                double[][][] se = r.standardErrors();
                for (int v = 0; v < sizes.length; v++) {
                    if (sizes[v] == 1 || !arrays) {
                        for (int c = 0; c < sizes[v]; c++) {
                            double d = se == null ? Double.NaN : se[v][c][lane];
                            if (Double.isNaN(d)) results.setNullAt(k++);
                            else number(k++, d);
                        }
                    } else {
                        boolean none = se == null || Double.isNaN(se[v][0][lane]);
                        if (none) results.setNullAt(k++);
                        else results.update(k++, array(se[v], lane));
                    }
                }
            }
            return joined.apply(in, results);
        }

        /** The output row of a row that never reached the engine because of a bad cell; valid until the next call. */
        public InternalRow invalid(InternalRow in, String error) {
            for (int k = 0; k < resultWidth; k++) {
                results.setNullAt(k);
            }
            results.setInt(stepsAt, 0);
            results.update(stepsAt + 1, STATUS[LaneStatus.INVALID.ordinal()]);
            results.update(stepsAt + 2, UTF8String.fromString(error));
            return joined.apply(in, results);
        }

        private void number(int k, double d) {
            if (float32) {
                results.setFloat(k, (float) d);
            } else {
                results.setDouble(k, d);
            }
        }
    }

    private UnsafeArrayData array(double[][] components, int lane) {
        int n = components.length;
        if (float32) {
            float[] a = new float[n];
            for (int c = 0; c < n; c++) {
                a[c] = (float) components[c][lane];
            }
            return UnsafeArrayData.fromPrimitiveArray(a);
        }
        double[] a = new double[n];
        for (int c = 0; c < n; c++) {
            a[c] = components[c][lane];
        }
        return UnsafeArrayData.fromPrimitiveArray(a);
    }
}
