package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When an embedded run adds the compiler directives ({@link Jit#choose}); their effect: JitDirectivesIT. */
class JitTest {
    private static final List<String> NO_ARGS = List.of("-Dtapeline.jit=auto", "-XX:SharedArchiveFile=x.jsa");

    @Test
    void autoAddsThemOnASmallMachineWithALocalMaster() {
        for (String m : new String[] {"local", "local[2]", "local[*]", "local[2,2]"}) {
            assertThat(Jit.choose("auto", m, 2, NO_ARGS)).as(m).isEmpty();
        }
        assertThat(Jit.choose(" AUTO ", "local[*]", Jit.SMALL_MACHINE, NO_ARGS)).isEmpty();
    }

    @Test
    void autoLeavesALargerMachineAndTheUsersOwnCompilerFlagsAlone() {
        assertThat(Jit.choose("auto", "local[*]", Jit.SMALL_MACHINE + 1, NO_ARGS)).hasValueSatisfying(
                why -> assertThat(why).contains("5 cores"));
        for (String flag : new String[] {"-XX:TieredStopAtLevel=1", "-XX:-TieredCompilation", "-Xint",
                "-XX:CompilerDirectivesFile=mine.json", "-XX:CompileThresholdScaling=0.5"}) {
            assertThat(Jit.choose("auto", "local[2]", 2, List.of("-Xmx2g", flag))).as(flag)
                    .hasValueSatisfying(why -> assertThat(why).contains(flag));
        }
    }

    @Test
    void tapelineAddsThemOnAnyLocalRunAndDefaultNever() {
        assertThat(Jit.choose("tapeline", "local[*]", 64, List.of("-XX:TieredStopAtLevel=1"))).isEmpty();
        assertThat(Jit.choose("default", "local[2]", 2, NO_ARGS)).hasValue("TAPELINE_JIT=default");
    }

    @Test
    void aClusterMasterOrNoPropertyKeepsTheJvmsOwn() {
        for (String m : new String[] {"spark://127.0.0.1:7077", "yarn", "local-cluster[2,1,1024]", "k8s://https://h:443"}) {
            assertThat(Jit.choose("tapeline", m, 2, NO_ARGS)).as(m).hasValueSatisfying(why -> assertThat(why).contains(m));
        }
        assertThat(Jit.choose(null, "local[2]", 2, NO_ARGS)).hasValueSatisfying(why -> assertThat(why).contains("unset"));
    }

    @Test
    void anUnknownChoiceIsAnErrorNamingIt() {
        assertThatThrownBy(() -> Jit.choose("c1", "local[2]", 2, NO_ARGS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'c1'").hasMessageContaining("auto, tapeline or default");
    }
}
