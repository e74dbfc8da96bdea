"""`boostfocal compare`: the command line, its output and files, and every bad input.

Runs stay small (a few hundred rows, 20 trees or fewer, 2 or 3 folds, one or two gammas)
so that the whole file takes about a minute of CPU.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boostfocal.compare import _crossval, _data, _entries, _runfolder, _table
from boostfocal.compare.cli import main

SMALL = ["--n-estimators", "20", "--folds", "3", "--gammas", "0,2", "--repeats", "1"]
TINY = ["--n-estimators", "5", "--folds", "2", "--gammas", "2", "--repeats", "1"]
FIGURES = ("pr_curves.png", "ap_vs_gamma.png", "reliability.png", "ap_differences.png")
RESULTS = {"summary.csv", "folds.csv", "results.json", "report.html", *FIGURES}
PROGRESS = re.compile(r"\[\d+/\d+\] .+ cross-validated \(\d+ s\)")


def _run_folder(out_dir: Path, number: int = 1) -> Path:
    """The run folder ``run-NNN`` in ``out_dir``, after checking it is a complete one."""
    folder = out_dir / f"run-{number:03d}"
    assert folder.is_dir() and not folder.is_symlink()
    return folder


def _listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: file bytes, link targets, folders; symlinks not followed."""
    found: dict[str, bytes | str] = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = path.read_bytes()
    return found


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
    # a repeated target: pandas would read the second one as a feature "y.1"
    (d / "dup.csv").write_text("y,x,x,y,x\n" + "".join(f"{i % 2},{i},{i},{i % 2},{i}\n"
                                                       for i in range(40)))
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
    # stderr is not a terminal: one progress line per finished entry, and nothing else
    assert all(PROGRESS.fullmatch(line) for line in err.splitlines()), err

    # the header says what was read and how
    assert "binary.csv: 450 rows x 3 features; 1 categorical" in out
    assert "missing values" in out
    assert "positive class 'yes'" in out  # the minority class
    assert "ignored identifier-like text columns" in out and "row_id" in out

    # one table row per entry, in order
    names = ["logistic", "logistic, class-weighted", "GHM-C (10 bins)", "focal gamma=0",
             "focal gamma=2", "focal gamma=0, alpha=balanced",
             "focal gamma=2, alpha=balanced"]
    assert len(err.splitlines()) == len(names)
    assert err.splitlines()[-1].startswith(f"[{len(names)}/{len(names)}] ")
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split()[:3] == ["entry", "avg", "precision"]
    assert [line[:30].rstrip() for line in table[2:2 + len(names)]] == names
    assert "reference" in table[2]
    # focal gamma=0 reproduces the logistic entry: no "+0.0000 (1.1 SE)"
    assert table[2 + names.index("focal gamma=0")][30:].split()[1] in ("identical", "0.0000")
    assert not re.search(r"[+-]?0\.0000 \(\d", out)
    # the star goes with the printed (adjusted) p-value
    ratios = re.findall(r"\(\d+\.\d SE, p=(\d\.\d{3})\)( \*)?", out)
    assert ratios
    assert all((float(p) < 0.05) == bool(star) for p, star in ratios)
    assert "Best gamma by mean average precision:" in out
    assert "Recommendation:" in out

    # files: per-fold rows, summary, JSON, figures, all in the new run folder
    assert [p.name for p in out_dir.iterdir()] == ["run-001"]
    run_dir = _run_folder(out_dir)
    assert {p.name for p in run_dir.iterdir()} == RESULTS
    folds = pd.read_csv(run_dir / "folds.csv")
    assert len(folds) == 3 * len(names)
    assert list(folds["entry"].unique()) == names
    assert all(sorted(part) == [1, 2, 3] for _, part in folds.groupby("entry")["fold"])
    assert folds["average_precision"].between(0, 1).all()
    assert folds["roc_auc"].between(0.5, 1).all()
    assert (folds["n_train"] + folds["n_test"] == 450).all()
    summary = pd.read_csv(run_dir / "summary.csv")
    mean_ap = folds.groupby("entry", sort=False)["average_precision"].mean()
    np.testing.assert_allclose(summary.set_index("entry").loc[names,
                                                              "average_precision_mean"],
                               mean_ap.loc[names])
    # same folds and tree settings (min_child_weight included): gamma=0 is the logistic loss
    assert summary.set_index("entry").loc["focal gamma=0", "average_precision_mean"] == \
        pytest.approx(mean_ap.loc["logistic"], abs=0.005)
    doc = json.loads((run_dir / "results.json").read_text())
    assert doc["booster_params"]["min_child_weight"] == 0.01
    assert doc["booster_params"]["enable_categorical"] is True
    assert doc["data"]["categorical_columns"] == ["city"]
    assert doc["data"]["classes"] == ["no", "yes"]
    assert doc["best"]["gamma"] in (0.0, 2.0)
    assert doc["recommendation"].startswith("Recommendation:")
    assert "sqrt(1/(r k) + n_test/n_train)" in doc["noise_rule"]
    for name in FIGURES:
        assert (run_dir / name).stat().st_size > 10_000
    assert (f"Results in {run_dir}{os.sep}: summary.csv, folds.csv, results.json, "
            "pr_curves.png, ap_vs_gamma.png, reliability.png") in out


