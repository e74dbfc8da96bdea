"""XGBoost backend: native objective/metric for xgboost.train, and FocalXGBClassifier."""

from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from estimator_data import binary_data, duplicate, multiclass_data
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logit
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal._shared.adapter import as_loss_layout
from boostfocal._shared.classifier import constant_margin
from boostfocal.xgboost import (
    FOCAL_MIN_CHILD_WEIGHT,
    FocalXGBClassifier,
    GHMXGBClassifier,
    XGBObjective,
    make_metric,
    make_objective,
)

# One thread per fit: tests run in parallel workers on a small machine, where XGBoost's
# OpenMP threads competing for cores slow fits down by orders of magnitude.
SMALL = {"n_estimators": 8, "max_depth": 3, "n_jobs": 1}
NATIVE = {"max_depth": 3, "eta": 0.3, "nthread": 1, "disable_default_eval_metric": 1}
# XGBoost records metric values formatted with "%f" (6 decimals) in evals_result and
# decides early stopping on them: comparisons with the history can be no finer.
HISTORY_ABS = 1e-6


# =======================================================================================
# Native adapters: xgboost.train(obj=make_objective(loss), custom_metric=make_metric(loss))
# =======================================================================================

@pytest.mark.parametrize("multiclass", [False, True])
def test_native_trains_and_metric_is_mean_loss(multiclass):
    if multiclass:
        X, y = multiclass_data()
        loss = SoftmaxFocalLoss(2.0, alpha=[1.0, 2.0, 0.5])
        params = dict(NATIVE, objective="multi:softprob", num_class=3)
    else:
        X, y = binary_data()
        loss = FocalLoss(2.0, alpha=0.25)
        params = dict(NATIVE)
    start = constant_margin(loss.init_score(y), len(y))
    dtrain = xgb.DMatrix(X, y, base_margin=start)
    history = {}
    booster = xgb.train(params, dtrain, 6, obj=make_objective(loss),
                        custom_metric=make_metric(loss), evals=[(dtrain, "train")],
                        evals_result=history, verbose_eval=False)
    curve = history["train"]["focal_loss"]
    margin = booster.predict(dtrain, output_margin=True)
    assert margin.shape == start.shape
    assert curve[-1] == pytest.approx(float(np.mean(loss.loss(y, margin))), abs=HISTORY_ABS)
    assert curve[-1] < 0.7 * curve[0]
    assert list(history["train"]) == ["focal_loss"]  # no default metric beside it


def test_native_preds_arrive_as_n_by_k():
    # What the adapter relies on: XGBoost hands a multiclass objective (n, K) margins.
    X, y = multiclass_data(n=60)
    shapes = []

    class Recording(XGBObjective):
        def __call__(self, preds, data):
            shapes.append(np.shape(preds))
            return super().__call__(preds, data)

    xgb.train(dict(NATIVE, objective="multi:softprob", num_class=3), xgb.DMatrix(X, y), 2,
              obj=Recording(SoftmaxFocalLoss(2.0)))
    assert shapes == [(60, 3), (60, 3)]


def test_native_flat_multiclass_is_read_row_major():
    X, y = multiclass_data(n=50)
    loss = SoftmaxFocalLoss(2.0)
    preds = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    dtrain = xgb.DMatrix(X, y)
    grad, hess = make_objective(loss)(preds, dtrain)
    grad_flat, hess_flat = make_objective(loss)(preds.ravel(), dtrain)
    assert_array_equal(grad_flat, grad)
    assert_array_equal(hess_flat, hess)
    assert_array_equal(as_loss_layout(preds.ravel(), 50, True, "C"), preds)
    # A class-major reading of the same buffer is a different model: it would be caught.
    wrong = as_loss_layout(preds.ravel(), 50, True, "F")
    grad_wrong, _ = loss.gradient_hessian(y, wrong)
    assert not np.allclose(grad_wrong, grad, atol=1e-3)
    metric = make_metric(loss)
    assert metric(preds.ravel(), dtrain)[1] == pytest.approx(metric(preds, dtrain)[1])


