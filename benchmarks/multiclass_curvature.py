"""Multiclass focal training: curvature policy and Hessian factor (XGBoost and LightGBM).

Two questions about ``SoftmaxFocalLoss`` on a real imbalanced multiclass set:

1. Curvature policy: ``exact`` (diagonal, can be negative), ``floor`` (``max(exact,
   1e-6)``) or ``majorizer`` (``max(exact, alpha_y a^gamma p_k (1 - p_k))``, the default).
2. Hessian factor: the built-in softmax objectives do not hand the booster the exact
   diagonal ``p(1-p)``: XGBoost's ``multi:softprob`` uses ``2 p(1-p)`` and LightGBM's
   ``multiclass`` uses ``K/(K-1) p(1-p)``. Does multiplying the focal Hessian by
   ``c`` in {1, 2, K/(K-1)} help? The factor is applied here, in a thin wrapper around
   the native objective (``_common.TracedObjective``), not in library code.

Grid (per backend, same folds and trees, every fit starting from ``loss.init_score``):
gamma 0: majorizer (= exact at gamma 0) with each factor, and the built-in objective from
the same start (log class priors); gamma 1 and 2: each policy with factor 1, and the
majorizer with factors 2 and K/(K-1) (``--full-grid``: every policy with every factor).
Control (gamma 2): factor 1 at half the learning rate, with lambda and the minimum leaf
Hessian halved too, which is algebraically the booster of factor 2 (see ``HALF_STEP``).
Held-out: log-loss of the posterior (``loss.predict_proba``), balanced accuracy,
macro-F1; training: divergence and the fraction of negative exact Hessian entries.

    python benchmarks/multiclass_curvature.py                # hpc and glass, ~4 min
    python benchmarks/multiclass_curvature.py --datasets hpc # one data set
    python benchmarks/multiclass_curvature.py --quick        # smoke test (~25 s)

At gamma 0 with factor 2 (XGBoost) or K/(K-1) (LightGBM) the focal fit is the built-in
fit up to float rounding; the script reports the largest per-fold log-loss difference.
"""

from __future__ import annotations

import argparse
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
    multiclass_scores,
    negative_fraction,
    softmax,
    train_builtin,
    train_focal,
)
from datasets import MULTICLASS

from boostfocal import SoftmaxFocalLoss

POLICIES = ("exact", "floor", "majorizer")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["hpc", "glass"], choices=list(MULTICLASS))
    p.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=list(BACKENDS))
    p.add_argument("--gammas", nargs="+", type=float, default=[0.0, 1.0, 2.0])
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--full-grid", action="store_true",
                   help="every policy with every factor at gamma > 0")
    p.add_argument("--no-control", action="store_true",
                   help="skip the factor-1-at-half-learning-rate control row (gamma 2)")
    p.add_argument("--quick", action="store_true", help="smoke test: 30 rounds, 3 folds")
    p.add_argument("--out", default=os.path.join("benchmarks", "out"))
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.folds = 30, 3
    return args


def factors(k: int) -> dict[str, float]:
    return {"1": 1.0, "2": 2.0, "K/(K-1)": k / (k - 1.0)}


#: Control: Hessian factor c with learning rate eta, L2 lambda and minimum leaf Hessian m
#: is algebraically the same booster as factor 1 with eta/c, lambda/c and m/c (every
#: split gain and leaf value scales by 1/c). This row runs that equivalent of factor 2.
HALF_STEP = {"xgboost": {"eta": 0.05, "lambda": 0.5, "min_child_weight": 5e-4},
             "lightgbm": {"learning_rate": 0.05, "min_sum_hessian_in_leaf": 5e-4}}
HALF_STEP_LABEL = "1, lr 0.05 (≡ 2)"


def configs(gamma: float, k: int, full: bool, control: bool):
    """(policy, factor label, factor) triples to run at this gamma."""
    f = factors(k)
    if gamma == 0.0:  # every policy is the exact, positive Hessian of the cross-entropy
        return [("majorizer", name, c) for name, c in f.items()]
    out = [(policy, "1", 1.0) for policy in POLICIES]
    policies = POLICIES if full else ("majorizer",)
    out += [(policy, name, c) for policy in policies for name, c in f.items() if name != "1"]
    if control and gamma == max(GAMMAS_CONTROL):
        out.append(("majorizer", HALF_STEP_LABEL, 1.0))
    return out


