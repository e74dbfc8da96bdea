"""gamma = 0 is the logistic / softmax loss: boostfocal's estimators against the built-ins.

    python benchmarks/gamma0_agreement.py

Each focal estimator with ``focal_gamma=0, focal_alpha=None`` is trained beside its
library's built-in objective started from the same base score (``init_score_``), with the
same trees, on make_classification data; the script prints the largest absolute
difference in predicted probability on the training rows.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from scipy.special import expit, softmax
from sklearn.datasets import make_classification

from boostfocal import FocalLGBMClassifier, FocalXGBClassifier

XGB = dict(n_estimators=20, max_depth=3, min_child_weight=1, n_jobs=1)
LGB = dict(n_estimators=20, n_jobs=1, verbose=-1)


def main() -> None:
    rows = []
    Xb, yb = make_classification(600, 6, weights=[0.9], random_state=0)
    Xm, ym = make_classification(600, 6, n_informative=4, n_redundant=0, n_classes=3,
                                 n_clusters_per_class=1, random_state=0)

    f = FocalXGBClassifier(focal_gamma=0, **XGB).fit(Xb, yb)
    b = xgb.XGBClassifier(objective="binary:logistic", base_score=float(expit(f.init_score_)),
                          **XGB).fit(Xb, yb)
    rows.append(("XGBoost, binary:logistic", np.abs(f.predict_proba(Xb) - b.predict_proba(Xb))))

    f = FocalXGBClassifier(focal_gamma=0, **XGB).fit(Xm, ym)
    start = np.tile(f.init_score_, (len(ym), 1))
    b = xgb.XGBClassifier(objective="multi:softprob", **XGB).fit(Xm, ym, base_margin=start)
    rows.append(("XGBoost, multi:softprob (K=3)",
                 np.abs(f.predict_proba(Xm) - b.predict_proba(Xm, base_margin=start))))

    f = FocalLGBMClassifier(focal_gamma=0, **LGB).fit(Xb, yb)
    b = lgb.LGBMClassifier(objective="binary", **LGB).fit(
        Xb, yb, init_score=np.full(len(yb), f.init_score_))
    rows.append(("LightGBM, binary", np.abs(
        f.predict_proba(Xb)[:, 1] - expit(b.predict(Xb, raw_score=True) + f.init_score_))))

    f = FocalLGBMClassifier(focal_gamma=0, **LGB).fit(Xm, ym)
    b = lgb.LGBMClassifier(objective="multiclass", **LGB).fit(
        Xm, ym, init_score=np.tile(f.init_score_, (len(ym), 1)))
    rows.append(("LightGBM, multiclass (K=3)", np.abs(
        f.predict_proba(Xm) - softmax(b.predict(Xm, raw_score=True) + f.init_score_, axis=1))))

    print("| built-in objective | max abs. difference in predicted probability |\n|---|---|")
    for name, diff in rows:
        print(f"| {name} | {diff.max():.2g} |")


if __name__ == "__main__":
    main()
