package tapeline.engine.expr;

import java.util.ArrayList;
import java.util.List;
import tapeline.engine.expr.Token.Kind;

/**
 * Splits expression text into tokens. Numeric literals follow the Java Language Specification
 * (JLS 3.10.1, 3.10.2) exactly, so a literal means here what it means in Java: {@code 017} is 15,
 * {@code 1.1f} is the float nearest 1.1, {@code 0xFFFFFFFF} is the int -1, and what javac rejects
 * ({@code 09}, {@code 1_}, {@code 0x}, {@code 1e999}, {@code 2147483648}) is rejected here too.
 *
 * <p>Names are ASCII {@code [A-Za-z_][A-Za-z0-9_]*}; in particular {@code '.'} is not a name
 * character, so qualified Java names cannot even be written.
 */
final class Lexer {
    private final String label;
    private final String src;
    private int i;

    private Lexer(String label, String src) {
        this.label = label;
        this.src = src;
    }

    /** Tokenises {@code src}; the list always ends with an {@link Kind#END} token at {@code src.length()}. */
    static List<Token> tokenize(String label, String src) {
        return new Lexer(label, src).run();
    }

    private List<Token> run() {
        List<Token> out = new ArrayList<>();
        while (true) {
            while (i < src.length() && isSpace(src.charAt(i))) {
                i++;
            }
            if (i >= src.length()) {
                out.add(Token.of(Kind.END, "", src.length()));
                return out;
            }
            out.add(next());
        }
    }