def test_multiclass_lightgbm(files, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", files / "multi.csv", "--target", "grade",
                          "--backend", "lightgbm", "--out", out_dir, *SMALL)
    assert code == 0, err
    assert "3 classes ('A'" in out
    assert "GHM-C skipped: it is a binary loss" in out
    run_dir = _run_folder(out_dir)
    summary = pd.read_csv(run_dir / "summary.csv").set_index("entry")
    assert "GHM-C (10 bins)" not in summary.index
    # same folds and settings for every entry: focal gamma=0 is LightGBM's own softmax
    assert summary.loc["focal gamma=0", "average_precision_mean"] == pytest.approx(
        summary.loc["logistic", "average_precision_mean"], abs=0.01)
    # multiclass Brier sums over classes, so it can exceed 0.25
    assert (summary["brier_mean"] > 0).all() and (summary["brier_mean"] < 2).all()
    for name in FIGURES:
        assert (run_dir / name).exists()


def test_builtin_demo_runs_without_data(tmp_path, capsys):
    code, out, err = _run(capsys, "compare", "--out", tmp_path, "--n-estimators", "5",
                          "--folds", "2", "--gammas", "1")
    assert code == 0, err
    assert "built-in demo (generated by scikit-learn make_classification" in out
    assert "20,000 rows x 20 features" in out
    assert "Recommendation:" in out
    data, _ = _data.demo_data()
    assert 0.02 <= data.y.mean() <= 0.03


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
    # progress when stderr is not a terminal: a line per finished entry
    assert res.stderr.splitlines()[0].startswith("[1/5] logistic cross-validated (")
    assert (_run_folder(tmp_path) / "results.json").exists()


