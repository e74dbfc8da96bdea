"""
GHM-C under label noise
=======================

GHM-C (:class:`boostfocal.GHMLoss`, :class:`boostfocal.GHMXGBClassifier`) re-weights
each example's logistic gradient by how *common* its gradient norm ``|sigmoid(z) - y|``
is. It is designed to down-weight crowds: the many easy examples near norm 0, and a
dense cluster of hopeless (for example mislabelled) examples near norm 1, which focal
loss would up-weight.

This example first shows the weights GHM-C gives a trained model's training examples,
clean and mislabelled, then trains the logistic objective, focal loss and GHM-C with 0%,
10% and 20% of the training labels flipped and scores them on clean held-out labels. It
is one generated data set and one split: on three real data sets (:doc:`/benchmarks`)
GHM-C ranked *worse* than the logistic and focal losses, with or without noise. Measure
on your data.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

from boostfocal import FocalXGBClassifier, GHMLoss, GHMXGBClassifier

X, y = make_classification(n_samples=12_000, n_features=20, n_informative=8,
                           weights=[0.9], class_sep=1.0, random_state=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                    random_state=2)
trees = dict(n_estimators=150, learning_rate=0.1, max_depth=4, n_jobs=1, random_state=0)


def flip(labels, share, seed=0):
    """Flip ``share`` of the labels, chosen at random."""
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    rows = rng.choice(len(labels), int(round(share * len(labels))), replace=False)
    noisy[rows] = 1 - noisy[rows]
    return noisy, rows


# %%
# The weights of a trained model's examples
# -----------------------------------------
# A logistic model trained on labels with 10% flipped; GHM-C's weight of each training
# example at that model's margins (10 bins), flipped examples in red. Whether the flipped
# labels end up in a crowded bin (down-weighted) or spread over sparse ones (up-weighted)
# depends on how far the model has fitted them: the mean weights printed below say which
# happened here.

y_noisy, flipped = flip(y_train, 0.10)
logistic = XGBClassifier(**trees).fit(X_train, y_noisy)
margin = logistic.predict(X_train, output_margin=True)
norm = np.abs(1 / (1 + np.exp(-margin)) - y_noisy)
beta = GHMLoss(bins=10).bin_weights(y_noisy, margin)
is_flipped = np.zeros(len(y_noisy), dtype=bool)
is_flipped[flipped] = True

fig, ax = plt.subplots(figsize=(6, 4.2))
ax.scatter(norm[~is_flipped], beta[~is_flipped], s=4, alpha=0.3, label="clean label")
ax.scatter(norm[is_flipped], beta[is_flipped], s=4, alpha=0.3, color="tab:red",
           label="flipped label")
ax.set(xlabel="gradient norm |sigmoid(z) - y|", ylabel="GHM-C weight β", yscale="log",
       title="GHM-C weights (10 bins), logistic model, 10% flipped")
ax.legend(frameon=False, markerscale=4)
fig.tight_layout()
print(f"mean weight: clean labels {beta[~is_flipped].mean():.2f}, "
      f"flipped labels {beta[is_flipped].mean():.2f}")

# %%
# Held-out average precision against the share of flipped training labels
# ------------------------------------------------------------------------

shares = [0.0, 0.1, 0.2]
models = {
    "logistic": lambda: XGBClassifier(**trees),
    "focal γ=2": lambda: FocalXGBClassifier(focal_gamma=2.0, **trees),
    "GHM-C (10 bins)": lambda: GHMXGBClassifier(ghm_bins=10, **trees),
}
scores = {name: [] for name in models}
for share in shares:
    y_fit = flip(y_train, share)[0]
    for name, make in models.items():
        proba = make().fit(X_train, y_fit).predict_proba(X_test)[:, 1]
        scores[name].append(average_precision_score(y_test, proba))
    print(f"{share:4.0%} flipped: " + ", ".join(f"{name} {scores[name][-1]:.4f}"
                                                for name in models))

fig, ax = plt.subplots(figsize=(6, 4.2))
for name, values in scores.items():
    ax.plot([100 * s for s in shares], values, "o-", label=name)
ax.set(xlabel="training labels flipped (%)", ylabel="held-out average precision",
       title="Clean held-out labels, one split")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
