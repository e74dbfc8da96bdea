"""Serving a model file without the estimator: ``proba_from_margin``, the portable map,
treelite and MLflow.

Covers ``boostfocal._shared.serving`` and ``docs/portable_posterior.py``. Every
comparison with ``predict_proba`` is on held-out rows (the models are fitted on others).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

import boostfocal  # noqa: E402
from boostfocal import FocalLoss, SoftmaxFocalLoss, proba_from_margin  # noqa: E402
from boostfocal._shared.serving import read_metadata  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: The issue's agreement with predict_proba: both sides read the same margins.
PROBA_ATOL = 1e-12

#: Margins from different code (treelite against XGBoost, both float32) may differ by
#: float32 rounding of the tree sums; the same tolerance as tests/test_model_io.py.
MARGIN_ATOL = 1e-5

XGB_FAST = {"n_estimators": 12, "max_depth": 3, "n_jobs": 1}
LGBM_FAST = {"n_estimators": 12, "num_leaves": 8, "n_jobs": 1, "verbose": -1}
N_TRAIN = 400


def _portable():
    """docs/portable_posterior.py, imported from its path (it is not in the package)."""
    spec = importlib.util.spec_from_file_location(
        "portable_posterior", ROOT / "docs" / "portable_posterior.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


portable = _portable()


def _data(multiclass: bool, n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    if multiclass:
        score = X[:, :3] + rng.normal(scale=0.8, size=(n, 3)) + np.array([1.0, 0.0, -0.8])
        y = np.array(["cat", "dog", "emu"])[np.argmax(score, axis=1)]
    else:
        y = np.where(X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.7, size=n) > 1.4,
                     "fraud", "ok")
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:]


def _plain_margins(path: Path, X: np.ndarray) -> np.ndarray:
    """Raw margins from the plain library, knowing nothing of boostfocal."""
    if path.suffix == ".txt":
        return lgb.Booster(model_file=str(path)).predict(X, raw_score=True)
    return xgb.Booster(model_file=str(path)).predict(xgb.DMatrix(X), output_margin=True)


def _plain_proba(path: Path, X: np.ndarray) -> np.ndarray:
    """The plain library's probabilities (the link of its margins), shape (n, K)."""
    if path.suffix == ".txt":
        out = lgb.Booster(model_file=str(path)).predict(X)
    else:
        out = xgb.Booster(model_file=str(path)).predict(xgb.DMatrix(X))
    return np.column_stack([1 - out, out]) if out.ndim == 1 else out


def _alpha(kind: str, multiclass: bool):
    if kind == "number":
        return [0.5, 1.0, 2.0] if multiclass else 0.3
    return None if kind == "none" else "balanced"


FOCAL_CASES = [(backend, multiclass, alpha, proba)
               for backend in ("xgb", "lgbm") for multiclass in (False, True)
               for alpha in ("none", "number", "balanced")
               for proba in ("posterior", "confidence")]


def _fit_save(tmp_path, backend, multiclass, **params):
    cls, fast, fmts = ((FocalXGBClassifier, XGB_FAST, ("json", "ubj")) if backend == "xgb"
                       else (FocalLGBMClassifier, LGBM_FAST, ("txt",)))
    if params.pop("ghm", False):
        cls = GHMXGBClassifier if backend == "xgb" else GHMLGBMClassifier
    X, y, X_test = _data(multiclass)
    est = cls(**fast, **params).fit(X, y)
    paths = []
    for fmt in fmts:
        paths.append(tmp_path / f"model.{fmt}")
        est.save_model(paths[-1])
    return est, paths, X_test


def _check_both_maps(est, path, X_test, atol=PROBA_ATOL):
    """proba_from_margin and the portable map give predict_proba from plain margins."""
    expected = est.predict_proba(X_test)
    margins = _plain_margins(path, X_test)
    assert_allclose(proba_from_margin(path, margins), expected, rtol=0, atol=atol)
    meta = portable.read_metadata(path) if path.suffix != ".ubj" else read_metadata(path)
    assert_allclose(portable.posterior(meta, margins), expected, rtol=0, atol=atol)
    return expected, margins


@pytest.mark.parametrize(("backend", "multiclass", "alpha", "proba"), FOCAL_CASES)
def test_focal_file_and_plain_margins_give_predict_proba(tmp_path, backend, multiclass,
                                                         alpha, proba):
    est, paths, X_test = _fit_save(tmp_path, backend, multiclass, focal_gamma=1.5,
                                   focal_alpha=_alpha(alpha, multiclass), focal_proba=proba)
    for path in paths:
        expected, margins = _check_both_maps(est, path, X_test)
        if not multiclass:  # the (n, 1) column LightGBM's and treelite's outputs can have
            assert_allclose(proba_from_margin(path, margins[:, None]), expected, rtol=0,
                            atol=PROBA_ATOL)
    # The plain library's own probabilities are the confidence, whatever focal_proba is.
    plain = _plain_proba(paths[0], X_test)
    assert_allclose(plain, est.loss_.predict_confidence(est.decision_function(X_test)),
                    rtol=0, atol=1e-6)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_ghm_file_and_plain_margins_give_predict_proba(tmp_path, backend):
    est, paths, X_test = _fit_save(tmp_path, backend, False, ghm=True)
    for path in paths:
        _check_both_maps(est, path, X_test)


