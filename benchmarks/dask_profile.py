"""Where the time of a Dask XGBoost fit goes: the driver's steps and one worker's rounds.

    python benchmarks/dask_profile.py                  # 200,000 x 20, binary, 50 rounds
    python benchmarks/dask_profile.py --classes 5
    python benchmarks/dask_profile.py --quick          # 20,000 rows, smoke test

Fits ``DaskFocalXGBClassifier``, XGBoost's built-in ``DaskXGBClassifier`` and, to
measure what a Python objective costs XGBoost's Dask interface itself, a
``DaskXGBClassifier`` with a plain-numpy logistic (softmax) objective, on a
``LocalCluster`` of 2 worker processes x 1 thread with the data persisted in 4 blocks,
arms alternating. For each it reports, as medians over the repeats:

- **driver**: the fit's wall time split into boostfocal's fit plan (unique labels and
  class totals), XGBoost's ``DaskDMatrix`` construction, XGBoost's own unique labels, the
  training on the workers, and the rest; and the number of graphs the client computed
  or persisted;
- **worker** (the mean over the workers and rounds, first round excluded): the time of
  a boosting round (between XGBoost's per-iteration callbacks), and within it XGBoost's
  copy of the training margins (``predict(training=True)``) and the objective call,
  split into reading labels and weights from the DMatrix (``get_label`` /
  ``get_weight``), boostfocal's adapter (layout, output buffers) and the kernel
  (``loss.gradient_hessian``); the minor page faults per round, all workers together
  (the whole fit's, divided by the rounds: a worker's fresh arrays are page-faulted in,
  see ``boostfocal.dask._common.ReusedOutputs``); and the kernel's thread count on the
  worker with the worker's ``OMP_NUM_THREADS``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections import defaultdict

import dask.array as da
import numpy as np
import xgboost as xgb
import xgboost.dask as dxgb
from dask_overhead import numpy_logistic  # benchmarks/ is on sys.path, also on the workers
from distributed import Client, LocalCluster, get_worker, wait
from sklearn.datasets import make_classification

import boostfocal.dask._xgboost as bf_dask_xgb
from boostfocal.dask import DaskFocalXGBClassifier
from boostfocal.xgboost import FocalXGBClassifier

# --------------------------------------------------------------------------- worker side


def _worker_stats(sink: dict | None = None) -> dict:
    """Where a fit's stats go: ``sink`` in the client (in-memory arms), else the worker's."""
    if sink is not None:
        return sink
    worker = get_worker()
    if not hasattr(worker, "_bf_profile"):
        worker._bf_profile = defaultdict(list)
    return worker._bf_profile


class RoundTimer(xgb.callback.TrainingCallback):
    """Records each boosting round's wall time (in ``sink``, or on the worker)."""

    def __init__(self, sink: dict | None = None) -> None:
        super().__init__()
        self.sink = sink

    def before_iteration(self, model, epoch, evals_log) -> bool:
        self._t, self._cpu = time.perf_counter(), time.process_time()
        return False

    def after_iteration(self, model, epoch, evals_log) -> bool:
        stats = _worker_stats(self.sink)
        stats["round"].append(time.perf_counter() - self._t)
        stats["round_cpu"].append(time.process_time() - self._cpu)
        return False


_PLAIN_DECORATOR = xgb.sklearn._objective_decorator
#: The in-memory arm's stats while it fits (None during a Dask arm).
_SINK: dict = {"sink": None}


def _time_margin_copies(sink) -> None:
    """Time ``Booster.predict(..., training=True)`` in this process from now on.

    XGBoost copies the training margins out with it before every call of a Python
    objective; the times go to ``sink`` (or the worker's stats), as the objective's.
    """
    booster = xgb.core.Booster
    booster._bf_sink = sink
    if getattr(booster.predict, "_bf_timed", False):
        return
    predict = booster.predict

    def timed_predict(self, *args, **kwargs):
        if not kwargs.get("training"):
            return predict(self, *args, **kwargs)
        t = time.perf_counter()
        out = predict(self, *args, **kwargs)
        _worker_stats(booster._bf_sink)["margin_copy"].append(time.perf_counter() - t)
        return out

    timed_predict._bf_timed = True
    booster.predict = timed_predict


