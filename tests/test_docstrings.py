"""The one docstring-fragment mechanism (boostfocal/_docstrings.py)."""

from __future__ import annotations

import pytest

from boostfocal._docstrings import fill, filler


def test_a_fragment_line_is_replaced_and_indented_as_that_line():
    doc = "Summary.\n\n        ${params}\n        "
    filled = fill(doc, {"params": "a : int\n    The a."})
    assert filled.splitlines()[2:4] == ["        a : int", "            The a."]


def test_text_that_is_not_a_fragment_line_stays():
    text = "100% plain, {0, 1}, $x, an inline ${params} and %(old)s stay as they are"
    assert fill(text, {"params": "never used"}) == text
    assert fill(None, {}) is None  # python -OO


def test_unknown_fragments_and_missing_fields_are_errors():
    with pytest.raises(KeyError):
        fill("x\n    ${nothing}\n", {})
    with pytest.raises(KeyError):
        fill("x\n    ${p}\n", {"p": "uses ${field}"})


def test_fields_are_filled_and_the_changed_paragraph_rewrapped():
    fragment = "name : str\n    A short line that ${what} in it."
    doc = fill("S.\n\n    ${p}\n", {"p": fragment}, {"what": "has " + "many words " * 12})
    lines = doc.splitlines()
    assert lines[2] == "    name : str"
    assert all(len(line) <= 90 for line in lines)
    assert " ".join(" ".join(lines[3:]).split()) == (
        "A short line that has " + "many words " * 12 + "in it.").replace("  ", " ").strip()


def test_filler_decorates_and_returns_the_object():
    fill_doc = filler({"p": "p : int\n    The ${what}."})

    @fill_doc(what="answer")
    class C:
        """C.

        ${p}
        """

    assert "        p : int\n            The answer." in C.__doc__
