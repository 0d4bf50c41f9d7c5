package tapeline.job.score;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expression;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;
import tapeline.job.sweep.SweepPlan;

/**
 * What a score computes: the output expressions, the fitted parameters they read (constants, the
 * same for every row) and the input columns bound to their other names. Small and
 * {@link Serializable}; the tape is recorded where it is used ({@link #compile}), once per task.
 *
 * <pre>{@code
 * ScoreModel m = new ScoreModel(Map.of("prediction", Expression.parse("b + dot(w, x)")),
 *         Map.of("b", new double[] {0.5}, "w", new double[] {2, -1}), inputs, DType.FLOAT64);
 * ScoreModel.Compiled c = m.compile(1024);   // fill c.columns(), then c.run(n)
 * }</pre>
 *
 * @param outputs the output columns and their expressions, in order
 * @param params  the fitted parameters by name, one value per component
 * @param inputs  the other names of the expressions, bound to input cells
 * @param dtype   the number type the expressions are computed in
 */
public record ScoreModel(Map<String, Expression> outputs, Map<String, double[]> params, List<SweepPlan.Input> inputs,
                         DType dtype) implements Serializable {

    public ScoreModel {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        Map<String, double[]> p = new LinkedHashMap<>();
        params.forEach((k, v) -> p.put(k, v.clone()));
        params = Collections.unmodifiableMap(p);
        inputs = List.copyOf(inputs);
    }

    /**
     * Records every output on one tape of {@code lanes} lanes: parameters as scalar constants, input
     * components as per-lane storage the caller fills.
     *
     * @throws tapeline.engine.expr.ExpressionException naming the output and position: a vector where a
     *     number is needed, sizes that do not match, an unknown function
     */
    public Compiled compile(int lanes) {
        Tape tape = new Tape(dtype);
        Map<String, Tensor[]> bindings = new LinkedHashMap<>();
        params.forEach((name, values) -> {
            Tensor[] comps = new Tensor[values.length];
            for (int c = 0; c < comps.length; c++) {
                comps[c] = tape.tensor(tape.scalar(values[c]));
            }
            bindings.put(name, comps);
        });
        List<double[]> columns = new ArrayList<>();
        for (SweepPlan.Input in : inputs) {
            Tensor[] comps = new Tensor[in.cells().size()];
            for (int c = 0; c < comps.length; c++) {
                double[] storage = new double[lanes];
                columns.add(storage);
                comps[c] = tape.tensor(tape.variable(storage, true, false));
            }
            bindings.put(in.name(), comps);
        }
        int[] nodes = new int[outputs.size()];
        int i = 0;
        for (Expression e : outputs.values()) {
            nodes[i++] = Compiler.compile(e, bindings).node();
        }
        tape.close();
        return new Compiled(tape, columns.toArray(double[][]::new), nodes);
    }

    /**
     * A recorded score: write a block's input values into {@code columns} (first {@code n} lanes, in
     * the order of the bound cells), then {@link #run}.
     */
    public record Compiled(Tape tape, double[][] columns, int[] outputNodes) {

        /** Computes the first {@code n} lanes; returns one array per output, value per lane. */
        public double[][] run(int n) {
            if (tape.lanes() > 0) {
                tape.setActiveLanes(n);
            }
            tape.forward();
            double[][] out = new double[outputNodes.length][];
            for (int o = 0; o < outputNodes.length; o++) {
                double[] v = tape.values(outputNodes[o]);
                if (!tape.isLaneShaped(outputNodes[o])) { // an output that reads no column: the same in every lane
                    double only = v[0];
                    v = new double[n];
                    java.util.Arrays.fill(v, only);
                }
                out[o] = v;
            }
            return out;
        }
    }
}
