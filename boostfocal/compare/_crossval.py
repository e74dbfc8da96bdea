"""Cross-validation for ``boostfocal compare``: every entry on the same folds, scored.

- Every entry sees the **same stratified folds**, ``repeats`` times over (repeated
  stratified k-fold: repeat ``r`` reshuffles the rows before splitting; repeat 1 is the
  plain k-fold split of ``seed``), and the same booster settings
  (:func:`boostfocal.compare._entries.booster_params`). One failing entry is dropped with a
  note; a failing logistic baseline ends the run (nothing to compare with).
- With **early stopping** every fit of a fold holds out the same 10% of its training rows
  (:mod:`boostfocal.compare._stopping`).
- **Metrics** on each held-out fold, from ``predict_proba`` (for focal models the
  posterior-corrected probability): average precision and ROC AUC (macro one-vs-rest for
  multiclass), log-loss, Brier score (multiclass: mean over rows of the summed squared
  error against the one-hot label, scikit-learn's convention), fit time and the boosting
  rounds used.
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
from sklearn.model_selection import RepeatedStratifiedKFold

from . import _entries, _signals, _stopping
from ._data import Data
from ._entries import Entry, booster_params
from ._errors import CompareError, first_line

#: Metrics reported for every entry; the first one ranks the entries.
METRICS = ("average_precision", "roc_auc", "log_loss", "brier")


@dataclass
class Settings:
    """Everything that defines a run, recorded in the results file.

    ``early_stopping`` is the patience in rounds (None: every entry trains
    ``n_estimators`` rounds).
    """

    backend: str = "xgboost"
    folds: int = 5
    gammas: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0, 5.0])
    n_estimators: int = 200
    learning_rate: float = 0.1
    seed: int = 0
    n_jobs: int = 1
    threads: int = 1
    repeats: int = 1
    early_stopping: int | None = None

    @property
    def n_splits(self) -> int:
        """Fits per entry: folds times repeats."""
        return self.folds * self.repeats


@dataclass(frozen=True)
class Split:
    """One fold of one repeat: rows to fit on, to stop on (early stopping) and to score.

    ``fit`` and ``stop`` together are the fold's training rows.
    """

    repeat: int
    fold: int
    fit: np.ndarray
    test: np.ndarray
    stop: np.ndarray | None = None
    repeated: bool = False

    @property
    def label(self) -> str:
        """``"fold 2"``, or ``"repeat 3, fold 2"`` when there are repeats."""
        where = f"fold {self.fold}"
        return f"repeat {self.repeat}, {where}" if self.repeated else where

    @property
    def n_train(self) -> int:
        """Training rows of the fold (held-out stopping rows included)."""
        return len(self.fit) + (0 if self.stop is None else len(self.stop))


@dataclass
class Results:
    """What a run produced.

    Attributes
    ----------
    entries : list of Entry
        Entries that ran on every fold.
    fold_rows : DataFrame
        One row per entry, repeat and fold: metrics, fit seconds, rounds, fold sizes.
    oof : dict
        Entry name -> out-of-fold probabilities of every repeat, shape (R, n, K).
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


def splits(y: np.ndarray, settings: Settings) -> list[Split]:
    """The folds of every repeat, with their early-stopping rows; checked before training.

    Raises
    ------
    CompareError
        When early stopping cannot hold out every class of a training fold.
    """
    splitter = RepeatedStratifiedKFold(n_splits=settings.folds, n_repeats=settings.repeats,
                                       random_state=settings.seed)
    found = []
    for i, (train, test) in enumerate(splitter.split(np.zeros(y.shape[0]), y)):
        repeat, fold = i // settings.folds + 1, i % settings.folds + 1
        repeated = settings.repeats > 1
        if settings.early_stopping is None:
            found.append(Split(repeat, fold, train, test, repeated=repeated))
            continue
        try:
            fit, stop = _stopping.held_out(y[train], settings.seed, repeat, fold)
        except ValueError as exc:
            raise CompareError(f"--early-stopping holds out {_stopping.HELD_OUT:.0%} of "
                               "each training fold, stratified, and cannot here "
                               f"({first_line(exc)}); use fewer --folds or no early "
                               "stopping") from None
        found.append(Split(repeat, fold, train[fit], test, train[stop], repeated))
    return found


