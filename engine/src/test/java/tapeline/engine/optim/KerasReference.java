package tapeline.engine.optim;

/**
 * Plain, independent re-implementations of the Keras 3 update rules, one scalar variable at a
 * time, written from the formulas in {@code keras/src/optimizers/*.py} (not from the production
 * classes). Each has a float64 version in {@code double} and a float32 version in {@code float},
 * where Python-float coefficients ({@code 1 - rho} and the like) are computed in double and cast,
 * and coefficients Keras computes on cast tensors are float subtractions.
 */
final class KerasReference {
    private KerasReference() {
    }

    /** One scalar variable under one optimizer: {@link #step} takes the gradient, returns the new w. */
    interface Ref {
        double step(double g);
    }

    // ---- float64 ----------------------------------------------------------------------------

    static Ref rmsprop64(double lr, double rho, double momentum, double eps, boolean centered) {
        return new Ref() {
            double w, v, a, m;

            public double step(double g) {
                v = rho * v + (1 - rho) * (g * g);
                double den;
                if (centered) {
                    a = rho * a + (1 - rho) * g;
                    den = v - a * a + eps;
                } else {
                    den = v + eps;
                }
                double inc = lr * g / Math.sqrt(den);
                if (momentum > 0) {
                    m = momentum * m + inc;
                    w = w - m;
                } else {
                    w = w - inc;
                }
                return w;
            }
        };
    }

    static Ref adagrad64(double lr, double init, double eps) {
        return new Ref() {
            double w, acc = init;

            public double step(double g) {
                acc = acc + g * g;
                w = w - lr * g / Math.sqrt(acc + eps);
                return w;
            }
        };
    }

    static Ref adamw64(double lr, double wd, double b1, double b2, double eps) {
        return new Ref() {
            double w, m, v;
            int t;

            public double step(double g) {
                t++;
                w = w - w * wd * lr; // base_optimizer._apply_weight_decay, before the update
                double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                m = m + (g - m) * (1 - b1);
                v = v + (g * g - v) * (1 - b2);
                w = w - m * alpha / (Math.sqrt(v) + eps);
                return w;
            }
        };
    }

    static Ref adamax64(double lr, double b1, double b2, double eps) {
        return new Ref() {
            double w, m, u;
            int t;

            public double step(double g) {
                t++;
                m = m + (g - m) * (1 - b1);
                u = Math.max(b2 * u, Math.abs(g));
                w = w - lr * m / ((1 - Math.pow(b1, t)) * (u + eps));
                return w;
            }
        };
    }

    static Ref nadam64(double lr, double b1, double b2, double eps) {
        return new Ref() {
            double w, m, v, uProduct = 1;
            int t;

            public double step(double g) {
                t++;
                uProduct = uProduct * b1 * (1 - 0.5 * Math.pow(0.96, t));
                double ut = b1 * (1 - 0.5 * Math.pow(0.96, t));
                double ut1 = b1 * (1 - 0.5 * Math.pow(0.96, t + 1));
                m = m + (g - m) * (1 - b1);
                v = v + (g * g - v) * (1 - b2);
                double mHat = ut1 * m / (1 - uProduct * ut1) + (1 - ut) * g / (1 - uProduct);
                double vHat = v / (1 - Math.pow(b2, t));
                w = w - mHat * lr / (Math.sqrt(vHat) + eps);
                return w;
            }
        };
    }

    static Ref lion64(double lr, double b1, double b2) {
        return new Ref() {
            double w, m;

            public double step(double g) {
                w = w - lr * Math.signum(m * b1 + g * (1 - b1));
                m = m * b2 + g * (1 - b2);
                return w;
            }
        };
    }

    // ---- float32 ----------------------------------------------------------------------------

