package tapeline.job.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import tapeline.engine.solve.BlockResult;
import tapeline.engine.solve.LaneStatus;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * The shape of a sweep's output rows (ARCHITECTURE.md, "Contracts"): every input column as it came,
 * then one column per variable named as the variable, then {@code cost}, {@code steps}, {@code status}
 * and {@code error}.
 *
 * <p>A vector variable {@code w[3]} is one array column {@code w}, or, for a format without arrays
 * (CSV), three columns {@code w_0, w_1, w_2}. In float32 the variables and the cost are FloatType: the
 * engine's float32 results are floats stored in doubles, so the cast is exact and they print as the
 * notebook does ({@code 5.000001}). For an INVALID row the variables and the cost are null and steps is 0.
 */
public final class OutputLayout implements Serializable {
    private final StructType schema;
    private final int inputWidth;
    private final int[] sizes;
    private final boolean arrays;
    private final boolean float32;

    /**
     * @param input     the input's schema
     * @param variables the variables, in the config's order
     * @param arrays    whether the output format has array columns
     * @param dtype     the engine's dtype
     */
    public OutputLayout(StructType input, List<VariableSpec> variables, boolean arrays, DType dtype) {
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
        fields.add(DataTypes.createStructField("steps", DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField("status", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        this.schema = DataTypes.createStructType(fields);
    }

    public StructType schema() {
        return schema;
    }

    /** The output row of a row the engine solved as lane {@code lane} of {@code r}. */
    public Row solved(Row in, BlockResult r, int lane) {
        Object[] out = start(in);
        int k = inputWidth;
        for (int v = 0; v < sizes.length; v++) {
            double[][] values = r.values()[v];
            if (sizes[v] == 1) {
                out[k++] = number(values[0][lane]);
            } else if (arrays) {
                Object[] a = new Object[sizes[v]];
                for (int c = 0; c < sizes[v]; c++) {
                    a[c] = number(values[c][lane]);
                }
                out[k++] = a;
            } else {
                for (int c = 0; c < sizes[v]; c++) {
                    out[k++] = number(values[c][lane]);
                }
            }
        }
        LaneStatus status = r.status()[lane];
        out[k++] = number(r.cost()[lane]);
        out[k++] = r.steps()[lane];
        out[k++] = status.name();
        out[k] = r.error() == null ? null : r.error()[lane];
        return RowFactory.create(out);
    }

    /** The output row of a row that never reached the engine because of a bad cell. */
    public Row invalid(Row in, String error) {
        Object[] out = start(in);
        int n = out.length;
        out[n - 3] = 0;
        out[n - 2] = LaneStatus.INVALID.name();
        out[n - 1] = error;
        return RowFactory.create(out);
    }

    private Object[] start(Row in) {
        Object[] out = new Object[schema.fields().length];
        for (int i = 0; i < inputWidth; i++) {
            out[i] = in.get(i);
        }
        return out;
    }

    private Object number(double d) {
        return float32 ? (Object) (float) d : (Object) d;
    }
}
