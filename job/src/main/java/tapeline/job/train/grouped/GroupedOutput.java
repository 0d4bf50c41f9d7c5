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
 * <p>With {@code stderr = true}, last (as the sweep puts them): {@code <variable>_se} per variable (an
 * array for a vector variable, or {@code <variable>_<c>_se} without arrays, as the sweep names them),
 * {@code covariance} (the p x p matrix row-major, parameters in the variables' order, as an array; or
 * {@code covariance_<i>_<j>} without arrays) and {@code se_reason}: null where the group has standard
 * errors, else why not (the train job's run record's {@code standard_errors.reason}). A group without
 * standard errors has them and its covariance null; an INVALID group has every one null, the reason too.
 *
 * <pre>{@code
 * GroupedOutput out = new GroupedOutput(keyFields, variables, true);
 * out.schema();   // store, sku, b, w (array<double>), loss, grad_norm, steps, passes, rows, bad_rows, status, error
 * new GroupedOutput(keyFields, variables, true, true).schema();   // ..., error, b_se, w_se, covariance, se_reason
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
    /** The column that says why a group has no standard errors ({@code stderr = true}). */
    public static final String SE_REASON = "se_reason";
    /** The covariance matrix's column (or, without arrays, the prefix of its {@code _<i>_<j>} columns). */
    public static final String COVARIANCE = "covariance";

    private final boolean arrays;
    private final boolean stderr;
    private final int parameters;
    private final StructType schema;

    /** Without standard errors. */
    public GroupedOutput(List<StructField> keyFields, List<VariableSpec> variables, boolean arrays) {
        this(keyFields, variables, arrays, false);
    }

    /**
     * @param arrays whether the format holds arrays (else vectors are flattened into {@code _<c>} columns)
     * @param stderr whether the standard-error columns come last
     */
    public GroupedOutput(List<StructField> keyFields, List<VariableSpec> variables, boolean arrays, boolean stderr) {
        this.keys = keyFields.toArray(StructField[]::new);
        this.sizes = variables.stream().mapToInt(VariableSpec::size).toArray();
        this.vector = new boolean[sizes.length];
        this.arrays = arrays;
        this.stderr = stderr;
        this.parameters = java.util.Arrays.stream(sizes).sum();
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
        s = s.add("loss", DataTypes.DoubleType, true)
                .add("grad_norm", DataTypes.DoubleType, true)
                .add("steps", DataTypes.IntegerType, false)
                .add("passes", DataTypes.IntegerType, false)
                .add("rows", DataTypes.LongType, false)
                .add("bad_rows", DataTypes.LongType, false)
                .add("status", DataTypes.StringType, false)
                .add("error", DataTypes.StringType, true);
        if (stderr) {
            for (int v = 0; v < sizes.length; v++) {
                String name = variables.get(v).name();
                if (!vector[v]) {
                    s = s.add(name + "_se", DataTypes.DoubleType, true);
                } else if (arrays) {
                    s = s.add(name + "_se", DataTypes.createArrayType(DataTypes.DoubleType, true), true);
                } else {
                    for (int c = 0; c < sizes[v]; c++) s = s.add(name + "_" + c + "_se", DataTypes.DoubleType, true);
                }
            }
            if (arrays) {
                s = s.add(COVARIANCE, DataTypes.createArrayType(DataTypes.DoubleType, true), true);
            } else {
                for (int i = 0; i < parameters; i++) {
                    for (int j = 0; j < parameters; j++) s = s.add(COVARIANCE + "_" + i + "_" + j, DataTypes.DoubleType, true);
                }
            }
            s = s.add(SE_REASON, DataTypes.StringType, true);
        }
        schema = s;
    }

    /** Whether the standard-error columns are there. */
    public boolean stderr() {
        return stderr;
    }

    /**
     * Whether {@code name} is one of the standard-error columns a grouped train writes with
     * {@code stderr = true}, given every column's name: {@code se_reason}, {@code covariance} or
     * {@code covariance_<i>_<j>}, or {@code <x>_se} where {@code <x>} is a column too ({@code b_se} beside
     * {@code b}, {@code w_0_se} beside {@code w_0}). Only where {@code se_reason} is among the columns.
     * (The grouped score leaves them out of the parameters.)
     */
    public static boolean isStandardErrorColumn(String name, List<String> columns) {
        if (!columns.contains(SE_REASON)) return false;
        if (name.equals(SE_REASON) || name.equals(COVARIANCE) || name.matches(COVARIANCE + "_\\d+_\\d+")) return true;
        return name.endsWith("_se") && columns.contains(name.substring(0, name.length() - 3));
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
                    && !n.equals("status") && !n.equals("error") && !n.equals(SE_REASON)) {
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
        v[at++] = fit.error() == null ? null : UTF8String.fromString(fit.error());
        if (stderr) {
            tapeline.engine.train.ParameterErrors e = fit.errors();
            boolean none = p == null || e == null || e.reason() != null;
            slot = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (!vector[i]) {
                    v[at++] = none ? null : finiteOrNull(e.se()[slot]);
                } else if (arrays) {
                    v[at++] = none ? null : nullableArray(java.util.Arrays.copyOfRange(e.se(), slot, slot + sizes[i]));
                } else {
                    for (int c = 0; c < sizes[i]; c++) v[at++] = none ? null : finiteOrNull(e.se()[slot + c]);
                }
                slot += sizes[i];
            }
            if (arrays) {
                double[] flat = new double[parameters * parameters];
                if (!none) for (int i = 0; i < parameters; i++) System.arraycopy(e.covariance()[i], 0, flat, i * parameters, parameters);
                v[at++] = none ? null : nullableArray(flat);
            } else {
                for (int i = 0; i < parameters; i++) {
                    for (int j = 0; j < parameters; j++) v[at++] = none ? null : finiteOrNull(e.covariance()[i][j]);
                }
            }
            // The reason where a group that has parameters has no standard errors; none for an INVALID group.
            v[at] = p == null || e == null || e.reason() == null ? null : UTF8String.fromString(e.reason());
        }
        return new GenericInternalRow(v);
    }

    private static Double finiteOrNull(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** An array column's value, a non-finite element null. */
    private static ArrayData nullableArray(double[] a) {
        Object[] o = new Object[a.length];
        for (int i = 0; i < a.length; i++) o[i] = finiteOrNull(a[i]);
        return new org.apache.spark.sql.catalyst.util.GenericArrayData(o);
    }
}