    static Ref rmsprop32(double lrD, double rhoD, double momentumD, double epsD, boolean centered) {
        float lr = (float) lrD, rho = (float) rhoD, c = (float) (1 - rhoD), mu = (float) momentumD, eps = (float) epsD;
        return new Ref() {
            float w, v, a, m;

            public double step(double gD) {
                float g = (float) gD;
                v = rho * v + c * (g * g);
                float den;
                if (centered) {
                    a = rho * a + c * g;
                    den = v - a * a + eps;
                } else {
                    den = v + eps;
                }
                float inc = lr * g / (float) Math.sqrt(den);
                if (momentumD > 0) {
                    m = mu * m + inc;
                    w = w - m;
                } else {
                    w = w - inc;
                }
                return w;
            }
        };
    }

    static Ref adagrad32(double lrD, double initD, double epsD) {
        float lr = (float) lrD, eps = (float) epsD;
        return new Ref() {
            float w, acc = (float) initD;

            public double step(double gD) {
                float g = (float) gD;
                acc = acc + g * g;
                w = w - lr * g / (float) Math.sqrt(acc + eps);
                return w;
            }
        };
    }

    static Ref adamw32(double lrD, double wdD, double b1D, double b2D, double epsD) {
        float lr = (float) lrD, wd = (float) wdD, b1 = (float) b1D, b2 = (float) b2D, eps = (float) epsD;
        float c1 = (float) (1 - b1D), c2 = (float) (1 - b2D); // adam.py: 1 - self.beta_1 on Python floats
        return new Ref() {
            float w, m, v;
            int t;

            public double step(double gD) {
                float g = (float) gD;
                t++;
                w = w - w * wd * lr;
                float b1p = (float) Math.pow(b1, (float) t);
                float b2p = (float) Math.pow(b2, (float) t);
                float alpha = lr * (float) Math.sqrt(1f - b2p) / (1f - b1p);
                m = m + (g - m) * c1;
                v = v + (g * g - v) * c2;
                w = w - m * alpha / ((float) Math.sqrt(v) + eps);
                return w;
            }
        };
    }

    static Ref adamax32(double lrD, double b1D, double b2D, double epsD) {
        float lr = (float) lrD, b1 = (float) b1D, b2 = (float) b2D, eps = (float) epsD, c1 = (float) (1 - b1D);
        return new Ref() {
            float w, m, u;
            int t;

            public double step(double gD) {
                float g = (float) gD;
                t++;
                m = m + (g - m) * c1;
                u = Math.max(b2 * u, Math.abs(g));
                float b1p = (float) Math.pow(b1, (float) t);
                w = w - lr * m / ((1f - b1p) * (u + eps));
                return w;
            }
        };
    }

    static Ref nadam32(double lrD, double b1D, double b2D, double epsD) {
        // nadam.py casts beta_1, beta_2 to the variable dtype: 1 - beta_1 is then a float subtraction.
        float lr = (float) lrD, b1 = (float) b1D, b2 = (float) b2D, eps = (float) epsD, decay = 0.96f;
        return new Ref() {
            float w, m, v, uProduct = 1f;
            int t;

            public double step(double gD) {
                float g = (float) gD;
                t++;
                uProduct = uProduct * b1 * (1f - 0.5f * (float) Math.pow(decay, (float) t));
                float ut = b1 * (1f - 0.5f * (float) Math.pow(decay, (float) t));
                float ut1 = b1 * (1f - 0.5f * (float) Math.pow(decay, (float) (t + 1)));
                m = m + (g - m) * (1f - b1);
                v = v + (g * g - v) * (1f - b2);
                float mHat = ut1 * m / (1f - uProduct * ut1) + (1f - ut) * g / (1f - uProduct);
                float vHat = v / (1f - (float) Math.pow(b2, (float) t));
                w = w - mHat * lr / ((float) Math.sqrt(vHat) + eps);
                return w;
            }
        };
    }

    static Ref lion32(double lrD, double b1D, double b2D) {
        float lr = (float) lrD, b1 = (float) b1D, b2 = (float) b2D;
        return new Ref() {
            float w, m;

            public double step(double gD) {
                float g = (float) gD;
                w = w - lr * Math.signum(m * b1 + g * (1f - b1));
                m = m * b2 + g * (1f - b2);
                return w;
            }
        };
    }
}
