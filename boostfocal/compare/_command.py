"""The ``boostfocal compare`` run, once its options and ``--out`` are checked.

Reads the data (or makes the demo), cross-validates the entries, prints the report,
fits and saves the recommended entry (``--save-model``) and writes the files into the run
folder. Imports pandas, scikit-learn and the estimators: :mod:`boostfocal.compare.cli`
imports it only when a run starts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from . import _crossval, _data, _entries, _html, _model, _table, _verdict
from ._errors import CompareError, WriteError, first_line, os_reason
from ._progress import Progress
from ._report import (
    cv_text,
    format_table,
    jsonable,
    results_doc,
    table_note,
    table_rows,
    write_figures,
    write_results,
)
from ._runfolder import RunFolder
from ._stopping import METRIC_TEXT

WEIGHTED_NOTE = ("Class-weighted probabilities describe the re-weighted data, so their "
                 "log-loss and Brier are not comparable as calibration.")


def _load(args: argparse.Namespace) -> tuple[_data.Data, str, str | None]:
    """The data, what to call it, and the target's name (None for the demo)."""
    if args.data is None:
        data, name = _data.demo_data()
        _data.check_folds(data.class_counts, data.labels, args.folds, "target")
        return data, name, None
    table = _table.read_table(args.data)
    data = _data.prepare(table, args.target, args.folds, args.positive,
                         source=Path(args.data).name, drop=args.drop)
    return data, str(args.data), args.target


def _settings(args: argparse.Namespace) -> _crossval.Settings:
    return _crossval.Settings(backend=args.backend, folds=args.folds, gammas=args.gammas,
                              n_estimators=args.n_estimators,
                              learning_rate=args.learning_rate, seed=args.seed,
                              n_jobs=args.n_jobs, threads=args.threads,
                              repeats=args.repeats, early_stopping=args.early_stopping)


def _trees(settings: _crossval.Settings) -> str:
    if settings.early_stopping is None:
        return f"{settings.n_estimators} trees"
    return (f"up to {settings.n_estimators} trees (early stopping after "
            f"{settings.early_stopping} rounds without improvement)")


def _header(settings: _crossval.Settings, data: _data.Data, source: str,
            target: str | None, n_entries: int) -> list[str]:
    """The lines printed before training."""
    lines = [f"boostfocal compare: {_data.describe(data, source, target)}",
             f"{settings.backend}, {cv_text(settings).replace('CV', 'stratified CV')} "
             f"(seed {settings.seed}), {_trees(settings)} at learning rate "
             f"{settings.learning_rate:g}; gamma grid "
             f"{', '.join(_entries.format_gamma(g) for g in settings.gammas)}; "
             f"{n_entries} entries x {settings.n_splits} folds"]
    if settings.backend == "xgboost":
        lines.append(f"min_child_weight={_entries.xgboost_min_child_weight():g} for every "
                     "entry (boostfocal's focal default; see --help)")
    if settings.early_stopping is not None:
        lines.append(f"early stopping on the {METRIC_TEXT}, the same rows for every entry")
    return lines


def _verdict_lines(summary, verdict: _verdict.Verdict | None) -> list[str]:
    """The recommendation's lines, as the terminal and the report show them."""
    lines = []
    if verdict is not None:
        lines += [verdict.best_line, verdict.recommendation]
        overall = summary.set_index("entry")["average_precision_mean"]
        if overall[verdict.best_overall] > overall[verdict.best]:
            lines.append(f"(Highest mean AP of all entries: {verdict.best_overall}.)")
    if "logistic, class-weighted" in set(summary["entry"]):
        lines.append(WEIGHTED_NOTE)
    return lines


def _versions(backend: str) -> str:
    import importlib.metadata as md

    from .._config import config_line

    found = []
    for dist in (backend, "scikit-learn", "numpy", "pandas", "matplotlib"):
        try:
            found.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            continue
    return f"{config_line()}\n{', '.join(found)}; Python {platform.python_version()}"


def _run_table(args, settings, data, source, notes, seconds) -> list[tuple[str, str]]:
    """The report's "What was run" section."""
    counts = ", ".join(f"{lab!r}: {c:,}" for lab, c in
                       zip(data.labels, data.class_counts, strict=True))
    rows = [("data", _data.describe(data, source, args.target)),
            ("classes", counts + (f" (positive class {data.labels[1]!r})"
                                  if data.n_classes == 2 else "")),
            ("cross-validation", f"{cv_text(settings)}, stratified, seed {settings.seed}"),
            ("trees", f"{_trees(settings)}, learning rate {settings.learning_rate:g}"),
            ("gamma grid", ", ".join(_entries.format_gamma(g) for g in settings.gammas)),
            ("backend", settings.backend + (
                f", min_child_weight={_entries.xgboost_min_child_weight():g} for every entry"
                if settings.backend == "xgboost" else "")),
            ("parallel", f"{settings.n_jobs} process(es) x {settings.threads} thread(s)")]
    if settings.early_stopping is not None:
        rows.append(("early stopping", f"after {settings.early_stopping} rounds without "
                     f"improvement of the {METRIC_TEXT} (the same rows for every entry)"))
    if data.categorical:
        rows.append(("categorical columns", ", ".join(data.categorical)))
    rows += [("notes", "\n".join(notes))] if notes else []
    rows += [("warnings", "\n".join(data.warnings))] if data.warnings else []
    rows += [("versions", _versions(settings.backend)),
             ("command line", "boostfocal " + shlex.join(args.argv)),
             ("run time", f"{seconds:.0f} s (finished {datetime.now():%Y-%m-%d %H:%M})")]
    return rows