def _fit_one(entry: Entry, split: Split, X: pd.DataFrame, y: np.ndarray, backend: str,
             n_classes: int, params: dict[str, Any], patience: int | None
             ) -> tuple[Entry, Split, np.ndarray | None, float, int, str]:
    """Fit one entry on one fold; return its test probabilities (None and why on failure)."""
    try:
        # looked up when called, so that replacing _entries.build takes effect here
        model, fit_kwargs = _entries.build(entry, backend, y[split.fit], n_classes, params)
        if patience is not None:
            fit_kwargs.update(_stopping.stopping_kwargs(
                model, entry, backend, y[split.fit], n_classes, X.iloc[split.stop],
                y[split.stop], patience))
        with warnings.catch_warnings():
            # LightGBM and XGBoost warn on small folds ("no further splits" etc.), LightGBM
            # on eval_set's new name; the metrics say what matters
            for category in (UserWarning, FutureWarning, DeprecationWarning):
                warnings.simplefilter("ignore", category)
            start = time.perf_counter()
            model.fit(X.iloc[split.fit], y[split.fit], **fit_kwargs)
            seconds = time.perf_counter() - start
            proba = np.asarray(model.predict_proba(X.iloc[split.test]), dtype=np.float64)
        rounds = _stopping.rounds_used(model, backend, params["n_estimators"])
    except Exception as exc:  # one failing entry must not sink the others; reported
        _signals.check()  # unless it failed because a swallowed Ctrl-C broke it
        return entry, split, None, math.nan, 0, f"{type(exc).__name__}: {first_line(exc)}"
    _signals.check()  # a Ctrl-C that XGBoost swallowed during the fit stops the run here
    return entry, split, proba, seconds, rounds, ""


def run(data: Data, entries: list[Entry], settings: Settings, progress=None) -> Results:
    """Cross-validate every entry on the same stratified folds (of every repeat).

    Parameters
    ----------
    data : Data
        Features and labels.
    entries : list of Entry
        What to compare.
    settings : Settings
        Folds, repeats, early stopping, seed and booster settings.
    progress : callable, optional
        Called with the entry after each fit (to advance a progress bar). Fits run entry
        by entry (all folds of one entry, then the next), so entries finish one by one.

    Returns
    -------
    Results

    Raises
    ------
    CompareError
        If the logistic baseline fails (then nothing can be compared), or early stopping
        cannot hold out rows of every class.
    """
    X, y, k = data.X, data.y, data.n_classes
    folds = splits(y, settings)
    params = booster_params(settings.backend, settings.n_estimators, settings.learning_rate,
                             settings.seed, settings.threads, bool(data.categorical))
    tasks = [(entry, split, X, y, settings.backend, k, params, settings.early_stopping)
             for entry in entries for split in folds]
    oof = {e.name: np.full((settings.repeats, y.shape[0], k), np.nan) for e in entries}
    rows: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for entry, split, proba, seconds, rounds, error in _execute(tasks, settings.n_jobs):
        _signals.check()
        if progress is not None:
            progress(entry)
        if proba is None:
            failed.setdefault(entry.name, f"{split.label}: {error}")
            continue
        oof[entry.name][split.repeat - 1, split.test] = proba
        rows.append({"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                     "alpha": entry.alpha, "repeat": split.repeat, "fold": split.fold,
                     **metrics(y[split.test], proba, k), "fit_seconds": seconds,
                     "rounds": rounds, "n_train": split.n_train, "n_test": len(split.test)})
    if "logistic" in failed:
        raise CompareError(f"the logistic baseline failed on {failed['logistic']}")
    notes = [f"{name} dropped: it failed on {why}" for name, why in failed.items()]
    kept = [e for e in entries if e.name not in failed]
    fold_rows = pd.DataFrame(rows)
    fold_rows = fold_rows[fold_rows["entry"].isin([e.name for e in kept])]
    order = {e.name: i for i, e in enumerate(kept)}
    fold_rows = fold_rows.sort_values(["entry", "repeat", "fold"], key=lambda s: s.map(order)
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
