package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.BlockSolver;
import tapeline.engine.solve.SolverSettings;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;

/**
 * Nothing of the user's text reaches the compiler: names become node numbers and numbers become
 * bit patterns, so every identifier of the generated source is one the generator itself writes.
 */
class HostileTextTest {
    /** Every identifier the generator (and the optimizers' update sources) may write. */
    private static final Set<String> OURS = Set.of(
            "public", "private", "static", "final", "class", "implements", "void", "boolean", "double", "float", "int",
            "for", "if", "else", "return", "throw", "new", "true", "false", "null",
            "tapeline", "engine", "codegen", "tape", "optim", "GeneratedStep", "GeneratedKernel", "Op", "Lion", "sign", "sigmoid",
            "Math", "Double", "longBitsToDouble", "UnsupportedOperationException", "sqrt", "exp", "log", "log1p", "expm1",
            "sin", "cos", "tan", "tanh", "pow", "abs", "signum", "min", "max", "atan", "asin", "acos", "sinh", "cosh", "atan2",
            "gradients", "gradientsOnly", "gradientsAndCost", "cost", "fused", "step", "stepOnly", "stepAlternative", "stepOnlyChecked", "stepAlternativeChecked", "check", "chk",
            "n", "grad", "st", "sc", "lanes", "i", "adjSlot", "L",
            "gi", "mi", "vi", "ui", "ai", "a", "c", "c1", "c2", "d", "dw", "lr", "mu", "r", "b1", "b2", "up", "ut", "ut1",
            "mHat", "vHat", "bc",
            // Segments (a loop too large for one): chunks of lanes, scratch arrays, copies in and out.
            "java", "lang", "System", "arraycopy", "util", "Arrays", "fill", "this", "forBlock", "t", "from", "to", "m");
    private static final Pattern LOCAL = Pattern.compile("(v|n|adj|grad|chk|st|sc|t)\\d+(_\\d+)?"
            + "|(gradientsOnly|gradientsAndCost|cost|stepOnly|stepAlternative|stepOnlyChecked|stepAlternativeChecked)_u?\\d+");
    private static final Pattern IDENTIFIER = Pattern.compile("\\b[A-Za-z_$][A-Za-z0-9_$]*\\b");

    @Test
    void namesAndNumbersOfTheExpressionNeverReachTheSource() {
        // Names a Java source would execute or resolve, as variables and inputs; numbers in every form.
        String text = "Runtime * getRuntime^2 + System * exit(1) + __proto__ * exec - class * getRuntime "
                + "+ 1e-300 * exec + 0x1.8p1 * getRuntime + 1234567890123456789L * exit(1) ";
        text = text.replace("exit(1)", "exit");
        boolean segmented = false;
        for (DType dtype : DType.values()) {
            for (String optimizer : List.of("adam", "sgd", "rmsprop", "adagrad", "adamw", "adamax", "nadam", "lion")) {
                BlockSolver s = new BlockSolver(Expression.parse("cost", text),
                        List.of(new VariableSpec("getRuntime", 1), new VariableSpec("exec", 1)),
                        Map.of("Runtime", 1, "System", 1, "exit", 1, "__proto__", 1, "class", 1), optimizer, Map.of(),
                        new SolverSettings(3, 0, 0), dtype);
                Map<String, double[][]> in = Map.of("Runtime", new double[][] {{1}}, "System", new double[][] {{2}},
                        "exit", new double[][] {{3}}, "__proto__", new double[][] {{4}}, "class", new double[][] {{5}});
                s.solve(1, in, Map.of(), Map.of());
                KernelPath path = s.kernelPath();
                assertThat(path.compiled()).as(path.describe()).isTrue();
                String code = path.source().replaceAll("//[^\n]*", "");
                // The one string literal the generator writes, and no other.
                Matcher strings = Pattern.compile("\"[^\"]*\"").matcher(code);
                while (strings.find()) assertThat(strings.group()).isEqualTo("\"no update was generated\"");
                Set<String> foreign = new TreeSet<>();
                Matcher m = IDENTIFIER.matcher(code.replaceAll("\"[^\"]*\"", "").replaceAll("0x[0-9a-fA-F]+L", ""));
                while (m.find()) {
                    if (!OURS.contains(m.group()) && !LOCAL.matcher(m.group()).matches()) foreign.add(m.group());
                }
                assertThat(foreign).as("identifiers not the generator's, %s %s", optimizer, dtype).isEmpty();
                // The generator's own copies (a segmented kernel) name System, fully qualified: nothing else does.
                String others = path.source().replace("java.lang.System.arraycopy(", "");
                for (String name : List.of("Runtime", "getRuntime", "System", "exit", "__proto__", "exec", "e-300", "0x1.8p1")) {
                    assertThat(others).doesNotContain(name);
                }
                segmented |= path.segmented();
            }
        }
        assertThat(segmented).as("some kernel in segments").isTrue();
    }
}
