"""Multiclass: built-in softmax vs softmax focal loss (XGBoost and LightGBM).

On a real imbalanced multiclass set, 5-fold stratified CV, the same trees for every row
(``_common.TREE_SETTINGS``, 200 rounds, no early stopping):

- built-in: ``multi:softprob`` / ``multiclass``, started from the log class priors;
- focal: ``SoftmaxFocalLoss(gamma)`` with the default curvature, gamma in {1, 2}, through
  the native adapters, started from ``loss.init_score``.

Reported, mean ± std over folds: balanced accuracy and macro-F1 (argmax of the
probabilities) and held-out log-loss. For focal rows the log-loss is computed on the
posterior-corrected probabilities (``loss.predict_proba``); the uncorrected softmax of the
focal margins (``loss.predict_confidence``) is shown beside it for contrast.

    python benchmarks/multiclass.py                  # hpc (K=4) and glass (K=6), ~1.5 min
    python benchmarks/multiclass.py --datasets hpc   # one data set
    python benchmarks/multiclass.py --quick          # smoke test (~10 s)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
from _common import (
    BACKENDS,
    SEED,
    TREE_SETTINGS,
    TracedObjective,
    command_line,
    folds,
    header,
    markdown_table,
    mean_std,
    multiclass_scores,
    softmax,
    train_builtin,
    train_early_stopped,
    train_focal,
)
from datasets import MULTICLASS
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedShuffleSplit

from boostfocal import SoftmaxFocalLoss


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["hpc", "glass"], choices=list(MULTICLASS))
    p.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=list(BACKENDS))
    p.add_argument("--gammas", nargs="+", type=float, default=[1.0, 2.0])
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--early-stopping", action="store_true",
                   help="hold out 20%% of each training fold and stop each model on its own "
                        "objective's validation loss (patience 20, up to --rounds 1000)")
    p.add_argument("--quick", action="store_true", help="smoke test: 30 rounds, 3 folds")
    p.add_argument("--out", default=os.path.join("benchmarks", "out"))
    args = p.parse_args(argv)
    if args.early_stopping and "--rounds" not in " ".join(argv or sys.argv):
        args.rounds = 1000
    if args.quick:
        args.rounds, args.folds = 30, 3
    return args


PATIENCE = 20


def fit(args, backend, loss, start, X_tr, y_tr, X_te, k):
    """Margins on the test fold (and the number of rounds used), one model."""
    if args.early_stopping:
        tr, va = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=SEED).split(
            X_tr, y_tr))
        return train_early_stopped(backend, loss, start, X_tr[tr], y_tr[tr], X_tr[va],
                                   y_tr[va], X_te, args.rounds, PATIENCE, k)
    if loss is None:
        return train_builtin(backend, start, X_tr, y_tr, X_te, args.rounds, k), args.rounds
    obj = TracedObjective(backend, loss, trace=False)
    return train_focal(backend, obj, start, X_tr, y_tr, X_te, args.rounds, k)[1], args.rounds


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()
    rows = []
    for name in args.datasets:
        ds = MULTICLASS[name]()
        k = int(ds.y.max()) + 1
        for fold, (tr, te) in enumerate(folds(ds.y, args.folds)):
            X_tr, y_tr, X_te, y_te = ds.X[tr], ds.y[tr], ds.X[te], ds.y[te]
            prior = SoftmaxFocalLoss(0.0).init_score(y_tr, n_classes=k)
            for backend in args.backends:
                base = dict(dataset=name, fold=fold, backend=backend)
                t0 = time.perf_counter()
                m_te, used = fit(args, backend, None, prior, X_tr, y_tr, X_te, k)
                rows.append(dict(base, model="built-in softmax", gamma=0.0, rounds=used,
                                 seconds=time.perf_counter() - t0,
                                 **multiclass_scores(y_te, softmax(m_te))))
                for gamma in args.gammas:
                    loss = SoftmaxFocalLoss(gamma)
                    t0 = time.perf_counter()
                    m_te, used = fit(args, backend, loss, loss.init_score(y_tr, n_classes=k),
                                     X_tr, y_tr, X_te, k)
                    conf = np.clip(loss.predict_confidence(m_te), 1e-15, 1.0)
                    rows.append(dict(base, model=f"focal gamma={gamma:g}", gamma=gamma,
                                     rounds=used, seconds=time.perf_counter() - t0,
                                     logloss_uncorrected=log_loss(y_te, conf,
                                                                  labels=np.arange(k)),
                                     **multiclass_scores(y_te, loss.predict_proba(m_te))))
            print(f"  {name} fold {fold} done ({time.perf_counter() - t_start:.0f} s)",
                  flush=True)
    df = pd.DataFrame(rows)
    os.makedirs(args.out, exist_ok=True)
    stem = ("multiclass" + ("_early_stopping" if args.early_stopping else "")
            + ("_quick" if args.quick else ""))
    df.to_csv(os.path.join(args.out, stem + ".csv"), index=False)
    report = render(df, args, f"{time.perf_counter() - t_start:.0f} s wall, "
                                  f"{time.process_time():.0f} s CPU")
    with open(os.path.join(args.out, stem + ".md"), "w") as fh:
        fh.write(report)
    print(report)


def render(df: pd.DataFrame, args, seconds: str) -> str:
    out = [header(command_line("multiclass.py")),
           f"Trees: {TREE_SETTINGS}; "
           + (f"early stopping (patience {PATIENCE}, at most {args.rounds} rounds) on a "
              "stratified 20% validation split of each training fold, each model on its "
              "own training objective; " if args.early_stopping else f"{args.rounds} rounds; ")
           + f"{args.folds}-fold stratified CV, "
           f"mean ± std over folds. Time: {seconds}.\n"]
    for name in args.datasets:
        sub = df[df.dataset == name]
        table = []
        for (backend, model), r in sub.groupby(["backend", "model"], sort=False):
            table.append({
                "backend": backend, "model": model,
                "balanced acc.": mean_std(r.bacc), "macro-F1": mean_std(r.macro_f1),
                "log-loss": mean_std(r.logloss, "{:.4f}"),
                "log-loss, uncorrected softmax": (
                    "(same)" if model.startswith("built-in")
                    else mean_std(r.logloss_uncorrected, "{:.4f}")),
                "rounds": mean_std(r.rounds, "{:.0f}"),
            })
        table = pd.DataFrame(table)
        table["_b"] = table.backend.map(BACKENDS.index)
        table = table.sort_values("_b", kind="stable").drop(columns="_b")
        out.append(f"### {name}\n\n{markdown_table(table)}\n")
        out.append(paired(sub))
    return "\n".join(out)


def paired(sub: pd.DataFrame) -> str:
    """Per-fold focal − built-in differences (same fold and backend)."""
    key = ["fold", "backend"]
    ref = sub[sub.model == "built-in softmax"].set_index(key)
    lines = []
    for model in [m for m in sub.model.unique() if m != "built-in softmax"]:
        d = (sub[sub.model == model].set_index(key)[["bacc", "macro_f1", "logloss"]]
             - ref[["bacc", "macro_f1", "logloss"]]).reset_index()
        for backend, g in d.groupby("backend", sort=False):
            lines.append({"focal − built-in": model, "backend": backend,
                          "Δ balanced acc.": mean_std(g.bacc, "{:+.3f}"),
                          "Δ macro-F1": mean_std(g.macro_f1, "{:+.3f}"),
                          "Δ log-loss": mean_std(g.logloss, "{:+.4f}"),
                          "folds better (bacc)": f"{int((g.bacc > 0).sum())}/{len(g)}"})
    return "Paired per-fold differences:\n\n" + markdown_table(pd.DataFrame(lines)) + "\n"


if __name__ == "__main__":
    main()
