package tapeline.engine.codegen;

import java.util.function.Function;

import tapeline.engine.tape.Op;

/**
 * Every op's forward and backward rule as Java source, mirroring {@link Op} expression for
 * expression (the same operations in the same order, so the same bits). An op this table does not
 * know gives null, and the tape that records it runs on the interpreter instead.
 *
 * <p>Operands are names of locals ({@code v3}, {@code adj7}, the literal {@code 1.0} for the seed);
 * {@code in} resolves {@code 'a'}, {@code 'b'}, {@code 'c'} (inputs) and {@code 'z'} (the output)
 * to names, marking the value as read, so that only values some rule reads are computed.
 */
final class OpSource {
    private OpSource() {
    }

    /** The op's value in double arithmetic (unrounded), or null for an op with no source here. */
    static String forward(Op op, Function<Character, String> in, String k) {
        return switch (op) {
            case ADD -> in.apply('a') + " + " + in.apply('b');
            case SUB -> in.apply('a') + " - " + in.apply('b');
            case MUL -> in.apply('a') + " * " + in.apply('b');
            case DIV -> in.apply('a') + " / " + in.apply('b');
            case NEG -> "-" + in.apply('a');
            case POW -> "Math.pow(" + in.apply('a') + ", " + in.apply('b') + ")";
            case POWK -> "Math.pow(" + in.apply('a') + ", " + k + ")";
            case SQUARE -> in.apply('a') + " * " + in.apply('a');
            case SQRT -> call("Math.sqrt", in);
            case EXP -> call("Math.exp", in);
            case LOG -> call("Math.log", in);
            case LOG1P -> call("Math.log1p", in);
            case EXPM1 -> call("Math.expm1", in);
            case SIN -> call("Math.sin", in);
            case COS -> call("Math.cos", in);
            case TAN -> call("Math.tan", in);
            case TANH -> call("Math.tanh", in);
            case ATAN -> call("Math.atan", in);
            case ASIN -> call("Math.asin", in);
            case ACOS -> call("Math.acos", in);
            case SINH -> call("Math.sinh", in);
            case COSH -> call("Math.cosh", in);
            case ATAN2 -> "Math.atan2(" + in.apply('a') + ", " + in.apply('b') + ")";
            case SIGMOID -> call("tapeline.engine.tape.Op.sigmoid", in);
            case SOFTPLUS -> call("tapeline.engine.tape.Op.softplus", in);
            case RELU -> in.apply('a') + " > 0 ? " + in.apply('a') + " : 0.0";
            case ABS -> call("Math.abs", in);
            case MIN -> "Math.min(" + in.apply('a') + ", " + in.apply('b') + ")";
            case MAX -> "Math.max(" + in.apply('a') + ", " + in.apply('b') + ")";
            case SELECT -> in.apply('c') + " > 0 ? " + in.apply('a') + " : " + in.apply('b');
            case LESS -> in.apply('a') + " < " + in.apply('b') + " ? 1.0 : 0.0";
            case LESS_EQUAL -> in.apply('a') + " <= " + in.apply('b') + " ? 1.0 : 0.0";
            case EQUAL -> in.apply('a') + " == " + in.apply('b') + " ? 1.0 : 0.0";
            case NOT_EQUAL -> in.apply('a') + " != " + in.apply('b') + " ? 1.0 : 0.0";
            default -> null; // LEAF, lane reductions, broadcasts, and ops added after this table
        };
    }

    private static String call(String f, Function<Character, String> in) {
        return f + "(" + in.apply('a') + ")";
    }

