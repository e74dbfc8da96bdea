"""Sections ``training`` (focal vs built-in ``fit``) and ``profile`` (where the time goes)."""

from __future__ import annotations

import time

from .common import Options, alternate, case_names, fmt_ratio, fmt_s, make_data, make_model


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
                lib, label = case_names(backend, n_classes)
                rows.append(f"| {lib} | {label} | {n:,} | {fmt_s(r['a'])} | {fmt_s(r['b'])} "
                            f"| {fmt_ratio(r)} | {repeats} |")
                raw.append({"section": "training", "backend": backend,
                            "n_classes": n_classes, "rows": n, **r})
                print(rows[-1], flush=True)
    return rows, raw


def where_time_goes(sizes: list[int]) -> tuple[list, list]:
    """One instrumented focal fit per configuration: callback and kernel time."""
    from boostfocal import FocalLoss, SoftmaxFocalLoss
    from boostfocal._estimator_core.adapter import NativeObjective

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
                    lib, label = case_names(backend, n_classes)
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


def training_section(opts: Options) -> tuple[list, list]:
    """The ``training`` section: its Markdown lines and raw records."""
    rows, raw = training(opts.sizes, opts.repeats, opts.small)
    return ["### Training time (fit), focal / built-in\n",
            "| library | task | rows | focal s | built-in s | ratio (min-max) | "
            "repeats |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""], raw


def profile_section(opts: Options) -> tuple[list, list]:
    """The ``profile`` section: its Markdown lines and raw records."""
    rows, raw = where_time_goes(opts.sizes)
    return ["### Where the focal fit's time goes (one instrumented fit each)\n",
            "`callback`: inside boostfocal's objective (adapter + loss); `kernel`: "
            "inside `loss.gradient_hessian` (cheap checks + fused kernel). Per-round "
            "figures in milliseconds.\n",
            "| library | task | rows | fit s | callback s | kernel s | kernel ms/round "
            "| adapter ms/round |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows, ""], raw
