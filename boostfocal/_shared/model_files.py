"""Model files as untrusted input: which format a file is, and its parsed document.

Everything that reads a boostfocal model file (the estimators' ``load_model``,
:func:`boostfocal.proba_from_margin`) starts here, so that a file is refused the same
way everywhere and nothing but a short ``ValueError`` (``TypeError`` for an argument
that is not a path) reaches the user: not a ``UnicodeDecodeError``, a ``KeyError`` or a
``RecursionError`` from inside a parser, and never a message that echoes megabytes of
the file.

This module only parses (bytes, JSON, UBJSON, LightGBM's text header); it imports no
booster library. The checks of the tree bodies live with their backend
(``boostfocal.xgboost._tree_check``, ``boostfocal.lightgbm._tree_check``), the checks of
the boostfocal metadata in ``boostfocal._shared.model_io``.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

XGB_JSON = "XGBoost JSON"
XGB_UBJSON = "XGBoost UBJSON"
LGBM_TEXT = "LightGBM text"
#: The formats a boostfocal model file may have.
FORMATS = (XGB_JSON, XGB_UBJSON, LGBM_TEXT)

#: The deepest nesting of a JSON/UBJSON document that is read (XGBoost writes 6 levels).
MAX_DEPTH = 64

#: The longest excerpt of a file's content or of a value quoted in a message.
MAX_QUOTE = 60

#: The longest message a refusal gives.
MAX_MESSAGE = 400


def quote(value: Any, limit: int = MAX_QUOTE) -> str:
    """``repr(value)``, cut to ``limit`` characters (a file's values can be megabytes)."""
    if isinstance(value, (list, tuple, dict, np.ndarray)) and len(value) > limit:
        # Do not build the repr of a huge container only to cut it.
        value = value[:limit] if not isinstance(value, dict) else dict(
            list(value.items())[:limit])
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def refusal(source: str, what: str) -> ValueError:
    """The ``ValueError`` that refuses ``source``, its message capped at MAX_MESSAGE."""
    message = f"{source} {what}"
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 3] + "..."
    return ValueError(message)


def describe(fname: Any) -> str:
    """How a message names the model file (its path, cut to a readable length)."""
    if isinstance(fname, (str, os.PathLike)):
        return f"the model file {quote(os.fspath(fname), 100)}"
    return "the model"


def read_model_bytes(fname: Any, arg: str, allow_contents: bool = False) -> bytes:
    """The bytes of a model file (or the contents given in its place).

    Parameters
    ----------
    fname : str, os.PathLike, bytes or bytearray
        A path; with ``allow_contents``, also the file's contents (as XGBoost's
        ``load_model`` takes them).
    arg : str
        The argument's name, for the ``TypeError``.
    allow_contents : bool, default=False
        Whether ``bytes``/``bytearray`` contents are accepted.

    Raises
    ------
    TypeError
        ``fname`` is of another type.
    OSError
        The file cannot be read (as ``open`` raises it: missing, a directory, ...).
    """
    if isinstance(fname, (str, os.PathLike)):
        with open(fname, "rb") as f:
            return f.read()
    if allow_contents and isinstance(fname, (bytes, bytearray, memoryview)):
        return bytes(fname)
    kinds = "a path (str or os.PathLike)" + (
        " or the file's contents (bytes or bytearray)" if allow_contents else "")
    raise TypeError(f"{arg} must be {kinds}, got {type(fname).__name__}")


def sniff(data: bytes) -> str | None:
    """Which model format ``data`` is (None: none of :data:`FORMATS`).

    XGBoost JSON and UBJSON both open an object with ``{``: JSON continues with
    whitespace, a quote or ``}``, UBJSON with a type marker. LightGBM text starts with
    its ``tree`` line.
    """
    head = data[:64]
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        rest = stripped[1:].lstrip()
        if rest[:1] in (b'"', b"}"):
            return XGB_JSON
        return XGB_UBJSON if head[1:2] in _UBJ_OPENERS else None
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return LGBM_TEXT
    return None


def check_format(data: bytes, source: str, wanted: tuple[str, ...],
                 load_with: dict[str, str]) -> str:
    """The format of ``data``, which must be one of ``wanted``; a plain refusal otherwise.

    ``load_with`` maps a format to the estimator that loads it ("this is a LightGBM
    text model: load it with FocalLGBMClassifier").
    """
    if not data:
        raise refusal(source, "is empty: it is not a model file")
    fmt = sniff(data)
    if fmt in wanted:
        return fmt
    if fmt is not None:
        family = "an XGBoost" if fmt in (XGB_JSON, XGB_UBJSON) else "a LightGBM text"
        hint = load_with.get(fmt)
        raise refusal(source, f"is {family} model" + (f": load it with {hint}" if hint
                                                      else ""))
    names = " or ".join(dict.fromkeys(
        "an XGBoost JSON/UBJSON" if f in (XGB_JSON, XGB_UBJSON) else "a LightGBM text"
        for f in wanted))
    raise refusal(source, f"is not {names} model file (it starts with "
                          f"{quote(bytes(data[:16]), 40)})")


# ---------------------------------------------------------------------------------------
# XGBoost JSON and UBJSON
# ---------------------------------------------------------------------------------------

def parse_json(data: bytes, source: str) -> Any:
    """A JSON document; refusals for bad UTF-8, bad JSON and too deep nesting."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusal(source, f"is not valid UTF-8 at byte {exc.start}, so not a JSON "
                              "model file") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise refusal(source, "is JSON nested too deeply to be a model file") from None
    except ValueError as exc:  # json.JSONDecodeError
        what = getattr(exc, "msg", "invalid JSON")
        where = (f" at line {exc.lineno} column {exc.colno}"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise refusal(source, f"is not valid JSON ({what[:80]}{where}); was it "
                              "truncated or edited?") from None


_UBJ_OPENERS = frozenset(bytes([c]) for c in b"iUIlL$#}N")
#: UBJSON number markers: their struct (big-endian) and the numpy dtype of typed arrays.
_UBJ_NUMBERS = {
    ord(m): (struct.Struct(">" + f), np.dtype(">" + d))
    for m, f, d in (("i", "b", "i1"), ("U", "B", "u1"), ("I", "h", "i2"), ("l", "i", "i4"),
                    ("L", "q", "i8"), ("d", "f", "f4"), ("D", "d", "f8"))}
_UBJ_INTEGERS = {m: s for m, (s, _) in _UBJ_NUMBERS.items() if m in b"iUIlL"}
_UBJ_CONSTANTS = {ord("Z"): None, ord("T"): True, ord("F"): False}
_S, _C, _N, _OPEN_ARRAY, _OPEN_OBJECT = (ord(c) for c in "SCN[{")
_CLOSE_ARRAY, _CLOSE_OBJECT, _TYPE, _COUNT = (ord(c) for c in "]}$#")


class _UBJError(Exception):
    """A malformed UBJSON document (turned into the refusal by :func:`parse_ubjson`)."""


def _ubj_decode(data: bytes) -> Any:
    """Decode one UBJSON (draft 12) value that fills ``data``.

    Typed numeric arrays (``[$d#L<n>...``, how XGBoost stores the trees' arrays) become
    numpy arrays in native byte order; every other value is what JSON would give.
    Counts and lengths are checked against the bytes left before anything is allocated;
    reading past the end raises ``IndexError``/``struct.error``, which the caller turns
    into a refusal.
    """
    size = len(data)
    numbers, integers, constants = _UBJ_NUMBERS, _UBJ_INTEGERS, _UBJ_CONSTANTS

    def count(pos: int) -> tuple[int, int]:
        s = integers.get(data[pos])
        if s is None:
            raise _UBJError(f"a length of type {chr(data[pos])!r} at byte {pos}")
        (n,) = s.unpack_from(data, pos + 1)
        pos += 1 + s.size
        if n < 0 or n > size - pos:
            raise _UBJError(f"a length of {n} with {size - pos} bytes left at byte {pos}")
        return n, pos

    def string(pos: int) -> tuple[str, int]:
        n, pos = count(pos)
        try:
            return data[pos:pos + n].decode("utf-8"), pos + n
        except UnicodeDecodeError:
            raise _UBJError(f"a string that is not UTF-8 at byte {pos}") from None

    def value(marker: int, pos: int, depth: int) -> tuple[Any, int]:
        num = numbers.get(marker)
        if num is not None:
            return num[0].unpack_from(data, pos)[0], pos + num[0].size
        if marker == _S:
            return string(pos)
        if marker in constants:
            return constants[marker], pos
        if marker == _OPEN_ARRAY or marker == _OPEN_OBJECT:
            if depth >= MAX_DEPTH:
                raise _UBJError(f"nesting deeper than {MAX_DEPTH} at byte {pos}")
            return container(marker == _OPEN_OBJECT, pos, depth + 1)
        if marker == _C:
            return chr(data[pos]), pos + 1
        raise _UBJError(f"the unknown type marker {chr(marker)!r} at byte {pos - 1}")

    def container(is_object: bool, pos: int, depth: int) -> tuple[Any, int]:
        typed = n = None
        if data[pos] == _TYPE:
            typed = data[pos + 1]
            pos += 2
            if data[pos] != _COUNT:
                raise _UBJError(f"a typed container without a count at byte {pos}")
        if data[pos] == _COUNT:
            n, pos = count(pos + 1)
        if not is_object and typed in numbers:
            dtype = numbers[typed][1]
            end = pos + n * dtype.itemsize
            if end > size:
                raise _UBJError(f"an array of {n} numbers past the end at byte {pos}")
            # A read-only big-endian view of the file's bytes: numpy compares and
            # concatenates it as it is.
            return np.frombuffer(data, dtype, n, pos), end
        items: Any = {} if is_object else []
        close = _CLOSE_OBJECT if is_object else _CLOSE_ARRAY
        i = 0
        while n is None or i < n:
            marker = data[pos]
            if n is None:
                if marker == _N:
                    pos += 1
                    continue
                if marker == close:
                    return items, pos + 1
            if is_object:
                # The key: a length (XGBoost writes int64 'L') and UTF-8 bytes, inline.
                s = integers.get(marker)
                if s is None:
                    raise _UBJError(f"a key length of type {chr(marker)!r} at byte {pos}")
                (k, ) = s.unpack_from(data, pos + 1)
                pos += 1 + s.size
                if k < 0 or pos + k > size:
                    raise _UBJError(f"a key of {k} bytes with {size - pos} left at byte "
                                    f"{pos}")
                try:
                    key = data[pos:pos + k].decode("utf-8")
                except UnicodeDecodeError:
                    raise _UBJError(f"a key that is not UTF-8 at byte {pos}") from None
                pos += k
                marker = data[pos] if typed is None else typed
            if typed is None:
                pos += 1
            else:
                marker = typed
            item, pos = value(marker, pos, depth)
            if is_object:
                items[key] = item
            else:
                items.append(item)
            i += 1
        return items, pos

    doc, pos = value(data[0], 1, 0)
    if pos != size:
        raise _UBJError(f"{size - pos} bytes after the document")
    return doc


def parse_ubjson(data: bytes, source: str) -> Any:
    """A UBJSON document (XGBoost's ``.ubj`` model format), read without xgboost.

    Refuses, with a short ``ValueError``, anything but one complete, well-formed value:
    truncated files, lengths past the end of the file, unknown markers, trailing bytes
    and nesting deeper than :data:`MAX_DEPTH`.
    """
    try:
        return _ubj_decode(bytes(data))
    except _UBJError as exc:
        what = str(exc)
    except (IndexError, struct.error):
        what = "it ends inside a value"
    except RecursionError:
        what = "nested too deeply"
    raise refusal(source, f"is not a valid UBJSON model file ({what}); was it truncated "
                          "or edited?")


def xgboost_document(data: bytes, fmt: str, source: str) -> dict:
    """The parsed XGBoost model document (JSON or UBJSON), a dict with a ``learner``."""
    doc = parse_json(data, source) if fmt == XGB_JSON else parse_ubjson(data, source)
    if not isinstance(doc, dict) or not isinstance(doc.get("learner"), dict):
        raise refusal(source, f"is {fmt} but not an XGBoost model (no 'learner' object)")
    return doc


def field(obj: Any, path: tuple[str, ...], kind: type | tuple[type, ...], source: str
          ) -> Any:
    """``obj[path[0]][path[1]]...``, which must exist and be of ``kind``; else a refusal."""
    for i, key in enumerate(path):
        if not isinstance(obj, dict) or key not in obj:
            raise refusal(source, f"lacks {'/'.join(path[:i + 1])!r}: it is not a complete "
                                  "model file")
        obj = obj[key]
    if not isinstance(obj, kind):
        raise refusal(source, f"has {'/'.join(path)!r} of type {type(obj).__name__}")
    return obj


_INT_TEXT = re.compile(r"[+-]?\d{1,18}")


def int_text(value: Any, what: str, source: str, low: int = 0, high: int = 2**31 - 1
             ) -> int:
    """An integer that XGBoost's and LightGBM's files write as text (``"3"``), bounded."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value)
    else:
        raise refusal(source, f"has {what} = {quote(value)}, not an integer")
    if not low <= number <= high:
        raise refusal(source, f"has {what} = {number}, outside [{low}, {high}]")
    return number


#: The most trees, nodes, features or classes a file may state (int32 in the boosters).
MAX_COUNT = 2**31 - 1


@dataclass(frozen=True)
class XGBLearner:
    """The learner parameters of an XGBoost model document.

    Attributes
    ----------
    n_outputs : int
        Margins per row: 1 (binary) or K (``num_class``).
    num_feature : int
    base_score : ndarray
        The booster's ``base_score``: a probability for ``binary:logistic``, one margin
        per class for ``multi:softprob`` (XGBoost >= 3.1; a scalar before).
    objective : str
    """

    n_outputs: int
    num_feature: int
    base_score: np.ndarray
    objective: str


def _number_list(text: Any, what: str, source: str) -> np.ndarray:
    """XGBoost's number text: ``"5E-1"`` or ``"[5E-1,2E-1]"`` (XGBoost >= 3.1)."""
    if not isinstance(text, str) or len(text) > 100_000:
        raise refusal(source, f"has {what} = {quote(text)}, not XGBoost's number text")
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    try:
        values = np.array([float(v) for v in body.split(",")], dtype=np.float64)
    except ValueError:
        raise refusal(source, f"has {what} = {quote(text)}, not XGBoost's number text") \
            from None
    if not np.all(np.isfinite(values)):
        raise refusal(source, f"has {what} = {quote(text)}, not finite")
    return values


def xgboost_learner(doc: dict, source: str) -> XGBLearner:
    """The learner parameters of an XGBoost model document, checked for type and range."""
    lmp = field(doc, ("learner", "learner_model_param"), dict, source)
    num_feature = int_text(field(lmp, ("num_feature",), (str, int, np.integer), source),
                           "num_feature", source, low=0, high=MAX_COUNT)
    num_class = int_text(field(lmp, ("num_class",), (str, int, np.integer), source),
                         "num_class", source, low=0, high=MAX_COUNT)
    num_target = int_text(lmp.get("num_target", "1"), "num_target", source, low=1,
                          high=MAX_COUNT)
    if num_target != 1:
        raise refusal(source, f"has num_target = {num_target}: boostfocal models have one "
                              "target")
    n_outputs = max(num_class, 1)
    base_score = _number_list(field(lmp, ("base_score",), str, source), "base_score",
                              source)
    if base_score.shape[0] not in (1, n_outputs):
        raise refusal(source, f"has {base_score.shape[0]} base_score values for "
                              f"{n_outputs} outputs")
    objective = field(doc, ("learner", "objective", "name"), str, source)
    return XGBLearner(n_outputs=n_outputs, num_feature=num_feature, base_score=base_score,
                      objective=objective)


def xgboost_attribute(doc: dict, key: str) -> Any:
    """A booster attribute of an XGBoost model document (None if absent; any type)."""
    attributes = doc["learner"].get("attributes")
    return attributes.get(key) if isinstance(attributes, dict) else None


# ---------------------------------------------------------------------------------------
# LightGBM text
# ---------------------------------------------------------------------------------------

def lightgbm_text(data: bytes, source: str) -> str:
    """A LightGBM model file's text (UTF-8, as LightGBM writes it)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusal(source, f"is not valid UTF-8 at byte {exc.start}, so not a "
                              "LightGBM text model file") from None


def lightgbm_header(text: str) -> dict[str, str]:
    """The ``key=value`` lines before the first tree, as LightGBM's loader reads them."""
    end = text.find("\nTree=")
    header = text if end < 0 else text[:end]
    out = {}
    for line in header.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def lightgbm_outputs(header: dict[str, str], source: str) -> int:
    """How many margins per row a LightGBM model gives (1 or K), from its header."""
    if "num_class" not in header:
        raise refusal(source, "has no num_class line: it is not a complete LightGBM model")
    return max(int_text(header["num_class"], "num_class", source, low=1), 1)
