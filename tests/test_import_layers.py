"""The package's layers: imports flow one way, and no function is longer than 80 lines.

Every module of ``boostfocal`` is parsed (not imported), so that imports inside functions
(the lazy ones) and the lazy-attribute tables (``_LAZY``) count as well. The layers, from
the bottom (docs/development.md, DESIGN.md section 4):

utilities < losses < the estimator core < xgboost, lightgbm < dask, onnx < compare

A module may import from its own layer and the layers below it, never from above, and
the two packages of one layer never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "boostfocal"

#: (layer, module prefixes), bottom first. A module belongs to the layer of its longest
#: matching prefix; the package root (``boostfocal/__init__.py``, a table of lazy names)
#: sits above everything.
LAYERS = [
    ("utilities", ["boostfocal._version", "boostfocal._optional", "boostfocal._validation",
                   "boostfocal._docstrings", "boostfocal._lazy"]),
    ("losses", ["boostfocal.losses"]),
    ("estimator core", ["boostfocal._estimator_core", "boostfocal._config"]),
    ("backends", ["boostfocal.xgboost", "boostfocal.lightgbm"]),
    ("integrations", ["boostfocal.dask", "boostfocal.onnx"]),
    ("command", ["boostfocal.compare", "boostfocal.__main__"]),
    ("package root", ["boostfocal"]),
]

#: The longest a function may be, from its ``def`` line to its last line (docstring
#: included).
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> tuple[int, str]:
    """(rank, package) of a boostfocal module: its layer and the prefix it matched."""
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (rank, prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The boostfocal modules a ``from ... import ...`` statement loads."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("boostfocal"):
        return []
    out = []
    for alias in node.names:  # `from . import _compat`: the submodule, if it is one
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in MODULES else target)
    return out


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported boostfocal module) of every import, lazy ones included."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names
                      if a.name.startswith("boostfocal")]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, m) for m in _resolve(module, path.name == "__init__.py",
                                                         node)]
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
              and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)):
            found += [(node.lineno, v.value) for v in node.value.values
                      if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return found


def _violations(module: str, path: Path) -> list[str]:
    rank, package = _layer(module)
    out = []
    for line, target in _imports(module, path):
        if target == "boostfocal" and module != "boostfocal":
            out.append(f"{path.name}:{line} imports the package root")
            continue
        other_rank, other_package = _layer(target)
        if other_rank > rank:
            out.append(f"{path.name}:{line} {module} ({LAYERS[rank][0]}) imports {target} "
                       f"({LAYERS[other_rank][0]}), a layer above it")
        elif other_rank == rank and other_package != package and rank in (3, 4):
            out.append(f"{path.name}:{line} {module} imports {target}: the two packages "
                       f"of the {LAYERS[rank][0]} layer do not import each other")
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_never_run_back_up(module):
    assert _violations(module, MODULES[module]) == []


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    # An upward import inside a function, one through `from .. import`, and a lazy table.
    source = ("def f():\n    from ..dask import _common\n"
              "from .. import compare\n"
              "_LAZY = {'x': 'boostfocal.xgboost._estimator'}\n")
    path = tmp_path / "fake.py"
    path.write_text(source)
    found = _violations("boostfocal.losses.fake", path)
    assert len(found) == 3, found
    assert any("boostfocal.dask._common (integrations)" in v for v in found), found


def test_all_dask_code_lives_in_the_dask_package():
    for module, path in MODULES.items():
        if module.startswith("boostfocal.dask") or module == "boostfocal":
            continue
        lazy_or_not = [t for _, t in _imports(module, path)]
        assert not any(t.startswith("boostfocal.dask") for t in lazy_or_not), module
        text = path.read_text()
        assert "import_optional(\"dask" not in text and "import dask" not in text, module


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_function_is_longer_than_80_lines(module):
    tree = ast.parse(MODULES[module].read_text())
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []
