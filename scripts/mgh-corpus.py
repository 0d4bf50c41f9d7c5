#!/usr/bin/env python3
"""Writes engine/src/test/resources/mgh/problems.txt: the Moré-Garbow-Hillstrom least-squares test
problems (J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing Unconstrained Optimization Software",
ACM TOMS 7(1), 1981, problems 1-35 in their numbering) as tapeline residual lists, from the paper's
definitions, with the textbook start x0 and the published optimal sums of squares f* (every one the
paper lists: a problem's global value first, then any local ones it reports).

Osborne 2 (19) is left out for its 65 data values. Every other problem is in, at the dimensions the paper and MINPACK's test driver
use. One line per problem:  name | n | x0 (comma-separated) | f* values (comma-separated) | residuals
(comma-separated tapeline expressions in x1..xn). The tests and scripts/bench-curvefit.sh read it.

    python3 scripts/mgh-corpus.py
"""
import math
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "src", "test", "resources", "mgh",
                   "problems.txt")
P = []


def add(name, x0, fstars, res):
    P.append((name, len(x0), x0, fstars, res))


def g(v):
    return repr(float(v))


# 1 Rosenbrock
add("rosenbrock", [-1.2, 1], [0], ["10*(x2 - x1^2)", "1 - x1"])
# 2 Freudenstein and Roth
add("freudenstein_roth", [0.5, -2], [0, 48.9842536792400],
    ["-13 + x1 + ((5 - x2)*x2 - 2)*x2", "-29 + x1 + ((x2 + 1)*x2 - 14)*x2"])
# 3 Powell badly scaled
add("powell_badly_scaled", [0, 1], [0], ["10000*x1*x2 - 1", "exp(-x1) + exp(-x2) - 1.0001"])
# 4 Brown badly scaled
add("brown_badly_scaled", [1, 1], [0], ["x1 - 1000000", "x2 - 0.000002", "x1*x2 - 2"])
# 5 Beale
add("beale", [1, 1], [0], ["%s - x1*(1 - x2^%d)" % (y, i) for i, y in ((1, 1.5), (2, 2.25), (3, 2.625))])
# 6 Jennrich and Sampson, m = 10
add("jennrich_sampson", [0.3, 0.4], [124.362182355],
    ["%d - (exp(%d*x1) + exp(%d*x2))" % (2 + 2 * i, i, i) for i in range(1, 11)])
# 7 Helical valley: theta = atan(x2/x1)/(2 pi), plus 1/2 where x1 < 0 (the paper's definition; at
# x1 = 0 atan(x2/0) is +-pi/2, the paper's sign(1/4, x2))
add("helical_valley", [-1, 0, 0], [0],
    ["10*(x3 - 10*(atan(x2/x1)/(2*pi) + select(-x1, 0.5, 0)))", "10*(sqrt(x1^2 + x2^2) - 1)", "x3"])
# 8 Bard
ybard = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
add("bard", [1, 1, 1], [8.21487730657e-3, 17.4286133761],
    ["%s - (x1 + %d/(%d*x2 + %d*x3))" % (g(ybard[i - 1]), i, 16 - i, min(i, 16 - i)) for i in range(1, 16)])
# 9 Gaussian
ygauss = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540, 0.0175,
          0.0044, 0.0009]
add("gaussian", [0.4, 1, 0], [1.12793276962e-8],
    ["x1*exp(-x2*(%s - x3)^2/2) - %s" % (g((8 - i) / 2), g(ygauss[i - 1])) for i in range(1, 16)])
# 10 Meyer
ymeyer = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872]
add("meyer", [0.02, 4000, 250], [87.9458551718],
    ["x1*exp(x2/(%d + x3)) - %d" % (45 + 5 * i, ymeyer[i - 1]) for i in range(1, 17)])
# 11 Gulf research and development, m = 99
res = []
for i in range(1, 100):
    t = i / 100
    y = 25 + (-50 * math.log(t)) ** (2 / 3)
    res.append("exp(-(abs(%s - x2)^x3)/x1) - %s" % (g(y), g(t)))
add("gulf", [5, 2.5, 0.15], [0], res)
# 12 Box three-dimensional, m = 10
add("box3d", [0, 10, 20], [0],
    ["exp(-%s*x1) - exp(-%s*x2) - x3*(%s)" % (g(0.1 * i), g(0.1 * i), g(math.exp(-0.1 * i) - math.exp(-i)))
     for i in range(1, 11)])
# 13 Powell singular
add("powell_singular", [3, -1, 0, 1], [0],
    ["x1 + 10*x2", "%s*(x3 - x4)" % g(math.sqrt(5)), "(x2 - 2*x3)^2", "%s*(x1 - x4)^2" % g(math.sqrt(10))])
