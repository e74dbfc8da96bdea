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


# ---------------------------------------------------------------- kernels: which run
_FIT_AND_PREDICT = """
        import numpy as np
        y = np.array([0, 1, 0, 1, 1, 0] * 50, dtype=float)
        z = np.linspace(-3, 3, 300)
        g, h = boostfocal.FocalLoss(2.0).gradient_hessian(y, z)
        assert np.all(np.isfinite(g)) and np.all(h > 0)
        boostfocal.SoftmaxFocalLoss(2.0).gradient_hessian(y.astype(int), np.zeros((300, 3)))
        lgb = None
        try:
            import lightgbm as lgb
        except ImportError:
            pass
        if lgb is not None:  # an estimator fits and predicts on the kernels in use
            X = np.c_[z, np.sin(7 * z)]
            clf = boostfocal.FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
            assert clf.predict_proba(X).shape == (300, 2)
"""


def test_missing_extension_falls_back_to_numpy_with_one_warning():
    # A build without a C compiler installs no extension: simulate it (None in
    # sys.modules makes the import fail) and check the import warns exactly once.
    res = _run("""
        import sys, warnings
        sys.modules["boostfocal.losses._kernels._ckernels"] = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import boostfocal
            import boostfocal.losses.focal, boostfocal.losses._kernels
            from boostfocal.losses import _kernels
        msgs = [str(w.message) for w in caught if w.category is _kernels.KernelFallbackWarning]
        assert len(msgs) == 1, msgs
        assert _kernels.backend() == "numpy"
    """ + _FIT_AND_PREDICT + """
        print(msgs[0])
    """)
    assert res.returncode == 0, res.stderr
    message = res.stdout
    assert "compiled kernels are missing" in message
    assert "numpy" in message and "C compiler" in message  # what runs, how to get them
    assert "BOOSTFOCAL_KERNELS=numpy" in message


def test_boostfocal_kernels_env_var():
    env_numpy = _run("""
        import os, warnings
        os.environ["BOOSTFOCAL_KERNELS"] = "numpy"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # chosen on purpose: no warning
            import boostfocal
        from boostfocal.losses import _kernels
        assert _kernels.backend() == "numpy", _kernels.backend()
        import boostfocal._config
        assert "numpy fallback" in boostfocal._config.config_line()
    """ + _FIT_AND_PREDICT)
    assert env_numpy.returncode == 0, env_numpy.stderr
    bad = _run("""
        import os
        os.environ["BOOSTFOCAL_KERNELS"] = "fast"
        from boostfocal import FocalLoss  # the kernels load with the first loss object
    """)
    assert bad.returncode != 0 and "BOOSTFOCAL_KERNELS must be" in bad.stderr
    required = _run("""
        import os, sys
        os.environ["BOOSTFOCAL_KERNELS"] = "compiled"
        sys.modules["boostfocal.losses._kernels._ckernels"] = None
        from boostfocal import FocalLoss
    """)
    assert required.returncode != 0 and "BOOSTFOCAL_KERNELS=compiled" in required.stderr


def test_show_config(capsys):
    import boostfocal
    from boostfocal.losses import _kernels

    assert boostfocal.show_config() is None
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"boostfocal {boostfocal.__version__} (kernels: ")
    assert _kernels.isa() in first and f"{_kernels.resolve_threads()} thread" in first
    for name in ("numpy", "scipy", "scikit-learn", "python", "threads"):
        assert name in out
    info = boostfocal.show_config(mode="dicts")
    assert info["kernels"]["backend"] == _kernels.backend()
    assert info["kernels"]["threads"] == _kernels.resolve_threads()
    assert info["versions"]["numpy"] == __import__("numpy").__version__
    with pytest.raises(ValueError, match="mode"):
        boostfocal.show_config(mode="json")


def test_package_is_typed():
    from pathlib import Path

    import boostfocal

    assert (Path(boostfocal.__file__).parent / "py.typed").is_file()


# ---------------------------------------------------------------- version and releases
def _pyproject() -> dict:
    from pathlib import Path

    import tomllib

    return tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_version_is_written_in_one_place():
    """pyproject.toml reads the version from boostfocal/_version.py; no other file of the
    package writes it."""
    import re
    from pathlib import Path

    import boostfocal
    from boostfocal import _version

    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "boostfocal._version.__version__"}
    assert boostfocal.__version__ == _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", _version.__version__)
    package = Path(boostfocal.__file__).parent
    writers = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if re.search(r"^__version__\s*=", p.read_text(), re.MULTILINE)]
    assert writers == ["_version.py"]


def test_installed_metadata_reads_the_same_version():
    """Where this checkout is the installed (editable) distribution, its metadata carries
    the version of _version.py (setuptools read it at install time)."""
    import json
    from importlib import metadata
    from pathlib import Path

    import boostfocal

    try:
        dist = metadata.distribution("boostfocal")
    except metadata.PackageNotFoundError:
        pytest.skip("boostfocal is not installed (tests import it from the checkout)")
    root = Path(__file__).resolve().parents[1]
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    # an editable install of this checkout, or setuptools' egg-info in it
    from_here = (url and Path(url.removeprefix("file://")).resolve() == root) or \
        Path(dist.locate_file("")).resolve() == root
    if not from_here:
        pytest.skip(f"the installed boostfocal is another checkout ({url})")
    assert dist.version == boostfocal.__version__


def test_changelog_has_an_entry_for_the_version():
    """CHANGELOG.md (Keep a Changelog) has an Unreleased section and a dated entry for
    the current version, newest first."""
    import re
    from pathlib import Path

    import boostfocal

    text = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    versions = [v for v, _ in headings[1:]]
    assert versions[0] == boostfocal.__version__
    assert all(date for _, date in headings[1:])


# ---------------------------------------------------------------- xgboost-cpu
def test_show_config_reports_xgboost_cpu_as_xgboost(monkeypatch):
    """XGBoost's CPU-only wheel installs the same module under the distribution name
    xgboost-cpu; show_config reports it as xgboost's version, naming the distribution."""
    from importlib import metadata

    from boostfocal import _config

    installed = {"xgboost-cpu": "3.0.0", "numpy": "2.0.0"}

    def version(name):
        if name in installed:
            return installed[name]
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_config.metadata, "version", version)
    assert _config._version("xgboost") == "3.0.0 (xgboost-cpu)"
    assert _config._version("numpy") == "2.0.0"
    assert _config._version("lightgbm") is None
    installed["xgboost"] = "3.2.0"  # both: the xgboost distribution is reported
    assert _config._version("xgboost") == "3.2.0"
