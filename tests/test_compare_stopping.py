"""`boostfocal compare --early-stopping`: one held-out set per fold, one metric for all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from boostfocal.compare import _crossval, _data, _entries, _stopping
from boostfocal.compare.cli import main

pytest.importorskip("xgboost")


def _data_set(n: int = 900, classes: int = 2, seed: int = 0) -> _data.Data:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    z = X[:, 0] + 0.5 * X[:, 1] + 0.7 * rng.normal(size=n)
    y = (z > 1.2).astype(np.int64) if classes == 2 else np.digitize(z, [0.0, 1.0])
    return _data.Data(pd.DataFrame(X, columns=[f"f{i}" for i in range(4)]),
                      y.astype(np.int64), [str(c) for c in range(classes)])


def test_held_out_rows_are_a_seeded_stratified_tenth():
    y = (np.arange(1000) % 8 == 0).astype(np.int64)
    fit, stop = _stopping.held_out(y, 0, 1, 1)
    assert len(stop) == 100 and y[stop].sum() in (12, 13)
    assert np.intersect1d(fit, stop).size == 0 and len(fit) + len(stop) == 1000
    again = _stopping.held_out(y, 0, 1, 1)
    np.testing.assert_array_equal(stop, again[1])
    for other in [(1, 1, 1), (0, 2, 1), (0, 1, 2)]:
        assert not np.array_equal(stop, _stopping.held_out(y, *other)[1])


class _Recorder:
    """Wraps an estimator; records the rows of its training and stopping sets."""

    seen: list = []

    def __init__(self, entry, model):
        self.entry, self.model = entry, model

    def set_params(self, **params):
        self.model.set_params(**params)
        return self

    def fit(self, X, y, **kwargs):
        X_stop = kwargs["eval_X"][0] if "eval_X" in kwargs else kwargs["eval_set"][0][0]
        _Recorder.seen.append((self.entry.name, tuple(X.index), tuple(X_stop.index)))
        self.model.fit(X, y, **kwargs)
        return self

    def __getattr__(self, name):
        return getattr(self.model, name)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_every_entry_of_a_fold_stops_on_the_same_rows(monkeypatch, backend):
    if backend == "lightgbm":
        pytest.importorskip("lightgbm")
    real_build = _entries.build

    def build(entry, *args, **kwargs):
        model, fit_kwargs = real_build(entry, *args, **kwargs)
        return _Recorder(entry, model), fit_kwargs

    monkeypatch.setattr(_entries, "build", build)
    _Recorder.seen = []
    data = _data_set()
    entries = _entries.make_entries(2, [0.0, 2.0], True)
    settings = _crossval.Settings(backend=backend, folds=3, repeats=2, n_estimators=60,
                                  early_stopping=5)
    results = _crossval.run(data, entries, settings)
    splits = _crossval.splits(data.y, settings)
    assert len(_Recorder.seen) == len(entries) * len(splits)
    by_fold: dict = {}
    for name, fit_rows, stop_rows in _Recorder.seen:
        by_fold.setdefault((fit_rows, stop_rows), set()).add(name)
    # one (fit, stop) pair per fold, shared by every entry
    assert len(by_fold) == len(splits)
    assert all(names == {e.name for e in entries} for names in by_fold.values())
    for split in splits:
        stop = set(split.stop)
        assert stop.isdisjoint(split.test) and stop.isdisjoint(split.fit)
        assert (tuple(split.fit), tuple(split.stop)) in by_fold
        assert abs(len(stop) - 0.1 * split.n_train) <= 2
    rows = results.fold_rows
    assert rows["rounds"].between(1, 60).all()
    assert rows["rounds"].lt(60).any()  # some fit stopped before the ceiling
    assert (rows["n_train"] + rows["n_test"] == len(data.y)).all()


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("kind,gamma,balanced,classes", [
    ("logistic", None, False, 2), ("weighted", None, False, 2), ("focal", 2.0, True, 2),
    ("ghm", None, False, 2), ("focal", 1.0, False, 3), ("logistic", None, False, 3)])
def test_the_stopping_metric_is_the_log_loss_of_predict_proba(backend, kind, gamma,
                                                              balanced, classes):
    """The metric the booster stopped on, at the best round, is the log-loss of the
    fitted model's predict_proba on the held-out rows: for every kind of entry."""
    if backend == "lightgbm":
        pytest.importorskip("lightgbm")
    data = _data_set(classes=classes)
    entry = _entries.Entry(kind, gamma, balanced)
    fit, stop = _stopping.held_out(data.y, 0, 1, 1)
    params = _entries.booster_params(backend, 80, 0.3, 0, 1, False)
    model, fit_kwargs = _entries.build(entry, backend, data.y[fit], classes, params)
    X_stop, y_stop = data.X.iloc[stop], data.y[stop]
    fit_kwargs.update(_stopping.stopping_kwargs(model, entry, backend, data.y[fit], classes,
                                                X_stop, y_stop, 5))
    model.fit(data.X.iloc[fit], data.y[fit], **fit_kwargs)
    rounds = _stopping.rounds_used(model, backend, 80)
    history = (model.evals_result()["validation_0"] if backend == "xgboost"
               else model.evals_result_["valid_0"])[_stopping.METRIC_NAME]
    assert rounds < 80  # a learning rate of 0.3 overfits these 800 rows: it stopped
    assert history[rounds - 1] == pytest.approx(min(history), rel=1e-6)
    proba = np.asarray(model.predict_proba(X_stop), dtype=np.float64)
    expected = log_loss(y_stop, proba / proba.sum(axis=1, keepdims=True),
                        labels=np.arange(classes))
    assert history[rounds - 1] == pytest.approx(expected, rel=1e-5)
    if kind in ("focal", "ghm"):  # the metric's loss is the estimator's own
        assert _stopping.entry_loss(entry, data.y[fit], classes) == model.loss_


def test_early_stopping_on_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 500
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + 0.6 * rng.normal(size=n) > 1.0, "yes", "no")
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y}).to_csv(path, index=False)
    code = main(["compare", str(path), "--target", "y", "--out", str(tmp_path / "out"),
                 "--folds", "2", "--repeats", "2", "--gammas", "2", "--n-estimators", "150",
                 "--learning-rate", "0.3", "--early-stopping", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "up to 150 trees (early stopping after 5 rounds without improvement)" in out
    assert "early stopping on the log-loss of the predicted probabilities" in out
    assert out.split("\n\n")[1].splitlines()[0].split()[-1] == "rounds"
    folds = pd.read_csv(tmp_path / "out" / "run-001" / "folds.csv")
    assert folds["rounds"].between(1, 150).all() and folds["rounds"].lt(150).all()
    report = (tmp_path / "out" / "run-001" / "report.html").read_text()
    assert "Rounds each fit used (early stopping)" in report
    assert "log-loss of the predicted probabilities" in report


def test_too_few_rows_to_hold_out_is_one_line_before_training(tmp_path, capsys):
    """A class with 2 rows: 1 per training fold of 2 folds, which cannot be on both sides
    of a stratified hold-out."""
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 38 + ["b"] * 2})
    frame.to_csv(tmp_path / "few.csv", index=False)
    code = main(["compare", str(tmp_path / "few.csv"), "--target", "y", "--folds", "2",
                 "--early-stopping", "5", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("boostfocal compare: error: --early-stopping holds out "
                                   "10% of each training fold")
    assert len(captured.err.splitlines()) == 1
    assert captured.out == ""  # before the header, before any training
    assert not (tmp_path / "out").exists()