    private Token next() {
        int start = i;
        char c = src.charAt(i);
        if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
            return number();
        }
        if (isNameStart(c)) {
            while (i < src.length() && isNamePart(src.charAt(i))) {
                i++;
            }
            return Token.of(Kind.NAME, src.substring(start, i), start);
        }
        i++;
        switch (c) {
            case '+': return Token.of(Kind.PLUS, "+", start);
            case '-': return Token.of(Kind.MINUS, "-", start);
            case '*': return Token.of(Kind.STAR, "*", start);
            case '/': return Token.of(Kind.SLASH, "/", start);
            case '^': return Token.of(Kind.CARET, "^", start);
            case '(': return Token.of(Kind.LPAREN, "(", start);
            case ')': return Token.of(Kind.RPAREN, ")", start);
            case '[': return Token.of(Kind.LBRACKET, "[", start);
            case ']': return Token.of(Kind.RBRACKET, "]", start);
            case ',': return Token.of(Kind.COMMA, ",", start);
            case '<': return twoChar('=', Kind.LE, "<=", Kind.LT, "<", start);
            case '>': return twoChar('=', Kind.GE, ">=", Kind.GT, ">", start);
            case '=':
                if (peek(0) == '=') {
                    i++;
                    return Token.of(Kind.EQ, "==", start);
                }
                throw error(start, "illegal character '=' (did you mean '=='?)");
            case '!':
                if (peek(0) == '=') {
                    i++;
                    return Token.of(Kind.NE, "!=", start);
                }
                throw error(start, "illegal character '!' (did you mean '!='?)");
            default:
                throw error(start, "illegal character " + show(start));
        }
    }

    private Token twoChar(char second, Kind two, String twoText, Kind one, String oneText, int start) {
        if (peek(0) == second) {
            i++;
            return Token.of(two, twoText, start);
        }
        return Token.of(one, oneText, start);
    }

    // ---- numbers ---------------------------------------------------------------------------

    private Token number() {
        int start = i;
        Token t;
        if (src.charAt(i) == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
            t = hex(start);
        } else if (src.charAt(i) == '0' && (peek(1) == 'b' || peek(1) == 'B')) {
            i += 2;
            t = radixInteger(start, 2, "binary");
        } else {
            t = decimal(start);
        }
        // Java would lex "2x" as two tokens and fail later; saying it here points at the real problem.
        if (i < src.length() && (isNamePart(src.charAt(i)) || src.charAt(i) == '.')) {
            String hint = isNameStart(src.charAt(i)) && src.charAt(i) != '_' ? " (use '*' to multiply)" : "";
            throw error(i, "unexpected " + show(i) + " right after number " + src.substring(start, i) + hint);
        }
        return t;
    }

    private Token decimal(int start) {
        boolean fraction = false;
        boolean exponent = false;
        if (src.charAt(i) != '.') {
            digits(10);
        }
        if (peek(0) == '.') {
            fraction = true;
            i++;
            if (isDigit(peek(0))) {
                digits(10);
            }
        }
        int mantissaEnd = i;
        if (peek(0) == 'e' || peek(0) == 'E') {
            exponent = true;
            i++;
            if (peek(0) == '+' || peek(0) == '-') {
                i++;
            }
            if (!isDigit(peek(0))) {
                throw error(i, "exponent of " + src.substring(start, i) + " needs digits");
            }
            digits(10);
        }
        String number = src.substring(start, i);
        String significand = src.substring(start, mantissaEnd);
        char suffix = Character.toLowerCase(peek(0));
        if (suffix == 'f' || suffix == 'd') {
            i++;
            return floating(start, number, suffix == 'f', significand);
        }
        if (fraction || exponent) {
            return floating(start, number, false, significand);
        }
        boolean isLong = suffix == 'l';
        String body = src.substring(start, i);
        if (isLong) {
            i++;
        }
        if (body.length() > 1 && body.charAt(0) == '0') {
            // A leading 0 makes an octal literal, as in Java: 017 == 15, 09 is an error.
            for (int k = 1; k < body.length(); k++) {
                char d = body.charAt(k);
                if (d == '8' || d == '9') {
                    throw error(start + k, "'" + d + "' is not an octal digit (a leading 0 makes an octal literal)");
                }
            }
            return radixValue(start, body.substring(1), 8, isLong);
        }
        String text = src.substring(start, i);
        String clean = body.replace("_", "");
        // 2^31 and 2^63 are legal only as the operand of unary minus (JLS 3.10.1); the parser checks that.
        if (clean.equals(isLong ? "9223372036854775808" : "2147483648")) {
            return new Token(Kind.NUMBER, text, start, Double.parseDouble(clean), true, true);
        }
        long v;
        try {
            v = Long.parseLong(clean);
        } catch (NumberFormatException e) {
            throw tooLarge(start, isLong);
        }
        if (!isLong && v > Integer.MAX_VALUE) {
            throw tooLarge(start, false);
        }
        return new Token(Kind.NUMBER, text, start, (double) v, true, false);
    }

    private Token hex(int start) {
        i += 2;
        int mantissaStart = i;
        boolean any = false;
        if (isDigit(peek(0), 16)) {
            digits(16);
            any = true;
        }
        boolean fraction = false;
        if (peek(0) == '.') {
            fraction = true;
            i++;
            if (isDigit(peek(0), 16)) {
                digits(16);
                any = true;
            }
        }
        if (!any) {
            throw error(i, "hexadecimal literal " + src.substring(start, i) + " needs at least one hex digit");
        }
        if (peek(0) != 'p' && peek(0) != 'P') {
            if (fraction) {
                throw error(i, "hexadecimal floating-point literal " + src.substring(start, i) + " needs a 'p' exponent");
            }
            i = mantissaStart;
            return radixInteger(start, 16, "hexadecimal");
        }
        int mantissaEnd = i;
        i++;
        if (peek(0) == '+' || peek(0) == '-') {
            i++;
        }
        if (!isDigit(peek(0))) {
            throw error(i, "exponent of " + src.substring(start, i) + " needs digits");
        }
        digits(10);
        String number = src.substring(start, i);
        char suffix = Character.toLowerCase(peek(0));
        boolean isFloat = suffix == 'f';
        if (suffix == 'f' || suffix == 'd') {
            i++;
        }
        return floating(start, number, isFloat, src.substring(mantissaStart, mantissaEnd));
    }

    /** Integer literal in radix 2 or 16 (prefix already consumed). */
    private Token radixInteger(int start, int radix, String what) {
        int digitsStart = i;
        if (!isDigit(peek(0), radix == 2 ? 10 : radix)) {
            throw error(i, what + " literal " + src.substring(start, i) + " needs at least one digit");
        }
        digits(radix == 2 ? 10 : radix);
        for (int k = digitsStart; k < i; k++) {
            char d = src.charAt(k);
            if (d != '_' && Character.digit(d, radix) < 0) {
                throw error(k, "'" + d + "' is not a " + what + " digit");
            }
        }
        String body = src.substring(digitsStart, i);
        boolean isLong = peek(0) == 'l' || peek(0) == 'L';
        if (isLong) {
            i++;
        }
        return radixValue(start, body, radix, isLong);
    }

    /** Value of a non-decimal integer: the bits are taken as a two's complement int/long, as in Java. */
    private Token radixValue(int start, String body, int radix, boolean isLong) {
        String clean = body.replace("_", "");
        double value;
        try {
            // parseUnsigned* accept exactly 32 / 64 bits; the cast reinterprets them as signed.
            value = isLong ? (double) Long.parseUnsignedLong(clean, radix) : (double) Integer.parseUnsignedInt(clean, radix);
        } catch (NumberFormatException e) {
            throw tooLarge(start, isLong);
        }
        return new Token(Kind.NUMBER, src.substring(start, i), start, value, true, false);
    }

    /**
     * @param number      literal text without suffix (underscores still in)
     * @param significand the digits whose non-zeroness decides "too small"
     */
    private Token floating(int start, String number, boolean isFloat, String significand) {
        String clean = number.replace("_", "");
        // Float.parseFloat rounds the decimal once, straight to float, exactly like javac does.
        double value = isFloat ? (double) Float.parseFloat(clean) : Double.parseDouble(clean);
        String type = isFloat ? "float" : "double";
        if (Double.isInfinite(value)) {
            throw error(start, "floating-point number " + src.substring(start, i) + " too large for a " + type);
        }
        if (value == 0 && hasNonZeroDigit(significand)) {
            throw error(start, "floating-point number " + src.substring(start, i) + " too small for a " + type);
        }
        return new Token(Kind.NUMBER, src.substring(start, i), start, value, false, false);
    }

    private static boolean hasNonZeroDigit(String significand) {
        String s = significand.startsWith("0x") || significand.startsWith("0X") ? significand.substring(2) : significand;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == 'e' || c == 'E') {
                break;
            }
            if (Character.digit(c, 16) > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Consumes digits of the radix with underscores between them (JLS: an underscore may only
     * sit between two digits). The current character must be a digit.
     */
    private void digits(int radix) {
        while (i < src.length() && (isDigit(src.charAt(i), radix) || src.charAt(i) == '_')) {
            i++;
        }
        if (src.charAt(i - 1) == '_') {
            int first = i - 1;
            while (src.charAt(first - 1) == '_') {
                first--;
            }
            throw error(first, "'_' must be between digits");
        }
    }

    private ExpressionException tooLarge(int start, boolean isLong) {
        return error(start, (isLong ? "long" : "integer") + " number " + src.substring(start, i) + " too large"
                + (isLong ? "" : " for an int (append L, or write it as a floating-point number)"));
    }

    // ---- helpers ----------------------------------------------------------------------------

    private char peek(int ahead) {
        int k = i + ahead;
        return k < src.length() ? src.charAt(k) : '\0';
    }

    private String show(int at) {
        char c = src.charAt(at);
        if (c >= 0x20 && c < 0x7f) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", src.codePointAt(at));
    }

    private ExpressionException error(int pos, String reason) {
        return new ExpressionException(label, src, pos, reason);
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isDigit(char c, int radix) {
        return c < 0x80 && Character.digit(c, radix) >= 0;
    }

    static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    static boolean isNamePart(char c) {
        return isNameStart(c) || isDigit(c);
    }
}
