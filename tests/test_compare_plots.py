"""`boostfocal compare`'s figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boostfocal.compare import _data, _verdict


def test_reliability_legend_explains_hollow_markers(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    from boostfocal.compare import _plots as _compare_plots

    labels = []
    real_legend = Axes.legend

    def legend(self, *args, **kwargs):
        labels.extend(args[1] if len(args) > 1 else [])
        return real_legend(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", legend)
    rng = np.random.default_rng(0)
    y = (np.arange(600) % 10 == 0).astype(np.int64)
    # confident and right at both ends: the extreme bins are observed at 0% and 100%
    p = np.where(y == 1, rng.uniform(0.97, 0.999, 600), rng.uniform(0.001, 0.03, 600))
    p[:60] = rng.uniform(0.2, 0.6, 60)
    proba = np.column_stack([1 - p, p])
    data = _data.Data(pd.DataFrame({"x": p}), y, ["0", "1"])
    verdict = _verdict.Verdict("focal gamma=2", 2.0, None, "", "", _verdict.Paired(0, 0),
                               [2.0], "focal gamma=2")
    path = _compare_plots.plot_reliability(tmp_path / "r.png", data,
                                           {"logistic": proba, "focal gamma=2": proba},
                                           verdict, "test")
    assert path.stat().st_size > 10_000
    assert "hollow: bin observed at 0% or 100%, drawn on the edge" in labels


def _run(tmp_path):
    """A small cross-validation (2 repeats of 3 folds) of three entries."""
    from boostfocal.compare import _crossval, _entries

    rng = np.random.default_rng(0)
    n = 900
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + 0.7 * rng.normal(size=n) > 1.3).astype(np.int64)
    data = _data.Data(pd.DataFrame(x, columns=["f0", "f1", "f2"]), y, ["0", "1"])
    entries = [_entries.Entry("logistic"), _entries.Entry("focal", 0.0),
               _entries.Entry("focal", 2.0), _entries.Entry("focal", 2.0, True)]
    results = _crossval.run(data, entries, _crossval.Settings(folds=3, repeats=2,
                                                              n_estimators=20))
    tests = _verdict.tests_vs_logistic(results)
    summary = _verdict.summarize(results, tests)
    return data, results, tests, summary, _verdict.verdict(results, summary, tests)


def _legend_labels(monkeypatch) -> list:
    from matplotlib.axes import Axes

    labels = []
    real_legend = Axes.legend

    def legend(self, *args, **kwargs):
        handles_labels = self.get_legend_handles_labels()[1] if not args else args[1]
        labels.extend(handles_labels)
        return real_legend(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", legend)
    return labels


def test_the_pr_legend_gives_the_tables_average_precision(tmp_path, monkeypatch):
    """Not the pooled AP of the curve: the mean over folds that the table shows."""
    pytest.importorskip("matplotlib")
    from boostfocal.compare import _plots as _compare_plots

    data, results, tests, summary, verdict = _run(tmp_path)
    labels = _legend_labels(monkeypatch)
    _compare_plots.plot_pr_curves(tmp_path / "pr.png", data, results.oof, summary, "t")
    table = summary.set_index("entry")["average_precision_mean"]
    shown = [label for label in labels if label.startswith(("logistic", "focal"))]
    assert shown
    for label in shown:
        name, _, ap = label.rpartition(" (AP ")
        assert ap == f"{table[name]:.4f})"


def test_reliability_bins_count_every_row_once(tmp_path):
    pytest.importorskip("matplotlib")
    from boostfocal.compare import _plots as _compare_plots

    data, results, tests, summary, verdict = _run(tmp_path)
    curves = _compare_plots._reliability_curves(
        data, results.oof, [("logistic", "black", "s"), (verdict.best, "tab:orange", "o")],
        15)
    for _, _, _, _, ys, (lo, hi), n in curves:
        assert n.sum() == len(data.y)  # the first repeat: every row in exactly one bin
        assert (n >= 30).all()
        assert np.all((lo <= ys + 1e-12) & (ys <= hi + 1e-12))
        assert np.all((0 <= lo) & (hi <= 1))
    path = _compare_plots.plot_reliability(tmp_path / "r.png", data, results.oof, verdict,
                                           "t", summary=summary)
    assert path.stat().st_size > 10_000


def test_the_differences_figure_marks_what_the_table_marks(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    from boostfocal.compare import _plots as _compare_plots

    data, results, tests, summary, verdict = _run(tmp_path)
    ticks = []
    real = Axes.set_yticks

    def set_yticks(self, positions, labels=None, **kwargs):
        ticks.extend(labels or [])
        return real(self, positions, labels, **kwargs)

    monkeypatch.setattr(Axes, "set_yticks", set_yticks)
    path = _compare_plots.plot_ap_differences(tmp_path / "d.png", summary, results.fold_rows,
                                              tests, "t")
    assert path.stat().st_size > 5_000
    marked = {t.removesuffix(" *") for t in ticks if t.endswith(" *")}
    assert marked == {n for n, row in summary.set_index("entry").iterrows()
                      if str(row["ap_diff_shown"]).endswith("*")}
    assert {t.removesuffix(" *") for t in ticks} == set(summary["entry"]) - {"logistic"}
