"""The engine behind ``boostfocal compare``: data, entries, cross-validation, metrics, verdict.

Everything here is plain functions on pandas/numpy objects; :mod:`boostfocal.cli` owns the
command line, the terminal and the files, and :mod:`boostfocal._compare_plots` the figures.
Errors the user can fix (a missing column, a one-class target, ...) are raised as
:class:`CompareError` with a one-line message.

Design of the comparison
------------------------
- Every entry sees the **same stratified folds** and the same booster settings
  (``n_estimators``, ``learning_rate``, ``random_state``, threads; everything else at the
  library's defaults), with one deliberate exception to the library defaults: with
  XGBoost **every** entry gets ``min_child_weight=FOCAL_MIN_CHILD_WEIGHT`` (0.01), the
  default of boostfocal's XGBoost estimators. XGBoost's own default of 1 would block
  splits of focal models, whose Hessians are 10 to 1000 times smaller than logistic ones,
  and giving the built-in baselines a different value would make the comparison one of
  tree settings as much as of losses. With equal settings ``focal gamma=0`` reproduces the
  ``logistic`` entry, which the table lets you check. (LightGBM: the focal estimators keep
  LightGBM's defaults, so nothing needs aligning.)
- **Class weighting** of the built-in objective: ``scale_pos_weight = W0 / W1`` (per
  training fold) for binary XGBoost; ``class_weight="balanced"`` for LightGBM; for
  multiclass XGBoost, which has no class weights, the equivalent per-row
  ``sample_weight`` (scikit-learn's ``compute_sample_weight("balanced", y)``).
- **Focal** entries: ``focal_gamma`` over the grid, with ``focal_alpha=None`` and
  ``focal_alpha="balanced"`` (binary ``alpha = W0 / (W0 + W1)``; multiclass
  ``alpha_k = W / (K W_k)``, from the training fold).
- **GHM-C** (binary only): ``GHMXGBClassifier`` / ``GHMLGBMClassifier`` with
  ``ghm_bins=10`` and the default momentum.
- **Input**: numeric and boolean columns as float64 (missing values stay NaN for the
  boosters), text columns as pandas categories (both boosters split on them natively);
  identifier-like text columns (see :data:`ID_SHARE`), empty columns and date/time columns
  are left out with a note.
- **Metrics** on each held-out fold, from ``predict_proba`` (for focal models the
  posterior-corrected probability): average precision and ROC AUC (macro one-vs-rest for
  multiclass), log-loss, Brier score (multiclass: mean over rows of the summed squared
  error against the one-hot label, scikit-learn's convention), and fit time.
- **Noise rule.** Two entries are compared by their paired per-fold differences ``d_f``
  in average precision. The standard error of the mean difference is
  ``sd(d) * sqrt(1/k + n_test/n_train)``: the Nadeau-Bengio (2003) correction for the
  overlap of cross-validation training sets (the plain ``sd/sqrt(k)`` is too small). A
  difference is **within noise** when ``|mean(d)| < 2 SE``, judged on the ratio as printed
  (rounded to one decimal, so that a printed "2.0 SE" is always beyond noise), and always
  when ``|mean(d)| < 0.00005`` (it prints as 0.0000: no difference worth the name, such as
  focal gamma=0 against the logistic loss it reproduces). This is a rule of thumb, not a
  test: picking the best of many entries is optimistic, so treat a margin just above 2 SE
  with care.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

#: Differences smaller than this many (corrected) standard errors are "within noise".
NOISE_SE = 2.0
#: Average-precision differences below this (they print as 0.0000) count as no difference.
NEGLIGIBLE_AP = 5e-5
#: Metrics reported for every entry; the first one ranks the entries.
METRICS = ("average_precision", "roc_auc", "log_loss", "brier")
BACKENDS = ("xgboost", "lightgbm")
#: A text column with more distinct values than ID_SHARE of its rows (and more than
#: ID_LEVELS) is an identifier, a free-text field or a time stamp: as a categorical feature
#: it only lets trees memorize rows, so it is left out (with a note).
ID_SHARE = 0.5
ID_LEVELS = 50
GHM_BINS = 10

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")


class CompareError(ValueError):
    """A problem with the input that the user can fix; the message is one line."""


# --------------------------------------------------------------------------- data
@dataclass
class Data:
    """Features and encoded labels, ready for the boosters.

    Attributes
    ----------
    X : DataFrame
        Features with safe column names (``f0``, ``f1``, ...): numeric columns as float64
        (missing values NaN), text columns as pandas ``category``.
    y : ndarray of int64
        Class indices 0..K-1. For binary targets 1 is the positive class.
    labels : list of str
        The original label of each class index, as text.
    notes : list of str
        What was changed on the way in (dropped rows or columns, conversions).
    categorical : list of str
        Original names of the columns passed as categories.
    """

    X: pd.DataFrame
    y: np.ndarray
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.labels)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV (optionally compressed) or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        The file. Its type is taken from the extension: ``.csv``, ``.tsv`` (each optionally
        followed by ``.gz``, ``.bz2``, ``.zip``, ``.xz`` or ``.zst``), ``.parquet``, ``.pq``.

    Returns
    -------
    DataFrame

    Raises
    ------
    CompareError
        If the file is missing, has an unknown extension or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise CompareError(f"file not found: {path}")
    if path.is_dir():
        raise CompareError(f"{path} is a directory, not a data file")
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] in _COMPRESSION
    kind = suffixes[-2] if compressed and len(suffixes) >= 2 else (suffixes[-1] if suffixes
                                                                    else "")
    if kind in _PARQUET_SUFFIXES and not compressed:
        return _read_parquet(path)
    if kind not in _CSV_SUFFIXES:
        raise CompareError(
            f"cannot tell the format of {path.name} (extension {kind or 'none'!r}): use CSV "
            "(.csv or .tsv, optionally .gz/.bz2/.zip/.xz/.zst) or Parquet (.parquet, .pq)")
    if not compressed:
        with open(path, "rb") as fh:
            head = fh.read(8192)
        if b"\x00" in head:
            raise CompareError(f"cannot read {path.name} as CSV: it holds binary data, "
                               "not text")
    sep = _CSV_SUFFIXES[kind]
    try:
        # the header as written: pandas renames a repeated name ("y" -> "y.1")
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str,
                             keep_default_na=False)
        df = pd.read_csv(path, sep=sep)
    except ImportError as exc:  # e.g. .zst without zstandard
        raise CompareError(f"cannot read {path.name}: {_first_line(exc)}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            OSError, ValueError) as exc:
        raise CompareError(f"cannot read {path.name} as CSV: {_first_line(exc)}") from None
    _check_unique_columns(list(header.iloc[0]) if len(header) else [], path.name)
    return df


def _check_unique_columns(names: list[Any], source: str) -> None:
    """Refuse repeated column names (a repeated target would leak into the features)."""
    counts = pd.Series([str(n) for n in names if str(n) != ""]).value_counts(sort=False)
    repeated = counts[counts > 1]
    if len(repeated):
        shown = ", ".join(f"{name!r} ({n} times)" for name, n in repeated.items())
        raise CompareError(f"{source} has repeated column names: {shown}; give every column "
                           "its own name")


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        # the names as stored: pyarrow cannot even select from repeated names
        _check_unique_columns(pq.read_schema(path).names, path.name)
        df = pd.read_parquet(path)
    except CompareError:
        raise
    except ImportError:
        raise CompareError('reading Parquet needs pyarrow: pip install "boostfocal[parquet]"'
                           ) from None
    except Exception as exc:  # pyarrow raises its own hierarchy for corrupt files
        raise CompareError(f"cannot read {path.name} as Parquet: {_first_line(exc)}"
                           ) from None
    _check_unique_columns(list(df.columns), path.name)
    return df


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _show(value: Any) -> str:
    """A label as text: integral floats without their ``.0``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def prepare(df: pd.DataFrame, target: str, folds: int, positive: str | None = None,
            source: str = "data") -> Data:
    """Check the target, encode the labels and make the features booster-ready.

    Parameters
    ----------
    df : DataFrame
        The table, target included.
    target : str
        Name of the target column.
    folds : int
        Number of cross-validation folds: every class needs at least this many rows.
    positive : str, optional
        Binary targets only: the label (as text) of the positive class. Default: the
        minority class.
    source : str, default="data"
        Name of the data, for messages.

    Returns
    -------
    Data

    Raises
    ------
    CompareError
        Missing target column; a target that is not binary or multiclass or has one class;
        a class with fewer rows than ``folds``; no usable feature column; a bad
        ``positive``.
    """
    if target not in df.columns:
        names = [str(c) for c in df.columns]
        shown = ", ".join(repr(c) for c in names[:8])
        more = f", ... ({len(names)} columns)" if len(names) > 8 else ""
        close = [c for c in names if c.lower() == target.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CompareError(f"target column {target!r} not found in {source}; available "
                           f"columns: {shown}{more}{hint}")
    notes: list[str] = []
    y_raw = df[target]
    missing = y_raw.isna().to_numpy()
    if missing.all():
        raise CompareError(f"target column {target!r} is empty (all values missing)")
    if missing.any():
        notes.append(f"dropped {int(missing.sum())} rows with a missing target")
        df = df.loc[~missing]
        y_raw = y_raw[~missing]
    y_values = _target_values(y_raw)
    kind = type_of_target(y_values)
    if kind not in ("binary", "multiclass"):
        examples = ", ".join(f"{v:.4g}" if isinstance(v, (float, np.floating)) else _show(v)
                             for v in pd.unique(y_values)[:3])
        what = "continuous numbers" if kind.startswith("continuous") else (
            f"of type {kind!r}")
        raise CompareError(f"target column {target!r} is {what} (e.g. {examples}), not class "
                           "labels: compare needs a binary or multiclass target")
    classes, counts = np.unique(y_values, return_counts=True)
    if classes.shape[0] < 2:
        raise CompareError(f"target column {target!r} has a single class "
                           f"({_show(classes[0])!r}): compare needs at least two")
    check_folds(counts, [_show(c) for c in classes], folds, target)
    order = list(range(classes.shape[0]))
    if classes.shape[0] == 2:
        pos = _positive_index(classes, counts, positive, target)
        order = [1 - pos, pos]
    elif positive is not None:
        raise CompareError("--positive is for binary targets; "
                           f"{target!r} has {classes.shape[0]} classes")
    classes = classes[order]
    y = np.empty(y_values.shape[0], dtype=np.int64)
    for code, cls in enumerate(classes):
        y[y_values == cls] = code
    X, categorical, feature_notes = _features(df.drop(columns=[target]))
    notes.extend(feature_notes)
    return Data(X, y, [_show(c) for c in classes], notes, categorical)


def check_folds(counts: Any, labels: list[str], folds: int, target: str) -> None:
    """Every class needs at least ``folds`` rows (one per test fold).

    Parameters
    ----------
    counts : array-like of int
        Rows per class.
    labels : list of str
        The class labels, for the message.
    folds : int
        The number of cross-validation folds.
    target : str
        Name of the target, for the message.

    Raises
    ------
    CompareError
        Naming the smallest class and the largest ``--folds`` that works.
    """
    counts = np.asarray(counts)
    smallest = int(np.argmin(counts))
    n_small = int(counts[smallest])
    if n_small >= folds:
        return
    if n_small < 2:
        advice = "drop or merge that class: cross-validation needs at least 2 per class"
    else:
        advice = (f"use --folds {n_small} or fewer (every test fold needs one), or drop "
                  "or merge that class")
    raise CompareError(f"class {labels[smallest]!r} of {target!r} has only {n_small} example"
                       f"{'s' if n_small != 1 else ''}, fewer than --folds {folds}: {advice}")


def _target_values(y_raw: pd.Series) -> np.ndarray:
    """Target as a numpy array that ``np.unique`` and ``type_of_target`` understand."""
    if pd.api.types.is_bool_dtype(y_raw):
        return y_raw.astype(bool).to_numpy()
    if pd.api.types.is_numeric_dtype(y_raw):
        values = y_raw.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values
    values = y_raw.astype(str).to_numpy(dtype=object)
    return values


def _positive_index(classes: np.ndarray, counts: np.ndarray, positive: str | None,
                    target: str) -> int:
    if positive is None:
        return 0 if counts[0] < counts[1] else 1
    shown = [_show(c) for c in classes]
    if positive not in shown:
        raise CompareError(f"--positive {positive!r} is not a label of {target!r}; its labels "
                           f"are {shown[0]!r} and {shown[1]!r}")
    return shown.index(positive)


def _features(X: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Booster-ready features: float64 numbers (NaN kept) and pandas categories."""
    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    categorical: list[str] = []
    dropped_type: list[str] = []
    dropped_empty: list[str] = []
    dropped_ids: list[str] = []
    n_inf = 0
    for name in X.columns:
        s = X[name]
        if s.isna().all():
            dropped_empty.append(str(name))
            continue
        if (pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s)
                or pd.api.types.is_complex_dtype(s)):
            dropped_type.append(str(name))
            continue
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s) and not
                                             isinstance(s.dtype, pd.CategoricalDtype)):
            col = pd.Series(s.to_numpy(dtype=np.float64, na_value=np.nan), index=s.index)
            infinite = np.isinf(col.to_numpy())
            if infinite.any():
                n_inf += int(infinite.sum())
                col = col.mask(infinite)
        else:
            if isinstance(s.dtype, pd.CategoricalDtype):
                col = s.cat.remove_unused_categories()
            else:
                col = s.where(s.isna(), s.astype(str)).astype("category")
            n_levels = len(col.cat.categories)
            if n_levels > max(ID_LEVELS, ID_SHARE * int(col.notna().sum())):
                dropped_ids.append(f"{name} ({n_levels:,} distinct values)")
                continue
            categorical.append(str(name))
        columns[f"f{len(columns)}"] = col
    if dropped_type:
        notes.append(f"ignored columns of unsupported type (dates, times, complex): "
                     f"{', '.join(dropped_type)}")
    if dropped_ids:
        notes.append("ignored identifier-like text columns (more distinct values than "
                     f"{ID_SHARE:.0%} of their rows): {', '.join(dropped_ids)}")
    if dropped_empty:
        notes.append(f"ignored columns with no values: {', '.join(dropped_empty)}")
    if n_inf:
        notes.append(f"treated {n_inf} infinite values as missing")
    if not columns:
        raise CompareError("no usable feature columns besides the target")
    return pd.DataFrame(columns, index=X.index).reset_index(drop=True), categorical, notes


def describe(data: Data, name: str, target: str | None = None) -> str:
    """One line: size, classes and their shares, categorical and missing values."""
    n, d = data.X.shape
    counts = np.bincount(data.y, minlength=data.n_classes)
    if data.n_classes == 2:
        classes = (f"binary, positive class {data.labels[1]!r}: {counts[1]:,} "
                   f"({counts[1] / n:.1%})")
    else:
        shares = ", ".join(f"{lab!r} {c / n:.1%}"
                           for lab, c in zip(data.labels, counts, strict=True))
        classes = f"{data.n_classes} classes ({shares})"
    extras = []
    if data.categorical:
        extras.append(f"{len(data.categorical)} categorical")
    n_missing = int(data.X.isna().to_numpy().sum())
    if n_missing:
        extras.append(f"{n_missing:,} missing values")
    extra = f"; {', '.join(extras)}" if extras else ""
    of = f", target {target!r}" if target else ""
    return f"{name}: {n:,} rows x {d} features{extra}{of}; {classes}"


def demo_data(n_samples: int = 20000, seed: int = 0) -> tuple[Data, str]:
    """The built-in demo: an imbalanced binary problem generated by scikit-learn.

    ``make_classification`` with 20 features (8 informative), 2% positives before 1%
    label noise (about 2.5% after), ``class_sep=0.8``. Nothing is downloaded.

    Returns
    -------
    data : Data
    name : str
        What to print about it.
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_samples, n_features=20, n_informative=8,
                               weights=[0.98], flip_y=0.01, class_sep=0.8,
                               random_state=seed)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    name = (f"built-in demo (generated by scikit-learn make_classification: 8 of 20 "
            f"features informative, 2% positives + 1% label noise, random_state={seed})")
    return Data(frame, y.astype(np.int64), ["0", "1"]), name


# --------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class Entry:
    """One configuration in the comparison.

    Attributes
    ----------
    kind : {"logistic", "weighted", "focal", "ghm"}
    gamma : float, optional
        ``focal_gamma`` (focal entries only).
    balanced : bool
        Focal entries: ``focal_alpha="balanced"`` (else ``None``).
    """

    kind: str
    gamma: float | None = None
    balanced: bool = False

    @property
    def name(self) -> str:
        """Label used in the table, the files and the figures."""
        if self.kind == "logistic":
            return "logistic"
        if self.kind == "weighted":
            return "logistic, class-weighted"
        if self.kind == "ghm":
            return f"GHM-C ({GHM_BINS} bins)"
        alpha = ", alpha=balanced" if self.balanced else ""
        return f"focal gamma={format_gamma(self.gamma)}{alpha}"

    @property
    def alpha(self) -> str | None:
        """``"balanced"`` or None (focal entries)."""
        return "balanced" if self.balanced else None


def format_gamma(gamma: float) -> str:
    """``2.0`` as ``"2"``, ``0.5`` as ``"0.5"``."""
    return f"{gamma:g}"


def ghm_class(backend: str):
    """The GHM-C estimator class of ``backend``."""
    if backend == "xgboost":
        from ..xgboost import GHMXGBClassifier

        return GHMXGBClassifier
    from ..lightgbm import GHMLGBMClassifier

    return GHMLGBMClassifier


def focal_class(backend: str):
    """The focal estimator class of ``backend``."""
    if backend == "xgboost":
        from ..xgboost import FocalXGBClassifier

        return FocalXGBClassifier
    from ..lightgbm import FocalLGBMClassifier

    return FocalLGBMClassifier


def check_backend(backend: str) -> None:
    """Import the booster library now, so a missing one is a one-line error."""
    try:
        focal_class(backend)
    except ImportError as exc:
        raise CompareError(f"--backend {backend} needs {backend}: pip install "
                           f"\"boostfocal[{backend}]\" ({_first_line(exc)})") from None


def xgboost_min_child_weight() -> float:
    """``min_child_weight`` for every XGBoost entry: boostfocal's focal default."""
    from ..xgboost import FOCAL_MIN_CHILD_WEIGHT

    return float(FOCAL_MIN_CHILD_WEIGHT)


def make_entries(n_classes: int, gammas: list[float], ghm: bool) -> list[Entry]:
    """All entries in table order: baselines, GHM-C, then focal by alpha and gamma."""
    entries = [Entry("logistic"), Entry("weighted")]
    if ghm:
        entries.append(Entry("ghm"))
    for balanced in (False, True):
        entries.extend(Entry("focal", g, balanced) for g in gammas)
    return entries


def booster_params(backend: str, n_estimators: int, learning_rate: float, seed: int,
                   threads: int, categorical: bool) -> dict[str, Any]:
    """Booster settings shared by every entry (see the module docstring)."""
    params: dict[str, Any] = {"n_estimators": n_estimators, "learning_rate": learning_rate,
                              "random_state": seed, "n_jobs": threads}
    if backend == "xgboost":
        params.update(verbosity=0, tree_method="hist",
                      min_child_weight=xgboost_min_child_weight())
        if categorical:
            params["enable_categorical"] = True
    else:
        params["verbose"] = -1
    return params


def build(entry: Entry, backend: str, y_train: np.ndarray, n_classes: int,
          params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The estimator for ``entry`` and the keyword arguments of its ``fit``.

    Parameters
    ----------
    entry : Entry
        The configuration.
    backend : {"xgboost", "lightgbm"}
        Booster library.
    y_train : ndarray of int
        Training labels of this fold (for the class weights).
    n_classes : int
        Number of classes K.
    params : dict
        Booster settings shared by every entry.

    Returns
    -------
    estimator, fit_kwargs
    """
    fit_kwargs: dict[str, Any] = {}
    if entry.kind in ("logistic", "weighted"):
        if backend == "xgboost":
            import xgboost as xgb

            extra: dict[str, Any] = {}
            if entry.kind == "weighted":
                if n_classes == 2:
                    counts = np.bincount(y_train, minlength=2)
                    extra["scale_pos_weight"] = float(counts[0] / counts[1])
                else:
                    fit_kwargs["sample_weight"] = compute_sample_weight("balanced", y_train)
            return xgb.XGBClassifier(**params, **extra), fit_kwargs
        import lightgbm as lgb

        weight = "balanced" if entry.kind == "weighted" else None
        return lgb.LGBMClassifier(class_weight=weight, **params), fit_kwargs
    if entry.kind == "ghm":
        return ghm_class(backend)(ghm_bins=GHM_BINS, **params), fit_kwargs
    return (focal_class(backend)(focal_gamma=entry.gamma, focal_alpha=entry.alpha, **params),
            fit_kwargs)


# --------------------------------------------------------------------------- CV
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
        model, fit_kwargs = build(entry, backend, y[train], n_classes, params)
        with warnings.catch_warnings():
            # LightGBM and XGBoost warn on small folds ("no further splits" etc.); the
            # metrics say what matters
            warnings.simplefilter("ignore", UserWarning)
            start = time.perf_counter()
            model.fit(X.iloc[train], y[train], **fit_kwargs)
            seconds = time.perf_counter() - start
            proba = np.asarray(model.predict_proba(X.iloc[test]), dtype=np.float64)
    except Exception as exc:  # one failing entry must not sink the others; reported
        return entry, fold, None, math.nan, f"{type(exc).__name__}: {_first_line(exc)}"
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


def _execute(tasks: list[tuple], n_jobs: int):
    """Yield :func:`_fit_one` results as they complete, in parallel when ``n_jobs != 1``."""
    if n_jobs == 1:
        for task in tasks:
            yield _fit_one(*task)
        return
    from joblib import Parallel, delayed

    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:  # joblib < 1.4
        parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    yield from parallel(delayed(_fit_one)(*task) for task in tasks)


# --------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class Paired:
    """Paired per-fold comparison of average precision, ``a - b``."""

    diff: float
    se: float

    @property
    def identical(self) -> bool:
        """Every per-fold difference is exactly 0 (the same predictions' scores)."""
        return self.diff == 0.0 and self.se == 0.0

    @property
    def negligible(self) -> bool:
        """``|diff| < NEGLIGIBLE_AP``: it prints as 0.0000 and is no difference."""
        return abs(self.diff) < NEGLIGIBLE_AP

    @property
    def ratio(self) -> float:
        """``|diff| / SE`` rounded to one decimal, as printed (inf when SE is 0).

        The noise rule is decided on this rounded value, so that a printed "2.0 SE" is
        always beyond noise and "1.9 SE" always within.
        """
        if self.se > 0:
            return float(f"{abs(self.diff) / self.se:.1f}")
        return 0.0 if self.diff == 0 else math.inf

    @property
    def within_noise(self) -> bool:
        """Negligible, or ``|diff| / SE`` (rounded to one decimal) below 2."""
        return bool(self.negligible or self.ratio < NOISE_SE)

    def describe(self) -> str:
        """The difference as the table prints it.

        ``+0.0123 (2.4 SE) *``; ``identical``; ``0.0000 (negligible)``;
        ``+0.0100 (no spread) *`` when every fold differs by the same amount.
        """
        if self.identical:
            return "identical"
        if self.negligible:
            return "0.0000 (negligible)"
        ratio = "no spread" if self.se == 0 else f"{self.ratio:.1f} SE"
        mark = "" if self.within_noise else " *"
        return f"{self.diff:+.4f} ({ratio}){mark}"


def paired(fold_rows: pd.DataFrame, a: str, b: str,
           metric: str = "average_precision") -> Paired:
    """Mean paired per-fold difference ``a - b`` and its corrected standard error.

    ``SE = sd(d) * sqrt(1/k + n_test/n_train)`` (Nadeau and Bengio, 2003), with ``d`` the
    per-fold differences, ``k`` the number of folds and ``n_test/n_train`` the mean size
    ratio of a fold's test and training parts.
    """
    rows_a = fold_rows[fold_rows["entry"] == a].set_index("fold")
    rows_b = fold_rows[fold_rows["entry"] == b].set_index("fold")
    d = (rows_a[metric] - rows_b[metric]).to_numpy()
    k = d.shape[0]
    ratio = float((rows_a["n_test"] / rows_a["n_train"]).mean())
    sd = float(np.std(d, ddof=1)) if k > 1 else 0.0
    return Paired(float(np.mean(d)), sd * math.sqrt(1.0 / k + ratio))


def summarize(results: Results) -> pd.DataFrame:
    """One row per entry: mean and std over folds of every metric and the fit time.

    Also the paired AP difference against the logistic baseline (``ap_diff``,
    ``ap_diff_se``, ``within_noise``, and ``ap_diff_shown``: the table's text for it).
    """
    rows = []
    fr = results.fold_rows
    for entry in results.entries:
        part = fr[fr["entry"] == entry.name]
        row: dict[str, Any] = {"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                               "alpha": entry.alpha}
        for m in (*METRICS, "fit_seconds"):
            row[f"{m}_mean"] = float(part[m].mean())
            row[f"{m}_std"] = float(part[m].std(ddof=1)) if len(part) > 1 else 0.0
        if entry.kind == "logistic":
            row.update(ap_diff=0.0, ap_diff_se=0.0, ap_diff_shown="reference",
                       within_noise=True)
        else:
            p = paired(fr, entry.name, "logistic")
            row.update(ap_diff=p.diff, ap_diff_se=p.se, ap_diff_shown=p.describe(),
                       within_noise=p.within_noise)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Verdict:
    """The best focal entry and the recommendation, as text and as data."""

    best: str
    best_gamma: float
    best_alpha: str | None
    best_line: str
    recommendation: str
    vs_logistic: Paired
    gammas_within_noise: list[float]
    best_overall: str


def verdict(results: Results, summary: pd.DataFrame) -> Verdict | None:
    """Pick the best gamma by mean AP and say whether it beats the logistic objective.

    Returns None when no focal entry ran.
    """
    focal = summary[summary["kind"] == "focal"]
    if focal.empty:
        return None
    # highest mean AP; ties go to the smaller gamma, then alpha=None
    ranked = focal.assign(_bal=focal["alpha"].notna()).sort_values(
        ["average_precision_mean", "gamma", "_bal"], ascending=[False, True, True],
        kind="stable")
    best = ranked.iloc[0]
    name, gamma = str(best["entry"]), float(best["gamma"])
    balanced = best["alpha"] == "balanced"
    fr = results.fold_rows
    vs = paired(fr, name, "logistic")
    same_alpha = focal[(focal["alpha"] == "balanced") == balanced]
    close = sorted(float(r["gamma"]) for _, r in same_alpha.iterrows()
                   if r["entry"] == name or paired(fr, name, r["entry"]).within_noise)
    label = f"gamma={format_gamma(gamma)}" + (", alpha=balanced" if balanced else "")
    best_line = (f"Best gamma by mean average precision: {format_gamma(gamma)} "
                 f"({'alpha=balanced' if balanced else 'alpha=None'}), "
                 f"AP {best['average_precision_mean']:.4f} "
                 f"± {best['average_precision_std']:.4f}")
    noise = f"2 SE = {NOISE_SE * vs.se:.4f}"
    if len(same_alpha) < 2:
        gammas_note = ""
    elif len(close) > 1:
        gammas_note = (f" Gammas {', '.join(format_gamma(g) for g in close)} "
                       f"({'alpha=balanced' if balanced else 'alpha=None'}) are within noise "
                       "of the best.")
    else:
        gammas_note = " Every other gamma is behind it beyond noise."
    if gamma == 0 and not balanced:
        # focal gamma=0 without alpha is the logistic loss itself: report the best real
        # alternative instead of comparing the logistic loss with itself
        rec = ("keep the logistic objective: the best gamma is 0, which is the logistic "
               "loss itself")
        focusing = ranked[(ranked["gamma"] > 0) & ~ranked["_bal"]]
        if focusing.empty:
            rec += "."
        else:
            runner = str(focusing.iloc[0]["entry"])
            alt = paired(fr, runner, "logistic")
            where = ("within fold-to-fold noise" if alt.within_noise
                     else "beyond fold-to-fold noise")
            rec += (f"; the best gamma > 0, {runner}, is {alt.diff:+.4f} AP vs the logistic "
                    f"objective, {where} (2 SE = {NOISE_SE * alt.se:.4f}).")
    elif vs.within_noise:
        rec = (f"no clear gain: focal {label} is {vs.diff:+.4f} AP vs the logistic "
               f"objective, within fold-to-fold noise ({noise}); the simpler logistic "
               "objective does as well here." + gammas_note)
    elif vs.diff > 0:
        what = " (class weighting by alpha, no focusing)" if gamma == 0 else ""
        rec = (f"use focal loss with {label}{what}: {vs.diff:+.4f} AP over the logistic "
               f"objective, beyond fold-to-fold noise ({noise})." + gammas_note)
    else:
        rec = (f"keep the logistic objective: the best focal entry, {label}, is "
               f"{vs.diff:+.4f} AP below it, beyond fold-to-fold noise ({noise}).")
    overall = summary.sort_values("average_precision_mean", ascending=False,
                                  kind="stable").iloc[0]["entry"]
    return Verdict(name, gamma, "balanced" if balanced else None, best_line,
                   "Recommendation: " + rec, vs, close, str(overall))
