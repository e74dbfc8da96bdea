"""Smoke suite: every estimator and adapter works on the installed booster versions.

``.ci/run`` runs this file a second time in a virtual environment with the oldest
versions that ``pyproject.toml`` declares (``.ci/oldest.txt``); the main run covers the
newest. Each estimator fits, predicts, gives probabilities, stops early on an evaluation
set, survives pickle, ``clone`` and its native model file (plain XGBoost/LightGBM
read the margins); the native adapters train with ``xgboost.train`` and
``lightgbm.train``; the Dask estimators fit and predict on a small ``LocalCluster``.
Everything is small: the whole file takes seconds.
"""

from __future__ import annotations

import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from boostfocal import FocalLoss, SoftmaxFocalLoss  # noqa: E402
from boostfocal import lightgbm as bf_lgb  # noqa: E402
from boostfocal import xgboost as bf_xgb  # noqa: E402

LABELS = np.array(["a", "b", "c"])
XGB = {"n_estimators": 8, "max_depth": 3, "n_jobs": 1}
LGBM = {"n_estimators": 8, "num_leaves": 8, "n_jobs": 1, "verbose": -1}

#: (estimator, its parameters, multiclass too?)
ESTIMATORS = [
    (bf_xgb.FocalXGBClassifier, XGB, True),
    (bf_xgb.GHMXGBClassifier, XGB, False),
    (bf_lgb.FocalLGBMClassifier, LGBM, True),
    (bf_lgb.GHMLGBMClassifier, LGBM, False),
]
CASES = [pytest.param(cls, params, k, id=f"{cls.__name__}-{k}")
         for cls, params, multi in ESTIMATORS for k in ((2, 3) if multi else (2,))]


def _data(k: int, n: int = 300, seed: int = 0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=k, n_clusters_per_class=1,
                               weights=[0.8] if k == 2 else None, random_state=seed)
    return X, LABELS[y]


def _early_stopping_fit(est, X, y, X_val, y_val):
    if isinstance(est, bf_xgb.FocalXGBClassifier | bf_xgb.GHMXGBClassifier):
        return est.set_params(early_stopping_rounds=3).fit(
            X, y, eval_set=[(X_val, y_val)], verbose=False)
    return est.fit(X, y, eval_set=[(X_val, y_val)],
                   callbacks=[lgb.early_stopping(3, verbose=False)])


@pytest.mark.parametrize("cls,params,k", CASES)
def test_estimator_fits_predicts_and_pickles(cls, params, k, tmp_path):
    X, y = _data(k)
    est = cls(**params).fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
    assert est.classes_.tolist() == LABELS[:k].tolist()
    proba = est.predict_proba(X)
    margin = est.decision_function(X)
    labels = est.predict(X)
    assert proba.shape == (len(y), k) and np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert margin.shape == ((len(y),) if k == 2 else (len(y), k))
    assert_array_equal(labels, est.classes_[np.argmax(proba, axis=1)])
    assert np.mean(labels == y) > 0.7  # it learned something
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.predict_proba(X), proba)
    assert_array_equal(restored.predict(X), labels)
    _check_model_file(est, X, margin, labels, tmp_path)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "classes_")


def _xgboost_holds_a_per_class_start() -> bool:
    """XGBoost >= 3.1 takes a vector base_score for multi:softprob."""
    return tuple(int(p) for p in xgb.__version__.split(".")[:2]) >= (3, 1)


def _check_model_file(est, X, margin, labels, tmp_path):
    """The native file restores the estimator, and the plain library reads its margins."""
    _check_model_file_of(est, type(est), X, margin, labels, tmp_path)


def _check_model_file_of(est, load_cls, X, margin, labels, tmp_path):
    """:func:`_check_model_file`, loading the file into ``load_cls``."""
    is_lgbm = isinstance(est, lgb.LGBMModel)
    path = tmp_path / ("model.txt" if is_lgbm else "model.json")
    start_in_file = is_lgbm or margin.ndim == 1 or _xgboost_holds_a_per_class_start()
    if start_in_file:
        est.save_model(path)
    else:
        with pytest.warns(UserWarning, match="omit init_score_"):
            est.save_model(path)
    loaded = load_cls()
    loaded.load_model(path)
    assert_array_equal(loaded.classes_, est.classes_)
    assert_allclose(loaded.decision_function(X), margin, rtol=1e-6, atol=1e-5)
    assert_array_equal(loaded.predict(X), labels)
    if is_lgbm:
        plain = lgb.Booster(model_file=str(path)).predict(X, raw_score=True)
    else:
        booster = xgb.Booster()
        booster.load_model(str(path))
        plain = booster.predict(xgb.DMatrix(X), output_margin=True)
    expected = margin if start_in_file else margin - np.asarray(est.init_score_)
    assert_allclose(plain, expected, rtol=1e-6, atol=1e-5)


# eval_set works on every LightGBM version (eval_X/eval_y are new in 4.7, which warns)
@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
@pytest.mark.parametrize("cls,params,k", CASES)
def test_estimator_stops_early_on_an_eval_set(cls, params, k):
    X, y = _data(k, n=400, seed=1)
    est = _early_stopping_fit(cls(**{**params, "n_estimators": 200}), X[:300], y[:300],
                              X[300:], y[300:])
    best = est.best_iteration if hasattr(est, "best_iteration") else est.best_iteration_
    assert 1 <= best + 1 < 200
    assert np.all(np.isfinite(est.predict_proba(X[300:])))


