package tapeline.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

class SweepConfigTest {

    static Map<String, String> minimal() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cost", "x0 * w^2 + x1 * w + x2");
        m.put("variables", "w");
        m.put("input.path", "data/in.csv");
        m.put("output.path", "out/x");
        return m;
    }

    static Map<String, String> with(String... kv) {
        Map<String, String> m = minimal();
        for (String s : kv) {
            int eq = s.indexOf('=');
            m.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return m;
    }

    static ConfigException problems(Map<String, String> raw) {
        return catchThrowableOfType(ConfigException.class, () -> SweepConfig.parse(raw));
    }

    @Test
    void theSeedConfigParsesToTheNotebooksSettings() throws Exception {
        SweepConfig c = SweepConfig.load(Path.of("../conf/seed-sweep.properties"), List.of());
        assertThat(c.job()).isEqualTo(JobKind.SWEEP);
        assertThat(c.cost().source()).isEqualTo("x0 * w^2 + x1 * w + x2");
        assertThat(c.variables()).containsExactly(new VariableSpec("w", 1));
        assertThat(c.optimizer()).isEqualTo("adam");
        assertThat(c.fixedOptimizerArgs()).containsEntry("learning_rate", 0.1);
        assertThat(c.solver().maxSteps()).isEqualTo(1000);
        assertThat(c.solver().gradTolerance()).isZero();
        assertThat(c.solver().stepTolerance()).isZero();
        assertThat(c.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(c.input()).isEqualTo(new InputSpec("data/seed_coefficients.csv", Format.CSV));
        assertThat(c.output()).isEqualTo(new OutputSpec("out/seed-sweep", Format.PARQUET, OutputMode.OVERWRITE));
    }

    @Test
    void defaultsAreDocumentedOnes() throws Exception {
        SweepConfig c = SweepConfig.parse(minimal());
        assertThat(c.optimizer()).isEqualTo("adam");
        assertThat(c.solver().maxSteps()).isEqualTo(1000);
        assertThat(c.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(c.output().format()).isEqualTo(Format.PARQUET);
        assertThat(c.output().mode()).isEqualTo(OutputMode.ERROR);
        assertThat(c.blockSize()).isEqualTo(1024);
        assertThat(c.showRows()).isEqualTo(20);
        assertThat(c.init()).isEmpty();
    }

    @Test
    void overridesOnTheCommandLineWin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.properties");
        Files.writeString(f, "cost = (w - t)^2\nvariables = w\nsteps = 5\ninput.path = a.parquet\noutput.path = o\n");
        SweepConfig c = SweepConfig.load(f, List.of("steps=7", "spark.executor.memory=2g", "optimizer.learning_rate=lr"));
        assertThat(c.solver().maxSteps()).isEqualTo(7);
        assertThat(c.spark()).containsEntry("spark.executor.memory", "2g");
        assertThat(c.optimizerArgs()).containsEntry("learning_rate", new Operand.Column("lr"));
        assertThat(c.input().format()).isEqualTo(Format.PARQUET);
    }

    @Test
    void vectorVariablesNumbersAndColumnsForInit() throws Exception {
        SweepConfig c = SweepConfig.parse(with("cost=(w[0] - x[0])^2 + (w[1] - x[1])^2 + b^2", "variables=w[2], b",
                "init.w=0.5", "init.b=b0"));
        assertThat(c.variables()).containsExactly(new VariableSpec("w", 2), new VariableSpec("b", 1));
        assertThat(c.init()).containsEntry("w", new Operand.Constant(0.5)).containsEntry("b", new Operand.Column("b0"));
    }

    @Test
    void booleanOptimizerArgumentsAreOneAndZero() throws Exception {
        SweepConfig c = SweepConfig.parse(with("optimizer=sgd", "optimizer.nesterov=true", "optimizer.momentum=0.9"));
        assertThat(c.fixedOptimizerArgs()).containsEntry("nesterov", 1.0).containsEntry("momentum", 0.9);
    }

    @Test
    void newtonAndTheVerdict() throws Exception {
        SweepConfig c = SweepConfig.parse(with("optimizer=newton", "optimizer.armijo=0.01", "optimizer.learning_rate=lr",
                "verdict=true"));
        assertThat(c.optimizer()).isEqualTo("newton");
        assertThat(c.solver().verdict()).isTrue();
        assertThat(c.fixedOptimizerArgs()).containsEntry("armijo", 0.01);
        assertThat(SweepConfig.parse(minimal()).solver().verdict()).isFalse();
        assertThat(problems(with("verdict=yes")).problems()).singleElement().asString()
                .isEqualTo("verdict: expected one of [false, true], got 'yes'");
        assertThat(problems(with("optimizer=newton", "optimizer.clipnorm=1")).problems()).singleElement().asString()
                .contains("newton does not take clipnorm");
        // The train job takes newton too (#21: a step from the rows' summed Hessians), with the same argument checks.
        Map<String, String> train = new java.util.LinkedHashMap<>(Map.of("job", "train", "loss", "(y - w * x)^2",
                "variables", "w", "optimizer", "newton", "input.path", "in.csv", "output.path", "out"));
        assertThat(TrainConfig.parse(train).optimizer()).isEqualTo("newton");
        train.put("optimizer.clipnorm", "1");
        assertThatThrownBy(() -> TrainConfig.parse(train)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("newton does not take clipnorm");
    }

    @Test
    void trustRegion() throws Exception {
        SweepConfig c = SweepConfig.parse(with("optimizer=trust", "optimizer.factor=f", "optimizer.hess_scaling=false"));
        assertThat(c.optimizer()).isEqualTo("trust");
        assertThat(c.fixedOptimizerArgs()).containsEntry("hess_scaling", 0.0);
        assertThat(problems(with("optimizer=trust", "optimizer.learning_rate=0.5")).problems()).singleElement().asString()
                .contains("trust does not take learning_rate");
        assertThat(problems(with("optimizer=trust", "optimizer.factor=-1")).problems()).singleElement().asString()
                .contains("factor");
        Map<String, String> train = new java.util.LinkedHashMap<>(Map.of("job", "train", "loss", "(y - w * x)^2",
                "variables", "w", "optimizer", "trust", "input.path", "in.csv", "output.path", "out"));
        assertThatThrownBy(() -> TrainConfig.parse(train)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("optimizer: trust (trust-region Newton) solves one problem per row");
    }

    @Test
    void anUnknownKeyIsAnErrorWithDidYouMean() {
        ConfigException e = problems(with("optimiser=adam"));
        assertThat(e.problems()).containsExactly("unknown key 'optimiser' (did you mean 'optimizer'?)");
        assertThat(problems(with("step=10")).problems()).containsExactly("unknown key 'step' (did you mean 'steps'?)");
        assertThat(problems(with("colour=blue")).problems()).containsExactly("unknown key 'colour'");
    }

    @Test
    void anUnknownOptimizerArgumentSuggestsTheKerasName() {
        ConfigException e = problems(with("optimizer.beta1=0.9"));
        assertThat(e.problems()).singleElement().asString()
                .startsWith("optimizer.beta1: adam has no argument 'beta1' (did you mean 'beta_1'?)")
                .contains("learning_rate");
    }

    @Test
    void anInitForSomethingThatIsNotAVariableNamesTheVariables() {
        ConfigException e = problems(with("init.v=1"));
        assertThat(e.problems()).singleElement().asString()
                .isEqualTo("init.v: no variable named 'v' (did you mean 'init.w'?); variables are [w]");
    }

    @Test
    void engineCodegenIsOnByDefaultAndTakesTrueOrFalse() throws Exception {
        assertThat(SweepConfig.parse(minimal()).codegen()).isTrue();
        assertThat(SweepConfig.parse(with("engine.codegen=false")).codegen()).isFalse();
        assertThat(SweepConfig.parse(with("engine.codegen=TRUE")).codegen()).isTrue();
        assertThat(problems(with("engine.codegen=maybe")).problems())
                .containsExactly("engine.codegen: expected one of [false, true], got 'maybe'");
    }

    @Test
    void aBadNumberNamesTheKeyAndTheValue() {
        assertThat(problems(with("steps=ten")).problems())
                .containsExactly("steps: expected a whole number >= 1, got 'ten'");
        assertThat(problems(with("tolerance.grad=-1")).problems())
                .containsExactly("tolerance.grad: expected a number >= 0 (0 turns the test off), got '-1'");
        assertThat(problems(with("block.size=0")).problems())
                .containsExactly("block.size: expected a whole number in [1, 1048576], got '0'");
        assertThat(problems(with("init.w=1.5.2")).problems())
                .containsExactly("init.w: expected a finite number or a column name, got '1.5.2'");
    }

    @Test
    void anOptimizerArgumentOutOfRangeIsReportedByTheEngineRules() {
        assertThat(problems(with("optimizer.beta_1=1.5")).problems()).singleElement().asString()
                .contains("beta_1").contains("1.5");
    }

    @Test
    void allProblemsAreReportedAtOnce() {
        Map<String, String> raw = with("steps=ten", "dtype=float16", "optimiser=adam", "output.mode=append",
                "input.format=.xls");
        raw.remove("output.path");
        ConfigException e = problems(raw);
        assertThat(e.problems()).hasSize(6);
        assertThat(e.getMessage()).startsWith("6 configuration problems:")
                .contains("steps: expected a whole number >= 1, got 'ten'")
                .contains("dtype: expected float64 or float32, got 'float16'")
                .contains("unknown key 'optimiser' (did you mean 'optimizer'?)")
                .contains("output.mode: expected error or overwrite, got 'append'")
                .contains("input.format: expected one of csv, parquet, json, orc or a Spark data source's short name or class, got '.xls'")
                .contains("output.path: required, but not set");
    }

    @Test
    void aBadExpressionShowsItsPosition() {
        ConfigException e = problems(with("cost=x0 * w^^2"));
        assertThat(e.problems()).singleElement().asString().startsWith("cost, position 7: ")
                .endsWith("x0 * w^^2\n" + " ".repeat(2 + 7) + "^");
    }

    @Test
    void aVariableThatTheCostDoesNotUseIsAnError() {
        assertThat(problems(with("variables=w, v")).problems())
                .containsExactly("variables: 'v' does not appear in cost 'x0 * w^2 + x1 * w + x2'");
    }

    @Test
    void badVariableListsAreNamed() {
        assertThat(problems(with("variables=w, w")).problems()).containsExactly("variables: 'w' is listed twice");
        assertThat(problems(with("variables=w[0]")).problems()).singleElement().asString().startsWith("variables: size of w");
        assertThat(problems(with("variables=w[")).problems()).singleElement().asString()
                .isEqualTo("variables: expected a name or name[size] such as w or w[20], got 'w['");
    }

    @Test
    void trainIsReserved() {
        assertThat(problems(with("job=train")).problems())
                .containsExactly("job: 'train' configs are read by TrainConfig (Main sends them there), not by the sweep's SweepConfig");
    }

    @Test
    void theInputFormatComesFromTheExtensionOrMustBeGiven() throws Exception {
        assertThat(SweepConfig.parse(with("input.path=a/b.json")).input().format()).isEqualTo(Format.JSON);
        assertThat(SweepConfig.parse(with("input.path=a/b.orc/")).input().format()).isEqualTo(Format.ORC);
        assertThat(problems(with("input.path=a/b")).problems()).singleElement().asString()
                .startsWith("input.format: cannot tell the format from 'a/b'");
    }

    @Test
    void aMissingConfigFileAndAMalformedOverrideAreReported(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SweepConfig.load(dir.resolve("nope.properties"), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nope.properties: no such file");
        Path f = dir.resolve("c.properties");
        Files.writeString(f, "cost = w^2\nvariables = w\ninput.path = a.csv\noutput.path = o\n");
        assertThatThrownBy(() -> SweepConfig.load(f, List.of("steps")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("argument 'steps': expected key=value");
    }

    @Test
    void suggestUsesEditDistance() {
        assertThat(tapeline.engine.expr.Suggest.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggest.closest("ouput.path", List.of("output.path", "input.path"))).contains("output.path");
        assertThat(Suggest.closest("zzz", List.of("steps"))).isEmpty();
    }
}
