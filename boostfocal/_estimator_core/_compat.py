"""scikit-learn's private internals that boostfocal uses, in one place.

Every name here wraps something scikit-learn does not promise to keep; the comment above
it says the versions it was checked on (the newest tested and the oldest declared in
``pyproject.toml``, which the smoke suite in ``tests/smoke`` runs). Version checks on the
boosters live in ``boostfocal.xgboost._compat`` and ``boostfocal.lightgbm._compat``.
"""

from __future__ import annotations

from sklearn.utils.validation import _num_samples


def version_tuple(version: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string such as ``"3.1.0rc1"``."""
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)  # type: ignore[return-value]


# sklearn.utils.validation._num_samples: checked on scikit-learn 1.9.1 and 1.6.0.
def num_samples(X) -> int:
    """The number of rows of any array-like or DataFrame, as scikit-learn counts them."""
    return _num_samples(X)
