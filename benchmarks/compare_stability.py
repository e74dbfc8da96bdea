"""Is ``boostfocal compare``'s recommendation the same for seeds 0 to 4?

    python benchmarks/compare_stability.py --data demo,null,focal-weak --seeds 0-4 --repeats 3
    python benchmarks/compare_stability.py --data focal-weak,focal-wide --truth
    python benchmarks/compare_stability.py --quick    # smoke test: 20 trees, 2 seeds

Each run is ``boostfocal compare``'s own cross-validation and verdict with its defaults
(XGBoost, 5 folds, 200 trees at learning rate 0.1, gammas 0, 0.5, 1, 2, 5) and
``--seed S``, on one of four generated data sets:

- ``demo``: the built-in demo (20,000 rows, 2.5% positives);
- ``null``: nothing differs: the demo's first 10,000 rows with the labels shuffled, so that
  every entry's expected average precision is the prevalence;
- ``focal-weak``: an entry is truly better, by a margin near the test's detection limit:
  20,000 rows of 28 features uniform on [-3, 3], positive when
  ``sin(x0 x1) + sin(1.5 x2) cos(x3) + 0.3 x4 + 0.2 noise > 1.3`` (10%; 23 features are
  noise);
- ``focal-wide``: the same signal with 60 features (55 of them noise). Its true gain is
  larger (``--truth``: about +0.05 AP for the balanced focal entries, against +0.03 to
  +0.05), but so is its spread from fold to fold: the corrected test sees it no better.

``--truth`` shows the true differences on a large sample: each entry trained on 16,000
fresh rows, three times, and scored on the same 200,000 held-out rows.

The per-fold rows of every run are kept in ``--cache`` (one CSV per data set and seed),
so the verdicts with fewer repeats are read off the same runs (repeat r of ``--repeats
3`` is repeat r of ``--repeats 2``: the same splits). ``--n-jobs J`` runs J fits at a
time (the per-fold results are the same).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from boostfocal.compare import _crossval, _data, _entries, _verdict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare_power_probe  # noqa: E402


def make_data(name: str, n: int | None = None, seed: int = 0) -> _data.Data:
    """One of the four data sets (``n``/``seed``: another sample of a ``focal-*`` set)."""
    if name == "demo":
        return _data.demo_data()[0]
    if name == "null":
        demo = _data.demo_data()[0]
        rng = np.random.default_rng(0)
        rows = np.arange(10_000)
        return _data.Data(demo.X.iloc[rows].reset_index(drop=True),
                          rng.permutation(demo.y[rows]), demo.labels)
    if name not in ("focal-weak", "focal-wide"):
        raise ValueError(f"unknown data set {name!r}")
    # the same signal in both (compare_power_probe's "wide" sets); focal-wide has 55 noise
    # features, focal-weak 23
    n_features = 60 if name == "focal-wide" else 28
    return compare_power_probe.make_data(f"wide:{n_features}:1.3",
                                         20_000 if n is None else n, seed)


def fold_rows(name: str, seed: int, repeats: int, cache: Path, n_jobs: int = 1,
              n_estimators: int = 200) -> pd.DataFrame:
    """The run's per-fold rows, from the cache or computed (and cached)."""
    trees = "" if n_estimators == 200 else f"_t{n_estimators}"
    path = cache / f"{name}_seed{seed}_r{repeats}{trees}.csv"
    if path.exists():
        return pd.read_csv(path)
    data = make_data(name)
    settings = _crossval.Settings(seed=seed, repeats=repeats, n_jobs=n_jobs,
                                  n_estimators=n_estimators)
    entries = _entries.make_entries(2, settings.gammas, True)
    start = time.perf_counter()
    rows = _crossval.run(data, entries, settings).fold_rows
    print(f"  ran {name} seed {seed}: {time.perf_counter() - start:.0f} s", file=sys.stderr,
          flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, index=False)
    return rows


def verdict_of(rows: pd.DataFrame, repeats: int) -> tuple[str, str, str]:
    """(recommended entry, best focal entry, its difference as the table prints it)."""
    rows = rows[rows["repeat"] <= repeats].copy()
    rows["alpha"] = rows["alpha"].where(rows["alpha"].notna(), None)
    rows["gamma"] = rows["gamma"].where(rows["gamma"].notna(), None)
    names = list(dict.fromkeys(rows["entry"]))
    entries = []
    for name in names:
        first = rows[rows["entry"] == name].iloc[0]
        entries.append(_entries.Entry(first["kind"], first["gamma"],
                                      first["alpha"] == "balanced"))
    results = _crossval.Results(entries, rows.reset_index(drop=True), {}, [])
    tests = _verdict.tests_vs_logistic(results)
    summary = _verdict.summarize(results, tests)
    v = _verdict.verdict(results, summary, tests)
    starred = [n for n, t in tests.items() if t.p_adjusted is not None and not t.within_noise]
    return v.recommended, f"{v.best} {tests[v.best].describe()}", ", ".join(starred) or "-"


def truth(name: str, n_train: int = 16_000, replicates: int = 3) -> None:
    """Every entry trained on fresh samples and scored on one large held-out sample."""
    from sklearn.metrics import average_precision_score

    test = make_data(name, 200_000, seed=999)
    entries = _entries.make_entries(2, [0.0, 0.5, 1.0, 2.0, 5.0], True)
    params = _entries.booster_params("xgboost", 200, 0.1, 0, 1, False)
    ap = {e.name: [] for e in entries}
    for rep in range(replicates):
        train = make_data(name, n_train, seed=rep)
        for entry in entries:
            model, kwargs = _entries.build(entry, "xgboost", train.y, 2, params)
            model.fit(train.X, train.y, **kwargs)
            ap[entry.name].append(average_precision_score(
                test.y, model.predict_proba(test.X)[:, 1]))
    base = np.array(ap["logistic"])
    print(f"{name}: AP on 200,000 held-out rows, {replicates} fits on {n_train:,} fresh rows "
          f"each (prevalence {test.y.mean():.4f})")
    print(f"{'entry':32s} {'mean AP':>8s} {'vs logistic':>12s}  per fit")
    for entry_name, values in ap.items():
        d = np.array(values) - base
        print(f"{entry_name:32s} {np.mean(values):8.4f} {d.mean():+12.4f}  "
              f"{' '.join(f'{x:+.4f}' for x in d)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo,null,focal-weak")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=HERE / "out" / "stability")
    parser.add_argument("--truth", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="fits in parallel processes (the results do not change)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: the null set, seeds 0-1, 2 repeats, 20 trees")
    args = parser.parse_args()
    trees = 200
    if args.quick:
        args.data, args.seeds, args.repeats, trees = "null", "0-1", 2, 20
    names = args.data.split(",")
    if args.truth:
        for name in names:
            truth(name)
        return
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    print(f"{'data':10s} {'R':>2s} {'seed':>4s}  {'recommended':30s} best focal entry "
          "(AP vs logistic)  |  starred")
    for name in names:
        runs = {seed: fold_rows(name, seed, args.repeats, args.cache, args.n_jobs, trees)
                for seed in seeds}
        for r in range(1, args.repeats + 1):
            for seed in seeds:
                rec, best, starred = verdict_of(runs[seed], r)
                print(f"{name:10s} {r:2d} {seed:4d}  {rec:30s} {best}  |  {starred}")


if __name__ == "__main__":
    main()