def _rounds_table(results: _crossval.Results):
    rows = results.fold_rows
    table = rows.pivot_table(index="entry", columns=["repeat", "fold"], values="rounds",
                             sort=False)
    table.columns = [f"r{r} f{f}" if rows["repeat"].max() > 1 else f"fold {f}"
                     for r, f in table.columns]
    return table.astype(int)


def _cross_validate(data, entries, settings, err):
    progress = Progress(entries, settings.n_splits, err)
    try:
        return _crossval.run(data, entries, settings, progress)
    finally:
        progress.close()


def _save_model(folder: Path, args, data, settings, results, verdict, err
                ) -> _model.SavedModel:
    name = "logistic" if verdict is None else verdict.recommended
    entry = next(e for e in results.entries if e.name == name)
    print(f"fitting the recommended entry ({name}) on all {data.X.shape[0]:,} rows",
          file=err, flush=True)
    try:
        return _model.fit_and_save(folder, data, entry, settings, results.fold_rows,
                                   args.onnx)
    except (OSError, CompareError):
        raise
    except Exception as exc:  # the booster failed on all rows: nothing is published
        raise WriteError(f"--save-model: fitting {name} on all rows failed "
                         f"({type(exc).__name__}: {first_line(exc)}); nothing was left in "
                         f"{args.out}") from None


def compare(run_folder: RunFolder, args: argparse.Namespace, out: TextIO, err: TextIO,
            started: float) -> int:
    """Run the comparison that ``args`` asks for; returns the exit status (0).

    Parameters
    ----------
    run_folder : RunFolder
        The run's new folder, not yet published.
    args : argparse.Namespace
        The parsed options of ``boostfocal compare`` (``args.argv``: the command line).
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
    _model.check_export(args.save_model, args.onnx)
    data, source, target = _load(args)
    _entries.check_backend(args.backend)
    settings = _settings(args)
    _crossval.splits(data.y, settings)  # early stopping's held-out rows: checked now
    notes = list(data.notes)
    if data.n_classes != 2:
        notes.append("GHM-C skipped: it is a binary loss")
    entries = _entries.make_entries(data.n_classes, settings.gammas, data.n_classes == 2)
    report = None if args.json else out

    def say(*lines: str) -> None:
        if report is not None:
            for line in lines:
                print(line, file=report)

    say(*_header(settings, data, source, target, len(entries)),
        *(f"note: {note}" for note in notes))
    out.flush()
    for warning in data.warnings:  # before training, on the terminal in every mode
        print(f"warning: {warning}", file=err)
    err.flush()

    results = _cross_validate(data, entries, settings, err)
    notes.extend(results.notes)
    say(*(f"note: {note}" for note in results.notes))
    tests = _verdict.tests_vs_logistic(results)
    summary = _verdict.summarize(results, tests)
    verdict = _verdict.verdict(results, summary, tests)
    n_tests = sum(t.p_adjusted is not None for t in tests.values())
    rounds = settings.early_stopping is not None
    say("", format_table(summary, rounds), table_note(settings, n_tests), "",
        *_verdict_lines(summary, verdict))
    return _finish(run_folder, args, out, err, started, data=data, source=source,
                   settings=settings, results=results, tests=tests, summary=summary,
                   verdict=verdict, notes=notes, say=say)


def _finish(run_folder: RunFolder, args, out, err, started: float, *, data, source,
            settings, results, tests, summary, verdict, notes,
            say: Callable[..., None]) -> int:
    """Save the model, write every file, publish the run folder and say where it is."""
    assert run_folder.tmp is not None
    folder = run_folder.tmp
    doc = results_doc(args, settings, data, source, summary, results, verdict, notes)
    title = Path(source).name if args.data is not None else "built-in demo"
    try:
        saved = None
        if args.save_model:
            saved = _save_model(folder, args, data, settings, results, verdict, err)
            doc["model"] = saved.as_dict()
            say(f"Saved the recommended entry, {saved.entry}, fitted on all rows: "
                f"{saved.file} ({saved.estimator})"
                + (f" and {saved.onnx_file}" if saved.onnx_file else ""),
                *(f"note: {n}" for n in saved.notes))
        names = write_results(folder, doc, summary, results)
        figure_notes: list[str] = []
        figures = write_figures(folder, data, results, summary, verdict, tests, settings,
                                title, lambda *lines: (figure_notes.extend(lines),
                                                       say(*lines)))
        n_tests = sum(t.p_adjusted is not None for t in tests.values())
        page = _html.Page(
            title=title, subtitle=f"{cv_text(settings)}, {settings.backend}",
            verdict_lines=_verdict_lines(summary, verdict),
            table=table_rows(summary, settings.early_stopping is not None),
            table_note=table_note(settings, n_tests),
            run=_run_table(args, settings, data, source, notes,
                           time.perf_counter() - started),
            statistics={"folds": settings.folds, "repeats": settings.repeats,
                        "tests": n_tests},
            model=doc.get("model"), figure_notes=figure_notes,
            rounds=_rounds_table(results) if settings.early_stopping is not None else None)
        report = _html.write_report(folder, page, figures)
        names += figures + [report] + ([saved.file] if saved else []) + (
            [saved.onnx_file] if saved and saved.onnx_file else [])
        final = run_folder.publish()
    except OSError as exc:
        raise WriteError(f"cannot write the results into {args.out} ({os_reason(exc)}); "
                         "nothing was left there") from None
    say(f"Results in {final}{os.sep}: {', '.join(names)}",
        f"Report: {final / report}",
        f"Done in {time.perf_counter() - started:.0f} s.")
    if args.json:
        doc.update(run_folder=str(final), files=[str(final / n) for n in names],
                   report=str(final / report))
        print(json.dumps(jsonable(doc)), file=out)
    return 0
