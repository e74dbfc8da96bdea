"""Cross-validation for ``boostfocal compare``: every entry on the same folds, scored.

- Every entry sees the **same stratified folds** and the same booster settings
  (:func:`boostfocal.compare._entries.booster_params`). One failing entry is dropped with a
  note; a failing logistic baseline ends the run (nothing to compare with).
- **Metrics** on each held-out fold, from ``predict_proba`` (for focal models the
  posterior-corrected probability): average precision and ROC AUC (macro one-vs-rest for
  multiclass), log-loss, Brier score (multiclass: mean over rows of the summed squared
  error against the one-hot label, scikit-learn's convention), and fit time.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from . import _entries, _signals
from ._data import Data
from ._entries import Entry, booster_params
from ._errors import CompareError, first_line

#: Metrics reported for every entry; the first one ranks the entries.
METRICS = ("average_precision", "roc_auc", "log_loss", "brier")


@dataclass
class Settings:
    """Everything that defines a run, recorded in the results file."""

    backend: str = "xgboost"
    folds: int = 5
    gammas: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0, 5.0])
    n_estimators: int = 200
    learning_rate: float = 0.1
    seed: int = 0
    n_jobs: int = 1
    threads: int = 1


@dataclass
class Results:
    """What a run produced.

    Attributes
    ----------
    entries : list of Entry
        Entries that ran on every fold.
    fold_rows : DataFrame
        One row per entry and fold: metrics, fit seconds, fold sizes.
    oof : dict
        Entry name -> pooled out-of-fold probabilities, shape (n, K).
    notes : list of str
        Entries dropped because they failed, with the reason.
    """

    entries: list[Entry]
    fold_rows: pd.DataFrame
    oof: dict[str, np.ndarray]
    notes: list[str]


def metrics(y: np.ndarray, proba: np.ndarray, n_classes: int) -> dict[str, float]:
    """Average precision, ROC AUC, log-loss and Brier score of probabilities ``proba``.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Class indices.
    proba : ndarray, shape (n, K)
        Class probabilities (rows are renormalized to sum to 1).
    n_classes : int
        Number of classes K.

    Returns
    -------
    dict
        Keys as :data:`METRICS`. Multiclass AP and AUC are macro one-vs-rest; multiclass
        Brier is the mean over rows of the summed squared error to the one-hot label.
    """
    proba = np.asarray(proba, dtype=np.float64)
    proba = proba / proba.sum(axis=1, keepdims=True)
    labels = np.arange(n_classes)
    if n_classes == 2:
        p1 = proba[:, 1]
        return {"average_precision": float(average_precision_score(y, p1)),
                "roc_auc": float(roc_auc_score(y, p1)),
                "log_loss": float(log_loss(y, proba, labels=labels)),
                "brier": float(brier_score_loss(y, p1))}
    onehot = np.eye(n_classes)[y]
    return {"average_precision": float(average_precision_score(onehot, proba,
                                                               average="macro")),
            "roc_auc": float(roc_auc_score(y, proba, multi_class="ovr", average="macro",
                                           labels=labels)),
            "log_loss": float(log_loss(y, proba, labels=labels)),
            "brier": float(brier_score_loss(y, proba, labels=labels))}


def _fit_one(entry: Entry, fold: int, X: pd.DataFrame, y: np.ndarray, train: np.ndarray,
             test: np.ndarray, backend: str, n_classes: int, params: dict[str, Any]
             ) -> tuple[Entry, int, np.ndarray | None, float, str]:
    """Fit one entry on one fold; return its test probabilities (None and why on failure)."""
    try:
        # looked up when called, so that replacing _entries.build takes effect here
        model, fit_kwargs = _entries.build(entry, backend, y[train], n_classes, params)
        with warnings.catch_warnings():
            # LightGBM and XGBoost warn on small folds ("no further splits" etc.); the
            # metrics say what matters
            warnings.simplefilter("ignore", UserWarning)
            start = time.perf_counter()
            model.fit(X.iloc[train], y[train], **fit_kwargs)
            seconds = time.perf_counter() - start
            proba = np.asarray(model.predict_proba(X.iloc[test]), dtype=np.float64)
    except Exception as exc:  # one failing entry must not sink the others; reported
        _signals.check()  # unless it failed because a swallowed Ctrl-C broke it
        return entry, fold, None, math.nan, f"{type(exc).__name__}: {first_line(exc)}"
    _signals.check()  # a Ctrl-C that XGBoost swallowed during the fit stops the run here
    return entry, fold, proba, seconds, ""


def run(data: Data, entries: list[Entry], settings: Settings, progress=None) -> Results:
    """Cross-validate every entry on the same stratified folds.

    Parameters
    ----------
    data : Data
        Features and labels.
    entries : list of Entry
        What to compare.
    settings : Settings
        Folds, seed and booster settings.
    progress : callable, optional
        Called with the entry after each fit (to advance a progress bar). Fits run entry
        by entry (all folds of one entry, then the next), so entries finish one by one.

    Returns
    -------
    Results

    Raises
    ------
    CompareError
        If the logistic baseline fails (then nothing can be compared).
    """
    X, y, k = data.X, data.y, data.n_classes
    splitter = StratifiedKFold(n_splits=settings.folds, shuffle=True,
                               random_state=settings.seed)
    splits = list(splitter.split(np.zeros(y.shape[0]), y))
    params = booster_params(settings.backend, settings.n_estimators, settings.learning_rate,
                             settings.seed, settings.threads, bool(data.categorical))
    tasks = [(entry, fold, X, y, train, test, settings.backend, k, params)
             for entry in entries for fold, (train, test) in enumerate(splits)]
    oof = {e.name: np.full((y.shape[0], k), np.nan) for e in entries}
    rows: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for entry, fold, proba, seconds, error in _execute(tasks, settings.n_jobs):
        _signals.check()
        if progress is not None:
            progress(entry)
        if proba is None:
            failed.setdefault(entry.name, f"fold {fold + 1}: {error}")
            continue
        train, test = splits[fold]
        oof[entry.name][test] = proba
        rows.append({"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                     "alpha": entry.alpha, "fold": fold + 1, **metrics(y[test], proba, k),
                     "fit_seconds": seconds, "n_train": len(train), "n_test": len(test)})
    if "logistic" in failed:
        raise CompareError(f"the logistic baseline failed on {failed['logistic']}")
    notes = [f"{name} dropped: it failed on {why}" for name, why in failed.items()]
    kept = [e for e in entries if e.name not in failed]
    fold_rows = pd.DataFrame(rows)
    fold_rows = fold_rows[fold_rows["entry"].isin([e.name for e in kept])]
    order = {e.name: i for i, e in enumerate(kept)}
    fold_rows = fold_rows.sort_values(["entry", "fold"], key=lambda s: s.map(order)
                                      if s.name == "entry" else s).reset_index(drop=True)
    return Results(kept, fold_rows, {e.name: oof[e.name] for e in kept}, notes)


def _ignore_interrupts() -> None:
    """Make a worker process ignore SIGINT (Ctrl-C reaches the whole process group).

    The parent process turns Ctrl-C into one line and exit status 130 and ends the workers;
    a worker that took the SIGINT itself would print a traceback from wherever it was
    (joblib's worker loop included, between two tasks), so workers ignore it.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_worker(function, *args):
    """Call ``function(*args)`` in a worker, with SIGINT ignored from then on."""
    _ignore_interrupts()
    return function(*args)


def _parallel(n_jobs: int):
    """A ``joblib.Parallel`` that yields results as they complete.

    Its worker processes ignore SIGINT from their start (an initializer, joblib >= 1.4);
    with older joblib, the tasks wrapped in :func:`_in_worker` set it from their first task.
    """
    from joblib import Parallel

    try:
        return Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered",
                        initializer=_ignore_interrupts)
    except (TypeError, ValueError):  # no initializer (< 1.3) or no unordered (< 1.4)
        return Parallel(n_jobs=n_jobs, return_as="generator")


def _execute(tasks: list[tuple], n_jobs: int, function=None):
    """Yield ``function(*task)`` (default :func:`_fit_one`) as the calls complete.

    With ``n_jobs != 1`` the calls run in worker processes, which ignore SIGINT (the
    parent process handles Ctrl-C and ends them).
    """
    function = _fit_one if function is None else function
    if n_jobs == 1:
        for task in tasks:
            yield function(*task)
        return
    from joblib import delayed

    yield from _parallel(n_jobs)(delayed(_in_worker)(function, *task) for task in tasks)
