package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every expected value is written as a Java literal, so javac is the independent truth. */
@SuppressWarnings("OctalInteger")
class NumericLiteralTest {

    private static double value(String text) {
        Expr root = Expression.parse(text).root();
        assertThat(root).isInstanceOf(Expr.Num.class);
        return ((Expr.Num) root).value();
    }

    static Stream<Arguments> literals() {
        return Stream.of(
                Arguments.of("0", (double) 0),
                Arguments.of("25", (double) 25),
                Arguments.of("25L", (double) 25L),
                Arguments.of("25l", (double) 25l),
                Arguments.of("1_000_000", (double) 1_000_000),
                Arguments.of("1__0", (double) 1__0),
                Arguments.of("2147483647", (double) 2147483647),
                Arguments.of("2147483648L", (double) 2147483648L),
                Arguments.of("9223372036854775807L", (double) 9223372036854775807L),
                Arguments.of("0x1F", (double) 0x1F),
                Arguments.of("0X1f", (double) 0X1f),
                Arguments.of("0xCAFE_BABE", (double) 0xCAFE_BABE),
                Arguments.of("0xFFFFFFFF", (double) 0xFFFFFFFF),
                Arguments.of("0x7FFFFFFF", (double) 0x7FFFFFFF),
                Arguments.of("0xFFFFFFFFL", (double) 0xFFFFFFFFL),
                Arguments.of("0xFFFFFFFFFFFFFFFFL", (double) 0xFFFFFFFFFFFFFFFFL),
                Arguments.of("0x00000000000000000001", (double) 0x00000000000000000001),
                Arguments.of("0x1e3", (double) 0x1e3),
                Arguments.of("017", (double) 017),
                Arguments.of("00", (double) 00),
                Arguments.of("0_17", (double) 0_17),
                Arguments.of("017L", (double) 017L),
                Arguments.of("037777777777", (double) 037777777777),
                Arguments.of("0b101", (double) 0b101),
                Arguments.of("0B1_0_1L", (double) 0B1_0_1L),
                Arguments.of("0b11111111111111111111111111111111", (double) 0b11111111111111111111111111111111),
                Arguments.of("1.5", 1.5),
                Arguments.of(".5", .5),
                Arguments.of("5.", 5.),
                Arguments.of("1e-3", 1e-3),
                Arguments.of("1E+3", 1E+3),
                Arguments.of("1.e3", 1.e3),
                Arguments.of("1_0.2_5e1_0", 1_0.2_5e1_0),
                Arguments.of("0.1", 0.1),
                Arguments.of("1.1f", (double) 1.1f),
                Arguments.of("1.1F", (double) 1.1F),
                Arguments.of("0.1f", (double) 0.1f),
                Arguments.of("1.1d", 1.1d),
                Arguments.of("1.1D", 1.1D),
                Arguments.of("3f", (double) 3f),
                Arguments.of("3d", 3d),
                Arguments.of("017d", 017d),
                Arguments.of("09.5", 09.5),
                Arguments.of("08f", (double) 08f),
                Arguments.of("09e1", 09e1),
                Arguments.of("0x1.8p1", 0x1.8p1),
                Arguments.of("0X1.8P-1", 0X1.8P-1),
                Arguments.of("0x.8p1", 0x.8p1),
                Arguments.of("0x1p3", 0x1p3),
                Arguments.of("0x1.99999ap-4f", (double) 0x1.99999ap-4f),
                Arguments.of("0x1.fffffffffffffp1023", 0x1.fffffffffffffp1023),
                Arguments.of("1.7976931348623157e308", 1.7976931348623157e308),
                Arguments.of("4.9e-324", 4.9e-324),
                Arguments.of("3e-324", 3e-324),
                Arguments.of("3.4028235e38f", (double) 3.4028235e38f),
                Arguments.of("1.4e-45f", (double) 1.4e-45f),
                Arguments.of("0e999", 0e999),
                Arguments.of("0.0f", (double) 0.0f),
                Arguments.of("123456789.123456789", 123456789.123456789),
                Arguments.of("16777217f", (double) 16777217f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("literals")
    void literalMeansWhatJavaSays(String text, double expected) {
        assertThat(value(text)).isEqualTo(expected);
    }

    @Test
    void minIntAndMinLongOnlyAfterUnaryMinus() {
        // javac accepts 2147483648 / 9223372036854775808L only as the operand of unary minus.
        assertThat(Expression.parse("-2147483648").root()).hasToString("(-2.147483648E9)");
        assertThat(((Expr.Num) ((Expr.Unary) Expression.parse("-2147483648").root()).operand()).value())
                .isEqualTo(-(double) -2147483648);
        assertThat(((Expr.Num) ((Expr.Unary) Expression.parse("-9223372036854775808L").root()).operand()).value())
                .isEqualTo(-(double) -9223372036854775808L);
        assertThatThrownBy(() -> Expression.parse("2147483648"))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("too large");
        assertThatThrownBy(() -> Expression.parse("-(2147483648)"))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("too large");
        assertThatThrownBy(() -> Expression.parse("1 - 9223372036854775808L"))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("too large");
    }

    @Test
    void literalsInsideExpressions() {
        assertThat(Expression.parse("0x10 * .5 + 1_0L - 1e1").root()).hasToString("(((16 * 0.5) + 10) - 10)");
    }
}
