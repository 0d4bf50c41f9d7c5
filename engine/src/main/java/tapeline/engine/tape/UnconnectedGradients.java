package tapeline.engine.tape;

/** What {@link GradientTape#gradient} returns for a source the target does not depend on, as in TF. */
public enum UnconnectedGradients {
    /** {@code null}, TensorFlow's default ({@code None}). */
    NONE,
    /** An array of zeros of the source's shape. */
    ZERO
}