def test_figures_skipped_without_matplotlib(files, tmp_path):
    code = f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        from boostfocal.compare.cli import main
        sys.exit(main(["compare", {str(files / "binary.csv")!r}, "--target", "churn",
                       "--out", {str(tmp_path)!r}, "--n-estimators", "5", "--folds", "2",
                       "--gammas", "2"]))
    """
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert 'Figures skipped: matplotlib is not installed (pip install "boostfocal[plot]")' \
        in res.stdout
    run_dir = _run_folder(tmp_path)
    assert {p.name for p in run_dir.iterdir()} == {"summary.csv", "folds.csv", "results.json",
                                                   "report.html"}


def test_failing_entry_is_dropped_with_a_note(files, tmp_path, capsys, monkeypatch):
    real_build = _entries.build

    def build(entry, *args, **kwargs):
        if entry.kind == "focal" and entry.balanced:
            raise ValueError("simulated failure\nsecond line")
        return real_build(entry, *args, **kwargs)

    monkeypatch.setattr(_entries, "build", build)
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, *TINY)
    assert code == 0, err
    assert ("note: focal gamma=2, alpha=balanced dropped: it failed on fold 1: "
            "ValueError: simulated failure") in out
    assert "focal gamma=2, alpha=balanced" not in pd.read_csv(
        _run_folder(tmp_path) / "summary.csv")["entry"].tolist()

    # without the baseline there is nothing to compare with: a clean error
    monkeypatch.setattr(_entries, "build", lambda *a, **k: 1 / 0)
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, *TINY)
    assert code == 2
    assert err.splitlines()[-1] == ("boostfocal compare: error: the logistic baseline "
                                    "failed on fold 1: ZeroDivisionError: division by zero")
    assert [p.name for p in tmp_path.iterdir()] == ["run-001"]  # no second, partial run


def test_parallel_fits_give_the_same_results(files, tmp_path, capsys):
    data = _data.prepare(_table.read_table(files / "binary.csv"), "churn", 2)
    entries = [_entries.Entry("logistic"), _entries.Entry("focal", 2.0)]
    serial = _crossval.run(data, entries, _crossval.Settings(folds=2, n_estimators=5))
    parallel = _crossval.run(data, entries,
                             _crossval.Settings(folds=2, n_estimators=5, n_jobs=2))
    pd.testing.assert_frame_equal(serial.fold_rows.drop(columns="fit_seconds"),
                                  parallel.fold_rows.drop(columns="fit_seconds"))


def test_no_command_prints_help(capsys):
    code, _, err = _run(capsys)
    assert code == 2
    assert "compare" in err


def test_help_documents_the_rules(capsys):
    code, out, _ = _run(capsys, "compare", "--help")
    assert code == 0
    for text in ("scale_pos_weight", 'class_weight="balanced"', "Holm", "Bouckaert",
                 "--gammas", "Parquet", "run-001", "--json", "130"):
        assert text in out


def test_parquet_input_reads_like_csv(files, tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(files / "binary.csv")
    frame.to_parquet(tmp_path / "binary.parquet")
    from_parquet = _data.prepare(_table.read_table(tmp_path / "binary.parquet"),
                                 "churn", 3)
    from_csv = _data.prepare(_table.read_table(files / "binary.csv"), "churn", 3)
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
    (["dup.csv", "--target", "y"],
     "dup.csv has repeated column names: 'y' (2 times), 'x' (3 times); give every column "
     "its own name"),
    (["--folds", "600"],
     "class '1' of 'target' has only 493 examples, fewer than --folds 600"),
    (["--target", "y"], "--target is for your own DATA"),
])
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capsys, argv, expected):
    argv = [str(files / a) if (files / a).suffix and i == 0 and not a.startswith("-") else a
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
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 4294967295, got -1"),
    (["--seed", str(2**32)], "argument --seed: must be an integer from 0 to 4294967295"),
    (["--seed", "1.5"], "argument --seed: '1.5' is not an integer"),
    (["--out", ""], "argument --out/-o: must name a folder (use --out . for the current"),
])
def test_bad_flags(files, capsys, flags, expected):
    code, _, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn", *flags)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_a_repeated_parquet_column_is_refused(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array(np.arange(40.0)), pa.array(np.arange(40) % 2),
                                  pa.array(np.arange(40) % 2)], names=["x", "y", "y"])
    pq.write_table(table, tmp_path / "dup.parquet")
    code, _, err = _run(capsys, "compare", tmp_path / "dup.parquet", "--target", "y",
                        "--out", tmp_path / "out")
    assert code == 2
    assert err == ("boostfocal compare: error: dup.parquet has repeated column names: "
                   "'y' (2 times); give every column its own name\n")


def test_distinct_names_that_pandas_would_produce_are_fine(tmp_path):
    """A real column "y.1" next to "y" is no repetition."""
    frame = pd.DataFrame({"y": np.arange(40) % 2, "y.1": np.arange(40.0)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    data = _data.prepare(_table.read_table(tmp_path / "t.csv"), "y", 2)
    assert data.X.shape == (40, 1)


def test_compressed_csv_without_its_library_is_one_line(tmp_path, capsys):
    try:
        import zstandard  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("zstandard is installed")
    (tmp_path / "t.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(40))
    code, _, err = _run(capsys, "compare", tmp_path / "t.csv.zst", "--target", "y",
                        "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith("boostfocal compare: error: cannot read t.csv.zst: ")
    assert "zstandard" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- files
def test_nothing_in_out_is_ever_written_or_removed(files, tmp_path, capsys):
    """The input inside --out, a file named like a result, a symlink named like a result
    (to a file outside), a folder named like a result and entries named like run folders:
    all stay as they were, run after run; every run gets a new complete folder."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    data = out_dir / "summary.csv"  # the input table, named like a result file
    data.write_bytes((files / "binary.csv").read_bytes())
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    (out_dir / "folds.csv").symlink_to(outside)
    (out_dir / "results.json").mkdir()
    (out_dir / "pr_curves.png").symlink_to(tmp_path / "missing")  # dangling
    (out_dir / "run-001").write_text("a file of mine, named like a run folder\n")
    (out_dir / "run-002").symlink_to(outside)
    before = _listing(out_dir)

    for number in (3, 4):
        code, out, err = _run(capsys, "compare", data, "--target", "churn", "--out", out_dir,
                              *TINY)
        assert code == 0, err
        new = _run_folder(out_dir, number)
        assert f"Results in {new}{os.sep}: " in out
        assert {p.name for p in new.iterdir()} == RESULTS
        assert pd.read_csv(new / "folds.csv")["fold"].max() == 2
    assert outside.read_text() == "keep me\n"
    after = _listing(out_dir)
    assert {k: v for k, v in after.items() if not k.startswith(("run-003", "run-004"))} \
        == before
    assert not [k for k in after if k.startswith(".")]  # no temporary folder left


