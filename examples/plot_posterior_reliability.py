"""
Probabilities: the focal confidence and the class posterior
===========================================================

A model trained on focal loss does not predict P(y | x) with its sigmoid: focal loss is
minimized by a distorted probability. boostfocal maps the margin back to the class
posterior (``focal_proba="posterior"``, the default of ``predict_proba``);
``focal_proba="confidence"`` returns the raw sigmoid. This example shows the map, then
the reliability of both on held-out data next to the logistic objective's.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

from boostfocal import FocalLoss, FocalXGBClassifier

# %%
# The map from confidence to posterior
# ------------------------------------
# With 5% positives, the constant that minimizes the focal loss (γ = 2, α = 0.25) is
# not the base rate; the posterior map sends it back to the base rate.

y_const = np.r_[np.ones(50), np.zeros(950)]
loss = FocalLoss(gamma=2.0, alpha=0.25)
start = loss.init_score(y_const)
confidence = loss.predict_confidence(np.array([start]))[0, 1]
posterior = loss.predict_proba(np.array([start]))[0, 1]
print(f"focal-optimal constant margin {start:.3f}: sigmoid {confidence:.3f}, "
      f"posterior {posterior:.4f} (base rate {y_const.mean():.2f})")

z = np.linspace(-8, 4, 400)
fig, ax = plt.subplots(figsize=(5.5, 4.2))
ax.plot(1 / (1 + np.exp(-z)), 1 / (1 + np.exp(-z)), color="0.6", ls=":", label="γ = 0")
for gamma in (0.5, 1.0, 2.0, 5.0):
    focal = FocalLoss(gamma)
    ax.plot(focal.predict_confidence(z)[:, 1], focal.predict_proba(z)[:, 1],
            label=f"γ = {gamma:g}")
ax.set(xlabel="focal confidence sigmoid(z)", ylabel="posterior P(y = 1 | x)",
       title="The posterior map (α = None)", xlim=(0, 1), ylim=(0, 1))
ax.legend(frameon=False)
fig.tight_layout()

# %%
# Reliability on held-out data
# ----------------------------
# The same trees, trained with the logistic objective and with focal loss at γ = 2; the
# focal model is read twice, as the posterior and as the raw confidence.

X, y = make_classification(n_samples=30_000, n_features=20, n_informative=8,
                           weights=[0.95], flip_y=0.01, class_sep=0.8, random_state=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                    random_state=1)
trees = dict(n_estimators=200, learning_rate=0.1, max_depth=4, n_jobs=1, random_state=0)
logistic = XGBClassifier(**trees).fit(X_train, y_train)
focal = FocalXGBClassifier(focal_gamma=2.0, **trees).fit(X_train, y_train)
raw = FocalXGBClassifier(focal_gamma=2.0, focal_proba="confidence", **trees)
raw.fit(X_train, y_train)

readings = {
    "logistic objective": logistic.predict_proba(X_test)[:, 1],
    "focal γ=2, posterior (default)": focal.predict_proba(X_test)[:, 1],
    "focal γ=2, raw confidence": raw.predict_proba(X_test)[:, 1],
}
fig, ax = plt.subplots(figsize=(5.5, 4.6))
ax.plot([0, 1], [0, 1], color="0.6", ls=":")
for name, proba in readings.items():
    frac, mean = calibration_curve(y_test, proba, n_bins=10, strategy="quantile")
    ax.plot(mean, frac, "o-", ms=3, label=name)
    print(f"{name:32s} log-loss {log_loss(y_test, proba):.4f}  "
          f"Brier {brier_score_loss(y_test, proba):.4f}  mean {proba.mean():.4f}")
print(f"{'held-out base rate':32s} {y_test.mean():.4f}")
ax.set(xlabel="mean predicted probability (deciles)", ylabel="fraction of positives",
       title="Reliability, held-out half", xlim=(0, 1), ylim=(0, 1))
ax.legend(frameon=False, fontsize=8.5)
fig.tight_layout()
plt.show()

# %%
# The ranking is the same: the map is strictly increasing in the margin, so average
# precision and ROC AUC of the posterior and of the raw confidence are identical.