@pytest.mark.parametrize("multiclass", [False, True])
def test_native_weights_of_two_equal_duplicated_rows(multiclass):
    X, y = multiclass_data(n=120) if multiclass else binary_data(n=120, pos=0.3)
    loss = SoftmaxFocalLoss(2.0) if multiclass else FocalLoss(2.0, alpha=0.25)
    params = dict(NATIVE, tree_method="exact")
    if multiclass:
        params.update(objective="multi:softprob", num_class=3)
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    X2, y2 = duplicate(X, y, w)
    start = loss.init_score(y, w)
    assert np.allclose(start, loss.init_score(y2))

    def fit(Xf, yf, wf):
        d = xgb.DMatrix(Xf, yf, weight=wf, base_margin=constant_margin(start, len(yf)))
        return xgb.train(params, d, 5, obj=make_objective(loss))

    dtest = xgb.DMatrix(X, base_margin=constant_margin(start, len(y)))
    weighted = fit(X, y, w).predict(dtest, output_margin=True)
    duplicated = fit(X2, y2, None).predict(dtest, output_margin=True)
    assert_allclose(weighted, duplicated, atol=1e-5)
    unweighted = fit(X, y, None).predict(dtest, output_margin=True)
    assert not np.allclose(weighted, unweighted, atol=1e-3)  # the weights did something
    # The metric is the weighted mean of the per-example loss.
    d = xgb.DMatrix(X, y, weight=w)
    z = np.asarray(weighted, dtype=np.float64)
    name, value = make_metric(loss)(z, d)
    assert name == "focal_loss"
    assert value == pytest.approx(np.sum(w * loss.loss(y, z)) / np.sum(w), rel=1e-12)


def test_native_adapters_are_picklable():
    X, y = multiclass_data(n=40)
    loss = SoftmaxFocalLoss(1.5, alpha=[1.0, 2.0, 3.0], hessian="exact")
    obj, metric = make_objective(loss), make_metric(loss)
    obj2, metric2 = pickle.loads(pickle.dumps((obj, metric)))
    preds = np.random.default_rng(1).normal(size=(40, 3))
    d = xgb.DMatrix(X, y)
    for a, b in zip(obj(preds, d), obj2(preds, d), strict=True):
        assert_array_equal(a, b)
    assert metric(preds, d) == metric2(preds, d)
    assert repr(obj2) == f"XGBObjective({loss!r})"


def test_native_base_margin_round_trip():
    # As in the module docstring: the base margin is not stored in the model.
    X, y = binary_data()
    loss = FocalLoss(2.0)
    start = loss.init_score(y)
    dtrain = xgb.DMatrix(X, y, base_margin=np.full(len(y), start))
    empty = xgb.train(dict(NATIVE), dtrain, 0, obj=make_objective(loss))
    assert_allclose(empty.predict(xgb.DMatrix(X, base_margin=np.full(len(y), start)),
                                  output_margin=True), start, atol=1e-6)
    booster = xgb.train(dict(NATIVE), dtrain, 5, obj=make_objective(loss))
    with_start = booster.predict(xgb.DMatrix(X, base_margin=np.full(len(y), start)),
                                 output_margin=True)
    with_zero = booster.predict(xgb.DMatrix(X, base_margin=np.zeros(len(y))),
                                output_margin=True)
    assert_allclose(with_start - with_zero, start, atol=1e-5)


def test_native_rejects_non_loss():
    with pytest.raises(TypeError, match="loss must be a boostfocal loss"):
        make_objective("binary:logistic")
    with pytest.raises(TypeError, match="loss must be a boostfocal loss"):
        make_metric(None)


# =======================================================================================
# FocalXGBClassifier: what is XGBoost's own. The estimator contract shared with the other
# estimators (shapes, labels, weights, parameters, persistence, early stopping, GHM-C,
# scikit-learn's estimator checks) is tested once for all in test_contract.py.
# =======================================================================================

