"""`boostfocal compare --save-model`: the recommended entry, fitted on all rows, to take away."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boostfocal.compare import _data, _model, _table, _verdict
from boostfocal.compare.cli import main

pytest.importorskip("xgboost")

SMALL = ["--folds", "2", "--repeats", "2", "--gammas", "0,2", "--n-estimators", "15"]
ONNX = importlib.util.find_spec("boostfocal.onnx") is not None


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    n = 500
    x = rng.normal(size=(n, 3))
    city = rng.choice(["paris", "lyon", "nice"], n)
    z = x[:, 0] + 0.8 * (city == "nice") + 0.6 * rng.normal(size=n)
    path = tmp_path_factory.mktemp("model") / "churn.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "city": city,
                  "churn": np.where(z > 1.3, "yes", "no")}).to_csv(path, index=False)
    return path


def _recommend(monkeypatch, name: str) -> None:
    """Make the verdict recommend ``name`` (the tests are about what happens next)."""
    real = _verdict._recommend

    def recommend(focal, tests, fold_rows, n_tests):
        real(focal, tests, fold_rows, n_tests)
        return name, f"use {name} (as the test asks)"

    monkeypatch.setattr(_verdict, "_recommend", recommend)


def _features(data_file: Path, doc: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """The table as the model wants it: its columns in order, text as categories."""
    prepared = _data.prepare(_table.read_table(data_file), "churn", 2)
    return prepared.X.set_axis(doc["model"]["features"], axis=1), prepared.y


def _load(doc: dict, folder: Path):
    module, name = doc["model"]["load"][0].split(" import ") if \
        doc["model"]["load"][0].startswith("from ") else (None, None)
    if module is None:  # LightGBM's own classifier: its Booster reads the file
        import lightgbm as lgb

        return lgb.Booster(model_file=str(folder / doc["model"]["file"]))
    cls = getattr(importlib.import_module(module.removeprefix("from ")), name)
    assert cls.__name__ == doc["model"]["estimator"]
    model = cls()
    model.load_model(str(folder / doc["model"]["file"]))
    return model


@pytest.mark.parametrize("backend,entry", [
    ("xgboost", "focal gamma=2, alpha=balanced"), ("xgboost", "logistic"),
    ("lightgbm", "focal gamma=2"), ("lightgbm", "logistic")])
def test_the_saved_model_reloads_through_its_class_and_reproduces_the_entry(
        data_file, tmp_path, capsys, monkeypatch, backend, entry):
    if backend == "lightgbm":
        pytest.importorskip("lightgbm")
    _recommend(monkeypatch, entry)
    code = main(["compare", str(data_file), "--target", "churn", "--out", str(tmp_path),
                 "--backend", backend, "--save-model", *SMALL])
    out = capsys.readouterr().out
    assert code == 0
    run = tmp_path / "run-001"
    doc = json.loads((run / "results.json").read_text())
    model = doc["model"]
    assert model["entry"] == entry == doc["recommended_entry"]
    assert model["file"] == ("model.json" if backend == "xgboost" else "model.txt")
    assert (run / model["file"]).exists() and model["file"] in out
    assert model["features"] == ["a", "b", "c", "city"]  # the data file's names
    assert model["classes"] == ["no", "yes"] and model["n_estimators"] == 15
    focal = entry.startswith("focal")
    expected = {"FocalXGBClassifier" if backend == "xgboost" else "FocalLGBMClassifier"}
    if not focal:
        expected = {"XGBClassifier" if backend == "xgboost" else "LGBMClassifier"}
    assert {model["estimator"]} == expected
    if focal:
        assert model["params"]["focal_gamma"] == 2.0
        assert model["params"]["focal_alpha"] == ("balanced" if "balanced" in entry else None)

    X, y = _features(data_file, doc)
    loaded = _load(doc, run)
    cls = _model._entries.estimator_for(_entry(entry), backend)
    refit = cls(**model["params"]).fit(X, y)  # the settings in results.json are complete
    if backend == "lightgbm" and not focal:
        got = loaded.predict(X)
        want = refit.predict_proba(X)[:, 1]
    else:
        got, want = loaded.predict_proba(X), refit.predict_proba(X)
        if focal:
            assert loaded.focal_gamma == 2.0 and loaded.loss_ == refit.loss_
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    report = (run / "report.html").read_text()
    for line in model["load"]:
        assert line.replace('"', "&quot;") in report


def _entry(name: str):
    from boostfocal.compare._entries import Entry

    if name == "logistic":
        return Entry("logistic")
    gamma = float(name.split("=")[1].split(",")[0])
    return Entry("focal", gamma, "balanced" in name)


def test_with_early_stopping_the_model_trains_the_median_of_the_folds_rounds(
        data_file, tmp_path, capsys, monkeypatch):
    _recommend(monkeypatch, "focal gamma=2")
    code = main(["compare", str(data_file), "--target", "churn", "--out", str(tmp_path),
                 "--save-model", "--early-stopping", "3", "--learning-rate", "0.3",
                 *SMALL[:-1], "60"])
    capsys.readouterr()
    assert code == 0
    run = tmp_path / "run-001"
    doc = json.loads((run / "results.json").read_text())
    folds = pd.read_csv(run / "folds.csv")
    rounds = folds.loc[folds["entry"] == "focal gamma=2", "rounds"]
    assert len(rounds) == 4
    assert doc["model"]["n_estimators"] == int(np.floor(np.median(rounds) + 0.5))
    assert doc["model"]["params"]["n_estimators"] == doc["model"]["n_estimators"]
    loaded = _load(doc, run)
    assert loaded.get_booster().num_boosted_rounds() == doc["model"]["n_estimators"]


def test_save_model_with_parallel_fits(data_file, tmp_path, capsys):
    code = main(["compare", str(data_file), "--target", "churn", "--out", str(tmp_path),
                 "--save-model", "--n-jobs", "2", *SMALL])
    out = capsys.readouterr().out
    assert code == 0
    run = tmp_path / "run-001"
    doc = json.loads((run / "results.json").read_text())
    assert doc["model"]["entry"] == doc["recommended_entry"]
    X, _ = _features(data_file, doc)
    proba = _load(doc, run).predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert f"Saved the recommended entry, {doc['model']['entry']}" in out


def test_a_failing_final_fit_is_one_line_and_leaves_nothing(data_file, tmp_path, capsys,
                                                             monkeypatch):
    _recommend(monkeypatch, "logistic")
    real = _model.fit_and_save

    def failing(*args, **kwargs):
        class Failing:
            def __init__(self, **params):
                pass

            def fit(self, *a, **k):
                raise RuntimeError("XGBoostError: out of memory\nmore")

        monkeypatch.setattr(_model._entries, "estimator_for", lambda *a: Failing)
        return real(*args, **kwargs)

    monkeypatch.setattr(_model, "fit_and_save", failing)
    (tmp_path / "mine.txt").write_text("mine")
    code = main(["compare", str(data_file), "--target", "churn", "--out", str(tmp_path),
                 "--save-model", *SMALL])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[-1] == (
        "boostfocal compare: error: --save-model: fitting logistic on all rows failed "
        f"(RuntimeError: XGBoostError: out of memory); nothing was left in {tmp_path}")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_onnx_needs_save_model(data_file, tmp_path, capsys):
    code = main(["compare", str(data_file), "--target", "churn", "--out",
                 str(tmp_path / "out"), "--onnx"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("boostfocal compare: error: --onnx exports the model that --save-model "
                   "saves: add --save-model\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(ONNX, reason="boostfocal.onnx is installed here")
def test_onnx_without_the_extra_is_one_line_before_training(data_file, tmp_path, capsys):
    code = main(["compare", str(data_file), "--target", "churn", "--out",
                 str(tmp_path / "out"), "--save-model", "--onnx"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith('boostfocal compare: error: --onnx needs the [onnx] '
                                   'extra: pip install "boostfocal[onnx]" (')
    assert "boostfocal.onnx" in captured.err and len(captured.err.splitlines()) == 1
    assert captured.out == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not ONNX, reason="boostfocal.onnx not available")
def test_onnx_export_matches_the_saved_model(tmp_path, capsys, monkeypatch):
    """model.onnx's outputs ``label`` and ``probabilities`` equal the saved model's
    ``predict`` and ``predict_proba`` (numeric columns: ONNX takes one float tensor)."""
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3))
    y = np.where(x[:, 0] + 0.6 * rng.normal(size=400) > 1.2, "yes", "no")
    path = tmp_path / "numeric.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "churn": y}).to_csv(path,
                                                                             index=False)
    _recommend(monkeypatch, "focal gamma=2")
    code = main(["compare", str(path), "--target", "churn", "--out", str(tmp_path / "out"),
                 "--save-model", "--onnx", *SMALL])
    capsys.readouterr()
    assert code == 0
    run = tmp_path / "out" / "run-001"
    doc = json.loads((run / "results.json").read_text())
    assert doc["model"]["onnx_file"] == "model.onnx"
    X = pd.DataFrame(x, columns=doc["model"]["features"])
    loaded = _load(doc, run)
    session = ort.InferenceSession(str(run / "model.onnx"))
    got = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, {session.get_inputs()[0].name:
                                      x.astype(np.float32)}), strict=True))
    np.testing.assert_allclose(got["probabilities"], loaded.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(got["label"], loaded.predict(X))


# Ctrl-C while the recommended entry is fitted on all rows: as a terminal sends it (the
# whole process group), once "fitting the recommended entry" is on stderr; the final fit
# is made slow (it waits for the signal) so that the signal lands inside it.
SLOW_FINAL_FIT = """
    import time
    from boostfocal.compare import _model

    real = _model.fit_and_save

    def slow(*args, **kwargs):
        time.sleep(60)
        return real(*args, **kwargs)

    _model.fit_and_save = slow
