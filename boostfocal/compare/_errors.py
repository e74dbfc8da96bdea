"""The errors ``boostfocal compare`` reports, and how it words them.

Standard library only: :mod:`boostfocal.compare.cli` imports this before anything heavy.
"""

from __future__ import annotations


class CompareError(ValueError):
    """A problem with the input that the user can fix; the message is one line."""


class UsageError(Exception):
    """A bad option, or an ``--out`` that cannot take a run folder: a one-line message."""

    exit_status = 2


class WriteError(Exception):
    """Writing the results failed after the run (exit status 1)."""

    exit_status = 1


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in the system's words (``Permission denied``)."""
    return exc.strerror or str(exc) or type(exc).__name__