# --------------------------------------------------------------------------- fitting

def test_predict_output_margin_is_the_decision_function():
    X, y = binary_data()
    clf = FocalXGBClassifier(focal_gamma=2.0, focal_alpha=0.25, **SMALL).fit(X, y)
    assert_array_equal(clf.predict(X, output_margin=True), clf.decision_function(X))


@pytest.mark.parametrize("multiclass", [False, True])
def test_no_trees_predicts_the_starting_score_and_the_class_prior(multiclass):
    # With no trees the margin is init_score_ exactly (the booster's own base_score never
    # enters), and the posterior of the focal-optimal constant is the weighted prior.
    X, y = multiclass_data() if multiclass else binary_data()
    w = np.where(y == 1, 3.0, 1.0)
    clf = FocalXGBClassifier(n_estimators=0, focal_alpha=None if multiclass else 0.25,
                             n_jobs=1).fit(X, y, sample_weight=w)
    assert_allclose(clf.decision_function(X), constant_margin(clf.init_score_, len(y)),
                    atol=1e-6)
    prior = np.bincount(y, weights=w) / w.sum()
    assert_allclose(clf.predict_proba(X), np.tile(prior, (len(y), 1)), atol=1e-6)


@pytest.mark.parametrize("multiclass", [False, True])
def test_fit_matches_native_training_with_starting_score_and_offset(multiclass):
    # The estimator is xgboost.train on the focal objective from init_score_ + offset.
    X, y = multiclass_data() if multiclass else binary_data()
    rng = np.random.default_rng(0)
    offset = rng.normal(scale=0.3, size=(len(y), 3) if multiclass else len(y))
    clf = FocalXGBClassifier(focal_gamma=1.5, **SMALL).fit(X, y, base_margin=offset)
    params = {k: v for k, v in clf.get_xgb_params().items() if v is not None}
    params["objective"] = "multi:softprob" if multiclass else "binary:logistic"
    if multiclass:
        params["num_class"] = 3
    start = constant_margin(clf.init_score_, len(y))
    dtrain = xgb.QuantileDMatrix(X, y, base_margin=start + offset, nthread=1)
    booster = xgb.train(params, dtrain, SMALL["n_estimators"], obj=make_objective(clf.loss_))
    native = booster.predict(xgb.DMatrix(X, base_margin=start + offset), output_margin=True)
    assert_allclose(clf.decision_function(X, base_margin=offset), native, atol=1e-6)
    # At prediction, base_margin is an offset on top of the starting score.
    assert_allclose(clf.decision_function(X, base_margin=offset) - clf.decision_function(X),
                    offset, atol=1e-5)


def test_gamma0_binary_reproduces_logistic_xgbclassifier():
    # Same trees on both sides: min_child_weight is given explicitly, since the two
    # estimators' defaults differ. Measured agreement: 8e-8 in probability.
    X, y = binary_data(n=600)
    common = dict(n_estimators=30, max_depth=3, min_child_weight=1, n_jobs=1)
    focal = FocalXGBClassifier(focal_gamma=0.0, **common).fit(X, y)
    assert focal.init_score_ == pytest.approx(logit(np.mean(y)), abs=1e-12)
    builtin = xgb.XGBClassifier(objective="binary:logistic",
                                base_score=float(expit(focal.init_score_)), **common).fit(X, y)
    assert_allclose(focal.predict_proba(X), builtin.predict_proba(X), atol=1e-6)
    assert_allclose(focal.decision_function(X), builtin.predict(X, output_margin=True),
                    atol=1e-5)