def timed_objective_decorator(func):
    """XGBoost's ``_objective_decorator``, with its steps timed on the worker."""
    plain = _PLAIN_DECORATOR(func)
    sink = _SINK["sink"]  # read in the client, when XGBoost decorates the objective

    def inner(preds, dmatrix):
        stats = _worker_stats(sink)
        _time_margin_copies(sink)
        loss = getattr(func, "loss", None)
        if loss is not None and "gradient_hessian" not in vars(loss):
            kernel = loss.gradient_hessian

            def timed_kernel(*args, **kwargs):
                t = time.perf_counter()
                out = kernel(*args, **kwargs)
                _worker_stats(sink)["kernel"].append(time.perf_counter() - t)
                return out

            loss.gradient_hessian = timed_kernel
            from boostfocal.losses._kernels import resolve_threads
            threads = getattr(func, "_kernel_threads", lambda: func.n_threads)()
            stats["threads"] = [resolve_threads(threads)]
            stats["omp"] = [os.environ.get("OMP_NUM_THREADS", "")]
        t0 = time.perf_counter()
        dmatrix.get_weight()
        dmatrix.get_label()
        t1 = time.perf_counter()
        out = plain(preds, dmatrix)  # reads them again, as XGBoost does, then calls func
        t2 = time.perf_counter()
        stats["read"].append(t1 - t0)
        stats["objective"].append(t2 - t1)
        return out

    return inner


