"""Derives the erf coefficients used by io.t2c.tensor.ops.Elementwise (run: python3 fit_erf.py).

Two least-squares polynomial fits at Chebyshev-spaced nodes against Python's math.erf / math.erfc (double):
  |x| <= 1      : erf(x)  = x * P(x^2),                                 P of degree 8
  1 < |x| < 6   : erfc(a) = exp(-a^2) * Q(t),  t = 1 / (1 + a/2),        Q of degree 12
  |x| >= 6      : erf(x)  = sign(x)   (erfc(6) ~ 2e-17)
Prints the coefficients (highest degree first, for Horner) and the maximum absolute error on a fine grid.
"""
import math
import numpy as np

N = 4001
nodes = np.cos(np.linspace(0, np.pi, N)) * 0.5 + 0.5  # Chebyshev-spaced in [0, 1]

# region 1, in z = x^2 on [0, 1]
z = nodes
x = np.sqrt(z)
y = np.array([math.erf(v) / v if v > 0 else 2 / math.sqrt(math.pi) for v in x])
p = np.polyfit(z, y, 8)

# region 2, a in [1, 6]
a = nodes * 5.0 + 1.0
t = 1.0 / (1.0 + 0.5 * a)
g = np.array([math.erfc(v) * math.exp(v * v) for v in a])
q = np.polyfit(t, g, 12)


def erf(v):
    s = abs(v)
    if s <= 1:
        return v * np.polyval(p, v * v)
    if s >= 6:
        return math.copysign(1.0, v)
    r = 1 - math.exp(-s * s) * np.polyval(q, 1 / (1 + 0.5 * s))
    return math.copysign(r, v)


grid = np.linspace(-7, 7, 400001)
err = max(abs(erf(v) - math.erf(v)) for v in grid)
print("P =", ", ".join(repr(float(c)) for c in p))
print("Q =", ", ".join(repr(float(c)) for c in q))
print("max abs error on [-7, 7]:", err)
