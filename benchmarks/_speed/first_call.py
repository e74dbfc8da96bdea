"""Section ``compile``: the import and each kernel variant's first call, fresh processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from .common import SEED, SPEED_SCRIPT, Options


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
        out = subprocess.run([sys.executable, SPEED_SCRIPT, "--_compile-child"], check=True,
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


def compile_section(opts: Options) -> tuple[list, list]:
    """The ``compile`` section: its Markdown lines and raw records."""
    rows, raw = compile_cost()
    return ["### First-call cost of the compiled kernels (milliseconds, fresh subprocess)\n",
            "The kernels are compiled ahead of time (no JIT, no cache): the import of "
            "boostfocal and its extension, then each variant's first call; two fresh "
            "processes, one after the other.\n",
            "| first call | first process ms | second process ms |", "| --- | ---: | ---: |",
            *rows, ""], raw
