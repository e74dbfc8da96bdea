"""The documentation site (docs/), the gallery (examples/) and the README front door.

Building the site itself (``python -m sphinx -W ...``) is CI's job (``.ci/run``); these
tests check what a build with warnings as errors would not: that every public name has an
entry in the API reference, that every example is one the gallery runs, and that the
README's example runs and the README and RESULTS stay within their length.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: The public modules whose ``__all__`` the API reference must cover; ``boostfocal.onnx``
#: too once it exists.
PUBLIC = ["boostfocal", "boostfocal.losses", "boostfocal.xgboost", "boostfocal.lightgbm",
          "boostfocal.dask", "boostfocal.onnx"]


def _source(module: str) -> Path | None:
    """The file that defines ``module`` (a package's ``__init__.py``), if it exists."""
    base = ROOT.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _public_names(module: str) -> list[str]:
    """``module.__all__``, read from its source when it is a literal (so that modules
    needing an optional dependency are checked without it), imported otherwise."""
    tree = ast.parse(_source(module).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                break
    try:
        return list(importlib.import_module(module).__all__)
    except ImportError as exc:  # computed __all__ and a missing extra
        pytest.skip(f"{module} needs an optional dependency to list its names: {exc}")


def _autosummary_entries(text: str, entries: dict[str, set[str]]) -> None:
    """Add the names listed in the ``autosummary`` directives of one reStructuredText
    source to ``entries``, by the ``currentmodule`` they are listed under."""
    module = None
    in_summary = False
    for line in text.splitlines():
        if match := re.match(r"\.\. (?:current)?module:: (\S+)", line):
            module = match.group(1)
        if line.startswith(".. autosummary::"):
            in_summary = True
            continue
        if in_summary:
            if line.strip() == "" or line.lstrip().startswith(":"):
                continue
            if line.startswith("   "):
                owner, _, attr = line.strip().lstrip("~").rpartition(".")
                entries.setdefault(owner or module, set()).add(attr)
                continue
            in_summary = False


def _reference_entries() -> dict[str, set[str]]:
    """The API reference's entries (every ``docs/*.rst``), by module."""
    entries: dict[str, set[str]] = {}
    for path in sorted(DOCS.glob("*.rst")):
        _autosummary_entries(path.read_text(), entries)
    return entries


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_name_has_an_api_reference_entry(module):
    if _source(module) is None:
        pytest.skip(f"{module} does not exist in this checkout")
    listed = _reference_entries().get(module, set())
    missing = sorted(set(_public_names(module)) - listed)
    assert not missing, (f"{module}.__all__ names without an autosummary entry under "
                         f".. currentmodule:: {module} in docs/api.rst: {missing}")


def test_the_reference_lists_no_name_that_is_not_public():
    """A renamed or removed name must leave the reference too (autosummary would fail on
    it only when the build runs)."""
    for module, names in _reference_entries().items():
        if _source(module) is None:
            continue
        stale = sorted(names - set(_public_names(module)))
        assert not stale, f"docs/api.rst lists names not in {module}.__all__: {stale}"


def test_the_entry_parser_reads_the_reference_as_written():
    """The parser above, on a fragment in the reference's own layout."""
    text = (".. currentmodule:: pkg.mod\n\n.. autosummary::\n   :toctree: generated\n"
            "   :nosignatures:\n\n   First\n   other.Second\n\nText.\n\n   Indented\n")
    entries: dict[str, set[str]] = {}
    _autosummary_entries(text, entries)
    assert entries == {"pkg.mod": {"First"}, "other": {"Second"}}


def test_every_example_is_a_gallery_example():
    """sphinx-gallery runs ``examples/plot_*.py`` during the build: an example under
    another name would be shown without being run, so it could break unnoticed."""
    examples = sorted((ROOT / "examples").glob("*.py"))
    assert examples
    for path in examples:
        assert path.name.startswith("plot_"), path.name
        title = ast.get_docstring(ast.parse(path.read_text())).strip().splitlines()
        assert len(title) >= 2 and set(title[1]) == {"="}, (
            f"{path.name}: the docstring must start with a title underlined with '='")


def test_the_pages_that_the_user_guide_promises_exist():
    index = (DOCS / "index.md").read_text()
    for page in ("install", "why_focal", "estimators", "choosing_gamma", "probabilities",
                 "ghm", "serving", "dask", "performance", "faq", "api", "benchmarks",
                 "changelog", "development"):
        assert f"\n{page}\n" in index, page
        assert (DOCS / f"{page}.md").is_file() or (DOCS / f"{page}.rst").is_file(), page


def test_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines (at most 250)"


def test_results_keeps_the_current_figures_only():
    lines = (ROOT / "benchmarks" / "RESULTS.md").read_text().splitlines()
    assert len(lines) <= 400, (f"benchmarks/RESULTS.md has {len(lines)} lines (at most "
                               "400): move superseded runs to benchmarks/HISTORY.md")


def test_readme_commands_are_what_ci_runs():
    """The two commands of the README are the ones .ci/run runs (CI installs the project
    exactly as the README says)."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install -e \".[test]\" "
            "&& python -m pytest -q -n 2") in readme
    assert ('python3 -m venv .venv && . .venv/bin/activate && pip install ".[all]" && '
            "boostfocal compare") in readme
    assert re.search(r'^pip install (--quiet )?-e "\.\[test\]"$', ci, re.MULTILINE)
    assert re.search(r"^python -m pytest -q -n 2$", ci, re.MULTILINE)


@pytest.mark.parametrize("page,pattern", [
    ("README.md", r"## Example\n\n```python\n(.*?)```"),
    ("docs/index.md", r"```python\n(.*?)```"),  # the site's front page
])
def test_front_page_example_runs(page, pattern, tmp_path, monkeypatch):
    """The example of the README and of the site's front page, as written: it trains,
    predicts held-out rows and saves a model file that restores the same predictions."""
    pytest.importorskip("xgboost")
    text = (ROOT / page).read_text()
    code = re.search(pattern, text, re.S).group(1)
    assert len(code.splitlines()) <= 15
    # one thread: the suite runs two test processes on two cores
    assert code.count("n_estimators=200)") == 1
    code = code.replace("n_estimators=200)", "n_estimators=200, n_jobs=1)")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, page, "exec"), namespace)  # noqa: S102 - our own documentation
    clf, X_test, y_test = namespace["clf"], namespace["X_test"], namespace["y_test"]
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(y_test), 2) and ((proba > 0) & (proba < 1)).all()
    assert (tmp_path / "model.ubj").is_file()
    from boostfocal import FocalXGBClassifier

    restored = FocalXGBClassifier()
    restored.load_model(str(tmp_path / "model.ubj"))
    assert (restored.predict_proba(X_test) == proba).all()


def _boostfocal_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) of every absolute ``boostfocal`` import of a script."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (
                node.module or "").startswith("boostfocal"):
            out += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(alias.name, None) for alias in node.names
                    if alias.name.startswith("boostfocal")]
    return out


SCRIPTS = sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("benchmarks/_speed/*.py"),
                  *ROOT.glob("examples/*.py"), *ROOT.glob("docs/*.py")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_import_only_what_the_package_has(script):
    # A refactor that moves a name must move the scripts' imports with it (it once left
    # benchmarks/dask_overhead.py importing names boostfocal.dask no longer had).
    missing = []
    for module, name in _boostfocal_imports(script):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            if exc.name and not exc.name.startswith("boostfocal"):
                pytest.skip(f"{module} needs {exc.name}")
            missing.append(module)
            continue
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{module}.{name}")
    assert missing == []
