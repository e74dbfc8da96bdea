"""The arguments of the ``boostfocal`` command: the parser, its checks and its help text.

Standard library only, so that ``--help`` and bad options answer at once.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from .._config import config_line

_DEFAULT_GAMMAS = "0,0.5,1,2,5"
#: Default --repeats: the demo's recommendation is the same for seeds 0 to 4 (see the
#: README for the measurements that chose it).
DEFAULT_REPEATS = 3

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

statistics (the "AP vs logistic" column and its * marks): every entry is compared with
the logistic entry fold by fold, over all R x K folds (--repeats R reruns the K-fold split
with the rows shuffled anew). The folds' training sets overlap, so the plain standard
error of the mean difference is too small; the corrected one is
sd * sqrt(1/(R K) + n_test/n_train), and the difference divided by it is referred to
Student's t with R K - 1 degrees of freedom (the corrected repeated k-fold t-test:
Bouckaert & Frank, PAKDD 2004, extending Nadeau & Bengio, Machine Learning 2003). All
entries are tested at once, so the p-values are adjusted together (Holm 1979): "*" (beyond
noise) means an adjusted p-value below 0.05 as printed, and in a run where no entry truly
differs, no entry is marked in at least 95% of runs. Differences that print as 0.0000
are no difference ("negligible"; "identical" when every fold is exactly equal). Focal
gamma=0 without alpha is the logistic loss itself and is not tested.

recommendation: the best gamma by mean AP is the best of many and looks better than it
is. Focal loss is recommended only when a focal entry beats logistic after the
correction; of those that do, the simplest (smallest gamma, then alpha=None) whose AP is
within noise of the best of them. Otherwise: keep the logistic objective.

early stopping (--early-stopping R): every fit holds out the same seeded, stratified 10%
of its training fold, stops after R rounds without improvement of the log-loss of its
predicted probabilities there (predict_proba: the class posterior for the focal models;
one metric for every entry), and predicts with its best round; --n-estimators is the
ceiling. folds.csv and the report give the rounds each fit used.

saving the model (--save-model): after the comparison the recommended entry is fitted
on all rows (with early stopping: the median of its folds' rounds) and saved in the run
folder with save_model (XGBoost model.json, LightGBM model.txt): a boostfocal estimator,
or the booster's own classifier when logistic is recommended. results.json's "model"
names its class, settings and file; report.html shows the 3 lines that load it.
--onnx also writes model.onnx (needs the [onnx] extra: pip install "boostfocal[onnx]").

input: CSV/TSV (optionally compressed) or Parquet. Text columns become categorical
features (native categorical support of both boosters); missing values stay missing.
Identifier-like text columns (more distinct values than half their rows), empty columns
and date/time columns are left out, with a note. Repeated column names are refused (pandas
would read a second "y" as a feature "y.1"). A column that looks like a copy of the target
(its name is the target's up to spaces and case, it equals the target up to relabelling,
or alone it predicts a binary target with ROC AUC >= 0.999) is named in a warning before
training and in results.json; --drop COL leaves it out.

output: each run writes a NEW folder inside --out, run-001, run-002, ... (the number
after the highest one there), holding report.html (everything in one self-contained page
that opens offline and prints), summary.csv and folds.csv (per-fold rows), results.json
(settings, summary, per-fold rows, recommendation), pr_curves.png, ap_vs_gamma.png,
reliability.png and ap_differences.png (figures need matplotlib: pip install
"boostfocal[plot]"), and with --save-model the model file. The files are written into a
hidden temporary folder in --out and renamed into place when complete: an interrupted or
failed run leaves no run folder, and nothing already in --out (your data, other files,
symbolic links) is written to or removed. With --json, stdout is one line of JSON
(results.json plus "run_folder", "files" and "report", the path of report.html) instead
of the report. Progress goes to stderr: a bar on a terminal, otherwise one line per
finished entry.

exit status: 0 on success; 2 on bad input or options, checked before training (one-line
message on stderr); 1 when writing the results failed (nothing is left behind) or the
output pipe was closed; 130 when interrupted (Ctrl-C) and 143 when terminated
(SIGTERM), at any moment, with one line on stderr and no run folder left behind.
"""


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


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _int_between(low: int, high: int):
    def parse(text: str) -> int:
        value = _integer(text)
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


def _columns(text: str) -> list[str]:
    names = text.split(",")  # as written: a column may be called "y " (a leaked copy)
    if not all(name.strip() for name in names):
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got "
                                         f"{text!r}")
    return names


def _n_jobs(text: str) -> int:
    value = _integer(text)
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
    compare.add_argument("--repeats", type=_int_at_least(1), default=DEFAULT_REPEATS,
                         metavar="R",
                         help="repeats of the K-fold split, rows shuffled anew each time "
                              f"(default: {DEFAULT_REPEATS}; see statistics below)")
    compare.add_argument("--n-estimators", type=_int_at_least(1), default=200, metavar="N",
                         help="boosting rounds for every entry; with --early-stopping the "
                              "ceiling (default: 200)")
    compare.add_argument("--early-stopping", type=_int_at_least(1), default=None,
                         metavar="R",
                         help="stop each fit after R rounds without improvement on a "
                              "held-out 10%% of its training fold (default: off)")
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
    compare.add_argument("--drop", type=_columns, action="extend", metavar="COL[,COL...]",
                         help="columns of DATA to leave out (e.g. a copy of the target "
                              "that compare warns about); may be repeated")
    compare.add_argument("--save-model", action="store_true",
                         help="fit the recommended entry on all rows and save it in the "
                              "run folder (see below)")
    compare.add_argument("--onnx", action="store_true",
                         help='with --save-model, also write model.onnx (needs '
                              '"boostfocal[onnx]")')
    compare.add_argument("--json", action="store_true",
                         help="print the results as one line of JSON on stdout instead of "
                              "the report (for scripts)")
    return parser