# 14 Wood
add("wood", [-3, -1, -3, -1], [0],
    ["10*(x2 - x1^2)", "1 - x1", "%s*(x4 - x3^2)" % g(math.sqrt(90)), "1 - x3", "%s*(x2 + x4 - 2)" % g(math.sqrt(10)),
     "%s*(x2 - x4)" % g(10 ** -0.5)])
# 15 Kowalik and Osborne
yk = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
uk = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]
add("kowalik_osborne", [0.25, 0.39, 0.415, 0.39], [3.07505603849e-4, 1.02734618e-3],
    ["%s - x1*(%s + %s*x2)/(%s + %s*x3 + x4)" % (g(y), g(u * u), g(u), g(u * u), g(u)) for y, u in zip(yk, uk)])
# 16 Brown and Dennis, m = 20
add("brown_dennis", [25, 5, -5, -1], [85822.2016263],
    ["(x1 + %s*x2 - %s)^2 + (x3 + %s*x4 - %s)^2" % (g(i / 5), g(math.exp(i / 5)), g(math.sin(i / 5)), g(math.cos(i / 5)))
     for i in range(1, 21)])
# 17 Osborne 1
yo = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603,
      0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411,
      0.406]
add("osborne1", [0.5, 1.5, -1, 0.01, 0.02], [5.46489469748e-5],
    ["%s - (x1 + x2*exp(-%d*x4) + x3*exp(-%d*x5))" % (g(yo[i]), 10 * i, 10 * i) for i in range(33)])
# 18 Biggs EXP6, m = 13
res = []
for i in range(1, 14):
    t = 0.1 * i
    y = math.exp(-t) - 5 * math.exp(-10 * t) + 3 * math.exp(-4 * t)
    res.append("x3*exp(-%s*x1) - x4*exp(-%s*x2) + x6*exp(-%s*x5) - %s" % (g(t), g(t), g(t), g(y)))
add("biggs_exp6", [1, 2, 1, 1, 1, 1], [0, 5.65565e-3], res)


# 20 Watson, n = 6 and 9, m = 31
def watson(n, fstar):
    res = []
    for i in range(1, 30):
        t = i / 29
        s1 = " + ".join("%s*x%d" % (g((j - 1) * t ** (j - 2)), j) for j in range(2, n + 1))
        s2 = " + ".join("%s*x%d" % (g(t ** (j - 1)), j) for j in range(1, n + 1))
        res.append("%s - (%s)^2 - 1" % (s1, s2))
    res += ["x1", "x2 - x1^2 - 1"]
    add("watson%d" % n, [0] * n, [fstar], res)


watson(6, 2.28767005355e-3)
watson(9, 1.39976155e-6)
# 21 Extended Rosenbrock, n = 10
add("ext_rosenbrock", [-1.2, 1] * 5, [0],
    sum([["10*(x%d - x%d^2)" % (2 * k, 2 * k - 1), "1 - x%d" % (2 * k - 1)] for k in range(1, 6)], []))
# 22 Extended Powell singular, n = 12
add("ext_powell", [3, -1, 0, 1] * 3, [0],
    sum([["x%d + 10*x%d" % (4 * k - 3, 4 * k - 2), "%s*(x%d - x%d)" % (g(math.sqrt(5)), 4 * k - 1, 4 * k),
          "(x%d - 2*x%d)^2" % (4 * k - 2, 4 * k - 1), "%s*(x%d - x%d)^2" % (g(math.sqrt(10)), 4 * k - 3, 4 * k)]
         for k in range(1, 4)], []))
# 23 Penalty I, n = 4
add("penalty1", [1, 2, 3, 4], [2.24997824e-5],
    ["%s*(x%d - 1)" % (g(math.sqrt(1e-5)), j) for j in range(1, 5)] + [" + ".join("x%d^2" % j for j in range(1, 5)) + " - 0.25"])
# 24 Penalty II, n = 4
sa = g(math.sqrt(1e-5))
res = ["x1 - 0.2"]
for i in range(2, 5):
    res.append("%s*(exp(x%d/10) + exp(x%d/10) - %s)" % (sa, i, i - 1, g(math.exp(i / 10) + math.exp((i - 1) / 10))))
for i in range(5, 8):
    res.append("%s*(exp(x%d/10) - %s)" % (sa, i - 3, g(math.exp(-0.1))))
res.append(" + ".join("%d*x%d^2" % (4 - j + 1, j) for j in range(1, 5)) + " - 1")
add("penalty2", [0.5] * 4, [9.37629e-6], res)
# 25 Variably dimensioned, n = 10
s = " + ".join("%d*(x%d - 1)" % (j, j) for j in range(1, 11))
add("variably_dim", [1 - j / 10 for j in range(1, 11)], [0],
    ["x%d - 1" % j for j in range(1, 11)] + [s, "(%s)^2" % s])
