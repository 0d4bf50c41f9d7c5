package tapeline.engine.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import tapeline.engine.expr.Compiler;
import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Op;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * What a train job fits: one row's loss, the shared parameters it depends on and the data columns
 * it reads. Small and {@link Serializable}; the tape it compiles to is not shipped but built where
 * it is used ({@link #compile}).
 *
 * <pre>{@code
 * LossModel m = new LossModel(Expression.parse("loss", "(y - (b + dot(w, x)))^2"),
 *         List.of(new VariableSpec("b", 1), new VariableSpec("w", 3)),
 *         Map.of("y", 1, "x", 3), DType.FLOAT64, 1024);
 * m.parameterCount();   // 4: b, w[0], w[1], w[2]
 * m.columnCount();      // 4: y, x[0], x[1], x[2] (inputs in the order given)
 * }</pre>
 *
 * @param loss       one row's loss, a scalar expression
 * @param variables  the parameters, in order; their components are the "slots" of a parameter vector
 * @param inputs     every other name of the loss and its number of components, in column order
 * @param dtype      the number type the tape computes in
 * @param blockLanes rows evaluated together on one tape
 * @param codegen    {@code engine.codegen}: run the pass compiled to Java ({@link tapeline.engine.codegen.PassKernel};
 *                   the same bits, faster) once the class is ready, or always on the tape's interpreter
 */
public record LossModel(Expression loss, List<VariableSpec> variables, Map<String, Integer> inputs,
                        DType dtype, int blockLanes, boolean codegen) implements Serializable {

    public LossModel {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(dtype, "dtype");
        variables = List.copyOf(variables);
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        if (blockLanes < 1) {
            throw new IllegalArgumentException("blockLanes must be >= 1, got " + blockLanes);
        }
        for (VariableSpec v : variables) {
            if (inputs.containsKey(v.name())) {
                throw new IllegalArgumentException("'" + v.name() + "' is both a variable and an input");
            }
        }
    }

    /** A model whose pass is compiled ({@code engine.codegen = true}, the default). */
    public LossModel(Expression loss, List<VariableSpec> variables, Map<String, Integer> inputs, DType dtype, int blockLanes) {
        this(loss, variables, inputs, dtype, blockLanes, true);
    }

    /** The same model with the compiled pass on or off. */
    public LossModel withCodegen(boolean on) {
        return new LossModel(loss, variables, inputs, dtype, blockLanes, on);
    }

    /** Scalar parameters: the sum of the variables' sizes. */
    public int parameterCount() {
        int n = 0;
        for (VariableSpec v : variables) n += v.size();
        return n;
    }

    /** Data columns a block must hold: the sum of the inputs' sizes. */
    public int columnCount() {
        int n = 0;
        for (int s : inputs.values()) n += s;
        return n;
    }

    /**
     * Builds {@code optimizer} for this model's parameters on the driver: one lane, every slot
     * shared, the slots of a vector variable grouped (so {@code clipnorm} clips a variable's whole
     * gradient, as Keras does).
     */
    public tapeline.engine.optim.Optimizer buildOptimizer(tapeline.engine.optim.Optimizer optimizer) {
        int[] variableOfSlot = new int[parameterCount()];
        int slot = 0;
        for (int v = 0; v < variables.size(); v++) {
            for (int c = 0; c < variables.get(v).size(); c++) variableOfSlot[slot++] = v;
        }
        optimizer.build(1, new boolean[variableOfSlot.length], variableOfSlot);
        return optimizer;
    }

    /** Parameter names as the output writes them: {@code b}, {@code w[0]}, {@code w[1]}, ... */
    public List<String> parameterNames() {
        List<String> out = new ArrayList<>();
        for (VariableSpec v : variables) {
            if (v.size() == 1) out.add(v.name());
            else for (int c = 0; c < v.size(); c++) out.add(v.name() + "[" + c + "]");
        }
        return out;
    }

    /**
     * Records the loss on a fresh tape of {@link #blockLanes} lanes. Every parameter component is a
     * <em>shared</em> variable (one value, not a copy per lane): the ops that use it read it directly
     * and the reverse pass hands back its gradient already summed over the chunk's lanes
     * ({@link GradientAggregator} says why that sum is reproducible). Data columns are non-trainable
     * per-lane variables, so a chunk is loaded by copying into their storage and the program is
     * reused chunk after chunk.
     *
     * @throws tapeline.engine.expr.ExpressionException if a name is unbound or sizes do not match
     */
    public Compiled compile() {
        int lanes = blockLanes;
        Tape tape = new Tape(dtype);
        TapeLeaves leaves = TapeLeaves.record(tape, variables, inputs, lanes, false);
        Map<String, Tensor[]> bindings = leaves.bindings();
        if (bindings.isEmpty()) {
            throw new IllegalArgumentException("the loss needs at least one variable");
        }
        if (leaves.columns().length == 0) {
            tape.constant(new double[lanes]); // no data column gives the tape its lanes: every row's loss is the same
        }
        Tensor out = Compiler.compile(loss, bindings);
        int lossNode = out.isPerLane() ? out.node() : tape.record(Op.BROADCAST, out.node(), -1, -1, 0);
        tape.close();
        return new Compiled(tape, leaves.params(), leaves.paramNodes(), leaves.columns(), leaves.columnNodes(), lossNode);
    }

    /**
     * A recorded loss and the live arrays feeding it: write the parameters into {@code params} (one
     * value each, shared by all lanes) and a chunk of rows into {@code columns} (first {@code n}
     * lanes; or {@link Tape#rebind} the {@code columnNodes} to arrays that hold the chunk), call
     * {@link Tape#setActiveLanes}, {@link Tape#forward()} and {@link Tape#backward}, read the
     * per-row losses and the parameters' gradients (each summed over the chunk).
     */
    public record Compiled(Tape tape, double[][] params, int[] paramNodes, double[][] columns, int[] columnNodes,
                           int lossNode) {}
}
