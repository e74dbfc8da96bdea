"""Shared estimator helpers: labels, focal parameters, class weights, starting margins."""

from __future__ import annotations

import numpy as np
import pytest

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal._shared.adapter import check_loss, metric_name
from boostfocal._shared.classifier import (
    apply_class_weights,
    check_focal_proba,
    constant_margin,
    encode_eval_labels,
    encode_labels,
    make_ghm_loss,
    make_loss,
)


@pytest.mark.parametrize("y,classes", [
    (["b", "a", "b", "c"], ["a", "b", "c"]),
    ([3, 1, 1, 3], [1, 3]),
    ([True, False, True], [False, True]),
    ([2.0, 0.0, 2.0], [0.0, 2.0]),
])
def test_encode_labels_round_trip(y, classes):
    got, enc = encode_labels(np.array(y))
    assert got.tolist() == classes
    assert enc.dtype == np.int64
    assert got[enc].tolist() == list(y)


@pytest.mark.parametrize("y,match", [
    ([0.0, np.nan, 1.0], "NaN"),
    ([0.0, np.inf, 1.0], "NaN or infinite"),
    (np.array(["a", None, "b"], dtype=object), "missing"),
    ([1, 1, 1], "at least 2 classes"),
    ([0.1, 0.2, 0.35], "Unknown label type"),  # scikit-learn's own message
    (np.array([[0, 1], [1, 0]]), "1d array"),
])
def test_encode_labels_rejects(y, match):
    with pytest.raises(ValueError, match=match):
        encode_labels(np.asarray(y))


@pytest.mark.parametrize("y,kinds", [
    ([0, 1, "a", 0], r"0 \(int\), 'a' \(str\)"),
    ([1.0, 0, 1, 0], r"1.0 \(float\), 0 \(int\)"),
    (["a", 1.5, "a"], r"'a' \(str\), 1.5 \(float\)"),
    ([True, 0, 1], r"True \(bool\), 0 \(int\)"),
    ([np.int64(1), "b", "b"], r"1 \(int\), 'b' \(str\)"),
])
def test_mixed_label_types_are_one_clear_error(y, kinds):
    with pytest.raises(ValueError, match="y mixes label types: " + kinds):
        encode_labels(np.array(y, dtype=object))


@pytest.mark.parametrize("y", [[3, 1, 3], [True, False, False], [1.0, 2.0, 1.0],
                               ["b", "a", "a"]])
def test_object_labels_of_one_type_train_and_stay_objects(y):
    classes, enc = encode_labels(np.array(y, dtype=object))
    assert classes.dtype == object
    assert classes.tolist() == sorted(set(y))
    assert [type(c) for c in classes] == [type(y[0])] * len(classes)
    assert classes[enc].tolist() == y


def test_encode_eval_labels():
    classes = np.array(["a", "b", "c"])
    assert encode_eval_labels(np.array(["c", "a"]), classes, "eval_y").tolist() == [2, 0]
    with pytest.raises(ValueError, match="eval_y.*'z'"):
        encode_eval_labels(np.array(["a", "z"]), classes, "eval_y")


def test_make_loss_binary_and_multiclass():
    assert make_loss(2, 2.0, 0.25, "majorizer") == FocalLoss(2.0, 0.25)
    loss = make_loss(3, 1.0, [1, 2, 3], "exact")
    assert isinstance(loss, SoftmaxFocalLoss)
    assert loss.alpha.tolist() == [1.0, 2.0, 3.0] and loss.hessian == "exact"


@pytest.mark.parametrize("args,match", [
    ((2, -1.0, None, "majorizer"), "focal_gamma"),
    ((2, float("nan"), None, "majorizer"), "focal_gamma"),
    ((2, 2.0, 1.5, "majorizer"), "focal_alpha"),
    ((2, 2.0, [0.5, 0.5], "majorizer"), "focal_alpha"),
    ((3, 2.0, [1.0, 2.0], "majorizer"), "focal_alpha"),
    ((3, 2.0, 0.25, "majorizer"), "focal_alpha"),
    ((2, 2.0, None, "diag"), "focal_hessian"),
])
def test_make_loss_errors_name_the_parameter(args, match):
    with pytest.raises(ValueError, match=match):
        make_loss(*args)


def test_check_focal_proba():
    assert check_focal_proba("confidence") == "confidence"
    with pytest.raises(ValueError, match="focal_proba"):
        check_focal_proba("raw")


