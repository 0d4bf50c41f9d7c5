package tapeline.ml;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** What the stages do to a frame before the jobs' code reads it. */
final class Frames {
    private Frames() {}

    /**
     * The frame with every Spark ML vector column (a {@code VectorAssembler}'s output) as an array of
     * doubles, which the jobs read as a vector name ({@code dot(w, x)}); its metadata (the vector's size)
     * kept, so that binding needs no job. A projection: nothing runs.
     */
    static Dataset<Row> withArrays(Dataset<?> frame) {
        StructType schema = frame.schema();
        boolean any = false;
        List<Column> cols = new ArrayList<>();
        for (StructField f : schema.fields()) {
            Column c = frame.col("`" + f.name() + "`");
            if (f.dataType() instanceof VectorUDT) {
                any = true;
                c = org.apache.spark.ml.functions.vector_to_array(c, "float64").as(f.name(), f.metadata());
            }
            cols.add(c);
        }
        return any ? frame.select(cols.toArray(Column[]::new)) : frame.toDF();
    }

    /** The schema {@link #withArrays} gives. */
    static StructType withArrays(StructType schema) {
        StructType out = new StructType();
        for (StructField f : schema.fields()) {
            out = out.add(f.dataType() instanceof VectorUDT
                    ? new StructField(f.name(), DataTypes.createArrayType(DataTypes.DoubleType, false), f.nullable(), f.metadata())
                    : f);
        }
        return out;
    }

    /** An empty frame of {@code schema}, for checking a schema with the jobs' code (no job runs). */
    static Dataset<Row> empty(StructType schema) {
        return SparkSession.active().createDataFrame(List.of(), schema);
    }

    /**
     * Whether a schema-only check failed only because a vector's size is not in the schema (a
     * {@code VectorAssembler}'s {@code transformSchema} does not say it; its {@code transform} does):
     * then the rest is checked when the frame comes.
     */
    static boolean onlyUnknownSizes(IllegalArgumentException e) {
        return e.getCause() instanceof tapeline.job.config.ConfigException c
                && c.problems().stream().allMatch(p -> p.contains("cannot tell the vector's length"));
    }
}
