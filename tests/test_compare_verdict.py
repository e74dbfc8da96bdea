"""`boostfocal compare`'s verdict: the noise rule, the summary and the recommendation.

Per-fold results are made up (five folds of 800/200 rows), so no booster runs here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boostfocal.compare import _crossval, _entries, _verdict


def _fake_results(ap: dict[str, list[float]]) -> _crossval.Results:
    """Results with given per-fold AP, 5 folds of 800/200 rows; other metrics constant."""
    entries, rows = [], []
    for name, values in ap.items():
        if name == "logistic":
            entry = _entries.Entry("logistic")
        else:
            gamma, _, alpha = name.partition("/")
            entry = _entries.Entry("focal", float(gamma), alpha == "balanced")
        entries.append(entry)
        for fold, value in enumerate(values, 1):
            rows.append({"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                         "alpha": entry.alpha, "fold": fold, "average_precision": value,
                         "roc_auc": 0.9, "log_loss": 0.1, "brier": 0.02, "fit_seconds": 1.0,
                         "n_train": 800, "n_test": 200})
    return _crossval.Results(entries, pd.DataFrame(rows), {}, [])


def test_paired_standard_error_is_nadeau_bengio_corrected():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "2": [0.53, 0.54, 0.52, 0.52, 0.54]})
    p = _verdict.paired(res.fold_rows, "focal gamma=2", "logistic")
    d = np.array([0.03, 0.02, 0.04, 0.01, 0.05])
    assert p.diff == pytest.approx(d.mean())
    assert p.se == pytest.approx(d.std(ddof=1) * np.sqrt(1 / 5 + 200 / 800))
    assert not p.within_noise
    assert _verdict.Paired(0.01, 0.006).within_noise
    assert not _verdict.Paired(-0.013, 0.006).within_noise


def test_verdict_recommends_focal_when_beyond_noise():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "0": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "2": [0.53, 0.54, 0.52, 0.52, 0.54]})
    v = _verdict.verdict(res, _verdict.summarize(res))
    assert v.best == "focal gamma=2" and v.best_gamma == 2.0 and v.best_alpha is None
    assert v.recommendation.startswith("Recommendation: use focal loss with gamma=2")
    assert "beyond fold-to-fold noise" in v.recommendation
    assert v.gammas_within_noise == [2.0]


def test_verdict_says_within_noise():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "1": [0.52, 0.50, 0.49, 0.50, 0.51],
                         "2": [0.51, 0.53, 0.47, 0.52, 0.49],
                         "2/balanced": [0.45, 0.47, 0.44, 0.46, 0.44]})
    summary = _verdict.summarize(res)
    v = _verdict.verdict(res, summary)
    assert v.best == "focal gamma=2"
    assert "no clear gain" in v.recommendation and "within fold-to-fold noise" in \
        v.recommendation
    assert "Gammas 1, 2 (alpha=None) are within noise of the best" in v.recommendation
    row = summary.set_index("entry").loc["focal gamma=2, alpha=balanced"]
    assert not row["within_noise"] and row["ap_diff"] < 0


@pytest.mark.parametrize("diff,se,shown,within", [
    (0.0, 0.0, "identical", True),
    (0.00003, 0.00001, "0.0000 (negligible)", True),  # 3 SE, but no difference to speak of
    (-0.00004, 0.0, "0.0000 (negligible)", True),
    (0.0196, 0.01, "+0.0196 (2.0 SE) *", False),  # 1.96 SE prints as 2.0: beyond noise
    (-0.0194, 0.01, "-0.0194 (1.9 SE)", True),
    (0.03, 0.01, "+0.0300 (3.0 SE) *", False),
    (0.01, 0.0, "+0.0100 (no spread) *", False),
])
def test_differences_print_as_they_are_judged(diff, se, shown, within):
    p = _verdict.Paired(diff, se)
    assert p.describe() == shown
    assert p.within_noise is within


def test_verdict_when_gamma_0_is_best_names_a_real_alternative():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "0": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "2": [0.49, 0.50, 0.47, 0.51, 0.48]})
    summary = _verdict.summarize(res)
    assert summary.set_index("entry").loc["focal gamma=0", "ap_diff_shown"] == "identical"
    v = _verdict.verdict(res, summary)
    assert v.best == "focal gamma=0"
    assert v.recommendation.startswith(
        "Recommendation: keep the logistic objective: the best gamma is 0, which is the "
        "logistic loss itself; the best gamma > 0, focal gamma=2, is -0.0100 AP")
    from boostfocal.compare import _plots as _compare_plots
    assert _compare_plots._best_focal(summary, False) == "focal gamma=2"
    assert _compare_plots._best_focal(summary, None) == "focal gamma=2"
