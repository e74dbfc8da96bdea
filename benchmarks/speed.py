"""Speed and memory of the focal objectives against the libraries' built-in objectives.

Every comparison runs its two sides in one process, alternating A B A B, and reports the
median time of each side and the median of the per-pair ratios (A / B): on a shared
machine the load drifts, and a ratio of two runs taken back to back is far steadier than
a ratio of two medians taken minutes apart.

Sections:

- **training**: ``FocalXGBClassifier`` vs ``XGBClassifier`` and ``FocalLGBMClassifier``
  vs ``LGBMClassifier``, binary (~5% positives) and 5 classes, ``fit`` end to end. Tree
  settings make the tree work independent of the gradient values: XGBoost ``hist``,
  ``max_depth=6``, ``min_child_weight=0``; LightGBM ``num_leaves=63`` and
  ``min_child_weight`` (``min_sum_hessian_in_leaf``) ``1e-12`` on both sides (LightGBM
  aborts on an empty child with 0, built-in objective included, so FocalLGBMClassifier
  refuses values <= 1e-15).
- **where the time goes**: one instrumented focal fit per configuration: time inside the
  objective callback, and inside ``loss.gradient_hessian`` (the kernel plus its checks).
- **anchors**: CatBoost's built-in ``Focal`` loss vs its ``Logloss``, and the focal
  objective of the ``imbalance-xgboost`` package vs ``binary:logistic`` (both through
  ``xgboost.train`` on one prebuilt DMatrix, beside boostfocal's native adapter).
- **kernel alone**: ``FocalLoss.gradient_hessian`` on 1M margins vs numpy's logistic
  gradient (``p = expit(z); p - y, p * (1 - p)``), and ``SoftmaxFocalLoss`` (K = 5) vs
  numpy's softmax gradient.
- **instruction sets**: the kernels under each build of the extension (baseline x86-64,
  AVX2+FMA, AVX-512) that the machine runs, one thread.
- **fallback**: the numpy kernels (what runs where the extension was not built): binary
  ``fit`` with them against the built-in objective and against the compiled kernels, A B C
  A B C, and the kernel alone, numpy against compiled.
- **peak memory**: each model's ``fit`` in a fresh subprocess on the same data, peak RSS
  (``VmHWM``, reset just before ``fit``).
- **memory profile**: the live Python-side arrays (tracemalloc) at a focal objective call,
  with where each was allocated.
- **first-call cost**: importing the compiled kernels and each kernel variant's first call
  in a fresh subprocess (the kernels are compiled ahead of time: there is no JIT), twice.
- **predict_proba** (``--sections proba``): ``FocalXGBClassifier.predict_proba`` vs
  ``XGBClassifier.predict_proba`` and ``FocalLGBMClassifier`` vs ``LGBMClassifier``, 200k
  rows, 100 trees per class, ``n_jobs=2``, binary and 5 classes; then where the focal
  side's time goes (the booster's margins, the posterior map).
- **probability kernel** (``--sections proba-kernel``): the posterior map alone
  (``loss.predict_proba`` on margins), ns per row, compiled and numpy kernels, 1 and 2
  threads. On a checkout before the kernels existed it times the numpy map there.

Run::

    python benchmarks/speed.py            # 100k and 1M rows, about 10 minutes
    python benchmarks/speed.py --quick    # 100k rows, fewer repeats
    python benchmarks/speed.py --sections proba,proba-kernel   # about 6 minutes

boostfocal is imported from the Python path: from a checkout, put it first
(``PYTHONPATH=. python benchmarks/speed.py``; a script's own folder, not the working
directory, is what Python puts there). To time another checkout's boostfocal with this
script (say main before a change), put that checkout first instead; the report names the
boostfocal it imported.

Results: printed, and written to ``benchmarks/out/speed.md`` (``speed_quick.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
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
CATBOOST_TREES = {"depth": 6, "iterations": N_ROUNDS, "learning_rate": 0.1,
                  "thread_count": N_THREADS, "random_seed": SEED, "verbose": 0}
CATBOOST_FOCAL = "Focal:focal_alpha=0.25;focal_gamma=2"
OUT_DIR = Path(__file__).resolve().parent / "out"


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


def fmt_ratio(r: dict) -> str:
    return f"**{r['ratio']:.3f}** ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})"


def fmt_s(t: float) -> str:
    return f"{t:.3f}" if t < 10 else f"{t:.2f}"


def training(sizes: list[int], repeats_big: int, repeats_small: int) -> tuple[list, list]:
    """The four estimator pairs (xgb/lgb x binary/5-class) at each size."""
    rows, raw = [], []
    for n_classes in (2, 5):
        for n in sizes:
            X, y = make_data(n, n_classes)
            repeats = repeats_small if n * n_classes < 1_000_000 else repeats_big
            for backend in ("xgb", "lgb"):
                focal, builtin = f"{backend}_focal", f"{backend}_builtin"
                # warm-up on a slice: the kernels and the libraries
                # load their code, and the allocator settles
                make_model(focal).fit(X[:20_000], y[:20_000])
                make_model(builtin).fit(X[:20_000], y[:20_000])
                r = alternate(lambda f=focal, X=X, y=y: make_model(f).fit(X, y),
                              lambda b=builtin, X=X, y=y: make_model(b).fit(X, y), repeats)
                label = "binary" if n_classes == 2 else f"{n_classes} classes"
                lib = "XGBoost" if backend == "xgb" else "LightGBM"
                rows.append(f"| {lib} | {label} | {n:,} | {fmt_s(r['a'])} | {fmt_s(r['b'])} "
                            f"| {fmt_ratio(r)} | {repeats} |")
                raw.append({"section": "training", "backend": backend,
                            "n_classes": n_classes, "rows": n, **r})
                print(rows[-1], flush=True)
    return rows, raw


def where_time_goes(sizes: list[int]) -> tuple[list, list]:
    """One instrumented focal fit per configuration: callback and kernel time."""
    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal._shared.adapter import NativeObjective

    spent = {"callback": 0.0, "kernel": 0.0, "calls": 0}
    call, fl_gh, sm_gh = (NativeObjective.__call__, FocalLoss.gradient_hessian,
                          SoftmaxFocalLoss.gradient_hessian)

    def timed(f, key):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t0
                spent["calls"] += key == "callback"
        return wrapper

    rows, raw = [], []
    NativeObjective.__call__ = timed(call, "callback")
    FocalLoss.gradient_hessian = timed(fl_gh, "kernel")
    SoftmaxFocalLoss.gradient_hessian = timed(sm_gh, "kernel")
    try:
        for n_classes in (2, 5):
            for n in sizes:
                X, y = make_data(n, n_classes)
                for backend in ("xgb", "lgb"):
                    model = make_model(f"{backend}_focal")
                    spent.update(callback=0.0, kernel=0.0, calls=0)
                    t0 = time.perf_counter()
                    model.fit(X, y)
                    total = time.perf_counter() - t0
                    cb, k = spent["callback"], spent["kernel"]
                    per = 1e3 / max(spent["calls"], 1)
                    label = "binary" if n_classes == 2 else f"{n_classes} classes"
                    lib = "XGBoost" if backend == "xgb" else "LightGBM"
                    rows.append(
                        f"| {lib} | {label} | {n:,} | {total:.2f} | {cb:.3f} ({cb / total:.1%}) "
                        f"| {k:.3f} ({k / total:.1%}) | {k * per:.2f} | "
                        f"{(cb - k) * per:.2f} |")
                    raw.append({"section": "profile", "backend": backend,
                                "n_classes": n_classes, "rows": n, "fit": total,
                                "callback": cb, "kernel": k, "calls": spent["calls"]})
                    print(rows[-1], flush=True)
    finally:
        NativeObjective.__call__ = call
        FocalLoss.gradient_hessian = fl_gh
        SoftmaxFocalLoss.gradient_hessian = sm_gh
    return rows, raw


# ---------------------------------------------------------------------------------------
# anchors: CatBoost's Focal, imbalance-xgboost
# ---------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------
# kernel alone
# ---------------------------------------------------------------------------------------
def kernels(n: int, repeats: int) -> tuple[list, list]:
    """The loss objects' gradient_hessian against numpy's logistic / softmax gradient."""
    from scipy.special import expit

    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal.losses import _kernels

    rng = np.random.default_rng(SEED)
    z = rng.normal(-2.0, 2.0, n)
    y = (rng.random(n) < 0.05).astype(np.float64)
    z32, y32 = z.astype(np.float32), y.astype(np.float32)
    k = 5
    zk = rng.normal(0.0, 2.0, (n, k))
    yk = rng.integers(0, k, n).astype(np.float64)
    zk32, yk32 = zk.astype(np.float32), yk.astype(np.float32)
    zkf = np.asfortranarray(zk)
    rows_idx = np.arange(n)

    def logistic(yy, zz):
        p = expit(zz)
        return p - yy, p * (1 - p)

    def softmax(yy, zz):
        e = np.exp(zz - zz.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        g = p.copy()
        g[rows_idx, yy.astype(np.intp)] -= 1.0
        return g, p * (1 - p)

    cases = [
        ("`FocalLoss(2.0)`, float64", lambda: FocalLoss(2.0).gradient_hessian(y, z),
         "logistic, float64", lambda: logistic(y, z)),
        ("`FocalLoss(2.5)`, float64", lambda: FocalLoss(2.5).gradient_hessian(y, z),
         "logistic, float64", lambda: logistic(y, z)),
        ("`FocalLoss(2.0)`, float32 (XGBoost's dtypes)",
         lambda: FocalLoss(2.0).gradient_hessian(y32, z32),
         "logistic, float32", lambda: logistic(y32, z32)),
        (f"`SoftmaxFocalLoss(2.0)`, K={k}, float64",
         lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk, zk),
         "softmax, float64", lambda: softmax(yk, zk)),
        (f"`SoftmaxFocalLoss(2.0)`, K={k}, float64 F order (LightGBM's layout)",
         lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk32, zkf),
         "softmax, float64", lambda: softmax(yk, zk)),
        (f"`SoftmaxFocalLoss(2.0)`, K={k}, float32 (XGBoost's dtypes)",
         lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk32, zk32),
         "softmax, float32", lambda: softmax(yk32, zk32)),
    ]
    rows, raw = [], []
    saved = _kernels.MIN_ROWS_PER_THREAD
    for threads in ("default", "1"):
        try:
            if threads == "1":
                _kernels.MIN_ROWS_PER_THREAD = n + 1
            for name, ours, base_name, base in cases:
                if threads == "1" and "2.5" in name:
                    continue
                ours()
                base()
                r = alternate(ours, base, repeats)
                nthreads = (f"{min(_kernels.resolve_threads(), n // saved)}"
                            if threads == "default"
                            else "1")
                rows.append(f"| {name} | {nthreads} | {r['a'] * 1e3:.2f} | numpy {base_name} "
                            f"| {r['b'] * 1e3:.2f} | {fmt_ratio(r)} | {repeats} |")
                raw.append({"section": "kernel", "name": name, "threads": nthreads,
                            "rows": n, **r})
                print(rows[-1], flush=True)
        finally:
            _kernels.MIN_ROWS_PER_THREAD = saved
    return rows, raw


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


def fallback(sizes: list[int], repeats: int) -> tuple[list, list]:
    """The numpy fallback kernels: binary training time, and the kernel alone."""
    from boostfocal import FocalLoss
    from boostfocal.losses import _kernels

    if "compiled" not in _kernels.available_backends():
        print("fallback: the compiled kernels are not built; numpy vs built-in only")
    has_compiled = "compiled" in _kernels.available_backends()

    def on(backend, f):
        def run():
            with _kernels.use_backend(backend):
                return f()
        return run

    rows, raw = [], []
    for n in sizes:
        X, y = make_data(n, 2)
        for lib in ("xgb", "lgb"):
            focal, builtin = f"{lib}_focal", f"{lib}_builtin"
            fns = {"numpy": on("numpy", lambda f=focal, X=X, y=y: make_model(f).fit(X, y)),
                   "built-in": lambda b=builtin, X=X, y=y: make_model(b).fit(X, y)}
            if has_compiled:
                fns["compiled"] = on("compiled",
                                     lambda f=focal, X=X, y=y: make_model(f).fit(X, y))
            for f in fns.values():  # warm-up
                f()
            t = alternate_many(fns, repeats)
            r = _ratio(t["numpy"], t["built-in"])
            c = _ratio(t["compiled"], t["built-in"]) if has_compiled else None
            nc = _ratio(t["numpy"], t["compiled"]) if has_compiled else None
            name = "XGBoost" if lib == "xgb" else "LightGBM"
            rows.append(f"| {name} | {n:,} | {fmt_s(r['a'])} | {fmt_s(r['b'])} | "
                        f"{fmt_ratio(r)} | "
                        + (f"{fmt_s(c['a'])} | {fmt_ratio(c)} | {fmt_ratio(nc)} |"
                           if has_compiled else "- | - | - |") + f" {repeats} |")
            raw.append({"section": "fallback", "backend": lib, "rows": n,
                        "numpy_vs_builtin": r, "compiled_vs_builtin": c,
                        "numpy_vs_compiled": nc})
            print(rows[-1], flush=True)
    # the kernel alone, as the adapters call it (float32 labels and outputs)
    n = max(sizes)
    rng = np.random.default_rng(SEED)
    z = rng.normal(-2.0, 2.0, n).astype(np.float32)
    yk = (rng.random(n) < 0.05).astype(np.float32)
    g = np.empty(n, np.float32)
    h = np.empty(n, np.float32)
    kernel_rows = []
    if has_compiled:
        for gamma in (2.0, 2.5):
            for threads in (None, 1):
                loss = FocalLoss(gamma)
                fns = {b: on(b, lambda loss=loss, t=threads: loss.gradient_hessian(
                    yk, z, None, g, h, n_threads=t)) for b in ("numpy", "compiled")}
                for f in fns.values():
                    f()
                t = alternate_many(fns, 4 * repeats + 1)
                r = _ratio(t["numpy"], t["compiled"])
                nthreads = _kernels.resolve_threads(threads)
                kernel_rows.append(f"| `FocalLoss({gamma})`, float32 | {nthreads} | "
                                   f"{r['a'] * 1e3:.2f} | {r['b'] * 1e3:.2f} | "
                                   f"{fmt_ratio(r)} |")
                raw.append({"section": "fallback-kernel", "gamma": gamma, "rows": n,
                            "threads": nthreads, **r})
                print(kernel_rows[-1], flush=True)
    return rows, kernel_rows, raw


def instruction_sets(n: int, repeats: int) -> tuple[list, list]:
    """The kernels under each instruction-set build this machine runs, on one thread."""
    from scipy.special import expit

    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal.losses import _kernels
    from boostfocal.losses._kernels import _ckernels

    rng = np.random.default_rng(SEED)
    z = rng.normal(-2.0, 2.0, n)
    y = (rng.random(n) < 0.05).astype(np.float64)
    zk = rng.normal(0.0, 2.0, (n, 5))
    yk = rng.integers(0, 5, n).astype(np.float64)

    rows_idx = np.arange(n)

    def logistic():
        p = expit(z)
        return p - y, p * (1 - p)

    def softmax():
        e = np.exp(zk - zk.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        g = p.copy()
        g[rows_idx, yk.astype(np.intp)] -= 1.0
        return g, p * (1 - p)

    cases = [("`FocalLoss(2.0)`, float64", lambda: FocalLoss(2.0).gradient_hessian(y, z),
              "logistic", logistic),
             ("`SoftmaxFocalLoss(2.0)`, K=5, float64",
              lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk, zk), "softmax", softmax)]
    rows, raw = [], []
    saved_rows, saved_isa = _kernels.MIN_ROWS_PER_THREAD, _ckernels.isa()
    try:
        _kernels.MIN_ROWS_PER_THREAD = n + 1
        for isa in _ckernels.isas():
            _ckernels.set_isa(isa)
            for name, ours, base_name, base in cases:
                ours()
                r = alternate(ours, base, repeats)
                rows.append(f"| {isa} | {name} | {r['a'] * 1e3:.2f} | numpy {base_name} | "
                            f"{r['b'] * 1e3:.2f} | {fmt_ratio(r)} |")
                raw.append({"section": "isa", "isa": isa, "case": name, **r})
                print(rows[-1], flush=True)
    finally:
        _kernels.MIN_ROWS_PER_THREAD = saved_rows
        _ckernels.set_isa(saved_isa)
    return rows, raw


# ---------------------------------------------------------------------------------------
# predict_proba: estimators, and the probability kernel alone
# ---------------------------------------------------------------------------------------
PROBA_ROWS = 200_000
PROBA_TREES = 100


def proba_models(backend: str, n_classes: int, X, y) -> tuple:
    """The focal and built-in classifiers of ``backend``, fitted on ``X, y``: 100 trees
    (per class), the training section's tree settings, ``n_jobs=2``."""
    trees = dict(XGB_TREES if backend == "xgb" else LGB_TREES, n_estimators=PROBA_TREES)
    if backend == "xgb":
        import xgboost as xgb

        from boostfocal import FocalXGBClassifier
        focal, builtin = FocalXGBClassifier(focal_gamma=2.0, **trees), xgb.XGBClassifier(**trees)
    else:
        import lightgbm as lgb

        from boostfocal import FocalLGBMClassifier
        focal = FocalLGBMClassifier(focal_gamma=2.0, **trees)
        builtin = lgb.LGBMClassifier(**trees)
    return focal.fit(X, y), builtin.fit(X, y)


