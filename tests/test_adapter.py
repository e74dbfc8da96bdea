"""The adapters' shared core: one objective class, one metric class, one layout per
calling convention (boostfocal/_estimator_core/adapter.py and the backends' ``_adapter`` modules).

Training with the boosters is tested in test_xgboost.py, test_lightgbm.py and
test_dask.py; here: what the core does with a layout, and the signatures the boosters
inspect.
"""

import copy
import inspect
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import boostfocal
import boostfocal.dask
from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal._estimator_core.adapter import (
    Layout,
    NativeMetric,
    NativeObjective,
    name_value,
    weights_or_none,
)


def _read_triple(y, preds, w=None):
    return y, preds, w


def _double(n_classes):
    return 2.0


TRIPLE = Layout(read=_read_triple, flat_order="F", softmax_factor=_double, report=name_value)


def _data(k, n=30, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    z = rng.normal(size=n if k == 2 else (n, k))
    w = rng.uniform(0.5, 2.0, n)
    return y, z, w


# ---------------------------------------------------------------------------------------
# the core with a layout
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", [FocalLoss(2.0, alpha=0.25), GHMLoss(bins=5)])
def test_binary_objective_is_the_loss_with_the_layouts_weights(loss):
    y, z, w = _data(2)
    grad, hess = NativeObjective(loss, layout=TRIPLE)(y, z, w)
    g, h = copy.deepcopy(loss).gradient_hessian(y, z, w)
    assert grad.dtype == hess.dtype == np.float32
    assert_allclose(grad, g, rtol=1e-6)
    assert_allclose(hess, h, rtol=1e-6)


def test_multiclass_objective_reads_the_layouts_order_and_curvature_scale():
    y, z, w = _data(3)
    loss = SoftmaxFocalLoss(2.0)
    flat = z.ravel(order="F")  # TRIPLE reads a flat array class-major
    grad, hess = NativeObjective(loss, layout=TRIPLE)(y, flat, w)
    g, h = loss.gradient_hessian(y, z, w, hessian_scale=2.0)
    assert grad.shape == (30, 3)
    assert_allclose(grad, g, rtol=1e-6)
    assert_allclose(hess, h, rtol=1e-6)


def test_raw_offset_is_added_to_the_margins():
    y, z, _ = _data(2)
    loss = FocalLoss(2.0)
    shifted = NativeObjective(loss, raw_offset=-0.5, layout=TRIPLE)(y, z)
    plain = NativeObjective(loss, layout=TRIPLE)(y, z - 0.5)
    for a, b in zip(shifted, plain, strict=True):
        assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("k", [2, 3])
def test_metric_reports_the_weighted_mean_loss_by_the_layouts_convention(k):
    y, z, w = _data(k)
    loss = FocalLoss(2.0) if k == 2 else SoftmaxFocalLoss(2.0)
    metric = NativeMetric(loss, layout=TRIPLE)
    name, value = metric(y, z, w)
    assert name == metric.__name__ == "focal_loss"
    assert value == pytest.approx(np.sum(w * loss.loss(y, z)) / np.sum(w), rel=1e-12)
    assert metric(y, z)[1] == pytest.approx(np.mean(loss.loss(y, z)), rel=1e-12)
    assert NativeMetric(GHMLoss(), layout=TRIPLE)(y[:5] % 2, np.zeros(5))[0] == "logloss"


def test_adapter_needs_a_layout():
    with pytest.raises(TypeError, match="needs a Layout"):
        NativeObjective(FocalLoss())
    with pytest.raises(TypeError, match="boostfocal loss object"):
        NativeObjective("focal", layout=TRIPLE)


def test_empty_weights_read_as_none():
    assert weights_or_none(None) is None
    assert weights_or_none(np.empty(0)) is None
    w = np.ones(3)
    assert weights_or_none(w) is w


# ---------------------------------------------------------------------------------------
# what the boosters inspect: the layout's signature
# ---------------------------------------------------------------------------------------

def test_signature_is_the_layouts_and_the_class_keeps_its_own():
    adapter = NativeObjective(FocalLoss(), layout=TRIPLE)
    assert list(inspect.signature(adapter).parameters) == ["y", "preds", "w"]
    assert "layout" in inspect.signature(NativeObjective).parameters


def test_xgboost_adapters_show_their_conventions():
    pytest.importorskip("xgboost")
    from boostfocal.xgboost import XGBMetric, XGBObjective, make_metric, make_objective
    from boostfocal.xgboost._adapter import XGB_TRAIN, _FocalMetric, _FocalObjective

    loss = FocalLoss(2.0)
    for adapter in (make_objective(loss), make_metric(loss)):
        assert list(inspect.signature(adapter).parameters) == ["preds", "dtrain"]
    assert isinstance(make_objective(loss), XGBObjective)
    assert isinstance(make_metric(loss), XGBMetric)
    # XGBClassifier passes weights only to a parameter named sample_weight.
    for adapter in (_FocalObjective(loss), _FocalMetric(loss)):
        assert "sample_weight" in inspect.signature(adapter).parameters
    y, z, w = _data(2)
    assert _FocalMetric(loss)(y, z, sample_weight=w) == pytest.approx(
        np.sum(w * loss.loss(y, z)) / np.sum(w), rel=1e-12)
    restored = pickle.loads(pickle.dumps(make_metric(loss)))
    assert restored.layout == XGB_TRAIN
    assert repr(restored) == f"XGBMetric({loss!r})"


def test_lightgbm_adapters_show_their_conventions():
    pytest.importorskip("lightgbm")
    from boostfocal.lightgbm import LGBMObjective, make_metric, make_objective
    from boostfocal.lightgbm._adapter import LGBM_SKLEARN, _FitObjective

    loss = SoftmaxFocalLoss(2.0)
    for adapter in (make_objective(loss), make_metric(loss)):
        assert len(inspect.signature(adapter).parameters) == 2
    # LightGBM's scikit-learn layer counts parameters: 3 means it passes the weights.
    for adapter in (boostfocal.dask.make_lgbm_objective(loss),
                    boostfocal.dask.make_lgbm_metric(loss)):
        assert len(inspect.signature(adapter).parameters) == 3
        assert adapter.layout == LGBM_SKLEARN
    y, z, w = _data(3)
    name, value, higher_better = boostfocal.dask.make_lgbm_metric(loss)(y, z, w)
    assert (name, higher_better) == ("focal_loss", False)
    fit_objective = _FitObjective(loss)
    assert isinstance(fit_objective, LGBMObjective)
    assert copy.deepcopy(fit_objective) is fit_objective


@pytest.mark.parametrize("n_params", [2, 3, 4])
def test_user_metric_gets_the_start_and_keeps_its_parameter_count(n_params):
    pytest.importorskip("lightgbm")
    from boostfocal.lightgbm._adapter import _with_start

    seen = []

    def two(y_true, y_pred):
        seen.append(y_pred)
        return "m", 0.0, False

    def three(y_true, y_pred, weight):
        return two(y_true, y_pred)

    def four(y_true, y_pred, weight, group):
        return two(y_true, y_pred)

    metric = {2: two, 3: three, 4: four}[n_params]
    wrapped = _with_start(metric, 1.5)
    assert inspect.signature(wrapped) == inspect.signature(metric)
    wrapped(np.zeros(3), np.arange(3.0), *[None] * (n_params - 2))
    assert_array_equal(seen[0], np.arange(3.0) + 1.5)


def test_user_metric_is_left_alone_without_start_or_with_an_odd_signature():
    pytest.importorskip("lightgbm")
    from boostfocal.lightgbm._adapter import _with_start

    def five(a, b, c, d, e):
        return "m", 0.0, False

    assert _with_start(five, 1.0) is five
    assert _with_start(five, None) is five
    assert _with_start("auc", 1.0) == "auc"


# ---------------------------------------------------------------------------------------
# docstrings and lazy module attributes
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend, threads", [("xgboost", "XGBoost's ``nthread``"),
                                              ("lightgbm", "LightGBM's ``num_threads``")])
def test_make_functions_document_their_parameters(backend, threads):
    module = pytest.importorskip(f"boostfocal.{backend}")
    for func in (module.make_objective, module.make_metric):
        doc = inspect.getdoc(func)
        assert "${" not in doc
        assert "\nloss : FocalLoss, SoftmaxFocalLoss or GHMLoss\n" in doc
        assert "\nn_threads : int, default=None\n" in doc
        assert threads in doc


def test_lazy_names_are_listed_and_unknown_ones_refused():
    assert {"FocalLoss", "FocalXGBClassifier", "__version__"} <= set(dir(boostfocal))
    assert {"make_lgbm_objective", "LGBMSklearnMetric", "init_score"} <= set(
        dir(boostfocal.dask))
    with pytest.raises(AttributeError, match="'boostfocal.dask' has no attribute 'nope'"):
        boostfocal.dask.nope  # noqa: B018
