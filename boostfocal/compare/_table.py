"""Reading the user's data file: CSV/TSV (optionally compressed) or Parquet.

Repeated column names are refused: pandas would read a second target ``y`` as a feature
``y.1``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ._errors import CompareError, first_line

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")


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
        raise CompareError(f"cannot read {path.name}: {first_line(exc)}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            OSError, ValueError) as exc:
        raise CompareError(f"cannot read {path.name} as CSV: {first_line(exc)}") from None
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
        raise CompareError(f"cannot read {path.name} as Parquet: {first_line(exc)}"
                           ) from None
    _check_unique_columns(list(df.columns), path.name)
    return df