def test_the_posterior_is_not_the_confidence(tmp_path):
    # The point of it all: on a focal model the two differ by far more than rounding.
    est, (path, _), X_test = _fit_save(tmp_path, "xgb", False, focal_gamma=2.0)
    margins = _plain_margins(path, X_test)
    gap = np.abs(proba_from_margin(path, margins)[:, 1] - expit(margins))
    assert gap.max() > 0.05


def test_start_outside_the_booster_is_added(tmp_path):
    # sigmoid(20.7) rounds to 1 in float32, so the binary start stays a per-row margin
    # that the plain library's margins lack (tests/test_model_io.py).
    X, y, X_test = _data(False)
    est = FocalXGBClassifier(base_score=1 - 1e-9, **XGB_FAST).fit(X, y)
    with pytest.warns(UserWarning, match="omit init_score_"):
        est.save_model(tmp_path / "m.json")
    assert read_metadata(tmp_path / "m.json")["start_in_booster"] is False
    # As below, XGBoost sums the trees onto the start in float32 where the plain booster
    # starts from 0; the probabilities are 1 - 1e-9 and agree far below float32 rounding.
    _check_both_maps(est, tmp_path / "m.json", X_test)


def test_multiclass_start_outside_the_booster_is_added(monkeypatch, tmp_path):
    # XGBoost < 3.1 has no per-class base_score: simulated as in tests/test_model_io.py.
    import boostfocal.xgboost._model_file as bx

    monkeypatch.setattr(bx, "XGB_VECTOR_BASE_SCORE", False)
    X, y, X_test = _data(True)
    est = FocalXGBClassifier(**XGB_FAST).fit(X, y)
    with pytest.warns(UserWarning, match="omit init_score_"):
        est.save_model(tmp_path / "m.ubj")
    assert read_metadata(tmp_path / "m.ubj")["start_in_booster"] is False
    # XGBoost sums the trees onto the start in float32, the plain booster onto 0: the
    # margins (and so the probabilities) agree to float32 rounding (measured: 9e-8).
    _check_both_maps(est, tmp_path / "m.ubj", X_test, atol=MARGIN_ATOL)


def test_metadata_holds_what_the_map_needs(tmp_path):
    est, (path, _), _ = _fit_save(tmp_path, "xgb", True, focal_alpha="balanced",
                                  focal_proba="confidence")
    doc = json.loads(path.read_text())
    meta = json.loads(doc["learner"]["attributes"]["boostfocal"])  # where serving.md says
    assert meta == read_metadata(path) == portable.read_metadata(path)
    assert meta["loss"]["kind"] == "softmax_focal"
    assert meta["loss"]["gamma"] == est.focal_gamma
    assert_allclose(meta["loss"]["alpha"], est.focal_alpha_, rtol=1e-15)  # resolved
    assert meta["params"]["focal_proba"] == "confidence"
    assert meta["classes"] == ["cat", "dog", "emu"]
    assert meta["start_in_booster"] is True
    assert_allclose(meta["init_score"], est.init_score_, rtol=0, atol=0)


def test_portable_map_matches_the_loss_objects_in_the_tails():
    # Margins far beyond what trees produce, and ties: the log-space forms hold up.
    rng = np.random.default_rng(3)
    for scale in (1.0, 40.0, 1000.0):
        for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
            for alpha in (None, 0.1, 0.9):
                z = rng.normal(scale=scale, size=500)
                meta = {"start_in_booster": True, "classes": [0, 1], "params": {},
                        "loss": {"kind": "focal", "gamma": gamma, "alpha": alpha}}
                assert_allclose(portable.posterior(meta, z),
                                FocalLoss(gamma, alpha).predict_proba(z), rtol=0, atol=1e-13)
            for alpha in (None, [0.2, 1.0, 5.0, 1.0]):
                z = rng.normal(scale=scale, size=(500, 4))
                z[:20, 1] = z[:20, 0]
                meta = {"start_in_booster": True, "classes": [0, 1, 2, 3], "params": {},
                        "loss": {"kind": "softmax_focal", "gamma": gamma, "alpha": alpha}}
                assert_allclose(portable.posterior(meta, z),
                                SoftmaxFocalLoss(gamma, alpha).predict_proba(z), rtol=0,
                                atol=1e-13)


