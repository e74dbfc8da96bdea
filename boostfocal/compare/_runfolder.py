"""The run folder of ``boostfocal compare``: a new ``run-NNN`` that appears only complete.

Every run writes a **new** folder ``run-001``, ``run-002``, ... inside ``--out`` (the next
number after the highest one there; the name is claimed with an exclusive ``mkdir``, so
concurrent runs never share one). The files are written into a hidden temporary folder
inside ``--out`` and renamed into place when all of them are complete, so an interrupted
or failed run leaves no run folder at all, and nothing that was in ``--out`` before (the
input file, other files, symbolic links) is ever written to, followed or removed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ._errors import UsageError, os_reason
from ._signals import no_interrupt


class RunFolder:
    """A new ``run-NNN`` folder inside ``out``, filled in a hidden temporary folder.

    Creating it checks that ``out`` is usable (it creates ``out`` if needed, a temporary
    folder in it, and a probe file in that). :meth:`publish` renames the temporary folder
    to the next free ``run-NNN``; :meth:`discard` removes the temporary folder and the
    folders this run created, and nothing else. Nothing that already exists in ``out`` is
    ever opened for writing.
    """

    NAME = re.compile(r"run-(\d+)")

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp: Path | None = None
        self._created: list[Path] = []
        try:
            self._make_out()
            self.tmp = Path(tempfile.mkdtemp(prefix=".boostfocal-compare-",
                                             suffix=".partial", dir=out))
            probe = self.tmp / "probe"
            with open(probe, "xb") as fh:
                fh.write(b"probe\n")
            probe.unlink()
        except OSError as exc:
            self.discard()
            raise UsageError(f"--out {out}: cannot write there ({os_reason(exc)})") from None
        except BaseException:
            self.discard()
            raise

    def _make_out(self) -> None:
        missing = []
        path = self.out
        while not os.path.lexists(path) and path.parent != path:
            missing.append(path)
            path = path.parent
        for path in reversed(missing):
            try:
                os.mkdir(path)
            except FileExistsError:  # made meanwhile by someone else: not ours to remove
                continue
            self._created.append(path)
        if not self.out.is_dir():
            what = "a broken symbolic link" if self.out.is_symlink() else "not a folder"
            raise UsageError(f"--out {self.out} exists and is {what}")

    def publish(self) -> Path:
        """Move the finished files into place as the next free ``run-NNN``; returns it."""
        assert self.tmp is not None
        with no_interrupt():
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o777 & ~umask)
            number = self._next_number()
            while True:
                final = self.out / f"run-{number:03d}"
                number += 1
                try:
                    os.mkdir(final)  # claims the name: fails if anything has it
                except FileExistsError:
                    continue
                try:
                    os.rename(self.tmp, final)  # POSIX: replaces our own empty claim
                except OSError:
                    try:
                        os.rmdir(final)  # still empty: ours
                    except OSError:
                        continue  # someone put something in it: leave it, take the next
                    try:
                        os.rename(self.tmp, final)  # systems that refuse any target
                    except FileExistsError:
                        continue
                self.tmp = None
                self._created = []
                return final

    def _next_number(self) -> int:
        try:
            names = os.listdir(self.out)
        except OSError:
            names = []
        numbers = [int(m.group(1)) for m in map(self.NAME.fullmatch, names) if m]
        return max(numbers, default=0) + 1

    def discard(self) -> None:
        """Remove the temporary folder and the folders made for ``out``, if empty."""
        with no_interrupt():
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
            for path in reversed(self._created):
                try:
                    os.rmdir(path)
                except OSError:
                    break
            self._created = []

