"""What a run of ``boostfocal compare`` reports: the text table and the files.

The files go into the run's own new folder (see :mod:`boostfocal.compare._runfolder`):
``summary.csv``, ``folds.csv`` (per-fold rows), ``results.json`` (settings, summary,
per-fold rows, recommendation, the saved model), the figures of
:mod:`boostfocal.compare._plots` and ``report.html`` (:mod:`boostfocal.compare._html`).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from . import _plots
from ._crossval import Results, Settings
from ._data import Data
from ._entries import booster_params
from ._stats import LEVEL, NEGLIGIBLE
from ._stopping import HELD_OUT, METRIC_TEXT
from ._verdict import Verdict

#: How the statistics are described in results.json.
STATISTICS = (
    "paired per-fold differences d in average precision over r repeats of k folds; "
    "SE = sd(d) * sqrt(1/(r k) + n_test/n_train), t = mean(d)/SE with r k - 1 degrees "
    "of freedom (corrected repeated k-fold t-test, Bouckaert & Frank 2004, after Nadeau & "
    "Bengio 2003); the p-values of all entries against logistic adjusted together (Holm "
    f"1979); beyond noise when the adjusted p-value, as printed, is below {LEVEL:g}, and "
    f"never when |mean(d)| < {NEGLIGIBLE:g}")


def cv_text(settings: Settings) -> str:
    """``"5-fold CV"``, or ``"5-fold CV x 3 repeats"``."""
    repeats = f" x {settings.repeats} repeats" if settings.repeats > 1 else ""
    return f"{settings.folds}-fold CV{repeats}"


def table_note(settings: Settings, n_tests: int) -> str:
    """What the table's numbers and marks mean (printed under it)."""
    return (f"mean±std over {cv_text(settings)} ({settings.n_splits} folds). AP vs "
            "logistic: mean paired per-fold difference, its size in standard errors "
            "(corrected for overlapping training sets) and its p-value after the "
            f"correction for testing {n_tests} entries at once;\n* = beyond noise "
            f"(p < {LEVEL:g}). See --help.")

def _pm(mean: float, std: float, digits: int = 4) -> str:
    return f"{mean:.{digits}f}±{std:.{digits}f}"


def table_rows(summary: pd.DataFrame, rounds: bool = False) -> list[list[str]]:
    """The table's header and rows as text cells (shared by the terminal and the report).

    With ``rounds`` a column gives the boosting rounds the entry's fits used (mean±std).
    """
    header = ["entry", "avg precision", "AP vs logistic", "ROC AUC", "log-loss", "Brier",
              "fit s"] + (["rounds"] if rounds else [])
    rows = [header]
    for row in summary.to_dict("records"):
        rows.append([row["entry"],
                     _pm(row["average_precision_mean"], row["average_precision_std"]),
                     row["ap_diff_shown"],
                     _pm(row["roc_auc_mean"], row["roc_auc_std"]),
                     _pm(row["log_loss_mean"], row["log_loss_std"]),
                     _pm(row["brier_mean"], row["brier_std"]),
                     f"{row['fit_seconds_mean']:.2f}"]
                    + ([_pm(row["rounds_mean"], row["rounds_std"], 0)] if rounds else []))
    return rows


def format_table(summary: pd.DataFrame, rounds: bool = False) -> str:
    """The summary as an aligned text table, one row per entry.

    Parameters
    ----------
    summary : DataFrame
        As returned by :func:`boostfocal.compare._verdict.summarize`.
    rounds : bool, default=False
        Add the rounds column (early stopping).

    Returns
    -------
    str
    """
    header, *rows = table_rows(summary, rounds)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [str(r[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, paths and non-finite floats as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def results_doc(args: argparse.Namespace, settings: Settings, data: Data, source: str,
                summary: pd.DataFrame, results: Results, verdict: Verdict | None,
                notes: list[str]) -> dict[str, Any]:
    """The content of ``results.json``: data, settings, statistics, tables and verdict."""
    doc = {
        "boostfocal_version": __version__,
        "data": {"source": source, "target": args.target, "rows": int(data.X.shape[0]),
                 "features": int(data.X.shape[1]), "classes": data.labels,
                 "class_counts": data.class_counts,
                 "categorical_columns": data.categorical},
        "settings": asdict(settings),
        "booster_params": booster_params(settings.backend, settings.n_estimators,
                                         settings.learning_rate, settings.seed,
                                         settings.threads, bool(data.categorical)),
        "noise_rule": STATISTICS,
        "notes": notes,
        "warnings": data.warnings,
        "summary": summary.to_dict("records"),
        "folds": results.fold_rows.to_dict("records"),
        "report": "report.html",
    }
    if settings.early_stopping is not None:
        doc["early_stopping"] = {"rounds": settings.early_stopping, "held_out": HELD_OUT,
                                 "metric": METRIC_TEXT, "ceiling": settings.n_estimators}
    if verdict is not None:
        doc["best"] = {"entry": verdict.best, "gamma": verdict.best_gamma,
                       "alpha": verdict.best_alpha,
                       "ap_diff_vs_logistic": verdict.vs_logistic.diff,
                       "ap_diff_se": verdict.vs_logistic.se,
                       "ap_diff_p_adjusted": verdict.vs_logistic.p_shown,
                       "within_noise": verdict.vs_logistic.within_noise,
                       "gammas_within_noise_of_best": verdict.gammas_within_noise,
                       "best_overall": verdict.best_overall}
        doc["recommended_entry"] = verdict.recommended
        doc["recommendation"] = verdict.recommendation
    return doc


def write_results(folder: Path, doc: dict[str, Any], summary: pd.DataFrame,
                  results: Results) -> list[str]:
    """Write the tables and results.json into the (new, private) ``folder``."""
    with open(folder / "summary.csv", "x", newline="", encoding="utf-8") as fh:
        summary.to_csv(fh, index=False)
    with open(folder / "folds.csv", "x", newline="", encoding="utf-8") as fh:
        results.fold_rows.to_csv(fh, index=False)
    with open(folder / "results.json", "x", encoding="utf-8") as fh:
        fh.write(json.dumps(jsonable(doc), indent=2) + "\n")
    return ["summary.csv", "folds.csv", "results.json"]


def write_figures(folder: Path, data: Data, results: Results, summary: pd.DataFrame,
                  verdict: Verdict | None, tests: dict, settings: Settings, title: str,
                  say: Callable[..., None]) -> list[str]:
    """Draw the figures into ``folder``; returns their file names.

    Without matplotlib, or when plotting fails, the figures are skipped (all of them) with
    a note through ``say``; the tables and ``results.json`` do not depend on them.
    """
    try:
        _plots._pyplot()
    except ImportError:
        say('Figures skipped: matplotlib is not installed (pip install "boostfocal[plot]").')
        return []
    try:
        return [p.name for p in _plots.write_figures(
            folder, data, results, summary, verdict, tests, cv_text(settings), title)]
    except OSError:
        raise
    except Exception as exc:
        for path in folder.glob("*.png"):
            path.unlink()
        say(f"Figures skipped: plotting failed ({type(exc).__name__}: {exc}).")
        return []
