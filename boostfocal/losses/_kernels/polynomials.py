"""Regenerate (or check) the polynomial coefficients of the compiled kernels' exp and log1p.

The compiled kernels (``elementary.h`` in this folder) evaluate ``exp`` and ``log1p``
with branch-free polynomials so that their loops vectorize (a libm call inside a loop
stops the vectorizer). Both polynomials interpolate their function at the Chebyshev
nodes of the first kind (near-minimax), computed in 60-digit mpmath arithmetic and
rounded to float64:

``exp_neg``
    ``exp(r) = 1 + r + r^2 q(r)`` on ``|r| <= ln(2) / 2``, with
    ``q(r) ~ (exp(r) - 1 - r) / r^2 = sum_k r^k / (k + 2)!`` of degree 10.
``log1p_small``
    ``log1p(e) = 2 atanh(s)`` with ``s = e / (2 + e)``, ``|s| <= 1/3``, and
    ``atanh(s) = s + s^3 p(s^2)`` with ``p(t) ~ (atanh(s) / s - 1) / s^2
    = sum_j t^j / (2j + 3)`` of degree 9 on ``0 <= t <= 1/9``.

Run ``python -m boostfocal.losses._kernels.polynomials`` to print the coefficients
(constant term first) with their interpolation error, or ``--check`` to verify that every
coefficient appears, as Python's shortest repr of the float64, in the C sources; the test
suite runs the check (``tests/test_kernel_polynomials.py``). Needs mpmath (in the ``test``
extra); nothing in the package imports this module.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import mpmath as mp

DIGITS = 60
#: The folder of the C sources: this one.
C_SOURCES = pathlib.Path(__file__).resolve().parent


def _q_exp(r):
    """``(exp(r) - 1 - r) / r^2`` by its series: no cancellation near ``r = 0``."""
    return mp.fsum(r**k / mp.factorial(k + 2) for k in range(80))


def _p_atanh(t):
    """``(atanh(s) / s - 1) / s^2`` with ``t = s^2``, by its series ``sum t^j / (2j + 3)``."""
    return mp.fsum(t**j / (2 * j + 3) for j in range(200))


def _poly(coefficients: list[float], x):
    """``sum_j coefficients[j] x^j`` in mpmath arithmetic."""
    return mp.fsum(c * x**j for j, c in enumerate(coefficients))


def chebyshev_interpolant(f, a, b, degree: int) -> list:
    """Monomial coefficients (constant first) of ``f``'s interpolant at Chebyshev nodes.

    The nodes are those of the first kind on ``[a, b]``: ``degree + 1`` points
    ``(a + b) / 2 + (b - a) / 2 cos((2i + 1) pi / (2 (degree + 1)))``.
    """
    n = degree + 1
    nodes = [(a + b) / 2 + (b - a) / 2 * mp.cos((2 * i + 1) * mp.pi / (2 * n))
             for i in range(n)]
    vandermonde = mp.matrix([[x**j for j in range(n)] for x in nodes])
    values = mp.matrix([f(x) for x in nodes])
    coefficients = mp.lu_solve(vandermonde, values)
    return [coefficients[j] for j in range(n)]


def polynomials(measure_error: bool = True) -> dict[str, tuple[list[float], float | None]]:
    """Each kernel polynomial: float64 coefficients and its max weighted error.

    The error is measured with the rounded coefficients on 2,001 points, weighted as the
    kernels use the polynomial (``r^2 (q - exact)`` for exp, ``t (p - exact)`` for log1p);
    None with ``measure_error=False``.
    """
    with mp.workdps(DIGITS):
        half_ln2 = mp.log(2) / 2
        specs = {
            "exp_neg q(r), |r| <= ln(2)/2": (_q_exp, -half_ln2, half_ln2, 10, 2),
            "log1p_small p(t), 0 <= t <= 1/9": (_p_atanh, mp.mpf(0), mp.mpf(1) / 9, 9, 1),
        }
        out = {}
        for name, (f, a, b, degree, weight_power) in specs.items():
            coefficients = [float(c) for c in chebyshev_interpolant(f, a, b, degree)]
            error = None
            if measure_error:
                points = [a + (b - a) * i / 2000 for i in range(2001)]
                error = float(max(abs(x**weight_power * (_poly(coefficients, x) - f(x)))
                                      for x in points))
            out[name] = (coefficients, error)
    return out


def missing_from_sources(source_dir: pathlib.Path = C_SOURCES) -> list[str]:
    """The generated coefficients that do not appear in the C sources (``[]``: in sync)."""
    text = "".join(p.read_text() for p in sorted(source_dir.rglob("*.[ch]")))
    return [f"{name}: {c!r}" for name, (coefficients, _) in polynomials(False).items()
            for c in coefficients if repr(c) not in text]


def main(argv: list[str] | None = None) -> int:
    """Print the coefficients, or check them against the C sources."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every coefficient appears in the C sources")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_from_sources()
        for line in missing:
            print("not in the C sources:", line)
        return 1 if missing else 0
    for name, (coefficients, error) in polynomials().items():
        print(f"{name}: max weighted interpolation error {error:.2g}")
        for j, c in enumerate(coefficients):
            print(f"  c{j} = {c!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
