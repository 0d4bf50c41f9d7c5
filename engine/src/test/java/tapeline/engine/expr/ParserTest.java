package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tapeline.engine.expr.Expr.Binary;
import tapeline.engine.expr.Expr.BinaryOp;
import tapeline.engine.expr.Expr.Call;
import tapeline.engine.expr.Expr.Index;
import tapeline.engine.expr.Expr.Name;
import tapeline.engine.expr.Expr.Num;
import tapeline.engine.expr.Expr.Unary;
import tapeline.engine.expr.Expr.UnaryOp;

class ParserTest {

    private static String tree(String text) {
        return Expression.parse(text).root().toString();
    }

    @ParameterizedTest(name = "{0}  =>  {1}")
    @CsvSource(delimiter = '|', textBlock = """
            x0 * w^2 + x1 * w + x2            | (((x0 * (w ^ 2)) + (x1 * w)) + x2)
            a - b - c                         | ((a - b) - c)
            a / b / c                         | ((a / b) / c)
            a - b + c                         | ((a - b) + c)
            a * b / c * d                     | (((a * b) / c) * d)
            a + b * c                         | (a + (b * c))
            a * b + c                         | ((a * b) + c)
            -w^2                              | (-(w ^ 2))
            -w * 2                            | ((-w) * 2)
            2^3^2                             | (2 ^ (3 ^ 2))
            w^-2                              | (w ^ (-2))
            a^-b^c                            | (a ^ (-(b ^ c)))
            (-w)^2                            | ((-w) ^ 2)
            --x                               | (-(-x))
            +x                                | x
            -+-x                              | (-(-x))
            a * -b                            | (a * (-b))
            a - -b                            | (a - (-b))
            2 * x^2^-1 / 3                    | ((2 * (x ^ (2 ^ (-1)))) / 3)
            (y - (b + dot(w, x)))^2           | ((y - (b + dot(w, x))) ^ 2)
            (a - x)^2 + b*(y - x^2)^2         | (((a - x) ^ 2) + (b * ((y - (x ^ 2)) ^ 2)))
            x[0]*w^2 + x[1]*w + x[2]          | (((x[0] * (w ^ 2)) + (x[1] * w)) + x[2])
            x[1]^2                            | (x[1] ^ 2)
            -x[1]^2                           | (-(x[1] ^ 2))
            max(0, 1 - y*t)                   | max(0, (1 - (y * t)))
            select(x > 0, a, b)               | select((x > 0), a, b)
            a + b < c * d                     | ((a + b) < (c * d))
            a <= b                            | (a <= b)
            a >= -b                           | (a >= (-b))
            a == b + 1                        | (a == (b + 1))
            a != b                            | (a != b)
            (a < b) < c                       | ((a < b) < c)
            sqrt(exp(log(x)))                 | sqrt(exp(log(x)))
            sum(v) / 2                        | (sum(v) / 2)
            pow(x, 2) - min(a, b)             | (pow(x, 2) - min(a, b))
            -sqrt(x)^2                        | (-(sqrt(x) ^ 2))
            ((((x))))                         | x
            1.5 * 2                           | (1.5 * 2)
            sum + 1                           | (sum + 1)
            """)
    void precedenceAndAssociativity(String input, String expected) {
        assertThat(tree(input)).isEqualTo(expected);
    }

    @Test
    void whitespaceAnywhereBetweenTokens() {
        assertThat(tree(" \t x [ 0 ] \n*\r\n max ( a ,b )\f^ 2 ")).isEqualTo("(x[0] * (max(a, b) ^ 2))");
        assertThat(tree("a<=b")).isEqualTo(tree("a <= b"));
    }

    @Test
    void nodesCarryTheOffsetOfTheirToken() {
        // 0123456789012345678
        // -x[2] * max(a, 10)
        Expr root = Expression.parse("-x[2] * max(a, 10)").root();
        assertThat(root).isEqualTo(new Binary(BinaryOp.MUL,
                new Unary(UnaryOp.NEG, new Index(new Name("x", 1), 2, 2), 0),
                new Call("max", List.of(new Name("a", 12), new Num(10, 15)), 8),
                6));
    }

    @Test
    void callsResolveToTheFunctionTable() {
        Call c = (Call) Expression.parse("log1p(x)").root();
        assertThat(c.op()).isEqualTo(Function.LOG1P);
        assertThat(Function.byName("select")).hasValue(Function.SELECT);
        assertThat(Function.SELECT.arity()).isEqualTo(3);
        assertThat(Function.closest("sqr")).hasValue(Function.SQRT);
        assertThat(Function.closest("Runtime")).isEmpty();
    }

    @Test
    void namesInOrderOfFirstAppearance() {
        Expression e = Expression.parse("cost", "x[0]*w^2 + x[3]*w + b - x[1] + max(w, c)");
        assertThat(e.names()).containsExactly("x", "w", "b", "c");
        assertThat(e.indexedNames()).containsExactly(entry("x", 3));
        assertThat(Expression.parse("x0 * w^2 + x1 * w + x2").names()).containsExactly("x0", "w", "x1", "x2");
        assertThat(Expression.parse("(y - (b + dot(w, x)))^2").names()).containsExactly("y", "b", "w", "x");
        assertThat(Expression.parse("dot(x, w) + v[2] + x[0]").indexedNames())
                .containsExactly(entry("v", 2), entry("x", 0));
        assertThat(Expression.parse("1 + 2").names()).isEmpty();
    }

    @Test
    void expressionKeepsLabelAndSource() {
        Expression e = Expression.parse("cost", " a + b ");
        assertThat(e.label()).isEqualTo("cost");
        assertThat(e.source()).isEqualTo(" a + b ");
        assertThat(e).hasToString(" a + b ");
        assertThat(Expression.parse("a").label()).isEqualTo("expression");
    }

    @Test
    void serialisesAndComesBackEqual() throws Exception {
        Expression e = Expression.parse("cost", "select(x[1] > 0, -a^2, max(b, 1e-3)) / sum(v)");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(e);
        }
        Expression back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Expression) in.readObject();
        }
        assertThat(back).isEqualTo(e);
        assertThat(back.root()).isEqualTo(e.root());
        assertThat(back.names()).isEqualTo(e.names());
        assertThat(back.indexedNames()).isEqualTo(e.indexedNames());
    }

    @Test
    void deepestAllowedTreeSerialisesOnASmallStack() throws Exception {
        // The tree-depth limit exists so that Java serialisation (recursive for records) of any
        // accepted tree is safe in a task thread; check it on a deliberately small 512 KiB stack,
        // both for a bare Expr and for an Expression (which travels as text).
        Expression deep = Expression.parse("-(".repeat(100) + "x" + "+x".repeat(156) + ")".repeat(100));
        Object[] back = new Object[2];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(deep);
                    out.writeObject(deep.root());
                }
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    back[0] = in.readObject();
                    back[1] = in.readObject();
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "small-stack", 512 * 1024);
        t.start();
        t.join();
        assertThat(failure[0]).isNull();
        assertThat(((Expression) back[0]).root()).isEqualTo(deep.root());
        assertThat(back[1]).isEqualTo(deep.root());
    }

    @Test
    void errorAtPointsIntoTheSourceForLaterStages() {
        Expression e = Expression.parse("cost", "a + zz");
        ExpressionException x = e.errorAt(4, "unknown name 'zz'");
        assertThat(x.position()).isEqualTo(4);
        assertThat(x).hasMessage("cost, position 4: unknown name 'zz'\n  a + zz\n      ^");
    }
}