# 26 Trigonometric, n = 10
sc = " + ".join("cos(x%d)" % j for j in range(1, 11))
add("trigonometric", [0.1] * 10, [0, 2.79506e-5],
    ["10 - (%s) + %d*(1 - cos(x%d)) - sin(x%d)" % (sc, i, i, i) for i in range(1, 11)])
# 27 Brown almost-linear, n = 10
sx = " + ".join("x%d" % j for j in range(1, 11))
add("brown_almost_linear", [0.5] * 10, [0, 1],
    ["x%d + %s - 11" % (i, sx) for i in range(1, 10)] + ["*".join("x%d" % j for j in range(1, 11)) + " - 1"])
# 28 Discrete boundary value, n = 10
h = 1 / 11
res = []
for i in range(1, 11):
    t = i * h
    left = "x%d" % (i - 1) if i > 1 else "0"
    right = "x%d" % (i + 1) if i < 10 else "0"
    res.append("2*x%d - %s - %s + %s*(x%d + %s)^3" % (i, left, right, g(h * h / 2), i, g(t + 1)))
add("discrete_boundary", [i * h * (i * h - 1) for i in range(1, 11)], [0], res)
# 29 Discrete integral equation, n = 10
res = []
for i in range(1, 11):
    ti = i * h
    a = " + ".join("%s*(x%d + %s)^3" % (g(j * h * (1 - ti)), j, g(j * h + 1)) for j in range(1, i + 1))
    b = " + ".join("%s*(x%d + %s)^3" % (g((1 - j * h) * ti), j, g(j * h + 1)) for j in range(i + 1, 11))
    res.append("x%d + %s*(%s)" % (i, g(h / 2), a + (" + " + b if b else "")))
add("discrete_integral", [i * h * (i * h - 1) for i in range(1, 11)], [0], res)
# 30 Broyden tridiagonal, n = 10
res = []
for i in range(1, 11):
    left = " - x%d" % (i - 1) if i > 1 else ""
    right = " - 2*x%d" % (i + 1) if i < 10 else ""
    res.append("(3 - 2*x%d)*x%d%s%s + 1" % (i, i, left, right))
add("broyden_tridiagonal", [-1] * 10, [0], res)
# 31 Broyden banded, n = 10
res = []
for i in range(1, 11):
    js = [j for j in range(max(1, i - 5), min(10, i + 1) + 1) if j != i]
    res.append("x%d*(2 + 5*x%d^2) + 1 - (%s)" % (i, i, " + ".join("x%d*(1 + x%d)" % (j, j) for j in js)))
add("broyden_banded", [-1] * 10, [0], res)
# 32 Linear function, full rank, n = 5, m = 10
n, m = 5, 10
s = " + ".join("x%d" % j for j in range(1, n + 1))
add("linear_full_rank", [1] * n, [m - n],
    ["x%d - %s*(%s) - 1" % (i, g(2 / m), s) for i in range(1, n + 1)] + ["-%s*(%s) - 1" % (g(2 / m), s)] * (m - n))
# 33 Linear function, rank 1, n = 5, m = 10
s = " + ".join("%d*x%d" % (j, j) for j in range(1, n + 1))
add("linear_rank1", [1] * n, [m * (m - 1) / (2 * (2 * m + 1))], ["%d*(%s) - 1" % (i, s) for i in range(1, m + 1)])
# 34 Linear function, rank 1 with zero columns and rows, n = 5, m = 10
s = " + ".join("%d*x%d" % (j, j) for j in range(2, n))
add("linear_rank1_zero", [1] * n, [(m * m + 3 * m - 6) / (2 * (2 * m - 3))],
    ["-1"] + ["%d*(%s) - 1" % (i - 1, s) for i in range(2, m)] + ["-1"])
# 35 Chebyquad, n = 8, m = 8
res = []
for i in range(1, 9):
    # T_i shifted to [0, 1]: T_i(2x - 1) by the recurrence, written out per variable.
    def T(k, x):
        a, b = "1", "(2*%s - 1)" % x
        if k == 0:
            return a
        for _ in range(k - 1):
            a, b = b, "(2*(2*%s - 1)*%s - %s)" % (x, b, a)
        return b
    integral = -1 / (i * i - 1) if i % 2 == 0 else 0
    res.append("(%s)/8 - %s" % (" + ".join(T(i, "x%d" % j) for j in range(1, 9)), g(integral)))
add("chebyquad8", [j / 9 for j in range(1, 9)], [3.51687e-3], res)

with open(OUT, "w") as f:
    f.write("# Moré-Garbow-Hillstrom least-squares problems, written by scripts/mgh-corpus.py from the paper's definitions.\n")
    f.write("# name | n | x0 | published optimal sums of squares | residuals\n")
    for name, n, x0, fstars, res in P:
        f.write("%s | %d | %s | %s | %s\n" % (name, n, ",".join(g(v) for v in x0), ",".join(g(v) for v in fstars),
                                              ", ".join(res)))
print("%d problems written to %s" % (len(P), OUT))
