"""Worst errors of boostfocal's derivatives against 50-digit mpmath differentiation.

    python benchmarks/accuracy.py [--quick]

Binary: margins from -700 to 700 (and +-1e4 for finiteness), gamma in {0, 0.5, 1, 1.5, 2, 5},
alpha in {None, 0.25}, both labels. Softmax: K = 3 and 5, logits up to +-1e3. The reference
differentiates the loss itself numerically at 50+ significant digits (tests/reference.py),
so it shares no algebra with the library.

Two figures per quantity:

- the plain relative error |x - ref| / |ref|, over entries whose reference is at least
  1e-290 (below that float64 is subnormal) and, for the exact Hessian, at least 1e-6 of the
  magnitude of its terms (near its sign change the relative error is meaningless);
- the error in units of the quantity's own error scale (its conditioning in the margin and,
  for the Hessian, the magnitudes of its terms): what the test suite bounds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference import binary_derivatives_mp, softmax_derivatives_mp  # noqa: E402

from boostfocal import FocalLoss, SoftmaxFocalLoss  # noqa: E402

GAMMAS = [0.0, 0.5, 1.0, 1.5, 2.0, 5.0]
EPS = np.finfo(np.float64).eps


def binary(quick: bool) -> dict[str, float]:
    margins = np.concatenate([np.linspace(-40, 40, 21 if quick else 81),
                              [-700.0, -300.0, -100.0, 100.0, 300.0, 700.0]])
    worst = {"gradient rel": 0.0, "hessian rel": 0.0, "loss rel": 0.0,
             "gradient ulps": 0.0, "hessian ulps": 0.0, "loss ulps": 0.0}
    for gamma in GAMMAS:
        for alpha in (None, 0.25):
            loss = FocalLoss(gamma, alpha, hessian="exact")
            for y in (0, 1):
                yy = np.full(margins.shape, y)
                g, h = loss.gradient_hessian(yy, margins)
                lo = loss.loss(yy, margins)
                for i, z in enumerate(margins):
                    ref_l, ref_g, ref_h, scales = binary_derivatives_mp(y, z, gamma, alpha)
                    for name, val, ref in (("loss", lo[i], ref_l), ("gradient", g[i], ref_g),
                                           ("hessian", h[i], ref_h)):
                        ref = float(ref)
                        scale = float(scales[name])
                        err = abs(val - ref)
                        if scale > 1e-290:
                            worst[f"{name} ulps"] = max(worst[f"{name} ulps"], err / scale / EPS)
                        if abs(ref) > 1e-290 and abs(ref) > 1e-6 * scale:
                            worst[f"{name} rel"] = max(worst[f"{name} rel"], err / abs(ref))
    return worst


def softmax(quick: bool) -> dict[str, float]:
    rng = np.random.default_rng(0)
    worst = {"gradient rel (row max)": 0.0, "hessian rel (row max)": 0.0}
    for k in (3, 5):
        cases = [rng.normal(scale=3, size=k) for _ in range(2 if quick else 6)]
        cases += [np.r_[1e3, np.zeros(k - 1)], np.linspace(-1e3, 1e3, k)]
        for z in cases:
            for gamma in GAMMAS:
                for y in range(k):
                    _, ref_g, ref_h = softmax_derivatives_mp(y, z, gamma)
                    ref_g = np.array([float(v) for v in ref_g])
                    ref_h = np.array([float(v) for v in ref_h])
                    g, h = SoftmaxFocalLoss(gamma, hessian="exact").gradient_hessian(
                        np.array([y]), z[None, :])
                    if np.max(np.abs(ref_g)) > 1e-290:
                        worst["gradient rel (row max)"] = max(
                            worst["gradient rel (row max)"],
                            np.max(np.abs(g[0] - ref_g)) / np.max(np.abs(ref_g)))
                    if np.max(np.abs(ref_h)) > 1e-290:
                        worst["hessian rel (row max)"] = max(
                            worst["hessian rel (row max)"],
                            np.max(np.abs(h[0] - ref_h)) / np.max(np.abs(ref_h)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    b = binary(args.quick)
    s = softmax(args.quick)
    print("| quantity | worst |\n|---|---|")
    for name, value in b.items():
        unit = "x eps of its error scale" if "ulps" in name else "relative"
        print(f"| binary {name.split()[0]} | {value:.3g} ({unit}) |")
    for name, value in s.items():
        print(f"| softmax {name} | {value:.3g} |")
    ext = np.array([-1e4, 1e4])
    finite = all(np.all(np.isfinite(a)) for gamma in GAMMAS for dtype in (np.float32, np.float64)
                 for y in (0, 1)
                 for a in FocalLoss(gamma).gradient_hessian(np.full(2, y), ext.astype(dtype)))
    print(f"\nall gradients and Hessians finite at margins +-1e4 (float32, float64): {finite}")


if __name__ == "__main__":
    main()
