"""Serving: onnxruntime on the exported graph against ``predict_proba``, per batch.

For each backend (XGBoost, LightGBM) and task (binary with 5% positives; 5 classes), a
focal estimator with 200 trees on 20 features is fitted once (2 threads), exported with
``boostfocal.onnx.to_onnx``, and served three ways on the same float32 rows:

- ``predict_proba``: the estimator itself, ``n_jobs=2`` (``--threads``);
- ``onnxruntime``: ``InferenceSession`` on the exported graph (``probabilities``),
  ``intra_op_num_threads=2`` (``--threads``), ``inter_op_num_threads=1``, default graph
  optimizations;
- ``onnxruntime, trees only``: the same tree ensemble without the posterior map (raw
  margins): what the map after the trees costs.

Each call is timed on its own, at batch sizes 1 and 10,000. The arms alternate: every
repeat times a block of calls of each arm, in an order reversed on every other repeat,
after untimed warm-up calls, so that a shared machine's load drifts over all arms alike.
Latencies are pooled over the repeats: p50 and p99 per call (per batch), rows per
second = batch size / p50, and the ratio of ``predict_proba``'s p50 to onnxruntime's.

Usage::

    python benchmarks/serving.py                     # 5 repeats, 2 threads per arm
    python benchmarks/serving.py --threads 1         # one thread per arm
    python benchmarks/serving.py --quick             # 1 repeat, fewer calls (smoke test)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import onnxmltools
import onnxruntime as ort
import skl2onnx
import xgboost as xgb
from onnx import TensorProto, helper
from sklearn.datasets import make_classification

import boostfocal
from boostfocal.lightgbm import FocalLGBMClassifier
from boostfocal.onnx import to_onnx
from boostfocal.onnx._trees import read_trees
from boostfocal.xgboost import FocalXGBClassifier

OUT = Path(__file__).parent / "out"
N_FEATURES = 20
N_TREES = 200


def _data(k: int, n_train: int, n_test: int):
    X, y = make_classification(n_samples=n_train + n_test, n_features=N_FEATURES,
                               n_informative=12, n_redundant=4, n_classes=k,
                               weights=[0.95] if k == 2 else None, random_state=0)
    X = X.astype(np.float32)
    return X[:n_train], y[:n_train], X[n_train:]


def _model(backend: str, k: int, X, y, threads: int):
    if backend == "xgboost":
        est = FocalXGBClassifier(n_estimators=N_TREES, max_depth=6, learning_rate=0.1,
                                 tree_method="hist", n_jobs=threads, focal_alpha="balanced")
    else:
        est = FocalLGBMClassifier(n_estimators=N_TREES, num_leaves=31, learning_rate=0.1,
                                  n_jobs=threads, verbose=-1, focal_alpha="balanced")
    return est.fit(X, y)


def _session(model, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def _trees_only(est):
    """The exported tree ensemble alone (raw margins out), as in tests/test_onnx.py."""
    trees = read_trees(est)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["margin"], domain="ai.onnx.ml",
                            **trees.attributes)
    graph = helper.make_graph(
        [node], "margins",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, trees.n_features])],
        [helper.make_tensor_value_info("margin", TensorProto.FLOAT, [None, None])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("ai.onnx.ml", 1)])


def _time_calls(func, batch, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        func(batch)
        out.append(time.perf_counter() - start)
    return out


def bench_case(backend: str, k: int, args) -> list[dict]:
    X, y, X_test = _data(k, args.train_rows, 10_000)
    t0 = time.perf_counter()
    est = _model(backend, k, X, y, args.threads)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = to_onnx(est)
    export_s = time.perf_counter() - t0
    full, trees = _session(model, args.threads), _session(_trees_only(est), args.threads)
    check = full.run(["probabilities"], {"X": X_test})[0]
    worst = float(np.max(np.abs(check - est.predict_proba(X_test))))
    proba_arm = f"predict_proba (n_jobs={args.threads})"
    arms = {
        proba_arm: est.predict_proba,
        f"onnxruntime ({args.threads} threads)": lambda b: full.run(["probabilities"],
                                                                   {"X": b}),
        "onnxruntime, trees only": lambda b: trees.run(["margin"], {"X": b}),
    }
    print(f"{backend} k={k}: fit {fit_s:.1f} s, export {export_s:.2f} s, ONNX "
          f"{len(model.SerializeToString()) / 1e6:.1f} MB, worst |onnx - predict_proba| "
          f"{worst:.1e}", flush=True)
    rows = []
    for batch_size, calls in ((1, args.calls_1), (10_000, args.calls_10k)):
        batch = X_test[:batch_size]
        for func in arms.values():  # warm-up
            _time_calls(func, batch, max(3, calls // 10))
        times = {name: [] for name in arms}
        order = list(arms)
        for repeat in range(args.repeats):
            for name in (order if repeat % 2 == 0 else order[::-1]):
                times[name] += _time_calls(arms[name], batch, calls)
        base = np.median(times[proba_arm])
        for name, values in times.items():
            p50, p99 = np.median(values), np.percentile(values, 99)
            rows.append({"backend": backend, "k": k, "batch": batch_size, "arm": name,
                         "p50_ms": p50 * 1e3, "p99_ms": p99 * 1e3,
                         "rows_per_s": batch_size / p50, "speedup": base / p50,
                         "calls": len(values)})
            print(f"  batch {batch_size:>6}: {name:<26} p50 {p50 * 1e3:9.3f} ms  "
                  f"p99 {p99 * 1e3:9.3f} ms  {batch_size / p50:12,.0f} rows/s  "
                  f"predict_proba p50 / this p50 = {base / p50:6.2f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls-1", type=int, default=200,
                        help="calls per arm and repeat at batch size 1")
    parser.add_argument("--calls-10k", type=int, default=10,
                        help="calls per arm and repeat at batch size 10,000")
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--classes", type=int, nargs="*", default=[2, 5])
    parser.add_argument("--threads", type=int, default=2,
                        help="n_jobs of the estimator and intra_op_num_threads of onnxruntime")
    parser.add_argument("--quick", action="store_true", help="1 repeat, fewer calls")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.calls_1, args.calls_10k = 1, 50, 3

    load_before = os.getloadavg()[0]
    rows = []
    for backend in ("xgboost", "lightgbm"):
        for k in args.classes:
            rows += bench_case(backend, k, args)
    load_after = os.getloadavg()[0]

    lines = [
        f"{N_TREES} trees ({N_TREES} rounds; x K for K classes in XGBoost and LightGBM), "
        f"{N_FEATURES} features, trained on {args.train_rows:,} rows (binary: 5% "
        f"positives), focal_alpha='balanced'; {args.threads} thread(s) per arm. Latency "
        f"of one call on a batch of float32 rows; {args.repeats} repeats x "
        f"{args.calls_1} calls (batch 1) / {args.calls_10k} calls (batch 10,000) per "
        "arm, arms alternating; p50/p99 pooled over repeats; "
        "rows/s = batch / p50; speed-up = predict_proba p50 / p50.",
        "",
        "| backend | classes | batch | arm | p50 (ms) | p99 (ms) | rows/s | speed-up |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['k']} | {r['batch']:,} | {r['arm']} | "
                     f"{r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['rows_per_s']:,.0f} | "
                     f"{r['speedup']:.2f}x |")
    lines += [
        "",
        f"Date {datetime.date.today().isoformat()}. Machine: {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load_before:.1f} "
        f"before / {load_after:.1f} after. Versions: python {platform.python_version()}, "
        f"boostfocal {boostfocal.__version__}, xgboost {xgb.__version__}, lightgbm "
        f"{lgb.__version__}, onnxruntime {ort.__version__}, onnx {onnx.__version__}, "
        f"onnxmltools {onnxmltools.__version__}, skl2onnx {skl2onnx.__version__}.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    OUT.mkdir(exist_ok=True)
    name = f"serving_threads{args.threads}{'_quick' if args.quick else ''}.md"
    (OUT / name).write_text(text + "\n")


if __name__ == "__main__":
    main()
