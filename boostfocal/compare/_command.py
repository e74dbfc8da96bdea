"""The ``boostfocal compare`` run, once its options and ``--out`` are checked.

Reads the data (or makes the demo), cross-validates the entries, prints the report and
writes the files into the run folder. Imports pandas, scikit-learn and the estimators:
:mod:`boostfocal.compare.cli` imports it only when a run starts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import TextIO

from . import _crossval, _data, _entries, _table, _verdict
from ._errors import WriteError, os_reason
from ._progress import Progress
from ._report import format_table, jsonable, results_doc, write_figures, write_results
from ._runfolder import RunFolder


def compare(run_folder: RunFolder, args: argparse.Namespace, out: TextIO, err: TextIO,
            started: float) -> int:
    """Run the comparison that ``args`` asks for; returns the exit status (0).

    Parameters
    ----------
    run_folder : RunFolder
        The run's new folder, not yet published.
    args : argparse.Namespace
        The parsed options of ``boostfocal compare``.
    out, err : text streams
        Where the report (or, with ``--json``, the JSON line) and the progress go.
    started : float
        ``time.perf_counter()`` when the command started.

    Returns
    -------
    int

    Raises
    ------
    CompareError
        A problem with the data or the options.
    WriteError
        Writing the results failed (nothing was left in ``--out``).
    """
    if args.data is None:
        data, name = _data.demo_data()
        _data.check_folds(data.class_counts, data.labels, args.folds, "target")
        source, target = name, None
    else:
        table = _table.read_table(args.data)
        data = _data.prepare(table, args.target, args.folds, args.positive,
                             source=Path(args.data).name, drop=args.drop)
        source, target = str(args.data), args.target
    _entries.check_backend(args.backend)

    settings = _crossval.Settings(backend=args.backend, folds=args.folds, gammas=args.gammas,
                                  n_estimators=args.n_estimators,
                                  learning_rate=args.learning_rate, seed=args.seed,
                                  n_jobs=args.n_jobs, threads=args.threads)
    notes = list(data.notes)
    binary = data.n_classes == 2
    if not binary:
        notes.append("GHM-C skipped: it is a binary loss")
    entries = _entries.make_entries(data.n_classes, settings.gammas, binary)
    report = None if args.json else out

    def say(*lines: str) -> None:
        if report is not None:
            for line in lines:
                print(line, file=report)

    say(f"boostfocal compare: {_data.describe(data, source, target)}",
        f"{args.backend}, {settings.folds}-fold stratified CV (seed {settings.seed}), "
        f"{settings.n_estimators} trees at learning rate {settings.learning_rate:g}; "
        f"gamma grid {', '.join(_entries.format_gamma(g) for g in settings.gammas)}; "
        f"{len(entries)} entries x {settings.folds} folds")
    if args.backend == "xgboost":
        say(f"min_child_weight={_entries.xgboost_min_child_weight():g} for every entry "
            "(boostfocal's focal default; see --help)")
    say(*(f"note: {note}" for note in notes))
    out.flush()
    for warning in data.warnings:  # before training, on the terminal in every mode
        print(f"warning: {warning}", file=err)
    err.flush()

    progress = Progress(entries, settings.folds, err)
    try:
        results = _crossval.run(data, entries, settings, progress)
    finally:
        progress.close()
    notes.extend(results.notes)
    say(*(f"note: {note}" for note in results.notes))
    summary = _verdict.summarize(results)
    verdict = _verdict.verdict(results, summary)

    say("", format_table(summary),
        f"mean±std over {settings.folds} folds. AP vs logistic: mean paired per-fold "
        "difference (its size in standard errors, corrected for overlapping training "
        f"sets);\n* = beyond fold-to-fold noise (|diff| >= {_verdict.NOISE_SE:.1f} SE).", "")
    if verdict is not None:
        say(verdict.best_line, verdict.recommendation)
        overall = summary.set_index("entry")["average_precision_mean"]
        if overall[verdict.best_overall] > overall[verdict.best]:
            say(f"(Highest mean AP of all entries: {verdict.best_overall}.)")
    if "logistic, class-weighted" in set(summary["entry"]):
        say("Class-weighted probabilities describe the re-weighted data, so their "
            "log-loss and Brier are not comparable as calibration.")

    doc = results_doc(args, settings, data, source, summary, results, verdict, notes)
    title = Path(source).name if args.data is not None else "built-in demo"
    assert run_folder.tmp is not None
    try:
        names = write_results(run_folder.tmp, doc, summary, results)
        names += write_figures(run_folder.tmp, data, results, summary, verdict,
                               settings.folds, title, say)
        final = run_folder.publish()
    except OSError as exc:
        raise WriteError(f"cannot write the results into {args.out} ({os_reason(exc)}); "
                         "nothing was left there") from None
    say(f"Results in {final}{os.sep}: {', '.join(names)}",
        f"Done in {time.perf_counter() - started:.0f} s.")
    if args.json:
        doc.update(run_folder=str(final), files=[str(final / n) for n in names])
        print(json.dumps(jsonable(doc)), file=out)
    return 0