def test_current_folder_as_out(files, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_bytes((files / "binary.csv").read_bytes())
    code, out, err = _run(capsys, "compare", "data.csv", "--target", "churn", "--out", ".",
                          *TINY)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "run-001"]


def _unusable_outs(tmp_path: Path) -> list[tuple[str, Path, str]]:
    """Every kind of unusable --out this machine can produce, with the expected message."""
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    cases = [("under a regular file", tmp_path / "file.txt" / "out", "cannot write there"),
             ("a regular file", tmp_path / "file.txt", "exists and is not a folder"),
             ("a broken symbolic link", tmp_path / "dangling",
              "exists and is a broken symbolic link")]
    if os.name == "posix" and os.geteuid() != 0:  # permission bits do not stop root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        cases.append(("read-only folder", locked, "cannot write there (Permission denied)"))
    # as root too: a kernel file system that refuses new folders (sysfs, procfs)
    for special in (Path("/sys/boostfocal-test"), Path("/proc/boostfocal-test")):
        try:
            special.mkdir()
        except OSError:
            cases.append((f"under {special.parent}", special / "out", "cannot write there"))
            break
        else:  # pragma: no cover - it is writable here: not a test case
            special.rmdir()
    return cases


def test_unusable_out_fails_at_once(files, tmp_path, capsys):
    cases = _unusable_outs(tmp_path)
    for what, out_dir, expected in cases:
        started = time.perf_counter()
        code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                              "--out", out_dir)
        seconds = time.perf_counter() - started
        assert code == 2, what
        assert err.startswith(f"boostfocal compare: error: --out {out_dir}"), (what, err)
        assert expected in err and len(err.splitlines()) == 1, (what, err)
        assert out == "", what  # before any training (or even reading the data)
        assert seconds < 10, what
    assert (tmp_path / "file.txt").read_text() == "x"


def test_unusable_out_fails_in_under_10_seconds_as_a_command(files, tmp_path):
    """The whole command, Python start and imports included."""
    (tmp_path / "file.txt").write_text("x")
    started = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "boostfocal", "compare",
                          str(files / "binary.csv"), "--target", "churn",
                          "--out", str(tmp_path / "file.txt" / "out")],
                         capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - started < 10
    assert res.returncode == 2
    assert res.stderr == (f"boostfocal compare: error: --out {tmp_path / 'file.txt' / 'out'}"
                          ": cannot write there (Not a directory)\n")


# --------------------------------------------------------------------------- Ctrl-C
def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("step", ["folds.csv half written", "results.json written",
                                  "two figures written", "all files written"])
def test_ctrl_c_while_writing_leaves_the_folder_as_it_was(files, tmp_path, capsys,
                                                          monkeypatch, step):
    out_dir = tmp_path / "out"
    (out_dir / "run-001").mkdir(parents=True)  # an earlier run (its files need not be real)
    for name in RESULTS:
        (out_dir / "run-001" / name).write_text(f"earlier {name}")
    (out_dir / "summary.csv").write_text("mine")
    before = _listing(out_dir)

    if step == "folds.csv half written":  # after summary.csv
        real_to_csv = pd.DataFrame.to_csv

        def to_csv(self, buf, *args, **kwargs):
            if "fold" in self.columns:  # the per-fold table
                buf.write("entry,kind,gamma\nlogistic,")
                raise KeyboardInterrupt
            return real_to_csv(self, buf, *args, **kwargs)

        monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    elif step == "results.json written":
        from boostfocal.compare import _plots as _compare_plots
        monkeypatch.setattr(_compare_plots, "plot_pr_curves", _interrupt)
    elif step == "two figures written":
        from boostfocal.compare import _plots as _compare_plots
        monkeypatch.setattr(_compare_plots, "plot_reliability", _interrupt)
    else:
        monkeypatch.setattr(_runfolder.RunFolder, "_next_number", _interrupt)
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", out_dir, *TINY)
    assert code == 130
    assert err.splitlines()[-1] == "boostfocal: interrupted"
    assert "Traceback" not in err and "Results in" not in out
    assert _listing(out_dir) == before  # the earlier run complete, nothing new, no temp


