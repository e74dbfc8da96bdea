"""The data of ``boostfocal compare``: the user's table made booster-ready, or the demo.

- **Target**: binary or multiclass labels, encoded as class indices 0..K-1 (for binary
  targets 1 is the positive class: ``--positive``, or the minority class); every class
  needs at least one row per test fold.
- **Features**: numeric and boolean columns as float64 (missing values stay NaN for the
  boosters, infinite values become missing), text columns as pandas categories (both
  boosters split on them natively); identifier-like text columns (see :data:`ID_SHARE`),
  empty columns and date/time columns are left out with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target

from ._errors import CompareError

#: A single column whose ROC AUC against a binary target reaches this (either direction)
#: predicts it almost perfectly on its own: a leaked target, most likely.
LEAK_AUC = 0.999

#: A text column with more distinct values than ID_SHARE of its rows (and more than
#: ID_LEVELS) is an identifier, a free-text field or a time stamp: as a categorical feature
#: it only lets trees memorize rows, so it is left out (with a note).
ID_SHARE = 0.5
ID_LEVELS = 50


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
    warnings : list of str
        Columns that look like a copy of the target (see :func:`leaked_target`).
    feature_names : list of str
        The name in the data file of each column of ``X`` (empty: ``X``'s own names).
    """

    X: pd.DataFrame
    y: np.ndarray
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.labels)

    @property
    def class_counts(self) -> list[int]:
        """Rows per class index."""
        return [int(c) for c in np.bincount(self.y, minlength=self.n_classes)]


def _show(value: Any) -> str:
    """A label as text: integral floats without their ``.0``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def prepare(df: pd.DataFrame, target: str, folds: int, positive: str | None = None,
            source: str = "data", drop: list[str] | None = None) -> Data:
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
    drop : list of str, optional
        Columns to leave out (``--drop``); each must exist and not be the target.

    Returns
    -------
    Data
        With a warning for every column that looks like a copy of the target.

    Raises
    ------
    CompareError
        Missing target column; a target that is not binary or multiclass or has one class;
        a class with fewer rows than ``folds``; no usable feature column; a bad
        ``positive``; a ``drop`` column that is missing or is the target.
    """
    _check_target_column(df, target, source)
    notes: list[str] = []
    if drop:
        df = _drop_columns(df, drop, target, source)
        notes.append(f"left out as asked (--drop): {', '.join(drop)}")
    df, y_raw = _drop_missing_targets(df, target, notes)
    y_values = _target_values(y_raw)
    classes = _classes(y_values, target, folds, positive)
    y = np.empty(y_values.shape[0], dtype=np.int64)
    for code, cls in enumerate(classes):
        y[y_values == cls] = code
    features = df.drop(columns=[target])
    X, categorical, feature_notes, names = _features(features)
    notes.extend(feature_notes)
    leaks = leaked_target(features, y, target)
    return Data(X, y, [_show(c) for c in classes], notes, categorical, leaks, names)


def _check_target_column(df: pd.DataFrame, target: str, source: str) -> None:
    """Refuse a missing target column, naming the columns there are (and a near miss)."""
    if target in df.columns:
        return
    names = [str(c) for c in df.columns]
    shown = ", ".join(repr(c) for c in names[:8])
    more = f", ... ({len(names)} columns)" if len(names) > 8 else ""
    close = [c for c in names if c.lower() == target.lower()]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise CompareError(f"target column {target!r} not found in {source}; available "
                       f"columns: {shown}{more}{hint}")


def _drop_missing_targets(df: pd.DataFrame, target: str, notes: list[str]
                          ) -> tuple[pd.DataFrame, pd.Series]:
    """The table and its target without the rows whose target is missing (with a note)."""
    y_raw = df[target]
    missing = y_raw.isna().to_numpy()
    if missing.all():
        raise CompareError(f"target column {target!r} is empty (all values missing)")
    if missing.any():
        notes.append(f"dropped {int(missing.sum())} rows with a missing target")
        df = df.loc[~missing]
        y_raw = y_raw[~missing]
    return df, y_raw


def _classes(y_values: np.ndarray, target: str, folds: int, positive: str | None
             ) -> np.ndarray:
    """The target's classes in code order (binary: the positive class last).

    Refuses a target that is not binary or multiclass, a single class, a class with fewer
    rows than ``folds`` and ``positive`` on a multiclass target.
    """
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
    return classes[order]