def _takes_threads(method) -> bool:
    """Whether a loss's probability method has the ``n_threads`` keyword (new code)."""
    import inspect

    return "n_threads" in inspect.signature(method).parameters


def proba(repeats: int) -> tuple[list, list, list]:
    """predict_proba of the focal estimators vs the built-in ones; and the focal side's own
    margins in the same alternation (A B C A B C), so that ``predict_proba / margins`` is
    what boostfocal adds on the same trees (the two models' trees differ, and so does the
    time the boosters take to walk them); then the posterior map alone."""
    rows, split_rows, raw = [], [], []
    for n_classes in (2, 5):
        X, y = make_data(PROBA_ROWS, n_classes)
        for backend in ("xgb", "lgb"):
            focal, builtin = proba_models(backend, n_classes, X, y)
            np.testing.assert_array_equal(focal.classes_, builtin.classes_)
            fns = {"focal": lambda f=focal, X=X: f.predict_proba(X),
                   "margins": lambda f=focal, X=X: f.decision_function(X),
                   "built-in": lambda b=builtin, X=X: b.predict_proba(X)}
            for f in fns.values():  # warm-up: code paths, allocator
                f()
            t = alternate_many(fns, repeats)
            r = _ratio(t["focal"], t["built-in"])
            own = _ratio(t["focal"], t["margins"])
            label = "binary" if n_classes == 2 else f"{n_classes} classes"
            lib = "XGBoost" if backend == "xgb" else "LightGBM"
            rows.append(f"| {lib} | {label} | {PROBA_ROWS:,} | {r['a'] * 1e3:.1f} | "
                        f"{r['b'] * 1e3:.1f} | {fmt_ratio(r)} | "
                        f"{statistics.median(t['margins']) * 1e3:.1f} | {fmt_ratio(own)} | "
                        f"{repeats} |")
            # the posterior map alone
            margin = focal.decision_function(X)
            loss = focal.loss_
            kwargs = {"n_threads": N_THREADS} if _takes_threads(loss.predict_proba) else {}
            t_map = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                loss.predict_proba(margin, **kwargs)
                t_map.append(time.perf_counter() - t0)
            tp = statistics.median(t_map)
            split_rows.append(f"| {lib} | {label} | {tp * 1e3:.1f} | "
                              f"{tp / PROBA_ROWS * 1e9:.0f} | {tp / r['a']:.1%} |")
            raw.append({"section": "proba", "backend": backend, "n_classes": n_classes,
                        "rows": PROBA_ROWS, **r, "over_margins": own, "map": tp,
                        "times": t})
            print(rows[-1], flush=True)
            print(split_rows[-1], flush=True)
    return rows, split_rows, raw


