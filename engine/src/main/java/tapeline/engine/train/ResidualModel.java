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
 * What a least-squares train job fits ({@code residuals = ...}): one row's residuals (each
 * expression a scalar or a vector; every component one residual), the shared parameters and the
 * data columns. The job's objective is the sum (or mean) over rows of the residuals' squares; this
 * model gives, per row, the residuals and their Jacobian rows, for {@link JacobianAggregator}.
 *
 * <pre>{@code
 * ResidualModel m = new ResidualModel(List.of(Expression.parse("residuals", "y - a * exp(-b * x)")),
 *         List.of(new VariableSpec("a", 1), new VariableSpec("b", 1)), Map.of("x", 1, "y", 1), DType.FLOAT64, 4096);
 * }</pre>
 *
 * @param residuals  one row's residual expressions, in order
 * @param variables  the parameters, in order ({@link LossModel#parameterNames()} order)
 * @param inputs     the data columns and their sizes, in column order (as the loss model's)
 * @param dtype      the number type the tape computes in
 * @param blockLanes rows evaluated together on one tape
 */
public record ResidualModel(List<Expression> residuals, List<VariableSpec> variables, Map<String, Integer> inputs,
                            DType dtype, int blockLanes) implements Serializable {

    public ResidualModel {
        Objects.requireNonNull(dtype, "dtype");
        residuals = List.copyOf(residuals);
        if (residuals.isEmpty()) throw new IllegalArgumentException("residuals: at least one expression is needed");
        variables = List.copyOf(variables);
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        if (blockLanes < 1) throw new IllegalArgumentException("blockLanes must be >= 1, got " + blockLanes);
    }

    /** The residual model of a loss model's parameters, inputs, dtype and chunk size. */
    public static ResidualModel of(List<Expression> residuals, LossModel loss) {
        return new ResidualModel(residuals, loss.variables(), loss.inputs(), loss.dtype(), loss.blockLanes());
    }

    /** Scalar parameters. */
    public int parameterCount() {
        int n = 0;
        for (VariableSpec v : variables) n += v.size();
        return n;
    }

    /** Data columns a chunk holds. */
    public int columnCount() {
        int n = 0;
        for (int s : inputs.values()) n += s;
        return n;
    }

    /**
     * Records the residuals on a fresh tape of {@link #blockLanes} lanes. Unlike the loss model's
     * tape, every parameter component is a <em>per-lane</em> variable (each lane holds the same
     * value): a reverse pass from a residual then leaves that residual's derivative in every lane,
     * a row of the Jacobian per row, not their sum.
     *
     * @throws tapeline.engine.expr.ExpressionException if a name is unbound or sizes do not match
     */
    public Compiled compile() {
        int lanes = blockLanes;
        Tape tape = new Tape(dtype);
        TapeLeaves leaves = TapeLeaves.record(tape, variables, inputs, lanes, true);
        Map<String, Tensor[]> bindings = leaves.bindings();
        List<Integer> nodes = new ArrayList<>();
        for (Expression r : residuals) {
            for (Tensor t : Compiler.compileVector(r, bindings)) {
                nodes.add(t.isPerLane() ? t.node() : tape.record(Op.BROADCAST, t.node(), -1, -1, 0));
            }
        }
        tape.close();
        return new Compiled(tape, leaves.params(), leaves.paramNodes(), leaves.columns(), leaves.columnNodes(),
                nodes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A recorded set of residuals and the live arrays feeding it (one value per lane everywhere). */
    public record Compiled(Tape tape, double[][] params, int[] paramNodes, double[][] columns, int[] columnNodes,
                           int[] residualNodes) {}
}
