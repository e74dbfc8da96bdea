"""Shared docstring fragments: every estimator's numpydoc renders them in the right place."""

from __future__ import annotations

import re

import pytest

from boostfocal._estimator_core import docs
from boostfocal._estimator_core.docs import FOCAL_PARAMS, LIGHTGBM_WORDS, XGBOOST_WORDS, fill_doc

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("distributed")

from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier  # noqa: E402

FOCAL = ["focal_gamma", "focal_alpha", "focal_hessian", "focal_proba"]
GHM = ["ghm_bins", "ghm_momentum"]
ESTIMATORS = [(FocalXGBClassifier, FOCAL), (FocalLGBMClassifier, FOCAL),
              (DaskFocalXGBClassifier, FOCAL), (DaskFocalLGBMClassifier, FOCAL),
              (GHMXGBClassifier, GHM), (GHMLGBMClassifier, GHM)]


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a class docstring (indented by 4) by title."""
    parts = re.split(r"^    (\w[\w ]*)\n    -+\n", doc, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _entries(section: str) -> list[str]:
    return re.findall(r"^    (\S[^:\n]*?)(?: :|$)", section, flags=re.MULTILINE)


@pytest.mark.parametrize("cls,params", ESTIMATORS, ids=lambda v: getattr(v, "__name__", ""))
def test_estimator_docstrings_document_their_own_parameters_first(cls, params):
    doc = cls.__doc__
    assert "${" not in doc
    sections = _sections(doc)
    assert list(sections)[:3] == ["Parameters", "Attributes", "Notes"]
    assert _entries(sections["Parameters"])[:len(params)] == params
    for line in doc.splitlines():  # filled fragments are re-wrapped within the page width
        assert len(line) <= 99, line
    for name in params:
        assert name in cls().get_params()


@pytest.mark.parametrize("cls", [DaskFocalXGBClassifier, DaskFocalLGBMClassifier])
def test_dask_fit_and_attributes_use_the_shared_fragments(cls):
    attributes = _entries(_sections(cls.__doc__)["Attributes"])
    assert attributes == ["classes_", "loss_", "focal_alpha_", "init_score_",
                          "class_totals_"]
    fit = cls.fit.__doc__
    assert "${" not in fit
    assert re.findall(r"^        (\w+) :", fit, flags=re.MULTILINE)[:3] == [
        "X", "y", "sample_weight"]


def test_backend_words_fill_the_fragment():
    xgb_doc, lgbm_doc = FocalXGBClassifier.__doc__, FocalLGBMClassifier.__doc__
    assert "Curvature handed to the booster" in xgb_doc
    assert "Curvature handed to LightGBM" in lgbm_doc
    flat = " ".join(lgbm_doc.split())
    assert "(``sample_weight`` with ``class_weight``, ``is_unbalance`` and " \
           "``scale_pos_weight`` folded in)" in flat
    assert "Unlike ``scale_pos_weight``, which re-weights the data" in " ".join(
        xgb_doc.split())


def test_fill_doc_indents_wraps_and_keeps_literals_whole():
    @fill_doc(booster="B", training_weights="``a b c d e f g h i j k l m n o p q r s``",
              data_weights="``w``, which re-weights")
    class Documented:
        """Summary.

        Parameters
        ----------
        ${focal_params}
        """

    lines = Documented.__doc__.splitlines()
    indent = lines[3][:lines[3].index("-")]  # the docstring's own indentation
    assert lines[4] == indent + "focal_gamma : float, default=2.0"
    assert "``a b c d e f g h i j k l m n o p q r s``" in "\n".join(lines)
    alpha = lines.index(indent + 'focal_alpha : float, sequence of float, "balanced" or None, '
                                 'default=None')
    filled = lines[alpha + 1:lines.index(indent + 'focal_hessian : {"majorizer", "floor", '
                                                  '"exact"}, default="majorizer"')]
    assert len(filled) > 5 and all(len(line) <= 90 for line in filled)
    # paragraphs without a field are the fragment's own text
    assert [line[len(indent):] for line in lines[4:7]] == FOCAL_PARAMS.splitlines()[:3]


def test_fill_doc_needs_every_field():
    with pytest.raises(KeyError, match="booster"):
        @fill_doc(training_weights="t", data_weights="d")
        class Missing:
            """Summary.

            ${focal_params}
            """


def test_words_cover_every_field():
    fields = set()
    for fragment in docs.FRAGMENTS.values():
        fields |= set(re.findall(r"\$\{(\w+)\}", fragment))
    assert fields <= set(XGBOOST_WORDS) and fields <= set(LIGHTGBM_WORDS)
