"""The ``boostfocal`` command line.

``boostfocal compare [DATA] --target COLUMN`` answers "will focal loss help on my data,
and with which gamma?": it cross-validates the built-in logistic (softmax) objective, the
same with class weights, focal loss over a grid of gamma (with ``focal_alpha=None`` and
``"balanced"``) and GHM-C on the same stratified folds, prints a table with the paired
noise check, and writes the per-fold results and figures. Without DATA it runs on a
generated imbalanced demo. See :mod:`boostfocal._compare` for what exactly is compared
and how "within noise" is decided.

Where results go: every run writes a **new** folder ``run-001``, ``run-002``, ... inside
``--out`` (the next number after the highest one there; the name is claimed with an
exclusive ``mkdir``, so concurrent runs never share one). The files are written into a
hidden temporary folder inside ``--out`` and renamed into place when all of them are
complete, so an interrupted or failed run leaves no run folder at all, and nothing that
was in ``--out`` before (the input file, other files, symbolic links) is ever written to,
followed or removed. Everything is checked before training (options, ``--out`` by
creating and removing a probe folder, the data), and Ctrl-C at any moment ends the command
with one line and exit status 130.

Run ``boostfocal compare --help`` (or ``python -m boostfocal compare --help``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from .._config import config_line

_DEFAULT_GAMMAS = "0,0.5,1,2,5"

_EPILOG = """\
what is compared (same stratified folds and booster settings for every entry; with
XGBoost that includes min_child_weight=0.01, the default of boostfocal's estimators, for
the built-in baselines too, so that focal gamma=0 reproduces the logistic entry):
  logistic                  the booster's built-in logistic (softmax) objective
  logistic, class-weighted  the same with class weights: scale_pos_weight = W0/W1 per
                            training fold (binary XGBoost), class_weight="balanced"
                            (LightGBM), balanced sample weights (multiclass XGBoost)
  GHM-C (10 bins)           GHMXGBClassifier / GHMLGBMClassifier (binary only)
  focal gamma=G             FocalXGBClassifier / FocalLGBMClassifier, focal_alpha=None
  focal gamma=G, alpha=balanced   focal_alpha="balanced" (alpha = W0/(W0+W1); multiclass
                            alpha_k = W/(K W_k))

metrics (mean ± std over folds, from predict_proba, which is the class posterior for the
focal models): average precision and ROC AUC (macro one-vs-rest for multiclass),
log-loss, Brier score (multiclass: summed squared error to the one-hot label), fit time.

noise rule: an entry is compared with the logistic baseline (and gammas with each other)
by the paired per-fold differences in average precision; their standard error is
sd * sqrt(1/k + n_test/n_train) (Nadeau & Bengio's correction for overlapping training
sets). A difference below 2 SE is "within noise", judged on the ratio as printed (one
decimal: "2.0 SE" is always beyond noise); differences that print as 0.0000 (below
0.00005) are no difference ("negligible"; "identical" when every fold is exactly equal).

input: CSV/TSV (optionally compressed) or Parquet. Text columns become categorical
features (native categorical support of both boosters); missing values stay missing.
Identifier-like text columns (more distinct values than half their rows), empty columns
and date/time columns are left out, with a note. Repeated column names are refused (pandas
would read a second "y" as a feature "y.1").

output: each run writes a NEW folder inside --out, run-001, run-002, ... (the number
after the highest one there), holding summary.csv and folds.csv (per-fold rows),
results.json (settings, summary, per-fold rows, recommendation), pr_curves.png,
ap_vs_gamma.png and reliability.png (figures need matplotlib: pip install
"boostfocal[plot]"). The files are written into a hidden temporary folder in --out and
renamed into place when complete: an interrupted or failed run leaves no run folder, and
nothing already in --out (your data, other files, symbolic links) is written to or
removed. With --json, stdout is one line of JSON (results.json plus "run_folder" and
"files") instead of the report. Progress goes to stderr: a bar on a terminal, otherwise
one line per finished entry.

