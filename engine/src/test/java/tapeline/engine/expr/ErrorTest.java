package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrorTest {

    private static ExpressionException failure(String text) {
        ExpressionException e = catchThrowableOfType(ExpressionException.class, () -> Expression.parse("cost", text));
        assertThat(e).as("parse of <%s> should fail", text).isNotNull();
        return e;
    }

    /** Single-line inputs: the message ends with the source line and a caret under the position. */
    private static void assertCaretUnder(ExpressionException e, String text) {
        String[] lines = e.getMessage().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("cost, position " + e.position() + ": ");
        assertThat(lines[1]).isEqualTo("  " + text);
        assertThat(lines[2]).isEqualTo("  " + " ".repeat(e.position()) + "^");
    }

    @ParameterizedTest(name = "<{0}> fails at {1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ""                  | 0  | empty expression
            "   "               | 3  | empty expression
            x0 * w^^2           | 7  | expected a number, name, '(' or '-', found '^'
            x +                 | 3  | found end of input
            x y                 | 2  | expected an operator or end of input, found name 'y'
            (x                  | 2  | expected ')' to close '(' at position 0, found end of input
            ((x) + 1            | 8  | expected ')' to close '(' at position 0
            x)                  | 1  | ')' without a matching '('
            ()                  | 1  | found ')'
            max(1,)             | 6  | expected an argument of 'max', found ')'
            max(,1)             | 4  | expected an argument of 'max', found ','
            max(1 2)            | 6  | expected ')' to close '(' at position 3, found number 2
            max(1)              | 0  | function 'max' takes 2 arguments, found 1
            sqrt(1, 2)          | 0  | function 'sqrt' takes 1 argument, found 2
            select(a, b)        | 0  | function 'select' takes 3 arguments, found 2
            sum()               | 0  | function 'sum' takes 1 argument, found 0
            sqr(x)              | 0  | unknown function 'sqr' (did you mean 'sqrt'?)
            1 + Exp(x)          | 4  | unknown function 'Exp' (did you mean 'exp'?)
            Runtime(1)          | 0  | unknown function 'Runtime'; known functions: sqrt, exp
            java.lang.System    | 4  | illegal character '.'
            a # b               | 2  | illegal character '#'
            a $ b               | 2  | illegal character '$'
            a = b               | 2  | illegal character '=' (did you mean '=='?)
            !a                  | 0  | illegal character '!'
            a ≤ b               | 2  | illegal character U+2264
            x[1.5]              | 2  | index of 'x' must be a non-negative integer literal, found number 1.5
            x[-1]               | 2  | must be a non-negative integer literal, found '-'
            x[i]                | 2  | found name 'i'
            x[]                 | 2  | found ']'
            x[0xFFFFFFFF]       | 2  | found number 0xFFFFFFFF
            x[1                 | 3  | expected ']' to close '[' at position 1, found end of input
            x[1)                | 3  | expected ']' to close '['
            a < b < c           | 6  | comparison operators do not chain
            a == b != c         | 7  | comparison operators do not chain
            1__                 | 1  | '_' must be between digits
            1_                  | 1  | '_' must be between digits
            1_.5                | 1  | '_' must be between digits
            1._5                | 2  | unexpected '_' right after number 1.
            0x                  | 2  | hexadecimal literal 0x needs at least one hex digit
            0x_1                | 2  | needs at least one hex digit
            0x1.8               | 5  | needs a 'p' exponent
            0x1p                | 4  | exponent of 0x1p needs digits
            0b                  | 2  | binary literal 0b needs at least one digit
            0b102               | 4  | '2' is not a binary digit
            1e                  | 2  | exponent of 1e needs digits
            1e+                 | 3  | exponent of 1e+ needs digits
            09                  | 1  | '9' is not an octal digit
            0_8                 | 2  | '8' is not an octal digit
            1.5L                | 3  | unexpected 'L' right after number 1.5
            1e5L                | 3  | unexpected 'L' right after number 1e5
            1.2.3               | 3  | unexpected '.' right after number 1.2
            2x                  | 1  | unexpected 'x' right after number 2 (use '*' to multiply)
            0x1G                | 3  | unexpected 'G'
            2147483648          | 0  | integer number 2147483648 too large
            99999999999         | 0  | integer number 99999999999 too large for an int
            9223372036854775809L| 0  | long number 9223372036854775809L too large
            0x100000000         | 0  | integer number 0x100000000 too large
            1e999               | 0  | floating-point number 1e999 too large for a double
            1e-999              | 0  | floating-point number 1e-999 too small for a double
            2e-324              | 0  | too small for a double
            1e39f               | 0  | floating-point number 1e39f too large for a float
            1e-50f              | 0  | floating-point number 1e-50f too small for a float
            """)
    void errorTable(String input, int position, String fragment) {
        ExpressionException e = failure(input);
        assertThat(e.position()).isEqualTo(position);
        assertThat(e.reason()).contains(fragment);
        assertThat(e.label()).isEqualTo("cost");
        assertCaretUnder(e, input);
    }

    @Test
    void messageHasTheDocumentedShape() {
        assertThat(failure("x0 * w^^2")).hasMessage("""
                cost, position 7: expected a number, name, '(' or '-', found '^'
                  x0 * w^^2
                         ^""");
    }

    @Test
    void anUnclosedParenthesisInAListIsAnErrorNotAPartDropped() {
        assertThatThrownBy(() -> Expression.parseList("residuals", "y1 - a, y2 - (b"))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("residuals, position ");
        assertThatThrownBy(() -> Expression.parseList("residuals", "y1 - (a + b"))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("residuals, position ");
        assertThat(Expression.parseList("residuals", "y1 - (a + b), y2 - c")).hasSize(2);
    }

    @Test
    void defaultLabelIsExpression() {
        assertThatThrownBy(() -> Expression.parse("1 +"))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("expression, position 3: ");
    }

    @Test
    void nullTextIsAnExpressionException() {
        assertThatThrownBy(() -> Expression.parse("cost", null))
                .isInstanceOf(ExpressionException.class)
                .hasMessageContaining("no expression given");
    }

    @Test
    void multiLineSourceShowsOnlyTheOffendingLine() {
        ExpressionException e = failure("a +\n\tb * (c\n+ d");
        assertThat(e.position()).isEqualTo(15);
        assertThat(e.getMessage()).endsWith("\n  + d\n     ^");
        ExpressionException tab = failure("a +\n\tb # c");
        assertThat(tab.getMessage()).endsWith("\n  \tb # c\n  \t  ^");
    }

    @Test
    void longLinesAreShownAsAWindowAroundThePosition() {
        String text = "a + ".repeat(1000) + "#" + " + b".repeat(1000);
        ExpressionException e = failure(text);
        assertThat(e.position()).isEqualTo(4000);
        String[] lines = e.getMessage().split("\n");
        assertThat(lines[1]).startsWith("  ...").endsWith("...").hasSizeLessThan(100);
        assertThat(lines[2].indexOf('^')).isEqualTo(lines[1].indexOf('#'));
    }

    // ---- hostile input -------------------------------------------------------------------

    @Test
    void hundredThousandOpenParentheses() {
        ExpressionException e = failure("(".repeat(100_000));
        assertThat(e.reason()).isEqualTo("nesting deeper than 256 levels");
        assertThat(e.position()).isEqualTo(256);
    }

    @Test
    void hundredThousandUnaryMinuses() {
        ExpressionException e = failure("-".repeat(100_000) + "x");
        assertThat(e).isInstanceOf(ExpressionException.class);
        ExpressionException within = failure("-".repeat(99_999) + "x");
        assertThat(within.reason()).isEqualTo("nesting deeper than 256 levels");
        assertThat(within.position()).isEqualTo(256);
        ExpressionException plus = failure("+".repeat(99_999) + "x");
        assertThat(plus.reason()).contains("nesting deeper than 256");
    }

    @Test
    void hundredThousandChainedPowers() {
        // 100,000 "2^" is 200,000 characters: refused by length before any parsing.
        ExpressionException tooLong = failure("2^".repeat(100_000) + "2");
        assertThat(tooLong.reason()).contains("longer than 100000 characters");
        assertThat(tooLong.position()).isEqualTo(100_000);
        // Within the length limit the right-associative chain hits the nesting limit.
        ExpressionException deep = failure("2^".repeat(49_999) + "2");
        assertThat(deep.reason()).isEqualTo("nesting deeper than 256 levels");
        assertThat(deep.position()).isEqualTo(2 * 257 - 1); // the 257th caret
        assertThat(failure("2^-".repeat(33_000) + "2").reason()).contains("nesting deeper than 256");
    }

    @Test
    void deepCallsAndMixedNesting() {
        assertThat(failure("sqrt(".repeat(9_000) + "x" + ")".repeat(9_000)).reason())
                .contains("nesting deeper than 256");
        assertThat(failure("-(".repeat(30_000) + "x" + ")".repeat(30_000)).reason())
                .contains("nesting deeper than 256");
    }

    @Test
    void nestingJustWithinTheLimitIsFine() {
        String ok = "(".repeat(256) + "x" + ")".repeat(256);
        assertThat(Expression.parse(ok).root()).isEqualTo(new Expr.Name("x", 256));
        assertThat(failure("(".repeat(257) + "x" + ")".repeat(257)).position()).isEqualTo(256);
    }

    @Test
    void longOperatorChainsAreBoundedToo() {
        // No parser recursion here, but the tree would be 50,000 deep for recursive walkers.
        assertThat(failure("1" + "+1".repeat(49_999)).reason())
                .isEqualTo("expression tree deeper than 256 levels (too many chained operators)");
        ExpressionException justOver = failure("x" + "+x".repeat(257));
        assertThat(justOver.reason()).contains("deeper than 256");
        // The limit counts levels below the root: 256 chained operators are fine and usable.
        Expression ok = Expression.parse("x" + "+x".repeat(256));
        assertThat(ok.names()).containsExactly("x");
        assertThat(ok.root().toString()).startsWith("(".repeat(256) + "x + x)");
        assertThat(Expression.parse("-".repeat(256) + "x").root().toString()).startsWith("(-".repeat(256) + "x)");
    }

    @Test
    void hugeNamesAndNumbersStayShortInMessages() {
        ExpressionException e = failure("a".repeat(90_000) + "(1)");
        assertThat(e.getMessage().length()).isLessThan(600);
        ExpressionException n = failure("9".repeat(90_000));
        assertThat(n.reason()).contains("too large");
    }

    @Test
    void overLongInputIsRefused() {
        ExpressionException e = failure("x+".repeat(50_000) + "x");
        assertThat(e.reason()).isEqualTo("expression longer than 100000 characters (100001)");
    }
}
