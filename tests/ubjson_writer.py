"""A UBJSON writer for tests: XGBoost's encoding of a document read by ``parse_ubjson``.

Tests edit a parsed ``.ubj`` model (``boostfocal._shared.model_files.parse_ubjson``) and
write it back with :func:`to_ubj`, byte for byte as XGBoost writes it
(``tests/test_tree_check.py`` checks that), without handing the edited file to xgboost.
"""

from __future__ import annotations

import struct

import numpy as np

_UBJ_MARKERS = {np.dtype(">i1"): b"i", np.dtype(">u1"): b"U", np.dtype(">i2"): b"I",
                np.dtype(">i4"): b"l", np.dtype(">i8"): b"L", np.dtype(">f4"): b"d",
                np.dtype(">f8"): b"D"}


def _ubj_length(n: int) -> bytes:
    return b"L" + struct.pack(">q", n)


def to_ubj(value) -> bytes:
    """UBJSON as XGBoost writes it, for documents read by ``parse_ubjson``."""
    if isinstance(value, dict):
        return b"{" + b"".join(_ubj_length(len(k.encode())) + k.encode() + to_ubj(v)
                               for k, v in value.items()) + b"}"
    if isinstance(value, np.ndarray):
        dtype = value.dtype.newbyteorder(">")
        return (b"[$" + _UBJ_MARKERS[dtype] + b"#" + _ubj_length(value.shape[0])
                + value.astype(dtype).tobytes())
    if isinstance(value, list):
        return b"[#" + _ubj_length(len(value)) + b"".join(to_ubj(v) for v in value)
    if isinstance(value, str):
        return b"S" + _ubj_length(len(value.encode())) + value.encode()
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if value is None:
        return b"Z"
    if isinstance(value, int):
        for marker, fmt, low in ((b"i", ">b", -2**7), (b"I", ">h", -2**15),
                                 (b"l", ">i", -2**31)):
            if low <= value < -low:
                return marker + struct.pack(fmt, value)
        return b"L" + struct.pack(">q", value)
    return b"D" + struct.pack(">d", value)