exit status: 0 on success; 2 on bad input or options, checked before training (one-line
message on stderr); 1 when writing the results failed (nothing is left behind) or the
output pipe was closed; 130 when interrupted (Ctrl-C).
"""


# --------------------------------------------------------------------------- arguments
def _gammas(text: str) -> list[float]:
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            value = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not a number (expected comma-separated numbers >= 0, "
                f"e.g. {_DEFAULT_GAMMAS})") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"gamma must be a finite number >= 0, got {item}")
        values.append(value)
    return sorted(set(values))


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _int_between(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low} to {high}, got {value}")
        return value

    return parse


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder (use --out . for the current "
                                         "folder)")
    return Path(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be -1 (all cores) or at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``boostfocal`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="boostfocal",
        description="Focal loss and GHM-C for XGBoost and LightGBM: command-line tools.")
    parser.add_argument("--version", action="version", version=config_line())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    compare = sub.add_parser(
        "compare", help="will focal loss help on my data, and with which gamma?",
        description="Cross-validate the logistic objective, class weighting, focal loss "
                    "over a gamma grid and GHM-C on the same folds, and recommend one.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    compare.add_argument("data", nargs="?", metavar="DATA",
                         help="CSV/TSV or Parquet file; omit it to run the built-in demo")
    compare.add_argument("--target", "-t", metavar="COLUMN",
                         help="name of the target column (required with DATA)")
    compare.add_argument("--backend", choices=("xgboost", "lightgbm"), default="xgboost",
                         help="booster library (default: xgboost)")
    compare.add_argument("--folds", type=_int_at_least(2), default=5, metavar="K",
                         help="number of stratified CV folds, >= 2 (default: 5)")
    compare.add_argument("--gammas", type=_gammas, default=_gammas(_DEFAULT_GAMMAS),
                         metavar="G,G,...",
                         help=f"focal gamma grid, numbers >= 0 (default: {_DEFAULT_GAMMAS})")
    compare.add_argument("--out", "-o", type=_out_dir, default=Path("boostfocal-compare"),
                         metavar="DIR",
                         help="folder in which each run writes a new run-NNN folder of "
                              "results and figures (default: ./boostfocal-compare)")
    compare.add_argument("--n-estimators", type=_int_at_least(1), default=200, metavar="N",
                         help="boosting rounds for every entry (default: 200)")
    compare.add_argument("--learning-rate", type=_positive_float, default=0.1, metavar="LR",
                         help="learning rate for every entry (default: 0.1)")
    compare.add_argument("--seed", type=_int_between(0, 2**32 - 1), default=0, metavar="S",
                         help="seed of the fold split and the boosters, 0 to 2**32-1 "
                              "(default: 0)")
    compare.add_argument("--positive", metavar="LABEL",
                         help="binary targets: the positive class for average precision "
                              "(default: the minority class)")
    compare.add_argument("--n-jobs", "-j", type=_n_jobs, default=1, metavar="J",
                         help="fits to run in parallel processes, -1 for all cores "
                              "(default: 1)")
    compare.add_argument("--threads", type=_int_at_least(1), default=1, metavar="T",
                         help="threads per booster fit (default: 1; keep J x T <= cores)")
    compare.add_argument("--json", action="store_true",
                         help="print the results as one line of JSON on stdout instead of "
                              "the report (for scripts)")
    return parser


# --------------------------------------------------------------------------- output
def _pm(mean: float, std: float, digits: int = 4) -> str:
    return f"{mean:.{digits}f}±{std:.{digits}f}"


def format_table(summary) -> str:
    """The summary as an aligned text table, one row per entry.

    Parameters
    ----------
    summary : DataFrame
        As returned by :func:`boostfocal._compare.summarize`.

    Returns
    -------
    str
    """
    header = ["entry", "avg precision", "AP vs logistic", "ROC AUC", "log-loss", "Brier",
              "fit s"]
    rows = []
    for row in summary.to_dict("records"):
        rows.append([row["entry"],
                     _pm(row["average_precision_mean"], row["average_precision_std"]),
                     row["ap_diff_shown"],
                     _pm(row["roc_auc_mean"], row["roc_auc_std"]),
                     _pm(row["log_loss_mean"], row["log_loss_std"]),
                     _pm(row["brier_mean"], row["brier_std"]),
                     f"{row['fit_seconds_mean']:.2f}"])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [str(r[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Progress:
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
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------- run folder
@contextlib.contextmanager
def _no_interrupt():
    """Ignore Ctrl-C inside the block (main thread only).

    So that the move into place and the clean-up always finish.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT,
                      previous if previous is not None else signal.default_int_handler)


class _UsageError(Exception):
    """A bad option, or an ``--out`` that cannot take a run folder: a one-line message."""


class _RunFolder:
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
            raise _UsageError(f"--out {out}: cannot write there ({_reason(exc)})") from None
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
            raise _UsageError(f"--out {self.out} exists and is {what}")

    def publish(self) -> Path:
        """Move the finished files into place as the next free ``run-NNN``; returns it."""
        assert self.tmp is not None
        with _no_interrupt():
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
        with _no_interrupt():
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
            for path in reversed(self._created):
                try:
                    os.rmdir(path)
                except OSError:
                    break
            self._created = []


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


