package tapeline.job.train.grouped;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.catalyst.expressions.XxHash64;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import tapeline.job.columns.Cell;
import tapeline.job.columns.CellReader;

/**
 * The grouped train's map side reading Spark's columnar batches: where the selected frame (the key
 * columns, the used columns, the key's hash; {@link GroupedTrainJob}) is planned as a projection over
 * a scan that produces batches of column vectors (Parquet's and ORC's vectorised readers), the packer
 * reads the model's values straight from the vectors, and only the key and its hash go through
 * Spark's generated projection. Otherwise every row would be copied out of the batch into a row by
 * generated code, and read back from it cell by cell.
 *
 * <pre>{@code
 * Optional<ColumnarScan> scan = ColumnarScan.of(selected, k, cells);   // empty: read rows (CSV, JSON, other plans)
 * RDD<InternalRow> chunks = scan.get().batches().toJavaRDD().mapPartitions(packer.batches(scan.get())).rdd();
 * }</pre>
 *
 * <p>The key and the hash are the selected frame's own expressions (the same projection list, bound to
 * the scan's columns), and a value that is not a finite double is read by {@link CellReader} from the
 * batch's row, as the row path reads it: so both paths give the same keys, hashes, values and bad-row
 * reasons, and the same chunks (tested bit for bit against the row path).
 */
