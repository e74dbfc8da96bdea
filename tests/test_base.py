"""The loss objects' shared base (losses/base.py) and docstring fragments (losses/_docs.py)."""

from __future__ import annotations

import inspect
import pickle
import pydoc

import numpy as np
import pytest

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal.losses._docs import FRAGMENTS, fill_docstring
from boostfocal.losses.base import BaseLoss, BinaryLoss

LOSSES = [FocalLoss(1.5, 0.25, "floor"), FocalLoss(2.0, "balanced"),
          SoftmaxFocalLoss(2.0, [1.0, 2.0, 0.5]), SoftmaxFocalLoss(0.5, "balanced"),
          SoftmaxFocalLoss(), GHMLoss(30, 0.75)]

#: Every public method of the loss classes that documents its parameters.
DOCUMENTED = {
    FocalLoss: ["loss", "gradient_hessian", "resolve", "class_totals", "init_score",
                "predict_proba", "predict_confidence"],
    SoftmaxFocalLoss: ["loss", "gradient_hessian", "resolve", "class_totals", "init_score",
                       "predict_proba", "predict_confidence"],
    GHMLoss: ["loss", "gradient_hessian", "bin_weights", "harmonized_loss", "class_totals",
              "init_score", "predict_proba"],
}


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_repr_eq_hash_and_pickle_follow_the_parameters(loss):
    namespace = {"FocalLoss": FocalLoss, "SoftmaxFocalLoss": SoftmaxFocalLoss,
                 "GHMLoss": GHMLoss}
    again = eval(repr(loss), namespace)
    assert again == loss and hash(again) == hash(loss) and again is not loss
    assert pickle.loads(pickle.dumps(loss)) == loss
    assert isinstance(loss, BaseLoss)
    others = [other for other in LOSSES if other is not loss]
    assert all(other != loss for other in others)
    assert len({loss, *others}) == len(LOSSES)


def test_losses_of_other_types_are_never_equal():
    assert FocalLoss(0.0) != SoftmaxFocalLoss(0.0)
    assert GHMLoss() != FocalLoss()
    assert FocalLoss() != "FocalLoss(gamma=2.0, alpha=None, hessian='majorizer')"


def test_binary_losses_share_the_binary_base():
    for loss in (FocalLoss(), GHMLoss()):
        assert isinstance(loss, BinaryLoss) and loss.n_classes == 2
    assert not isinstance(SoftmaxFocalLoss(), BinaryLoss)


@pytest.mark.parametrize("cls", [FocalLoss, SoftmaxFocalLoss, GHMLoss])
def test_every_loss_takes_its_start_from_the_totals_alone(cls):
    # one signature, so the fit plan asks any loss without branching on its type
    assert list(inspect.signature(cls.init_score_from_totals).parameters) == ["self",
                                                                              "totals"]
    loss = cls() if cls is not SoftmaxFocalLoss else cls(2.0)
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2]) if cls is SoftmaxFocalLoss else \
        np.array([0, 0, 0, 1, 1, 0, 1, 0, 0])
    w = np.linspace(0.5, 2.0, y.shape[0])
    totals = loss.class_totals(y, w, n_classes=3 if cls is SoftmaxFocalLoss else None)
    np.testing.assert_array_equal(loss.init_score_from_totals(totals), loss.init_score(y, w))


@pytest.mark.parametrize("totals", [(1.0, 2.0, 3.0), [[1.0, 2.0]], 1.0])
@pytest.mark.parametrize("cls", [FocalLoss, GHMLoss])
def test_binary_starts_need_two_totals(cls, totals):
    with pytest.raises(ValueError, match=r"totals must hold the two class totals \(W0, W1\)"):
        cls().init_score_from_totals(totals)


def test_resolve_returns_the_loss_itself_when_there_is_nothing_to_resolve():
    y = np.array([0, 1, 1, 0, 0])
    for loss in (GHMLoss(5), FocalLoss(2.0, 0.3), SoftmaxFocalLoss(2.0, None)):
        assert loss.resolve(y) is loss


