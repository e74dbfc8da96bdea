"""Sections ``kernel`` (the kernel alone), ``fallback`` (the numpy kernels) and ``isa``."""

from __future__ import annotations

import numpy as np

from .common import (
    SEED,
    Options,
    _ratio,
    alternate,
    alternate_many,
    fmt_ratio,
    fmt_s,
    make_data,
    make_model,
)


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


def kernel_section(opts: Options) -> tuple[list, list]:
    """The ``kernel`` section: its Markdown lines and raw records."""
    n = 1_000_000
    rows, raw = kernels(n, 9 if opts.quick else 21)
    return [f"### Kernel alone, {n:,} rows (ms per call)\n",
            "Margins ~ N(-2, 2), 5% positives; K=5 logits ~ N(0, 2). Outputs allocated "
            "on every call on both sides. `threads`: the kernel's thread-pool blocks "
            "(numpy is single-threaded).\n",
            "| boostfocal | threads | ms | baseline | ms | ratio (min-max) | repeats |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: |", *rows, ""], raw


def fallback_section(opts: Options) -> tuple[list, list]:
    """The ``fallback`` section: its Markdown lines and raw records."""
    fb_sizes = [max(opts.sizes)]
    rows, kernel_rows, raw = fallback(fb_sizes, opts.repeats)
    return [f"### The numpy fallback kernels, binary, {fb_sizes[0]:,} rows\n",
            "`fit` with boostfocal's numpy kernels (`BOOSTFOCAL_KERNELS=numpy`, what "
            "runs where the extension was not built), the built-in objective and the "
            "compiled kernels, alternating A B C; seconds are medians, ratios medians "
            "of per-round ratios.\n",
            "| library | rows | numpy s | built-in s | numpy / built-in | compiled s | "
            "compiled / built-in | numpy / compiled | repeats |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", *rows, "",
            "The kernel alone (ms per call, outputs preallocated as the adapters do):\n",
            "| kernel | threads | numpy ms | compiled ms | numpy / compiled |",
            "| --- | ---: | ---: | ---: | ---: |", *kernel_rows, ""], raw


def isa_section(opts: Options) -> tuple[list, list]:
    """The ``isa`` section: its Markdown lines and raw records."""
    rows, raw = instruction_sets(1_000_000, 7 if opts.quick else 11)
    return ["### Kernel builds by instruction set (1,000,000 rows, one thread, ms per call)\n",
            "The extension is compiled for baseline x86-64, AVX2+FMA and AVX-512 and uses "
            "the best this CPU runs; here each build is forced in turn, alternated with "
            "numpy's gradient (float64).\n",
            "| build | boostfocal | ms | baseline | ms | ratio (min-max) |",
            "| --- | --- | ---: | --- | ---: | ---: |", *rows, ""], raw
