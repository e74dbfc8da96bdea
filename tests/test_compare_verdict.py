"""`boostfocal compare`'s verdict: the tests against logistic, the summary and the advice.

Per-fold results are made up (folds of 800/200 rows), so no booster runs here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from boostfocal.compare import _crossval, _entries, _stats, _verdict

BASE = [0.50, 0.52, 0.48, 0.51, 0.49]


def _entry(name: str) -> _entries.Entry:
    if name == "logistic":
        return _entries.Entry("logistic")
    gamma, _, alpha = name.partition("/")
    return _entries.Entry("focal", float(gamma), alpha == "balanced")


def _fake_results(ap: dict[str, list[float]]) -> _crossval.Results:
    """Results with given per-fold AP (repeat after repeat, 5 folds each) of 800/200 rows;
    other metrics constant."""
    entries, rows = [], []
    for name, values in ap.items():
        entry = _entry(name)
        entries.append(entry)
        for i, value in enumerate(values):
            rows.append({"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                         "alpha": entry.alpha, "repeat": i // 5 + 1, "fold": i % 5 + 1,
                         "average_precision": value, "roc_auc": 0.9, "log_loss": 0.1,
                         "brier": 0.02, "fit_seconds": 1.0, "rounds": 100,
                         "n_train": 800, "n_test": 200})
    return _crossval.Results(entries, pd.DataFrame(rows), {}, [])


def test_paired_test_is_the_corrected_repeated_kfold_test():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.45, 0.55, 15)
    d = rng.normal(0.01, 0.01, 15)
    res = _fake_results({"logistic": list(base), "2": list(base + d)})  # 3 repeats
    p = _verdict.paired(res.fold_rows, "focal gamma=2", "logistic")
    se = d.std(ddof=1) * np.sqrt(1 / 15 + 200 / 800)  # Bouckaert & Frank, r k = 15
    assert p.diff == pytest.approx(d.mean())
    assert p.se == pytest.approx(se)
    assert p.df == 14
    assert p.p == pytest.approx(2 * stats.t.sf(abs(d.mean()) / se, 14))


def test_pairs_by_repeat_and_fold():
    """Rows of the same fold number in different repeats are different folds."""
    res = _fake_results({"logistic": BASE + BASE[::-1], "2": [v + 0.01 for v in BASE]
                         + [v - 0.01 for v in BASE[::-1]]})
    p = _verdict.paired(res.fold_rows, "focal gamma=2", "logistic")
    assert p.diff == pytest.approx(0.0, abs=1e-12)
    assert p.df == 9


def test_focal_is_recommended_only_beyond_noise_after_the_correction():
    """Gamma 2 is ahead by 0.03 on every fold but one: beyond noise even after Holm."""
    res = _fake_results({"logistic": BASE, "0": BASE,
                         "2": [0.53, 0.55, 0.51, 0.54, 0.53],
                         "2/balanced": [0.49, 0.52, 0.47, 0.52, 0.49]})
    summary = _verdict.summarize(res)
    v = _verdict.verdict(res, summary)
    assert v.best == "focal gamma=2" and v.recommended == "focal gamma=2"
    assert v.n_tests == 2  # gamma=0 without alpha is the logistic loss: not tested
    assert v.recommendation.startswith("Recommendation: use focal loss with gamma=2: ")
    assert "after the correction for 2 comparisons" in v.recommendation
    row = summary.set_index("entry").loc["focal gamma=2"]
    assert row["ap_diff_shown"].endswith("*") and not row["within_noise"]
    assert summary.set_index("entry").loc["focal gamma=0", "ap_diff_shown"] == "identical"


def test_holm_takes_back_a_star_that_one_test_alone_would_give():
    """One entry at p ~ 0.02 alone; with ten more entries that do nothing it is noise."""
    ahead = [b + d for b, d in zip(BASE, [0.02, 0.035, 0.01, 0.03, 0.015], strict=True)]
    alone = _fake_results({"logistic": BASE, "2": ahead})
    test = _verdict.tests_vs_logistic(alone)["focal gamma=2"]
    assert test.p_shown < 0.05 and not test.within_noise
    rng = np.random.default_rng(1)
    many = {"logistic": BASE, "2": ahead}
    for g in (0.5, 1, 3, 4, 5, 6, 7, 8, 9, 10):
        many[str(g)] = list(np.array(BASE) + rng.normal(0, 0.02, 5))
    res = _fake_results(many)
    v = _verdict.verdict(res, _verdict.summarize(res))
    assert _verdict.tests_vs_logistic(res)["focal gamma=2"].within_noise
    assert v.recommended == "logistic"
    assert v.recommendation.startswith("Recommendation: keep the logistic objective: no focal "
                                       "entry beats it after the correction for testing 11 "
                                       "entries at once.")


def test_the_simplest_winner_within_noise_of_the_best_is_recommended():
    """Gammas 1 and 5 both beat logistic; 5 is ahead of 1 by less than noise: gamma 1."""
    res = _fake_results({"logistic": BASE,
                         "1": [0.54, 0.56, 0.52, 0.555, 0.53],
                         "5": [0.545, 0.56, 0.53, 0.55, 0.54]})
    v = _verdict.verdict(res, _verdict.summarize(res))
    assert v.best == "focal gamma=5"
    assert v.recommended == "focal gamma=1"
    assert "It is the simplest of the entries that beat the logistic objective" in \
        v.recommendation
    assert "focal gamma=5 (+0.0" in v.recommendation


def test_a_clearly_better_larger_gamma_is_kept():
    """Gamma 5 is ahead of gamma 1 on every fold, by much more than the spread."""
    res = _fake_results({"logistic": BASE,
                         "1": [0.53, 0.55, 0.51, 0.54, 0.52],
                         "5": [0.60, 0.62, 0.58, 0.61, 0.59]})
    v = _verdict.verdict(res, _verdict.summarize(res))
    assert v.recommended == "focal gamma=5"
    assert "simplest" not in v.recommendation


def test_verdict_says_within_noise():
    res = _fake_results({"logistic": BASE,
                         "1": [0.52, 0.50, 0.49, 0.50, 0.51],
                         "2": [0.51, 0.53, 0.47, 0.52, 0.49],
                         "2/balanced": [0.45, 0.47, 0.44, 0.46, 0.44]})
    summary = _verdict.summarize(res)
    v = _verdict.verdict(res, summary)
    assert v.best == "focal gamma=2" and v.recommended == "logistic"
    assert "is ahead of it only within noise" in v.recommendation
    assert "Gammas 1, 2 (alpha=None) are within noise of the best" in v.recommendation
    row = summary.set_index("entry").loc["focal gamma=2, alpha=balanced"]
    assert row["ap_diff"] < 0


@pytest.mark.parametrize("test,shown,within", [
    (_stats.Paired(0.0, 0.0), "identical", True),
    (_stats.Paired(0.00003, 0.00001, 4), "0.0000 (negligible)", True),  # 3 SE, but nothing
    (_stats.Paired(-0.00004, 0.0, 4), "0.0000 (negligible)", True),
    (_stats.Paired(0.03, 0.01, 14, 0.0496), "+0.0300 (3.0 SE, p=0.050)", True),
    (_stats.Paired(0.03, 0.01, 14, 0.0494), "+0.0300 (3.0 SE, p=0.049) *", False),
    (_stats.Paired(-0.03, 0.01, 14, 0.2), "-0.0300 (3.0 SE, p=0.200)", True),
    (_stats.Paired(0.01, 0.0, 4), "+0.0100 (no spread, p=0.000) *", False),
])
def test_differences_print_as_they_are_judged(test, shown, within):
    """The mark goes with the p-value as printed (three decimals)."""
    assert test.describe() == shown
    assert test.within_noise is within


def test_gamma_0_without_alpha_is_never_the_recommendation():
    """It is the logistic loss: the best gamma > 0 is named instead."""
    res = _fake_results({"logistic": BASE, "0": BASE,
                         "2": [0.49, 0.50, 0.47, 0.51, 0.48]})
    summary = _verdict.summarize(res)
    v = _verdict.verdict(res, summary)
    assert v.best == "focal gamma=2" and v.recommended == "logistic"
    from boostfocal.compare import _plots as _compare_plots
    assert _compare_plots._best_focal(summary, False) == "focal gamma=2"
    assert _compare_plots._best_focal(summary, None) == "focal gamma=2"
