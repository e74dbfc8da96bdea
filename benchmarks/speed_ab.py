"""Training time and peak memory of the focal fit in two checkouts, side by side.

``speed.py`` compares the focal estimators with the built-in objectives inside one
checkout. This script compares two checkouts of boostfocal (for example a commit before
a change and the working tree after it) on the same data: every fit runs in a fresh
subprocess that imports boostfocal from its checkout, with ``speed.py``'s models and
data, and the arms alternate (before, after, built-in; reversed on every other repeat)
so that a shared machine's load drifts over both alike.

Example (the base commit extracted to /tmp/base, its compiled kernels copied in)::

    git archive 0cd151c --prefix=base/ | tar -x -C /tmp
    cp boostfocal/losses/_kernels/_ckernels*.so /tmp/base/boostfocal/losses/
    python benchmarks/speed_ab.py --before /tmp/base --after . --rows 1000000 --repeats 1
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _speed_module(tree: str):
    """``benchmarks/speed.py`` of ``tree``, imported with ``tree`` first on sys.path."""
    sys.path.insert(0, os.path.join(tree, "benchmarks"))
    sys.path.insert(0, tree)
    spec = importlib.util.spec_from_file_location("speed", os.path.join(tree, "benchmarks",
                                                                         "speed.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(tree: str, model: str, stem: str) -> None:
    """In a fresh process: warm up, reset the peak, time one fit, report as JSON."""
    speed = _speed_module(tree)
    import numpy as np

    import boostfocal

    if not os.path.realpath(boostfocal.__file__).startswith(os.path.realpath(tree)):
        raise RuntimeError(f"boostfocal imported from {boostfocal.__file__}, not {tree}")
    X = np.load(stem + "_X.npy")
    y = np.load(stem + "_y.npy")
    speed.make_model(model).fit(X[:2000], y[:2000])  # imports, kernels loaded
    rss_before = speed._status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM to the current RSS
        f.write("5")
    est = speed.make_model(model)
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"peak": speed._status("VmHWM"), "rss_before": rss_before,
                      "fit_s": seconds}))


def _pair_ratio(res: dict, a: str, b: str) -> float:
    """Median over the repeats of the fit-time ratio of arm ``a`` to arm ``b``."""
    return statistics.median(x["fit_s"] / y["fit_s"] for x, y in zip(res[a], res[b],
                                                                      strict=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="checkout of the old boostfocal (required)")
    parser.add_argument("--after", default=".", help="checkout of the new boostfocal")
    parser.add_argument("--rows", type=lambda s: [int(v) for v in s.split(",")],
                        default=[100_000])
    parser.add_argument("--classes", type=lambda s: [int(v) for v in s.split(",")],
                        default=[2, 5])
    parser.add_argument("--backends", default="xgb,lgb")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="JSON lines output (appended)")
    parser.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        child(*args._child)
        return
    if args.before is None:
        parser.error("--before is required")
    arms = {"before": (os.path.abspath(args.before), "focal"),
            "after": (os.path.abspath(args.after), "focal"),
            "builtin": (os.path.abspath(args.after), "builtin")}
    speed = _speed_module(arms["after"][0])
    mib = 2.0 ** 20
    print("| library | task | rows | peak before | peak after | peak built-in | "
          "after/built-in | before/built-in | fit s before | fit s after | fit s built-in | "
          "time after/built-in | time before/built-in | after/before time | load |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for n_classes in args.classes:
            for n in args.rows:
                stem = speed.save_data(tmp, n, n_classes)
                for backend in args.backends.split(","):
                    res = {arm: [] for arm in arms}
                    for r in range(args.repeats):
                        order = list(arms) if r % 2 == 0 else list(arms)[::-1]
                        for arm in order:
                            tree, kind = arms[arm]
                            out = subprocess.run(
                                [sys.executable, __file__, "--_child", tree,
                                 f"{backend}_{kind}", stem],
                                check=True, capture_output=True, text=True,
                                env=dict(os.environ, PYTHONPATH=tree)).stdout
                            res[arm].append(json.loads(out.strip().splitlines()[-1]))
                    peak = {a: statistics.median(x["peak"] for x in v) / mib
                            for a, v in res.items()}
                    fit = {a: statistics.median(x["fit_s"] for x in v) for a, v in res.items()}
                    ratio = _pair_ratio(res, "after", "before")
                    load = os.getloadavg()[0]
                    lib = "XGBoost" if backend == "xgb" else "LightGBM"
                    task = "binary" if n_classes == 2 else f"{n_classes} classes"
                    print(f"| {lib} | {task} | {n:,} | {peak['before']:.0f} | "
                          f"{peak['after']:.0f} | {peak['builtin']:.0f} | "
                          f"**{peak['after'] / peak['builtin']:.3f}** | "
                          f"{peak['before'] / peak['builtin']:.3f} | {fit['before']:.2f} | "
                          f"{fit['after']:.2f} | {fit['builtin']:.2f} | "
                          f"**{_pair_ratio(res, 'after', 'builtin'):.3f}** | "
                          f"{_pair_ratio(res, 'before', 'builtin'):.3f} | **{ratio:.3f}** | "
                          f"{load:.1f} |", flush=True)
                    if args.out:
                        with open(args.out, "a") as f:
                            f.write(json.dumps({"backend": backend, "classes": n_classes,
                                                "rows": n, "load": load, "runs": res}) + "\n")


if __name__ == "__main__":
    main()
