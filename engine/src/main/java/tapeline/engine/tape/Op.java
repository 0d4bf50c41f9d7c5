package tapeline.engine.tape;

/**
 * The primitives a tape records: one constant per op, its forward computation and its
 * vector-Jacobian product side by side.
 *
 * <p>Every rule works on whole lanes: {@code forward} writes {@code z[0..n)} from the inputs
 * {@code a, b, c} (and the constant parameter {@code k} where the op has one); {@code backward}
 * receives the output's cotangent {@code gz} and writes the cotangent contributions to {@code ga}
 * and {@code gb}, or {@code base} plus them; either is {@code null} when that input needs no
 * gradient. Contributions accumulate, so a value used twice gets the sum.
 *
 * <p>Gradients at kinks follow TensorFlow: {@code relu'(0) = 0}, {@code abs'(0) = 0},
 * {@code max} sends the gradient to its first argument on ties ({@code a >= b}) and {@code min}
 * likewise ({@code a <= b}); {@code d/db a^b = a^b log a} where {@code a > 0}, else 0.
 */
public enum Op {
    /** A leaf: a variable or a constant. Nothing to compute. */
    LEAF(0, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) { }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) { }
    },
    ADD(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            if (n > 1 && a.length == 1) { double s = a[0]; for (int i = 0; i < n; i++) z[i] = s + b[i]; }
            else if (n > 1 && b.length == 1) { double s = b[0]; for (int i = 0; i < n; i++) z[i] = a[i] + s; }
            else for (int i = 0; i < n; i++) z[i] = a[i] + b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) passOn(gz, ga, base, n);
            if (gb != null) passOn(gz, gb, base, n);
        }
    },
    SUB(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            if (n > 1 && a.length == 1) { double s = a[0]; for (int i = 0; i < n; i++) z[i] = s - b[i]; }
            else if (n > 1 && b.length == 1) { double s = b[0]; for (int i = 0; i < n; i++) z[i] = a[i] - s; }
            else for (int i = 0; i < n; i++) z[i] = a[i] - b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) passOn(gz, ga, base, n);
            if (gb != null) {
                if (n > 1 && gb.length == 1) gb[0] = (base != null ? base[0] : 0.0) + -laneSum(gz, n);
                else if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + -gz[i];
                else for (int i = 0; i < n; i++) gb[i] = -gz[i];
            }
        }
    },
    MUL(2, "b", "a") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            if (n > 1 && a.length == 1) { double s = a[0]; for (int i = 0; i < n; i++) z[i] = s * b[i]; }
            else if (n > 1 && b.length == 1) { double s = b[0]; for (int i = 0; i < n; i++) z[i] = a[i] * s; }
            else for (int i = 0; i < n; i++) z[i] = a[i] * b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) mulInto(gz, b, ga, base, n);
            if (gb != null) mulInto(gz, a, gb, base, n);
        }
    },
    /**
     * {@code dot(u, v) = u_0 v_0 + u_1 v_1 + ...} over k pairs, recorded as one node
     * ({@link Tape#recordDot}): the tape calls the rule once per pair j, with {@code k = j}, into the
     * same output, so the forward pass is one sweep per component over one buffer, with the
     * additions in the order of the written-out sum. Backward, pair by pair, is the product's rule:
     * to a shared {@code w} it is the lane reduction {@code x^T g}, to a per-row {@code x} it is
     * {@code g w}. Either side of a pair may be shared (one value) or per lane.
     */
    DOT(2, "b", "a") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            if (n > 1 && a.length == 1 && b.length == 1) { // a pair of shared values in a lane dot
                double s = a[0] * b[0];
                if (k == 0) java.util.Arrays.fill(z, 0, n, s);
                else for (int i = 0; i < n; i++) z[i] += s;
            } else if (k == 0) {
                MUL.forward(a, b, c, 0, z, n);
            } else if (n > 1 && a.length == 1) {
                double s = a[0];
                for (int i = 0; i < n; i++) z[i] += s * b[i];
            } else if (n > 1 && b.length == 1) {
                double s = b[0];
                for (int i = 0; i < n; i++) z[i] += a[i] * s;
            } else {
                for (int i = 0; i < n; i++) z[i] += a[i] * b[i];
            }
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            MUL.backward(gz, a, b, c, k, z, ga, gb, base, n);
        }
    },
    DIV(2, "b", "ab") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] / b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] / b[i];
                else for (int i = 0; i < n; i++) ga[i] = gz[i] / b[i];
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + gz[i] * (-a[i] / b[i] / b[i]);
                else for (int i = 0; i < n; i++) gb[i] = gz[i] * (-a[i] / b[i] / b[i]);
            }
        }
    },
    NEG(1, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = -a[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + -gz[i];
            else for (int i = 0; i < n; i++) ga[i] = -gz[i];
        }
    },
    /** {@code a^b} with both sides on the tape. */
    POW(2, "ab", "az") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.pow(a[i], b[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * b[i] * Math.pow(a[i], b[i] - 1);
                else for (int i = 0; i < n; i++) ga[i] = gz[i] * b[i] * Math.pow(a[i], b[i] - 1);
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + (a[i] > 0 ? gz[i] * z[i] * Math.log(a[i]) : 0.0);
                else for (int i = 0; i < n; i++) gb[i] = a[i] > 0 ? gz[i] * z[i] * Math.log(a[i]) : 0.0;
            }
        }
    },
    /** {@code a^k} for a constant exponent; {@code Math.pow} is exact for small integer k and keeps
     * the sign of a negative base with an integer exponent. {@code k = 0} has gradient 0, also at 0. */
    POWK(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.pow(a[i], k);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (k == 0) {
                if (base == null) java.util.Arrays.fill(ga, 0, n, 0.0);
                else if (base != ga) System.arraycopy(base, 0, ga, 0, n);
                return;
            }
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * k * Math.pow(a[i], k - 1);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * k * Math.pow(a[i], k - 1);
        }
    },
    SQUARE(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] * a[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (2.0 * a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (2.0 * a[i]);
        }
    },
    SQRT(1, "z", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.sqrt(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * 0.5 / z[i];
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * 0.5 / z[i];
        }
    },
    EXP(1, "z", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.exp(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * z[i];
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * z[i];
        }
    },
    LOG(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.log(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (1.0 / a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (1.0 / a[i]);
        }
    },
    LOG1P(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.log1p(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (1.0 / (1.0 + a[i]));
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (1.0 / (1.0 + a[i]));
        }
    },
    EXPM1(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.expm1(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * Math.exp(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * Math.exp(a[i]);
        }
    },
    SIN(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.sin(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * Math.cos(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * Math.cos(a[i]);
        }
    },
    COS(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.cos(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + -gz[i] * Math.sin(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = -gz[i] * Math.sin(a[i]);
        }
    },
    TAN(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.tan(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            for (int i = 0; i < n; i++) {
                double sec = 1.0 / Math.cos(a[i]);
                ga[i] = (base != null ? base[i] : 0.0) + gz[i] * (sec * sec);
            }
        }
    },
    TANH(1, "z", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.tanh(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (1.0 - z[i] * z[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (1.0 - z[i] * z[i]);
        }
    },
    /** {@code atan(a)}, with {@code atan'(a) = 1 / (1 + a^2)}. */
    ATAN(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.atan(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (1.0 / (1.0 + a[i] * a[i]));
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (1.0 / (1.0 + a[i] * a[i]));
        }
    },
    /**
     * {@code asin(a)}, with {@code asin'(a) = 1 / sqrt(1 - a^2)}: infinite at {@code |a| = 1} and NaN
     * beyond (where the value is NaN too), which solvers take for a non-finite step.
     */
    ASIN(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.asin(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (1.0 / Math.sqrt(1.0 - a[i] * a[i]));
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * (1.0 / Math.sqrt(1.0 - a[i] * a[i]));
        }
    },
    /** {@code acos(a)}, with {@code acos'(a) = -1 / sqrt(1 - a^2)}; the domain edges as {@link #ASIN}'s. */
    ACOS(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.acos(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + -gz[i] * (1.0 / Math.sqrt(1.0 - a[i] * a[i]));
            else for (int i = 0; i < n; i++) ga[i] = -gz[i] * (1.0 / Math.sqrt(1.0 - a[i] * a[i]));
        }
    },
    SINH(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.sinh(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * Math.cosh(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * Math.cosh(a[i]);
        }
    },
    COSH(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.cosh(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * Math.sinh(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * Math.sinh(a[i]);
        }
    },
    /**
     * {@code atan2(a, b)}, the angle of the point (b, a) (a is y, b is x, as in {@link Math#atan2}):
     * {@code d/da = b / (a^2 + b^2)}, {@code d/db = -a / (a^2 + b^2)}; both NaN at the origin.
     */
    ATAN2(2, "ab", "ab") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.atan2(a[i], b[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * (b[i] / (a[i] * a[i] + b[i] * b[i]));
                else for (int i = 0; i < n; i++) ga[i] = gz[i] * (b[i] / (a[i] * a[i] + b[i] * b[i]));
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + gz[i] * (-a[i] / (a[i] * a[i] + b[i] * b[i]));
                else for (int i = 0; i < n; i++) gb[i] = gz[i] * (-a[i] / (a[i] * a[i] + b[i] * b[i]));
            }
        }
    },
    SIGMOID(1, "z", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = sigmoid(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * z[i] * (1.0 - z[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * z[i] * (1.0 - z[i]);
        }
    },
    /** {@code log(1 + e^a)}, written so that it neither overflows for large a nor loses small values. */
    SOFTPLUS(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = softplus(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * sigmoid(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * sigmoid(a[i]);
        }
    },
    RELU(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] > 0 ? a[i] : 0.0;
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + (a[i] > 0 ? gz[i] : 0.0);
            else for (int i = 0; i < n; i++) ga[i] = a[i] > 0 ? gz[i] : 0.0;
        }
    },
    ABS(1, "a", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.abs(a[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * Math.signum(a[i]);
            else for (int i = 0; i < n; i++) ga[i] = gz[i] * Math.signum(a[i]);
        }
    },
    MIN(2, "ab", "ab") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.min(a[i], b[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + (a[i] <= b[i] ? gz[i] : 0.0);
                else for (int i = 0; i < n; i++) ga[i] = a[i] <= b[i] ? gz[i] : 0.0;
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + (a[i] <= b[i] ? 0.0 : gz[i]);
                else for (int i = 0; i < n; i++) gb[i] = a[i] <= b[i] ? 0.0 : gz[i];
            }
        }
    },
    MAX(2, "ab", "ab") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = Math.max(a[i], b[i]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + (a[i] >= b[i] ? gz[i] : 0.0);
                else for (int i = 0; i < n; i++) ga[i] = a[i] >= b[i] ? gz[i] : 0.0;
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + (a[i] >= b[i] ? 0.0 : gz[i]);
                else for (int i = 0; i < n; i++) gb[i] = a[i] >= b[i] ? 0.0 : gz[i];
            }
        }
    },
    /** {@code c > 0 ? a : b}: the condition is the third input and gets no gradient. */
    SELECT(3, "c", "c") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = c[i] > 0 ? a[i] : b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + (c[i] > 0 ? gz[i] : 0.0);
                else for (int i = 0; i < n; i++) ga[i] = c[i] > 0 ? gz[i] : 0.0;
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + (c[i] > 0 ? 0.0 : gz[i]);
                else for (int i = 0; i < n; i++) gb[i] = c[i] > 0 ? 0.0 : gz[i];
            }
        }
    },
    /** {@code a < b} as 1 or 0; piecewise constant, so no gradient flows through it. */
    LESS(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] < b[i] ? 1.0 : 0.0;
        }
    },
    LESS_EQUAL(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] <= b[i] ? 1.0 : 0.0;
        }
    },
    EQUAL(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] == b[i] ? 1.0 : 0.0;
        }
    },
    NOT_EQUAL(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] != b[i] ? 1.0 : 0.0;
        }
    },
    /** Sum over lanes: a lane value in, a scalar out. */
    SUM(1, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) s += a[i];
            z[0] = s;
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            passOn(gz[0], ga, base, n);
        }
    },
    /** Mean over lanes: a lane value in, a scalar out. */
    MEAN(1, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) s += a[i];
            z[0] = s / n;
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            passOn(gz[0] / n, ga, base, n);
        }
    },
    /** A scalar copied to every lane; its gradient is the sum over lanes (a shared variable's case). */
    BROADCAST(1, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            java.util.Arrays.fill(z, 0, n, a[0]);
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            double s = laneSum(gz, n);
            ga[0] = base != null ? base[0] + s : s;
        }
    };

    // Which values a backward rule reads: its inputs a, b, c and its own output z. A value no
    // backward rule reads need not be computed on a step that only wants gradients.
    static final int A = 1;
    static final int B = 2;
    static final int C = 4;
    static final int Z = 8;

    private final int arity;
    private final int readsForA;
    private final int readsForB;

    /**
     * @param readsForA the values the rule for input a's gradient reads, as letters: "a", "b", "c"
     *     (inputs), "z" (output)
     * @param readsForB likewise for input b's gradient
     */
    Op(int arity, String readsForA, String readsForB) {
        this.arity = arity;
        this.readsForA = mask(readsForA);
        this.readsForB = mask(readsForB);
    }

    private static int mask(String reads) {
        return (reads.contains("a") ? A : 0) | (reads.contains("b") ? B : 0)
                | (reads.contains("c") ? C : 0) | (reads.contains("z") ? Z : 0);
    }

    /** The values ({@link #A}, {@link #B}, {@link #C}, {@link #Z} bits) the backward rule reads for input a's gradient. */
    int readsForA() {
        return readsForA;
    }

    /** Likewise for input b's gradient. */
    int readsForB() {
        return readsForB;
    }

    /** How many tape inputs the op reads. */
    public int arity() {
        return arity;
    }

    /** Whether gradients flow through the op (comparisons are piecewise constant: they do not). */
    public boolean differentiable() {
        return this != LESS && this != LESS_EQUAL && this != EQUAL && this != NOT_EQUAL;
    }

    /** Whether the op maps lanes to one scalar ({@code SUM}, {@code MEAN}). */
    boolean reducesLanes() {
        return this == SUM || this == MEAN;
    }

    abstract void forward(double[] a, double[] b, double[] c, double k, double[] z, int n);

    // backward(gz, a, b, c, k, z, ga, gb, base, n): with base null the contributions are written to
    // ga/gb; otherwise ga/gb = base + contribution, where base is the cotangent gathered so far (it
    // may be ga itself, or a buffer shared with another node): the sum is made in the same pass
    // that makes its last term. The tape does that in float64, where TF does not round in between.

    /** Comparisons have no backward rule; the tape never asks them for one. */
    void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                  double[] ga, double[] gb, double[] base, int n) {
        throw new UnsupportedOperationException("no gradient rule for " + this);
    }

    /**
     * Whether the op reads a shared (one-value) input directly, for every lane, instead of a
     * {@link #BROADCAST} copy of it: then the cotangent of that input is the lane reduction of its
     * per-lane contributions, made in the loop that makes them, and no lane buffer of copies exists.
     * A shared input is recognised by its buffer of length 1 (in a one-lane tape both readings agree).
     */
    boolean readsSharedInputs() {
        return this == ADD || this == SUB || this == MUL || this == DOT;
    }

    /** Writes the cotangent unchanged (added to base, if there is one); to a shared input, its lane sum. */
    private static void passOn(double[] gz, double[] g, double[] base, int n) {
        if (n > 1 && g.length == 1) g[0] = base != null ? base[0] + laneSum(gz, n) : laneSum(gz, n);
        else if (base != null) for (int i = 0; i < n; i++) g[i] = base[i] + gz[i];
        else System.arraycopy(gz, 0, g, 0, n);
    }

    /** {@code g = base + gz * b}, b shared or per lane; to a shared g (length 1), the lane reduction. */
    private static void mulInto(double[] gz, double[] b, double[] g, double[] base, int n) {
        if (n > 1 && g.length == 1) {
            double s = laneDot(gz, b, n);
            g[0] = base != null ? base[0] + s : s;
        } else if (n > 1 && b.length == 1) {
            double v = b[0];
            if (base != null) for (int i = 0; i < n; i++) g[i] = base[i] + gz[i] * v;
            else for (int i = 0; i < n; i++) g[i] = gz[i] * v;
        } else if (base != null) {
            for (int i = 0; i < n; i++) g[i] = base[i] + gz[i] * b[i];
        } else {
            for (int i = 0; i < n; i++) g[i] = gz[i] * b[i];
        }
    }

    /**
     * {@code a[0] + ... + a[n-1]} in a fixed order: eight interleaved partial sums (lane i goes to
     * sum i mod 8, the last {@code n mod 8} lanes to the first), then
     * {@code ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))}. Eight chains instead of one let the
     * additions overlap (a plain loop waits for each addition's latency); the order is fixed by n
     * alone, so the same lanes give the same bits. Under 16 lanes it is the plain left-to-right sum.
     * Each term goes through at most {@code floor(n/8) + 14} roundings (the first sum takes up to 7
     * leftover lanes, then 3 levels of pairing; under 16 lanes, n - 1), so the error is at most
     * {@code γ(floor(n/8) + 14) Σ|a_i|}, {@code γ(m) = m u / (1 - m u)}, {@code u = 2^-53}.
     */
    public static double laneSum(double[] a, int n) {
        if (n < 16) {
            double s = n > 0 ? a[0] : 0.0;
            for (int i = 1; i < n; i++) s += a[i];
            return s;
        }
        double s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3], s4 = a[4], s5 = a[5], s6 = a[6], s7 = a[7];
        int i = 8;
        for (; i + 7 < n; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        for (; i < n; i++) s0 += a[i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * {@code Σ a_i b_i} (b per lane, or one shared value) in {@link #laneSum}'s order, each product
     * rounded once: the same bits as {@code laneSum} of the products, without storing them.
     */
    public static double laneDot(double[] a, double[] b, int n) {
        if (b.length == 1 && n > 1) {
            double v = b[0];
            if (n < 16) {
                double s = a[0] * v;
                for (int i = 1; i < n; i++) s += a[i] * v;
                return s;
            }
            double s0 = a[0] * v, s1 = a[1] * v, s2 = a[2] * v, s3 = a[3] * v;
            double s4 = a[4] * v, s5 = a[5] * v, s6 = a[6] * v, s7 = a[7] * v;
            int i = 8;
            for (; i + 7 < n; i += 8) {
                s0 += a[i] * v;
                s1 += a[i + 1] * v;
                s2 += a[i + 2] * v;
                s3 += a[i + 3] * v;
                s4 += a[i + 4] * v;
                s5 += a[i + 5] * v;
                s6 += a[i + 6] * v;
                s7 += a[i + 7] * v;
            }
            for (; i < n; i++) s0 += a[i] * v;
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }
        if (n < 16) {
            double s = n > 0 ? a[0] * b[0] : 0.0;
            for (int i = 1; i < n; i++) s += a[i] * b[i];
            return s;
        }
        double s0 = a[0] * b[0], s1 = a[1] * b[1], s2 = a[2] * b[2], s3 = a[3] * b[3];
        double s4 = a[4] * b[4], s5 = a[5] * b[5], s6 = a[6] * b[6], s7 = a[7] * b[7];
        int i = 8;
        for (; i + 7 < n; i += 8) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
            s4 += a[i + 4] * b[i + 4];
            s5 += a[i + 5] * b[i + 5];
            s6 += a[i + 6] * b[i + 6];
            s7 += a[i + 7] * b[i + 7];
        }
        for (; i < n; i++) s0 += a[i] * b[i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * {@code out[0] = laneDot(g, x, n)} and {@code out[1] = laneDot(g, y, n)} (x, y per lane), in one
     * sweep that reads g once: the same bits as two calls.
     */
    public static void laneDot2(double[] g, double[] x, double[] y, int n, double[] out) {
        if (n < 16) {
            out[0] = laneDot(g, x, n);
            out[1] = laneDot(g, y, n);
            return;
        }
        double s0 = g[0] * x[0], s1 = g[1] * x[1], s2 = g[2] * x[2], s3 = g[3] * x[3];
        double s4 = g[4] * x[4], s5 = g[5] * x[5], s6 = g[6] * x[6], s7 = g[7] * x[7];
        double t0 = g[0] * y[0], t1 = g[1] * y[1], t2 = g[2] * y[2], t3 = g[3] * y[3];
        double t4 = g[4] * y[4], t5 = g[5] * y[5], t6 = g[6] * y[6], t7 = g[7] * y[7];
        int i = 8;
        for (; i + 7 < n; i += 8) {
            s0 += g[i] * x[i];
            t0 += g[i] * y[i];
            s1 += g[i + 1] * x[i + 1];
            t1 += g[i + 1] * y[i + 1];
            s2 += g[i + 2] * x[i + 2];
            t2 += g[i + 2] * y[i + 2];
            s3 += g[i + 3] * x[i + 3];
            t3 += g[i + 3] * y[i + 3];
            s4 += g[i + 4] * x[i + 4];
            t4 += g[i + 4] * y[i + 4];
            s5 += g[i + 5] * x[i + 5];
            t5 += g[i + 5] * y[i + 5];
            s6 += g[i + 6] * x[i + 6];
            t6 += g[i + 6] * y[i + 6];
            s7 += g[i + 7] * x[i + 7];
            t7 += g[i + 7] * y[i + 7];
        }
        for (; i < n; i++) {
            s0 += g[i] * x[i];
            t0 += g[i] * y[i];
        }
        out[0] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        out[1] = ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7));
    }

    /** Writes one value to every lane (added to base, if there is one). */
    private static void passOn(double v, double[] g, double[] base, int n) {
        if (base != null) for (int i = 0; i < n; i++) g[i] = base[i] + v;
        else java.util.Arrays.fill(g, 0, n, v);
    }

    /**
     * {@code log(1 + e^x)} as {@code max(x, 0) + log1p(e^-|x|)}, which neither overflows nor loses small
     * values; public for the compiled tapes, which call it as the tape does.
     *
     * <p>The {@code log1p} of {@code t = e^-|x|} (in (0, 1]) is taken as {@code log(u) - ((u - 1) - t) / u}
     * with {@code u = 1 + t}: {@code (u - 1) - t} is exactly the rounding error of {@code 1 + t}, so the
     * second term corrects the first to within an ulp of {@code log1p(t)}. Why not {@code Math.log1p}: on
     * Java 17 it is a native call (no intrinsic), which made the logistic loss's pass twice the cost of the
     * least-squares one; {@code Math.log} and {@code Math.exp} are intrinsics.
     *
     * <pre>{@code
     * Op.softplus(0.0);   // ln 2 = 0.6931471805599453
     * Op.softplus(-40.0); // e^-40 = 4.248354255291589E-18
     * }</pre>
     */
    public static double softplus(double x) {
        double t = Math.exp(-Math.abs(x));
        double u = 1.0 + t;
        return Math.max(x, 0.0) + (Math.log(u) - ((u - 1.0) - t) / u);
    }

    /**
     * {@link #softplus(double)} given {@code t = Math.exp(-Math.abs(x))}: the same bits (the same
     * expression after its first line); for compiled passes that also need {@link #sigmoid(double, double)}
     * of x, so that {@code e^-|x|} is computed once.
     */
    public static double softplus(double x, double t) {
        double u = 1.0 + t;
        return Math.max(x, 0.0) + (Math.log(u) - ((u - 1.0) - t) / u);
    }

    /**
     * {@link #sigmoid(double)} given {@code t = Math.exp(-Math.abs(x))}: the same bits, since its
     * exponential is {@code e^-x} for {@code x >= 0} and {@code e^x} otherwise, both {@code e^-|x|}
     * (a NaN x goes to the one-argument function: {@code e^-|NaN|} is a NaN of the other sign).
     */
    public static double sigmoid(double x, double t) {
        if (x != x) return sigmoid(x);
        // One division whose numerator is selected: the same bits as the two branches, and no branch on
        // the sign (unpredictable over a logistic loss's rows: it cost a misprediction per row).
        return (x >= 0 ? 1.0 : t) / (1.0 + t);
    }

    /** The logistic function, split by sign; public for the compiled tapes, which call it as the tape does. */
    public static double sigmoid(double x) {
        // Split by sign so exp never overflows: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below, both
        // the same function; written as selects rather than branches (the sign is unpredictable over a
        // loss's rows), with the same bits.
        boolean up = x >= 0;
        double e = Math.exp(up ? -x : x);
        return (up ? 1.0 : e) / (1.0 + e);
    }
}
