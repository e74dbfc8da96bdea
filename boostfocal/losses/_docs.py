"""Docstring fragments shared by the loss objects: each parameter described once.

A docstring names a fragment as ``${name}`` on a line of its own; :func:`fill_doc`
(applied to every loss class by ``BaseLoss.__init_subclass__``) replaces every such line
of the class's and its methods' docstrings with the fragment, indented as the
placeholder is (the way scikit-learn and pandas share their parameter descriptions). An
unknown name is a ``KeyError`` at import, so a typo cannot reach the rendered
documentation. (ruff reads the source, where the parameters are placeholders: the
methods that use them say ``noqa: D417``, and ``tests/test_base.py`` checks that the
rendered docstrings document every parameter.)
"""

from __future__ import annotations

import inspect

from .._docstrings import fill

FRAGMENTS = {
    "gamma": """\
gamma : float, default=2.0
    Focusing parameter, ``>= 0``: an example's loss is scaled by ``(1 - p)^gamma``, ``p``
    the probability of its true class, so that easy examples count less.
    ``gamma=0`` with ``alpha=None`` is exactly the cross-entropy (the logistic loss
    for two classes).""",
    "y_true_binary": """\
y_true : array-like of shape (n,)
    Labels in {0, 1}.""",
    "y_true_multiclass": """\
y_true : array-like of shape (n,)
    Class indices 0..K-1.""",
    "y_true_train": """\
y_true : array-like of shape (n,)
    Training labels: 0/1 for a binary loss, class indices 0..K-1 for
    :class:`SoftmaxFocalLoss`.""",
    "raw_binary": """\
raw_prediction : array-like of shape (n,)
    Raw margins (log-odds).""",
    "raw_multiclass": """\
raw_prediction : array-like of shape (n, K)
    Raw logits, in any memory layout.""",
    "data_any": """\
y_true : array-like of shape (n,)
    Labels in {0, 1} (binary losses) or class indices 0..K-1 (multiclass).
raw_prediction : array-like of shape (n,) or (n, K)
    Raw margins (log-odds) of a binary loss, or raw logits (any memory layout).""",
    "raw_offset_any": """\
raw_offset : float or array-like of shape (K,), default=None
    A constant added to every raw margin, or K constants to every row's logits,
    first: the model's starting score, where the booster's raw predictions leave it
    out (the LightGBM estimators train so, instead of storing it per row as an init
    score).""",
    "sample_weight": """\
sample_weight : array-like of shape (n,), default=None
    Non-negative weights.""",
    "sample_weight_outputs": """\
sample_weight : array-like of shape (n,), default=None
    Non-negative weights; both outputs are multiplied by them.""",
    "n_classes": """\
n_classes : int, default=None
    K: by default the loss's own ``n_classes`` (2 for a binary loss, the length of a
    numeric ``alpha``), else ``max(y_true) + 1``. A binary loss accepts only None or 2.""",
    "raw_offset_binary": """\
raw_offset : float, default=None
    A constant added to every raw margin first: the model's starting score, where
    the booster's raw predictions leave it out (the LightGBM estimators train so,
    instead of storing it per row as an init score).""",
    "raw_offset_multiclass": """\
raw_offset : array-like of shape (K,), default=None
    Constants added to every row's logits first: the model's starting score, where
    the booster's raw predictions leave it out (the LightGBM estimators train so,
    instead of storing it per row as an init score).""",
    "n_threads": """\
n_threads : int, default=None
    Threads of the kernel: None for the usable CPUs (limited by
    ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all of
    them, else that many (as in scikit-learn's ``_loss``); never more than the
    CPUs or the limit set through threadpoolctl. Inputs under 131,072 rows run on
    the calling thread.""",
    "n_threads_ghm": """\
n_threads : int, default=None
    Accepted (and checked) for the signature the focal losses share, so that the
    adapters pass it to every loss; GHM-C's numpy code runs on the calling thread.""",
    "outputs_binary": """\
gradient_out, hessian_out : ndarray of shape (n,), default=None
    Contiguous float32 or float64 arrays to write the results into (float32 is
    what XGBoost and LightGBM store). By default they are allocated with
    ``raw_prediction``'s float dtype.""",
    "outputs_multiclass": """\
gradient_out, hessian_out : ndarray of shape (n, K), default=None
    C- or Fortran-contiguous float32 or float64 arrays to write the results into
    (float32 is what XGBoost and LightGBM store). By default they are allocated
    with ``raw_prediction``'s float dtype and memory order.""",
    "proba_binary": """\
Parameters
----------
raw_prediction : array-like of shape (n,)
    Raw margins (log-odds).

Returns
-------
ndarray of shape (n, 2)
    float32 for float32 ``raw_prediction``, float64 otherwise.""",
    "proba_multiclass": """\
Parameters
----------
raw_prediction : array-like of shape (n, K)
    Raw logits.

Returns
-------
ndarray of shape (n, K)
    float32 for float32 ``raw_prediction``, float64 otherwise.""",
    "proba_any": """\
Parameters
----------
raw_prediction : array-like of shape (n,) or (n, K)
    Raw predictions in the loss's layout: margins (binary) or logits (multiclass).
n_threads : int, default=None
    Threads of the kernel, counted as in ``gradient_hessian``; inputs under 32,768
    rows run on the calling thread.

Returns
-------
ndarray of shape (n, n_classes)
    float32 for float32 ``raw_prediction``, float64 otherwise.""",
}

# The probability methods' sections with the threads parameter.
PROBA_THREADS = """\
n_threads : int, default=None
    Threads of the kernel, counted as in ``gradient_hessian``; inputs under 32,768
    rows run on the calling thread."""
for _task in ("binary", "multiclass"):
    FRAGMENTS[f"proba_{_task}_threads"] = FRAGMENTS[f"proba_{_task}"].replace(
        "\n\nReturns", f"\n{PROBA_THREADS}\n\nReturns")

# Fragments that group others, for the parameters that always come together.
FRAGMENTS["data_binary"] = f"{FRAGMENTS['y_true_binary']}\n{FRAGMENTS['raw_binary']}"
FRAGMENTS["data_multiclass"] = (f"{FRAGMENTS['y_true_multiclass']}\n"
                                f"{FRAGMENTS['raw_multiclass']}")
FRAGMENTS["labels_parameters"] = (f"Parameters\n----------\n{FRAGMENTS['y_true_train']}\n"
                                  f"{FRAGMENTS['sample_weight']}\n{FRAGMENTS['n_classes']}")

def fill_docstring(doc: str | None) -> str | None:
    """``doc`` with every ``${name}`` line replaced by its fragment, indented alike."""
    return fill(doc, FRAGMENTS)


def fill_doc(cls: type) -> type:
    """Class decorator: fill the fragments of the class's and its own methods' docstrings."""
    cls.__doc__ = fill_docstring(cls.__doc__)
    for attr in vars(cls).values():
        func = getattr(attr, "__func__", attr)  # a staticmethod's or classmethod's function
        if inspect.isfunction(func):
            func.__doc__ = fill_docstring(func.__doc__)
    return cls
