"""Sections ``proba`` (``predict_proba`` of the estimators) and ``proba-kernel`` (the map)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from .common import (
    LGB_TREES,
    N_THREADS,
    SEED,
    XGB_TREES,
    Options,
    _ratio,
    alternate_many,
    case_names,
    fmt_ratio,
    make_data,
)

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
            lib, label = case_names(backend, n_classes)
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


def proba_section(opts: Options) -> tuple[list, list]:
    """The ``proba`` section: its Markdown lines and raw records."""
    rows, split_rows, raw = proba(max(opts.repeats, 7))
    return [f"### predict_proba, focal / built-in ({PROBA_ROWS:,} rows)\n",
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
            "| --- | --- | ---: | ---: | ---: |", *split_rows, ""], raw


def proba_kernel_section(opts: Options) -> tuple[list, list]:
    """The ``proba-kernel`` section: its Markdown lines and raw records."""
    n = 1_000_000
    rows, raw = proba_kernel(n, 9 if opts.quick else 15)
    return [f"### The posterior map alone ({n:,} rows)\n",
            "`loss.predict_proba(margins)`; every arm in turn, repeated, medians. "
            "Margins ~ N(-2, 2) (binary), N(0, 2) (K=5).\n",
            "| loss | margins | kernels | threads | ms | ns/row |",
            "| --- | --- | --- | ---: | ---: | ---: |", *rows, ""], raw
