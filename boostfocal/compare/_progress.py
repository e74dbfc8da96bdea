"""Progress of the cross-validation on stderr: a bar on a terminal, else a line an entry.

Standard library only (tqdm is imported when a bar is drawn).
"""

from __future__ import annotations

import time
from typing import TextIO


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Progress of the cross-validation on stderr.

    On a terminal, a tqdm bar over folds x entries (when tqdm is installed); otherwise one
    line per finished entry, so that a log or a pipe still shows the run moving.
    """

    def __init__(self, entries: list, folds: int, stream: TextIO) -> None:
        self._left = {e.name: folds for e in entries}
        self._done = 0
        self._stream = stream
        self._started = time.perf_counter()
        self._bar = None
        if _isatty(stream):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=len(entries) * folds, unit="fit",
                                 desc="cross-validating", file=stream, leave=False,
                                 dynamic_ncols=True)

    def __call__(self, entry) -> None:
        """Count one finished fit of ``entry``."""
        if self._bar is not None:
            self._bar.set_postfix_str(entry.name, refresh=False)
            self._bar.update(1)
            return
        self._left[entry.name] -= 1
        if self._left[entry.name] == 0:
            self._done += 1
            print(f"[{self._done}/{len(self._left)}] {entry.name} cross-validated "
                  f"({time.perf_counter() - self._started:.0f} s)", file=self._stream,
                  flush=True)

    def close(self) -> None:
        """Take the bar off the terminal (nothing to do for the plain lines)."""
        if self._bar is not None:
            self._bar.close()