@pytest.mark.parametrize("k", [2, 3])
def test_native_adapters_train(k):
    X, y_str = _data(k)
    y = np.searchsorted(LABELS, y_str).astype(float)
    loss = FocalLoss(2.0) if k == 2 else SoftmaxFocalLoss(2.0)
    start = loss.init_score(y) if k == 2 else loss.init_score(y.astype(int), n_classes=k)
    margin0 = np.broadcast_to(start, (len(y),) if k == 2 else (len(y), k))

    params = {"max_depth": 3, "nthread": 1, "disable_default_eval_metric": 1}
    if k > 2:
        params["num_class"] = k
    dtrain = xgb.DMatrix(X, y, base_margin=np.ascontiguousarray(margin0))
    history: dict = {}
    booster = xgb.train(params, dtrain, 5, obj=bf_xgb.make_objective(loss),
                        custom_metric=bf_xgb.make_metric(loss), evals=[(dtrain, "train")],
                        evals_result=history, verbose_eval=False)
    assert np.all(np.diff(history["train"]["focal_loss"]) < 0)
    assert np.all(np.isfinite(booster.predict(dtrain, output_margin=True)))

    lgb_params = {"objective": bf_lgb.make_objective(loss), "metric": "None", "verbose": -1,
                  "num_threads": 1, "num_leaves": 8}
    if k > 2:
        lgb_params["num_class"] = k
    dset = lgb.Dataset(X, y, init_score=np.ascontiguousarray(margin0).reshape(
        len(y), -1).ravel(order="F") if k > 2 else margin0.copy())
    record: dict = {}
    lgb.train(lgb_params, dset, 5, valid_sets=[dset], valid_names=["train"],
              feval=bf_lgb.make_metric(loss), callbacks=[lgb.record_evaluation(record)])
    assert np.all(np.diff(record["train"]["focal_loss"]) < 0)


@pytest.mark.xdist_group("dask")  # with --dist loadgroup: not beside test_dask.py's cluster
def test_dask_estimators_fit_predict_and_pickle(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    import dask.array as da
    from distributed import Client, LocalCluster

    from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier

    X, y = _data(2, n=400)
    dX, dy = da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", scheduler_port=0, silence_logs=40) as cluster, \
            Client(cluster) as client:
        xclf = DaskFocalXGBClassifier(n_estimators=8, max_depth=3)
        xclf.client = client
        lclf = DaskFocalLGBMClassifier(client=client, n_estimators=8, num_leaves=8,
                                       verbose=-1)
        for est, fit_kwargs in ((xclf, {"verbose": False}), (lclf, {})):
            est.fit(dX, dy, eval_set=[(dX, dy)], **fit_kwargs)
            history = est.evals_result() if est is xclf else est.evals_result_
            assert len(history["validation_0" if est is xclf else "valid_0"]
                       ["focal_loss"]) == 8
            proba = est.predict_proba(dX).compute()
            labels = est.predict(dX).compute()
            assert proba.shape == (len(y), 2) and np.all(np.isfinite(proba))
            assert_array_equal(labels, est.classes_[np.argmax(proba, axis=1)])
            assert np.mean(labels == y) > 0.7
            restored = pickle.loads(pickle.dumps(est))
            assert_allclose(restored.predict_proba(dX).compute(), proba, rtol=1e-12)
            # its model file restores an in-memory estimator (binary: the start is in it)
            local_cls = bf_xgb.FocalXGBClassifier if est is xclf else bf_lgb.FocalLGBMClassifier
            _check_model_file_of(est, local_cls, X, est.decision_function(dX).compute(),
                                 labels, tmp_path)


def _floors() -> dict[str, str]:
    """The lowest versions that pyproject.toml declares, by distribution name."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    floors = {}
    for req in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=([0-9.]+)", req.strip())
        if match:
            floors[match.group(1).lower()] = match.group(2)
    return floors


@pytest.mark.skipif(os.environ.get("BOOSTFOCAL_OLDEST") != "1" or sys.version_info < (3, 11),
                    reason="only in the oldest-versions environment of .ci/run")
def test_oldest_environment_has_the_declared_floors():
    """The oldest-versions run really runs the floors of pyproject.toml: a raised floor
    without a matching .ci/oldest.txt (or the reverse) fails here."""
    from boostfocal._config import _version

    floors = _floors()
    for name in ("numpy", "scipy", "scikit-learn", "xgboost", "lightgbm", "pandas", "dask",
                 "distributed", "pyarrow", "onnx", "onnxmltools", "skl2onnx", "onnxruntime"):
        floor = floors[name].split(".")
        # xgboost may come as the xgboost-cpu distribution: "3.0.0 (xgboost-cpu)"
        installed = _version(name).split(" ")[0].split(".")
        assert installed[:len(floor)] == floor, (name, _version(name), floors[name])


@pytest.mark.skipif(os.environ.get("BOOSTFOCAL_OLDEST") != "1",
                    reason="only in the oldest-versions environment of .ci/run")
def test_oldest_environment_runs_xgboost_from_the_cpu_only_wheel():
    """.ci/oldest.txt installs ``xgboost-cpu`` (the ``xgboost`` module without the
    nvidia-nccl dependency), so every smoke test above also runs on that distribution;
    boostfocal reports it under its module's name."""
    from importlib import metadata

    import boostfocal._config

    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("xgboost")
    cpu = metadata.version("xgboost-cpu")
    assert xgb.__version__ == cpu
    assert boostfocal._config.config()["versions"]["xgboost"] == f"{cpu} (xgboost-cpu)"
