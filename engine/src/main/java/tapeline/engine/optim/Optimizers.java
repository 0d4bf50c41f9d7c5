package tapeline.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import tapeline.engine.optim.schedule.LearningRateSchedule;
import tapeline.engine.tape.DType;

/**
 * Optimizers by their Keras name, built from Keras argument names: what a config file names.
 *
 * <pre>{@code
 * Optimizer opt = Optimizers.create("adam", Map.of("learning_rate", Hyper.of(0.1)), DType.FLOAT32);
 * }</pre>
 */
public final class Optimizers {
    private static final Map<String, BiFunction<Arguments, DType, Optimizer>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("adam", Adam::new);
        FACTORIES.put("sgd", Sgd::new);
        FACTORIES.put("rmsprop", RmsProp::new);
        FACTORIES.put("adagrad", Adagrad::new);
        FACTORIES.put("adamw", AdamW::new);
        FACTORIES.put("adamax", Adamax::new);
        FACTORIES.put("nadam", Nadam::new);
        FACTORIES.put("lion", Lion::new);
        FACTORIES.put("newton", Newton::new); // second order: the block solver runs its step
        FACTORIES.put(TrustRegion.NAME, TrustRegion::new); // second order: the block solver runs its step
        FACTORIES.put(LevenbergMarquardt.NAME, LevenbergMarquardt::new); // least squares: the block solver runs its step
    }

    private Optimizers() {
    }

    /** The optimizer names, in a stable order. */
    public static Set<String> names() {
        return java.util.Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /**
     * The Keras optimizers: those with a first-order update ({@link Optimizer#applyGradients}
     * works), every name but {@code newton}, {@code trust} and {@code lm}, whose steps the block solver takes from the
     * Hessian and from the residuals' Jacobian.
     */
    public static Set<String> kerasNames() {
        Set<String> keras = new java.util.LinkedHashSet<>(FACTORIES.keySet());
        keras.remove("newton");
        keras.remove(TrustRegion.NAME);
        keras.remove(LevenbergMarquardt.NAME);
        return java.util.Collections.unmodifiableSet(keras);
    }

    /** Builds an optimizer; an unknown name, argument or bad value is an error naming it. */
    public static Optimizer create(String name, Map<String, Hyper> args, DType dtype) {
        return create(name, args, dtype, null);
    }

    /**
     * Builds an optimizer whose learning rate is a schedule (null: the {@code learning_rate}
     * argument or its default), as Keras's {@code Adam(learning_rate=ExponentialDecay(...))}.
     */
    public static Optimizer create(String name, Map<String, Hyper> args, DType dtype, LearningRateSchedule schedule) {
        BiFunction<Arguments, DType, Optimizer> f = FACTORIES.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "' (known: "
                    + String.join(", ", FACTORIES.keySet()) + ")");
        }
        return f.apply(Arguments.of(name, args, schedule), dtype);
    }

    /** The Keras argument names an optimizer accepts. */
    public static Set<String> arguments(String name) {
        return ranges(name).keySet();
    }

    /** Every argument an optimizer accepts, with the values it allows. */
    public static Map<String, Arguments.Range> ranges(String name) {
        return probe(name).ranges();
    }

    /**
     * The value each argument of an optimizer takes when it is not given, by name (flags as 1/0),
     * as Keras's signatures have them; arguments Keras defaults to {@code None} (no decay, no
     * clipping) are not listed.
     *
     * <pre>{@code
     * Optimizers.defaults("adam");  // {amsgrad=0.0, beta_1=0.9, beta_2=0.999, epsilon=1.0E-7, learning_rate=0.001}
     * }</pre>
     */
    public static Map<String, Double> defaults(String name) {
        return probe(name).defaults();
    }

    /** The arguments an optimizer built with none given has read. */
    private static Arguments probe(String name) {
        BiFunction<Arguments, DType, Optimizer> f = FACTORIES.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "' (known: "
                    + String.join(", ", FACTORIES.keySet()) + ")");
        }
        Arguments probe = Arguments.of(name, Map.of());
        f.apply(probe, DType.FLOAT64);
        return probe;
    }

    /** Checks a set of fixed argument values without building anything that lasts. */
    public static void validate(String name, Map<String, Double> args) {
        Map<String, Hyper> h = new LinkedHashMap<>();
        args.forEach((k, v) -> h.put(k, Hyper.of(v)));
        create(name, h, DType.FLOAT64);
    }
}
