"""The ``boostfocal`` command line.

``boostfocal compare [DATA] --target COLUMN`` answers "will focal loss help on my data,
and with which gamma?": it cross-validates the built-in logistic (softmax) objective, the
same with class weights, focal loss over a grid of gamma (with ``focal_alpha=None`` and
``"balanced"``) and GHM-C on the same stratified folds, prints a table with the paired
noise check, and writes the per-fold results and figures. Without DATA it runs on a
generated imbalanced demo. See :mod:`boostfocal._compare` for what exactly is compared
and how "within noise" is decided.

Run ``boostfocal compare --help`` (or ``python -m boostfocal compare --help``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from ._config import config_line

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
sets). A difference below 2 SE is "within noise".

input: CSV/TSV (optionally compressed) or Parquet. Text columns become categorical
features (native categorical support of both boosters); missing values stay missing.
Identifier-like text columns (more distinct values than half their rows), empty columns
and date/time columns are left out, with a note.

output (in --out): summary.csv and folds.csv (per-fold rows), results.json (settings,
summary, per-fold rows, recommendation), pr_curves.png, ap_vs_gamma.png and
reliability.png (figures need matplotlib: pip install "boostfocal[plot]").

exit status: 0 on success, 2 on bad input or options (one-line message on stderr).
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
    compare.add_argument("--out", "-o", type=Path, default=Path("boostfocal-compare"),
                         metavar="DIR",
                         help="directory for results and figures "
                              "(default: ./boostfocal-compare)")
    compare.add_argument("--n-estimators", type=_int_at_least(1), default=200, metavar="N",
                         help="boosting rounds for every entry (default: 200)")
    compare.add_argument("--learning-rate", type=_positive_float, default=0.1, metavar="LR",
                         help="learning rate for every entry (default: 0.1)")
    compare.add_argument("--seed", type=int, default=0, metavar="S",
                         help="seed of the fold split and the boosters (default: 0)")
    compare.add_argument("--positive", metavar="LABEL",
                         help="binary targets: the positive class for average precision "
                              "(default: the minority class)")
    compare.add_argument("--n-jobs", "-j", type=_n_jobs, default=1, metavar="J",
                         help="fits to run in parallel processes, -1 for all cores "
                              "(default: 1)")
    compare.add_argument("--threads", type=_int_at_least(1), default=1, metavar="T",
                         help="threads per booster fit (default: 1; keep J x T <= cores)")
    return parser


# --------------------------------------------------------------------------- output
def _pm(mean: float, std: float, digits: int = 4) -> str:
    return f"{mean:.{digits}f}±{std:.{digits}f}"


def _vs_logistic(row: dict[str, Any]) -> str:
    if row["kind"] == "logistic":
        return "reference"
    diff, se = row["ap_diff"], row["ap_diff_se"]
    if se > 0:
        ratio = f"{abs(diff) / se:.1f} SE"
    else:
        ratio = "tie" if diff == 0 else "no spread"
    mark = "" if row["within_noise"] else " *"
    return f"{diff:+.4f} ({ratio}){mark}"


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
                     _vs_logistic(row),
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


class _Progress:
    """A tqdm bar over folds x entries on stderr.

    Silent when stderr is not a terminal (tqdm's ``disable=None``) or when tqdm is not
    installed.
    """

    def __init__(self, total: int, stream: TextIO) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._bar = None
            return
        self._bar = tqdm(total=total, unit="fit", desc="cross-validating", file=stream,
                         disable=None, leave=False, dynamic_ncols=True)

    def __call__(self, entry) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(entry.name, refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------- compare
def _compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import _compare as cmp

    started = time.perf_counter()
    if args.data is None:
        if args.target is not None:
            raise cmp.CompareError("--target is for your own DATA; the built-in demo has "
                                   "its own target (give a DATA file, or drop --target)")
        if args.positive is not None:
            raise cmp.CompareError("--positive is for your own DATA")
        data, name = cmp.demo_data()
        source = name
        target = None
    else:
        if args.target is None:
            raise cmp.CompareError("--target COLUMN is required with DATA (the name of the "
                                   "column to predict)")
        table = cmp.read_table(args.data)
        data = cmp.prepare(table, args.target, args.folds, args.positive,
                           source=Path(args.data).name)
        source, target = str(args.data), args.target
    if args.out.exists() and not args.out.is_dir():
        raise cmp.CompareError(f"--out {args.out} exists and is not a directory")
    cmp.check_backend(args.backend)

    settings = cmp.Settings(backend=args.backend, folds=args.folds, gammas=args.gammas,
                            n_estimators=args.n_estimators,
                            learning_rate=args.learning_rate, seed=args.seed,
                            n_jobs=args.n_jobs, threads=args.threads)
    notes = list(data.notes)
    binary = data.n_classes == 2
    ghm = cmp.ghm_class(args.backend)
    if not binary:
        notes.append("GHM-C skipped: it is a binary loss")
    elif ghm is None:
        notes.append(f"GHM-C skipped: this boostfocal has no "
                     f"{'GHMXGBClassifier' if args.backend == 'xgboost' else 'GHMLGBMClassifier'}")
    native_balanced = cmp.balanced_supported(args.backend, data.n_classes)
    if native_balanced:
        balanced_how = 'focal_alpha="balanced"'
    else:
        balanced_how = ("explicit alpha computed per training fold (this boostfocal's "
                        'estimator does not accept focal_alpha="balanced")')
    entries = cmp.make_entries(data.n_classes, settings.gammas, binary and ghm is not None)

    print(f"boostfocal compare: {cmp.describe(data, source, target)}", file=out)
    print(f"{args.backend}, {settings.folds}-fold stratified CV (seed {settings.seed}), "
          f"{settings.n_estimators} trees at learning rate {settings.learning_rate:g}; "
          f"gamma grid {', '.join(cmp.format_gamma(g) for g in settings.gammas)}; "
          f"{len(entries)} entries x {settings.folds} folds", file=out)
    if args.backend == "xgboost":
        print(f"min_child_weight={cmp.xgboost_min_child_weight():g} for every entry "
              "(boostfocal's focal default; see --help)", file=out)
    print(f"alpha=balanced: {balanced_how}", file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    out.flush()

    progress = _Progress(len(entries) * settings.folds, err)
    try:
        results = cmp.run(data, entries, settings, native_balanced, progress)
    finally:
        progress.close()
    notes.extend(results.notes)
    for note in results.notes:
        print(f"note: {note}", file=out)
    summary = cmp.summarize(results)
    verdict = cmp.verdict(results, summary)

    print("", file=out)
    print(format_table(summary), file=out)
    print(f"mean±std over {settings.folds} folds. AP vs logistic: mean paired per-fold "
          "difference (its size in standard errors, corrected for overlapping training "
          f"sets);\n* = beyond fold-to-fold noise (|diff| >= {cmp.NOISE_SE:g} SE).",
          file=out)
    print("", file=out)
    if verdict is not None:
        print(verdict.best_line, file=out)
        print(verdict.recommendation, file=out)
        if verdict.best_overall != verdict.best:
            print(f"(Highest mean AP of all entries: {verdict.best_overall}.)", file=out)
    class_weighted = "logistic, class-weighted" in set(summary["entry"])
    if class_weighted:
        print("Class-weighted probabilities describe the re-weighted data, so their "
              "log-loss and Brier are not comparable as calibration.", file=out)

    args.out.mkdir(parents=True, exist_ok=True)
    written = _write_results(args, settings, data, source, summary, results, verdict, notes,
                             native_balanced)
    title = Path(source).name if args.data is not None else "built-in demo"
    try:
        from . import _compare_plots
        _compare_plots._pyplot()
    except ImportError:
        print('Figures skipped: matplotlib is not installed (pip install "boostfocal[plot]").',
              file=out)
    else:
        written += _compare_plots.write_figures(args.out, data, results.oof, summary,
                                                verdict, settings.folds, title)
    print(f"Wrote {', '.join(str(p) for p in written)}", file=out)
    print(f"Done in {time.perf_counter() - started:.0f} s.", file=out)
    return 0


def _write_results(args, settings, data, source, summary, results, verdict, notes,
                   native_balanced) -> list[Path]:
    from . import _compare as cmp

    folds_csv = args.out / "folds.csv"
    summary_csv = args.out / "summary.csv"
    results.fold_rows.to_csv(folds_csv, index=False)
    summary.to_csv(summary_csv, index=False)
    counts = [int((data.y == i).sum()) for i in range(data.n_classes)]
    doc = {
        "boostfocal_version": __version__,
        "data": {"source": source, "target": args.target, "rows": int(data.X.shape[0]),
                 "features": int(data.X.shape[1]), "classes": data.labels,
                 "class_counts": counts, "categorical_columns": data.categorical},
        "settings": asdict(settings),
        "booster_params": cmp.booster_params(settings.backend, settings.n_estimators,
                                             settings.learning_rate, settings.seed,
                                             settings.threads, bool(data.categorical)),
        "alpha_balanced": "focal_alpha='balanced'" if native_balanced
        else "explicit per-fold alpha",
        "noise_rule": (f"paired per-fold differences d in average precision; "
                       f"SE = sd(d) * sqrt(1/k + n_test/n_train) (Nadeau & Bengio 2003); "
                       f"within noise when |mean(d)| < {cmp.NOISE_SE:g} SE"),
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
    results_json = args.out / "results.json"
    results_json.write_text(json.dumps(_jsonable(doc), indent=2) + "\n")
    return [summary_csv, folds_csv, results_json]


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
        stderr), 130 when interrupted, 1 when the output pipe was closed.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and the error
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from ._compare import CompareError

    try:
        return _compare(args, sys.stdout, sys.stderr)
    except CompareError as exc:
        sys.stdout.flush()
        print(f"boostfocal compare: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("boostfocal compare: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
