package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import tapeline.engine.solve.VariableSpec;

/**
 * The grouped train's output row: the key columns (as the input has them), one column per variable
 * (an array of doubles for a vector variable, or {@code w_0, w_1, ..} where the format has no arrays,
 * as the sweep writes them), then {@code loss}, {@code grad_norm}, {@code steps}, {@code passes},
 * {@code rows}, {@code bad_rows}, {@code status}, {@code error}. An {@code INVALID} group has nulls for
 * its parameters, loss and gradient norm.
 *
 * <pre>{@code
 * GroupedOutput out = new GroupedOutput(keyFields, variables, true);
 * out.schema();   // store, sku, b, w (array<double>), loss, grad_norm, steps, passes, rows, bad_rows, status, error
 * }</pre>
 */
public final class GroupedOutput implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The columns after the variables. */
    public static final List<String> RESULT_COLUMNS = List.of("loss", "grad_norm", "steps", "passes", "rows", "bad_rows",
            "status", "error");

    private final StructField[] keys;
    private final int[] sizes;
    private final boolean[] vector;
    private final boolean arrays;
    private final StructType schema;

    public GroupedOutput(List<StructField> keyFields, List<VariableSpec> variables, boolean arrays) {
        this.keys = keyFields.toArray(StructField[]::new);
        this.sizes = variables.stream().mapToInt(VariableSpec::size).toArray();
        this.vector = new boolean[sizes.length];
        this.arrays = arrays;
        StructType s = new StructType();
        for (StructField k : keys) s = s.add(k.name(), k.dataType(), true);
        for (int v = 0; v < sizes.length; v++) {
            VariableSpec spec = variables.get(v);
            vector[v] = spec.size() > 1;
            if (!vector[v]) {
                s = s.add(spec.name(), DataTypes.DoubleType, true);
            } else if (arrays) {
                s = s.add(spec.name(), DataTypes.createArrayType(DataTypes.DoubleType, false), true);
            } else {
                for (int c = 0; c < sizes[v]; c++) s = s.add(spec.name() + "_" + c, DataTypes.DoubleType, true);
            }
        }
        schema = s.add("loss", DataTypes.DoubleType, true)
                .add("grad_norm", DataTypes.DoubleType, true)
                .add("steps", DataTypes.IntegerType, false)
                .add("passes", DataTypes.IntegerType, false)
                .add("rows", DataTypes.LongType, false)
                .add("bad_rows", DataTypes.LongType, false)
                .add("status", DataTypes.StringType, false)
                .add("error", DataTypes.StringType, true);
    }

    public StructType schema() {
        return schema;
    }

    /** The numbers an optimizer produced (Parquet writes them without a dictionary). */
    public List<String> continuousColumns() {
        List<String> c = new ArrayList<>();
        for (int i = keys.length; i < schema.fields().length; i++) {
            String n = schema.fields()[i].name();
            if (!n.equals("steps") && !n.equals("passes") && !n.equals("rows") && !n.equals("bad_rows")
                    && !n.equals("status") && !n.equals("error")) {
                c.add(n);
            }
        }
        return c;
    }

    /** {@code store=1, sku=abc}: a key for messages. */
    String describeKey(Object[] key) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < key.length; i++) {
            if (i > 0) s.append(", ");
            s.append(keys[i].name()).append('=').append(key[i]);
        }
        return s.toString();
    }

    /** One group's output row. */
    InternalRow row(Object[] key, GroupedPartition.GroupResult fit, long rows, long badRows) {
        Object[] v = new Object[schema.fields().length];
        int at = 0;
        for (Object k : key) v[at++] = k;
        double[] p = fit.params();
        int slot = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (!vector[i]) {
                v[at++] = p == null ? null : p[slot];
            } else if (arrays) {
                v[at++] = p == null ? null : ArrayData.toArrayData(java.util.Arrays.copyOfRange(p, slot, slot + sizes[i]));
            } else {
                for (int c = 0; c < sizes[i]; c++) v[at++] = p == null ? null : p[slot + c];
            }
            slot += sizes[i];
        }
        v[at++] = p == null ? null : fit.loss();
        v[at++] = p == null ? null : fit.gradNorm();
        v[at++] = fit.steps();
        v[at++] = fit.passes();
        v[at++] = rows;
        v[at++] = badRows;
        v[at++] = UTF8String.fromString(fit.status());
        v[at] = fit.error() == null ? null : UTF8String.fromString(fit.error());
        return new GenericInternalRow(v);
    }
}