public final class ColumnarScan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final transient RDD<ColumnarBatch> batches;
    private final scala.collection.immutable.List<Expression> keyExpressions;
    private final scala.collection.immutable.List<Expression> hashExpression;
    private final scala.collection.immutable.List<Expression> keyAndHashExpressions;
    private final scala.collection.immutable.List<Attribute> input;
    private final StructType schema;
    private final Cell[] cells;
    private final int[] columns;
    private final boolean[] doubles;
    private final String describe;
    /**
     * Where the key is one long or int column of the scan hashed by {@code xxhash64} alone (the job's own hash): that
     * column's index in the scan's output, and the hash's seed; -1 otherwise (the key and hash then go through the
     * generated projection).
     */
    private final int hashedColumn;
    private final long hashSeed;

    private ColumnarScan(RDD<ColumnarBatch> batches, List<Expression> keyAndHash, List<Attribute> input, Cell[] cells,
                         int k, String describe) {
        this.batches = batches;
        this.keyExpressions = scalaList(keyAndHash.subList(0, k));
        this.hashExpression = scalaList(keyAndHash.subList(k, k + 1));
        this.keyAndHashExpressions = scalaList(keyAndHash);
        this.input = scalaList(input);
        List<StructField> fields = new ArrayList<>();
        for (Attribute a : input) fields.add(new StructField(a.name(), a.dataType(), a.nullable(), Metadata.empty()));
        this.schema = new StructType(fields.toArray(StructField[]::new));
        this.cells = cells;
        this.columns = new int[cells.length];
        this.doubles = new boolean[cells.length];
        for (int c = 0; c < cells.length; c++) {
            columns[c] = cells[c].column();
            doubles[c] = !cells[c].isArrayElement() && schema.fields()[columns[c]].dataType() instanceof DoubleType;
        }
        this.describe = describe;
        long[] direct = hashedColumn(keyAndHash, k, input);
        this.hashedColumn = (int) direct[0];
        this.hashSeed = direct[1];
    }

    /**
     * The columnar read of {@code selected}, if its plan allows one: a projection over a columnar scan
     * (under whole-stage code generation or not) whose used columns are the scan's columns as they are.
     *
     * @param selected the key columns ({@code k}), the used columns, and {@code _hash} last
     * @param cells    the model's cells, as columns of {@code selected}
     * @return empty where the rows must be read as rows (a row-based source such as CSV or JSON, or another plan)
     */
    public static Optional<ColumnarScan> of(Dataset<Row> selected, int k, List<Cell> cells) {
        SparkPlan plan = selected.queryExecution().executedPlan();
        if (plan instanceof WholeStageCodegenExec w) plan = w.child();
        if (!(plan instanceof ProjectExec project)) return Optional.empty();
        SparkPlan below = project.child();
        if (below instanceof InputAdapter a) below = a.child();
        if (!(below instanceof ColumnarToRowExec toRows)) return Optional.empty();
        SparkPlan scan = toRows.child();
        if (scan instanceof InputAdapter a) scan = a.child();
        if (!scan.supportsColumnar()) return Optional.empty();
        var projected = project.projectList();
        var output = scan.output();
        int n = projected.size();
        if (n != selected.schema().size() || !projected.apply(n - 1).name().equals("_hash")) return Optional.empty();
        List<Attribute> input = new ArrayList<>();
        for (int i = 0; i < output.size(); i++) input.add(output.apply(i));
        List<Expression> keyAndHash = new ArrayList<>();
        for (int i = 0; i < k; i++) keyAndHash.add((Expression) projected.apply(i));
        keyAndHash.add((Expression) projected.apply(n - 1));
        Cell[] mapped = new Cell[cells.size()];
        for (int c = 0; c < mapped.length; c++) {
            Cell cell = cells.get(c);
            NamedExpression e = projected.apply(cell.column());
            Expression used = e instanceof Alias alias ? alias.child() : (Expression) e;
            if (!(used instanceof AttributeReference ref)) return Optional.empty();
            int at = -1;
            for (int i = 0; i < input.size() && at < 0; i++) if (input.get(i).exprId().equals(ref.exprId())) at = i;
            if (at < 0) return Optional.empty();
            mapped[c] = new Cell(at, cell.name(), cell.element(), cell.length());
        }
        return Optional.of(new ColumnarScan(scan.executeColumnar(), keyAndHash, input, mapped, k, scan.nodeName()));
    }

    /**
     * {@code {column, seed}} where the key is one long or int column of {@code input}, as it is, and the hash is
     * {@code xxhash64} of that column alone: then a batch's hashes are {@code XXH64}'s of the column's values, the very
     * function the expression evaluates ({@code XxHash64}: a null leaves the seed). {@code {-1, 0}} otherwise.
     */
    static long[] hashedColumn(List<Expression> keyAndHash, int k, List<Attribute> input) {
        long[] none = {-1, 0};
        if (k != 1) return none;
        Expression key = unalias(keyAndHash.get(0));
        Expression hash = unalias(keyAndHash.get(1));
        if (!(key instanceof AttributeReference ref)) return none;
        if (!(ref.dataType() instanceof org.apache.spark.sql.types.LongType || ref.dataType() instanceof org.apache.spark.sql.types.IntegerType)) {
            return none;
        }
        if (!(hash instanceof XxHash64 xx) || xx.children().size() != 1 || !(xx.children().apply(0) instanceof AttributeReference h)
                || !h.exprId().equals(ref.exprId())) {
            return none;
        }
        for (int i = 0; i < input.size(); i++) {
            if (input.get(i).exprId().equals(ref.exprId()) && input.get(i).dataType().equals(ref.dataType())) {
                return new long[] {i, xx.seed()};
            }
        }
        return none;
    }

    private static Expression unalias(Expression e) {
        return e instanceof Alias a ? a.child() : e;
    }

    /** The scan's batches (on the driver only). */
    public RDD<ColumnarBatch> batches() {
        return batches;
    }

    /** Are the key's hashes computed from its column's vector ({@link #hashedColumn}), not by the projection? (tests) */
    boolean hashesFromColumn() {
        return hashedColumn >= 0;
    }

    /** What is read, for the log: the scan's name. */
    public String describe() {
        return describe;
    }

    /** A map task's rows, out of its batches. */
    GroupPacker.Feed feed(Iterator<ColumnarBatch> in) {
        return new BatchFeed(in);
    }

    private static <T> scala.collection.immutable.List<T> scalaList(List<T> list) {
        return scala.collection.JavaConverters.asScalaBuffer(list).toList();
    }

    /**
     * The rows of a task's batches: the key and its hash projected (Spark's generated code, the selected
     * frame's expressions; the hashes of a batch's rows at once, for the packer's look ahead), a double column's values read from its vector; anything else, a null and a value
     * that is not finite by {@link CellReader} from the batch's row (its messages are the row path's).
     */
    private final class BatchFeed extends GroupPacker.Feed {
        final Iterator<ColumnarBatch> in;
        final UnsafeProjection project = UnsafeProjection.create(keyExpressions, input);
        final UnsafeProjection hashOf = UnsafeProjection.create(hashExpression, input);
        // A one-number key: the key and its hash in one projection, a batch's rows at once, kept as bits (what
        // GroupKeys.bits reads); the key's row is projected only if asked (the probed table's path).
        final GroupPacker.GroupKeys oneNumber = oneNumberKey();
        final UnsafeProjection keyAndHash = oneNumber == null ? null
                : UnsafeProjection.create(keyAndHashExpressions, input);
        long[] hashes = new long[0];     // the batch's rows' hashes, for the packer's look ahead
        long[] bits = new long[0];       // a one-number key: the batch's rows' key bits
        boolean[] nulls = new boolean[0];
        final CellReader reader = new CellReader(schema);
        final ColumnVector[] vectors = new ColumnVector[cells.length];
        final boolean[] direct = new boolean[cells.length];   // a double column of this batch without nulls: read with no null check
        ColumnarBatch batch;
        int row;
        int rows;
        InternalRow batchRow;
        InternalRow key;

        BatchFeed(Iterator<ColumnarBatch> in) {
            this.in = in;
            project.initialize(org.apache.spark.TaskContext.getPartitionId());
            hashOf.initialize(org.apache.spark.TaskContext.getPartitionId());
            if (keyAndHash != null) keyAndHash.initialize(org.apache.spark.TaskContext.getPartitionId());
        }

        GroupPacker.GroupKeys oneNumberKey() {
            if (keyExpressions.size() != 1) return null;
            GroupPacker.GroupKeys k = new GroupPacker.GroupKeys(new org.apache.spark.sql.types.DataType[] {keyExpressions.head().dataType()});
            return k.oneNumber() ? k : null;
        }

        @Override
        boolean advance() {
            row++;
            while (batch == null || row >= rows) {
                if (!in.hasNext()) return false;
                batch = in.next();
                rows = batch.numRows();
                row = 0;
                for (int c = 0; c < cells.length; c++) {
                    vectors[c] = batch.column(columns[c]);
                    direct[c] = doubles[c] && !vectors[c].hasNull();
                }
                if (hashes.length < rows) {
                    hashes = new long[rows];
                    bits = new long[oneNumber == null ? 0 : rows];
                    nulls = new boolean[bits.length];
                }
                if (oneNumber == null) {
                    for (int i = 0; i < rows; i++) hashes[i] = hashOf.apply(batch.getRow(i)).getLong(0);
                } else if (hashedColumn >= 0) {
                    hashColumn(batch.column(hashedColumn));
                } else {
                    for (int i = 0; i < rows; i++) {
                        InternalRow kh = keyAndHash.apply(batch.getRow(i));
                        nulls[i] = kh.isNullAt(0);
                        bits[i] = oneNumber.bits(kh);
                        hashes[i] = kh.getLong(1);
                    }
                }
            }
            batchRow = batch.getRow(row);
            key = null;
            return true;
        }

        /**
         * A one-number key that is a long or int column hashed by {@code xxhash64} alone: its bits and hashes straight from
         * the column's vector (what the projection gives: {@link GroupPacker.GroupKeys#bits}, {@code XxHash64}'s value),
         * with no row and no generated projection a row.
         */
        void hashColumn(ColumnVector v) {
            boolean hasNull = v.hasNull();
            boolean isLong = v.dataType() instanceof org.apache.spark.sql.types.LongType;
            for (int i = 0; i < rows; i++) {
                if (hasNull && v.isNullAt(i)) {
                    nulls[i] = true;
                    bits[i] = 0x7ff8deadL;
                    hashes[i] = hashSeed;
                } else if (isLong) {
                    long x = v.getLong(i);
                    nulls[i] = false;
                    bits[i] = x;
                    hashes[i] = XXH64.hashLong(x, hashSeed);
                } else {
                    int x = v.getInt(i);
                    nulls[i] = false;
                    bits[i] = x;
                    hashes[i] = XXH64.hashInt(x, hashSeed);
                }
            }
        }

        @Override
        InternalRow key() {
            if (key == null) key = project.apply(batchRow);
            return key;
        }

        @Override
        boolean keyNull() {
            return oneNumber != null ? nulls[row] : super.keyNull();
        }

        @Override
        long keyBits(GroupPacker.GroupKeys keys) {
            return oneNumber != null ? bits[row] : super.keyBits(keys);
        }

        @Override
        long hash() {
            return hashes[row];
        }

        @Override
        long hashAhead(int d) {
            return row + d < rows ? hashes[row + d] : hashes[row];
        }

        @Override
        String values(double[] into, int at) {
            for (int c = 0; c < vectors.length; c++) {
                if (direct[c]) {
                    double d = vectors[c].getDouble(row);
                    if (Double.isFinite(d)) {
                        into[at + c] = d;
                        continue;
                    }
                } else if (doubles[c]) {
                    ColumnVector v = vectors[c];
                    if (!v.isNullAt(row)) {
                        double d = v.getDouble(row);
                        if (Double.isFinite(d)) {
                            into[at + c] = d;
                            continue;
                        }
                    }
                }
                try {
                    into[at + c] = reader.read(batchRow, cells[c], false);
                } catch (CellReader.BadCell e) {
                    return e.getMessage();
                }
            }
            return null;
        }
    }
}
