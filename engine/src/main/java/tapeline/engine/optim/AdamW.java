package tapeline.engine.optim;

import tapeline.engine.tape.DType;

/**
 * AdamW, exactly as Keras 3 defines it ({@code keras/src/optimizers/adamw.py}): {@link Adam} whose
 * {@code weight_decay} defaults to 0.004 instead of None. The decay is the base optimizer's,
 * decoupled from the gradient and applied before the Adam update
 * ({@code keras/src/optimizers/base_optimizer.py}, {@code _apply_weight_decay}):
 * <pre>
 *   w -= w * weight_decay * lr
 *   (then the Adam update of {@link Adam})
 * </pre>
 * Defaults: {@code learning_rate 0.001, weight_decay 0.004, beta_1 0.9, beta_2 0.999,
 * epsilon 1e-7, amsgrad false}.
 *
 * <pre>{@code
 * Optimizer adamw = Optimizers.create("adamw", Map.of("weight_decay", Hyper.of(0.01)), DType.FLOAT32);
 * }</pre>
 */
public final class AdamW extends Adam {
    private static final long serialVersionUID = 1L;

    public AdamW(Arguments args, DType dtype) {
        super(args, dtype, 0.004);
    }
}
