package tapeline.engine.train;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

import tapeline.engine.expr.Expression;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;

/**
 * A term over the parameters only (e.g. {@code 0.5 * 0.01 * sum(w^2)}), added once to the
 * objective after the rows' mean or sum, with its gradient from the tape. It runs on the driver: a
 * one-lane tape, recorded once and replayed at every evaluation.
 *
 * <pre>{@code
 * Regularizer r = new Regularizer(Expression.parse("regularization", "0.5 * sum(w^2)"), variables, DType.FLOAT64);
 * double[] g = sums.gradient(Reduce.MEAN);
 * double objective = sums.loss(Reduce.MEAN) + r.addTo(params, g);   // g now includes its gradient
 * }</pre>
 */
public final class Regularizer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LossModel model;
    private transient LossModel.Compiled compiled;
    private transient LossModel.Compiled hessianTape;
    private transient tapeline.engine.tape.HessianProgram hessian;

    /**
     * @throws IllegalArgumentException if the expression names something that is not a variable
     *     (the job's config check names its position first), or does not compile to a scalar
     */
    public Regularizer(Expression expression, List<VariableSpec> variables, DType dtype) {
        for (String name : expression.names()) {
            if (variables.stream().noneMatch(v -> v.name().equals(name))) {
                throw new IllegalArgumentException(expression.label() + ": '" + name + "' is not a variable; a regularizer"
                        + " reads only the variables " + variables.stream().map(VariableSpec::name).toList());
            }
        }
        model = new LossModel(expression, variables, Map.of(), dtype, 1);
        compiled = model.compile(); // unbound names, sizes, a non-scalar value: fail here, not mid-run
    }

    public Expression expression() {
        return model.loss();
    }

    /**
     * The term's value at {@code params}; adds its gradient into {@code gradient}.
     */
    public double addTo(double[] params, double[] gradient) {
        if (compiled == null) compiled = model.compile();
        double[][] p = compiled.params();
        for (int k = 0; k < p.length; k++) p[k][0] = model.dtype().round(params[k]);
        Tape tape = compiled.tape();
        tape.setActiveLanes(1);
        tape.forward();
        tape.backward(compiled.lossNode());
        int[] nodes = compiled.paramNodes();
        for (int k = 0; k < nodes.length; k++) {
            double[] g = tape.gradient(nodes[k]);
            if (g != null) gradient[k] += g[0];
        }
        return tape.valueBuffer(compiled.lossNode())[0];
    }

    /** Adds the term's Hessian at {@code params} into {@code h} ({@code optimizer = newton}). */
    public void addHessian(double[] params, double[][] h) {
        if (hessian == null) {
            hessianTape = model.compile();
            hessian = tapeline.engine.tape.HessianProgram.record(hessianTape.tape(), hessianTape.lossNode(), hessianTape.paramNodes());
        }
        int n = params.length;
        double[][] p = hessianTape.params();
        for (int k = 0; k < n; k++) p[k][0] = model.dtype().round(params[k]);
        Tape tape = hessianTape.tape();
        tape.setActiveLanes(1);
        tape.forward();
        double[][] g = new double[n][1];
        double[][][] hh = new double[n][n][1];
        hessian.evaluate(g, hh);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) h[i][j] += hh[i][j][0];
        }
    }
}
