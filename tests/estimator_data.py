"""Small classification data sets shared by the estimator tests (not a test module)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification


def binary_data(n=300, pos=0.15, seed=0, **kwargs):
    """``n`` rows, 6 features, a ``pos`` share of positives."""
    params = {"n_features": 6, "n_informative": 4, "n_redundant": 0, "random_state": seed}
    params.update(kwargs)
    return make_classification(n_samples=n, weights=[1 - pos], **params)


def multiclass_data(n=300, seed=0):
    """``n`` rows, 6 features, 3 classes."""
    return make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, random_state=seed)


def duplicate(X, y, w):
    """Rows with integer weight ``w`` repeated ``w`` times: the data those weights stand for."""
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    return X[rows], y[rows]