def test_binary_losses_accept_n_classes_two_only():
    y, w = np.array([0, 1, 1, 0, 0]), np.array([1.0, 2.0, 1.0, 1.0, 3.0])
    for loss in (FocalLoss(2.0, 0.25), GHMLoss()):
        assert loss.class_totals(y, w, n_classes=2) == loss.class_totals(y, w) == (5.0, 3.0)
        assert loss.init_score(y, w, n_classes=2) == loss.init_score(y, w)
        with pytest.raises(ValueError, match="n_classes must be 2"):
            loss.class_totals(y, w, n_classes=3)
    resolved = FocalLoss(2.0, "balanced").resolve(y, w, n_classes=2)
    assert resolved.alpha == pytest.approx(5.0 / 8.0)


def test_unresolved_alpha_is_reported_by_every_method_that_needs_it():
    y, z = np.array([0, 1, 1]), np.array([0.1, -0.4, 2.0])
    zs, ys = np.zeros((3, 3)), np.array([0, 1, 2])
    for loss, yy, zz in ((FocalLoss(2.0, "balanced"), y, z),
                         (SoftmaxFocalLoss(2.0, "balanced"), ys, zs)):
        for method, args in (("loss", (yy, zz)), ("gradient_hessian", (yy, zz)),
                             ("init_score", (yy,)), ("predict_proba", (zz,))):
            with pytest.raises(ValueError, match="no class weights yet"):
                getattr(loss, method)(*args)
        assert loss.predict_confidence(zz).shape == (3, 2 if zz.ndim == 1 else 3)


# ---------------------------------------------------------------------- docstrings
def _documented_parameters(doc: str) -> set[str]:
    """The names in the numpydoc "Parameters" section of ``doc``."""
    lines = inspect.cleandoc(doc).splitlines()
    names, inside = set(), False
    for i, line in enumerate(lines):
        heading = i + 1 < len(lines) and set(lines[i + 1]) == {"-"}
        if heading:
            inside = line == "Parameters"
            continue
        if inside and line and not line.startswith(" ") and set(line) != {"-"}:
            names.update(name.strip() for name in line.split(" : ")[0].split(","))
    return names


@pytest.mark.parametrize("cls", list(DOCUMENTED), ids=lambda c: c.__name__)
def test_rendered_docstrings_document_every_parameter(cls):
    assert "${" not in cls.__doc__
    for name in DOCUMENTED[cls]:
        method = getattr(cls, name)
        doc = method.__doc__
        assert "${" not in doc, (cls.__name__, name)
        expected = set(inspect.signature(method).parameters) - {"self"}
        assert _documented_parameters(doc) == expected, (cls.__name__, name)


def test_help_renders_the_fragments_in_numpydoc_layout():
    text = pydoc.render_doc(FocalLoss.gradient_hessian, renderer=pydoc.plaintext)
    assert "${" not in text
    doc = inspect.cleandoc(FocalLoss.gradient_hessian.__doc__)
    # a fragment lands at the section's indentation, its description 4 spaces further
    assert "\nraw_offset : float, default=None\n    A constant added to every raw margin" in doc
    assert "\nn_threads : int, default=None\n    Threads of the kernel" in doc
    assert "raw_offset : float, default=None" in text
    multiclass = inspect.cleandoc(SoftmaxFocalLoss.gradient_hessian.__doc__)
    assert "\nraw_offset : array-like of shape (K,), default=None\n" in multiclass
    assert "hessian_scale : float, default=1.0" in multiclass


def test_fill_docstring_indents_fragments_and_rejects_unknown_names():
    doc = "Summary.\n\n    Parameters\n    ----------\n    ${sample_weight}\n    "
    filled = fill_docstring(doc)
    first, rest = FRAGMENTS["sample_weight"].split("\n", 1)
    assert f"\n    {first}\n        {rest.strip()}\n" in filled
    assert fill_docstring(None) is None
    assert fill_docstring("100% plain, {0, 1}, $x and ${inline} stay as they are") == \
        "100% plain, {0, 1}, $x and ${inline} stay as they are"
    with pytest.raises(KeyError):
        fill_docstring("x\n    ${no_such_fragment}\n")