def test_gamma0_multiclass_reproduces_softprob_xgbclassifier():
    # The adapter hands XGBoost 2 x the softmax curvature, as multi:softprob does, so
    # focal_gamma=0 is the built-in multiclass model from the same start.
    X, y = multiclass_data(n=600)
    common = dict(n_estimators=20, max_depth=3, min_child_weight=1, n_jobs=1)
    focal = FocalXGBClassifier(focal_gamma=0.0, **common).fit(X, y)
    prior = np.bincount(y) / len(y)
    assert_allclose(focal.init_score_, np.log(prior) - np.log(prior).mean(), atol=1e-12)
    builtin = xgb.XGBClassifier(objective="multi:softprob", **common)
    start = np.tile(focal.init_score_, (len(y), 1))
    builtin.fit(X, y, base_margin=start)
    assert_allclose(focal.decision_function(X),
                    builtin.predict(X, output_margin=True, base_margin=start), atol=1e-5)
    assert_allclose(focal.predict_proba(X), builtin.predict_proba(X, base_margin=start),
                    atol=1e-6)


def test_native_gamma0_multiclass_hessian_factor():
    X, y = multiclass_data(n=300)
    loss = SoftmaxFocalLoss(0.0)
    dtrain = xgb.DMatrix(X, y)
    preds = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    _, hess = make_objective(loss)(preds, dtrain)
    _, exact = loss.gradient_hessian(y, preds)
    assert_allclose(hess, 2.0 * exact, rtol=1e-7)  # XGBoost's 2 p (1 - p) convention


# ------------------------------------------------------------------ parameters, booster

def test_parameters_restored_when_xgboost_fit_fails():
    X, y = binary_data()
    clf = FocalXGBClassifier(**SMALL)
    with pytest.raises(ValueError):  # XGBoostError is a ValueError: feature mismatch
        clf.fit(X, y, eval_set=[(X[:, :3], y)], verbose=False)
    assert clf.objective == "binary:logistic"
    assert clf.eval_metric is None


# (binary:logitraw, for every XGBoost estimator: test_contract.py)
@pytest.mark.parametrize("objective", ["multi:softprob", None, FocalLoss()])
def test_objective_must_stay_default(objective):
    X, y = binary_data(n=50)
    with pytest.raises(ValueError, match="objective must stay at its default"):
        FocalXGBClassifier(objective=objective, **SMALL).fit(X, y)


def _booster_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if "not used" in str(w.message)]


def test_focal_parameters_never_reach_the_booster():
    X, y = binary_data()
    clf = FocalXGBClassifier(focal_gamma=1.0, focal_alpha=0.3, focal_hessian="floor",
                             focal_proba="confidence", scale_pos_weight=2.0, base_score=0.3,
                             verbosity=1, **SMALL)
    params = clf.get_xgb_params()
    for name in ("focal_gamma", "focal_alpha", "focal_hessian", "focal_proba",
                 "scale_pos_weight", "base_score"):
        assert name not in params
    assert _booster_warnings(lambda: clf.fit(X, y, eval_set=[(X, y)], verbose=False)) == []
    # Positive control: the same capture sees XGBoost's warning for an unknown parameter.
    leaky = xgb.XGBClassifier(focal_gamma=1.0, verbosity=1, **SMALL)
    assert any("focal_gamma" in m for m in _booster_warnings(lambda: leaky.fit(X, y)))


def test_min_child_weight_default_is_focal_and_explicit_value_wins():
    X, y = binary_data()

    def booster_mcw(clf):
        config = json.loads(clf.get_booster().save_config())
        return float(config["learner"]["gradient_booster"]["tree_train_param"]
                     ["min_child_weight"])

    clf = FocalXGBClassifier(**SMALL).fit(X, y)
    assert clf.min_child_weight is None
    assert booster_mcw(clf) == pytest.approx(FOCAL_MIN_CHILD_WEIGHT)
    explicit = FocalXGBClassifier(min_child_weight=1.0, **SMALL).fit(X, y)
    assert booster_mcw(explicit) == 1.0


