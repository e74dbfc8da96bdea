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

This file is the command; each section's code is a module of ``benchmarks/_speed/``
(see its ``__init__``). ``speed_ab.py`` loads this file by path and uses
:func:`make_model`, :func:`save_data` and ``_status``, which stay importable from here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _speed import anchors, first_call, kernels, memory, proba, training
from _speed.common import (
    CLASS_WEIGHTS,
    N_FEATURES,
    N_ROUNDS,
    N_THREADS,
    SEED,
    Options,
    _status,
    make_data,
    make_model,
    save_data,
)

#: What other scripts use from here (``speed_ab.py``: make_model, save_data, _status).
__all__ = ["SECTIONS", "_status", "main", "make_data", "make_model", "save_data"]

OUT_DIR = Path(__file__).resolve().parent / "out"

#: The sections in the order they run and print: name -> (progress label, function).
SECTIONS = {
    "training": ("training", training.training_section),
    "profile": ("where the time goes", training.profile_section),
    "anchors": ("anchors", anchors.anchors_section),
    "kernel": ("kernel alone", kernels.kernel_section),
    "fallback": ("fallback (numpy kernels)", kernels.fallback_section),
    "isa": ("instruction sets", kernels.isa_section),
    "memory": ("peak memory", memory.memory_section),
    "memprofile": ("memory profile", memory.memprofile_section),
    "compile": ("first-call cost", first_call.compile_section),
    "proba": ("predict_proba", proba.proba_section),
    "proba-kernel": ("probability kernel", proba.proba_kernel_section),
}


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


def _parser() -> argparse.ArgumentParser:
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
    return parser


def _header(command: str, load_start: tuple) -> list[str]:
    """The report's title and its command, machine, versions and settings."""
    return ["## Speed and memory: focal objectives vs the built-in ones\n",
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


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args._memory_child:
        memory.memory_child(*args._memory_child)
        return
    if args._memprofile_child:
        memory.memory_profile_child(*args._memprofile_child)
        return
    if args._compile_child:
        first_call.compile_child()
        return

    sizes = args.rows or ([100_000] if args.quick else [100_000, 1_000_000])
    repeats = args.repeats or 3
    opts = Options(sizes=sizes, repeats=repeats,
                   small=max(repeats, 5 if args.quick else 7), quick=args.quick)
    sections = set(args.sections.split(","))
    out = args.out or OUT_DIR / ("speed_quick.md" if args.quick else "speed.md")
    command = "python " + " ".join([os.path.relpath(__file__), *(argv or sys.argv[1:])])
    if os.environ.get("PYTHONPATH"):
        command = f"PYTHONPATH={os.environ['PYTHONPATH']} {command}"
    load_start = os.getloadavg()
    started = time.perf_counter()
    doc = _header(command, load_start)
    raw = []
    for name, (label, run) in SECTIONS.items():
        if name in sections:
            print(f"{label} ...", flush=True)
            lines, r = run(opts)
            raw += r
            doc += lines
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
