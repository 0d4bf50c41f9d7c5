package tapeline.job.columns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tapeline.job.config.ConfigException;
import tapeline.job.config.SweepConfig;
import tapeline.job.sweep.SweepPlan;

class ColumnBinderTest {

    static List<ColumnInfo> columns(String... specs) {
        List<ColumnInfo> out = new ArrayList<>();
        for (String s : specs) {
            String[] p = s.split(":");
            ColumnInfo.Kind kind = p.length == 1 ? ColumnInfo.Kind.SCALAR : ColumnInfo.Kind.valueOf(p[1]);
            out.add(new ColumnInfo(p[0], kind, kind == ColumnInfo.Kind.ARRAY ? "array<double>" : kind == ColumnInfo.Kind.OTHER ? "struct<a:int>" : "double"));
        }
        return out;
    }

    static SweepConfig config(String cost, String variables, String... more) throws ConfigException {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("cost", cost);
        m.put("variables", variables);
        m.put("input.path", "in.parquet");
        m.put("output.path", "out");
        for (String s : more) {
            int eq = s.indexOf('=');
            m.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return SweepConfig.parse(m);
    }

    @Test
    void aCsvTextColumnWhoseFirstValueIsAnArrayIsOneProblem() throws Exception {
        List<ColumnInfo> cols = List.of(new ColumnInfo("id", ColumnInfo.Kind.SCALAR, "int"),
                new ColumnInfo("x", ColumnInfo.Kind.SCALAR, "string"), new ColumnInfo("c", ColumnInfo.Kind.SCALAR, "string"));
        List<String> asked = new ArrayList<>();
        java.util.function.Function<String, String> first = name -> {
            asked.add(name);
            return name.equals("x") ? " [1.0, 2.0]" : "3.5";
        };
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ColumnBinder.bind(config("dot(w, x) + c + id", "w[2]"), cols, n -> -1, first));
        assertThat(e.problems()).containsExactly("column x holds text like an array ('[1.0, 2.0]' in its first row),"
                + " and CSV has no arrays: use JSON or Parquet, or columns x0, x1, ...");
        assertThat(asked).containsExactlyInAnyOrder("x", "c"); // text columns only: not the int column id
        // A text column whose first value is a number binds as before (its cells are checked one by one).
        SweepPlan p = ColumnBinder.bind(config("c * w^2", "w"), cols, n -> -1, first);
        assertThat(p.inputs().get(0).cells()).containsExactly(Cell.scalar(2, "c"));
        // Not a CSV: nothing is asked.
        assertThat(ColumnBinder.bind(config("x * w^2", "w"), cols, n -> -1).inputSizes()).containsEntry("x", 1);
    }

    @Test
    void theNotebookBindsThreeScalarColumns() throws Exception {
        SweepPlan p = ColumnBinder.bind(config("x0 * w^2 + x1 * w + x2", "w"), columns("id", "x0", "x1", "x2"), n -> -1);
        assertThat(p.inputSizes()).containsExactly(Map.entry("x0", 1), Map.entry("x1", 1), Map.entry("x2", 1));
        assertThat(p.inputs().get(1).cells()).containsExactly(Cell.scalar(2, "x1"));
        assertThat(p.init()).isEmpty();
        assertThat(p.laneArgs()).isEmpty();
    }

    @Test
    void numberedColumnsMakeAVector() throws Exception {
        SweepPlan p = ColumnBinder.bind(config("x[0] * w^2 + x[1] * w + x[2]", "w"), columns("id", "x0", "x1", "x2"), n -> -1);
        assertThat(p.inputSizes()).containsExactly(Map.entry("x", 3));
        assertThat(p.inputs().get(0).cells()).containsExactly(Cell.scalar(1, "x0"), Cell.scalar(2, "x1"), Cell.scalar(3, "x2"));
    }

    @Test
    void underscoreNumberedColumnsMakeAVectorToo() throws Exception {
        SweepPlan p = ColumnBinder.bind(config("(w - x[1])^2", "w"), columns("x_0", "x_1"), n -> -1);
        assertThat(p.inputSizes()).containsExactly(Map.entry("x", 2));
    }