def proba_kernel(n: int, repeats: int) -> tuple[list, list]:
    """The posterior map alone, ns per row: compiled and numpy kernels, 1 and 2 threads.

    Margins ~ N(-2, 2) (binary) and N(0, 2) (K = 5), float64 (LightGBM's dtype) and
    float32 (XGBoost's). Where this boostfocal has no probability kernels (before they
    existed), the one numpy map it has, on the calling thread.
    """
    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal.losses import _kernels

    rng = np.random.default_rng(SEED)
    z = rng.normal(-2.0, 2.0, n)
    zk = rng.normal(0.0, 2.0, (n, 5))
    cases = [("`FocalLoss(2.0)`", "float64", FocalLoss(2.0), z),
             ("`FocalLoss(2.0)`", "float32", FocalLoss(2.0), z.astype(np.float32)),
             ("`FocalLoss(2.0, alpha=0.25)`", "float64", FocalLoss(2.0, 0.25), z),
             ("`SoftmaxFocalLoss(2.0)`, K=5", "float64", SoftmaxFocalLoss(2.0), zk),
             ("`SoftmaxFocalLoss(2.0)`, K=5", "float32", SoftmaxFocalLoss(2.0),
              zk.astype(np.float32))]
    has_kernel = hasattr(_kernels, "run_binary_proba")
    arms = ([(b, t) for b in _kernels.available_backends()[::-1] for t in (1, N_THREADS)]
            if has_kernel else [("numpy map (no kernel)", 1)])
    rows, raw = [], []
    for name, dtype, loss, zz in cases:
        fns = {}
        for backend, threads in arms:
            if has_kernel:
                def run(loss=loss, zz=zz, backend=backend, threads=threads):
                    with _kernels.use_backend(backend):
                        loss.predict_proba(zz, n_threads=threads)
            else:
                def run(loss=loss, zz=zz):
                    loss.predict_proba(zz)
            fns[(backend, threads)] = run
        for f in fns.values():
            f()
        times = alternate_many(fns, repeats)
        for (backend, threads), ts in times.items():
            t = statistics.median(ts)
            rows.append(f"| {name} | {dtype} | {backend} | {threads} | {t * 1e3:.2f} | "
                        f"{t / n * 1e9:.1f} |")
            raw.append({"section": "proba-kernel", "case": name, "dtype": dtype,
                        "backend": backend, "threads": threads, "rows": n, "median": t,
                        "repeats": repeats})
            print(rows[-1], flush=True)
    return rows, raw


