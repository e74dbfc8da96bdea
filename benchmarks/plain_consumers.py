"""Serving model files without the estimator: proba_from_margin, the portable map, treelite.

For each backend and class count (3 seeds, 2000 training rows, 1000 held-out rows, 100
trees, gamma 2, alpha "balanced"), the worst absolute difference on held-out rows of:

- ``proba_from_margin`` and ``docs/portable_posterior.py`` on plain-library margins,
  against ``predict_proba``;
- treelite's margins (``gtil.predict(pred_margin=True)``) against ``decision_function``,
  on the held-out rows and on rows placed 1e-12 and 1e-9 (relative) on either side of
  every split threshold, with float64 and with float32 features;
- treelite's probabilities against the confidence (sigmoid/softmax of the margin) and
  against ``predict_proba`` (the gap a treelite deployment serves);
- plain XGBoost margins of an early-stopped model, without ``iteration_range``.

Run: ``python benchmarks/plain_consumers.py`` (needs treelite).
"""

import importlib.util
import json
import os
import tempfile

import lightgbm as lgb
import numpy as np
import treelite
import xgboost as xgb
from sklearn.datasets import make_classification

from boostfocal import proba_from_margin
from boostfocal.lightgbm import FocalLGBMClassifier
from boostfocal.xgboost import FocalXGBClassifier

spec = importlib.util.spec_from_file_location(
    "portable_posterior", os.path.join(os.path.dirname(__file__), "..", "docs",
                                       "portable_posterior.py"))
portable = importlib.util.module_from_spec(spec)
spec.loader.exec_module(portable)


def thresholds(est):
    """(feature, threshold) of every split of the model."""
    if isinstance(est, FocalLGBMClassifier):
        df = est.booster_.trees_to_dataframe()
        df = df[df.split_feature.notna()]
        return [(int(f.replace("Column_", "")), t)
                for f, t in zip(df.split_feature, df.threshold, strict=True)]
    doc = json.loads(bytes(est.get_booster().save_raw(raw_format="json")))
    out = []
    for tree in doc["learner"]["gradient_booster"]["model"]["trees"]:
        for f, c, left in zip(tree["split_indices"], tree["split_conditions"],
                              tree["left_children"], strict=True):
            if left != -1:
                out.append((f, c))
    return out


def near_threshold_rows(X, splits, rng):
    rows = []
    for f, t in splits:
        for eps in (-1e-12, 1e-12, -1e-9, 1e-9):
            r = X[rng.integers(len(X))].copy()
            r[f] = t * (1 + eps) if t != 0 else eps
            rows.append(r)
    return np.array(rows)


def worst(table, key, value):
    table[key] = max(table.get(key, 0.0), float(value))


tmp = tempfile.mkdtemp()
res, flips, rows = {}, {}, {}
for seed in range(3):
    rng = np.random.default_rng(seed)
    for k in (2, 3):
        X, y = make_classification(n_samples=3000, n_features=10, n_informative=6,
                                   n_classes=k, weights=[0.9] if k == 2 else [0.6, 0.3],
                                   random_state=seed)
        X_train, y_train, X_test = X[:2000], y[:2000], X[2000:]
        for cls in (FocalXGBClassifier, FocalLGBMClassifier):
            lgbm = "LGBM" in cls.__name__
            est = cls(n_estimators=100, n_jobs=1, focal_alpha="balanced",
                      **({"verbose": -1} if lgbm else {})).fit(X_train, y_train)
            expected = est.predict_proba(X_test)
            margin = est.decision_function(X_test)
            confidence = est.loss_.predict_confidence(margin)
            for fmt in ("txt",) if lgbm else ("json", "ubj"):
                path = os.path.join(tmp, "m." + fmt)
                est.save_model(path)
                if lgbm:
                    plain = lgb.Booster(model_file=path).predict(X_test, raw_score=True)
                    model = treelite.frontend.load_lightgbm_model(path)
                else:
                    plain = xgb.Booster(model_file=path).predict(xgb.DMatrix(X_test),
                                                                 output_margin=True)
                    model = treelite.frontend.load_xgboost_model(path)
                key = (cls.__name__, k, fmt)
                worst(res, key + ("proba_from_margin",),
                      np.max(np.abs(proba_from_margin(path, plain) - expected)))
                if fmt != "ubj":
                    meta = portable.read_metadata(path)
                    worst(res, key + ("portable",),
                          np.max(np.abs(portable.posterior(meta, plain) - expected)))
                tl = treelite.gtil.predict(model, X_test, pred_margin=True)[:, 0, :]
                tl_proba = treelite.gtil.predict(model, X_test)[:, 0, :]
                if k == 2:
                    tl, tl_proba = tl[:, 0], np.column_stack([1 - tl_proba[:, 0],
                                                              tl_proba[:, 0]])
                worst(res, key + ("treelite margin",), np.max(np.abs(tl - margin)))
                worst(res, key + ("proba_from_margin(treelite)",),
                      np.max(np.abs(proba_from_margin(path, tl) - expected)))
                worst(res, key + ("treelite proba - confidence",),
                      np.max(np.abs(tl_proba - confidence)))
                worst(res, key + ("treelite proba - predict_proba",),
                      np.max(np.abs(tl_proba - expected)))
                near = near_threshold_rows(X_test, thresholds(est), rng)
                m_near = est.decision_function(near)
                for dtype in (np.float64, np.float32):
                    tl_near = treelite.gtil.predict(model, near.astype(dtype),
                                                    pred_margin=True)[:, 0, :]
                    outputs = {"treelite": tl_near[:, 0] if k == 2 else tl_near}
                    if lgbm:  # LightGBM itself on the same features
                        outputs["lightgbm"] = lgb.Booster(model_file=path).predict(
                            near.astype(dtype), raw_score=True)
                    for who, out in outputs.items():
                        diff = np.abs(out - m_near)
                        diff = diff if k == 2 else diff.max(axis=1)
                        name = f"{who} near thresholds, {dtype.__name__}"
                        worst(res, key + (name,), diff.max())
                        flips[key + (name,)] = flips.get(key + (name,), 0) + int(
                            np.sum(diff > 1e-3))
                        rows[key + (name,)] = rows.get(key + (name,), 0) + len(near)

for key, value in res.items():
    flipped = f"   rows off by > 1e-3: {flips[key]} of {rows[key]}" if key in flips else ""
    print(" ".join(map(str, key[:3])).ljust(28), key[3].ljust(36), f"{value:.3g}{flipped}")

# Early stopping: the file keeps every tree; plain XGBoost and treelite use them all.
X, y = make_classification(n_samples=3000, n_features=10, n_informative=6, weights=[0.9],
                           random_state=0)
est = FocalXGBClassifier(n_estimators=300, learning_rate=0.3, early_stopping_rounds=5,
                         n_jobs=1).fit(X[:1500], y[:1500],
                                       eval_set=[(X[1500:2000], y[1500:2000])], verbose=False)
path = os.path.join(tmp, "es.json")
est.save_model(path)
booster = xgb.Booster(model_file=path)
dm = xgb.DMatrix(X[2000:])
gap = np.abs(booster.predict(dm, output_margin=True) - est.decision_function(X[2000:]))
best = booster.predict(dm, output_margin=True, iteration_range=(0, est.best_iteration + 1))
print(f"early stopping: best_iteration {est.best_iteration} of "
      f"{booster.num_boosted_rounds()} trees; plain margins without iteration_range: "
      f"{gap.max():.3g}; with it: "
      f"{np.abs(best - est.decision_function(X[2000:])).max():.3g}")
