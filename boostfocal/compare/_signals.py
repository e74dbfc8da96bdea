"""Ctrl-C and SIGTERM in ``boostfocal compare``: one line and exit 130 or 143, at any moment.

Standard library only: :mod:`boostfocal.compare.cli` installs :func:`exit_before_main`
as its first step, before anything heavy is imported, so that a signal while the
command is still starting ends it with the same one line (there is nothing to clean up
yet). While :func:`handled` is active (the whole of ``main``), SIGINT raises
``KeyboardInterrupt`` and SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``), so
that the run folder's clean-up runs on the way out, and both are recorded: a library
that swallows the exception (XGBoost drops one raised inside its C callbacks, printing
"Exception ignored") cannot hide it, since :func:`check` raises it again after every fit.

A signal whose disposition was "ignore" when the command started (``nohup``, a
background job's SIGINT) stays ignored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

#: The signals the command answers, with its message and exit status for each.
SIGNALS = {signal.SIGINT: ("interrupted", 130), signal.SIGTERM: ("terminated", 143)}

#: Signals received while :func:`handled` is active (the last one decides the outcome).
_received: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's ``KeyboardInterrupt`` would be."""


def message(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The one line (``boostfocal: interrupted``) and exit status for an interrupt."""
    word, status = SIGNALS[signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT]
    return f"boostfocal: {word}", status


def _exit_now(signum: int, frame) -> None:  # pragma: no cover - runs in a subprocess
    word, status = SIGNALS[signum]
    os.write(2, f"boostfocal: {word}\n".encode())
    os._exit(status)


def _default(sig: int):
    return signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def exit_before_main() -> None:
    """Until ``main`` runs: a signal ends the process with its one line and status.

    Only where the signal has its default disposition (not where it is ignored, or
    where a program that imported the command set its own handler).
    """
    if not _main_thread():  # pragma: no cover - imported from a thread
        return
    for sig in SIGNALS:
        if signal.getsignal(sig) is _default(sig):
            signal.signal(sig, _exit_now)


def _raise(signum: int, frame) -> None:
    _received.append(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _record(signum: int, frame) -> None:
    _received.append(signum)


def _quiet_interrupts(previous):
    """An unraisable-exception hook that drops interrupts (they are recorded)."""
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        previous(unraisable)
    return hook


@contextlib.contextmanager
def handled():
    """While ``main`` runs: SIGINT and SIGTERM raise, and are recorded for :func:`check`.

    Interrupts that a library swallows inside a C callback are not printed (Python would
    print "Exception ignored in ..."): they are recorded, and :func:`check` raises them.
    On exit, the handlers before :func:`exit_before_main` are restored.
    """
    if not _main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _raise)
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_interrupts(hook)
    _received.clear()
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for sig, handler in previous.items():
            signal.signal(sig, _default(sig) if handler is _exit_now else handler)


def check() -> None:
    """Raise an interrupt that was received but swallowed (call it after every fit)."""
    if _received:
        raise Terminated() if _received[-1] == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def no_interrupt():
    """Hold SIGINT and SIGTERM off inside the block (main thread only).

    So that the move into place and the clean-up always finish. A signal that arrives
    meanwhile is recorded (see :func:`check`), not acted on.
    """
    if not _main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _record)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else _default(sig))
