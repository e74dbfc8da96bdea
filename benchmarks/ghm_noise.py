"""Label-noise robustness: GHM-C against logistic and focal loss on real imbalanced data.

Question (issue "GHM-C objective and class-balanced alpha"): GHM-C (Li, Liu and Wang, AAAI
2019) down-weights both the many easy examples and the crowd of hopeless ones, which label
noise produces; focal loss down-weights only the easy ones and so *up*-weights mislabelled
examples. Does GHM-C rank better than the logistic and focal losses when part of the
training labels are wrong?

Compared, with XGBoost through boostfocal's estimators (so every method shares the same
trees, starting-score logic and ``min_child_weight=0.01`` default):

- ``logistic``: ``FocalXGBClassifier(focal_gamma=0)``, the logistic loss (it reproduces
  ``XGBClassifier``; see tests/test_xgboost.py);
- ``logistic+spw``: the same with ``scale_pos_weight = W0 / W1`` of the (noisy) training
  fold;
- ``focal``: ``FocalXGBClassifier``, tuned over ``focal_gamma`` in {1, 2} x
  ``focal_alpha`` in {None, "balanced"};
- ``ghm``: ``GHMXGBClassifier``, tuned over ``ghm_bins`` in {10, 30} x ``ghm_momentum`` in
  {0, 0.75}.

Protocol. 5-fold stratified outer CV (``shuffle=True, random_state=0``, the folds of the
other benchmarks). In each training fold a random ``rate`` (0, 5%, 10%, 20%) of the rows
get their label flipped (uniformly over rows, so both classes; the same rows for every
method). **The test folds keep their clean labels.** Tuning (focal and GHM) uses a
held-out split inside the training fold: a stratified 20% of the (noisy) training fold is
held out, each grid point is fitted on the other 80% and scored by average precision on
the held-out 20% *with its noisy labels* (all a practitioner would have), and the best
point is refitted on the whole noisy training fold. Trees: 200 rounds, learning rate 0.1,
``max_depth=4``, ``n_jobs=1``, ``random_state=0``. Metrics on the clean test fold:
average precision (AP) and ROC AUC, mean ± std (population) over the 5 folds.

    python benchmarks/ghm_noise.py            # full run, 3 data sets (~5 min on 1 thread)
    python benchmarks/ghm_noise.py --quick    # smoke test: Default, 2 folds, 40 rounds
    python benchmarks/ghm_noise.py --from-csv benchmarks/out/ghm_noise.csv   # redraw only

Per-fold rows go to ``benchmarks/out/ghm_noise.csv`` (with the chosen grid point), tables
to ``benchmarks/out/ghm_noise.md``, the figure to ``docs/ghm_noise.png`` (AP against flip
rate, one panel per data set, error bars: std over folds).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine, versions
from datasets import BINARY
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from boostfocal import FocalXGBClassifier, GHMXGBClassifier

SEED = 0
REAL = ("default", "caravan", "lending_club")
RATES = (0.0, 0.05, 0.10, 0.20)
N_FOLDS = 5
INNER_HOLDOUT = 0.2
#: Diagnostic only (not used for selection): test AP of each fitted model truncated to
#: its first k trees, to show how a method's ranking evolves with boosting.
TRUNCATIONS = (5, 25, 50, 100)
TREES = {"n_estimators": 200, "learning_rate": 0.1, "max_depth": 4, "n_jobs": 1,
         "random_state": SEED}
GRIDS = {
    "focal": [{"focal_gamma": g, "focal_alpha": a} for g, a in
              itertools.product((1.0, 2.0), (None, "balanced"))],
    "ghm": [{"ghm_bins": b, "ghm_momentum": m} for b, m in
            itertools.product((10, 30), (0.0, 0.75))],
}
METHODS = ("logistic", "logistic+spw", "focal", "ghm")
STYLE = {"logistic": ("logistic", "tab:gray", "o"),
         "logistic+spw": ("logistic + scale_pos_weight", "tab:green", "^"),
         "focal": ("focal (tuned)", "tab:blue", "s"),
         "ghm": ("GHM-C (tuned)", "tab:red", "D")}
ROOT = Path(__file__).resolve().parent


def flip_labels(y: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """``y`` with a random ``rate`` of its rows' labels flipped (0 <-> 1)."""
    y = y.copy()
    n_flip = int(round(rate * y.shape[0]))
    if n_flip:
        rows = rng.choice(y.shape[0], size=n_flip, replace=False)
        y[rows] = 1 - y[rows]
    return y


def make_model(method: str, params: dict, trees: dict, y_train: np.ndarray):
    if method == "logistic":
        return FocalXGBClassifier(focal_gamma=0.0, **trees)
    if method == "logistic+spw":
        spw = float(np.sum(y_train == 0) / np.sum(y_train == 1))
        return FocalXGBClassifier(focal_gamma=0.0, scale_pos_weight=spw, **trees)
    if method == "focal":
        return FocalXGBClassifier(**params, **trees)
    return GHMXGBClassifier(**params, **trees)