    /**
     * The op's contribution to input a ({@code first}) or b, given the output's cotangent {@code gz};
     * with {@code base} (the input's cotangent so far, or null) it is {@code base + contribution},
     * as {@link Op}'s backward writes it. Null for an op with no source here.
     *
     * @param k the exponent of {@link Op#POWK} as a literal; {@code km1} that of {@code k - 1}
     */
    static String backward(Op op, boolean first, String gz, Function<Character, String> in, String k, String km1,
                           String base) {
        String e = switch (op) {
            case ADD -> gz;
            case SUB -> first ? gz : "-" + gz;
            case MUL -> gz + " * " + in.apply(first ? 'b' : 'a');
            case DIV -> first ? gz + " / " + in.apply('b')
                    : gz + " * (-" + in.apply('a') + " / " + in.apply('b') + " / " + in.apply('b') + ")";
            case NEG -> "-" + gz;
            case POW -> first ? gz + " * " + in.apply('b') + " * Math.pow(" + in.apply('a') + ", " + in.apply('b') + " - 1)"
                    : in.apply('a') + " > 0 ? " + gz + " * " + in.apply('z') + " * Math.log(" + in.apply('a') + ") : 0.0";
            case POWK -> gz + " * " + k + " * Math.pow(" + in.apply('a') + ", " + km1 + ")";
            case SQUARE -> gz + " * (2.0 * " + in.apply('a') + ")";
            case SQRT -> gz + " * 0.5 / " + in.apply('z');
            case EXP -> gz + " * " + in.apply('z');
            case LOG -> gz + " * (1.0 / " + in.apply('a') + ")";
            case LOG1P -> gz + " * (1.0 / (1.0 + " + in.apply('a') + "))";
            case EXPM1 -> gz + " * Math.exp(" + in.apply('a') + ")";
            case SIN -> gz + " * Math.cos(" + in.apply('a') + ")";
            case COS -> "-" + gz + " * Math.sin(" + in.apply('a') + ")";
            // Op.TAN adds to 0.0 when there is no base (so -0.0 becomes 0.0): kept.
            case TAN -> (base == null ? "0.0" : base) + " + " + gz + " * ((1.0 / Math.cos(" + in.apply('a')
                    + ")) * (1.0 / Math.cos(" + in.apply('a') + ")))";
            case TANH -> gz + " * (1.0 - " + in.apply('z') + " * " + in.apply('z') + ")";
            case ATAN -> gz + " * (1.0 / (1.0 + " + in.apply('a') + " * " + in.apply('a') + "))";
            case ASIN -> gz + " * (1.0 / Math.sqrt(1.0 - " + in.apply('a') + " * " + in.apply('a') + "))";
            case ACOS -> "-" + gz + " * (1.0 / Math.sqrt(1.0 - " + in.apply('a') + " * " + in.apply('a') + "))";
            case SINH -> gz + " * Math.cosh(" + in.apply('a') + ")";
            case COSH -> gz + " * Math.sinh(" + in.apply('a') + ")";
            case ATAN2 -> gz + " * (" + (first ? in.apply('b') : "-" + in.apply('a')) + " / (" + in.apply('a') + " * "
                    + in.apply('a') + " + " + in.apply('b') + " * " + in.apply('b') + "))";
            case SIGMOID -> gz + " * " + in.apply('z') + " * (1.0 - " + in.apply('z') + ")";
            case SOFTPLUS -> gz + " * tapeline.engine.tape.Op.sigmoid(" + in.apply('a') + ")";
            case RELU -> in.apply('a') + " > 0 ? " + gz + " : 0.0";
            case ABS -> gz + " * Math.signum(" + in.apply('a') + ")";
            case MIN -> in.apply('a') + " <= " + in.apply('b') + (first ? " ? " + gz + " : 0.0" : " ? 0.0 : " + gz);
            case MAX -> in.apply('a') + " >= " + in.apply('b') + (first ? " ? " + gz + " : 0.0" : " ? 0.0 : " + gz);
            case SELECT -> in.apply('c') + " > 0" + (first ? " ? " + gz + " : 0.0" : " ? 0.0 : " + gz);
            default -> null;
        };
        if (e == null || op == Op.TAN || base == null) return e;
        return base + " + (" + e + ")";
    }
}
