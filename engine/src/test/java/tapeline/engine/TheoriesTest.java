package tapeline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.generators.SourceDSL;

/**
 * The rerun line of a failed property names the module whose tests ran it: both modules' tests use
 * this one helper (the job's through the engine's test-jar), and a line naming the wrong module reruns nothing.
 */
class TheoriesTest {

    @Test
    void theRerunCommandNamesTheModuleThatRanTheProperty() {
        String engine = String.join(File.separator, "", "work", "tapeline", "engine");
        String job = String.join(File.separator, "", "work", "tapeline", "job");
        assertThat(Theories.command(engine, "FooTest#bar", 42)).isEqualTo("mvn -pl engine test -Dtest=FooTest#bar -DQT_SEED=42");
        assertThat(Theories.command(job, "FooTest#bar", -7)).isEqualTo(
                "mvn -pl job -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=FooTest#bar -DQT_SEED=-7");
    }

    @Test
    void aFailedPropertyReportsItsSeedAndTheLineThatRerunsIt() {
        QuickTheory theory = Theories.qt(50); // here, not in the lambda: the rerun line names this method
        assertThatThrownBy(() -> theory.forAll(SourceDSL.integers().between(0, 100))
                .checkAssert(i -> assertThat(i).isLessThan(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Rerun: mvn -pl engine test -Dtest=TheoriesTest#aFailedPropertyReportsItsSeedAndTheLineThatRerunsIt -DQT_SEED=");
    }
}