    @Test
    void anArrayColumnIsAVectorOfItsFirstArraysLength() throws Exception {
        SweepPlan p = ColumnBinder.bind(config("(w - x[1])^2", "w"), columns("id", "x:ARRAY"), n -> n.equals("x") ? 4 : -1);
        assertThat(p.inputs().get(0).cells()).hasSize(4).first().isEqualTo(Cell.element(1, "x", 0, 4));
    }

    @Test
    void anExactColumnWinsOverNumberedOnes() throws Exception {
        SweepPlan p = ColumnBinder.bind(config("(w - x)^2", "w"), columns("x", "x0", "x1"), n -> -1);
        assertThat(p.inputSizes()).containsExactly(Map.entry("x", 1));
    }

    @Test
    void aMissingNameIsAnErrorWithItsPositionInTheCost() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ColumnBinder.bind(config("x0 * w^2 + xx1 * w + x2", "w"), columns("id", "x0", "x1", "x2"), n -> -1));
        assertThat(e.problems()).singleElement().asString()
                .startsWith("cost, position 11: 'xx1' is neither a variable nor an input column (did you mean column 'x1'?)")
                .contains("input columns: [id, x0, x1, x2]")
                .endsWith("x0 * w^2 + xx1 * w + x2\n" + " ".repeat(2 + 11) + "^");
    }

    @Test
    void everyProblemIsReportedAtOnce() throws Exception {
        SweepConfig c = config("a * w^2 + s + cost", "w", "init.w=start", "optimizer.learning_rate=lr");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ColumnBinder.bind(c, columns("s:OTHER", "cost", "w"), n -> -1));
        assertThat(e.problems()).hasSize(6);
        assertThat(String.join("\n", e.problems()))
                .contains("variables: the output column 'w' of variable 'w' is also the name of input column 'w'")
                .contains("input column 'cost' has the name of the output column 'cost'")
                .contains("cost, position 0: 'a' is neither a variable nor an input column")
                .contains("column s has type struct<a:int>; expected a number")
                .contains("init.w: no input column 'start'")
                .contains("optimizer.learning_rate: no input column 'lr'");
    }

    @Test
    void initAndArgumentColumnsAreBound() throws Exception {
        SweepConfig c = config("(w[0] - t)^2 + (w[1] - t)^2 + (b - t)^2", "w[2], b", "init.w=w0", "init.b=s",
                "optimizer.learning_rate=lr");
        SweepPlan p = ColumnBinder.bind(c, columns("t", "w0_0", "w00", "w01", "s", "lr"), n -> -1);
        assertThat(p.init()).hasSize(2);
        assertThat(p.init().get(0).cells()).containsExactly(Cell.scalar(2, "w00"), Cell.scalar(3, "w01"));
        assertThat(p.init().get(1).cells()).containsExactly(Cell.scalar(4, "s"));
        assertThat(p.laneArgs()).containsExactly(new SweepPlan.LaneArg("learning_rate", Cell.scalar(5, "lr")));
    }

    @Test
    void anInitColumnOfTheWrongSizeIsAnError() throws Exception {
        SweepConfig c = config("(w[0] - t)^2", "w[2]", "init.w=s");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ColumnBinder.bind(c, columns("t", "s0", "s1", "s2"), n -> -1));
        assertThat(e.problems()).containsExactly("init.w: column s gives 3 components, but w has 2");
    }

    @Test
    void aVectorVariableClashesWithItsCsvColumns() throws Exception {
        SweepConfig c = config("(w[0] - t)^2", "w[2]", "output.format=csv");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ColumnBinder.bind(c, columns("t", "W_1"), n -> -1));
        assertThat(e.problems()).singleElement().asString()
                .startsWith("variables: the output column 'w_1' of variable 'w' is also the name of input column 'W_1'");
    }

    @Test
    void positionsAreZeroBasedAsTheEnginesAndWholeWords() {
        assertThat(ColumnBinder.position("x10 + x1", "x1")).isEqualTo(6);
        assertThat(ColumnBinder.position("x1", "x1")).isEqualTo(0);
    }
}
