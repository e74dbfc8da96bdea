"""The version of boostfocal: written here and nowhere else.

``pyproject.toml`` declares the version dynamic and setuptools reads it from this file
(``[tool.setuptools.dynamic]``), so the installed metadata, ``boostfocal.__version__``
and the version recorded in model files are always the same string, in an editable
install and in a source checkout that was never installed.
"""

__version__ = "0.1.0"
