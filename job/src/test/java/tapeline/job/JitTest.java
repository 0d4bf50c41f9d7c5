package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The log's line for the JIT an embedded run started with ({@link Jit#describe}); submit.sh's rule itself: JitIT. */
class JitTest {
    private static final List<String> NO_COMPILER_FLAGS = List.of("-Xmx8g", "-XX:+UseParallelGC");

    @Test
    void c1AloneSaysSoAndWhy() {
        assertThat(Jit.describe("auto", true, 2, NO_COMPILER_FLAGS, "1")).startsWith("JIT: C1 only (-XX:TieredStopAtLevel=1; ")
                .contains("TAPELINE_JIT=auto: a grouped fit on 2 cores;").contains("TAPELINE_JIT=default for the JVM's own");
        assertThat(Jit.describe(" C1 ", false, 64, NO_COMPILER_FLAGS, "1")).startsWith("JIT: C1 only").contains("TAPELINE_JIT=c1;");
        assertThat(Jit.describe("auto", true, 1, NO_COMPILER_FLAGS, "1")).contains("on 1 core;");
    }

    @Test
    void theJvmsOwnSaysWhichLevelAndWhy() {
        assertThat(Jit.describe("default", true, 2, NO_COMPILER_FLAGS, "4")).isEqualTo("JIT: the JVM's own (TieredStopAtLevel=4; TAPELINE_JIT=default)");
        assertThat(Jit.describe("auto", false, 2, NO_COMPILER_FLAGS, "4"))
                .isEqualTo("JIT: the JVM's own (TieredStopAtLevel=4; TAPELINE_JIT=auto: C1 alone is for grouped fits)");
        assertThat(Jit.describe("auto", true, 16, NO_COMPILER_FLAGS, "4")).contains("the JVM's own")
                .contains("a grouped fit on 16 cores, C1 alone up to " + Jit.SMALL_MACHINE);
    }

    @Test
    void theUsersOwnCompilerFlagIsNamed() {
        for (String flag : new String[] {"-XX:TieredStopAtLevel=4", "-XX:-TieredCompilation", "-Xint",
                "-XX:CompilerDirectivesFile=mine.json", "-XX:CompileThresholdScaling=0.5"}) {
            assertThat(Jit.userFlag(List.of("-Xmx2g", flag))).as(flag).hasValue(flag);
            assertThat(Jit.describe("auto", true, 2, List.of("-Xmx2g", flag), "4")).as(flag)
                    .contains("the JVM option " + flag + " is the user's choice");
        }
        assertThat(Jit.userFlag(NO_COMPILER_FLAGS)).isEmpty();
    }

    @Test
    void anUnknownChoiceIsAnErrorNamingIt() {
        assertThatThrownBy(() -> Jit.describe("tapeline", true, 2, NO_COMPILER_FLAGS, "4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'tapeline'").hasMessageContaining("auto, c1 or default");
    }
}
