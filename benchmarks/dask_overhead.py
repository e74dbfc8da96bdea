"""Dask overhead: the Dask estimators against in-memory training on the same data.

Wall time of ``fit`` and of ``predict_proba`` for

- ``FocalXGBClassifier`` / ``FocalLGBMClassifier`` in memory, 2 threads;
- ``DaskFocalXGBClassifier`` / ``DaskFocalLGBMClassifier`` on a ``LocalCluster`` of 2
  worker processes x 1 thread (the same 2 cores), data persisted on the workers in 4
  row blocks before timing;

and, to separate the libraries' own Dask cost from boostfocal's, the built-in logistic
``XGBClassifier`` / ``LGBMClassifier`` and their Dask classes on the same data. The
"start" column times boostfocal's two reductions alone (unique labels; weighted class
totals), which every Dask ``fit`` runs before training. Median of ``--repeats`` runs.

Usage::

    python benchmarks/dask_overhead.py                 # 200,000 x 20, 50 rounds, median of 3
    python benchmarks/dask_overhead.py --quick         # 20,000 rows, 1 repeat (smoke test)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import dask
import dask.array as da
import distributed
import lightgbm as lgb
import numpy as np
import xgboost as xgb
import xgboost.dask as dxgb
from distributed import Client, LocalCluster, wait
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

import boostfocal
from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier
from boostfocal.dask._common import block_stats, label_uniques
from boostfocal.lightgbm import FocalLGBMClassifier
from boostfocal.xgboost import FocalXGBClassifier

OUT = Path(__file__).parent / "out"


def _median_time(func, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls (after one untimed warm-up call)."""
    result = func()  # warm-up: the workers' imports, XGBoost's tracker
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeats = 20_000, 1
    # lightgbm.DaskLGBMClassifier warns that it sets num_threads itself
    warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")

    n_test = args.rows // 4
    X, y = make_classification(n_samples=args.rows + n_test, n_features=args.features,
                               n_informative=args.features // 2, weights=[0.95],
                               random_state=0)
    X, X_test, y, y_test = X[:args.rows], X[args.rows:], y[:args.rows], y[args.rows:]
    block = -(-args.rows // args.blocks)

    xgb_params = {"n_estimators": args.rounds, "max_depth": 6, "tree_method": "hist",
                  "learning_rate": 0.1}
    lgb_params = {"n_estimators": args.rounds, "num_leaves": 31, "learning_rate": 0.1,
                  "verbose": -1}

    load_before = os.getloadavg()[0]
    rows = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        dX = da.from_array(X, chunks=(block, -1)).persist()
        dy = da.from_array(y, chunks=block).persist()
        dX_test = da.from_array(X_test, chunks=(-(-n_test // args.blocks), -1)).persist()
        wait([dX, dy, dX_test])

        def reductions():
            uniques = client.compute(label_uniques(dy)).result()
            stats = client.compute(block_stats(dy, None, 2)).result()
            return uniques, stats

        t_start, _ = _median_time(reductions, args.repeats)

        def run(name, backend, fit, predict, start=float("nan")):
            t_fit, model = _median_time(fit, args.repeats)
            t_pred, proba = _median_time(lambda: predict(model), args.repeats)
            auc = roc_auc_score(y_test, np.asarray(proba)[:, 1])
            rows.append({"model": name, "backend": backend, "fit_s": t_fit,
                         "predict_s": t_pred, "start_s": start, "auc": auc})
            print(f"{name:<32} fit {t_fit:7.2f} s  predict {t_pred:6.2f} s  "
                  f"AUC {auc:.4f}", flush=True)

        # XGBoost
        run("FocalXGBClassifier", "in-memory",
            lambda: FocalXGBClassifier(**xgb_params, n_jobs=2).fit(X, y),
            lambda m: m.predict_proba(X_test))
        run("DaskFocalXGBClassifier", "dask",
            lambda: _with_client(DaskFocalXGBClassifier(**xgb_params), client).fit(
                dX, dy, verbose=False),
            lambda m: m.predict_proba(dX_test).compute(), t_start)
        run("XGBClassifier (logistic)", "in-memory",
            lambda: xgb.XGBClassifier(**xgb_params, n_jobs=2).fit(X, y),
            lambda m: m.predict_proba(X_test))
        run("DaskXGBClassifier (logistic)", "dask",
            lambda: _with_client(dxgb.DaskXGBClassifier(**xgb_params), client).fit(dX, dy),
            lambda m: m.predict_proba(dX_test).compute())
        # LightGBM
        run("FocalLGBMClassifier", "in-memory",
            lambda: FocalLGBMClassifier(**lgb_params, n_jobs=2).fit(X, y),
            lambda m: m.predict_proba(X_test))
        run("DaskFocalLGBMClassifier", "dask",
            lambda: DaskFocalLGBMClassifier(**lgb_params, client=client).fit(dX, dy),
            lambda m: m.predict_proba(dX_test).compute(), t_start)
        run("LGBMClassifier (logistic)", "in-memory",
            lambda: lgb.LGBMClassifier(**lgb_params, n_jobs=2).fit(X, y),
            lambda m: m.predict_proba(X_test))
        run("DaskLGBMClassifier (logistic)", "dask",
            lambda: lgb.DaskLGBMClassifier(**lgb_params, client=client).fit(dX, dy),
            lambda m: m.predict_proba(dX_test).compute())
    load_after = os.getloadavg()[0]

    by_name = {r["model"]: r for r in rows}
    ratio = {"DaskFocalXGBClassifier": "FocalXGBClassifier",
             "DaskXGBClassifier (logistic)": "XGBClassifier (logistic)",
             "DaskFocalLGBMClassifier": "FocalLGBMClassifier",
             "DaskLGBMClassifier (logistic)": "LGBMClassifier (logistic)"}
    lines = [
        f"{args.rows:,} rows x {args.features} features (5% positives), {args.rounds} rounds, "
        f"median of {args.repeats} after a warm-up run; Dask: LocalCluster 2 workers x 1 thread, "
        f"{args.blocks} row blocks persisted; in memory: 2 threads. Held-out AUC on "
        f"{n_test:,} rows.",
        "",
        "| model | where | fit (s) | fit vs in-memory | predict_proba (s) | held-out AUC |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = by_name.get(ratio.get(r["model"], ""))
        rel = f"{r['fit_s'] / base['fit_s']:.2f}x" if base else ""
        lines.append(f"| {r['model']} | {r['backend']} | {r['fit_s']:.2f} | {rel} | "
                     f"{r['predict_s']:.2f} | {r['auc']:.4f} |")
    lines += [
        "",
        f"boostfocal's distributed start (unique labels + class totals, two reductions): "
        f"{t_start:.2f} s of each Dask fit.",
        "",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_before:.1f} before / {load_after:.1f} after. Versions: python "
        f"{platform.python_version()}, boostfocal {boostfocal.__version__}, xgboost "
        f"{xgb.__version__}, lightgbm {lgb.__version__}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    OUT.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (OUT / f"dask_overhead{suffix}.md").write_text(text + "\n")


def _with_client(model, client):
    model.client = client
    return model


if __name__ == "__main__":
    main()
