package tapeline.engine.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import tapeline.engine.tape.DType;
import tapeline.engine.tape.Tape;
import tapeline.engine.tape.Tensor;

/**
 * {@code pi} is a reserved constant: written bare or as {@code pi()}, it never is a free name, it
 * cannot be indexed or bound, and it compiles to the dtype's nearest value to pi.
 */
class PiConstantTest {

    @Test
    void bareAndCalledPiAreNotNamesToBind() {
        Expression bare = Expression.parse("2 * pi * x");
        Expression called = Expression.parse("2 * pi() * x");
        // bare pi stays a name node, so every printed tree parses back to itself
        assertThat(bare.root()).hasToString("((2 * pi) * x)");
        assertThat(called.root()).hasToString("((2 * pi()) * x)");
        assertThat(bare.names()).containsExactly("x");
        assertThat(called.names()).containsExactly("x");
        assertThat(Expression.parse("pi").names()).isEmpty();
        assertThat(Expression.parse("pi[2] + x[1]").indexedNames()).containsOnlyKeys("x");
        // names that merely start with pi are names
        assertThat(Expression.parse("pi0 + pix + _pi + Pi").names()).containsExactly("pi0", "pix", "_pi", "Pi");
    }

    @Test
    void piCannotBeIndexedOrGivenArguments() {
        Tape t = new Tape(DType.FLOAT64);
        Tensor x = t.tensor(t.scalar(1.0));
        assertThatThrownBy(() -> Compiler.compile(Expression.parse("cost", "x + pi[0]"), Map.of("x", new Tensor[] {x})))
                .isInstanceOf(ExpressionException.class)
                .hasMessageStartingWith("cost, position 4: 'pi' is a constant (a number), it cannot be indexed");
        assertThatThrownBy(() -> Expression.parse("cost", "pi(1)")).isInstanceOf(ExpressionException.class)
                .hasMessageContaining("function 'pi' takes 0 arguments, found 1");
    }

    @Test
    void bareAndCalledPiCompileToTheSameValue() {
        for (DType dtype : DType.values()) {
            Tape t = new Tape(dtype);
            Tensor x = t.tensor(t.constant(new double[] {1.0, -3.0}));
            Map<String, Tensor[]> b = Map.of("x", new Tensor[] {x});
            double[] bare = Compiler.compile(Expression.parse("sin(pi * x / 4) + pi"), b).values();
            double[] called = Compiler.compile(Expression.parse("sin(pi() * x / 4) + pi()"), b).values();
            assertThat(bare).containsExactly(called);
        }
    }

    @Test
    void compilesToTheDtypesNearestPi() {
        for (DType dtype : DType.values()) {
            Tape t = new Tape(dtype);
            Tensor x = t.tensor(t.constant(new double[] {1.0, 2.0}));
            Tensor v = Compiler.compile(Expression.parse("pi * x"), Map.of("x", new Tensor[] {x}));
            double pi = dtype == DType.FLOAT64 ? 3.141592653589793 : (float) 3.141592653589793;
            assertThat(v.values()).containsExactly(dtype.round(pi * 1.0), dtype.round(pi * 2.0));
        }
        // float32's pi is 3.14159274101257324..., the float nearest pi
        assertThat((double) (float) Math.PI).isEqualTo(3.1415927410125732);
    }

    @Test
    void aBindingNamedPiIsAnError() {
        Tape t = new Tape(DType.FLOAT64);
        Tensor x = t.tensor(t.scalar(1.0));
        assertThatThrownBy(() -> Compiler.compile(Expression.parse("pi * x"), Map.of("x", new Tensor[] {x}, "pi", new Tensor[] {x})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'pi' is a constant");
    }
}
