"""How far is an entry's gain from what ``boostfocal compare`` can see at every seed?

    python benchmarks/compare_power_probe.py wide:60:1.3 20000
    python benchmarks/compare_power_probe.py logit:50:1.5:-5 20000 pockets:40:60:0.12:0.002 20000
    python benchmarks/compare_power_probe.py --max-t

A cheap search for a generated set where a focal entry is better than the logistic
objective by a margin the corrected test sees at every seed. For each candidate (a spec
and a row count) it runs compare's own cross-validation (XGBoost, compare's booster
settings, 5 folds, **2 repeats**, ``--seed 0``) for six entries: logistic, class-weighted
logistic, focal gamma=0 and 2 with ``alpha=balanced``, focal gamma=1 and 2 without. It
prints, against logistic, the mean per-fold AP difference ``d``, its standard deviation,
the corrected t (Bouckaert and Frank, as compare computes it, before the correction for
many entries) and the worst fold.

Compare's default run (3 repeats) needs ``t >= 3.37`` for its best entry (Holm's first
step over 11 entries), so a gain that is recommended at every seed needs a centre near
``t = 5``: ``mean(d) / sd(d)`` near 2.8, since the corrected SE is ``sd(d) sqrt(1/15 +
1/4)``.

Specs (features uniform on [-3, 3] unless said otherwise; ``s`` below is the
``focal-wide`` signal of ``compare_stability.py``, ``sin(x0 x1) + sin(1.5 x2) cos(x3) +
0.3 x4``):

- ``wide:F:T``: F features, positive when ``s + 0.2 noise > T`` (``wide:60:1.3`` at
  20,000 rows is ``focal-wide``);
- ``cap:F:A:T``: the same with frequencies times A (a target that 200 trees fit only in
  part when the rows are many);
- ``pockets:F:M:R:E``: F features uniform on [-1, 1]; positive with probability 0.7
  within distance R of one of M fixed centres in the first 3 features, E elsewhere;
- ``additive:F:K:T``: F standard normal features, positive when ``sum(x0..x(K-1)) /
  sqrt(K) + 0.5 noise > T``;
- ``logit:F:S:O``: F standard normal features, ``P(y=1) = sigmoid(S (x0 + x1 + x2) +
  O)``;
- ``multi:F:T``: three classes: 2 when ``s + 0.2 noise > T``, else 1 when ``sin(x5 x6)
  + 0.3 x7 + 0.2 noise > 0.8``, else 0 (compare's AP is then the macro average).

``--max-t``: the bar that a max-statistic over the entries (single-step, two-sided, 5%)
would set in place of Holm's first step, for 11 equicorrelated t statistics with 14
degrees of freedom (compare's 3 x 5 folds), by simulation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from boostfocal.compare import _crossval, _data, _entries, _verdict


def _signal(X: np.ndarray, a: float = 1.0) -> np.ndarray:
    return (np.sin(a * X[:, 0] * X[:, 1]) + np.sin(1.5 * a * X[:, 2]) * np.cos(a * X[:, 3])
            + 0.3 * X[:, 4])


def make_data(spec: str, n: int, seed: int = 0) -> _data.Data:
    """The candidate set ``spec`` (see the module docstring), ``n`` rows."""
    kind, *args = spec.split(":")
    rng = np.random.default_rng(1000 + seed)
    labels = ["0", "1"]
    if kind in ("wide", "cap", "multi"):
        nf, thr = int(args[0]), float(args[-1])
        X = rng.uniform(-3, 3, size=(n, nf))
        f = _signal(X, float(args[1]) if kind == "cap" else 1.0)
        y = (f + 0.2 * rng.normal(size=n) > thr).astype(np.int64)
        if kind == "multi":
            g = np.sin(X[:, 5] * X[:, 6]) + 0.3 * X[:, 7]
            y = np.where(y == 1, 2, (g + 0.2 * rng.normal(size=n) > 0.8).astype(np.int64))
            labels = ["0", "1", "2"]
    elif kind == "pockets":
        nf, m, r, eps = int(args[0]), int(args[1]), float(args[2]), float(args[3])
        X = rng.uniform(-1, 1, size=(n, nf))
        centres = np.random.default_rng(7).uniform(-1, 1, size=(m, 3))
        dist2 = np.min(((X[:, None, :3] - centres[None]) ** 2).sum(-1), axis=1)
        y = (rng.uniform(size=n) < np.where(dist2 < r * r, 0.7, eps)).astype(np.int64)
    elif kind == "additive":
        nf, k, thr = int(args[0]), int(args[1]), float(args[2])
        X = rng.normal(size=(n, nf))
        y = (X[:, :k].sum(1) / np.sqrt(k) + 0.5 * rng.normal(size=n) > thr).astype(np.int64)
    elif kind == "logit":
        X = rng.normal(size=(n, int(args[0])))
        p = expit(float(args[1]) * (X[:, 0] + X[:, 1] + X[:, 2]) + float(args[2]))
        y = (rng.uniform(size=n) < p).astype(np.int64)
    else:
        raise ValueError(f"unknown spec {spec!r}; kinds: wide, cap, pockets, additive, "
                         "logit, multi")
    columns = [f"f{i}" for i in range(X.shape[1])]
    return _data.Data(pd.DataFrame(X, columns=columns), y, labels)


def probe(spec: str, n: int, n_jobs: int) -> None:
    """Six entries on compare's folds (2 repeats); per-fold AP differences vs logistic."""
    data = make_data(spec, n)
    E = _entries.Entry
    entries = [E("logistic"), E("weighted"), E("focal", 0.0, True), E("focal", 2.0, True),
               E("focal", 1.0, False), E("focal", 2.0, False)]
    start = time.perf_counter()
    fr = _crossval.run(data, entries, _crossval.Settings(repeats=2, n_jobs=n_jobs)).fold_rows
    base = fr[fr["entry"] == "logistic"]["average_precision"].to_numpy()
    print(f"{spec} n={n} positives {np.mean(data.y == len(data.labels) - 1):.4f} "
          f"({time.perf_counter() - start:.0f} s); logistic AP {base.mean():.4f}")
    for entry in entries[1:]:
        d = fr[fr["entry"] == entry.name]["average_precision"].to_numpy() - base
        t = _verdict.paired(fr, entry.name, "logistic").t
        print(f"  {entry.name:30s} d={d.mean():+.4f} sd={d.std(ddof=1):.4f} t={t:5.2f} "
              f"worst={d.min():+.4f}")


