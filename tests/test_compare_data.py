"""The data of ``boostfocal compare``: leaked-target warnings and ``--drop``."""

from __future__ import annotations

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("xgboost")

from boostfocal.compare import _data  # noqa: E402
from boostfocal.compare._errors import CompareError  # noqa: E402
from boostfocal.compare.cli import main  # noqa: E402


def _table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (x + rng.normal(size=n) > 1.0).astype(int)
    return pd.DataFrame({"a": x, "b": rng.normal(size=n), "y": y})


def _named(warnings: list[str]) -> list[str]:
    return [w.split("'")[1] for w in warnings]


def test_no_warning_on_honest_features():
    assert _data.prepare(_table(), "y", 5).warnings == []


@pytest.mark.parametrize(("column", "make", "why"), [
    ("y ", lambda y, rng: y, "name is the target's 'y' up to spaces and case"),
    ("Y", lambda y, rng: 1 - y, "equals the target up to relabelling"),
    ("status", lambda y, rng: np.where(y == 1, "bad", "good"), "up to relabelling"),
    ("score", lambda y, rng: y + 1e-3 * rng.normal(size=y.shape[0]), "ROC AUC 1.0000"),
    ("minus", lambda y, rng: -3.0 * y + 1e-3 * rng.normal(size=y.shape[0]), "ROC AUC"),
])
def test_a_copy_of_the_target_is_named(column, make, why):
    df = _table()
    rng = np.random.default_rng(1)
    df[column] = make(df["y"].to_numpy(), rng)
    data = _data.prepare(df, "y", 5)
    assert _named(data.warnings) == [column]
    assert why in data.warnings[0]
    assert f"--drop {column!r}" in data.warnings[0]


def test_multiclass_relabelling_is_named_and_a_strong_feature_is_not():
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 3, n)
    df = pd.DataFrame({"strong": y + rng.normal(scale=0.3, size=n),
                       "grade": np.array(["lo", "mid", "hi"])[y], "y": y})
    assert _named(_data.prepare(df, "y", 5).warnings) == ["grade"]


def test_drop_removes_columns_and_checks_them():
    df = _table()
    df["y "] = df["y"]
    data = _data.prepare(df, "y", 5, drop=["y ", "b"])
    assert data.warnings == []
    assert data.X.shape[1] == 1
    assert any("--drop" in note for note in data.notes)
    with pytest.raises(CompareError, match="--drop: no column 'zz'"):
        _data.prepare(df, "y", 5, drop=["zz"])
    with pytest.raises(CompareError, match="'y' is the target"):
        _data.prepare(df, "y", 5, drop=["y"])


def test_the_warning_reaches_the_terminal_before_training_and_results_json(tmp_path,
                                                                            capsys):
    df = _table()
    df["Y"] = 1 - df["y"]
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    args = ["compare", str(path), "--target", "y", "--out", str(tmp_path / "out"),
            "--n-estimators", "5", "--folds", "2", "--gammas", "2"]
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert _named(doc["warnings"]) == ["Y"]
    err = captured.err.splitlines()
    warning = next(i for i, line in enumerate(err) if line.startswith("warning: column 'Y'"))
    progress = [i for i, line in enumerate(err) if "cross-validated" in line]
    assert progress and warning < progress[0]  # said before the first fit ends

    assert main([*args, "--drop", "Y", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["warnings"] == []
    assert doc["data"]["features"] == 2


def test_drop_is_for_data_files(capsys):
    assert main(["compare", "--drop", "x"]) == 2
    assert "--drop is for your own DATA" in capsys.readouterr().err