def test_defaults_learn_on_two_percent_positives():
    # Focal Hessians are tiny for easy examples; with every parameter at its default the
    # estimator must still learn about as well as the built-in logistic XGBClassifier.
    gaps = []
    for seed in range(3):
        X, y = make_classification(n_samples=10000, n_features=20, n_informative=6,
                                   n_redundant=4, weights=[0.98], flip_y=0.01,
                                   random_state=seed)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        focal = FocalXGBClassifier(n_jobs=1, random_state=seed).fit(X_tr, y_tr)
        builtin = xgb.XGBClassifier(n_jobs=1, random_state=seed).fit(X_tr, y_tr)
        ap_focal = average_precision_score(y_te, focal.predict_proba(X_te)[:, 1])
        ap_builtin = average_precision_score(y_te, builtin.predict_proba(X_te)[:, 1])
        gaps.append(ap_focal - ap_builtin)
    # Seed-to-seed spread of the gap is about 0.03 (benchmarks/xgb_defaults.py).
    assert np.mean(gaps) > -0.03, gaps


# -------------------------------------------------------------- starting score, offsets

def test_base_score_is_the_starting_probability_of_class_one():
    X, y = binary_data()
    clf = FocalXGBClassifier(base_score=0.3, n_estimators=0, n_jobs=1).fit(X, y)
    assert clf.init_score_ == pytest.approx(logit(0.3), rel=1e-15)
    assert_allclose(clf.decision_function(X), logit(0.3), atol=1e-6)
    assert_allclose(clf.predict_proba(X)[:, 1], clf.loss_.predict_proba(
        np.full(len(y), logit(0.3)))[:, 1], atol=1e-6)


@pytest.mark.parametrize("base_score", [0.0, 1.0, 1.5, -0.2, [0.3]])
def test_base_score_outside_unit_interval_is_rejected(base_score):
    X, y = binary_data(n=50)
    with pytest.raises(ValueError, match="base_score"):
        FocalXGBClassifier(base_score=base_score, **SMALL).fit(X, y)


def test_base_score_rejected_for_multiclass():
    X, y = multiclass_data(n=60)
    with pytest.raises(ValueError, match="base_score is not supported"):
        FocalXGBClassifier(base_score=0.5, **SMALL).fit(X, y)


@pytest.mark.parametrize("multiclass", [False, True])
def test_eval_set_starts_from_the_starting_score(multiclass):
    X, y = multiclass_data() if multiclass else binary_data()
    X_tr, X_ev, y_tr, y_ev = X[:200], X[200:], y[:200], y[200:]
    off = np.random.default_rng(0).normal(scale=0.2, size=(100, 3) if multiclass else 100)
    clf = FocalXGBClassifier(**SMALL).fit(X_tr, y_tr, eval_set=[(X_ev, y_ev), (X_ev, y_ev)],
                                          base_margin_eval_set=[None, off], verbose=False)
    history = clf.evals_result()
    for i in (0, 5):
        plain = clf.decision_function(X_ev, iteration_range=(0, i + 1))
        shifted = clf.decision_function(X_ev, base_margin=off, iteration_range=(0, i + 1))
        assert history["validation_0"]["focal_loss"][i] == pytest.approx(
            float(np.mean(clf.loss_.loss(y_ev, plain))), abs=HISTORY_ABS)
        assert history["validation_1"]["focal_loss"][i] == pytest.approx(
            float(np.mean(clf.loss_.loss(y_ev, shifted))), abs=HISTORY_ABS)


@pytest.mark.parametrize("booster", ["gbtree", "gblinear"])
def test_intercept_is_the_starting_score(booster):
    X, y = binary_data()
    tree_only = {"max_depth": 3} if booster == "gbtree" else {}
    clf = FocalXGBClassifier(booster=booster, n_estimators=8, n_jobs=1, **tree_only)
    assert _booster_warnings(lambda: clf.fit(X, y)) == []
    if booster == "gbtree":
        assert_array_equal(clf.intercept_, [clf.init_score_])
    else:
        assert_allclose(clf.decision_function(X), X @ clf.coef_ + clf.intercept_, atol=1e-5)
        assert clf.intercept_[0] != clf.init_score_