def tune(method: str, X: np.ndarray, y: np.ndarray, trees: dict) -> tuple[dict, float]:
    """Best grid point by AP on a stratified held-out 20% of the (noisy) training fold."""
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=INNER_HOLDOUT, stratify=y, random_state=SEED)
    scored = []
    for params in GRIDS[method]:
        model = make_model(method, params, trees, y_fit).fit(X_fit, y_fit)
        scored.append((average_precision_score(y_val, model.decision_function(X_val)),
                       params))
    best_ap, best = max(scored, key=lambda t: t[0])  # first of equals: grid order
    return best, best_ap


def describe(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def run(args) -> pd.DataFrame:
    trees = dict(TREES, n_estimators=args.rounds)
    rows = []
    t0 = time.perf_counter()
    for name in args.datasets:
        ds = BINARY[name]()
        folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=SEED).split(
            np.zeros(len(ds.y)), ds.y))[:args.folds]
        for rate_i, rate in enumerate(args.rates):
            for fold, (tr, te) in enumerate(folds):
                rng = np.random.default_rng([SEED, REAL.index(name) if name in REAL else 9,
                                             rate_i, fold])
                X_tr, X_te, y_te = ds.X[tr], ds.X[te], ds.y[te]
                y_tr = flip_labels(ds.y[tr], rate, rng)
                for method in args.methods:
                    t = time.perf_counter()
                    params, inner_ap = ({}, np.nan)
                    if method in GRIDS:
                        params, inner_ap = tune(method, X_tr, y_tr, trees)
                    model = make_model(method, params, trees, y_tr).fit(X_tr, y_tr)
                    score = model.decision_function(X_te)
                    row = {
                        "dataset": name, "rate": rate, "fold": fold, "method": method,
                        "ap": average_precision_score(y_te, score),
                        "auc": roc_auc_score(y_te, score),
                        "chosen": describe(params), "inner_ap": inner_ap,
                        "train_pos_rate": float(y_tr.mean()), "rounds": args.rounds,
                        "seconds": time.perf_counter() - t}
                    for k in TRUNCATIONS:
                        if k < args.rounds:
                            row[f"ap@{k}"] = average_precision_score(
                                y_te, model.decision_function(X_te, iteration_range=(0, k)))
                    rows.append(row)
            done = rows[-1]
            print(f"[{time.perf_counter() - t0:6.1f}s] {name} rate={rate:.2f} "
                  f"(last: {done['method']} AP {done['ap']:.3f})", file=sys.stderr)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ reporting
def pm(values: pd.Series, digits: int = 3) -> str:
    return f"{values.mean():.{digits}f} ± {values.std(ddof=0):.{digits}f}"


def tables(df: pd.DataFrame) -> str:
    out = []
    rates = sorted(df["rate"].unique())
    for metric, title in (("ap", "Average precision"), ("auc", "ROC AUC")):
        out.append(f"**{title}** (clean test folds; mean ± std over folds)\n")
        out.append("| data set | method | " + " | ".join(
            f"{100 * r:.0f}% flipped" for r in rates) + " |")
        out.append("|---|---|" + "---|" * len(rates))
        for name in dict.fromkeys(df["dataset"]):
            for method in [m for m in METHODS if m in set(df["method"])]:
                cells = []
                for r in rates:
                    sub = df[(df.dataset == name) & (df.method == method) & (df.rate == r)]
                    best = max(
                        df[(df.dataset == name) & (df.rate == r) & (df.method == m)][metric]
                        .mean() for m in set(df["method"]))
                    cell = pm(sub[metric])
                    cells.append(f"**{cell}**" if np.isclose(sub[metric].mean(), best)
                                 else cell)
                out.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("**Grid points chosen** (times chosen over folds, per flip rate)\n")
    out.append("| data set | method | " + " | ".join(
        f"{100 * r:.0f}%" for r in rates) + " |")
    out.append("|---|---|" + "---|" * len(rates))
    for name in dict.fromkeys(df["dataset"]):
        for method in [m for m in GRIDS if m in set(df["method"])]:
            cells = []
            for r in rates:
                sub = df[(df.dataset == name) & (df.method == method) & (df.rate == r)]
                counts = sub["chosen"].value_counts()
                cells.append("; ".join(f"{k} ×{v}" for k, v in counts.items()))
            out.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
    out.append("")
    trunc = [c for c in df.columns if c.startswith("ap@")]
    if trunc:
        worst = max(rates)
        cols = [*trunc, "ap"]
        heads = [c[3:] for c in trunc] + [str(int(df["rounds"].iloc[0]))]
        out.append(f"**AP by number of trees** (diagnostic: the fitted models truncated "
                   f"with `iteration_range`; {100 * worst:.0f}% and 0% flipped, mean over "
                   "folds)\n")
        out.append("| data set | method | flipped | " + " | ".join(
            f"{h} trees" for h in heads) + " |")
        out.append("|---|---|---|" + "---|" * len(cols))
        for name in dict.fromkeys(df["dataset"]):
            for r in (0.0, worst):
                for method in [m for m in METHODS if m in set(df["method"])]:
                    sub = df[(df.dataset == name) & (df.method == method) & (df.rate == r)]
                    out.append(f"| {name} | {method} | {100 * r:.0f}% | " + " | ".join(
                        f"{sub[c].mean():.3f}" for c in cols) + " |")
        out.append("")
    out.append("**Paired differences, GHM-C minus the best other method** (AP, mean over "
               "folds; folds where GHM-C is better / total)\n")
    out.append("| data set | " + " | ".join(f"{100 * r:.0f}%" for r in rates) + " |")
    out.append("|---|" + "---|" * len(rates))
    for name in dict.fromkeys(df["dataset"]):
        cells = []
        for r in rates:
            sub = df[(df.dataset == name) & (df.rate == r)].pivot(
                index="fold", columns="method", values="ap")
            others = [m for m in sub.columns if m != "ghm"]
            if "ghm" not in sub.columns or not others:
                cells.append("-")
                continue
            best = max(others, key=lambda m: sub[m].mean())
            diff = sub["ghm"] - sub[best]
            cells.append(f"{diff.mean():+.3f} vs {best} ({int((diff > 0).sum())}/{len(diff)})")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


