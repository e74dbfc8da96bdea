"""
The focal loss, its gradient and the curvature handed to the booster
====================================================================

Every curve is computed with :class:`boostfocal.FocalLoss` (``loss`` and
``gradient_hessian``), not re-derived here. For one positive example (``y = 1``) the
margin is ``u = z`` and ``p_t = sigmoid(z)``:

- (a) the loss ``(1 - p_t)^gamma (-log p_t)`` for gamma in {0, 0.5, 1, 2, 5};
- (b) ``|dL/dz|``, the gradient with respect to the raw margin (what the booster sees);
- (c) the exact Hessian against the majorizer (the default) and the ``1e-6`` floor for
  gamma = 2, against the margin; the exact Hessian is negative below ``u = -2.79``
  (``p_t < 0.058``), where a Newton step would flip or blow up;
- (d) the same for gamma 1, 2 and 5, each normalized by its largest value.

Run as a script, ``python examples/plot_focal_loss.py --out docs/focal_loss.png``
writes the figure that the README shows.
"""

import argparse
import sys

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import brentq

from boostfocal import FocalLoss

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)


def curves(gamma: float, z: np.ndarray, hessian: str = "majorizer"):
    loss = FocalLoss(gamma, hessian=hessian)
    y = np.ones_like(z)
    grad, hess = loss.gradient_hessian(y, z)
    return loss.loss(y, z), grad, hess


def negative_threshold(gamma: float) -> float:
    """Margin below which the exact Hessian of a positive is negative (root search)."""
    def h(u):
        return float(curves(gamma, np.array([u]), "exact")[2][0])
    return brentq(h, -10.0, 0.0, xtol=1e-10)


# %%
# The four panels
# ----------------

p_t = np.linspace(1e-3, 1 - 1e-3, 1000)
z_p = np.log(p_t) - np.log1p(-p_t)  # margin of a positive with this p_t
z = np.linspace(-8.0, 5.0, 1301)
colors = dict(zip(GAMMAS, plt.cm.viridis(np.linspace(0, 0.9, len(GAMMAS))), strict=True))

fig, axes = plt.subplots(2, 2, figsize=(11, 8.2))
(ax_l, ax_g), (ax_h, ax_n) = axes

for gamma in GAMMAS:
    value, grad, _ = curves(gamma, z_p)
    label = f"γ = {gamma:g}" + (" (logistic)" if gamma == 0 else "")
    ax_l.plot(p_t, value, color=colors[gamma], label=label)
    ax_g.plot(p_t, np.abs(grad), color=colors[gamma], label=label)
ax_l.set(xlabel="$p_t$ (probability of the true class)", ylabel="loss",
         title="(a) focal loss $-(1-p_t)^\\gamma \\log p_t$", ylim=(0, 4), xlim=(0, 1))
top = max(np.abs(curves(g, z_p)[1]).max() for g in GAMMAS)
ax_g.set(xlabel="$p_t$", ylabel="|dL/dz|", xlim=(0, 1), ylim=(0, 1.05 * top),
         title="(b) |gradient| with respect to the margin")
ax_l.legend(frameon=False)
ax_g.legend(frameon=False)

gamma = 2.0
_, _, h_exact = curves(gamma, z, "exact")
_, _, h_major = curves(gamma, z, "majorizer")
_, _, h_floor = curves(gamma, z, "floor")
u0 = negative_threshold(gamma)
ax_h.axhline(0, color="0.6", lw=0.8)
ax_h.axvspan(z[0], u0, color="tab:red", alpha=0.08)
ax_h.plot(z, h_exact, color="tab:red", label="exact")
ax_h.plot(z, h_major, color="tab:blue", ls="--",
          label="majorizer (default):\nmax(exact, $(1-p_t)^\\gamma p_t(1-p_t)$)")
ax_h.plot(z, h_floor, color="0.3", ls=":", label="floor: max(exact, 1e-6)")
ax_h.annotate(f"negative curvature\nu < {u0:.2f}  ($p_t$ < {1 / (1 + np.exp(-u0)):.3f})",
              xy=(u0, 0), xytext=(-7.8, 0.2), color="tab:red", fontsize=9,
              arrowprops=dict(arrowstyle="->", color="tab:red"))
ax_h.set(xlabel="margin u = s·z (log-odds of the true class)", ylabel="d²L/dz²",
         title=f"(c) curvature handed to the booster, γ = {gamma:g}", xlim=(z[0], z[-1]),
         ylim=(1.9 * h_exact.min(), 1.1 * h_major.max()))
ax_h.legend(frameon=False, fontsize=8.5, loc="upper left")

ax_n.axhline(0, color="0.6", lw=0.8)
for gamma in (1.0, 2.0, 5.0):
    _, _, h_exact = curves(gamma, z, "exact")
    _, _, h_major = curves(gamma, z, "majorizer")
    scale = h_major.max()
    ax_n.plot(z, h_exact / scale, color=colors[gamma], label=f"γ = {gamma:g} exact")
    ax_n.plot(z, h_major / scale, color=colors[gamma], ls="--",
              label=f"γ = {gamma:g} majorizer")
    u0 = negative_threshold(gamma)
    ax_n.plot([u0], [0], "o", color=colors[gamma], ms=4)
ax_n.set(xlabel="margin u", ylabel="Hessian / max(majorizer)", xlim=(z[0], z[-1]),
         title="(d) exact (solid) vs majorizer (dashed); dots: sign change")
ax_n.legend(frameon=False, fontsize=8.5, ncol=1, loc="upper left")
ax_n.set_ylim(-0.25, 1.05)

fig.suptitle("Binary focal loss for one positive example, computed with boostfocal.FocalLoss",
             fontsize=12)
fig.tight_layout()
parser = argparse.ArgumentParser(description="Plot focal loss, gradient and Hessian policies")
parser.add_argument("--out", help="write the figure to this file (e.g. docs/focal_loss.png)")
parser.add_argument("--dpi", type=int, default=110)
args = parser.parse_args(sys.argv[1:])
if args.out:
    fig.savefig(args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
else:
    plt.show()