def test_base_margin_shape_is_checked():
    X, y = multiclass_data(n=60)
    with pytest.raises(ValueError, match=r"base_margin must have shape \(60, 3\)"):
        FocalXGBClassifier(**SMALL).fit(X, y, base_margin=np.zeros(60))
    clf = FocalXGBClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="base_margin must have shape"):
        clf.predict_proba(X, base_margin=np.zeros((60, 2)))


# ------------------------------------------------------------ metrics, early stopping

def _mean_margin(y_true, y_pred, sample_weight=None):
    return float(np.mean(y_pred))


def test_user_eval_metric_is_used():
    X, y = binary_data()
    X_tr, X_ev, y_tr, y_ev = X[:200], X[200:], y[:200], y[200:]
    auc = FocalXGBClassifier(eval_metric="auc", **SMALL).fit(
        X_tr, y_tr, eval_set=[(X_ev, y_ev)], verbose=False)
    assert list(auc.evals_result()["validation_0"]) == ["auc"]
    assert auc.evals_result()["validation_0"]["auc"][-1] == pytest.approx(
        roc_auc_score(y_ev, auc.decision_function(X_ev)), abs=HISTORY_ABS)
    # A callable metric receives raw margins, starting score included.
    mean = FocalXGBClassifier(eval_metric=_mean_margin, **SMALL).fit(
        X_tr, y_tr, eval_set=[(X_ev, y_ev)], verbose=False)
    assert mean.evals_result()["validation_0"]["_mean_margin"][-1] == pytest.approx(
        float(np.mean(mean.decision_function(X_ev))), abs=HISTORY_ABS)
    assert mean.eval_metric is _mean_margin


# ------------------------------------------------------------------ labels, data types

def test_pandas_feature_names_reach_the_booster():
    X, y = multiclass_data()
    df = pd.DataFrame(X, columns=[f"col{i}" for i in range(X.shape[1])])
    labels = pd.Series(np.array([10, 20, 30])[y], name="target")
    clf = FocalXGBClassifier(**SMALL).fit(df, labels)
    assert clf.get_booster().feature_names == list(df.columns)
    assert np.mean(clf.predict(df) == labels.to_numpy()) > 0.8
    with pytest.raises(ValueError, match="feature_names mismatch"):
        clf.predict(df[df.columns[::-1]])


# ------------------------------------------------------------------ weights

def test_scale_pos_weight_weights_positives_in_training_only():
    # (that it is a sample weight on the positives: test_contract.py)
    X, y = binary_data()
    labels = np.array(["neg", "pos"])[y]
    spw = FocalXGBClassifier(scale_pos_weight=4.0, **SMALL).fit(
        X, labels, eval_set=[(X, labels)], verbose=False)
    # The eval set is not reweighted: its metric is the plain mean loss.
    assert spw.evals_result()["validation_0"]["focal_loss"][-1] == pytest.approx(
        float(np.mean(spw.loss_.loss(y, spw.decision_function(X)))), abs=HISTORY_ABS)
    plain = FocalXGBClassifier(scale_pos_weight=1, **SMALL).fit(X, labels)
    assert plain.init_score_ == FocalXGBClassifier(**SMALL).fit(X, labels).init_score_


# ------------------------------------------------------------------ the docs' example

