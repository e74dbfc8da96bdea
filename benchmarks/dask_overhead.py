"""Dask: focal training against the built-in objective, and at a scale that needs a cluster.

    python benchmarks/dask_overhead.py                      # the ratios (section "ratio")
    python benchmarks/dask_overhead.py --section scale      # larger than a worker's memory
    python benchmarks/dask_overhead.py --quick              # smoke test of both sections

**ratio.** ``DaskFocalXGBClassifier`` against ``xgboost.dask.DaskXGBClassifier`` and
``DaskFocalLGBMClassifier`` against ``lightgbm.DaskLGBMClassifier`` (both with their
built-in objective), binary (5% positives) and 5 classes: ``make_classification`` with
20 float32 features, persisted in 4 row blocks on a ``LocalCluster`` of 2 worker
processes x 1 thread, 50 rounds (XGBoost ``hist`` depth 6, LightGBM 31 leaves). The arms
alternate within each repeat, the first repeat is dropped (warm-up), and the table gives
the medians of ``fit`` and of ``predict_proba(...).compute()`` on ``--test-rows``
held-out rows (each repeat's the median of 3 calls on the model just fitted), the spread
of the per-repeat fit ratios, and the held-out ROC AUC. For XGBoost a third arm,
``DaskXGBClassifier`` with a plain-numpy logistic (softmax) objective, measures what any
Python objective costs XGBoost's Dask interface.

**scale.** A ``LocalCluster`` of 4 workers x 1 thread (on the 2 cores) with
``memory_limit`` 1.5 GB each, and data generated block by block on the workers (never in
the client): at the largest size the features alone (1.6 GB) are larger than one
worker's memory limit. (With 2 workers, each would hold 0.8 GB of features beside
XGBoost's own copy of them, its quantized index, and the per-row arrays of training:
past the 95% of 1.5 GB at which a worker is restarted, for the built-in objective as
for focal.) After a warm-up fit on 200,000 rows, ``DaskFocalXGBClassifier`` and
``DaskXGBClassifier`` fit once per size, in alternating order (time against rows);
afterwards the script checks that no worker was restarted, and reports what the workers
spilled to disk. The focal model of the largest size is scored on 200,000 held-out rows
from the same generator, beside ``FocalXGBClassifier`` fitted in memory on a
500,000-row sample: held-out ROC AUC and log-loss of the posterior.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import dask
import dask.array as da
import distributed
import lightgbm as lgb
import numpy as np
import xgboost as xgb
import xgboost.dask as dxgb
from distributed import Client, LocalCluster, wait
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, roc_auc_score

import boostfocal
from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier
from boostfocal.xgboost import FocalXGBClassifier

XGB_PARAMS = {"n_estimators": 50, "max_depth": 6, "tree_method": "hist",
              "learning_rate": 0.1}
LGB_PARAMS = {"n_estimators": 50, "num_leaves": 31, "learning_rate": 0.1, "verbose": -1}


def numpy_logistic(y_true, y_pred, sample_weight=None):
    """A plain-numpy logistic (binary) or softmax (multiclass) objective for XGBoost."""
    if y_pred.ndim == 1:
        p = 1.0 / (1.0 + np.exp(-y_pred))
        grad, hess = p - y_true, p * (1.0 - p)
    else:
        e = np.exp(y_pred - y_pred.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        grad = p.copy()
        grad[np.arange(p.shape[0]), y_true.astype(np.int64)] -= 1.0
        hess = 2.0 * p * (1.0 - p)
    return grad, hess


def _with_client(model, client):
    if isinstance(model, (lgb.DaskLGBMClassifier, DaskFocalLGBMClassifier)):
        return model.set_params(client=client)
    model.client = client
    return model


def _auc(y, proba) -> float:
    if proba.shape[1] == 2:
        return roc_auc_score(y, proba[:, 1])
    return roc_auc_score(y, proba, multi_class="ovr")


# --------------------------------------------------------------------------- ratio

def ratio_section(client, rows: int, repeats: int, test_rows: int) -> list[str]:
    """Focal against built-in on Dask, arms alternating: the table's lines."""
    lines = [
        f"{rows:,} rows x 20 float32 features, 4 persisted blocks, LocalCluster 2 workers "
        f"x 1 thread, 50 rounds; medians of {repeats} alternating repeats after a warm-up "
        "(fit ratio spread: the lowest and highest per-repeat ratio). predict_proba: "
        f"{test_rows:,} held-out rows in 4 persisted blocks, computed (each repeat: the "
        "median of 3 calls).",
        "",
        "| booster | classes | arm | fit (s) | fit / built-in | per-repeat ratios | "
        "predict_proba (s) | predict / built-in | held-out AUC |",
        "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for n_classes in (2, 5):
        X, y = make_classification(
            n_samples=rows + test_rows, n_features=20, n_informative=10,
            n_classes=n_classes, weights=[0.95] if n_classes == 2 else None,
            random_state=0)
        X = X.astype(np.float32)
        block = -(-rows // 4)
        dX = da.from_array(X[:rows], chunks=(block, -1)).persist()
        dy = da.from_array(y[:rows], chunks=block).persist()
        dX_test = da.from_array(X[rows:], chunks=(-(-test_rows // 4), -1)).persist()
        wait([dX, dy, dX_test])
        y_test = y[rows:]
        arms = {
            "XGBoost": {
                "focal": lambda: DaskFocalXGBClassifier(**XGB_PARAMS),
                "built-in": lambda: dxgb.DaskXGBClassifier(**XGB_PARAMS),
                "numpy logistic objective": lambda: dxgb.DaskXGBClassifier(
                    objective=numpy_logistic, **XGB_PARAMS),
            },
            "LightGBM": {
                "focal": lambda: DaskFocalLGBMClassifier(**LGB_PARAMS),
                "built-in": lambda: lgb.DaskLGBMClassifier(**LGB_PARAMS),
            },
        }
        for booster, makers in arms.items():
            fit_t = {name: [] for name in makers}
            pred_t = {name: [] for name in makers}
            auc = {}
            for rep in range(repeats + 1):
                for name, make in makers.items():
                    model = _with_client(make(), client)
                    kwargs = {"verbose": False} if booster == "XGBoost" else {}
                    t = time.perf_counter()
                    model.fit(dX, dy, **kwargs)
                    t_fit = time.perf_counter() - t
                    t_preds = []
                    for _ in range(3):  # one call is too noisy (a few graph executions)
                        t = time.perf_counter()
                        proba = model.predict_proba(dX_test).compute()
                        t_preds.append(time.perf_counter() - t)
                    t_pred = statistics.median(t_preds)
                    if rep:
                        fit_t[name].append(t_fit)
                        pred_t[name].append(t_pred)
                        auc[name] = _auc(y_test, np.asarray(proba))
            base_fit = statistics.median(fit_t["built-in"])
            base_pred = statistics.median(pred_t["built-in"])
            for name in makers:
                med_fit = statistics.median(fit_t[name])
                med_pred = statistics.median(pred_t[name])
                per = [a / b for a, b in zip(fit_t[name], fit_t["built-in"], strict=True)]
                spread = "" if name == "built-in" else f"{min(per):.2f}-{max(per):.2f}"
                lines.append(
                    f"| {booster} | {n_classes} | {name} | {med_fit:.2f} | "
                    f"{med_fit / base_fit:.2f} | {spread} | {med_pred:.3f} | "
                    f"{med_pred / base_pred:.2f} | {auc[name]:.4f} |")
                print(lines[-1], flush=True)
        del dX, dy, dX_test
    return lines


# --------------------------------------------------------------------------- scale

N_FEATURES = 20


def _generate(seed: int, block: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One block of the scale data: float32 features and labels (about 5% positives)."""
    rng = np.random.default_rng([seed, block])
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    logit = (1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.6 * X[:, 2] * X[:, 3]
             + np.sin(2.0 * X[:, 4]) + 0.5 * np.abs(X[:, 5]) - 4.0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int32)
    return X, y


def _dask_data(rows: int, block_rows: int, seed: int = 0):
    """The scale data as dask arrays, each block generated on a worker."""
    sizes = [block_rows] * (rows // block_rows) + ([rows % block_rows] if rows % block_rows
                                                    else [])
    parts = [dask.delayed(_generate, pure=True)(seed, i, n) for i, n in enumerate(sizes)]
    X = da.concatenate([da.from_delayed(p[0], (n, N_FEATURES), np.float32)
                        for p, n in zip(parts, sizes, strict=True)])
    y = da.concatenate([da.from_delayed(p[1], (n,), np.int32)
                        for p, n in zip(parts, sizes, strict=True)])
    return X, y


def _spilled(dask_worker) -> float:
    """Bytes this worker has written to disk so far (0 where it cannot tell)."""
    metrics = getattr(dask_worker.data, "cumulative_metrics", {})
    return float(metrics.get(("disk-write", "bytes"), 0.0))


def _local_data(rows: int, seed: int):
    """The scale data generated in the client (the in-memory sample)."""
    X, y = zip(*(_generate(seed, i, n) for i, n in
                 enumerate([100_000] * (rows // 100_000))), strict=True)
    return np.concatenate(X), np.concatenate(y)


def scale_section(sizes: list[int], memory_limit: str, block_rows: int,
                  sample_rows: int, n_workers: int) -> list[str]:
    """Time against rows past one worker's memory, and held-out quality: table lines."""
    lines = [
        f"LocalCluster {n_workers} workers x 1 thread, memory_limit {memory_limit} per "
        "worker; data "
        f"generated on the workers in blocks of {block_rows:,} rows x {N_FEATURES} float32 "
        "features (about 5% positives) and persisted there, 50 rounds, XGBoost hist depth "
        "6; one fit per arm and size (after a warm-up fit), in alternating order.",
        "",
        "| rows | features (GB) | generated and persisted (s) | focal fit (s) | "
        "built-in fit (s) | focal / built-in | focal rows/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    arms = {"focal": lambda: DaskFocalXGBClassifier(**XGB_PARAMS),
            "built-in": lambda: dxgb.DaskXGBClassifier(**XGB_PARAMS)}
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      memory_limit=memory_limit, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as client:
        workers_before = set(client.scheduler_info()["workers"])
        X, y = _dask_data(200_000, 50_000)
        for make in arms.values():  # warm-up: the workers' imports, XGBoost's tracker
            _with_client(make(), client).fit(X, y, verbose=False)
        focal = None
        for i, rows in enumerate(sizes):
            X, y = _dask_data(rows, block_rows)
            t = time.perf_counter()
            X, y = client.persist([X, y])
            wait([X, y])
            t_gen = time.perf_counter() - t
            times = {}
            for name in (["focal", "built-in"] if i % 2 == 0 else ["built-in", "focal"]):
                model = _with_client(arms[name](), client)
                t = time.perf_counter()
                model.fit(X, y, verbose=False)
                times[name] = time.perf_counter() - t
                if name == "focal":
                    focal = model
            del X, y  # released on the workers before the next size
            gb = rows * N_FEATURES * 4 / 1e9
            lines.append(f"| {rows:,} | {gb:.2f} | {t_gen:.1f} | {times['focal']:.1f} | "
                         f"{times['built-in']:.1f} | {times['focal'] / times['built-in']:.2f} "
                         f"| {rows / times['focal']:,.0f} |")
            print(lines[-1], flush=True)
        workers_after = set(client.scheduler_info()["workers"])
        spilled = client.run(_spilled)
        dX_test, dy_test = _dask_data(200_000, 50_000, seed=1)
        proba_dask, X_test, y_test = client.compute(
            [focal.predict_proba(dX_test), dX_test, dy_test], sync=True)
    X_s, y_s = _local_data(sample_rows, seed=2)
    memory = FocalXGBClassifier(**XGB_PARAMS, n_jobs=2).fit(X_s, y_s)
    proba_mem = memory.predict_proba(X_test)
    lines += [
        "",
        f"Workers restarted: {len(workers_before ^ workers_after)} (the same "
        f"{len(workers_before)} workers before and after). Spilled to disk: "
        + ", ".join(f"{b / 1e9:.2f} GB" for b in spilled.values()) + " (per worker).",
        "",
        f"Held-out (200,000 rows, prevalence {y_test.mean():.4f}) | ROC AUC | log-loss",
        "--- | ---: | ---:",
        f"DaskFocalXGBClassifier, {sizes[-1]:,} rows | "
        f"{roc_auc_score(y_test, proba_dask[:, 1]):.4f} | {log_loss(y_test, proba_dask):.4f}",
        f"FocalXGBClassifier in memory, {sample_rows:,}-row sample | "
        f"{roc_auc_score(y_test, proba_mem[:, 1]):.4f} | {log_loss(y_test, proba_mem):.4f}",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["ratio", "scale", "all"], default="ratio")
    parser.add_argument("--rows", type=int, default=200_000, help="ratio: training rows")
    parser.add_argument("--repeats", type=int, default=5, help="ratio: timed repeats")
    parser.add_argument("--test-rows", type=int, default=400_000,
                        help="ratio: held-out rows for predict_proba")
    parser.add_argument("--sizes", default="2000000,6000000,20000000",
                        help="scale: rows, comma-separated")
    parser.add_argument("--memory-limit", default="1.5GB", help="scale: per worker")
    parser.add_argument("--workers", type=int, default=4, help="scale: worker processes")
    parser.add_argument("--block-rows", type=int, default=500_000, help="scale: block size")
    parser.add_argument("--sample-rows", type=int, default=500_000,
                        help="scale: the in-memory sample")
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.section, args.rows, args.repeats, args.test_rows = "all", 20_000, 1, 5_000
        args.sizes, args.block_rows, args.sample_rows = "200000,400000", 100_000, 100_000
    warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
    load_before = os.getloadavg()[0]
    lines = []
    if args.section in ("ratio", "all"):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=40) as cluster, \
                Client(cluster) as client:
            lines += ratio_section(client, args.rows, args.repeats, args.test_rows) + [""]
    if args.section in ("scale", "all"):
        sizes = [int(float(s)) for s in args.sizes.split(",")]
        lines += scale_section(sizes, args.memory_limit, args.block_rows,
                               args.sample_rows, args.workers) + [""]
    lines.append(
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, load "
        f"average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after. Versions: "
        f"python {platform.python_version()}, boostfocal {boostfocal.__version__}, xgboost "
        f"{xgb.__version__}, lightgbm {lgb.__version__}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}.")
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
