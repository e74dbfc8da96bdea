"""Import optional dependencies with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the boostfocal extra to install.

    Parameters
    ----------
    module : str
        Module to import, for example ``"xgboost"``.
    extra : str
        The boostfocal extra that provides it, for example ``"xgboost"``.

    Returns
    -------
    module
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"this part of boostfocal needs the optional dependency {module!r}, which is not "
            f"installed. Install it with: pip install \"boostfocal[{extra}]\""
        ) from exc
