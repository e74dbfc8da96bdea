"""
Focal loss against the logistic objective
=========================================

One held-out split of a generated imbalanced data set (scikit-learn's
``make_classification``: 2% positives, 1% label noise), no download. Each library
trains its own logistic objective and boostfocal's focal loss at γ = 1 and γ = 2, with
the same trees; the scores are computed on the held-out half.

Focal models' ``predict_proba`` is mapped back to P(y = 1 | x) (see
:doc:`/probabilities`), so log-loss and Brier compare like for like. One split is noisy:
differences of a few thousandths in average precision are within split-to-split
variation. ``boostfocal compare`` answers the same question with cross-validation and
standard errors (:doc:`/choosing_gamma`).
"""

import time

import matplotlib.pyplot as plt
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.metrics import (
    PrecisionRecallDisplay,
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

from boostfocal import FocalLGBMClassifier, FocalXGBClassifier

X, y = make_classification(n_samples=20_000, n_features=20, n_informative=8,
                           weights=[0.98], flip_y=0.01, class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                    random_state=0)
print(f"{len(y)} rows, {y.mean():.1%} positives; half held out")

# %%
# The models
# ----------
# The same tree settings for every model of a library. ``n_jobs=1``: the data are small,
# and one thread per fit is not held up by other processes busy on the same cores.

xgb_trees = dict(n_estimators=200, learning_rate=0.1, max_depth=4, n_jobs=1, random_state=0)
lgb_trees = dict(n_estimators=200, learning_rate=0.1, num_leaves=15, n_jobs=1,
                 random_state=0, verbose=-1)
models = {
    "XGBoost logistic": XGBClassifier(**xgb_trees),
    "XGBoost focal γ=1": FocalXGBClassifier(focal_gamma=1.0, **xgb_trees),
    "XGBoost focal γ=2": FocalXGBClassifier(focal_gamma=2.0, **xgb_trees),
    "LightGBM logistic": LGBMClassifier(**lgb_trees),
    "LightGBM focal γ=1": FocalLGBMClassifier(focal_gamma=1.0, **lgb_trees),
    "LightGBM focal γ=2": FocalLGBMClassifier(focal_gamma=2.0, **lgb_trees),
}

# %%
# Held-out scores
# ---------------

probas = {}
print(f"{'model':20s} {'avg prec':>8s} {'ROC AUC':>8s} {'log-loss':>8s} {'Brier':>7s} "
      f"{'fit s':>5s}")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    probas[name] = proba = model.predict_proba(X_test)[:, 1]
    print(f"{name:20s} {average_precision_score(y_test, proba):8.4f} "
          f"{roc_auc_score(y_test, proba):8.4f} {log_loss(y_test, proba):8.4f} "
          f"{brier_score_loss(y_test, proba):7.4f} {seconds:5.1f}")

# %%
# Precision-recall curves
# -----------------------

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for ax, library in zip(axes, ("XGBoost", "LightGBM"), strict=True):
    for name, proba in probas.items():
        if name.startswith(library):
            PrecisionRecallDisplay.from_predictions(y_test, proba, ax=ax,
                                                    name=name.removeprefix(library + " "))
    ax.set_title(f"{library}, held-out half")
fig.tight_layout()
plt.show()
