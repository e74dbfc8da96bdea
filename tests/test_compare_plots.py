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
