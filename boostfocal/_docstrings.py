"""Docstring fragments, written once: the one mechanism every module uses.

A docstring line holding only ``${name}`` is replaced by the fragment ``name``, indented
like that line (the way scikit-learn and pandas share their parameter descriptions).
A fragment may hold fields, ``${field}``, filled from ``words``; the paragraphs a field
changes are re-wrapped, and a ``literal`` is never broken across lines. An unknown
fragment or a missing field is a ``KeyError`` when the decorated object is defined, so a
typo never reaches the rendered documentation. The fragments themselves live beside
their subject: ``boostfocal.losses._docs`` (the loss objects' parameters) and
``boostfocal._estimator_core.docs`` (the estimators' and adapters').
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from string import Template
from typing import TypeVar

T = TypeVar("T")

_BLOCK = re.compile(r"^( *)\$\{(\w+)\}$", re.MULTILINE)

#: Width of a filled docstring line, its indentation included.
_WIDTH = 90


def _fill(fragment: str, words: Mapping[str, str], indent: str) -> str:
    """The fragment with its fields filled; the paragraphs they lengthen are re-wrapped.

    A paragraph is a run of lines with the same indentation; a numpydoc entry's first
    line (``name : type``) stands alone.
    """
    paragraphs: list[list[str]] = []
    for line in fragment.splitlines():
        depth = len(line) - len(line.lstrip())
        head = paragraphs[-1][0] if paragraphs else None
        starts = (not line.strip() or head is None or not head.strip()
                  or depth != len(head) - len(head.lstrip()) or " : " in head
                  or " : " in line)
        if starts:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    out = []
    for lines in paragraphs:
        text = "\n".join(lines)
        filled = Template(text).substitute(words)
        if filled != text:
            depth = " " * (len(lines[0]) - len(lines[0].lstrip()))
            # a literal (``...``) is never broken across lines
            words_ = re.sub(r"``[^`]*``", lambda m: m.group().replace(" ", "\0"),
                            " ".join(filled.split()))
            filled = textwrap.fill(words_, _WIDTH - len(indent), initial_indent=depth,
                                   subsequent_indent=depth, break_long_words=False,
                                   break_on_hyphens=False).replace("\0", " ")
        out.append(filled)
    return textwrap.indent("\n".join(out), indent, lambda line: line.strip() != "")


def fill(doc: str | None, fragments: Mapping[str, str],
         words: Mapping[str, str] | None = None) -> str | None:
    """``doc`` with every ``${name}`` line replaced by ``fragments[name]``, filled.

    Parameters
    ----------
    doc : str or None
        A docstring (None under ``python -OO``, returned as it is).
    fragments : mapping of str to str
        The fragments, by name.
    words : mapping of str to str, default=None
        The values of the fragments' ``${field}`` fields.

    Returns
    -------
    str or None
    """
    if not doc:
        return doc
    words = {} if words is None else words
    return _BLOCK.sub(lambda m: _fill(fragments[m.group(2)], words, m.group(1)), doc)


def filler(fragments: Mapping[str, str]) -> Callable[..., Callable[[T], T]]:
    """A ``fill_doc(**words)`` decorator factory over ``fragments``.

    Parameters
    ----------
    fragments : mapping of str to str
        The fragments the decorated docstrings may name.

    Returns
    -------
    callable
        ``fill_doc(**words)``: a decorator for a class or a function that fills its
        ``__doc__`` (see :func:`fill`) and returns the object itself.
    """
    def fill_doc(**words: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            obj.__doc__ = fill(obj.__doc__, fragments, words)
            return obj
        return decorate
    return fill_doc
