"""Sphinx configuration of the boostfocal documentation site.

Build it (``pip install -e ".[docs]"``; the gallery runs ``examples/plot_*.py``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import boostfocal  # noqa: E402

project = "boostfocal"
author = "boostfocal developers"
copyright = "boostfocal developers"  # noqa: A001
release = boostfocal.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
templates_path = ["_templates"]

# --- API reference -------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document the methods boostfocal defines, not the booster classes' own.

    The estimators subclass XGBClassifier and LGBMClassifier: their inherited API is
    documented by XGBoost and LightGBM, and their docstrings are not numpydoc.
    """
    if skip or name.startswith("_"):
        return True
    if name.endswith("_"):  # fitted attributes: the Attributes section describes them
        return True
    module = getattr(obj, "__module__", None)
    if module is None:
        func = getattr(obj, "fget", None) or getattr(obj, "__func__", None)
        module = getattr(func, "__module__", None)
    if what == "class" and module is not None and not module.startswith("boostfocal"):
        return True
    return None


def _constant_doc(app, what, name, obj, options, lines):
    """Give a re-exported constant the ``#:`` comment of the module that defines it.

    ``boostfocal.xgboost.FOCAL_MIN_CHILD_WEIGHT`` is defined (and commented) in a private
    module; without this autodoc would show the docstring of ``float``.
    """
    if what != "data" or not name.startswith("boostfocal."):
        return
    package, _, attr = name.rpartition(".")
    parent = importlib.import_module(package)
    for info in pkgutil.iter_modules(getattr(parent, "__path__", []), package + "."):
        module = sys.modules.get(info.name)
        if module is None or getattr(module, attr, None) is not obj:
            continue
        docs = ModuleAnalyzer.for_module(info.name).find_attr_docs()
        if ("", attr) in docs:
            lines[:] = [*docs[("", attr)], ""]
            return


_DOCUMENTED: dict[int, str] = {}


def _resolve_reexport(app, env, node, contnode):
    """Link a re-exported name to the page of the object it names.

    For example ``boostfocal.FocalXGBClassifier`` or ``boostfocal.losses.FocalLoss``. Each
    object is documented once (api.rst); the modules that re-export it list it in
    a summary table whose links would otherwise point nowhere.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("boostfocal."):
        return None
    module, _, attr = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    py = env.get_domain("py")
    if not _DOCUMENTED:
        for name in list(py.objects):
            owner, _, member = name.rpartition(".")
            try:
                _DOCUMENTED.setdefault(id(getattr(importlib.import_module(owner), member)),
                                       name)
            except (ImportError, AttributeError, ValueError):
                continue
    name = _DOCUMENTED.get(id(obj))
    if name is None or name == target:
        return None
    return py.resolve_xref(env, node["refdoc"], app.builder, "obj", name, node, contnode)


def setup(app):
    """Register the member filter, the re-export links and the constants' docs."""
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("missing-reference", _resolve_reexport)
    app.connect("autodoc-process-docstring", _constant_doc)


# --- Markdown (MyST) -------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- Gallery ---------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every plot_*.py
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "show_memory": False,
}
os.environ.setdefault("MPLBACKEND", "Agg")

# --- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"boostfocal {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"changelog": [], "faq": []}
html_show_sourcelink = False
