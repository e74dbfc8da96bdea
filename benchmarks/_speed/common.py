"""The data, models, timers and options shared by the sections of ``speed.py``."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 0
N_FEATURES = 20
N_ROUNDS = 40
N_THREADS = 2
#: 5-class priors for the multiclass data.
CLASS_WEIGHTS = (0.55, 0.2, 0.12, 0.08, 0.05)
XGB_TREES = {"n_estimators": N_ROUNDS, "max_depth": 6, "min_child_weight": 0,
             "tree_method": "hist", "n_jobs": N_THREADS, "random_state": SEED}
LGB_TREES = {"n_estimators": N_ROUNDS, "num_leaves": 63, "min_child_weight": 1e-12,
             "n_jobs": N_THREADS, "random_state": SEED, "verbose": -1}
#: The command whose hidden ``--_*-child`` options run the child processes.
SPEED_SCRIPT = str(Path(__file__).resolve().parent.parent / "speed.py")
#: The repository (paths in the memory profile are shown relative to it).
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Options:
    """What the command line asks of the sections.

    ``sizes``: the training sizes (``--rows``); ``repeats``: the slow comparisons'
    alternating repeats; ``small``: the repeats of the comparisons under 1M values;
    ``quick``: ``--quick`` (fewer repeats in the fixed-size sections).
    """

    sizes: list
    repeats: int
    small: int
    quick: bool


# ---------------------------------------------------------------------------------------
# data and models
# ---------------------------------------------------------------------------------------
def make_data(n_rows: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``make_classification`` with ~5% positives (binary) or CLASS_WEIGHTS, seed 0."""
    from sklearn.datasets import make_classification

    weights = [0.95] if n_classes == 2 else list(CLASS_WEIGHTS)
    X, y = make_classification(n_samples=n_rows, n_features=N_FEATURES, n_informative=10,
                               n_redundant=4, n_classes=n_classes, n_clusters_per_class=1,
                               weights=weights, flip_y=0.01, random_state=SEED)
    return X, y


class FloorObjective:
    """The cheapest custom objective there is: constant float32 pairs, allocated once.

    Not a loss: a control for the memory section. Whatever a library's custom-objective
    interface costs (copies of the predictions, of the gradients, Python-side buffers),
    this pays too, and nothing more.
    """

    def __init__(self) -> None:
        self.pair = None

    def __call__(self, y_true, y_pred, *weight):
        if self.pair is None or self.pair[0].shape != np.shape(y_pred):
            order = "F" if np.ndim(y_pred) == 2 and y_pred.flags.f_contiguous else "C"
            grad = np.full(np.shape(y_pred), 0.1, dtype=np.float32, order=order)
            self.pair = grad, np.ones_like(grad)
        return self.pair


def make_model(name: str):
    """A fresh estimator: ``{xgb,lgb}_{focal,builtin,floor}`` with the tree settings above.

    ``floor``: the library's classifier with :class:`FloorObjective` (memory control).
    """
    backend, kind = name.split("_")
    if kind == "floor":
        if backend == "xgb":
            import xgboost as xgb
            return xgb.XGBClassifier(objective=FloorObjective(), **XGB_TREES)
        import lightgbm as lgb
        return lgb.LGBMClassifier(objective=FloorObjective(), **LGB_TREES)
    if backend == "xgb":
        if kind == "focal":
            from boostfocal import FocalXGBClassifier
            return FocalXGBClassifier(focal_gamma=2.0, **XGB_TREES)
        import xgboost as xgb
        return xgb.XGBClassifier(**XGB_TREES)
    if kind == "focal":
        from boostfocal import FocalLGBMClassifier
        return FocalLGBMClassifier(focal_gamma=2.0, **LGB_TREES)
    import lightgbm as lgb
    return lgb.LGBMClassifier(**LGB_TREES)


# ---------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------
def alternate(a, b, repeats: int) -> dict:
    """Time ``a()`` and ``b()`` alternately, A B A B; medians and the median ratio."""
    ta, tb = [], []
    for _ in range(repeats):
        for f, ts in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    return {"a": statistics.median(ta), "b": statistics.median(tb),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios), "repeats": repeats}


def alternate_many(fns: dict, repeats: int) -> dict:
    """Time each of ``fns`` in turn, A B C A B C; medians, and ratios to the first entry."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return times


def _ratio(ta: list, tb: list) -> dict:
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    return {"a": statistics.median(ta), "b": statistics.median(tb),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios), "repeats": len(ratios)}


def fmt_ratio(r: dict) -> str:
    return f"**{r['ratio']:.3f}** ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})"


def case_names(backend: str, n_classes: int) -> tuple[str, str]:
    """The table's library and task names: ("XGBoost", "binary"), ("LightGBM", "5 classes")."""
    lib = "XGBoost" if backend == "xgb" else "LightGBM"
    return lib, "binary" if n_classes == 2 else f"{n_classes} classes"


def fmt_s(t: float) -> str:
    return f"{t:.3f}" if t < 10 else f"{t:.2f}"


# ---------------------------------------------------------------------------------------
# child processes
# ---------------------------------------------------------------------------------------
def _status(key: str) -> int:
    """A ``/proc/self/status`` entry in bytes (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def save_data(folder: str, n: int, n_classes: int) -> str:
    """The benchmark data saved for a child process: ``stem + "_X.npy"`` / ``"_y.npy"``."""
    X, y = make_data(n, n_classes)
    stem = os.path.join(folder, f"d{n}_{n_classes}")
    np.save(stem + "_X.npy", X)
    np.save(stem + "_y.npy", y)
    return stem
