package tapeline.job.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.solve.StandardErrors;

/** {@code residuals}, {@code optimizer = lm}, {@code tolerance.cost}, {@code stderr} and {@code cost.kind} in a sweep config. */
class ResidualsConfigTest {

    static Map<String, String> lm(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("residuals", "10 * (v - u^2), 1 - u");
        m.put("variables", "u, v");
        m.put("optimizer", "lm");
        m.put("input.path", "data/in.csv");
        m.put("output.path", "out/x");
        for (String s : kv) {
            int eq = s.indexOf('=');
            m.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return m;
    }

    @Test
    void aResidualListWithLmAndStandardErrors() throws ConfigException {
        SweepConfig c = SweepConfig.parse(lm("tolerance.cost=1e-12", "tolerance.step=1e-10", "stderr=true"));
        assertThat(c.residuals()).hasSize(2);
        assertThat(c.residuals().get(1).source().trim()).isEqualTo("1 - u");
        assertThat(c.solver().costTolerance()).isEqualTo(1e-12);
        assertThat(c.solver().stepTolerance()).isEqualTo(1e-10);
        assertThat(c.stderr()).isEqualTo(StandardErrors.Kind.RESIDUALS);
        assertThat(c.cost().names()).containsExactly("v", "u"); // the sum of squares the columns are bound by
    }

    @Test
    void costAndResidualsTogetherAreAnError() {
        ConfigException e = SweepConfigTest.problems(lm("cost=u^2"));
        assertThat(e.problems()).anyMatch(p -> p.contains("cost and residuals are both given"));
    }

    @Test
    void lmWithACostIsAnError() {
        Map<String, String> m = lm();
        m.remove("residuals");
        m.put("cost", "(1 - u)^2 + v^2");
        assertThat(SweepConfigTest.problems(m).problems()).anyMatch(p -> p.contains("lm (Levenberg-Marquardt) needs the cost as residuals"));
    }

    @Test
    void standardErrorsOfACostNeedItsKind() throws ConfigException {
        Map<String, String> m = lm("optimizer=newton", "stderr=true");
        m.remove("residuals");
        m.put("cost", "(1 - u)^2 + v^2");
        assertThat(SweepConfigTest.problems(m).problems()).anyMatch(p -> p.startsWith("stderr: standard errors need"));
        m.put("cost.kind", "nll");
        assertThat(SweepConfig.parse(m).stderr()).isEqualTo(StandardErrors.Kind.NLL);
        m.put("cost.kind", "mse");
        assertThat(SweepConfigTest.problems(m).problems()).anyMatch(p -> p.startsWith("cost.kind: expected nll"));
    }

    @Test
    void aBadResidualNamesItsPosition() {
        ConfigException e = SweepConfigTest.problems(lm("residuals=10 * (v - u^2), 1 - * u"));
        assertThat(e.problems()).anyMatch(p -> p.contains("residuals") && p.contains("position"));
    }
}