def test_apply_class_weights_and_constant_margin():
    y = np.array([0, 1, 1, 0])
    np.testing.assert_array_equal(apply_class_weights(y, None, np.array([1.0, 3.0])),
                                  [1, 3, 3, 1])
    np.testing.assert_array_equal(apply_class_weights(y, np.full(4, 2.0), np.array([1.0, 3.0])),
                                  [2, 6, 6, 2])
    assert apply_class_weights(y, None, None) is None
    np.testing.assert_array_equal(constant_margin(-1.5, 3), [-1.5, -1.5, -1.5])
    assert constant_margin(np.array([0.1, -0.1]), 4).shape == (4, 2)
    # a broadcast view: no memory per row, and read-only so nobody writes through it
    big = constant_margin(np.array([0.1, -0.1, 0.3]), 10**6)
    assert big.strides == (0, 8) and not big.flags.writeable


@pytest.mark.parametrize("dtype,labels", [
    *((dtype, labels) for dtype in (np.int64, np.int32, np.uint8, np.uint16)
      for labels in ([0, 1], [0, 1, 2, 3, 4], [1, 3], [0, 7, 2], [5, 6])),
    (bool, [0, 1]),
])
def test_encode_labels_counting_path_equals_np_unique(dtype, labels):
    """Non-negative integers are encoded by counting; the result is np.unique's."""
    rng = np.random.default_rng(0)
    y = np.asarray(rng.choice(labels, size=500), dtype=dtype)
    y[:len(labels)] = labels                      # every label present
    classes, enc = encode_labels(y)
    want_classes, want_enc = np.unique(y, return_inverse=True)
    assert classes.dtype == want_classes.dtype
    np.testing.assert_array_equal(classes, want_classes)
    assert enc.dtype == np.int64
    np.testing.assert_array_equal(enc, want_enc)


