"""The verdict of ``boostfocal compare``: the summary table, the noise rule, the advice.

**Noise rule.** Two entries are compared by their paired per-fold differences ``d_f`` in
average precision. The standard error of the mean difference is
``sd(d) * sqrt(1/k + n_test/n_train)``: the Nadeau-Bengio (2003) correction for the
overlap of cross-validation training sets (the plain ``sd/sqrt(k)`` is too small). A
difference is **within noise** when ``|mean(d)| < 2 SE``, judged on the ratio as printed
(rounded to one decimal, so that a printed "2.0 SE" is always beyond noise), and always
when ``|mean(d)| < 0.00005`` (it prints as 0.0000: no difference worth the name, such as
focal gamma=0 against the logistic loss it reproduces). This is a rule of thumb, not a
test: picking the best of many entries is optimistic, so treat a margin just above 2 SE
with care.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._crossval import METRICS, Results
from ._entries import format_gamma

#: Differences smaller than this many (corrected) standard errors are "within noise".
NOISE_SE = 2.0
#: Average-precision differences below this (they print as 0.0000) count as no difference.
NEGLIGIBLE_AP = 5e-5


@dataclass(frozen=True)
class Paired:
    """Paired per-fold comparison of average precision, ``a - b``."""

    diff: float
    se: float

    @property
    def identical(self) -> bool:
        """Every per-fold difference is exactly 0 (the same predictions' scores)."""
        return self.diff == 0.0 and self.se == 0.0

    @property
    def negligible(self) -> bool:
        """``|diff| < NEGLIGIBLE_AP``: it prints as 0.0000 and is no difference."""
        return abs(self.diff) < NEGLIGIBLE_AP

    @property
    def ratio(self) -> float:
        """``|diff| / SE`` rounded to one decimal, as printed (inf when SE is 0).

        The noise rule is decided on this rounded value, so that a printed "2.0 SE" is
        always beyond noise and "1.9 SE" always within.
        """
        if self.se > 0:
            return float(f"{abs(self.diff) / self.se:.1f}")
        return 0.0 if self.diff == 0 else math.inf

    @property
    def within_noise(self) -> bool:
        """Negligible, or ``|diff| / SE`` (rounded to one decimal) below 2."""
        return bool(self.negligible or self.ratio < NOISE_SE)

    def describe(self) -> str:
        """The difference as the table prints it.

        ``+0.0123 (2.4 SE) *``; ``identical``; ``0.0000 (negligible)``;
        ``+0.0100 (no spread) *`` when every fold differs by the same amount.
        """
        if self.identical:
            return "identical"
        if self.negligible:
            return "0.0000 (negligible)"
        ratio = "no spread" if self.se == 0 else f"{self.ratio:.1f} SE"
        mark = "" if self.within_noise else " *"
        return f"{self.diff:+.4f} ({ratio}){mark}"


def paired(fold_rows: pd.DataFrame, a: str, b: str,
           metric: str = "average_precision") -> Paired:
    """Mean paired per-fold difference ``a - b`` and its corrected standard error.

    ``SE = sd(d) * sqrt(1/k + n_test/n_train)`` (Nadeau and Bengio, 2003), with ``d`` the
    per-fold differences, ``k`` the number of folds and ``n_test/n_train`` the mean size
    ratio of a fold's test and training parts.
    """
    rows_a = fold_rows[fold_rows["entry"] == a].set_index("fold")
    rows_b = fold_rows[fold_rows["entry"] == b].set_index("fold")
    d = (rows_a[metric] - rows_b[metric]).to_numpy()
    k = d.shape[0]
    ratio = float((rows_a["n_test"] / rows_a["n_train"]).mean())
    sd = float(np.std(d, ddof=1)) if k > 1 else 0.0
    return Paired(float(np.mean(d)), sd * math.sqrt(1.0 / k + ratio))


def summarize(results: Results) -> pd.DataFrame:
    """One row per entry: mean and std over folds of every metric and the fit time.

    Also the paired AP difference against the logistic baseline (``ap_diff``,
    ``ap_diff_se``, ``within_noise``, and ``ap_diff_shown``: the table's text for it).
    """
    rows = []
    fr = results.fold_rows
    for entry in results.entries:
        part = fr[fr["entry"] == entry.name]
        row: dict[str, Any] = {"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                               "alpha": entry.alpha}
        for m in (*METRICS, "fit_seconds"):
            row[f"{m}_mean"] = float(part[m].mean())
            row[f"{m}_std"] = float(part[m].std(ddof=1)) if len(part) > 1 else 0.0
        if entry.kind == "logistic":
            row.update(ap_diff=0.0, ap_diff_se=0.0, ap_diff_shown="reference",
                       within_noise=True)
        else:
            p = paired(fr, entry.name, "logistic")
            row.update(ap_diff=p.diff, ap_diff_se=p.se, ap_diff_shown=p.describe(),
                       within_noise=p.within_noise)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Verdict:
    """The best focal entry and the recommendation, as text and as data."""

    best: str
    best_gamma: float
    best_alpha: str | None
    best_line: str
    recommendation: str
    vs_logistic: Paired
    gammas_within_noise: list[float]
    best_overall: str


def verdict(results: Results, summary: pd.DataFrame) -> Verdict | None:
    """Pick the best gamma by mean AP and say whether it beats the logistic objective.

    Returns None when no focal entry ran.
    """
    focal = summary[summary["kind"] == "focal"]
    if focal.empty:
        return None
    # highest mean AP; ties go to the smaller gamma, then alpha=None
    ranked = focal.assign(_bal=focal["alpha"].notna()).sort_values(
        ["average_precision_mean", "gamma", "_bal"], ascending=[False, True, True],
        kind="stable")
    best = ranked.iloc[0]
    name, gamma = str(best["entry"]), float(best["gamma"])
    balanced = best["alpha"] == "balanced"
    fr = results.fold_rows
    vs = paired(fr, name, "logistic")
    same_alpha = focal[(focal["alpha"] == "balanced") == balanced]
    close = sorted(float(r["gamma"]) for _, r in same_alpha.iterrows()
                   if r["entry"] == name or paired(fr, name, r["entry"]).within_noise)
    label = f"gamma={format_gamma(gamma)}" + (", alpha=balanced" if balanced else "")
    best_line = (f"Best gamma by mean average precision: {format_gamma(gamma)} "
                 f"({'alpha=balanced' if balanced else 'alpha=None'}), "
                 f"AP {best['average_precision_mean']:.4f} "
                 f"± {best['average_precision_std']:.4f}")
    noise = f"2 SE = {NOISE_SE * vs.se:.4f}"
    if len(same_alpha) < 2:
        gammas_note = ""
    elif len(close) > 1:
        gammas_note = (f" Gammas {', '.join(format_gamma(g) for g in close)} "
                       f"({'alpha=balanced' if balanced else 'alpha=None'}) are within noise "
                       "of the best.")
    else:
        gammas_note = " Every other gamma is behind it beyond noise."
    if gamma == 0 and not balanced:
        # focal gamma=0 without alpha is the logistic loss itself: report the best real
        # alternative instead of comparing the logistic loss with itself
        rec = ("keep the logistic objective: the best gamma is 0, which is the logistic "
               "loss itself")
        focusing = ranked[(ranked["gamma"] > 0) & ~ranked["_bal"]]
        if focusing.empty:
            rec += "."
        else:
            runner = str(focusing.iloc[0]["entry"])
            alt = paired(fr, runner, "logistic")
            where = ("within fold-to-fold noise" if alt.within_noise
                     else "beyond fold-to-fold noise")
            rec += (f"; the best gamma > 0, {runner}, is {alt.diff:+.4f} AP vs the logistic "
                    f"objective, {where} (2 SE = {NOISE_SE * alt.se:.4f}).")
    elif vs.within_noise:
        rec = (f"no clear gain: focal {label} is {vs.diff:+.4f} AP vs the logistic "
               f"objective, within fold-to-fold noise ({noise}); the simpler logistic "
               "objective does as well here." + gammas_note)
    elif vs.diff > 0:
        what = " (class weighting by alpha, no focusing)" if gamma == 0 else ""
        rec = (f"use focal loss with {label}{what}: {vs.diff:+.4f} AP over the logistic "
               f"objective, beyond fold-to-fold noise ({noise})." + gammas_note)
    else:
        rec = (f"keep the logistic objective: the best focal entry, {label}, is "
               f"{vs.diff:+.4f} AP below it, beyond fold-to-fold noise ({noise}).")
    overall = summary.sort_values("average_precision_mean", ascending=False,
                                  kind="stable").iloc[0]["entry"]
    return Verdict(name, gamma, "balanced" if balanced else None, best_line,
                   "Recommendation: " + rec, vs, close, str(overall))
