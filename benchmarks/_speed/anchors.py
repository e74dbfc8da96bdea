"""Section ``anchors``: other focal implementations against their library's logistic loss."""

from __future__ import annotations

import numpy as np

from .common import N_ROUNDS, N_THREADS, SEED, Options, alternate, fmt_ratio, fmt_s, make_data

CATBOOST_TREES = {"depth": 6, "iterations": N_ROUNDS, "learning_rate": 0.1,
                  "thread_count": N_THREADS, "random_seed": SEED, "verbose": 0}
CATBOOST_FOCAL = "Focal:focal_alpha=0.25;focal_gamma=2"


def anchors(n: int, repeats: int) -> tuple[list, list]:
    """Other focal implementations against their own library's logistic loss."""
    import xgboost as xgb

    from boostfocal import FocalLoss
    from boostfocal.xgboost import make_objective

    rows, raw = [], []
    X, y = make_data(n, 2)
    try:
        import catboost
        from catboost import CatBoostClassifier
        for extra, note in (({}, "library defaults"),
                            ({"leaf_estimation_iterations": 1}, "leaf_estimation_iterations=1")):
            def cb(loss, extra=extra):
                return CatBoostClassifier(loss_function=loss, **CATBOOST_TREES,
                                          **extra).fit(X, y)
            cb(CATBOOST_FOCAL)
            cb("Logloss")
            r = alternate(lambda cb=cb: cb(CATBOOST_FOCAL), lambda cb=cb: cb("Logloss"),
                          repeats)
            rows.append(f"| CatBoost {catboost.__version__} `Focal` vs `Logloss` ({note}) "
                        f"| {n:,} | {fmt_s(r['a'])} | {fmt_s(r['b'])} | {fmt_ratio(r)} "
                        f"| {repeats} |")
            raw.append({"section": "anchor", "name": f"catboost ({note})", "rows": n, **r})
            print(rows[-1], flush=True)
    except ImportError as exc:
        rows.append(f"| CatBoost: not installed ({exc}) | | | | | |")

    params = {"max_depth": 6, "min_child_weight": 0, "tree_method": "hist",
              "nthread": N_THREADS, "seed": SEED, "disable_default_eval_metric": 1}
    dtrain = xgb.DMatrix(X, y)
    loss = FocalLoss(2.0)
    dfocal = xgb.DMatrix(X, y, base_margin=np.full(n, loss.init_score(y)))

    def builtin():
        return xgb.train({**params, "objective": "binary:logistic"}, dtrain, N_ROUNDS)

    def ours():
        return xgb.train(params, dfocal, N_ROUNDS, obj=make_objective(loss))

    candidates = [("boostfocal native adapter (`make_objective`)", ours)]
    try:
        import imxgboost
        from imxgboost.focal_loss import Focal_Binary_Loss

        imx = Focal_Binary_Loss(gamma_indct=2.0).focal_binary_object
        version = getattr(imxgboost, "__version__", None) or _dist_version("imbalance-xgboost")
        candidates.append((f"imbalance-xgboost {version} `Focal_Binary_Loss(2)`",
                           lambda: xgb.train(params, dtrain, N_ROUNDS, obj=imx)))
    except ImportError as exc:
        rows.append(f"| imbalance-xgboost: not installed ({exc}) | | | | | |")
    for name, focal in candidates:
        focal()
        builtin()
        with np.errstate(all="ignore"):  # imbalance-xgboost divides by p_t
            r = alternate(focal, builtin, repeats)
        rows.append(f"| {name} vs `binary:logistic`, `xgboost.train` on a prebuilt DMatrix "
                    f"| {n:,} | {fmt_s(r['a'])} | {fmt_s(r['b'])} | {fmt_ratio(r)} "
                    f"| {repeats} |")
        raw.append({"section": "anchor", "name": name, "rows": n, **r})
        print(rows[-1], flush=True)
    return rows, raw


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def anchors_section(opts: Options) -> tuple[list, list]:
    """The ``anchors`` section: its Markdown lines and raw records."""
    rows, raw = anchors(max(opts.sizes), opts.repeats)
    return ["### Anchors: other focal implementations vs their library's logistic loss\n",
            f"CatBoost: `{CATBOOST_FOCAL}` vs `Logloss`, "
            + ", ".join(f"`{k}={v}`" for k, v in CATBOOST_TREES.items())
            + ". CatBoost's defaults differ between the two losses "
            "(`leaf_estimation_iterations` 1 for Focal, 10 for Logloss), hence the "
            "second row with both at 1. XGBoost rows: `xgboost.train`, same tree settings, "
            "DMatrix built once outside the timing.\n",
            "| comparison | rows | focal s | built-in s | ratio (min-max) | repeats |",
            "| --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""], raw
