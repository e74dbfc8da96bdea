"""How often does ``boostfocal compare`` mark a difference where there is none?

    python benchmarks/compare_false_alarms.py --null copies --runs 200
    python benchmarks/compare_false_alarms.py --null noise --runs 200
    python benchmarks/compare_false_alarms.py --quick    # smoke test: 2 runs, 5 trees

Each run is ``boostfocal compare``'s own cross-validation, tests and recommendation (5
folds x 3 repeats, the defaults) on a freshly generated data set where no entry can be
truly better than the logistic one:

- ``copies``: every entry is the same model. The logistic entry and 11 others are the
  built-in logistic objective with 80% row and column subsampling, each with its own
  ``random_state``: 11 tests against logistic, as with the default gamma grid. Data: a
  demo-like imbalanced set (``make_classification``, 2.5% positives after 1% label noise),
  new for every run.
- ``noise``: every entry of the default grid (logistic, class-weighted, GHM-C, focal over
  gammas 0-5 with and without alpha), on labels drawn independently of the features (2.5%
  positives): every entry's expected average precision is the prevalence.

Trees are smaller than the command's defaults (30 rounds, 2,000 rows) so that hundreds of
runs fit in an hour; the tests only see per-fold scores. Printed for 1, 2 and 3 repeats
(the first repeats of the same runs): the share of runs in which any entry is marked
``*`` (the family-wise false-alarm rate that Holm's correction holds at 5%), the share of
single tests marked, and the share of runs that recommend a focal entry. ``--n-jobs J``
runs J fits at a time.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from boostfocal.compare import _crossval, _data, _entries, _verdict

N_ROWS, N_TREES, REPEATS, FOLDS = 2_000, 30, 3, 5


def _copies_build(entry, backend, y_train, n_classes, params):
    """Every entry: the logistic objective, subsampled, with the entry's own seed."""
    import xgboost as xgb

    seed = 0 if entry.kind == "logistic" else int(entry.gamma)
    return xgb.XGBClassifier(**{**params, "random_state": seed}, subsample=0.8,
                             colsample_bytree=0.8), {}


_real_fit_one = _crossval._fit_one


def _fit_copy(*task):
    """One fit with the copies' estimators, in whichever process runs it (a worker
    imports the modules afresh, so the replacement is made where the fit runs)."""
    _entries.build = _copies_build
    return _real_fit_one(*task)


def _data_set(null: str, run: int) -> _data.Data:
    if null == "copies":
        X, y = make_classification(N_ROWS, 20, n_informative=8, weights=[0.98], flip_y=0.01,
                                   class_sep=0.8, random_state=10_000 + run)
    else:
        rng = np.random.default_rng(10_000 + run)
        X = rng.normal(size=(N_ROWS, 20))
        y = (rng.uniform(size=N_ROWS) < 0.025).astype(np.int64)
        y[:FOLDS] = 1  # every fold of every repeat needs a positive
    return _data.Data(pd.DataFrame(X, columns=[f"f{i}" for i in range(20)]),
                      y.astype(np.int64), ["0", "1"])


def one_run(null: str, run: int, n_jobs: int = 1) -> pd.DataFrame:
    """The per-fold rows of one simulated run."""
    if null == "copies":
        entries = [_entries.Entry("logistic")] + [_entries.Entry("focal", float(g))
                                                  for g in range(1, 12)]
    else:
        entries = _entries.make_entries(2, [0.0, 0.5, 1.0, 2.0, 5.0], True)
    settings = _crossval.Settings(folds=FOLDS, repeats=REPEATS, n_estimators=N_TREES,
                                  seed=run, n_jobs=n_jobs)
    return _crossval.run(_data_set(null, run), entries, settings).fold_rows


def outcome(rows: pd.DataFrame, repeats: int) -> tuple[int, int, int, bool]:
    """(entries marked, tests, focal entry recommended) with the first repeats."""
    rows = rows[rows["repeat"] <= repeats].reset_index(drop=True)
    entries = [_entries.Entry(k, None if pd.isna(g) else float(g), a == "balanced")
               for k, g, a in rows.drop_duplicates("entry")[["kind", "gamma", "alpha"]]
               .itertuples(index=False)]
    results = _crossval.Results(entries, rows, {}, [])
    tests = _verdict.tests_vs_logistic(results)
    family = [t for t in tests.values() if t.p_adjusted is not None]
    summary = _verdict.summarize(results, tests)
    verdict = _verdict.verdict(results, summary, tests)
    marked = sum(not t.within_noise for t in family)
    return marked, len(family), verdict.recommended != "logistic", marked > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--null", choices=("copies", "noise"), default="copies")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="fits in parallel processes (the results do not change)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 runs, 5 trees")
    args = parser.parse_args()
    if args.quick:
        global N_TREES
        args.runs, N_TREES = 2, 5
    if args.null == "copies":
        _crossval._fit_one = _fit_copy  # looked up by _crossval at every run
    started = time.perf_counter()
    outcomes: dict[int, list] = {r: [] for r in range(1, REPEATS + 1)}
    for run in range(args.runs):
        rows = one_run(args.null, run, args.n_jobs)
        for r in outcomes:
            outcomes[r].append(outcome(rows, r))
        if (run + 1) % 10 == 0 and run + 1 < args.runs:  # so far, should it be stopped
            print(f"  {run + 1} runs, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
            _print(outcomes, sys.stderr)
    print(f"null={args.null}: {args.runs} runs, {FOLDS} folds, {N_ROWS:,} rows, "
          f"{N_TREES} trees; {time.perf_counter() - started:.0f} s")
    _print(outcomes, sys.stdout)


def _print(outcomes: dict[int, list], stream) -> None:
    print("repeats  runs with any *  (95% interval)   single tests marked   focal recommended",
          file=stream)
    for r, found in outcomes.items():
        any_mark = np.array([f[3] for f in found])
        tests = sum(f[1] for f in found)
        marked = sum(f[0] for f in found)
        rec = np.mean([f[2] for f in found])
        lo, hi = _wilson(int(any_mark.sum()), len(found))
        print(f"{r:7d}  {any_mark.mean():15.1%}  ({lo:.1%}-{hi:.1%})  "
              f"{marked / tests:19.2%}   {rec:17.1%}", file=stream, flush=True)


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)  # k=0: -1e-17, not -0.0%


if __name__ == "__main__":
    main()