# ---------------------------------------------------------------------------------------
# subprocesses: peak memory and first-call cost
# ---------------------------------------------------------------------------------------
def _status(key: str) -> int:
    """A ``/proc/self/status`` entry in bytes (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def memory_child(model: str, data: str) -> None:
    """In a fresh process: load the data, warm up, reset the peak, fit, report."""
    X = np.load(data + "_X.npy")
    y = np.load(data + "_y.npy")
    make_model(model).fit(X[:2000], y[:2000])  # imports, kernels loaded
    rss_before = _status("VmRSS")
    peak_before = _status("VmHWM")  # imports, data, warm-up
    with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM to the current RSS
        f.write("5")
    make_model(model).fit(X, y)
    peak = _status("VmHWM")
    print(json.dumps({"model": model, "rss_before": rss_before, "peak": peak,
                      "process_peak": max(peak, peak_before)}))


def save_data(folder: str, n: int, n_classes: int) -> str:
    """The benchmark data saved for a child process: ``stem + "_X.npy"`` / ``"_y.npy"``."""
    X, y = make_data(n, n_classes)
    stem = os.path.join(folder, f"d{n}_{n_classes}")
    np.save(stem + "_X.npy", X)
    np.save(stem + "_y.npy", y)
    return stem


def memory(sizes: list[int]) -> tuple[list, list]:
    """Peak RSS of each model's fit, fresh subprocess per fit, same data."""
    rows, raw = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n_classes in (2, 5):
            for n in sizes:
                stem = save_data(tmp, n, n_classes)
                for backend in ("xgb", "lgb"):
                    res = {}
                    for kind in ("focal", "builtin", "floor"):
                        out = subprocess.run(
                            [sys.executable, __file__, "--_memory-child",
                             f"{backend}_{kind}", stem],
                            check=True, capture_output=True, text=True).stdout
                        res[kind] = json.loads(out.strip().splitlines()[-1])
                    f, b, c = res["focal"], res["builtin"], res["floor"]
                    inc_f = f["peak"] - f["rss_before"]
                    inc_b = b["peak"] - b["rss_before"]
                    mb = 2.0 ** 20
                    label = "binary" if n_classes == 2 else f"{n_classes} classes"
                    lib = "XGBoost" if backend == "xgb" else "LightGBM"
                    rows.append(
                        f"| {lib} | {label} | {n:,} | {f['peak'] / mb:.0f} "
                        f"| {b['peak'] / mb:.0f} | **{f['peak'] / b['peak']:.3f}** "
                        f"| {f['rss_before'] / mb:.0f} | {b['rss_before'] / mb:.0f} "
                        f"| {inc_f / mb:.0f} | {inc_b / mb:.0f} | **{inc_f / inc_b:.3f}** "
                        f"| {c['peak'] / mb:.0f} | {c['peak'] / b['peak']:.3f} |")
                    raw.append({"section": "memory", "backend": backend,
                                "n_classes": n_classes, "rows": n, "focal": f, "builtin": b,
                                "floor": c})
                    print(rows[-1], flush=True)
    fixed = statistics.median(r["focal"]["rss_before"] - r["builtin"]["rss_before"]
                              for r in raw) / 2.0 ** 20
    rows.append("")
    rows.append(f"Fixed cost of the focal process before `fit` (boostfocal and its compiled "
                f"kernels loaded), median over the rows above: {fixed:.0f} MiB.")
    return rows, raw


