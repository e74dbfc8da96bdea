"""
Choosing γ with a grid search
=============================

``focal_gamma`` is an ordinary scikit-learn parameter, so ``GridSearchCV`` searches
it. Score on what you care about: here the average precision of the rare class.
``boostfocal compare`` (:doc:`/choosing_gamma`) runs the same search together with the
logistic, class-weighted and GHM-C baselines, and says whether the best γ is beyond
fold-to-fold noise.

Inside a parallel search (``n_jobs=2`` here), give the LightGBM estimator ``n_jobs=1``:
LightGBM reads its default ``n_jobs=None`` as every physical core, whatever the search
does, and oversubscribes (:doc:`/performance`).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from boostfocal import FocalLGBMClassifier

X, y = make_classification(n_samples=10_000, n_features=20, n_informative=8,
                           weights=[0.97], flip_y=0.01, class_sep=0.8, random_state=3)

search = GridSearchCV(
    FocalLGBMClassifier(n_estimators=100, num_leaves=15, n_jobs=1, verbose=-1),
    {"focal_gamma": [0.0, 0.5, 1.0, 2.0, 5.0]},
    scoring="average_precision",  # 0/1 labels: the positive class is 1
    cv=StratifiedKFold(3, shuffle=True, random_state=0), n_jobs=2)
search.fit(X, y)

gammas = np.array(search.cv_results_["param_focal_gamma"], dtype=float)
mean = search.cv_results_["mean_test_score"]
std = search.cv_results_["std_test_score"]
for g, m, s in zip(gammas, mean, std, strict=True):
    print(f"focal_gamma={g:<4g} average precision {m:.4f} ± {s:.4f}")
print("best:", search.best_params_)

# %%
# γ = 0 is the logistic loss, so the first point is the logistic objective's score.
# Differences smaller than the fold-to-fold spread are noise.

fig, ax = plt.subplots(figsize=(6, 4.2))
ax.errorbar(gammas, mean, yerr=std, fmt="o-", capsize=3)
ax.set(xlabel="focal_gamma", ylabel="average precision (3-fold CV, mean ± std)",
       title="GridSearchCV over focal_gamma")
fig.tight_layout()
plt.show()
