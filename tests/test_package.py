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
        assert "xgboost" not in sys.modules, "xgboost imported"
        assert "lightgbm" not in sys.modules, "lightgbm imported"
        print("ok")
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


@pytest.mark.parametrize("module,attr", [("xgboost", "FocalXGBClassifier"),
                                         ("lightgbm", "FocalLGBMClassifier")])
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