# --------------------------------------------------------------------------- compare
def _compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    if args.data is None:
        if args.target is not None:
            raise _UsageError("--target is for your own DATA; the built-in demo has its "
                              "own target (give a DATA file, or drop --target)")
        if args.positive is not None:
            raise _UsageError("--positive is for your own DATA")
    elif args.target is None:
        raise _UsageError("--target COLUMN is required with DATA (the name of the column "
                          "to predict)")
    run_folder = _RunFolder(args.out)  # checks --out first: it is quick
    try:
        with warnings.catch_warnings():
            # joblib's note on Ctrl-C with --n-jobs: tasks cancelled (that is the point)
            warnings.filterwarnings("ignore", message=r"\d+ tasks which were still being "
                                    "processed", category=UserWarning)
            return _compare_into(run_folder, args, out, err, started)
    finally:
        run_folder.discard()  # nothing left once published; everything otherwise


def _compare_into(run_folder: _RunFolder, args: argparse.Namespace, out: TextIO,
                  err: TextIO, started: float) -> int:
    try:
        from . import _engine as cmp
    except ImportError as exc:
        raise _UsageError('the compare command needs pandas: pip install "boostfocal[cli]" '
                          f"({_first_line(exc)})") from None
    try:
        return _compare_run(cmp, run_folder, args, out, err, started)
    except cmp.CompareError as exc:
        raise _UsageError(str(exc)) from None


def _compare_run(cmp, run_folder: _RunFolder, args: argparse.Namespace, out: TextIO,
                 err: TextIO, started: float) -> int:
    if args.data is None:
        data, name = cmp.demo_data()
        cmp.check_folds(_class_counts(data), data.labels, args.folds, "target")
        source, target = name, None
    else:
        table = cmp.read_table(args.data)
        data = cmp.prepare(table, args.target, args.folds, args.positive,
                           source=Path(args.data).name)
        source, target = str(args.data), args.target
    cmp.check_backend(args.backend)

    settings = cmp.Settings(backend=args.backend, folds=args.folds, gammas=args.gammas,
                            n_estimators=args.n_estimators,
                            learning_rate=args.learning_rate, seed=args.seed,
                            n_jobs=args.n_jobs, threads=args.threads)
    notes = list(data.notes)
    binary = data.n_classes == 2
    if not binary:
        notes.append("GHM-C skipped: it is a binary loss")
    entries = cmp.make_entries(data.n_classes, settings.gammas, binary)
    report = None if args.json else out

    def say(*lines: str) -> None:
        if report is not None:
            for line in lines:
                print(line, file=report)

    say(f"boostfocal compare: {cmp.describe(data, source, target)}",
        f"{args.backend}, {settings.folds}-fold stratified CV (seed {settings.seed}), "
        f"{settings.n_estimators} trees at learning rate {settings.learning_rate:g}; "
        f"gamma grid {', '.join(cmp.format_gamma(g) for g in settings.gammas)}; "
        f"{len(entries)} entries x {settings.folds} folds")
    if args.backend == "xgboost":
        say(f"min_child_weight={cmp.xgboost_min_child_weight():g} for every entry "
            "(boostfocal's focal default; see --help)")
    say(*(f"note: {note}" for note in notes))
    out.flush()

    progress = _Progress(entries, settings.folds, err)
    try:
        results = cmp.run(data, entries, settings, progress)
    finally:
        progress.close()
    notes.extend(results.notes)
    say(*(f"note: {note}" for note in results.notes))
    summary = cmp.summarize(results)
    verdict = cmp.verdict(results, summary)

    say("", format_table(summary),
        f"mean±std over {settings.folds} folds. AP vs logistic: mean paired per-fold "
        "difference (its size in standard errors, corrected for overlapping training "
        f"sets);\n* = beyond fold-to-fold noise (|diff| >= {cmp.NOISE_SE:.1f} SE).", "")
    if verdict is not None:
        say(verdict.best_line, verdict.recommendation)
        overall = summary.set_index("entry")["average_precision_mean"]
        if overall[verdict.best_overall] > overall[verdict.best]:
            say(f"(Highest mean AP of all entries: {verdict.best_overall}.)")
    if "logistic, class-weighted" in set(summary["entry"]):
        say("Class-weighted probabilities describe the re-weighted data, so their "
            "log-loss and Brier are not comparable as calibration.")

    doc = _results_doc(args, settings, data, source, summary, results, verdict, notes)
    title = Path(source).name if args.data is not None else "built-in demo"
    assert run_folder.tmp is not None
    try:
        names = _write_results(run_folder.tmp, doc, summary, results)
        try:
            from . import _plots as _compare_plots
            _compare_plots._pyplot()
        except ImportError:
            say('Figures skipped: matplotlib is not installed '
                '(pip install "boostfocal[plot]").')
        else:
            names += _write_figures(run_folder.tmp, data, results, summary, verdict,
                                    settings.folds, title, say)
        final = run_folder.publish()
    except OSError as exc:
        raise _WriteError(f"cannot write the results into {args.out} ({_reason(exc)}); "
                          "nothing was left there") from None
    say(f"Results in {final}{os.sep}: {', '.join(names)}",
        f"Done in {time.perf_counter() - started:.0f} s.")
    if args.json:
        doc.update(run_folder=str(final), files=[str(final / n) for n in names])
        print(json.dumps(_jsonable(doc)), file=out)
    return 0