def _interrupt_when_stderr_shows(argv: list[str], marker: str | None,
                                 code: str = "") -> subprocess.CompletedProcess:
    """Run the command in a subprocess; once ``marker`` appears on stderr, send SIGINT to
    its process group, as a terminal's Ctrl-C does (worker processes included).

    The child first gives SIGINT Python's own handler, as a program started from a
    terminal has it: a test suite started in the background (``nohup pytest ... &``)
    runs with SIGINT ignored, which its child processes would otherwise inherit."""
    script = textwrap.dedent("""
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
    """) + textwrap.dedent(code) + textwrap.dedent(f"""
        import sys
        from boostfocal.compare.cli import main
        sys.exit(main({argv!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines = []
    if marker is not None:
        for line in proc.stderr:
            lines.append(line)
            if marker in line:
                os.killpg(proc.pid, signal.SIGINT)
                break
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout,
                                       "".join(lines) + stderr)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_during_training_is_one_line(files, tmp_path):
    """Parallel fits (--n-jobs 2): the workers get the SIGINT too, and say nothing."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "mine.txt").write_text("mine")
    res = _interrupt_when_stderr_shows(
        ["compare", str(files / "binary.csv"), "--target", "churn", "--out", str(out_dir),
         "--n-estimators", "300", "--folds", "2", "--gammas", "0,1,2,3", "--n-jobs", "2"],
        "[1/")
    assert res.returncode == 130, res.stderr
    assert res.stderr.splitlines()[-1] == "boostfocal: interrupted"
    assert "Traceback" not in res.stderr
    assert [p.name for p in out_dir.iterdir()] == ["mine.txt"]


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to itself")
def test_ctrl_c_during_the_imports_is_one_line(files, tmp_path):
    """A real SIGINT while pandas is being imported (the first seconds of a run)."""
    code = """
        import importlib.abc, os, signal, sys

        class CtrlC(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "pandas":
                    os.kill(os.getpid(), signal.SIGINT)
                return None

        sys.meta_path.insert(0, CtrlC())
    """
    res = _interrupt_when_stderr_shows(
        ["compare", str(files / "binary.csv"), "--target", "churn", "--out",
         str(tmp_path / "out")], None, code)
    assert res.returncode == 130, res.stderr
    assert res.stderr == "boostfocal: interrupted\n"
    assert not (tmp_path / "out").exists()


def test_import_boostfocal_cli_is_quick_and_light():
    """`boostfocal` starts with only the standard library loaded, so Ctrl-C is handled
    from its first moment (the heavy imports run inside main)."""
    res = subprocess.run([sys.executable, "-c", "import sys, boostfocal.compare.cli; "
                          "print(sorted({'numpy', 'pandas', 'scipy', 'sklearn'} "
                          "& set(sys.modules)))"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


# --------------------------------------------------------------------------- output
def test_json_output_for_scripts(files, tmp_path, capsys):
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, "--json", *TINY)
    assert code == 0, err
    assert len(out.splitlines()) == 1  # one line, no report
    doc = json.loads(out)
    run_dir = _run_folder(tmp_path)
    assert doc["run_folder"] == str(run_dir)
    assert sorted(Path(p).name for p in doc["files"]) == sorted(RESULTS)
    assert doc["recommendation"].startswith("Recommendation:")
    saved = json.loads((run_dir / "results.json").read_text())
    assert {k: v for k, v in doc.items() if k not in ("run_folder", "files", "report")} == \
        {k: v for k, v in saved.items() if k != "report"}
    assert all(PROGRESS.fullmatch(line) for line in err.splitlines()), err


def test_without_pandas_is_one_line(files, tmp_path):
    code = f"""
        import sys
        sys.modules["pandas"] = None  # as if it were not installed
        from boostfocal.compare.cli import main
        sys.exit(main(["compare", {str(files / "binary.csv")!r}, "--target", "churn",
                       "--out", {str(tmp_path / "out")!r}]))
    """
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.startswith('boostfocal compare: error: the compare command needs '
                                 'pandas: pip install "boostfocal[cli]"')
    assert len(res.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_failed_write_leaves_nothing_and_exits_1(files, tmp_path, capsys, monkeypatch):
    import errno

    from boostfocal.compare import _plots as _compare_plots

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_compare_plots, "plot_ap_vs_gamma", full)
    (tmp_path / "mine.txt").write_text("mine")
    code, out, err = _run(capsys, "compare", files / "binary.csv", "--target", "churn",
                          "--out", tmp_path, *TINY)
    assert code == 1
    assert err.splitlines()[-1] == (f"boostfocal compare: error: cannot write the results "
                                    f"into {tmp_path} (No space left on device); nothing "
                                    "was left there")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_version_prints_the_config_line():
    from boostfocal._config import config_line

    res = subprocess.run([sys.executable, "-m", "boostfocal", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == config_line()
    assert res.stdout.startswith("boostfocal ") and "kernels: " in res.stdout
