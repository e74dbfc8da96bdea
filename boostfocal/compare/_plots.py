"""Figures for ``boostfocal compare`` (needs matplotlib: ``pip install "boostfocal[plot]"``).

Every function writes one PNG and returns its path. They draw with the non-interactive
Agg backend, so they work on machines without a display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import precision_recall_curve

from ._data import Data
from ._entries import format_gamma
from ._verdict import Verdict


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, **savefig_kwargs) -> Path:
    """Lay out ``fig``, write it to ``path`` and close it; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, **savefig_kwargs)
    plt.close(fig)
    return path


def first_repeat(proba: np.ndarray) -> np.ndarray:
    """The out-of-fold probabilities of the first repeat: shape (n, K), every row once."""
    proba = np.asarray(proba)
    return proba[0] if proba.ndim == 3 else proba


def _focus_class(data: Data) -> int:
    """The class the curves are about: the positive class, or the rarest of K."""
    if data.n_classes == 2:
        return 1
    return int(np.argmin(data.class_counts))


def _not_logistic(summary: pd.DataFrame) -> pd.Series:
    """Focal entries other than gamma=0 without alpha, which is the logistic loss itself."""
    balanced = summary["alpha"] == "balanced"
    gamma = pd.to_numeric(summary["gamma"], errors="coerce").fillna(0.0)
    return (summary["kind"] == "focal") & ((gamma > 0) | balanced)


def _best_focal(summary: pd.DataFrame, balanced: bool | None) -> str | None:
    """The focal entry with the highest mean AP (of one alpha, or of both with None).

    Focal gamma=0 without alpha is left out: it is the logistic loss, drawn already.
    """
    part = summary[_not_logistic(summary)]
    if balanced is not None:
        part = part[(part["alpha"] == "balanced") == balanced]
    if part.empty:
        return None
    return str(part.sort_values("average_precision_mean", ascending=False,
                                kind="stable").iloc[0]["entry"])


def plot_pr_curves(path: Path, data: Data, oof: dict[str, np.ndarray],
                   summary: pd.DataFrame, title: str) -> Path:
    """Precision-recall curves of the baselines, GHM-C and the best focal entries.

    The curves pool the out-of-fold predictions of the first repeat (each row once);
    binary: the positive class; multiclass: the rarest class, one-vs-rest. The legend
    gives each entry's AP as the table does: the mean over every fold (of every repeat).
    """
    plt = _pyplot()
    cls = _focus_class(data)
    names = [n for n in ("logistic", "logistic, class-weighted") if n in oof]
    names += [str(n) for n in summary.loc[summary["kind"] == "ghm", "entry"]]
    names += [n for n in (_best_focal(summary, False), _best_focal(summary, True)) if n]
    mean_ap = summary.set_index("entry")["average_precision_mean"]
    y = (data.y == cls).astype(int)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    styles = ["-", "--", ":", "-", "-."]
    for i, name in enumerate(names):
        score = first_repeat(oof[name])[:, cls]
        precision, recall, _ = precision_recall_curve(y, score)
        ax.step(recall, precision, where="post", linestyle=styles[i % len(styles)],
                linewidth=1.6, label=f"{name} (AP {mean_ap[name]:.4f})")
    ax.axhline(y.mean(), color="grey", linewidth=0.8, linestyle=":",
               label=f"prevalence {y.mean():.3f}")
    which = (f"positive class {data.labels[cls]!r}" if data.n_classes == 2
             else f"rarest class {data.labels[cls]!r} vs rest")
    ax.set(xlabel="recall (out-of-fold predictions, every row once)", ylabel="precision",
           xlim=(0, 1), ylim=(0, 1.02), title=f"Precision-recall, {which}\n{title}")
    ax.legend(fontsize=8, loc="lower left", title="AP: mean over folds, as in the table",
              title_fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_ap_vs_gamma(path: Path, summary: pd.DataFrame, cv: str | int, title: str) -> Path:
    """Mean average precision against gamma, one line per alpha, baselines as references.

    ``cv`` describes the cross-validation (``"5-fold CV x 3 repeats"``; a number ``k``
    stands for ``"k-fold CV"``). Error bars are one standard deviation over folds.
    """
    plt = _pyplot()
    cv = f"{cv}-fold CV" if isinstance(cv, int) else cv
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    focal = summary[summary["kind"] == "focal"]
    gammas = np.array(sorted(focal["gamma"].dropna().unique()), dtype=float)
    span = (gammas.max() - gammas.min()) if gammas.size > 1 else 1.0
    shift = 0.012 * span
    refs = [("logistic", "black", "-"), ("logistic, class-weighted", "tab:red", "--")]
    refs += [(str(n), "tab:purple", ":") for n in summary.loc[summary["kind"] == "ghm",
                                                              "entry"]]
    for name, color, style in refs:
        row = summary[summary["entry"] == name]
        if row.empty:
            continue
        mean, std = float(row["average_precision_mean"].iloc[0]), float(
            row["average_precision_std"].iloc[0])
        band = ", band ± std" if name == "logistic" else ""
        ax.axhline(mean, color=color, linestyle=style, linewidth=1.2,
                   label=f"{name} ({mean:.3f}{band})")
        if name == "logistic":
            ax.axhspan(mean - std, mean + std, color=color, alpha=0.07, linewidth=0)
    for offset, (balanced, color, label) in zip(
            (-shift, shift), ((False, "tab:blue", "focal, alpha=None"),
                              (True, "tab:orange", "focal, alpha=balanced")), strict=True):
        part = focal[(focal["alpha"] == "balanced") == balanced].sort_values("gamma")
        if part.empty:
            continue
        ax.errorbar(part["gamma"].to_numpy(float) + offset, part["average_precision_mean"],
                    yerr=part["average_precision_std"], color=color, marker="o",
                    capsize=3, linewidth=1.6, label=label)
    ax.set_xticks(gammas, [format_gamma(g) for g in gammas])
    ax.set(xlabel="focal gamma", ylabel="average precision",
           title=f"Average precision vs gamma ({cv}, mean ± std over folds)"
                 f"\n{title}")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
              frameon=False)
    ax.grid(alpha=0.3)
    return _save(fig, path, bbox_inches="tight")