def _write_figures(folder: Path, data, results, summary, verdict, folds: int, title: str,
                   say) -> list[str]:
    """The figures; a plotting failure skips them all (with a note), not the results."""
    from . import _plots as _compare_plots

    try:
        return [p.name for p in _compare_plots.write_figures(
            folder, data, results.oof, summary, verdict, folds, title)]
    except OSError:
        raise
    except Exception as exc:
        for path in folder.glob("*.png"):
            path.unlink()
        say(f"Figures skipped: plotting failed ({type(exc).__name__}: {exc}).")
        return []


class _WriteError(Exception):
    """Writing the results failed after the run (exit status 1)."""


def _class_counts(data) -> list[int]:
    return [int((data.y == i).sum()) for i in range(data.n_classes)]


def _results_doc(args, settings, data, source, summary, results, verdict,
                 notes) -> dict[str, Any]:
    from . import _engine as cmp

    doc = {
        "boostfocal_version": __version__,
        "data": {"source": source, "target": args.target, "rows": int(data.X.shape[0]),
                 "features": int(data.X.shape[1]), "classes": data.labels,
                 "class_counts": _class_counts(data),
                 "categorical_columns": data.categorical},
        "settings": asdict(settings),
        "booster_params": cmp.booster_params(settings.backend, settings.n_estimators,
                                             settings.learning_rate, settings.seed,
                                             settings.threads, bool(data.categorical)),
        "noise_rule": (f"paired per-fold differences d in average precision; "
                       f"SE = sd(d) * sqrt(1/k + n_test/n_train) (Nadeau & Bengio 2003); "
                       f"within noise when |mean(d)|/SE, rounded to one decimal, is below "
                       f"{cmp.NOISE_SE:g}, or |mean(d)| < {cmp.NEGLIGIBLE_AP:g}"),
        "notes": notes,
        "summary": summary.to_dict("records"),
        "folds": results.fold_rows.to_dict("records"),
    }
    if verdict is not None:
        doc["best"] = {"entry": verdict.best, "gamma": verdict.best_gamma,
                       "alpha": verdict.best_alpha,
                       "ap_diff_vs_logistic": verdict.vs_logistic.diff,
                       "ap_diff_se": verdict.vs_logistic.se,
                       "within_noise": verdict.vs_logistic.within_noise,
                       "gammas_within_noise_of_best": verdict.gammas_within_noise,
                       "best_overall": verdict.best_overall}
        doc["recommendation"] = verdict.recommendation
    return doc


def _write_results(folder: Path, doc: dict[str, Any], summary, results) -> list[str]:
    """Write the tables and results.json into the (new, private) ``folder``."""
    with open(folder / "summary.csv", "x", newline="", encoding="utf-8") as fh:
        summary.to_csv(fh, index=False)
    with open(folder / "folds.csv", "x", newline="", encoding="utf-8") as fh:
        results.fold_rows.to_csv(fh, index=False)
    with open(folder / "results.json", "x", encoding="utf-8") as fh:
        fh.write(json.dumps(_jsonable(doc), indent=2) + "\n")
    return ["summary.csv", "folds.csv", "results.json"]


# --------------------------------------------------------------------------- main
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
        interrupted (Ctrl-C, at any moment: one line on stderr, no traceback).
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        with _no_interrupt():
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            print("boostfocal: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and the error (or --help)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        try:
            return _compare(args, sys.stdout, sys.stderr)
        except _UsageError as exc:
            sys.stdout.flush()
            print(f"boostfocal compare: error: {exc}", file=sys.stderr)
            return 2
        except _WriteError as exc:
            sys.stdout.flush()
            print(f"boostfocal compare: error: {exc}", file=sys.stderr)
            return 1
    except BrokenPipeError:  # output piped into `head` and the like
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