def _drop_columns(df: pd.DataFrame, drop: list[str], target: str, source: str
                  ) -> pd.DataFrame:
    """The table without the ``--drop`` columns (each must be there, and not the target)."""
    names = [str(c) for c in df.columns]
    missing = [c for c in drop if c not in names]
    if missing:
        shown = ", ".join(repr(c) for c in names[:8])
        more = f", ... ({len(names)} columns)" if len(names) > 8 else ""
        raise CompareError(f"--drop: no column {missing[0]!r} in {source}; available "
                           f"columns: {shown}{more}")
    if target in drop:
        raise CompareError(f"--drop: {target!r} is the target; it cannot be dropped")
    return df.drop(columns=[c for c in df.columns if str(c) in drop])


def _name_key(name: Any) -> str:
    return str(name).strip().casefold()


def _relabels_target(column: pd.Series, y: np.ndarray) -> bool:
    """Whether the column equals the target up to relabelling (one value per class)."""
    if column.isna().any():
        return False
    codes = pd.factorize(column, sort=False)[0]
    pairs = np.unique(np.stack([codes, y]), axis=1).shape[1]
    return pairs == int(codes.max()) + 1 == int(y.max()) + 1


def _single_column_auc(column: pd.Series, y: np.ndarray) -> float | None:
    """ROC AUC of a numeric column alone against a binary target, in its better direction.

    Rows where the column is missing are left out; None where that leaves one class.
    """
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    seen = np.isfinite(values)
    ys = y[seen]
    n_pos = int(ys.sum())
    n_neg = ys.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0 or seen.mean() < 0.9:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(values[seen])
    auc = (ranks[ys == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(max(auc, 1.0 - auc))


def leaked_target(features: pd.DataFrame, y: np.ndarray, target: str) -> list[str]:
    """Warnings for columns that look like a copy of the target.

    A column is named when its name is the target's after stripping spaces and ignoring
    case (``'y '``, ``'Y'``), when it equals the target up to relabelling (``1 - y``, the
    labels as other words), or when, for a binary target, it alone predicts the target
    with a ROC AUC of at least :data:`LEAK_AUC` (either direction). Such a column makes
    every entry look perfect, and the comparison says nothing about the real task.

    Parameters
    ----------
    features : DataFrame
        The feature columns, with their original names.
    y : ndarray of int
        The encoded target.
    target : str
        The target's name.

    Returns
    -------
    list of str
        One warning per suspicious column, naming it and why, with the ``--drop`` fix.
    """
    found = []
    for name in features.columns:
        column = features[name]
        why = []
        if _name_key(name) == _name_key(target):
            why.append(f"its name is the target's {target!r} up to spaces and case")
        if _relabels_target(column, y):
            why.append("it equals the target up to relabelling")
        elif y.max() == 1 and (pd.api.types.is_numeric_dtype(column)
                               or pd.api.types.is_bool_dtype(column)):
            auc = _single_column_auc(column, y)
            if auc is not None and auc >= LEAK_AUC:
                why.append(f"alone it predicts the target with ROC AUC {auc:.4f}")
        if why:
            found.append(f"column {str(name)!r} looks like a copy of the target: "
                         f"{'; '.join(why)}. A leaked target makes every entry look "
                         f"perfect; if it is one, leave it out with --drop {str(name)!r}")
    return found


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


def _features(X: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    """Booster-ready features: float64 numbers (NaN kept) and pandas categories.

    Returns the features (named ``f0``, ``f1``, ...), the categorical columns, the notes
    and the data's name of each kept column.
    """
    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    categorical: list[str] = []
    dropped_type: list[str] = []
    dropped_empty: list[str] = []
    dropped_ids: list[str] = []
    n_inf = 0
    names: list[str] = []
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
        names.append(str(name))
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
    return (pd.DataFrame(columns, index=X.index).reset_index(drop=True), categorical, notes,
            names)


def describe(data: Data, name: str, target: str | None = None) -> str:
    """One line: size, classes and their shares, categorical and missing values."""
    n, d = data.X.shape
    counts = data.class_counts
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
