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
    void bareAndCalledPiAreTheSameConstantAndNotAName() {
        Expression bare = Expression.parse("2 * pi * x");
        Expression called = Expression.parse("2 * pi() * x");
        assertThat(bare.root()).hasToString("((2 * pi()) * x)");
        assertThat(called.root()).hasToString(bare.root().toString());
        assertThat(bare.names()).containsExactly("x");
        assertThat(Expression.parse("pi").names()).isEmpty();
        // printed text parses back to the same tree
        assertThat(Expression.parse(bare.root().toString()).root()).hasToString(bare.root().toString());
        // names that merely start with pi are names
        assertThat(Expression.parse("pi0 + pix + _pi + Pi").names()).containsExactly("pi0", "pix", "_pi", "Pi");
    }

    @Test
    void piCannotBeIndexedOrGivenArguments() {
        assertThatThrownBy(() -> Expression.parse("cost", "x + pi[0]")).isInstanceOf(ExpressionException.class)
                .hasMessageContaining("position 6").hasMessageContaining("'pi' is a constant");
        assertThatThrownBy(() -> Expression.parse("cost", "pi(1)")).isInstanceOf(ExpressionException.class)
                .hasMessageContaining("function 'pi' takes 0 arguments, found 1");
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