def _short_path(filename: str) -> str:
    """A source path relative to site-packages or to this repository."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    return filename.split("site-packages/")[-1].replace(root, "")


def memory_profile_child(model: str, data: str) -> None:
    """In a fresh process: the live numpy arrays (tracemalloc) at the 2nd objective call."""
    import tracemalloc

    import boostfocal._shared.adapter as adapter

    X = np.load(data + "_X.npy")
    y = np.load(data + "_y.npy")
    make_model(model).fit(X[:2000], y[:2000])
    call = adapter.NativeObjective.__call__
    found = {}

    def spy(self, *args, **kwargs):
        out = call(self, *args, **kwargs)
        found["n"] = found.get("n", 0) + 1
        if found["n"] == 2:
            stats = tracemalloc.take_snapshot().statistics("traceback")
            found["total"] = sum(st.size for st in stats)
            found["arrays"] = [
                (st.size, " <- ".join(
                    f"{_short_path(fr.filename)}:{fr.lineno}"
                    for fr in list(st.traceback)[-3:]))
                for st in stats if st.size >= 2 ** 20]
        return out

    adapter.NativeObjective.__call__ = spy
    tracemalloc.start(6)
    make_model(model).set_params(n_estimators=3).fit(X, y)
    print(json.dumps({"model": model, **found}))


def memory_profile(n: int) -> tuple[list, list]:
    """What is alive in Python at the focal objective's call, per configuration (1 fit)."""
    rows, raw = [], []
    mb = 2.0 ** 20
    with tempfile.TemporaryDirectory() as tmp:
        for n_classes in (2, 5):
            stem = save_data(tmp, n, n_classes)
            for backend in ("xgb", "lgb"):
                out = subprocess.run(
                    [sys.executable, __file__, "--_memprofile-child", f"{backend}_focal",
                     stem], check=True, capture_output=True, text=True).stdout
                res = json.loads(out.strip().splitlines()[-1])
                lib = "XGBoost" if backend == "xgb" else "LightGBM"
                label = "binary" if n_classes == 2 else f"{n_classes} classes"
                arrays = "; ".join(f"{size / mb:.1f} ({where})" for size, where in
                                   res["arrays"])
                rows.append(f"| {lib} | {label} | {n:,} | {res['total'] / mb:.0f} | "
                            f"{arrays} |")
                raw.append({"section": "memprofile", "backend": backend,
                            "n_classes": n_classes, "rows": n, **res})
                print(rows[-1], flush=True)
    return rows, raw


