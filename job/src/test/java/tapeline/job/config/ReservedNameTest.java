package tapeline.job.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A variable cannot be named after a constant of the expression language ({@code pi}): a config error naming it. */
class ReservedNameTest {

    @Test
    void aVariableNamedPiIsAConfigErrorThatSaysWhy() {
        ConfigException e = SweepConfigTest.problems(SweepConfigTest.with("variables=pi", "cost=square(pi - x0)"));
        assertThat(e.problems()).singleElement().asString()
                .startsWith("variables: 'pi' is a constant of the expression language (pi = 3.141592653589793)");
    }

    @Test
    void piInTheCostIsTheConstant() throws Exception {
        SweepConfig c = SweepConfig.parse(SweepConfigTest.with("cost=square(w - pi * x0)"));
        assertThat(c.cost().names()).containsExactly("w", "x0");
    }
}
