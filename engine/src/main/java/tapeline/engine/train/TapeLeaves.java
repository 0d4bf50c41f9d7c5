package tapeline.engine.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tapeline.engine.solve.VariableSpec;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * The leaves a train model records first on its tape: one variable per parameter component (shared by
 * every lane for the loss, a copy per lane for the residuals' Jacobian rows) and one non-trainable
 * per-lane variable per data column, with the names expressions bind to them.
 */
record TapeLeaves(Map<String, Tensor[]> bindings, double[][] params, int[] paramNodes, double[][] columns,
                  int[] columnNodes) {

    static TapeLeaves record(Tape tape, List<VariableSpec> variables, Map<String, Integer> inputs, int lanes,
                             boolean perLaneParams) {
        Map<String, Tensor[]> bindings = new LinkedHashMap<>();
        int count = 0;
        for (VariableSpec v : variables) count += v.size();
        double[][] params = new double[count][];
        int[] paramNodes = new int[count];
        int slot = 0;
        for (VariableSpec v : variables) {
            Tensor[] comps = new Tensor[v.size()];
            for (int c = 0; c < v.size(); c++, slot++) {
                params[slot] = new double[perLaneParams ? lanes : 1];
                paramNodes[slot] = tape.variable(params[slot], perLaneParams, true);
                comps[c] = tape.tensor(paramNodes[slot]);
            }
            bindings.put(v.name(), comps);
        }
        int width = 0;
        for (int s : inputs.values()) width += s;
        double[][] columns = new double[width][];
        int[] columnNodes = new int[width];
        int col = 0;
        for (Map.Entry<String, Integer> e : inputs.entrySet()) {
            Tensor[] comps = new Tensor[e.getValue()];
            for (int c = 0; c < comps.length; c++, col++) {
                columns[col] = new double[lanes];
                columnNodes[col] = tape.variable(columns[col], true, false);
                comps[c] = tape.tensor(columnNodes[col]);
            }
            bindings.put(e.getKey(), comps);
        }
        return new TapeLeaves(bindings, params, paramNodes, columns, columnNodes);
    }
}