GAMMAS_CONTROL = (2.0,)


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
                if 0.0 in args.gammas:
                    m_te = train_builtin(backend, prior, X_tr, y_tr, X_te, args.rounds, k)
                    rows.append(dict(base, gamma=0.0, policy="built-in", factor="built-in",
                                     diverged=False, **multiclass_scores(y_te, softmax(m_te))))
                for gamma in args.gammas:
                    for policy, label, c in configs(gamma, k, args.full_grid,
                                                            not args.no_control):
                        loss = SoftmaxFocalLoss(gamma, hessian=policy)
                        obj = TracedObjective(backend, loss, factor=c)
                        start = loss.init_score(y_tr, n_classes=k)
                        t0 = time.perf_counter()
                        try:
                            overrides = HALF_STEP[backend] if label == HALF_STEP_LABEL else None
                            m_tr, m_te = train_focal(backend, obj, start, X_tr, y_tr, X_te,
                                                     args.rounds, k, overrides)
                            finite = bool(np.all(np.isfinite(m_te)) and np.all(np.isfinite(m_tr)))
                            error = ""
                        except Exception as exc:  # a failed fit is a result
                            finite, error = False, f"{type(exc).__name__}: {exc}"
                        trace = obj.trace
                        losses = np.asarray(trace.loss)
                        if finite:
                            scores = multiclass_scores(y_te, loss.predict_proba(m_te))
                            final = float(np.mean(loss.loss(y_tr, m_tr)))
                            neg_end = negative_fraction(obj.exact, y_tr, m_tr)
                        else:
                            scores = multiclass_scores(y_te, np.full((len(y_te), k), np.nan))
                            final, neg_end = np.nan, np.nan
                        rows.append(dict(
                            base, gamma=gamma, policy=policy, factor=label, **scores,
                            diverged=(not finite) or trace.nonfinite
                            or not (final <= losses[0]),
                            neg_start=trace.neg_frac[0] if trace.neg_frac else np.nan,
                            neg_peak=float(np.nanmax(trace.neg_frac)) if trace.neg_frac
                            else np.nan,
                            neg_end=neg_end, error=error,
                            seconds=time.perf_counter() - t0))
            print(f"  {name} fold {fold} done ({time.perf_counter() - t_start:.0f} s)",
                  flush=True)
    df = pd.DataFrame(rows)
    os.makedirs(args.out, exist_ok=True)
    stem = "multiclass_curvature" + ("_quick" if args.quick else "")
    df.to_csv(os.path.join(args.out, stem + ".csv"), index=False)
    report = render(df, args, f"{time.perf_counter() - t_start:.0f} s wall, "
                                  f"{time.process_time():.0f} s CPU")
    with open(os.path.join(args.out, stem + ".md"), "w") as fh:
        fh.write(report)
    print(report)


def render(df: pd.DataFrame, args, seconds: str) -> str:
    out = [header(command_line("multiclass_curvature.py")),
           f"Trees: {TREE_SETTINGS}; {args.rounds} rounds. {args.folds}-fold stratified CV, "
           f"mean ± std over folds. Time: {seconds}.\n"]
    for name in args.datasets:
        sub = df[df.dataset == name]
        table = []
        for (backend, gamma, policy, factor), r in sub.groupby(
                ["backend", "gamma", "policy", "factor"], sort=False):
            builtin = policy == "built-in"
            table.append({
                "backend": backend, "gamma": "-" if builtin else f"{gamma:g}",
                "policy": policy, "H factor": factor,
                "log-loss": mean_std(r.logloss, "{:.4f}"),
                "balanced acc.": mean_std(r.bacc), "macro-F1": mean_std(r.macro_f1),
                "diverged": "-" if builtin else f"{int(r.diverged.sum())}/{len(r)}",
                "neg. H start/peak/end %": "-" if builtin else
                f"{100 * r.neg_start.mean():.2f} / {100 * r.neg_peak.mean():.2f} / "
                f"{100 * r.neg_end.mean():.2f}",
            })
        table = pd.DataFrame(table)
        table["_b"] = table.backend.map(BACKENDS.index)
        table = table.sort_values(["_b"], kind="stable").drop(columns="_b")
        out.append(f"### {name}\n\n{markdown_table(table)}\n")
        out.append(builtin_check(sub))
        out.append(paired(sub))
    return "\n".join(out)


def paired(sub: pd.DataFrame) -> str:
    """Per-fold differences against majorizer with factor 1 (same fold, backend, gamma)."""
    key = ["fold", "backend", "gamma"]
    cols = ["logloss", "bacc", "macro_f1"]
    focal = sub[sub.policy != "built-in"]
    ref = focal[(focal.policy == "majorizer") & (focal.factor == "1")].set_index(key)[cols]
    lines = []
    for (backend, gamma, policy, factor), r in focal.groupby(
            ["backend", "gamma", "policy", "factor"], sort=False):
        if policy == "majorizer" and factor == "1":
            continue
        d = r.set_index(key)[cols]
        d = d - ref.reindex(d.index)
        lines.append({"backend": backend, "gamma": f"{gamma:g}",
                      "config − (majorizer, 1)": f"{policy}, {factor}",
                      "Δ log-loss": mean_std(d.logloss, "{:+.4f}"),
                      "Δ balanced acc.": mean_std(d.bacc, "{:+.3f}"),
                      "Δ macro-F1": mean_std(d.macro_f1, "{:+.3f}"),
                      "folds with lower log-loss": f"{int((d.logloss < 0).sum())}/{len(d)}"})
    return ("Paired per-fold differences against the majorizer with factor 1:\n\n"
            + markdown_table(pd.DataFrame(lines)) + "\n")


def builtin_check(sub: pd.DataFrame) -> str:
    """Largest per-fold |log-loss difference| of gamma-0 focal fits to the built-in."""
    lines = []
    key = ["fold", "backend"]
    ref = sub[sub.policy == "built-in"].set_index(key).logloss
    if ref.empty:
        return ""
    for label in sub[(sub.gamma == 0.0) & (sub.policy != "built-in")].factor.unique():
        focal = sub[(sub.gamma == 0.0) & (sub.factor == label)
                    & (sub.policy != "built-in")].set_index(key).logloss
        rel = ((focal - ref) / ref).abs().groupby(level="backend").max()
        lines.append(" ".join(f"{b} {100 * v:.3f}%" for b, v in rel.items())
                     + f" (factor {label})")
    return ("gamma 0 vs built-in, max per-fold relative log-loss difference: "
            + "; ".join(lines) + "\n")


if __name__ == "__main__":
    main()