def test_portable_map_reproduces_the_design_check():
    # DESIGN.md: 5% positives, gamma = 2, alpha = 0.25: the optimal constant's posterior
    # is the base rate.
    loss = FocalLoss(2.0, 0.25)
    start = loss.init_score_from_totals(95.0, 5.0)
    meta = {"start_in_booster": False, "init_score": start, "classes": [0, 1], "params": {},
            "loss": {"kind": "focal", "gamma": 2.0, "alpha": 0.25}}
    assert_allclose(portable.posterior(meta, np.zeros(1))[0, 1], 0.05, rtol=1e-10)


def test_proba_from_margin_is_public():
    assert "proba_from_margin" in boostfocal.__all__
    assert boostfocal.proba_from_margin is proba_from_margin


# --------------------------------------------------------------------------- refusals

def test_file_without_metadata_is_refused(tmp_path):
    X, y, X_test = _data(False)
    y01 = (y == "fraud").astype(int)
    xgb.XGBClassifier(n_estimators=3).fit(X, y01).get_booster().save_model(tmp_path / "p.json")
    lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y01).booster_.save_model(
        tmp_path / "p.txt")
    for name in ("p.json", "p.txt"):
        margins = _plain_margins(tmp_path / name, X_test)
        with pytest.raises(ValueError, match="no boostfocal metadata"):
            proba_from_margin(tmp_path / name, margins)


def test_not_a_model_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(ValueError, match="is not an XGBoost JSON/UBJSON or a LightGBM "
                                         "text model file"):
        proba_from_margin(tmp_path / "notes.txt", np.zeros(3))
    with pytest.raises(TypeError, match="model_file must be the path"):
        proba_from_margin(xgb.Booster(), np.zeros(3))


@pytest.mark.parametrize("multiclass", [False, True])
def test_bad_margins_are_refused(tmp_path, multiclass):
    est, (path, _), X_test = _fit_save(tmp_path, "xgb", multiclass)
    margins = _plain_margins(path, X_test)
    wrong = (np.zeros((3, 3)), np.zeros((3, 1, 1))) if not multiclass else \
        (np.zeros(3), np.zeros((3, 2)), np.zeros((3, 1)))
    for bad in wrong:
        with pytest.raises(ValueError, match=r"margins must have shape \(n"):
            proba_from_margin(path, bad)
    for value in (np.nan, np.inf):
        bad = margins.copy()
        bad[1] = value
        with pytest.raises(ValueError, match="margins contains NaN or infinite"):
            proba_from_margin(path, bad)
    with pytest.raises(TypeError, match="margins must be an array of numbers"):
        proba_from_margin(path, np.full(margins.shape, "1.0"))


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_model_files_need_no_booster_library(tmp_path):
    expected = {}
    for backend in ("xgb", "lgbm"):
        (tmp_path / backend).mkdir()
        est, paths, X_test = _fit_save(tmp_path / backend, backend, True)
        for path in paths:
            np.save(path.with_suffix(".npy"), _plain_margins(path, X_test))
            expected[str(path)] = est.predict_proba(X_test)
    np.save(tmp_path / "expected.npy", np.stack(list(expected.values())))
    res = _run(f"""
        import sys
        sys.modules["xgboost"] = None      # neither booster library can be imported
        sys.modules["lightgbm"] = None
        import numpy as np
        import boostfocal
        paths = {list(expected)!r}
        expected = np.load({str(tmp_path / "expected.npy")!r})
        for path, want in zip(paths, expected):
            got = boostfocal.proba_from_margin(path, np.load(path.rsplit(".", 1)[0] + ".npy"))
            print(path.rsplit(".", 1)[1], float(np.max(np.abs(got - want))))
    """)
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(" ", 1) for line in res.stdout.strip().splitlines())
    # UBJSON too: boostfocal parses it (boostfocal._shared.model_files), no xgboost needed.
    assert sorted(lines) == ["json", "txt", "ubj"]
    assert all(float(diff) <= PROBA_ATOL for diff in lines.values())


# --------------------------------------------------------------------------- treelite

TREELITE_CASES = [(backend, multiclass, fmt) for backend, fmts in
                  (("xgb", ("json", "ubj")), ("lgbm", ("txt",)))
                  for multiclass in (False, True) for fmt in fmts]


