"""The verdict of ``boostfocal compare``: the summary table, the tests and the advice.

**Tests** (:mod:`boostfocal.compare._stats`). Every entry is compared with the logistic
baseline by its paired per-fold differences in average precision over all ``r x k``
folds, with the corrected repeated k-fold t-test (Bouckaert and Frank, 2004), and the
p-values of all those comparisons are adjusted together (Holm, 1979). An entry is marked
``*`` (beyond noise) when its adjusted p-value, as printed, is below 0.05; differences
that print as 0.0000 are no difference. Focal gamma=0 without alpha is the logistic loss
itself and is not one of the tests.

**Recommendation.** The best focal entry by mean AP is the best of many, so its lead is
optimistic (the winner's curse). Focal loss is recommended only when a focal entry beats
the logistic objective after the correction; of those that do, the recommendation is the
simplest one (smallest gamma, then alpha=None) whose AP is within noise of the best of
them (uncorrected test), which does not chase the luckiest gamma. Otherwise: keep the
logistic objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._crossval import METRICS, Results
from ._entries import format_gamma
from ._stats import LEVEL, Paired, corrected_test, holm

#: The entries' order of simplicity, for the recommendation: smaller gamma first, then
#: alpha=None before alpha=balanced.
_SIMPLER = ["gamma", "_bal"]


def paired(fold_rows: pd.DataFrame, a: str, b: str,
           metric: str = "average_precision") -> Paired:
    """Corrected repeated k-fold t-test of ``a - b`` over every repeat and fold.

    ``SE = sd(d) * sqrt(1/(r k) + n_test/n_train)`` (Bouckaert and Frank, 2004), ``d`` the
    per-fold differences of the ``r`` repeats of ``k`` folds, ``n_test/n_train`` the mean
    size ratio of a fold's test and training parts; ``r k - 1`` degrees of freedom.
    """
    keys = ["repeat", "fold"] if "repeat" in fold_rows.columns else ["fold"]
    rows_a = fold_rows[fold_rows["entry"] == a].set_index(keys)
    rows_b = fold_rows[fold_rows["entry"] == b].set_index(keys)
    d = (rows_a[metric] - rows_b[metric]).to_numpy()
    ratio = float((rows_a["n_test"] / rows_a["n_train"]).mean())
    return corrected_test(d, ratio)


def is_logistic_itself(kind: str, gamma: Any, alpha: Any) -> bool:
    """Focal gamma=0 without alpha: the logistic loss itself, no alternative to it."""
    return kind == "focal" and float(gamma) == 0.0 and alpha != "balanced"  # None or NaN


def tests_vs_logistic(results: Results) -> dict[str, Paired]:
    """Every entry against the logistic baseline, Holm-adjusted as one family.

    Focal gamma=0 without alpha, the logistic loss itself, is tested alone (it is no
    alternative, and its "difference" is rounding).
    """
    fr = results.fold_rows
    family, alone = {}, {}
    for entry in results.entries:
        if entry.kind == "logistic":
            continue
        test = paired(fr, entry.name, "logistic")
        if is_logistic_itself(entry.kind, entry.gamma, entry.alpha):
            alone[entry.name] = test
        else:
            family[entry.name] = test
    adjusted = holm(family) if family else {}
    return {e.name: adjusted.get(e.name, alone.get(e.name)) for e in results.entries
            if e.kind != "logistic"}


def summarize(results: Results, tests: dict[str, Paired] | None = None) -> pd.DataFrame:
    """One row per entry: mean and std over folds of every metric, fit time and rounds.

    Also the paired AP difference against the logistic baseline (``ap_diff``,
    ``ap_diff_se``, ``ap_diff_p`` (Holm-adjusted), ``within_noise``, and
    ``ap_diff_shown``: the table's text for it).
    """
    tests = tests_vs_logistic(results) if tests is None else tests
    rows = []
    fr = results.fold_rows
    for entry in results.entries:
        part = fr[fr["entry"] == entry.name]
        row: dict[str, Any] = {"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                               "alpha": entry.alpha}
        for m in (*METRICS, "fit_seconds", "rounds"):
            row[f"{m}_mean"] = float(part[m].mean())
            row[f"{m}_std"] = float(part[m].std(ddof=1)) if len(part) > 1 else 0.0
        if entry.kind == "logistic":
            row.update(ap_diff=0.0, ap_diff_se=0.0, ap_diff_p=1.0,
                       ap_diff_shown="reference", within_noise=True)
        else:
            p = tests[entry.name]
            row.update(ap_diff=p.diff, ap_diff_se=p.se, ap_diff_p=p.p_shown,
                       ap_diff_shown=p.describe(), within_noise=p.within_noise)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Verdict:
    """The best focal entry, the recommended entry and the advice, as text and as data.

    ``recommended`` is the entry to use: ``"logistic"`` or a focal entry.
    """

    best: str
    best_gamma: float
    best_alpha: str | None
    best_line: str
    recommendation: str
    vs_logistic: Paired
    gammas_within_noise: list[float]
    best_overall: str
    recommended: str = "logistic"
    n_tests: int = 0


def _label(row: pd.Series) -> str:
    balanced = row["alpha"] == "balanced"
    return f"gamma={format_gamma(row['gamma'])}" + (", alpha=balanced" if balanced else "")


def _test_text(test: Paired, n_tests: int) -> str:
    return (f"{test.diff:+.4f} AP vs the logistic objective ({abs(test.t):.1f} SE, "
            f"p={test.p_shown:.3f} after the correction for {n_tests} comparisons)")


def _recommend(focal: pd.DataFrame, tests: dict[str, Paired], fr: pd.DataFrame,
               n_tests: int) -> tuple[str, str]:
    """The recommended entry and the recommendation's text (without its prefix)."""
    best = focal.iloc[0]
    winners = focal[[not tests[n].within_noise and tests[n].diff > 0
                     for n in focal["entry"]]]
    if winners.empty:
        test = tests[str(best["entry"])]
        where = ("behind it beyond noise" if not test.within_noise
                 else "ahead of it only within noise" if test.diff > 0
                 else "behind it, within noise")
        return "logistic", (
            f"keep the logistic objective: no focal entry beats it after the correction "
            f"for testing {n_tests} entries at once. The best one by mean AP, focal "
            f"{_label(best)}, is {where}: {_test_text(test, n_tests)}; as the best of "
            f"{len(focal)} it looks better than it is.")
    top = winners.iloc[0]
    close = [r for _, r in winners.sort_values(_SIMPLER, kind="stable").iterrows()
             if r["entry"] == top["entry"]
             or paired(fr, str(top["entry"]), str(r["entry"])).p >= LEVEL]
    chosen = close[0]
    name = str(chosen["entry"])
    what = " (class weighting by alpha, no focusing)" if float(chosen["gamma"]) == 0 else ""
    text = (f"use focal loss with {_label(chosen)}{what}: "
            f"{_test_text(tests[name], n_tests)}, beyond noise.")
    if name != top["entry"]:
        text += (f" It is the simplest of the entries that beat the logistic objective "
                 f"and are within noise of the best of them, focal {_label(top)} "
                 f"({tests[str(top['entry'])].diff:+.4f}): the best of several is "
                 "optimistic.")
    return name, text


def verdict(results: Results, summary: pd.DataFrame,
            tests: dict[str, Paired] | None = None) -> Verdict | None:
    """Pick the best focal entry, test it, and recommend an entry (see the module).

    Returns None when no focal entry other than gamma=0 without alpha ran.
    """
    tests = tests_vs_logistic(results) if tests is None else tests
    focal = summary[[k == "focal" and not is_logistic_itself(k, g, a) for k, g, a in
                     zip(summary["kind"], summary["gamma"], summary["alpha"], strict=True)]]
    if focal.empty:
        return None
    # highest mean AP first; ties go to the smaller gamma, then alpha=None
    focal = focal.assign(_bal=focal["alpha"].notna()).sort_values(
        ["average_precision_mean", *_SIMPLER], ascending=[False, True, True],
        kind="stable")
    best = focal.iloc[0]
    name, gamma = str(best["entry"]), float(best["gamma"])
    balanced = best["alpha"] == "balanced"
    n_tests = sum(p.p_adjusted is not None for p in tests.values())
    recommended, text = _recommend(focal, tests, results.fold_rows, n_tests)
    fr = results.fold_rows
    same_alpha = focal[focal["_bal"] == balanced]
    close = sorted(float(r["gamma"]) for _, r in same_alpha.iterrows()
                   if r["entry"] == name or paired(fr, name, str(r["entry"])).p >= LEVEL)
    alpha_text = "alpha=balanced" if balanced else "alpha=None"
    best_line = (f"Best gamma by mean average precision: {format_gamma(gamma)} "
                 f"({alpha_text}), AP {best['average_precision_mean']:.4f} "
                 f"± {best['average_precision_std']:.4f}")
    if len(same_alpha) > 1 and len(close) > 1:
        text += (f" Gammas {', '.join(format_gamma(g) for g in close)} ({alpha_text}) are "
                 "within noise of the best.")
    others = [n for n, p in tests.items() if p.p_adjusted is not None and
              not p.within_noise and p.diff > 0 and not n.startswith("focal")]
    if others:
        text += (f" Also beyond noise above the logistic objective: {', '.join(others)}.")
    overall = summary.sort_values("average_precision_mean", ascending=False,
                                  kind="stable").iloc[0]["entry"]
    return Verdict(name, gamma, "balanced" if balanced else None, best_line,
                   "Recommendation: " + text, tests[name], close, str(overall),
                   recommended, n_tests)