def _bins(score: np.ndarray, n_bins: int, min_count: int = 30) -> list[np.ndarray]:
    """Indices of ``score`` in bins of equal width in log-odds, merged to >= min_count rows.

    Log-odds bins resolve both tails of a rare-event model (most rows near 0, the few
    confident ones near 1), where equal-count bins put every positive in the last bin.
    """
    p = np.clip(score, 1e-7, 1 - 1e-7)
    z = np.log(p) - np.log1p(-p)
    # the extreme 0.1% on each side join the end bins instead of stretching the axis
    z_lo, z_hi = np.quantile(z, [0.001, 0.999])
    edges = np.linspace(z_lo, z_hi, n_bins + 1)[1:-1] if z_hi > z_lo else np.array([z_lo])
    which = np.searchsorted(edges, z, side="right")
    bins: list[np.ndarray] = []
    pending = np.empty(0, dtype=np.intp)
    for b in range(n_bins):
        pending = np.concatenate([pending, np.flatnonzero(which == b)])
        if pending.size >= min_count:
            bins.append(pending)
            pending = np.empty(0, dtype=np.intp)
    if pending.size:
        if bins:
            bins[-1] = np.concatenate([bins[-1], pending])
        else:
            bins.append(pending)
    return bins


def _wilson(hits: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval of the observed frequency ``hits / n`` (stays inside 0..1)."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _reliability_curves(data: Data, oof: dict[str, np.ndarray], shown: list, n_bins: int):
    """Per entry: bin means of the score, observed frequencies, intervals, row counts."""
    curves = []
    for name, color, marker in shown:
        proba = first_repeat(oof[name])
        if data.n_classes == 2:
            score, hit = proba[:, 1], data.y == 1
        else:
            score = proba.max(axis=1)
            hit = proba.argmax(axis=1) == data.y
        bins = _bins(score, n_bins)
        n = np.array([b.size for b in bins], dtype=float)
        hits = np.array([hit[b].sum() for b in bins], dtype=float)
        xs = np.array([score[b].mean() for b in bins])
        curves.append((name, color, marker, xs, hits / n, _wilson(hits, n), n))
    return curves


def plot_reliability(path: Path, data: Data, oof: dict[str, np.ndarray], verdict: Verdict,
                     title: str, n_bins: int = 15,
                     summary: pd.DataFrame | None = None) -> Path:
    """Reliability diagram of the best focal entry's posterior against the logistic one.

    Binary: predicted probability of the positive class against its observed frequency;
    multiclass: top-label confidence against accuracy; out-of-fold predictions of the first
    repeat (every row once). Bins are equally wide in log-odds (merged to at least 30 rows
    each) and both axes are on a logit scale, so that rare events near 0 and confident
    predictions near 1 are both visible. Each bin has its 95% (Wilson) interval, and the
    lower panel gives its number of rows: a sparse bin's wide interval is noise, not bias.
    Bins whose observed frequency is 0 or 1 are drawn on the plot's edge as open markers
    (explained in the legend).
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    fig, (ax, low) = plt.subplots(2, 1, figsize=(5.6, 6.4), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3.2, 1]})
    binary = data.n_classes == 2
    shown = [("logistic", "black", "s")]
    other = verdict.best if verdict.best in oof else None
    if other is not None and other != "logistic":
        shown.append((other, "tab:orange", "o"))
    curves = _reliability_curves(data, oof, shown, n_bins)
    inner = np.concatenate([np.concatenate([c[3], c[4]]) for c in curves])
    inner = inner[(inner > 0) & (inner < 1)]
    lo = max(min(inner.min(), 1e-2) / 2, 1e-5) if inner.size else 1e-3
    hi = min(1 - (1 - max(inner.max(), 0.9)) / 2, 1 - 1e-5) if inner.size else 1 - 1e-3
    any_edge = False
    for name, color, marker, xs, ys, (ys_lo, ys_hi), n in curves:
        xs = np.clip(xs, lo, hi)
        edge = (ys <= 0) | (ys >= 1)
        any_edge = any_edge or bool(edge.any())
        ys = np.clip(ys, lo, hi)
        ax.vlines(xs, np.clip(ys_lo, lo, hi), np.clip(ys_hi, lo, hi), color=color,
                  linewidth=0.9, alpha=0.5)
        ax.plot(xs, ys, color=color, linewidth=1.2, alpha=0.6)
        ax.scatter(xs[~edge], ys[~edge], color=color, marker=marker, label=name, zorder=3)
        ax.scatter(xs[edge], ys[edge], facecolors="none", edgecolors=color, marker=marker,
                   zorder=3)
        low.plot(xs, n, color=color, marker=marker, markersize=4, linewidth=1)
    ax.plot([lo, hi], [lo, hi], color="grey", linestyle=":", linewidth=1,
            label="perfect calibration")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="grey", linewidth=0.9))
    labels.append("95% interval of the bin")
    if any_edge:
        observed = "0% or 100%" if binary else "0 or 1"
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                              markeredgecolor="grey"))
        labels.append(f"hollow: bin observed at {observed}, drawn on the edge")
    _logit_axes(ax, low, lo, hi)
    what = f"P({data.labels[1]!r})" if binary else "top-label confidence"
    ax.set(ylabel="observed frequency" if binary else "accuracy")
    low.set(xlabel=("predicted probability" if binary else "confidence")
            + " (out-of-fold, every row once)", ylabel="rows in bin")
    ax.set_title(f"Reliability of {what}, log-odds bins\n{title}", fontsize=10)
    ax.legend(handles, labels, fontsize=7.5, loc="lower right")
    return _save(fig, path)


def _logit_axes(ax, low, lo: float, hi: float) -> None:
    """Logit scales with readable ticks on the diagram, a log scale for the counts."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    ax.set_xscale("logit")
    ax.set_yscale("logit")
    low.set_yscale("log")
    ticks = [t for t in (1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999)
             if lo <= t <= hi]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.grid(alpha=0.3, which="major")
    low.grid(alpha=0.3, which="major")


def plot_ap_differences(path: Path, summary: pd.DataFrame, fold_rows: pd.DataFrame,
                        tests: dict, title: str) -> Path:
    """Per-fold AP differences of every entry against the logistic baseline.

    One dot per fold (of every repeat); the black bar is the mean with its corrected 95%
    interval (Student's t, before the correction for many entries); entries beyond noise
    after the correction are marked ``*``, as in the table.
    """
    plt = _pyplot()
    keys = ["repeat", "fold"]
    base = fold_rows[fold_rows["entry"] == "logistic"].set_index(keys)["average_precision"]
    names = [n for n in summary["entry"] if n != "logistic" and n in tests]
    fig, ax = plt.subplots(figsize=(6.4, 1.0 + 0.3 * len(names)), dpi=110)
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        part = fold_rows[fold_rows["entry"] == name].set_index(keys)["average_precision"]
        d = (part - base.loc[part.index]).to_numpy()
        y = len(names) - 1 - i
        ax.scatter(d, y + rng.uniform(-0.15, 0.15, d.size), s=9, color="tab:blue",
                   alpha=0.5, linewidths=0)
        test = tests[name]
        half = stats.t.ppf(0.975, test.df) * test.se
        ax.errorbar(test.diff, y, xerr=half, color="black", marker="D", markersize=4,
                    capsize=3, linewidth=1.2)
    ax.axvline(0, color="grey", linewidth=0.8)
    shown = summary.set_index("entry")["ap_diff_shown"]
    ax.set_yticks(range(len(names)),
                  [f"{n}{' *' if not tests[n].within_noise else ''}" for n in names][::-1],
                  fontsize=8)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlabel("AP minus the logistic AP, per fold (dots); mean with corrected 95% "
                  "interval", fontsize=8)
    ax.set_title(f"Average precision vs logistic, fold by fold\n{title}", fontsize=10)
    for i, name in enumerate(names):
        ax.annotate(shown[name], (1.01, len(names) - 1 - i), xycoords=("axes fraction",
                                                                      "data"),
                    fontsize=7, va="center")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path, bbox_inches="tight")


def write_figures(out: Path, data: Data, results, summary: pd.DataFrame,
                  verdict: Verdict | None, tests: dict, cv: str, title: str
                  ) -> list[Path]:
    """Write every figure into ``out``; returns their paths."""
    paths = [plot_pr_curves(out / "pr_curves.png", data, results.oof, summary, title)]
    if verdict is not None:
        paths.append(plot_ap_vs_gamma(out / "ap_vs_gamma.png", summary, cv, title))
        paths.append(plot_reliability(out / "reliability.png", data, results.oof, verdict,
                                      title, summary=summary))
    paths.append(plot_ap_differences(out / "ap_differences.png", summary, results.fold_rows,
                                     tests, title))
    return paths