"""

# The final fit swallows the Ctrl-C as XGBoost does inside its C callbacks: the
# KeyboardInterrupt is dropped and the fit goes on to its end.
SWALLOWED_FINAL_FIT = """
    import ctypes, os, signal, time
    from boostfocal.compare import _entries, _model

    CALLBACK = ctypes.CFUNCTYPE(None)
    real = _model.fit_and_save

    def swallowing(*args, **kwargs):
        real_for = _entries.estimator_for

        def estimator_for(entry, backend):
            cls = real_for(entry, backend)

            class Swallowing(cls):
                def fit(self, *a, **k):
                    CALLBACK(lambda: os.kill(os.getpid(), signal.SIGINT))()
                    time.sleep(0.3)
                    return super().fit(*a, **k)

            Swallowing.__name__ = cls.__name__
            return Swallowing

        _entries.estimator_for = estimator_for
        return real(*args, **kwargs)

    _model.fit_and_save = swallowing
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
@pytest.mark.parametrize("prelude", [SLOW_FINAL_FIT, SWALLOWED_FINAL_FIT],
                         ids=["signal", "swallowed"])
def test_ctrl_c_during_the_final_fit_leaves_no_run_folder(data_file, tmp_path, prelude):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    argv = ["compare", str(data_file), "--target", "churn", "--out", str(out),
            "--save-model", *SMALL]
    script = textwrap.dedent(prelude) + textwrap.dedent(f"""
        import sys
        from boostfocal.compare.cli import main
        sys.exit(main({argv!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in
                                                (signal.SIGINT, signal.SIGTERM)])
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "fitting the recommended entry" in line:
            if prelude is SLOW_FINAL_FIT:
                os.killpg(proc.pid, signal.SIGINT)
            break
    stdout, rest = proc.communicate(timeout=120)
    stderr = "".join(lines) + rest
    assert proc.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "boostfocal: interrupted"
    assert "Traceback" not in stderr and "Results in" not in stdout
    assert [p.name for p in out.iterdir()] == ["mine.txt"]  # no run folder, no .partial


@pytest.mark.parametrize("names,backend,kept", [
    (["a", "b c", "d"], "xgboost", True),
    (["a", "b c", "d"], "lightgbm", False),   # LightGBM rewrites spaces
    (["a", "b[1]", "d"], "xgboost", False),    # XGBoost refuses [, ] and <
    (["a", "x:y", "d"], "lightgbm", False),   # LightGBM refuses JSON's special characters
    (["1", "1", "d"], "xgboost", False),       # 1 and "1" in the file: one name twice
])
def test_the_model_keeps_the_data_files_names_when_the_booster_takes_them(names, backend,
                                                                         kept):
    data = _data.Data(pd.DataFrame(np.zeros((4, 3)), columns=["f0", "f1", "f2"]),
                      np.array([0, 1, 0, 1]), ["0", "1"], feature_names=names)
    columns, note = _model.model_columns(data, backend)
    assert columns == (names if kept else ["f0", "f1", "f2"])
    assert (note is None) is kept
    if not kept:
        assert note.startswith("the model's columns are named f0, f1, ... (some column "
                               f"names of the data are not accepted by {backend})")