def figure(df: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(df["dataset"]))
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.9), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        methods = [m for m in METHODS if m in set(df["method"])]
        for k, method in enumerate(methods):
            sub = df[(df.dataset == name) & (df.method == method)]
            stats = sub.groupby("rate")["ap"].agg(["mean", lambda s: s.std(ddof=0)])
            label, color, marker = STYLE[method]
            offset = (k - (len(methods) - 1) / 2) * 0.004  # keep error bars apart
            ax.errorbar(100 * (stats.index.to_numpy() + offset), stats["mean"],
                        yerr=stats.iloc[:, 1], label=label, color=color, marker=marker,
                        capsize=3, lw=1.4, ms=5)
        ax.set_title(name)
        ax.set_xlabel("training labels flipped (%)")
        ax.set_xticks([100 * r for r in sorted(df["rate"].unique())])
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("average precision, clean test folds")
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.suptitle(f"Label noise: XGBoost, {int(df['rounds'].iloc[0])} trees, depth 4; "
                 f"mean ± std over {df['fold'].nunique()} folds (test labels clean)",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=list(REAL), choices=sorted(BINARY))
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    p.add_argument("--folds", type=int, default=N_FOLDS, help="outer folds to run (of 5)")
    p.add_argument("--rounds", type=int, default=TREES["n_estimators"])
    p.add_argument("--quick", action="store_true",
                   help="smoke test: Default only, 2 folds, 40 rounds, rates 0 and 0.2")
    p.add_argument("--figure", type=Path, default=ROOT.parent / "docs" / "ghm_noise.png")
    p.add_argument("--from-csv", type=Path, default=None,
                   help="redraw the tables and figure from a saved per-fold CSV, no fitting")
    args = p.parse_args(argv)
    if args.quick:
        args.datasets, args.folds, args.rounds, args.rates = ["default"], 2, 40, [0.0, 0.2]
        args.figure = ROOT / "out" / "ghm_noise_quick.png"
    return args


def main(argv=None) -> None:
    from boostfocal.losses import _kernels

    # the focal kernels' thread pool oversubscribes a shared VM: one thread
    _kernels.MIN_ROWS_PER_THREAD = 2**62
    args = parse(argv)
    if args.from_csv is not None:
        df = pd.read_csv(args.from_csv, keep_default_na=False, na_values=[""])
        figure(df, args.figure)
        print(tables(df))
        return
    t0 = time.perf_counter()
    df = run(args)
    wall = time.perf_counter() - t0
    suffix = "_quick" if args.quick else ""
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    df.to_csv(out / f"ghm_noise{suffix}.csv", index=False)
    text = tables(df)
    header = (f"Command: `python benchmarks/ghm_noise.py{' --quick' if args.quick else ''}`\n"
              f"Machine: {machine()}; every fit n_jobs=1, focal kernels 1 thread\n"
              f"Runtime: {wall:.0f} s wall\nVersions: {versions()}\n")
    (out / f"ghm_noise{suffix}.md").write_text(header + "\n" + text)
    figure(df, args.figure)
    print(header)
    print(text)


if __name__ == "__main__":
    main()