def _docs_block(containing: str, page: str = "docs/estimators.md") -> str:
    """The python code block of a documentation page that contains ``containing``."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / page).read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    found = [b for b in blocks if containing in b]
    assert len(found) == 1, f"expected one code block in {page} with {containing!r}"
    return found[0]


def test_docs_grid_search_example_works_with_string_labels():
    """Issue 13: the README's example (now on the estimators page of the documentation)
    used scoring="average_precision", which scores every candidate NaN with string labels
    (no pos_label), so the first gamma won silently. Runs the page's own code (fewer
    trees, one job) on "fraud"/"ok" labels."""
    code = _docs_block("GridSearchCV(")
    assert "n_estimators=300" in code and "n_jobs=2" in code
    code = code.replace("n_estimators=300", "n_estimators=20, max_depth=3, n_jobs=1")
    code = code.replace("n_jobs=2)", "n_jobs=1)")
    X_all, y01 = binary_data(n=900, pos=0.1, seed=4)
    labels = np.where(y01 == 1, "fraud", "ok")
    X, X_new, y, y_new = train_test_split(X_all, labels, test_size=300, random_state=0,
                                          stratify=labels)
    namespace = {"X": X, "y": y, "X_new": X_new}
    exec(compile(code, "docs/estimators.md", "exec"), namespace)  # noqa: S102 - our docs
    search = namespace["search"]
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (5,) and np.all(np.isfinite(scores))
    assert search.best_index_ == int(np.argmax(scores))
    prevalence = np.mean(y == "fraud")
    assert np.all(scores > 3 * prevalence)  # far above a random ranking's AP
    # the scorer measures the class named in the example ("fraud", classes_[0] here)
    proba = search.predict_proba(X_new)
    assert search.classes_.tolist() == ["fraud", "ok"]
    assert search.score(X_new, y_new) == pytest.approx(
        average_precision_score(y_new == "fraud", proba[:, 0]), rel=1e-12)


# ------------------------------------------------------------------ bad input

def test_bad_eval_set_inputs():
    X, y = binary_data(n=50)
    labels = np.array(["a", "b"])[y]
    clf = FocalXGBClassifier(**SMALL)  # (an unseen label: test_contract.py)
    with pytest.raises(ValueError, match=r"sample_weight_eval_set\[0\] must be >= 0"):
        clf.fit(X, labels, eval_set=[(X, labels)], sample_weight_eval_set=[-np.ones(50)])
    with pytest.raises(ValueError, match="one entry per eval_set entry"):
        clf.fit(X, labels, eval_set=[(X, labels)], base_margin_eval_set=[None, None])
    with pytest.raises(ValueError, match="need eval_set"):
        clf.fit(X, labels, sample_weight_eval_set=[np.ones(50)])


def test_extreme_gamma_on_one_percent_positives_trains():
    X, y = binary_data(n=2000, pos=0.01, seed=1)
    clf = FocalXGBClassifier(focal_gamma=5.0, learning_rate=0.3, n_estimators=30,
                             max_depth=4, n_jobs=1)
    clf.fit(X, y, eval_set=[(X, y)], verbose=False)
    margin = clf.decision_function(X)
    assert np.all(np.isfinite(margin))
    assert np.all(np.isfinite(clf.predict_proba(X)))
    curve = np.array(clf.evals_result()["validation_0"]["focal_loss"])
    start = float(np.mean(clf.loss_.loss(y, np.full(len(y), clf.init_score_))))
    assert curve[0] < start and curve[-1] < 0.5 * curve[0]


# =======================================================================================
# focal_alpha="balanced" in the native adapters
# =======================================================================================

def test_native_adapters_refuse_an_unresolved_balanced_loss():
    with pytest.raises(ValueError, match="resolve"):
        make_objective(FocalLoss(alpha="balanced"))
    with pytest.raises(ValueError, match="resolve"):
        make_metric(SoftmaxFocalLoss(alpha="balanced"))


# =======================================================================================
# GHM-C: native adapters and GHMXGBClassifier
# =======================================================================================

def test_native_ghm_trains_advances_the_loss_once_per_round_and_reports_logloss():
    X, y = binary_data()
    loss = GHMLoss(bins=10, momentum=0.75)
    start = loss.init_score(y)
    dtrain = xgb.DMatrix(X, y, base_margin=np.full(len(y), start))
    history = {}
    booster = xgb.train(dict(NATIVE), dtrain, 7, obj=make_objective(loss),
                        custom_metric=make_metric(loss), evals=[(dtrain, "train")],
                        evals_result=history, verbose_eval=False)
    assert loss.n_updates_ == 7  # xgboost.train calls the objective once per round
    curve = history["train"]["logloss"]
    margin = booster.predict(dtrain, output_margin=True)
    assert curve[-1] == pytest.approx(float(np.mean(loss.loss(y, margin))), abs=HISTORY_ABS)
    assert curve[-1] < 0.8 * curve[0]
    assert loss.n_updates_ == 7  # the metric never advanced it


def _ghm(**kwargs):
    return GHMXGBClassifier(**{**SMALL, **kwargs})


def test_ghm_parameters_never_reach_the_booster():
    X, y = binary_data()
    clf = _ghm(ghm_bins=20, ghm_momentum=0.3, verbosity=1)
    assert not {"ghm_bins", "ghm_momentum"} & set(clf.get_xgb_params())
    assert _booster_warnings(lambda: clf.fit(X, y, eval_set=[(X, y)], verbose=False)) == []


def test_ghm_loss_is_exported_lazily_from_boostfocal():
    import boostfocal

    assert boostfocal.GHMLoss is GHMLoss


# --------------------------------------------------------------------------- weight scale
@pytest.mark.parametrize("cls", [FocalXGBClassifier, GHMXGBClassifier])
def test_weights_whose_gradient_sums_overflow_are_refused(cls):
    """sample_weight=1e30 (within float32) trained a constant model with no error."""
    X, y = binary_data(n=400)
    est = cls(n_estimators=3)
    with pytest.raises(ValueError, match=r"sample_weight .* too large for XGBoost"):
        est.fit(X, y, sample_weight=np.full(len(y), 1e30))
    assert not hasattr(est, "loss_")
    with pytest.raises(ValueError, match=r"sample_weight \(with scale_pos_weight\)"):
        cls(n_estimators=3, scale_pos_weight=1e20).fit(X, y, sample_weight=np.full(len(y), 1e16))


def test_the_gradient_bound_holds_for_the_losses():
    """The bound the check uses, 1 + gamma/e per unit (alpha-)weight, against the losses."""
    z = np.linspace(-60.0, 60.0, 4001)
    for gamma in (0.0, 0.5, 2.0, 5.0, 10.0):
        for alpha in (None, 0.1, 0.9):
            loss = FocalLoss(gamma, alpha)
            for label in (0, 1):
                g, _ = loss.gradient_hessian(np.full(z.shape, label), z)
                a = 1.0 if alpha is None else (alpha if label else 1 - alpha)
                assert np.max(np.abs(g)) <= a * (1 + gamma / np.e)
        zk = np.random.default_rng(0).normal(scale=20.0, size=(4000, 3))
        for label in range(3):
            g, _ = SoftmaxFocalLoss(gamma).gradient_hessian(np.full(4000, label), zk)
            assert np.max(np.abs(g)) <= 1 + gamma / np.e
    g, _ = GHMLoss().gradient_hessian(np.r_[np.zeros(500), np.ones(500)],
                                      np.linspace(-30, 30, 1000))
    assert np.sum(np.abs(g)) <= 1000  # harmonizing weights average 1: the sum stays <= n


def test_weights_below_the_bound_train_the_same_model():
    """Large weights that pass the check train the unit-weight model (scale only)."""
    X, y = binary_data(n=2000, pos=0.1)
    params = {"n_estimators": 20, "max_depth": 3, "reg_lambda": 0.0, "min_child_weight": 0,
              "n_jobs": 1}
    unit = FocalXGBClassifier(**params).fit(X, y)
    heavy = FocalXGBClassifier(**params).fit(X, y, sample_weight=np.full(len(y), 1e15))
    assert_allclose(heavy.decision_function(X), unit.decision_function(X), atol=1e-3)


def test_plain_xgboost_stops_learning_when_gradient_sums_overflow():
    """The limit is XGBoost's own: its built-in objective loses every split too."""
    X, y = binary_data(n=2000, pos=0.1)
    params = {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}
    good = xgb.XGBClassifier(**params).fit(X, y)
    bad = xgb.XGBClassifier(**params).fit(X, y, sample_weight=np.full(len(y), 1e25))
    assert roc_auc_score(y, good.predict_proba(X)[:, 1]) > 0.95
    assert roc_auc_score(y, bad.predict_proba(X)[:, 1]) < 0.9