def _minor_faults() -> int:
    """Minor page faults of this process so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _collect(dask_worker) -> dict:
    stats = getattr(dask_worker, "_bf_profile", {})
    dask_worker._bf_profile = defaultdict(list)
    return dict(stats)


# --------------------------------------------------------------------------- driver side


class DriverTimer:
    """Times the steps of a fit on the client by wrapping the functions that run them."""

    def __init__(self, client) -> None:
        self.client = client
        self.steps: dict[str, float] = defaultdict(float)
        self.graphs = 0

    def __enter__(self) -> DriverTimer:
        self._saved = []
        self._wrap(bf_dask_xgb, "compute_async", "plan")
        self._wrap(dxgb, "_async_wrap_evaluation_matrices", "dmatrix")
        self._wrap(dxgb, "_train_async", "train")
        for module in (dxgb, xgb.sklearn):
            self._saved.append((module, "_objective_decorator", module._objective_decorator))
            module._objective_decorator = timed_objective_decorator
        for name in ("compute", "persist"):
            method = getattr(self.client, name)
            self._saved.append((self.client, name, None))
            setattr(self.client, name, self._counting(method))
        return self

    def __exit__(self, *exc) -> None:
        for obj, name, value in reversed(self._saved):
            if value is None:
                delattr(obj, name)
            else:
                setattr(obj, name, value)

    def _counting(self, method):
        def counted(*args, **kwargs):
            self.graphs += 1
            return method(*args, **kwargs)
        return counted

    def _wrap(self, module, name: str, step: str) -> None:
        original = getattr(module, name)
        self._saved.append((module, name, original))

        async def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.steps[step] += time.perf_counter() - t

        setattr(module, name, timed)


def _leaves(model) -> float:
    """Mean number of leaves per tree (the trees' size drives a round's cost)."""
    trees = model.get_booster().trees_to_dataframe()
    return float((trees["Feature"] == "Leaf").sum() / trees["Tree"].nunique())


def profile_fit(client, make, data) -> dict:
    """One fit under the timers: the driver's steps and the workers' round stats.

    ``data`` is ``(dX, dy)`` for a Dask arm, ``(X, y, "memory")`` for an in-memory one.
    """
    client.run(_collect)
    in_memory = len(data) == 3
    faults = _minor_faults() if in_memory else sum(client.run(_minor_faults).values())
    sink = defaultdict(list) if in_memory else None
    _SINK["sink"] = sink
    with DriverTimer(client) as timer:
        model = make()
        model.set_params(callbacks=[RoundTimer(sink)])
        if len(data) == 2:
            model.client = client
        t = time.perf_counter()
        model.fit(*data[:2], verbose=False)
        total = time.perf_counter() - t
    faults = (_minor_faults() if in_memory else sum(client.run(_minor_faults).values())
              ) - faults
    workers = client.run(_collect) if len(data) == 2 else {"client": sink}
    out = {"total": total, "graphs": timer.graphs, **timer.steps}
    out["rest"] = total - sum(timer.steps.values())
    out["faults"] = faults / model.get_booster().num_boosted_rounds()
    out["leaves"] = _leaves(model)
    for key in ("round", "round_cpu", "margin_copy", "read", "objective", "kernel"):
        per_worker = [np.mean(s[key][1:]) for s in workers.values() if len(s.get(key, [])) > 1]
        out[key] = float(np.mean(per_worker)) if per_worker else float("nan")
    threads = {(s.get("threads", ["-"])[0], s.get("omp", ["-"])[0]) for s in workers.values()}
    out["threads"] = ", ".join(f"{n} (OMP_NUM_THREADS={o or 'unset'})" for n, o in threads)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeats, args.rounds = 20_000, 1, 10
    warnings.filterwarnings("ignore")
    X, y = make_classification(n_samples=args.rows, n_features=20, n_informative=10,
                               n_classes=args.classes,
                               weights=[0.95] if args.classes == 2 else None,
                               random_state=0)
    X = X.astype(np.float32)
    block = -(-args.rows // 4)
    params = {"n_estimators": args.rounds, "max_depth": 6, "tree_method": "hist",
              "learning_rate": 0.1}
    arms = {
        "focal (boostfocal)": lambda: DaskFocalXGBClassifier(**params),
        "built-in": lambda: dxgb.DaskXGBClassifier(**params),
        "numpy logistic objective": lambda: dxgb.DaskXGBClassifier(
            objective=numpy_logistic, **params),
    }
    half = args.rows // 2
    memory_arms = {  # one worker's share of the rows, on one thread
        "in memory, focal": lambda: FocalXGBClassifier(n_jobs=1, **params),
        "in memory, built-in": lambda: xgb.XGBClassifier(n_jobs=1, **params),
    }
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        dX = da.from_array(X, chunks=(block, -1)).persist()
        dy = da.from_array(y, chunks=block).persist()
        wait([dX, dy])
        results: dict[str, list] = defaultdict(list)
        for rep in range(args.repeats + 1):
            for name, make in arms.items():
                r = profile_fit(client, make, (dX, dy))
                if rep:  # the first repeat warms the workers up
                    results[name].append(r)
            for name, make in memory_arms.items():
                r = profile_fit(client, make, (X[:half], y[:half], "memory"))
                if rep:
                    results[name].append(r)
    print(f"{args.rows:,} rows x 20 features, {args.classes} classes, {args.rounds} rounds, "
          f"LocalCluster 2 x 1 thread, 4 blocks persisted; medians of {args.repeats} "
          f"alternating repeats (load {os.getloadavg()[0]:.1f}).\n")
    cols = ["total", "plan", "dmatrix", "train", "rest", "graphs"]
    print("| arm | fit (s) | plan (s) | DaskDMatrix (s) | train (s) | rest (s) | graphs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        med = {c: statistics.median(r.get(c, 0.0) for r in runs) for c in cols}
        print(f"| {name} | {med['total']:.2f} | {med['plan']:.3f} | {med['dmatrix']:.3f} | "
              f"{med['train']:.2f} | {med['rest']:.3f} | {med['graphs']:.0f} |")
    print("\nPer round on a worker (ms; mean over rounds 2.., median over repeats):\n")
    print("| arm | round | round, CPU | margin copy | objective call | of it: get_label+"
          "get_weight | kernel | page faults per round | leaves per tree | kernel threads |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, runs in results.items():
        med = {c: statistics.median(r[c] for r in runs) * 1e3
               for c in ("round", "round_cpu", "margin_copy", "read", "objective", "kernel")}
        print(f"| {name} | {med['round']:.2f} | {med['round_cpu']:.2f} | "
              f"{med['margin_copy']:.2f} | "
              f"{med['objective']:.2f} | {med['read']:.2f} | "
              f"{med['kernel']:.2f} | {statistics.median(r['faults'] for r in runs):,.0f} | "
              f"{statistics.median(r['leaves'] for r in runs):.1f} | "
              f"{runs[0]['threads']} |")


if __name__ == "__main__":
    main()
