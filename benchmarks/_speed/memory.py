"""Sections ``memory`` (peak RSS of ``fit``) and ``memprofile`` (tracemalloc at a call)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from .common import (
    REPO_ROOT,
    SPEED_SCRIPT,
    Options,
    _status,
    case_names,
    make_model,
    save_data,
)


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
                            [sys.executable, SPEED_SCRIPT, "--_memory-child",
                             f"{backend}_{kind}", stem],
                            check=True, capture_output=True, text=True).stdout
                        res[kind] = json.loads(out.strip().splitlines()[-1])
                    f, b, c = res["focal"], res["builtin"], res["floor"]
                    inc_f = f["peak"] - f["rss_before"]
                    inc_b = b["peak"] - b["rss_before"]
                    mb = 2.0 ** 20
                    lib, label = case_names(backend, n_classes)
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
    root = REPO_ROOT + os.sep
    return filename.split("site-packages/")[-1].replace(root, "")


def memory_profile_child(model: str, data: str) -> None:
    """In a fresh process: the live numpy arrays (tracemalloc) at the 2nd objective call."""
    import tracemalloc

    import boostfocal._estimator_core.adapter as adapter

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
                    [sys.executable, SPEED_SCRIPT, "--_memprofile-child", f"{backend}_focal",
                     stem], check=True, capture_output=True, text=True).stdout
                res = json.loads(out.strip().splitlines()[-1])
                lib, label = case_names(backend, n_classes)
                arrays = "; ".join(f"{size / mb:.1f} ({where})" for size, where in
                                   res["arrays"])
                rows.append(f"| {lib} | {label} | {n:,} | {res['total'] / mb:.0f} | "
                            f"{arrays} |")
                raw.append({"section": "memprofile", "backend": backend,
                            "n_classes": n_classes, "rows": n, **res})
                print(rows[-1], flush=True)
    return rows, raw


def memory_section(opts: Options) -> tuple[list, list]:
    """The ``memory`` section: its Markdown lines and raw records."""
    rows, raw = memory(opts.sizes)
    return ["### Peak memory of fit (fresh subprocess per fit, same data)\n",
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
            *rows, ""], raw


def memprofile_section(opts: Options) -> tuple[list, list]:
    """The ``memprofile`` section: its Markdown lines and raw records."""
    rows, raw = memory_profile(max(opts.sizes))
    return ["### What is alive in Python when the focal objective runs (tracemalloc)\n",
            "One fit each in a fresh process; a snapshot at the second objective call. "
            "`live`: all memory tracemalloc tracks (numpy arrays included); then every "
            "allocation of 1 MiB or more, in MiB, with where it was made (innermost "
            "frame last). C++ allocations inside the libraries are not tracked.\n",
            "| library | task | rows | live MiB | allocations >= 1 MiB |",
            "| --- | --- | ---: | ---: | --- |", *rows, ""], raw
