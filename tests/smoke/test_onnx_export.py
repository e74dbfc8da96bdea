"""Smoke suite: ONNX export works on the installed onnx, onnxmltools, skl2onnx, onnxruntime.

``.ci/run`` runs this file a second time with the oldest versions that
``pyproject.toml`` declares (``.ci/oldest.txt``). Every estimator exports with the
default opset, and onnxruntime's ``label`` and ``probabilities`` equal ``predict`` and
``predict_proba`` on held-out rows; a Pipeline with a ColumnTransformer converts with
skl2onnx. ``tests/test_onnx.py`` holds the full checks.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

ort = pytest.importorskip(
    "onnxruntime", reason="onnxruntime runs the exported graphs (pip install onnxruntime)")

import skl2onnx  # noqa: E402

import boostfocal.onnx as bf_onnx  # noqa: E402
from boostfocal import lightgbm as bf_lgb  # noqa: E402
from boostfocal import xgboost as bf_xgb  # noqa: E402

LABELS = np.array(["a", "b", "c"])
XGB = {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}
LGBM = {"n_estimators": 20, "num_leaves": 8, "n_jobs": 1, "verbose": -1}
CASES = [(bf_xgb.FocalXGBClassifier, XGB, 2), (bf_xgb.FocalXGBClassifier, XGB, 3),
         (bf_xgb.GHMXGBClassifier, XGB, 2), (bf_lgb.FocalLGBMClassifier, LGBM, 2),
         (bf_lgb.FocalLGBMClassifier, LGBM, 3), (bf_lgb.GHMLGBMClassifier, LGBM, 2)]


def _run(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("cls,params,k", CASES,
                         ids=[f"{c.__name__}-{k}" for c, _, k in CASES])
def test_export_equals_predict_proba(cls, params, k):
    X, y = make_classification(n_samples=800, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=k, n_clusters_per_class=1, random_state=0)
    X = X.astype(np.float32)
    est = cls(**params, **({"focal_alpha": "balanced"} if "Focal" in cls.__name__ else {}))
    est.fit(X[:400], LABELS[y[:400]])
    label, proba = _run(bf_onnx.to_onnx(est), {"X": X[400:]})
    assert np.max(np.abs(proba - est.predict_proba(X[400:]))) <= 1e-4
    assert np.mean(label == est.predict(X[400:])) >= 0.999


def test_pipeline_converts_with_skl2onnx():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=600).astype(np.float32),
                          "c": rng.choice(["u", "v", "w"], size=600)})
    y = np.where(frame["x"] + (frame["c"] == "u") + rng.normal(size=600) > 0.5, "p", "n")
    pipe = Pipeline([("ct", ColumnTransformer([("oh", OneHotEncoder(), ["c"])],
                                              remainder="passthrough")),
                     ("clf", bf_xgb.FocalXGBClassifier(**XGB))]).fit(frame[:300], y[:300])
    model = skl2onnx.to_onnx(pipe, frame[:1], options={id(pipe[-1]): {"zipmap": False}})
    test = frame[300:]
    label, proba = _run(model, {c: test[[c]].to_numpy() for c in test.columns})
    assert np.max(np.abs(proba - pipe.predict_proba(test))) <= 1e-4
    assert np.mean(label == pipe.predict(test)) >= 0.999
