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
            for (int i = 0; i < n; i++) z[i] = a[i] + b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) passOn(gz, ga, base, n);
            if (gb != null) passOn(gz, gb, base, n);
        }
    },
    SUB(2, "", "") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] - b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) passOn(gz, ga, base, n);
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + -gz[i];
                else for (int i = 0; i < n; i++) gb[i] = -gz[i];
            }
        }
    },
    MUL(2, "b", "a") {
        @Override void forward(double[] a, double[] b, double[] c, double k, double[] z, int n) {
            for (int i = 0; i < n; i++) z[i] = a[i] * b[i];
        }
        @Override void backward(double[] gz, double[] a, double[] b, double[] c, double k, double[] z,
                                double[] ga, double[] gb, double[] base, int n) {
            if (ga != null) {
                if (base != null) for (int i = 0; i < n; i++) ga[i] = base[i] + gz[i] * b[i];
                else for (int i = 0; i < n; i++) ga[i] = gz[i] * b[i];
            }
            if (gb != null) {
                if (base != null) for (int i = 0; i < n; i++) gb[i] = base[i] + gz[i] * a[i];
                else for (int i = 0; i < n; i++) gb[i] = gz[i] * a[i];
            }
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
            for (int i = 0; i < n; i++) z[i] = Math.max(a[i], 0.0) + Math.log1p(Math.exp(-Math.abs(a[i])));
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
            double s = 0;
            for (int i = 0; i < n; i++) s += gz[i];
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

    /** Writes the cotangent unchanged (added to base, if there is one). */
    private static void passOn(double[] gz, double[] g, double[] base, int n) {
        if (base != null) for (int i = 0; i < n; i++) g[i] = base[i] + gz[i];
        else System.arraycopy(gz, 0, g, 0, n);
    }

    /** Writes one value to every lane (added to base, if there is one). */
    private static void passOn(double v, double[] g, double[] base, int n) {
        if (base != null) for (int i = 0; i < n; i++) g[i] = base[i] + v;
        else java.util.Arrays.fill(g, 0, n, v);
    }

    /** The logistic function, split by sign; public for the compiled tapes, which call it as the tape does. */
    public static double sigmoid(double x) {
        // Split by sign so exp never overflows: both branches are the same function.
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }
}
