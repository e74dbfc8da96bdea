"""GridSearchCV(n_jobs=2) over focal_gamma against the same search over the built-in objective.

The question: do boostfocal's kernel threads stay out of the way when scikit-learn runs
fits in parallel? joblib's process workers set ``OMP_NUM_THREADS`` (cores / n_jobs), which
both boosters and boostfocal's kernels follow, so nothing should oversubscribe. Both
searches fit the same number of models on the same folds: focal over ``focal_gamma`` in
{0, 0.5, 1, 2, 5}, the built-in objective over five ``random_state`` values (which change
nothing without subsampling: the same work five times). Tree settings make the tree work
independent of the gradients, as in ``speed.py`` (XGBoost ``max_depth=6``,
``min_child_weight=0``; LightGBM ``num_leaves=63``, ``min_child_weight=1e-12``), so the
focal/built-in ratio measures the objective's cost, not different trees. XGBoost estimators
keep their default ``n_jobs`` (None: OpenMP's default, which follows ``OMP_NUM_THREADS``).
LightGBM estimators get ``n_jobs=1``: LightGBM reads ``n_jobs=None`` as the number of
physical cores whatever ``OMP_NUM_THREADS`` says, so each of the two workers runs two
spinning OpenMP threads on the two cores, on both sides, and a search takes many times
longer (``--lgb-default-n-jobs`` measures that too). The two searches alternate A B A B;
times are medians, the ratio is the median of the per-pair ratios, and every pair's ratio
is printed so that runs can be pooled. With 200k rows, the training folds (133k rows) are
large enough for the kernels to use their thread pool if nothing stopped them.

Run::

    python benchmarks/gridsearch_threads.py        # 200k rows, 100 trees, 3 repeats
    python benchmarks/gridsearch_threads.py --n-estimators 30 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold

SEED = 0


def searches(lib: str, n_estimators: int, lgb_default_n_jobs: bool = False):
    if lib == "xgb":
        import xgboost as xgb

        from boostfocal import FocalXGBClassifier
        # min_child_weight=0 on both sides: full depth-6 trees whatever the gradients, so
        # the tree work is the same (FocalXGBClassifier's own default is 0.01, XGBoost's 1)
        common = {"n_estimators": n_estimators, "max_depth": 6, "tree_method": "hist",
                  "min_child_weight": 0}
        return (FocalXGBClassifier(**common), {"focal_gamma": [0.0, 0.5, 1.0, 2.0, 5.0]},
                xgb.XGBClassifier(**common), {"random_state": [0, 1, 2, 3, 4]})
    import lightgbm as lgb

    from boostfocal import FocalLGBMClassifier
    common = {"n_estimators": n_estimators, "num_leaves": 63, "min_child_weight": 1e-12,
              "verbose": -1}
    if not lgb_default_n_jobs:
        common["n_jobs"] = 1
    return (FocalLGBMClassifier(**common), {"focal_gamma": [0.0, 0.5, 1.0, 2.0, 5.0]},
            lgb.LGBMClassifier(**common), {"random_state": [0, 1, 2, 3, 4]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--libs", default="xgb,lgb")
    parser.add_argument("--lgb-default-n-jobs", action="store_true",
                        help="keep LightGBM's n_jobs=None (physical cores: oversubscribed)")
    args = parser.parse_args()
    X, y = make_classification(args.rows, 20, n_informative=8, weights=[0.95],
                               random_state=SEED)
    cv = StratifiedKFold(3, shuffle=True, random_state=SEED)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.2f}; {args.rows:,} rows x 20, 3 folds, "
          f"{args.n_estimators} trees, GridSearchCV(n_jobs=2), {args.repeats} repeats")
    print("| library | focal s | built-in s | ratio (min-max) |")
    print("| --- | ---: | ---: | ---: |")
    for lib in args.libs.split(","):
        focal, focal_grid, builtin, builtin_grid = searches(lib, args.n_estimators,
                                                            args.lgb_default_n_jobs)
        arms = {"focal": GridSearchCV(focal, focal_grid, cv=cv, n_jobs=2, scoring="roc_auc"),
                "built-in": GridSearchCV(builtin, builtin_grid, cv=cv, n_jobs=2,
                                         scoring="roc_auc")}
        for search in arms.values():  # warm-up: worker processes, imports, kernels
            search.fit(X[:5000], y[:5000])
        times = {name: [] for name in arms}
        for _ in range(args.repeats):
            for name, search in arms.items():
                t0 = time.perf_counter()
                search.fit(X, y)
                times[name].append(time.perf_counter() - t0)
        ratios = [a / b for a, b in zip(times["focal"], times["built-in"], strict=True)]
        name = "XGBoost" if lib == "xgb" else "LightGBM"
        print(f"| {name} | {statistics.median(times['focal']):.1f} | "
              f"{statistics.median(times['built-in']):.1f} | **{statistics.median(ratios):.3f}**"
              f" ({min(ratios):.2f}-{max(ratios):.2f}) |", flush=True)
        print(f"  {name} per-pair ratios: {', '.join(f'{r:.3f}' for r in ratios)}", flush=True)


if __name__ == "__main__":
    main()
