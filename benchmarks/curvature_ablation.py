"""Curvature-policy ablation for binary focal training (XGBoost and LightGBM).

Question: which Hessian should ``FocalLoss`` hand to the booster by default?

- ``exact``: the true second derivative, negative for badly misclassified rows;
- ``floor``: ``max(exact, 1e-6)``, the usual plugin fix;
- ``majorizer``: ``max(exact, alpha_t q^gamma p q)``, the current default.

Same stratified 5-fold split, same trees (``_common.TREE_SETTINGS``) and the same start
for every policy: ``loss.init_score`` (``--start init``, the library's behaviour), or the
prior log-odds (``--start prior``: a stress test, since it puts every positive in the
negative-curvature region at round 0, as a plugin that starts from the logistic base
score does). Held-out: average precision, ROC AUC, mean focal loss (the training
objective), log-loss of the posterior (``loss.predict_proba``). Training: whether margins
went non-finite or the training focal loss ended above its starting value (diverged), the
number of rounds in which it rose, and the fraction of training rows with a negative
exact Hessian at the start, at its peak over the rounds and at the end, plus the peak
fraction of rows on which the majorizer differs from the exact Hessian.

    python benchmarks/curvature_ablation.py                 # full grid (~4-5.5 min)
    python benchmarks/curvature_ablation.py --start prior   # stress test (~4 min)
    python benchmarks/curvature_ablation.py --quick         # smoke test (~15 s)
    python benchmarks/curvature_ablation.py --render benchmarks/out/curvature_ablation.csv

Per-fold rows go to ``benchmarks/out/`` (git-ignored); the tables are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
from _common import (
    BACKENDS,
    TREE_SETTINGS,
    TracedObjective,
    command_line,
    folds,
    header,
    markdown_table,
    mean_std,
    negative_fraction,
    train_builtin,
    train_focal,
)
from datasets import BINARY
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from boostfocal import FocalLoss

POLICIES = ("exact", "floor", "majorizer")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=list(BINARY), choices=list(BINARY))
    p.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=list(BACKENDS))
    p.add_argument("--gammas", nargs="+", type=float, default=[1.0, 2.0, 5.0])
    p.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--start", choices=["init", "prior"], default="init",
                   help="starting margin: focal-optimal init_score, or prior log-odds")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the built-in logistic reference rows")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: default+synthetic, gamma 2, 50 rounds, 3 folds")
    p.add_argument("--out", default=os.path.join("benchmarks", "out"))
    p.add_argument("--render", metavar="CSV",
                   help="only re-render the tables from a per-fold CSV written by a run")
    args = p.parse_args(argv)
    if args.quick:
        args.datasets, args.gammas = ["default", "synthetic"], [2.0]
        args.rounds, args.folds = 50, 3
    return args


def run_one(backend, loss, start, X_tr, y_tr, X_te, y_te, rounds):
    obj = TracedObjective(backend, loss)
    row = {}
    try:
        m_tr, m_te = train_focal(backend, obj, start, X_tr, y_tr, X_te, rounds)
        error = ""
    except Exception as exc:  # record, do not hide: a failed fit is a result
        m_tr = m_te = None
        error = f"{type(exc).__name__}: {exc}"
    trace = obj.trace
    finite = m_te is not None and bool(np.all(np.isfinite(m_te)) and np.all(np.isfinite(m_tr)))
    losses = np.asarray(trace.loss, dtype=np.float64)
    if finite:
        proba = loss.predict_proba(m_te)[:, 1]
        final_train = float(np.mean(loss.loss(y_tr, m_tr)))
        row.update(ap=average_precision_score(y_te, m_te), auc=roc_auc_score(y_te, m_te),
                   focal=float(np.mean(loss.loss(y_te, m_te))),
                   logloss=log_loss(y_te, np.clip(proba, 1e-15, 1 - 1e-15), labels=[0, 1]),
                   neg_end=negative_fraction(obj.exact, y_tr, m_tr),
                   max_abs_margin=float(np.max(np.abs(m_te))))
    else:
        final_train = np.nan
        row.update(ap=np.nan, auc=np.nan, focal=np.nan, logloss=np.nan, neg_end=np.nan,
                   max_abs_margin=np.nan)
    rises = int(np.sum(np.diff(losses) > 1e-12 * np.abs(losses[:-1]))) if losses.size > 1 else 0
    row.update(
        nonfinite=(not finite) or trace.nonfinite,
        diverged=(not finite) or trace.nonfinite or not (final_train <= losses[0]),
        loss_rises=rises, train_loss_start=losses[0] if losses.size else np.nan,
        train_loss_end=final_train,
        neg_start=trace.neg_frac[0] if trace.neg_frac else np.nan,
        neg_peak=float(np.nanmax(trace.neg_frac)) if trace.neg_frac else np.nan,
        bind_peak=float(np.nanmax(trace.bind_frac)) if trace.bind_frac else np.nan,
        error=error)
    return row


def main(argv=None):
    args = parse_args(argv)
    if args.render:
        with open(args.render[:-4] + ".json") as fh:
            meta = json.load(fh)
        vars(args).update(meta["args"])
        print(render(pd.read_csv(args.render),
                     args, meta["seconds"], meta["command"]))
        return
    t_start = time.perf_counter()
    rows = []
    for name in args.datasets:
        ds = BINARY[name]()
        for fold, (tr, te) in enumerate(folds(ds.y, args.folds)):
            X_tr, y_tr, X_te, y_te = ds.X[tr], ds.y[tr], ds.X[te], ds.y[te]
            prior = FocalLoss(0.0).init_score(y_tr)
            for backend in args.backends:
                if not args.no_baseline:
                    m_te = train_builtin(backend, prior, X_tr, y_tr, X_te, args.rounds, 2)
                    p_te = 1.0 / (1.0 + np.exp(-m_te))
                    rows.append(dict(dataset=name, fold=fold, backend=backend, gamma=0.0,
                                     policy="built-in logistic",
                                     ap=average_precision_score(y_te, m_te),
                                     auc=roc_auc_score(y_te, m_te),
                                     focal=np.nan, logloss=log_loss(y_te, p_te),
                                     nonfinite=False, diverged=False))
                for gamma in args.gammas:
                    for policy in args.policies:
                        loss = FocalLoss(gamma, hessian=policy)
                        start = loss.init_score(y_tr) if args.start == "init" else prior
                        t0 = time.perf_counter()
                        row = run_one(backend, loss, start, X_tr, y_tr, X_te, y_te,
                                      args.rounds)
                        rows.append(dict(dataset=name, fold=fold, backend=backend,
                                         gamma=gamma, policy=policy, start=start,
                                         seconds=time.perf_counter() - t0, **row))
            print(f"  {name} fold {fold} done ({time.perf_counter() - t_start:.0f} s)",
                  flush=True)
    df = pd.DataFrame(rows)
    os.makedirs(args.out, exist_ok=True)
    stem = "curvature_ablation" + ("_prior" if args.start == "prior" else "")
    if args.quick:
        stem += "_quick"
    df.to_csv(os.path.join(args.out, stem + ".csv"), index=False)
    seconds = f"{time.perf_counter() - t_start:.0f} s wall, {time.process_time():.0f} s CPU"
    command = command_line("curvature_ablation.py")
    with open(os.path.join(args.out, stem + ".json"), "w") as fh:
        json.dump({"args": {k: vars(args)[k] for k in ("datasets", "gammas", "rounds",
                                                        "folds", "start")},
                   "seconds": seconds, "command": command}, fh)
    report = render(df, args, seconds, command)
    with open(os.path.join(args.out, stem + ".md"), "w") as fh:
        fh.write(report)
    print(report)


def render(df: pd.DataFrame, args, seconds: str, command: str) -> str:
    out = [header(command),
           f"Trees: {TREE_SETTINGS}; {args.rounds} rounds. Start: {args.start}. "
           f"{args.folds}-fold stratified CV, mean ± std over folds. "
           f"Time: {seconds}.\n"]
    order = {p: i for i, p in enumerate(["built-in logistic", *POLICIES])}
    for name in args.datasets:
        sub = df[df.dataset == name]
        table = []
        keys = sorted(set(zip(sub.backend, sub.gamma, sub.policy, strict=True)),
                      key=lambda k: (BACKENDS.index(k[0]), k[1], order[k[2]]))
        for backend, gamma, policy in keys:
            r = sub[(sub.backend == backend) & (sub.gamma == gamma) & (sub.policy == policy)]
            base = policy == "built-in logistic"
            table.append({
                "backend": backend, "gamma": "-" if base else f"{gamma:g}", "policy": policy,
                "AP": mean_std(r.ap), "ROC AUC": mean_std(r.auc),
                "focal loss": "-" if base else mean_std(r.focal, "{:.4f}"),
                "log-loss": mean_std(r.logloss, "{:.4f}"),
                "diverged": "-" if base else f"{int(r.diverged.sum())}/{len(r)}",
                "stalled": "-" if base else f"{int(stalled(r).sum())}/{len(r)}",
                "train loss end/start": "-" if base else mean_std(
                    r.train_loss_end / r.train_loss_start, "{:.2f}"),
                "loss rises": "-" if base else f"{r.loss_rises.mean():.1f}",
                "neg. H start/peak/end %": "-" if base else (
                    f"{100 * r.neg_start.mean():.2f} / {100 * r.neg_peak.mean():.2f} / "
                    f"{100 * r.neg_end.mean():.2f}"),
                "maj. binds %": "-" if base else f"{100 * r.bind_peak.mean():.2f}",
            })
        out.append(f"### {name}\n\n{markdown_table(pd.DataFrame(table))}\n")
    out.insert(2, summary(df))
    out.append(paired(df))
    return "\n".join(out)


def stalled(r: pd.DataFrame) -> pd.Series:
    """Finite fits whose training focal loss fell by less than 1% in all the rounds."""
    return (~r.diverged.astype(bool)) & (r.train_loss_end > 0.99 * r.train_loss_start)


def summary(df: pd.DataFrame) -> str:
    """Pooled over data sets, folds and backends: failures and AP/AUC vs the majorizer."""
    focal = df[df.policy.isin(POLICIES)].copy()
    key = ["dataset", "fold", "backend", "gamma"]
    ref = focal[focal.policy == "majorizer"].set_index(key)[["ap", "auc"]]
    lines = []
    for (gamma, policy), r in focal.groupby(["gamma", "policy"]):
        d = r.set_index(key)[["ap", "auc"]]
        d = d - ref.reindex(d.index)
        lines.append({"gamma": f"{gamma:g}", "policy": policy,
                      "diverged": f"{int(r.diverged.sum())}/{len(r)}",
                      "stalled": f"{int(stalled(r).sum())}/{len(r)}",
                      "ΔAP vs majorizer: mean [min, max]":
                      f"{d.ap.mean():+.4f} [{d.ap.min():+.4f}, {d.ap.max():+.4f}]",
                      "ΔAUC vs majorizer: mean [min, max]":
                      f"{d.auc.mean():+.4f} [{d.auc.min():+.4f}, {d.auc.max():+.4f}]",
                      "fits identical to majorizer": f"{int((d.ap == 0).sum())}/{len(r)}"})
    lines.sort(key=lambda x: (float(x["gamma"]), POLICIES.index(x["policy"])))
    return ("### Summary (all data sets, folds and both backends pooled)\n\n"
            "diverged: non-finite margins or training focal loss above its start; stalled: "
            "finite but the training loss fell by less than 1% in all rounds.\n\n"
            + markdown_table(pd.DataFrame(lines)) + "\n")


def paired(df: pd.DataFrame) -> str:
    """Per-fold differences against the majorizer (same fold, backend and gamma)."""
    focal = df[df.policy.isin(POLICIES)]
    if "majorizer" not in set(focal.policy):
        return ""
    key = ["dataset", "fold", "backend", "gamma"]
    ref = focal[focal.policy == "majorizer"].set_index(key)
    lines = []
    for policy in [p for p in POLICIES if p != "majorizer" and p in set(focal.policy)]:
        other = focal[focal.policy == policy].set_index(key)
        d = (other[["ap", "auc", "focal"]] - ref[["ap", "auc", "focal"]]).reset_index()
        for (dataset, gamma), g in d.groupby(["dataset", "gamma"]):
            lines.append({"policy − majorizer": policy, "dataset": dataset,
                          "gamma": f"{gamma:g}",
                          "ΔAP": mean_std(g.ap, "{:+.4f}"),
                          "ΔAUC": mean_std(g.auc, "{:+.4f}"),
                          "Δfocal loss": mean_std(g.focal, "{:+.5f}"),
                          "max abs ΔAP": f"{np.nanmax(np.abs(g.ap)):.4f}",
                          "folds×backends identical": f"{int((g.ap == 0).sum())}/{len(g)}"})
    return ("### Paired differences against the majorizer (both backends pooled)\n\n"
            + markdown_table(pd.DataFrame(lines)) + "\n")


if __name__ == "__main__":
    main()