@pytest.mark.parametrize(("backend", "multiclass", "fmt"), TREELITE_CASES)
def test_treelite_serves_the_margins_and_the_confidence(tmp_path, backend, multiclass, fmt):
    treelite = pytest.importorskip("treelite")
    est, paths, X_test = _fit_save(tmp_path, backend, multiclass, focal_gamma=2.0)
    path = next(p for p in paths if p.suffix == "." + fmt)
    model = (treelite.frontend.load_lightgbm_model(path) if fmt == "txt"
             else treelite.frontend.load_xgboost_model(path))
    # gtil's outputs have shape (n, 1, 1) for two classes, (n, 1, K) for K classes.
    margins = treelite.gtil.predict(model, X_test, pred_margin=True)[:, 0, :]
    proba = treelite.gtil.predict(model, X_test)[:, 0, :]
    margin = est.decision_function(X_test)
    if not multiclass:
        margins, proba = margins[:, 0], proba[:, 0]
    # LightGBM: thresholds and leaves are float64, and treelite reproduces LightGBM's
    # margins; XGBoost: float32 thresholds and leaves, and treelite sums the trees in its
    # own order, so the margins agree to float32 rounding (measured: up to 2e-6).
    atol = PROBA_ATOL if backend == "lgbm" else MARGIN_ATOL
    assert_allclose(margins, margin, rtol=0, atol=atol)
    # treelite's probabilities are the link of the margins: the confidence.
    confidence = est.loss_.predict_confidence(margin)
    assert_allclose(proba, confidence if multiclass else confidence[:, 1], rtol=0, atol=1e-6)
    # proba_from_margin on treelite's margins gives predict_proba. The map's slope in the
    # margin is below 1 at gamma = 2, so the margins' tolerance carries over.
    assert_allclose(proba_from_margin(path, margins), est.predict_proba(X_test), rtol=0,
                    atol=atol)


# --------------------------------------------------------------------------- MLflow

@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
@pytest.mark.parametrize("multiclass", [False, True])
def test_mlflow_sklearn_pyfunc_predict_proba_is_the_posterior(tmp_path, backend, multiclass):
    mlflow_sklearn = pytest.importorskip(
        "mlflow.sklearn", reason="MLflow is optional: pip install mlflow-skinny (docs/serving.md)")
    import mlflow.pyfunc

    est, _, X_test = _fit_save(tmp_path, backend, multiclass, focal_alpha="balanced")
    # The recommended path (docs/serving.md): the estimator itself, with predict_proba as
    # the pyfunc's predict. cloudpickle: MLflow 3's default, skops, needs the list of
    # boostfocal's and the boosters' types as skops_trusted_types.
    mlflow_sklearn.save_model(est, tmp_path / "model", serialization_format="cloudpickle",
                              pyfunc_predict_fn="predict_proba", pip_requirements=[])
    served = mlflow.pyfunc.load_model(str(tmp_path / "model")).predict(X_test)
    assert_array_equal(np.asarray(served), est.predict_proba(X_test))


def test_mlflow_booster_flavors_serve_the_confidence_or_margins(tmp_path):
    pytest.importorskip("mlflow", reason="MLflow is optional: pip install mlflow-skinny")
    import mlflow.lightgbm
    import mlflow.pyfunc
    import mlflow.xgboost

    # mlflow.xgboost on the estimator: saved with the estimator's save_model, loaded back
    # as the estimator (posterior); its pyfunc predicts labels.
    est, _, X_test = _fit_save(tmp_path, "xgb", False)
    mlflow.xgboost.save_model(est, tmp_path / "xgb_est", pip_requirements=[])
    loaded = mlflow.xgboost.load_model(str(tmp_path / "xgb_est"))
    assert type(loaded) is FocalXGBClassifier
    assert_array_equal(loaded.predict_proba(X_test), est.predict_proba(X_test))
    assert_array_equal(mlflow.pyfunc.load_model(str(tmp_path / "xgb_est")).predict(X_test),
                       est.predict(X_test))
    # The booster flavor: XGBoost's link of the margins, the confidence.
    mlflow.xgboost.save_model(est.get_booster(), tmp_path / "xgb_booster", pip_requirements=[])
    served = mlflow.pyfunc.load_model(str(tmp_path / "xgb_booster")).predict(X_test)
    assert_allclose(served, expit(est.decision_function(X_test)), rtol=0, atol=1e-6)

    # LightGBM: the booster from a boostfocal file serves the confidence; the in-memory
    # booster_ (custom objective, no link) serves raw margins.
    est, (path,), X_test = _fit_save(tmp_path, "lgbm", False)
    mlflow.lightgbm.save_model(lgb.Booster(model_file=str(path)), tmp_path / "lgb_file",
                               pip_requirements=[])
    served = mlflow.pyfunc.load_model(str(tmp_path / "lgb_file")).predict(X_test)
    assert_allclose(served, expit(est.decision_function(X_test)), rtol=0, atol=1e-12)
    mlflow.lightgbm.save_model(est.booster_, tmp_path / "lgb_mem", pip_requirements=[])
    served = mlflow.pyfunc.load_model(str(tmp_path / "lgb_mem")).predict(X_test)
    assert_allclose(served, est.decision_function(X_test), rtol=0, atol=1e-12)
