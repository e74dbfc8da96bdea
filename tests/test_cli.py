"""`boostfocal compare`: the command line, its output and files, and every bad input.

Runs stay small (a few hundred rows, 20 trees, 3 folds, gammas 0 and 2) so that the whole
file takes well under a minute on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from boostfocal import _compare
from boostfocal.cli import main

SMALL = ["--n-estimators", "20", "--folds", "3", "--gammas", "0,2"]
FIGURES = ("pr_curves.png", "ap_vs_gamma.png", "reliability.png")


def _ghm_available(backend: str) -> bool:
    return _compare.ghm_class(backend) is not None


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small generated tables: binary and multiclass, with a text column, missing values
    and an identifier-like column; plus every kind of bad input."""
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    n = 450
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    z = x1 + 1.0 * (city == "nice") + 0.5 * rng.normal(size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "city": city,
                          "row_id": [f"id{i:05d}" for i in range(n)]})
    frame.loc[::9, "x1"] = np.nan
    frame.loc[::11, "city"] = None
    binary = frame.assign(churn=np.where(z > 1.6, "yes", "no"))
    binary.to_csv(d / "binary.csv", index=False)
    multi = frame.assign(grade=np.where(z > 1.4, "C", np.where(z > 0, "B", "A")))
    multi.to_csv(d / "multi.csv", index=False)
    small = pd.DataFrame({"x": rng.normal(size=60), "y": ["a"] * 57 + ["b"] * 3})
    small.to_csv(d / "few.csv", index=False)
    small.assign(y=["a"] * 59 + ["b"]).to_csv(d / "single.csv", index=False)
    small.assign(y="a").to_csv(d / "one_class.csv", index=False)
    small.assign(y=rng.normal(size=60)).to_csv(d / "continuous.csv", index=False)
    (d / "garbage.csv").write_bytes(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    (d / "garbage.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4)
    (d / "table.xlsx").write_text("x,y\n1,a\n")
    return d


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- good runs
def test_binary_csv_with_categoricals_and_missing_values(files, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", out_dir, *SMALL)
    assert code == 0, err
    assert err == ""  # no progress bar (stderr is not a terminal), no warnings

    # the header says what was read and how
    assert "binary.csv: 450 rows x 3 features; 1 categorical" in out
    assert "missing values" in out
    assert "positive class 'yes'" in out  # the minority class
    assert "ignored identifier-like text columns" in out and "row_id" in out

    # one table row per entry, in order
    names = ["logistic", "logistic, class-weighted", "focal gamma=0", "focal gamma=2",
             "focal gamma=0, alpha=balanced", "focal gamma=2, alpha=balanced"]
    if _ghm_available("xgboost"):
        names.insert(2, "GHM-C (10 bins)")
    else:
        assert "GHM-C skipped" in out
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split()[:3] == ["entry", "avg", "precision"]
    assert [line[:30].rstrip() for line in table[2:2 + len(names)]] == names
    assert "reference" in table[2]
    assert "Best gamma by mean average precision:" in out
    assert "Recommendation:" in out

    # files: per-fold rows, summary, JSON, figures
    folds = pd.read_csv(out_dir / "folds.csv")
    assert len(folds) == 3 * len(names)
    assert list(folds["entry"].unique()) == names
    assert all(sorted(part) == [1, 2, 3] for _, part in folds.groupby("entry")["fold"])
    assert folds["average_precision"].between(0, 1).all()
    assert folds["roc_auc"].between(0.5, 1).all()
    assert (folds["n_train"] + folds["n_test"] == 450).all()
    summary = pd.read_csv(out_dir / "summary.csv")
    mean_ap = folds.groupby("entry", sort=False)["average_precision"].mean()
    np.testing.assert_allclose(summary.set_index("entry").loc[names,
                                                              "average_precision_mean"],
                               mean_ap.loc[names])
    # same folds and tree settings (min_child_weight included): gamma=0 is the logistic loss
    assert summary.set_index("entry").loc["focal gamma=0", "average_precision_mean"] == \
        pytest.approx(mean_ap.loc["logistic"], abs=0.005)
    doc = json.loads((out_dir / "results.json").read_text())
    assert doc["booster_params"]["min_child_weight"] == 0.01
    assert doc["booster_params"]["enable_categorical"] is True
    assert doc["data"]["categorical_columns"] == ["city"]
    assert doc["data"]["classes"] == ["no", "yes"]
    assert doc["best"]["gamma"] in (0.0, 2.0)
    assert doc["recommendation"].startswith("Recommendation:")
    assert "sqrt(1/k + n_test/n_train)" in doc["noise_rule"]
    for name in FIGURES:
        assert (out_dir / name).stat().st_size > 10_000
    assert f"Wrote {out_dir / 'summary.csv'}" in out


def test_multiclass_lightgbm(files, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", files / "multi.csv", "--target", "grade",
                          "--backend", "lightgbm", "--out", out_dir, *SMALL)
    assert code == 0, err
    assert "3 classes ('A'" in out
    assert "GHM-C skipped: it is a binary loss" in out
    summary = pd.read_csv(out_dir / "summary.csv").set_index("entry")
    assert "GHM-C (10 bins)" not in summary.index
    # same folds and settings for every entry: focal gamma=0 is LightGBM's own softmax
    assert summary.loc["focal gamma=0", "average_precision_mean"] == pytest.approx(
        summary.loc["logistic", "average_precision_mean"], abs=0.01)
    # multiclass Brier sums over classes, so it can exceed 0.25
    assert (summary["brier_mean"] > 0).all() and (summary["brier_mean"] < 2).all()
    for name in FIGURES:
        assert (out_dir / name).exists()


def test_builtin_demo_runs_without_data(tmp_path, capsys):
    code, out, err = _run(capsys, "compare", "--out", tmp_path, "--n-estimators", "5",
                          "--folds", "2", "--gammas", "1")
    assert code == 0, err
    assert "built-in demo (generated by scikit-learn make_classification" in out
    assert "20,000 rows x 20 features" in out
    assert "Recommendation:" in out
    data, _ = _compare.demo_data()
    assert 0.02 <= data.y.mean() <= 0.03


def test_balanced_alpha_fallback_matches_native(files):
    """Without estimator support the same alpha is passed explicitly, per fold."""
    if not _compare.balanced_supported("xgboost", 2):
        pytest.skip("the focal estimator has no focal_alpha='balanced' to compare with")
    data = _compare.prepare(_compare.read_table(files / "binary.csv"), "churn", 2)
    settings = _compare.Settings(folds=2, gammas=[2.0], n_estimators=10)
    entries = [_compare.Entry("logistic"), _compare.Entry("focal", 2.0, True)]
    native = _compare.run(data, entries, settings, native_balanced=True)
    explicit = _compare.run(data, entries, settings, native_balanced=False)
    np.testing.assert_allclose(native.fold_rows["log_loss"], explicit.fold_rows["log_loss"],
                               rtol=1e-6)


def test_console_module_in_a_subprocess(files, tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "boostfocal", "compare", str(files / "binary.csv"),
         "--target", "churn", "--out", str(tmp_path), "--n-estimators", "5", "--folds", "2",
         "--gammas", "2"],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Recommendation:" in res.stdout
    assert "focal gamma=2, alpha=balanced" in res.stdout
    assert "\r" not in res.stdout + res.stderr  # no progress bar redraws in a pipe
    assert (tmp_path / "results.json").exists()


def test_figures_skipped_without_matplotlib(files, tmp_path):
    code = f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        from boostfocal.cli import main
        sys.exit(main(["compare", {str(files / "binary.csv")!r}, "--target", "churn",
                       "--out", {str(tmp_path)!r}, "--n-estimators", "5", "--folds", "2",
                       "--gammas", "2"]))
    """
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert 'Figures skipped: matplotlib is not installed (pip install "boostfocal[plot]")' \
        in res.stdout
    assert (tmp_path / "summary.csv").exists()
    assert not list(tmp_path.glob("*.png"))


def test_failing_entry_is_dropped_with_a_note(files, tmp_path, capsys, monkeypatch):
    real_build = _compare.build

    def build(entry, *args, **kwargs):
        if entry.kind == "focal" and entry.balanced:
            raise ValueError("simulated failure\nsecond line")
        return real_build(entry, *args, **kwargs)

    monkeypatch.setattr(_compare, "build", build)
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, "--n-estimators", "5", "--folds", "2",
                          "--gammas", "2")
    assert code == 0, err
    assert ("note: focal gamma=2, alpha=balanced dropped: it failed on fold 1: "
            "ValueError: simulated failure") in out
    assert "focal gamma=2, alpha=balanced" not in pd.read_csv(tmp_path / "summary.csv")[
        "entry"].tolist()

    # without the baseline there is nothing to compare with: a clean error
    monkeypatch.setattr(_compare, "build", lambda *a, **k: 1 / 0)
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, "--n-estimators", "5", "--folds", "2",
                          "--gammas", "2")
    assert code == 2
    assert err.strip() == ("boostfocal compare: error: the logistic baseline failed on "
                           "fold 1: ZeroDivisionError: division by zero")


def test_parallel_fits_give_the_same_results(files, tmp_path, capsys):
    data = _compare.prepare(_compare.read_table(files / "binary.csv"), "churn", 2)
    entries = [_compare.Entry("logistic"), _compare.Entry("focal", 2.0)]
    serial = _compare.run(data, entries, _compare.Settings(folds=2, n_estimators=5), True)
    parallel = _compare.run(data, entries,
                            _compare.Settings(folds=2, n_estimators=5, n_jobs=2), True)
    pd.testing.assert_frame_equal(serial.fold_rows.drop(columns="fit_seconds"),
                                  parallel.fold_rows.drop(columns="fit_seconds"))


def test_no_command_prints_help(capsys):
    code, _, err = _run(capsys)
    assert code == 2
    assert "compare" in err


def test_help_documents_the_rules(capsys):
    code, out, _ = _run(capsys, "compare", "--help")
    assert code == 0
    for text in ("scale_pos_weight", 'class_weight="balanced"', "noise rule", "2 SE",
                 "--gammas", "Parquet"):
        assert text in out


def test_parquet_input_reads_like_csv(files, tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(files / "binary.csv")
    frame.to_parquet(tmp_path / "binary.parquet")
    from_parquet = _compare.prepare(_compare.read_table(tmp_path / "binary.parquet"),
                                    "churn", 3)
    from_csv = _compare.prepare(_compare.read_table(files / "binary.csv"), "churn", 3)
    np.testing.assert_array_equal(from_parquet.y, from_csv.y)
    pd.testing.assert_frame_equal(from_parquet.X, from_csv.X, check_categorical=False)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("argv,expected", [
    (["missing.csv", "--target", "y"], "file not found"),
    (["garbage.csv", "--target", "y"], "cannot read garbage.csv as CSV"),
    (["garbage.parquet", "--target", "y"], "garbage.parquet"),
    (["table.xlsx", "--target", "y"], "cannot tell the format of table.xlsx"),
    (["binary.csv", "--target", "Churn"],
     "target column 'Churn' not found in binary.csv; available columns: 'x1', 'x2'"),
    (["one_class.csv", "--target", "y"], "has a single class ('a')"),
    (["continuous.csv", "--target", "y"], "is continuous numbers"),
    (["few.csv", "--target", "y"],
     "class 'b' of 'y' has only 3 examples, fewer than --folds 5: use --folds 3 or fewer"),
    (["single.csv", "--target", "y", "--folds", "2"],
     "class 'b' of 'y' has only 1 example, fewer than --folds 2"),
    (["binary.csv"], "--target COLUMN is required"),
    (["binary.csv", "--target", "churn", "--positive", "maybe"],
     "--positive 'maybe' is not a label of 'churn'"),
])
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capsys, argv, expected):
    argv = [str(files / a) if (files / a).suffix and i == 0 else a
            for i, a in enumerate(argv)]
    code, _, err = _run(capsys, "compare", *argv, "--out", tmp_path / "out")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("boostfocal compare: error: ")
    assert expected in err
    assert not (tmp_path / "out").exists()  # nothing written on bad input


@pytest.mark.parametrize("flags,expected", [
    (["--gammas", "0,two"], "argument --gammas: 'two' is not a number"),
    (["--gammas", "1,-0.5"], "argument --gammas: gamma must be a finite number >= 0"),
    (["--gammas", "nan"], "argument --gammas: gamma must be a finite number >= 0"),
    (["--folds", "1"], "argument --folds: must be at least 2"),
    (["--folds", "three"], "argument --folds: 'three' is not an integer"),
    (["--n-estimators", "0"], "argument --n-estimators: must be at least 1"),
    (["--backend", "catboost"], "argument --backend: invalid choice"),
])
def test_bad_flags(files, capsys, flags, expected):
    code, _, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn", *flags)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- noise rule
def _fake_results(ap: dict[str, list[float]]) -> _compare.Results:
    """Results with given per-fold AP, 5 folds of 800/200 rows; other metrics constant."""
    entries, rows = [], []
    for name, values in ap.items():
        if name == "logistic":
            entry = _compare.Entry("logistic")
        else:
            gamma, _, alpha = name.partition("/")
            entry = _compare.Entry("focal", float(gamma), alpha == "balanced")
        entries.append(entry)
        for fold, value in enumerate(values, 1):
            rows.append({"entry": entry.name, "kind": entry.kind, "gamma": entry.gamma,
                         "alpha": entry.alpha, "fold": fold, "average_precision": value,
                         "roc_auc": 0.9, "log_loss": 0.1, "brier": 0.02, "fit_seconds": 1.0,
                         "n_train": 800, "n_test": 200})
    return _compare.Results(entries, pd.DataFrame(rows), {}, [])


def test_paired_standard_error_is_nadeau_bengio_corrected():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "2": [0.53, 0.54, 0.52, 0.52, 0.54]})
    p = _compare.paired(res.fold_rows, "focal gamma=2", "logistic")
    d = np.array([0.03, 0.02, 0.04, 0.01, 0.05])
    assert p.diff == pytest.approx(d.mean())
    assert p.se == pytest.approx(d.std(ddof=1) * np.sqrt(1 / 5 + 200 / 800))
    assert not p.within_noise
    assert _compare.Paired(0.01, 0.006).within_noise
    assert not _compare.Paired(-0.013, 0.006).within_noise


def test_verdict_recommends_focal_when_beyond_noise():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "0": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "2": [0.53, 0.54, 0.52, 0.52, 0.54]})
    v = _compare.verdict(res, _compare.summarize(res))
    assert v.best == "focal gamma=2" and v.best_gamma == 2.0 and v.best_alpha is None
    assert v.recommendation.startswith("Recommendation: use focal loss with gamma=2")
    assert "beyond fold-to-fold noise" in v.recommendation
    assert v.gammas_within_noise == [2.0]


def test_verdict_says_within_noise():
    res = _fake_results({"logistic": [0.50, 0.52, 0.48, 0.51, 0.49],
                         "1": [0.52, 0.50, 0.49, 0.50, 0.51],
                         "2": [0.51, 0.53, 0.47, 0.52, 0.49],
                         "2/balanced": [0.45, 0.47, 0.44, 0.46, 0.44]})
    summary = _compare.summarize(res)
    v = _compare.verdict(res, summary)
    assert v.best == "focal gamma=2"
    assert "no clear gain" in v.recommendation and "within fold-to-fold noise" in \
        v.recommendation
    assert "Gammas 1, 2 (alpha=None) are within noise of the best" in v.recommendation
    row = summary.set_index("entry").loc["focal gamma=2, alpha=balanced"]
    assert not row["within_noise"] and row["ap_diff"] < 0


def test_version_prints_the_config_line():
    from boostfocal._config import config_line

    res = subprocess.run([sys.executable, "-m", "boostfocal", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == config_line()
    assert res.stdout.startswith("boostfocal ") and "kernels: " in res.stdout
