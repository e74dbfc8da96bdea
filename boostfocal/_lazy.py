"""Module attributes loaded on first access (PEP 562), for the package's public modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_attributes(module: str, table: dict[str, str]
                    ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` for names imported on first access.

    Parameters
    ----------
    module : str
        The module's ``__name__``.
    table : dict
        Each lazily loaded name, mapped to the module that defines it.

    Returns
    -------
    __getattr__, __dir__
        Assign both at the module's top level.
    """
    def __getattr__(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module])) | set(table))

    return __getattr__, __dir__
