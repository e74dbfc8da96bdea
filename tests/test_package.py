"""Packaging: the core imports without the boosters; missing extras say what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)


def test_import_boostfocal_loads_no_booster():
    res = _run("""
        import sys
        import boostfocal
        loss = boostfocal.FocalLoss()
        ghm = boostfocal.GHMLoss()
        assert "xgboost" not in sys.modules, "xgboost imported"
        assert "lightgbm" not in sys.modules, "lightgbm imported"
        assert "dask" not in sys.modules, "dask imported"
        assert "distributed" not in sys.modules, "distributed imported"
        print("ok")
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


@pytest.mark.parametrize("module,attr", [("xgboost", "FocalXGBClassifier"),
                                         ("lightgbm", "FocalLGBMClassifier"),
                                         ("xgboost", "GHMXGBClassifier"),
                                         ("lightgbm", "GHMLGBMClassifier"),
                                         ("dask", "DaskFocalXGBClassifier"),
                                         ("dask", "DaskFocalLGBMClassifier")])
def test_missing_backend_names_the_extra(module, attr):
    # Simulate an environment without the booster: a None entry makes the import fail.
    res = _run(f"""
        import sys
        sys.modules[{module!r}] = None
        import boostfocal
        boostfocal.FocalLoss()  # the core works without the booster
        try:
            getattr(boostfocal, {attr!r})
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("no ImportError")
    """)
    assert res.returncode == 0, res.stderr
    assert f'pip install "boostfocal[{module}]"' in res.stdout


def test_unknown_attribute():
    import boostfocal

    with pytest.raises(AttributeError, match="no attribute"):
        boostfocal.NotAThing  # noqa: B018


@pytest.mark.parametrize("missing,present", [("lightgbm", "DaskFocalXGBClassifier"),
                                             ("xgboost", "DaskFocalLGBMClassifier")])
def test_dask_module_needs_only_the_booster_in_use(missing, present):
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    pytest.importorskip("xgboost" if missing == "lightgbm" else "lightgbm")
    absent = {"lightgbm": "DaskFocalLGBMClassifier", "xgboost": "DaskFocalXGBClassifier"}
    res = _run(f"""
        import sys
        sys.modules[{missing!r}] = None
        import boostfocal.dask
        getattr(boostfocal.dask, {present!r})
        try:
            getattr(boostfocal.dask, {absent[missing]!r})
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("no ImportError")
    """)
    assert res.returncode == 0, res.stderr
    assert f'pip install "boostfocal[{missing}]"' in res.stdout


def test_import_boostfocal_dask_loads_no_booster():
    pytest.importorskip("dask")
    res = _run("""
        import sys
        import boostfocal.dask
        assert "xgboost" not in sys.modules, "xgboost imported"
        assert "lightgbm" not in sys.modules, "lightgbm imported"
        print("ok")
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