def max_t_bar(n_tests: int = 11, df: int = 14, draws: int = 200_000) -> None:
    """Two-sided 5% critical value of max |T| over equicorrelated t statistics."""
    holm = stats.t.ppf(1 - 0.025 / n_tests, df)
    print(f"Holm's first step ({n_tests} tests, {df} df): |t| >= {holm:.2f}; "
          f"one test alone: {stats.t.ppf(0.975, df):.2f}")
    rng = np.random.default_rng(0)
    for rho in (0.0, 0.5, 0.7, 0.9):
        z = (np.sqrt(rho) * rng.normal(size=(draws, 1))
             + np.sqrt(1 - rho) * rng.normal(size=(draws, n_tests)))
        t = z / np.sqrt(rng.chisquare(df, size=(draws, 1)) / df)
        print(f"  max-statistic, correlation {rho:.1f}: |t| >= "
              f"{np.quantile(np.abs(t).max(axis=1), 0.95):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="*", help="pairs: SPEC ROWS")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--max-t", action="store_true")
    args = parser.parse_args()
    if args.max_t:
        max_t_bar()
    if len(args.candidates) % 2:
        parser.error("candidates come in pairs: SPEC ROWS")
    for spec, rows in zip(args.candidates[::2], args.candidates[1::2], strict=True):
        probe(spec, int(rows), args.n_jobs)


if __name__ == "__main__":
    main()