def test_encode_labels_counting_path_falls_back():
    """Negative or huge integers take the sorting path; one class is still refused."""
    for y in (np.array([-1, 1, -1]), np.array([0, 10**12, 0])):
        classes, enc = encode_labels(y)
        np.testing.assert_array_equal(classes, np.unique(y))
        np.testing.assert_array_equal(enc, [0, 1, 0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        encode_labels(np.array([3, 3, 3]))


def test_make_loss_resolves_balanced_alpha_on_the_training_weights():
    y = np.array([0, 0, 0, 1, 0, 1])
    w = np.array([1.0, 1.0, 2.0, 3.0, 1.0, 1.0])  # W0 = 5, W1 = 4
    loss = make_loss(2, 2.0, "balanced", "majorizer", y, w)
    assert loss == FocalLoss(2.0, 5 / 9)
    unresolved = make_loss(2, 2.0, "balanced", "majorizer")
    assert unresolved.alpha == "balanced"
    y3 = np.array([0, 1, 2, 2, 2, 0])
    loss3 = make_loss(3, 1.0, "balanced", "exact", y3, w)  # totals 2, 1, 6
    np.testing.assert_allclose(loss3.alpha, 9 / (3 * np.array([2.0, 1.0, 6.0])), rtol=1e-15)
    with pytest.raises(ValueError, match="focal_alpha='balanced'.*positive total weight"):
        make_loss(2, 2.0, "balanced", "majorizer", y, np.where(y == 1, 0.0, 1.0))
    with pytest.raises(ValueError, match="focal_alpha"):
        make_loss(2, 2.0, "balance", "majorizer", y, w)


def test_make_ghm_loss_is_fresh_binary_and_names_its_parameters():
    a = make_ghm_loss(2, 30, 0.75, "GHMXGBClassifier")
    b = make_ghm_loss(2, 30, 0.75, "GHMXGBClassifier")
    assert a == GHMLoss(30, 0.75) and a is not b
    with pytest.raises(ValueError, match="GHMLGBMClassifier: Only binary classification"):
        make_ghm_loss(3, 10, 0.0, "GHMLGBMClassifier")
    with pytest.raises(ValueError, match="ghm_bins"):
        make_ghm_loss(2, 0, 0.0, "GHMXGBClassifier")
    with pytest.raises(TypeError, match="ghm_bins"):
        make_ghm_loss(2, 2.5, 0.0, "GHMXGBClassifier")
    with pytest.raises(ValueError, match="ghm_momentum"):
        make_ghm_loss(2, 10, 1.0, "GHMXGBClassifier")


def test_adapters_accept_ghm_and_refuse_unresolved_balanced_alpha():
    assert check_loss(GHMLoss()) == GHMLoss()
    assert metric_name(GHMLoss()) == "logloss"
    assert metric_name(FocalLoss()) == metric_name(SoftmaxFocalLoss()) == "focal_loss"
    for loss in (FocalLoss(alpha="balanced"), SoftmaxFocalLoss(alpha="balanced")):
        with pytest.raises(ValueError, match="resolve"):
            check_loss(loss)


@pytest.mark.parametrize("focal_proba", ["posterior", "confidence"])
@pytest.mark.parametrize("loss,margin", [
    (SoftmaxFocalLoss(2.0), np.zeros((4, 3))),
    (SoftmaxFocalLoss(0.5), np.array([[1.0, 3.0, 3.0], [3.0, 1.0, 3.0], [-2.0, -2.0, -5.0]])),
    (FocalLoss(2.0), np.zeros(4)),
    (FocalLoss(2.0, 0.5), np.zeros(4)),
])
def test_labels_from_tied_margins_take_the_first_class(loss, margin, focal_proba):
    """Exactly tied margins: predict (the arg-max of predict_proba) takes the first tied
    class, as the arg-max of decision_function does (scikit-learn's
    check_classifiers_classes compares the two)."""
    from boostfocal._shared.classifier import FocalClassifierMixin

    class Stub(FocalClassifierMixin):
        def get_params(self, deep=False):  # an estimator's (read for the kernel threads)
            return {}

    est = Stub()
    est.loss_, est.focal_proba = loss, focal_proba
    est.classes_ = np.array(["one", "three", "two"][:2 if margin.ndim == 1 else 3])
    labels = est._labels_from_proba(est._proba_from_margin(margin))
    if margin.ndim == 1:
        expected = est.classes_[(margin > 0).astype(int)]
    else:
        expected = est.classes_[np.argmax(margin, axis=1)]
    np.testing.assert_array_equal(labels, expected)


def test_weights_beyond_the_boosters_float32_range_are_errors_naming_the_argument():
    """Issue 13: XGBoost and LightGBM store weights as float32; a larger weight becomes inf
    (XGBoost stops with an internal error, LightGBM trained a constant model)."""
    from boostfocal._shared.classifier import (
        MAX_BOOSTER_WEIGHT,
        scale_pos_weight_multipliers,
        validate_sample_weight,
    )

    y = np.array([0, 1, 0, 1])
    big = float(np.finfo(np.float32).max)
    assert MAX_BOOSTER_WEIGHT == big
    ok = validate_sample_weight([1.0, big, 1.0, 1.0], 4)
    assert ok.max() == big
    with pytest.raises(ValueError, match="sample_weight_eval_set.*at most 3.403e"):
        validate_sample_weight([1.0, 1e39, 1.0, 1.0], 4, "sample_weight_eval_set[0]")
    with pytest.raises(ValueError, match="scale_pos_weight must be at most"):
        scale_pos_weight_multipliers(1e300, 2)
    assert scale_pos_weight_multipliers(1e30, 2).tolist() == [1.0, 1e30]
    with pytest.raises(ValueError, match="training weights.*scale_pos_weight.*got 1e\\+39"):
        apply_class_weights(y, np.full(4, 1e9), np.array([1.0, 1e30]))
    with pytest.raises(ValueError, match="class_weight"):
        apply_class_weights(y, None, np.array([1.0, 1e39]))
    folded = apply_class_weights(y, np.full(4, 1e8), np.array([1.0, 1e30]))
    assert folded.tolist() == [1e8, 1e38, 1e8, 1e38]


class _Params:
    """A stand-in estimator: only ``get_params`` is read."""

    def __init__(self, **params):
        self.params = params

    def get_params(self, deep=False):
        return self.params


@pytest.mark.parametrize("backend,param,focal,expected", [
    ("xgboost", "gamma", True, ["min_split_loss", "use focal_gamma=2", "min_split_loss=2"]),
    ("xgboost", "alpha", True, ["reg_alpha", "use focal_alpha=2", "reg_alpha=2"]),
    ("lightgbm", "gamma", True, ["no parameter gamma", "use focal_gamma=2"]),
    ("lightgbm", "alpha", True, ["Huber", "use focal_alpha=2"]),
    ("xgboost", "gamma", False, ["ghm_bins and ghm_momentum", "min_split_loss=2"]),
    ("lightgbm", "alpha", False, ["ghm_bins and ghm_momentum", "remove it"]),
])
def test_paper_names_are_refused_naming_the_right_parameters(backend, param, focal,
                                                             expected):
    """Issue 13: gamma= silently set XGBoost's min_split_loss and alpha= was ignored by
    LightGBM; users coming from the paper type exactly these."""
    from boostfocal._shared.classifier import check_paper_names

    own = {"focal_gamma": 2.0} if focal else {"ghm_bins": 10}
    with pytest.raises(ValueError, match=f"_Params got {param}=2\\.") as info:
        check_paper_names(_Params(**own, **{param: 2}), backend)
    for text in expected:
        assert text in str(info.value)
    check_paper_names(_Params(**own, gamma=None, alpha=None), backend)  # unset: fine


# ---------------------------------------------------------------- kernel threads
def test_kernel_threads_follow_the_boosters_thread_parameters():
    from boostfocal._shared.classifier import kernel_threads

    xgb = pytest.importorskip("boostfocal.xgboost")
    lgbm = pytest.importorskip("boostfocal.lightgbm")
    assert kernel_threads(xgb.FocalXGBClassifier()) is None
    assert kernel_threads(xgb.FocalXGBClassifier(n_jobs=1)) == 1
    assert kernel_threads(xgb.FocalXGBClassifier(nthread=3)) == 3
    assert kernel_threads(xgb.FocalXGBClassifier(n_jobs=-1)) == -1
    assert kernel_threads(lgbm.FocalLGBMClassifier()) is None
    assert kernel_threads(lgbm.FocalLGBMClassifier(n_jobs=2)) == 2
    assert kernel_threads(lgbm.FocalLGBMClassifier(num_threads=1)) == 1
    assert kernel_threads(lgbm.FocalLGBMClassifier(n_jobs=0)) is None  # OpenMP default


@pytest.mark.parametrize("module,cls,param", [("xgboost", "FocalXGBClassifier", "n_jobs"),
                                              ("xgboost", "FocalXGBClassifier", "nthread"),
                                              ("lightgbm", "FocalLGBMClassifier", "n_jobs"),
                                              ("lightgbm", "FocalLGBMClassifier",
                                               "num_threads")])
def test_fit_hands_n_jobs_to_the_kernels(monkeypatch, module, cls, param):
    from boostfocal.losses import _kernels

    est = getattr(pytest.importorskip(f"boostfocal.{module}"), cls)
    seen = []
    resolve = _kernels.resolve_threads

    def spy(n_threads=None):
        seen.append(n_threads)
        return resolve(n_threads)

    monkeypatch.setattr(_kernels, "resolve_threads", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 1).astype(int)
    kwargs = {"verbose": -1} if module == "lightgbm" else {}
    evals = ({"eval_X": (X,), "eval_y": (y,)} if module == "lightgbm"
             else {"eval_set": [(X, y)]})
    clf = est(n_estimators=3, **{param: 1}, **kwargs).fit(X, y, **evals)
    assert seen and set(seen) == {1}  # objective and metric
    seen.clear()
    clf.set_params(**{param: None}).fit(X, y)
    assert seen and set(seen) == {None}


@pytest.mark.parametrize("module,cls,param", [("xgboost", "FocalXGBClassifier", "n_jobs"),
                                              ("xgboost", "GHMXGBClassifier", "nthread"),
                                              ("lightgbm", "FocalLGBMClassifier", "n_jobs"),
                                              ("lightgbm", "GHMLGBMClassifier",
                                               "num_threads")])
def test_predict_proba_hands_n_jobs_to_the_kernel(monkeypatch, module, cls, param):
    """predict_proba runs the probability kernel on the estimator's threads, from the
    booster's own margins (XGBoost's float32 read in place) into float64: the values of
    ``loss_.predict_proba(decision_function(X))`` bit for bit."""
    from boostfocal.losses import _kernels

    est = getattr(pytest.importorskip(f"boostfocal.{module}"), cls)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    kwargs = {"verbose": -1} if module == "lightgbm" else {}
    n_classes = (2,) if cls.startswith("GHM") else (2, 3)
    for k in n_classes:
        y = np.digitize(X[:, 0] + rng.normal(size=300), [-0.5, 0.5][:k - 1])
        clf = est(n_estimators=3, **{param: 1}, **kwargs).fit(X, y)
        seen = []
        resolve = _kernels.resolve_threads

        def spy(n_threads=None, resolve=resolve, seen=seen):
            seen.append(n_threads)
            return resolve(n_threads)

        monkeypatch.setattr(_kernels, "resolve_threads", spy)
        proba = clf.predict_proba(X)
        assert seen == [1]
        monkeypatch.undo()
        assert proba.dtype == np.float64 and proba.shape == (300, k)
        margin = clf.decision_function(X)
        if getattr(clf, "focal_proba", "posterior") == "posterior":
            np.testing.assert_array_equal(proba, clf.loss_.predict_proba(margin))
        np.testing.assert_array_equal(clf.set_params(**{param: 2}).predict_proba(X), proba)
