package tapeline.engine.expr;

/**
 * One lexical token. For {@link Kind#NUMBER}, {@code value} is the literal's value as Java would
 * compute it, {@code integer} tells whether it was an integer literal (int or long, any radix),
 * and {@code negationOnly} marks {@code 2147483648} / {@code 9223372036854775808L}, which Java
 * (and so this language) accepts only right after a unary minus.
 */
record Token(Kind kind, String text, int pos, double value, boolean integer, boolean negationOnly) {

    enum Kind {
        NUMBER, NAME,
        PLUS, MINUS, STAR, SLASH, CARET,
        LT, LE, GT, GE, EQ, NE,
        LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA,
        END
    }

    static Token of(Kind kind, String text, int pos) {
        return new Token(kind, text, pos, 0, false, false);
    }

    /** How the token reads in an error message: {@code '^'}, {@code name 'x'}, {@code end of input}. */
    String describe() {
        return switch (kind) {
            case END -> "end of input";
            case NAME -> "name '" + abbreviate(text) + "'";
            case NUMBER -> "number " + abbreviate(text);
            default -> "'" + text + "'";
        };
    }

    /** Keeps messages short when a hostile input has a 100k-character name. */
    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
