"""The ``boostfocal`` command line.

``boostfocal compare [DATA] --target COLUMN`` answers "will focal loss help on my data,
and with which gamma?": it cross-validates the built-in logistic (softmax) objective, the
same with class weights, focal loss over a grid of gamma (with ``focal_alpha=None`` and
``"balanced"``) and GHM-C on the same stratified folds, prints a table with the paired
noise check, and writes the per-fold results and figures. Without DATA it runs on a
generated imbalanced demo. See :mod:`boostfocal.compare` for what exactly is compared and
how "within noise" is decided.

Every run writes a **new** folder ``run-001``, ``run-002``, ... inside ``--out``, which
appears only complete (:mod:`boostfocal.compare._runfolder`): an interrupted or failed
run leaves no run folder at all, and nothing that was in ``--out`` before is ever written
to, followed or removed. Everything is checked before training (options, ``--out`` by
creating and removing a probe folder, the data), and Ctrl-C (SIGTERM) at any moment ends
the command with one line and exit status 130 (143); see :mod:`._signals`.

This module imports only the standard library (pandas, scikit-learn and the boosters are
imported when a run starts), so that ``--help``, bad options and Ctrl-C answer at once.

Run ``boostfocal compare --help`` (or ``python -m boostfocal compare --help``).
"""

from __future__ import annotations

from . import _signals

# First, before anything else is imported: a signal from here on ends the command with
# its one line (nothing is there to clean up yet); main() then takes over.
_signals.exit_before_main()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from typing import TextIO  # noqa: E402

from ._args import build_parser  # noqa: E402
from ._errors import CompareError, UsageError, WriteError, first_line  # noqa: E402
from ._runfolder import RunFolder  # noqa: E402
from ._signals import no_interrupt  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the ``boostfocal`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input or options (with a one-line message on
        stderr), 1 when writing the results failed or the output pipe was closed, 130 when
        interrupted (Ctrl-C) and 143 when terminated (SIGTERM), at any moment: one line
        on stderr, no traceback, no run folder.
    """
    with _signals.handled():
        try:
            return _main(argv)
        except KeyboardInterrupt as exc:
            line, status = _signals.message(exc)
            with no_interrupt():
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                print(line, file=sys.stderr)
            return status


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and the error (or --help)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the report's command line
    try:
        try:
            return _compare(args, sys.stdout, sys.stderr)
        except (UsageError, WriteError) as exc:
            sys.stdout.flush()
            print(f"boostfocal compare: error: {exc}", file=sys.stderr)
            return exc.exit_status
    except BrokenPipeError:  # output piped into `head` and the like
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    if args.data is None:
        if args.target is not None:
            raise UsageError("--target is for your own DATA; the built-in demo has its "
                             "own target (give a DATA file, or drop --target)")
        if args.positive is not None:
            raise UsageError("--positive is for your own DATA")
        if args.drop:
            raise UsageError("--drop is for your own DATA")
    elif args.target is None:
        raise UsageError("--target COLUMN is required with DATA (the name of the column "
                         "to predict)")
    run_folder = RunFolder(args.out)  # checks --out first: it is quick
    try:
        with warnings.catch_warnings():
            # joblib's note on Ctrl-C with --n-jobs: tasks cancelled (that is the point)
            warnings.filterwarnings("ignore", message=r"\d+ tasks which were still being "
                                    "processed", category=UserWarning)
            return _compare_into(run_folder, args, out, err, started)
    finally:
        run_folder.discard()  # nothing left once published; everything otherwise


def _compare_into(run_folder: RunFolder, args: argparse.Namespace, out: TextIO,
                  err: TextIO, started: float) -> int:
    try:
        from . import _command
    except ImportError as exc:
        raise UsageError('the compare command needs pandas: pip install "boostfocal[cli]" '
                         f"({first_line(exc)})") from None
    try:
        return _command.compare(run_folder, args, out, err, started)
    except CompareError as exc:
        raise UsageError(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