def compile_child() -> None:
    """In a fresh process: time the import and each kernel variant's first call."""
    t0 = time.perf_counter()
    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal.losses import _kernels  # noqa: F401 - the extension's import counted here
    times = {"import boostfocal + compiled kernels": time.perf_counter() - t0}
    rng = np.random.default_rng(SEED)
    z = rng.normal(size=1000)
    y = (z > 0).astype(np.float64)
    zk = rng.normal(size=(1000, 5))
    yk = rng.integers(0, 5, 1000).astype(np.float64)
    calls = [
        ("binary gradient_hessian, float64", lambda: FocalLoss(2.0).gradient_hessian(y, z)),
        ("binary gradient_hessian, float32 (XGBoost)",
         lambda: FocalLoss(2.0).gradient_hessian(y.astype(np.float32), z.astype(np.float32))),
        ("binary gradient_hessian, gamma=2.5", lambda: FocalLoss(2.5).gradient_hessian(y, z)),
        ("binary loss (metric), float64", lambda: FocalLoss(2.0).loss(y, z)),
        ("softmax gradient_hessian, float32 C order (XGBoost)",
         lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk.astype(np.float32),
                                                        zk.astype(np.float32))),
        ("softmax gradient_hessian, float64 F order (LightGBM)",
         lambda: SoftmaxFocalLoss(2.0).gradient_hessian(yk.astype(np.float32),
                                                        np.asfortranarray(zk))),
        ("softmax loss (metric), float64", lambda: SoftmaxFocalLoss(2.0).loss(yk, zk)),
    ]
    for name, f in calls:
        t0 = time.perf_counter()
        f()
        times[name] = time.perf_counter() - t0
    print(json.dumps(times))


def compile_cost() -> tuple[list, list]:
    """Import and first calls of the compiled kernels in two fresh subprocesses.

    There is no JIT and no cache: the first run is the cold one only in the sense of the
    OS page cache (the extension's file and the Python modules).
    """
    rows, raw = [], []
    res = {}
    for state in ("first", "second"):
        out = subprocess.run([sys.executable, __file__, "--_compile-child"], check=True,
                             capture_output=True, text=True).stdout
        res[state] = json.loads(out.strip().splitlines()[-1])
    for name in res["first"]:
        rows.append(f"| {name} | {res['first'][name] * 1e3:.2f} "
                    f"| {res['second'][name] * 1e3:.2f} |")
    calls = [k for k in res["first"] if not k.startswith("import")]
    rows.append(f"| **all first calls** | **{sum(res['first'][k] for k in calls) * 1e3:.2f}** | "
                f"**{sum(res['second'][k] for k in calls) * 1e3:.2f}** |")
    raw.append({"section": "compile", **res})
    for r in rows:
        print(r, flush=True)
    return rows, raw


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
def versions() -> str:
    import lightgbm
    import sklearn
    import xgboost

    import boostfocal
    parts = [f"python {platform.python_version()}",
             f"boostfocal {boostfocal.__version__} (from {Path(boostfocal.__file__).parent})",
             f"numpy {np.__version__}", f"boostfocal kernels {_kernel_isa()}",
             f"xgboost {xgboost.__version__}", f"lightgbm {lightgbm.__version__}",
             f"scikit-learn {sklearn.__version__}"]
    with contextlib.suppress(ImportError):
        import catboost
        parts.append(f"catboost {catboost.__version__}")
    return ", ".join(parts)


