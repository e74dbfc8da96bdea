"""Worst |plain-library margin - decision_function| and TreeSHAP-sum error, model files.

Run: ``python benchmarks/model_files.py`` (needs shap).
"""

import os
import tempfile

import lightgbm as lgb
import numpy as np
import shap
import xgboost as xgb
from sklearn.datasets import make_classification

from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier

worst_margin, worst_shap, worst_contrib = {}, {}, {}
tmp = tempfile.mkdtemp()
for seed in range(3):
    for k in (2, 3):
        X, y = make_classification(
            n_samples=3000,
            n_features=10,
            n_informative=6,
            n_classes=k,
            weights=[0.9] if k == 2 else [0.6, 0.3],
            random_state=seed,
        )
        labels = np.array(["a", "b", "c"])[y]
        for cls in (FocalXGBClassifier, GHMXGBClassifier, FocalLGBMClassifier, GHMLGBMClassifier):
            if k > 2 and cls.__name__.startswith("GHM"):
                continue
            lgbm = "LGBM" in cls.__name__
            est = cls(n_estimators=50, n_jobs=1, **({"verbose": -1} if lgbm else {})).fit(
                X, labels
            )
            d = est.decision_function(X)
            for fmt in ("txt",) if lgbm else ("json", "ubj"):
                p = os.path.join(tmp, "m." + fmt)
                est.save_model(p)
                if lgbm:
                    nat = lgb.Booster(model_file=p).predict(X, raw_score=True)
                else:
                    b = xgb.Booster()
                    b.load_model(p)
                    nat = b.predict(xgb.DMatrix(X), output_margin=True)
                key = (cls.__name__, k, fmt)
                worst_margin[key] = max(worst_margin.get(key, 0), float(np.max(np.abs(nat - d))))
            e = shap.TreeExplainer(est)
            sv = np.asarray(e.shap_values(X))
            tot = np.asarray(e.expected_value) + sv.sum(axis=1)
            key = (cls.__name__, k)
            worst_shap[key] = max(worst_shap.get(key, 0), float(np.max(np.abs(tot - d))))
            if lgbm:
                c = est.booster_.predict(X, pred_contrib=True)
            else:
                c = est.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)
            c = np.asarray(c).reshape(len(X), -1 if k > 2 else 1, X.shape[1] + 1).sum(axis=2)
            worst_contrib[key] = max(
                worst_contrib.get(key, 0), float(np.max(np.abs(c - d.reshape(len(X), -1))))
            )
print("native margin:", worst_margin)
print("shap:", worst_shap)
print("contrib:", worst_contrib)
print(
    "max native",
    max(worst_margin.values()),
    "max shap",
    max(worst_shap.values()),
    "max contrib",
    max(worst_contrib.values()),
)
