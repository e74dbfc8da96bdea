"""``--save-model``: the recommended entry fitted on all rows, saved in the run folder.

The model is the recommended entry's estimator with the run's booster settings: a
boostfocal estimator for a focal entry, the booster's own classifier (``XGBClassifier``,
``LGBMClassifier``) when the logistic objective is recommended. With early stopping it
trains the median of the rounds its folds used (there is no held-out data left to stop
on). It is saved with ``save_model`` as the backend's native file (XGBoost JSON
``model.json``, LightGBM text ``model.txt``); ``--onnx`` also writes ``model.onnx``
through ``boostfocal.onnx.to_onnx`` (the ``[onnx]`` extra), checked before training.

The model sees the columns under the names they have in the data file when the booster
accepts them (else ``f0``, ``f1``, ... in the order listed in ``results.json``), and the
labels as class indices: column ``i`` of ``predict_proba`` is the class ``classes[i]`` of
``results.json`` (for a binary target, column 1 is the positive class).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _entries, _signals
from ._data import Data
from ._entries import Entry, booster_params
from ._errors import CompareError, first_line

#: Characters that a booster refuses (or silently rewrites) in a feature name.
_REFUSED = {"xgboost": re.compile(r"[\[\]<]"), "lightgbm": re.compile(r'[\[\]{}",:\s]')}


@dataclass
class SavedModel:
    """What ``--save-model`` wrote: the entry, its estimator, settings and files."""

    entry: str
    estimator: str
    params: dict[str, Any]
    file: str
    load: list[str]
    features: list[str]
    classes: list[str]
    rounds: int
    onnx_file: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The ``"model"`` section of ``results.json``."""
        doc = {"entry": self.entry, "estimator": self.estimator, "params": self.params,
               "file": self.file, "load": self.load, "features": self.features,
               "classes": self.classes, "n_estimators": self.rounds}
        if self.onnx_file is not None:
            doc["onnx_file"] = self.onnx_file
        return doc


def check_export(save_model: bool, onnx: bool) -> None:
    """``--onnx`` needs ``--save-model`` and the ``[onnx]`` extra: checked before training.

    Raises
    ------
    CompareError
        With the one line to show.
    """
    if not onnx:
        return
    if not save_model:
        raise CompareError("--onnx exports the model that --save-model saves: add "
                           "--save-model")
    missing = [name for name in ("boostfocal.onnx", "onnx", "onnxmltools")
               if importlib.util.find_spec(name) is None]
    reason = f"{', '.join(missing)} not found" if missing else ""
    if not missing:
        try:
            importlib.import_module("boostfocal.onnx")
        except ImportError as exc:
            reason = first_line(exc)
    if reason:
        raise CompareError(f'--onnx needs the [onnx] extra: pip install "boostfocal[onnx]" '
                           f"({reason})")


def model_columns(data: Data, backend: str) -> tuple[list[str], str | None]:
    """The names of the saved model's columns, and a note when they are not the data's.

    The data file's names when the booster takes them all; else the safe ``f0``, ``f1``,
    ... and a note saying why.
    """
    names = list(data.feature_names or data.X.columns)
    refused = _REFUSED[backend]
    if len(set(names)) == len(names) and all(n and not refused.search(n) for n in names):
        return names, None
    return list(data.X.columns), (
        f"the model's columns are named {data.X.columns[0]}, {data.X.columns[1]}, ... "
        if data.X.shape[1] > 1 else f"the model's column is named {data.X.columns[0]} ") + (
        f"(some column names of the data are not accepted by {backend}); results.json "
        "lists them in order")


def _load_lines(cls: type, file: str) -> list[str]:
    """Three lines of Python that load the saved model and predict."""
    if cls.__module__.startswith("lightgbm") and cls.__name__ == "LGBMClassifier":
        return ["import lightgbm",
                f'model = lightgbm.Booster(model_file="{file}")',
                "proba = model.predict(X)  # binary: P(class 1); multiclass: one column a "
                "class"]
    parts = cls.__module__.split(".")
    module = ".".join(parts[:2]) if parts[0] == "boostfocal" else parts[0]
    return [f"from {module} import {cls.__name__}",
            f'model = {cls.__name__}(); model.load_model("{file}")',
            "proba = model.predict_proba(X)  # column i: class i of results.json"]


def final_rounds(fold_rows: pd.DataFrame, entry: str, n_estimators: int,
                 early_stopping: int | None) -> int:
    """``n_estimators``, or with early stopping the median of the entry's folds' rounds."""
    if early_stopping is None:
        return n_estimators
    rounds = fold_rows.loc[fold_rows["entry"] == entry, "rounds"].to_numpy(dtype=float)
    return max(1, int(np.floor(np.median(rounds) + 0.5)))


def fit_and_save(folder: Path, data: Data, entry: Entry, settings, fold_rows: pd.DataFrame,
                 onnx: bool = False) -> SavedModel:
    """Fit ``entry`` on all rows and save it into ``folder``.

    Parameters
    ----------
    folder : Path
        The run's (temporary) folder.
    data : Data
        Every row.
    entry : Entry
        The recommended entry.
    settings : Settings
        The run's settings (backend, trees, seed, threads, early stopping).
    fold_rows : DataFrame
        The cross-validation's per-fold rows (for the rounds).
    onnx : bool, default=False
        Also write ``model.onnx``.

    Returns
    -------
    SavedModel
    """
    backend, k = settings.backend, data.n_classes
    rounds = final_rounds(fold_rows, entry.name, settings.n_estimators,
                          settings.early_stopping)
    params = booster_params(backend, rounds, settings.learning_rate, settings.seed,
                            settings.threads, bool(data.categorical))
    extra, fit_kwargs = _entries.entry_params(entry, backend, data.y, k)
    cls = _entries.estimator_for(entry, backend)
    names, note = model_columns(data, backend)
    model = cls(**params, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(data.X.set_axis(names, axis=1), data.y, **fit_kwargs)
    _signals.check()  # a Ctrl-C that XGBoost swallowed during the fit
    file = "model.json" if backend == "xgboost" else "model.txt"
    if cls.__name__ == "LGBMClassifier":
        model.booster_.save_model(folder / file)
    else:
        model.save_model(folder / file)
    saved = SavedModel(entry.name, cls.__name__, {**params, **extra}, file,
                       _load_lines(cls, file), names, data.labels, rounds,
                       notes=[note] if note else [])
    if onnx:
        _export_onnx(model, folder, saved)
    _signals.check()
    return saved


def _export_onnx(model, folder: Path, saved: SavedModel) -> None:
    """Write ``model.onnx``; a failed export is a note (the native file is saved)."""
    from ..onnx import to_onnx  # checked by check_export before training

    try:
        proto = to_onnx(model)
    except Exception as exc:  # the run's results stand; say why there is no ONNX file
        saved.notes.append(f"model.onnx not written: boostfocal.onnx.to_onnx failed "
                           f"({type(exc).__name__}: {first_line(exc)})")
        return
    with open(folder / "model.onnx", "xb") as fh:
        fh.write(proto.SerializeToString())
    saved.onnx_file = "model.onnx"