def _kernel_isa() -> str:
    """The instruction set the kernels run with on this machine (or "numpy")."""
    from boostfocal.losses import _kernels

    return _kernels.isa()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100k rows only, fewer repeats (about 2 minutes)")
    parser.add_argument("--rows", type=lambda s: [int(v) for v in s.split(",")],
                        help="comma-separated training sizes (default 100000,1000000)")
    parser.add_argument("--repeats", type=int,
                        help="alternating repeats of the slow comparisons (default 3); the "
                             "fast ones get more")
    parser.add_argument("--sections",
                        default="training,profile,anchors,kernel,isa,fallback,memory,memprofile,"
                                "compile,proba,proba-kernel",
                        help="comma-separated subset of the sections to run")
    parser.add_argument("--out", type=Path, help="markdown output file")
    parser.add_argument("--_memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--_compile-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_memprofile-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._memory_child:
        memory_child(*args._memory_child)
        return
    if args._memprofile_child:
        memory_profile_child(*args._memprofile_child)
        return
    if args._compile_child:
        compile_child()
        return

    sizes = args.rows or ([100_000] if args.quick else [100_000, 1_000_000])
    repeats = args.repeats or 3
    small = max(repeats, 5 if args.quick else 7)
    sections = set(args.sections.split(","))
    out = args.out or OUT_DIR / ("speed_quick.md" if args.quick else "speed.md")
    command = "python " + " ".join([os.path.relpath(__file__), *(argv or sys.argv[1:])])
    if os.environ.get("PYTHONPATH"):
        command = f"PYTHONPATH={os.environ['PYTHONPATH']} {command}"
    load_start = os.getloadavg()
    started = time.perf_counter()
    doc = ["## Speed and memory: focal objectives vs the built-in ones\n",
           f"- Command: `{command}`",
           f"- Machine: {machine()}; shared (other jobs running); load average at start "
           f"{load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} (1/5/15 min)",
           f"- Versions: {versions()}",
           f"- Training: {N_ROUNDS} rounds, {N_THREADS} threads, {N_FEATURES} features "
           "(`make_classification`, ~5% positives; 5 classes with priors "
           f"{CLASS_WEIGHTS}), seed {SEED}. XGBoost `hist`, `max_depth=6`, "
           "`min_child_weight=0`; LightGBM `num_leaves=63`, `min_child_weight=1e-12` on "
           "both sides (LightGBM crashes on empty children with 0, so FocalLGBMClassifier "
           "refuses <= 1e-15). Focal side: `focal_gamma=2`, default curvature.",
           "- Each pair runs alternately A B A B in one process; times are medians, the "
           "ratio is the median of per-pair ratios (min-max in brackets).\n"]
    raw = []
    if "training" in sections:
        print("training ...", flush=True)
        rows, r = training(sizes, repeats, small)
        raw += r
        doc += ["### Training time (fit), focal / built-in\n",
                "| library | task | rows | focal s | built-in s | ratio (min-max) | "
                "repeats |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""]
    if "profile" in sections:
        print("where the time goes ...", flush=True)
        rows, r = where_time_goes(sizes)
        raw += r
        doc += ["### Where the focal fit's time goes (one instrumented fit each)\n",
                "`callback`: inside boostfocal's objective (adapter + loss); `kernel`: "
                "inside `loss.gradient_hessian` (cheap checks + fused kernel). Per-round "
                "figures in milliseconds.\n",
                "| library | task | rows | fit s | callback s | kernel s | kernel ms/round "
                "| adapter ms/round |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
                *rows, ""]
    if "anchors" in sections:
        print("anchors ...", flush=True)
        rows, r = anchors(max(sizes), repeats)
        raw += r
        doc += ["### Anchors: other focal implementations vs their library's logistic loss\n",
                f"CatBoost: `{CATBOOST_FOCAL}` vs `Logloss`, "
                + ", ".join(f"`{k}={v}`" for k, v in CATBOOST_TREES.items())
                + ". CatBoost's defaults differ between the two losses "
                "(`leaf_estimation_iterations` 1 for Focal, 10 for Logloss), hence the "
                "second row with both at 1. XGBoost rows: `xgboost.train`, same tree settings, "
                "DMatrix built once outside the timing.\n",
                "| comparison | rows | focal s | built-in s | ratio (min-max) | repeats |",
                "| --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""]
    if "kernel" in sections:
        print("kernel alone ...", flush=True)
        n = 1_000_000
        rows, r = kernels(n, 9 if args.quick else 21)
        raw += r
        doc += [f"### Kernel alone, {n:,} rows (ms per call)\n",
                "Margins ~ N(-2, 2), 5% positives; K=5 logits ~ N(0, 2). Outputs allocated "
                "on every call on both sides. `threads`: the kernel's thread-pool blocks "
                "(numpy is single-threaded).\n",
                "| boostfocal | threads | ms | baseline | ms | ratio (min-max) | repeats |",
                "| --- | ---: | ---: | --- | ---: | ---: | ---: |", *rows, ""]
    if "fallback" in sections:
        print("fallback (numpy kernels) ...", flush=True)
        fb_sizes = [max(sizes)]
        rows, kernel_rows, r = fallback(fb_sizes, repeats)
        raw += r
        doc += [f"### The numpy fallback kernels, binary, {fb_sizes[0]:,} rows\n",
                "`fit` with boostfocal's numpy kernels (`BOOSTFOCAL_KERNELS=numpy`, what "
                "runs where the extension was not built), the built-in objective and the "
                "compiled kernels, alternating A B C; seconds are medians, ratios medians "
                "of per-round ratios.\n",
                "| library | rows | numpy s | built-in s | numpy / built-in | compiled s | "
                "compiled / built-in | numpy / compiled | repeats |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", *rows, "",
                "The kernel alone (ms per call, outputs preallocated as the adapters do):\n",
                "| kernel | threads | numpy ms | compiled ms | numpy / compiled |",
                "| --- | ---: | ---: | ---: | ---: |", *kernel_rows, ""]
    if "isa" in sections:
        print("instruction sets ...", flush=True)
        rows, r = instruction_sets(1_000_000, 7 if args.quick else 11)
        raw += r
        doc += ["### Kernel builds by instruction set (1,000,000 rows, one thread, ms per call)\n",
                "The extension is compiled for baseline x86-64, AVX2+FMA and AVX-512 and uses "
                "the best this CPU runs; here each build is forced in turn, alternated with "
                "numpy's gradient (float64).\n",
                "| build | boostfocal | ms | baseline | ms | ratio (min-max) |",
                "| --- | --- | ---: | --- | ---: | ---: |", *rows, ""]
    if "memory" in sections:
        print("peak memory ...", flush=True)
        rows, r = memory(sizes)
        raw += r
        doc += ["### Peak memory of fit (fresh subprocess per fit, same data)\n",
                "`peak`: VmHWM during `fit` (reset just before it; the data loaded, the "
                "libraries imported and the kernels loaded by a 2,000-row fit first). "
                "`before`: RSS before `fit` (the focal process also holds boostfocal and "
                "its compiled kernels). `increment`: peak minus before, the memory `fit` itself "
                "takes. `floor`: the library's own classifier with the cheapest possible "
                "custom objective (`FloorObjective`: constant float32 pairs allocated once), "
                "the memory that the library's custom-objective interface alone costs. MiB.\n",
                "| library | task | rows | focal peak | built-in peak | ratio | focal before "
                "| built-in before | focal increment | built-in increment | ratio "
                "| floor peak | floor / built-in |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
                "| ---: | ---: |",
                *rows, ""]
    if "memprofile" in sections:
        print("memory profile ...", flush=True)
        rows, r = memory_profile(max(sizes))
        raw += r
        doc += ["### What is alive in Python when the focal objective runs (tracemalloc)\n",
                "One fit each in a fresh process; a snapshot at the second objective call. "
                "`live`: all memory tracemalloc tracks (numpy arrays included); then every "
                "allocation of 1 MiB or more, in MiB, with where it was made (innermost "
                "frame last). C++ allocations inside the libraries are not tracked.\n",
                "| library | task | rows | live MiB | allocations >= 1 MiB |",
                "| --- | --- | ---: | ---: | --- |", *rows, ""]
    if "compile" in sections:
        print("first-call cost ...", flush=True)
        rows, r = compile_cost()
        raw += r
        doc += ["### First-call cost of the compiled kernels (milliseconds, fresh subprocess)\n",
                "The kernels are compiled ahead of time (no JIT, no cache): the import of "
                "boostfocal and its extension, then each variant's first call; two fresh "
                "processes, one after the other.\n",
                "| first call | first process ms | second process ms |", "| --- | ---: | ---: |",
                *rows, ""]
    if "proba" in sections:
        print("predict_proba ...", flush=True)
        rows, split_rows, r = proba(max(repeats, 7))
        raw += r
        doc += [f"### predict_proba, focal / built-in ({PROBA_ROWS:,} rows)\n",
                f"Models fitted once on the {PROBA_ROWS:,} rows they predict: {PROBA_TREES} "
                "trees per class, the training section's tree settings, "
                f"`n_jobs={N_THREADS}`; focal side `focal_gamma=2`, default "
                "`focal_proba=\"posterior\"`. Three arms alternate A B C: the focal "
                "`predict_proba`, the built-in `predict_proba`, and the focal model's "
                "margins (`decision_function`: the booster walking the same trees); ms are "
                "medians, ratios medians of per-round ratios (min-max). `focal / margins` "
                "is what boostfocal adds to the booster's own prediction; `focal / "
                "built-in` also holds the difference between the two models' trees.\n",
                "| library | task | rows | focal ms | built-in ms | focal / built-in | "
                "focal margins ms | focal / margins | repeats |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", *rows, "",
                "The posterior map alone (`loss_.predict_proba(margin)`, float64 margins, "
                f"{N_THREADS} threads where it takes `n_threads`; medians):\n",
                "| library | task | map ms | map ns/row | share of focal predict_proba |",
                "| --- | --- | ---: | ---: | ---: |", *split_rows, ""]
    if "proba-kernel" in sections:
        print("probability kernel ...", flush=True)
        n = 1_000_000
        rows, r = proba_kernel(n, 9 if args.quick else 15)
        raw += r
        doc += [f"### The posterior map alone ({n:,} rows)\n",
                "`loss.predict_proba(margins)`; every arm in turn, repeated, medians. "
                "Margins ~ N(-2, 2) (binary), N(0, 2) (K=5).\n",
                "| loss | margins | kernels | threads | ms | ns/row |",
                "| --- | --- | --- | ---: | ---: | ---: |", *rows, ""]
    load_end = os.getloadavg()
    doc.append(f"Total run time {time.perf_counter() - started:.0f} s; load average at end "
               f"{load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}.\n")
    text = "\n".join(doc)
    print("\n" + text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
