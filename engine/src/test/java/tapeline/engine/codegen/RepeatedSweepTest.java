package tapeline.engine.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.train.LossModel;

/**
 * A per-lane sum written twice in a loss (the grouped bench's logistic loss
 * {@code softplus(b + dot(w, x)) - y * (b + dot(w, x))} records two DOT nodes) is swept once: the second
 * node reads the first one's buffer. Only word-for-word equal terms share: the same products in another
 * order may round differently, so they keep their own sweep. That the shared buffer gives the interpreter's
 * bits is {@code CompiledPassTest.aLinearPredictorWrittenTwiceGivesTheInterpretersBits} (and the Hessian's).
 */
class RepeatedSweepTest {

    static final int K = 5;

    static String source(String loss, boolean vector) throws KernelSource.Unsupported {
        Map<String, Integer> in = new LinkedHashMap<>();
        in.put("y", 1);
        in.put("x", K);
        List<VariableSpec> vars = new ArrayList<>(List.of(new VariableSpec("b", 1)));
        if (vector) vars.add(new VariableSpec("w", K));
        else for (int j = 0; j < K; j++) vars.add(new VariableSpec("w" + j, 1));
        LossModel m = new LossModel(Expression.parse("loss", loss), vars, in, DType.FLOAT64, 64);
        LossModel.Compiled c = m.compile();
        return PassSource.generate(c.tape(), c.lossNode(), c.paramNodes()).source();
    }

    static long sweepLoops(String src) {
        return src.lines().filter(l -> l.trim().startsWith("for (int i = 0; i < lanes; i++) d")).count();
    }

    static String spelledOut(int[] order) {
        StringBuilder s = new StringBuilder("b");
        for (int j : order) s.append(" + w").append(j).append(" * x[").append(j).append(']');
        return s.toString();
    }

    @Test
    void aDotWrittenTwiceIsSweptOnce() throws Exception {
        String twice = source("softplus(b + dot(w, x)) - y * (b + dot(w, x))", true);
        String once = source("softplus(-(2*y - 1) * (b + dot(w, x)))", true);
        // 5 terms: two loops of at most 4 terms, once
        assertThat(sweepLoops(once)).isEqualTo(2);
        assertThat(sweepLoops(twice)).as(twice).isEqualTo(2);
        assertThat(twice).containsPattern("final double\\[\\] d\\d+ = d\\d+; // node \\d+ DOT: the terms of d\\d+");
    }

    @Test
    void aSumOfProductsWrittenTwiceIsSweptOnce() throws Exception {
        String sum = spelledOut(new int[] {0, 1, 2, 3, 4});
        String twice = source("softplus(" + sum + ") - y * (" + sum + ")", false);
        assertThat(sweepLoops(twice)).as(twice).isEqualTo(2);
        assertThat(twice).contains(": the terms of d");
    }

    @Test
    void theSameProductsInAnotherOrderAreSweptAgain() throws Exception {
        String a = spelledOut(new int[] {0, 1, 2, 3, 4});
        String b = spelledOut(new int[] {0, 1, 2, 4, 3});
        String src = source("softplus(" + a + ") - y * (" + b + ")", false);
        assertThat(sweepLoops(src)).as(src).isEqualTo(4);
        assertThat(src).doesNotContain("the terms of");
    }
}
