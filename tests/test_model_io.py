"""Self-contained models: the start inside the booster, model files, SHAP, init_model.

Covers ``boostfocal._shared.model_io`` (the metadata) and ``boostfocal._shared.fitplan``
(the shared fit plan and the LightGBM leaf fold) through the estimators that use them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from ubjson_writer import to_ubj  # noqa: E402

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss  # noqa: E402
from boostfocal._shared import model_io as _model_io  # noqa: E402
from boostfocal._shared.fitplan import class_counts, make_plan  # noqa: E402
from boostfocal._shared.model_files import parse_ubjson  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier  # noqa: E402
from boostfocal.xgboost._model_file import XGB_VECTOR_BASE_SCORE  # noqa: E402

#: XGBoost < 3.1 cannot hold a multiclass start in the booster (scalar base_score only):
#: there, plain-library margins omit init_score_, a documented limit.
old_xgb_multiclass = pytest.mark.skipif(
    not XGB_VECTOR_BASE_SCORE, reason="XGBoost < 3.1: no per-class base_score")

#: What "plain library margins equal decision_function" means: the issue's 1e-5. Both
#: sides read the same booster, so the measured difference is 0 (XGBoost margins are
#: float32 on both sides, LightGBM's float64).
MARGIN_ATOL = 1e-5

XGB_FAST = {"n_estimators": 12, "max_depth": 3, "n_jobs": 1}
LGBM_FAST = {"n_estimators": 12, "num_leaves": 8, "n_jobs": 1, "verbose": -1}


def _data(multiclass: bool, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    if multiclass:
        score = X[:, :3] + rng.normal(scale=0.8, size=(n, 3)) + np.array([1.0, 0.0, -0.8])
        y = np.array(["cat", "dog", "emu"])[np.argmax(score, axis=1)]
    else:
        y = np.where(X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.7, size=n) > 1.4,
                     "fraud", "ok")
    return X, y


ESTIMATORS = {
    "FocalXGB": (FocalXGBClassifier, XGB_FAST, ("json", "ubj")),
    "GHMXGB": (GHMXGBClassifier, XGB_FAST, ("json", "ubj")),
    "FocalLGBM": (FocalLGBMClassifier, LGBM_FAST, ("txt",)),
    "GHMLGBM": (GHMLGBMClassifier, LGBM_FAST, ("txt",)),
}

CASES = [(name, multiclass, fmt)
         for name, (_, _, fmts) in ESTIMATORS.items()
         for multiclass in (False, True) if not (multiclass and name.startswith("GHM"))
         for fmt in fmts]


def _holds_start(est) -> bool:
    """Whether the booster holds the start: always, but XGBoost < 3.1 multiclass."""
    return getattr(est, "_booster_holds_start", lambda: True)()


def _start_outside(est) -> float | np.ndarray:
    """What plain-library margins lack: 0, or init_score_ on XGBoost < 3.1 multiclass."""
    return 0.0 if _holds_start(est) else est.init_score_


def _native_margin(path, X, fmt):
    if fmt == "txt":
        return lgb.Booster(model_file=str(path)).predict(X, raw_score=True)
    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster.predict(xgb.DMatrix(X), output_margin=True)


@pytest.mark.parametrize(("name", "multiclass", "fmt"), CASES)
def test_round_trip_and_plain_library_margins(tmp_path, name, multiclass, fmt):
    cls, params, _ = ESTIMATORS[name]
    X, y = _data(multiclass)
    est = cls(**params).fit(X, y)
    path = tmp_path / f"model.{fmt}"
    if not _holds_start(est):
        with pytest.warns(UserWarning, match="cannot hold this model.s starting score"):
            est.save_model(path)
    else:
        est.save_model(path)

    # The plain library, knowing nothing of boostfocal, predicts the estimator's margins.
    margin = est.decision_function(X)
    native = _native_margin(path, X, fmt) + _start_outside(est)
    assert np.max(np.abs(native - margin)) <= MARGIN_ATOL

    restored = cls()
    assert restored.load_model(path) is None  # XGBoost's sklearn convention
    assert_array_equal(restored.classes_, est.classes_)
    assert restored.classes_.dtype == est.classes_.dtype
    assert_array_equal(restored.decision_function(X), margin)
    assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert_array_equal(restored.predict(X), est.predict(X))
    assert restored.predict(X).dtype == y.dtype
    assert restored.loss_ == est.loss_
    assert_allclose(restored.init_score_, est.init_score_, rtol=0, atol=0)
    for param in est._loss_params:
        assert restored.get_params()[param] == est.get_params()[param]


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_round_trip_keeps_balanced_alpha_and_confidence(tmp_path, backend):
    cls, params = ((FocalXGBClassifier, XGB_FAST) if backend == "xgb"
                   else (FocalLGBMClassifier, LGBM_FAST))
    X, y = _data(False)
    est = cls(focal_alpha="balanced", focal_gamma=1.5, focal_proba="confidence",
              **params).fit(X, y)
    path = tmp_path / ("m.json" if backend == "xgb" else "m.txt")
    est.save_model(path)
    restored = cls()
    restored.load_model(path)
    assert restored.focal_alpha == "balanced"
    assert restored.focal_alpha_ == est.focal_alpha_  # the resolved value
    assert restored.focal_gamma == 1.5 and restored.focal_proba == "confidence"
    assert_array_equal(restored.predict_proba(X), est.predict_proba(X))


def test_integer_and_boolean_labels_keep_their_dtype(tmp_path):
    X, y = _data(False)
    for labels in ((y == "fraud").astype(np.int32) * 2 + 1, y == "fraud"):
        est = FocalXGBClassifier(**XGB_FAST).fit(X, labels)
        est.save_model(tmp_path / "m.ubj")
        restored = FocalXGBClassifier()
        restored.load_model(tmp_path / "m.ubj")
        assert restored.classes_.dtype == labels.dtype
        assert_array_equal(restored.predict(X), est.predict(X))


@old_xgb_multiclass
def test_xgboost_file_holds_the_metadata_and_the_start(tmp_path):
    X, y = _data(True)
    est = FocalXGBClassifier(focal_gamma=1.0, **XGB_FAST).fit(X, y)
    est.save_model(tmp_path / "m.json")
    with open(tmp_path / "m.json") as f:
        doc = json.load(f)
    meta = json.loads(doc["learner"]["attributes"]["boostfocal"])
    assert meta["classes"] == ["cat", "dog", "emu"]
    assert meta["loss"] == {"kind": "softmax_focal", "gamma": 1.0, "alpha": None,
                            "hessian": "majorizer"}
    assert meta["start_in_booster"] is True
    assert meta["boostfocal_version"]
    # XGBoost >= 3.1 keeps one margin per class as base_score (float32).
    stored = json.loads(doc["learner"]["learner_model_param"]["base_score"])
    assert_allclose(stored, est.init_score_, rtol=1e-6)


def test_lightgbm_file_keeps_pandas_categorical_last(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _data(False)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    df["cat"] = pd.Categorical(np.where(X[:, 2] > 0, "hi", "lo"))
    est = FocalLGBMClassifier(**LGBM_FAST).fit(df, y)
    path = tmp_path / "m.txt"
    est.save_model(path)
    lines = path.read_text().rstrip("\n").splitlines()
    assert lines[-1].startswith("pandas_categorical:")
    assert lines[-2].startswith("boostfocal:")
    # Both of LightGBM's loaders find the categories and predict the margins.
    for booster in (lgb.Booster(model_file=str(path)), lgb.Booster(model_str=path.read_text())):
        assert booster.pandas_categorical == [["hi", "lo"]]
        assert_allclose(booster.predict(df, raw_score=True), est.decision_function(df),
                        rtol=0, atol=MARGIN_ATOL)
    restored = FocalLGBMClassifier()
    restored.load_model(path)
    assert_array_equal(restored.predict_proba(df), est.predict_proba(df))


def _link(margin: np.ndarray) -> np.ndarray:
    """The sigmoid (binary, P(class 1)) or row softmax of raw margins, in float64."""
    if margin.ndim == 1:
        return 1.0 / (1.0 + np.exp(-margin))
    e = np.exp(margin - margin.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("cls", "multiclass"), [(FocalLGBMClassifier, False),
                                                  (FocalLGBMClassifier, True),
                                                  (GHMLGBMClassifier, False)])
def test_lightgbm_file_states_its_link(tmp_path, cls, multiclass):
    X, y = _data(multiclass, n=600)
    X_train, y_train, X_test = X[:400], y[:400], X[400:]
    est = cls(**LGBM_FAST).fit(X_train, y_train)
    path = tmp_path / "model.txt"
    est.save_model(path)
    text = path.read_text()
    k = len(est.classes_)
    expected = ("objective=binary sigmoid:1", "[objective: binary]") if k == 2 else \
        (f"objective=multiclass num_class:{k}", "[objective: multiclass]")
    lines = text.splitlines()
    header = lines[:lines.index("")]
    assert [line for line in header if line.startswith("objective=")] == [expected[0]]
    assert header[header.index(expected[0]) - 1].startswith("max_feature_idx=")
    assert expected[1] in lines and "[objective: custom]" not in lines

    # Only those two lines differ from LightGBM's own text (and the metadata line added).
    own = est.booster_.model_to_string().splitlines()
    assert [line for line in lines if line not in own] == [expected[0], expected[1]] + [
        line for line in lines if line.startswith("boostfocal:")]
    assert len(lines) == len(own) + 2

    # Plain LightGBM: raw scores are the margins, predict is their sigmoid/softmax (the
    # focal confidence, which is not predict_proba's posterior unless gamma = 0).
    booster = lgb.Booster(model_file=str(path))
    margin = est.decision_function(X_test)
    assert_allclose(booster.predict(X_test, raw_score=True), margin, rtol=0, atol=0)
    assert_allclose(booster.predict(X_test), _link(margin), rtol=1e-12, atol=1e-15)
    restored = cls()
    restored.load_model(path)
    assert_array_equal(restored.predict_proba(X_test), est.predict_proba(X_test))


@pytest.mark.parametrize("multiclass", [False, True])
def test_lightgbm_file_from_before_the_link_line_still_loads(tmp_path, multiclass):
    """A file written before model files stated their link: no objective= line."""
    X, y = _data(multiclass, n=600)
    est = FocalLGBMClassifier(**LGBM_FAST).fit(X[:400], y[:400])
    params = {name: getattr(est, name) for name in est._loss_params}
    old = _model_io.lgbm_text_with_meta(est.booster_.model_to_string(),
                                        _model_io.make_metadata(est, params, True))
    assert "\nobjective=" not in old and "[objective: custom]" in old
    path = tmp_path / "old.txt"
    path.write_text(old)
    restored = FocalLGBMClassifier()
    restored.load_model(path)
    assert_array_equal(restored.predict_proba(X[400:]), est.predict_proba(X[400:]))
    assert_array_equal(restored.predict(X[400:]), est.predict(X[400:]))
    # Saved again, it states its link.
    restored.save_model(tmp_path / "new.txt")
    assert "\nobjective=" in (tmp_path / "new.txt").read_text()


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_plain_library_file_is_refused_with_what_is_missing(tmp_path, backend):
    X, y = _data(False)
    y01 = (y == "fraud").astype(int)
    if backend == "xgb":
        path = tmp_path / "plain.json"
        xgb.XGBClassifier(n_estimators=3).fit(X, y01).get_booster().save_model(path)
        est = FocalXGBClassifier()
    else:
        path = tmp_path / "plain.txt"
        lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y01).booster_.save_model(path)
        est = FocalLGBMClassifier()
    with pytest.raises(ValueError, match="no boostfocal metadata.*class labels, the loss"):
        est.load_model(path)
    assert not hasattr(est, "loss_")  # nothing half-loaded


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_ghm_file_is_refused_by_a_focal_estimator(tmp_path, backend):
    X, y = _data(False)
    if backend == "xgb":
        path = tmp_path / "m.json"
        GHMXGBClassifier(**XGB_FAST).fit(X, y).save_model(path)
        focal = FocalXGBClassifier()
    else:
        path = tmp_path / "m.txt"
        GHMLGBMClassifier(**LGBM_FAST).fit(X, y).save_model(path)
        focal = FocalLGBMClassifier()
    with pytest.raises(ValueError, match="GHM"):
        focal.load_model(path)


def test_newer_metadata_format_is_refused():
    meta = {"format": 99, "boostfocal_version": "9.0", "classes": [0, 1],
            "classes_dtype": "<i8", "loss": {}, "params": {}, "init_score": 0.0,
            "start_in_booster": True}
    with pytest.raises(ValueError, match="boostfocal 9.0 with metadata format 99; this "
                                         "boostfocal reads format 1: upgrade"):
        _model_io.check_metadata(json.dumps(meta), "m.json", n_outputs=1)


def test_loss_metadata_round_trips():
    for loss in (FocalLoss(2.5, 0.3, "floor"), SoftmaxFocalLoss(1.0, [0.2, 1.0, 3.0]),
                 GHMLoss(20, 0.75)):
        assert _model_io.loss_from_dict(json.loads(json.dumps(
            _model_io.loss_to_dict(loss)))) == loss


# --------------------------------------------------------------------------- the start

@pytest.mark.parametrize("multiclass", [False, pytest.param(True, marks=old_xgb_multiclass)])
def test_xgboost_trains_without_a_per_row_start(multiclass):
    # The start is the booster's base_score: with no trees the plain booster predicts it.
    X, y = _data(multiclass)
    est = FocalXGBClassifier(n_estimators=0, n_jobs=1).fit(X, y)
    plain = est.get_booster().predict(xgb.DMatrix(X), output_margin=True)
    assert_allclose(plain, np.broadcast_to(est.init_score_, plain.shape), rtol=1e-6)


def test_xgboost_without_vector_base_score_keeps_the_start_per_row(monkeypatch, tmp_path):
    # XGBoost < 3.1 takes a scalar base_score only: the multiclass start then stays a
    # per-row base margin, recorded in the file, and the estimator is still exact.
    import boostfocal.xgboost._model_file as bx

    X, y = _data(True)
    reference = FocalXGBClassifier(**XGB_FAST).fit(X, y)
    monkeypatch.setattr(bx, "XGB_VECTOR_BASE_SCORE", False)
    est = FocalXGBClassifier(**XGB_FAST).fit(X, y)
    assert_allclose(est.decision_function(X), reference.decision_function(X), atol=1e-5)
    with pytest.warns(UserWarning, match="omit init_score_"):
        est.save_model(tmp_path / "m.json")
    restored = FocalXGBClassifier()
    restored.load_model(tmp_path / "m.json")
    assert_array_equal(restored.decision_function(X), est.decision_function(X))
    plain = _native_margin(tmp_path / "m.json", X, "json")
    assert np.max(np.abs(plain + est.init_score_ - est.decision_function(X))) <= 1e-5


@pytest.mark.parametrize("multiclass", [False, True])
def test_lightgbm_start_lives_in_the_first_iteration(multiclass):
    X, y = _data(multiclass)
    est = FocalLGBMClassifier(**LGBM_FAST).fit(X, y)
    margin = est.decision_function(X)
    assert_allclose(est.booster_.predict(X, raw_score=True), margin, rtol=0, atol=0)
    # Iterations from 1 on leave the start out of the booster's scores; the estimator
    # adds it back.
    rest = est.booster_.predict(X, raw_score=True, start_iteration=1)
    assert_allclose(est.decision_function(X, start_iteration=1), rest + est.init_score_,
                    rtol=1e-12)
    first = est.booster_.predict(X, raw_score=True, num_iteration=1)
    assert_allclose(first + rest, margin, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_user_offset_stays_on_top_of_the_start(backend):
    X, y = _data(False)
    offset = np.random.default_rng(1).normal(scale=0.3, size=len(y))
    if backend == "xgb":
        est = FocalXGBClassifier(**XGB_FAST).fit(X, y, base_margin=offset)
        shifted = est.decision_function(X, base_margin=offset)
    else:
        est = FocalLGBMClassifier(**LGBM_FAST).fit(X, y, init_score=offset)
        shifted = est.decision_function(X, init_score=offset)
    assert_allclose(shifted - est.decision_function(X), offset, atol=1e-5)


def test_fit_plan_from_totals_matches_the_losses():
    y = np.array([0, 0, 0, 1, 2, 2])
    w = np.array([1.0, 2.0, 1.0, 3.0, 0.5, 0.5])
    counts, totals = class_counts(y, w, 3)
    assert_array_equal(counts, [3, 1, 2])
    plan = make_plan(np.array(["a", "b", "c"]), totals, SoftmaxFocalLoss(2.0, "balanced"),
                     multipliers=np.array([1.0, 2.0, 1.0]))
    mult_w = w * np.array([1.0, 2.0, 1.0])[y]
    expected = SoftmaxFocalLoss(2.0, "balanced").resolve(y, mult_w, n_classes=3)
    assert_allclose(plan.loss.alpha, expected.alpha, rtol=1e-14)
    assert_allclose(plan.start, expected.init_score(y, mult_w, n_classes=3), rtol=1e-12)
    with pytest.raises(ValueError, match="sample_weight must give every class"):
        make_plan(np.array([0, 1]), np.array([1.0, 0.0]), FocalLoss(2.0))


# --------------------------------------------------------------------------- SHAP

@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
@pytest.mark.parametrize("multiclass", [False, True])
def test_treeshap_sums_to_decision_function(backend, multiclass):
    shap = pytest.importorskip("shap")
    X, y = _data(multiclass)
    est = (FocalXGBClassifier(**XGB_FAST) if backend == "xgb"
           else FocalLGBMClassifier(**LGBM_FAST)).fit(X, y)
    explainer = shap.TreeExplainer(est)
    values = np.asarray(explainer.shap_values(X))
    total = np.asarray(explainer.expected_value) + values.sum(axis=1)
    # XGBoost computes SHAP values in float32
    atol = 1e-5 if backend == "xgb" else 1e-10
    assert_allclose(total, est.decision_function(X), rtol=0, atol=atol)


@pytest.mark.parametrize("multiclass", [False, True])
def test_library_contributions_sum_to_decision_function(multiclass):
    X, y = _data(multiclass)
    k = 3 if multiclass else 1
    width = X.shape[1] + 1
    est = FocalXGBClassifier(**XGB_FAST).fit(X, y)
    contribs = est.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)
    assert_allclose(contribs.reshape(len(y), k, width).sum(axis=2) + _start_outside(est),
                    est.decision_function(X).reshape(len(y), k), rtol=0, atol=1e-5)
    est = FocalLGBMClassifier(**LGBM_FAST).fit(X, y)
    contrib = est.booster_.predict(X, pred_contrib=True)
    assert_allclose(contrib.reshape(len(y), k, width).sum(axis=2),
                    est.decision_function(X).reshape(len(y), k), rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- init_model

def _train_loss(est, X, y):
    y_enc = np.searchsorted(est.classes_, y)
    return float(np.mean(est.loss_.loss(y_enc, est.decision_function(X))))


@pytest.mark.parametrize("multiclass", [False, True])
@pytest.mark.parametrize("source", ["estimator", "file"])
def test_lightgbm_init_model_continues_and_lowers_the_loss(tmp_path, multiclass, source):
    X, y = _data(multiclass)
    first = FocalLGBMClassifier(**LGBM_FAST).fit(X, y)
    init_model = first
    if source == "file":
        init_model = tmp_path / "first.txt"
        first.save_model(init_model)
        init_model = str(init_model)
    more = FocalLGBMClassifier(**LGBM_FAST).fit(X, y, init_model=init_model)
    n_per_iter = 3 if multiclass else 1
    assert more.booster_.num_trees() == 2 * LGBM_FAST["n_estimators"] * n_per_iter
    assert _train_loss(more, X, y) < _train_loss(first, X, y)
    assert_allclose(more.init_score_, first.init_score_, rtol=0, atol=0)
    # the start is counted once: the continued booster's margins are its own
    assert_allclose(more.booster_.predict(X, raw_score=True), more.decision_function(X),
                    rtol=0, atol=0)
    assert_allclose(more.decision_function(X, num_iteration=LGBM_FAST["n_estimators"]),
                    first.decision_function(X), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- Dask

@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
@pytest.mark.parametrize("multiclass", [False, True])
def test_dask_boosters_are_self_contained(tmp_path, dask_client, backend, multiclass):
    import dask.array as da

    from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier

    X, y = _data(multiclass, n=600)
    dX, dy = da.from_array(X, chunks=(200, 5)), da.from_array(y, chunks=200)
    if backend == "xgb":
        est = DaskFocalXGBClassifier(**XGB_FAST)
        est.client = dask_client
        local_cls, dask_cls, path = FocalXGBClassifier, DaskFocalXGBClassifier, "m.ubj"
    else:
        est = DaskFocalLGBMClassifier(client=dask_client, **LGBM_FAST)
        local_cls, dask_cls, path = FocalLGBMClassifier, DaskFocalLGBMClassifier, "m.txt"
    est.fit(dX, dy)
    path = tmp_path / path
    est.save_model(path)
    margin = est.decision_function(dX).compute()
    fmt = "txt" if backend == "lgbm" else "ubj"
    assert np.max(np.abs(_native_margin(path, X, fmt) - margin)) <= MARGIN_ATOL

    # A Dask model file restores an in-memory estimator, and a Dask one.
    local = local_cls()
    local.load_model(path)
    assert_array_equal(local.classes_, np.unique(y))
    assert_allclose(local.decision_function(X), margin, rtol=0, atol=0)
    assert_allclose(local.predict_proba(X), est.predict_proba(dX).compute(), rtol=1e-12)
    assert_array_equal(local.predict(X), est.predict(dX).compute())
    restored = dask_cls()
    if backend == "xgb":
        restored.client = dask_client
    else:
        restored.set_params(client=dask_client)
    restored.load_model(path)
    assert_allclose(restored.decision_function(dX).compute(), margin, rtol=0, atol=0)


def test_lightgbm_pickle_from_before_the_fold_still_predicts():
    # boostfocal 0.1.0 pickles: the start was added by decision_function, not the booster.
    from boostfocal._shared.fitplan import fold_start_into_lgbm

    X, y = _data(True)
    est = FocalLGBMClassifier(**LGBM_FAST).fit(X, y)
    expected = est.decision_function(X)
    fold_start_into_lgbm(est.booster_, -est.init_score_)  # the booster as it was then
    del est.__dict__["_focal_start_in_booster"]
    assert_allclose(est.decision_function(X), expected, rtol=1e-12, atol=1e-12)


def test_xgboost_extreme_binary_start_stays_per_row(tmp_path):
    # sigmoid(20.7) is 1.0 in float32, which binary:logistic refuses as base_score.
    X, y = _data(False)
    bs = 1 - 1e-9
    est = FocalXGBClassifier(base_score=bs, n_estimators=0, n_jobs=1).fit(X, y)
    assert not _holds_start(est)
    assert_allclose(est.decision_function(X), np.log(bs) - np.log1p(-bs), rtol=1e-6)
    with pytest.warns(UserWarning, match="omit init_score_"):
        est.save_model(tmp_path / "m.json")
    restored = FocalXGBClassifier()
    restored.load_model(tmp_path / "m.json")
    assert_array_equal(restored.decision_function(X), est.decision_function(X))


# --------------------------------------------------------------------------- untrusted metadata
# A model file's metadata is checked against a schema and against its booster, and a
# refused load_model changes nothing (issue 22).

def _with_meta(src, dst, text: str):
    """A copy of the model file ``src`` whose boostfocal metadata is ``text``."""
    suffix = src.suffix
    if suffix == ".txt":
        lines = src.read_text().split("\n")
        i = next(i for i, line in enumerate(lines) if line.startswith("boostfocal:"))
        lines[i] = "boostfocal:" + text
        dst.write_text("\n".join(lines))
    elif suffix == ".json":
        doc = json.loads(src.read_text())
        doc["learner"]["attributes"]["boostfocal"] = text
        dst.write_text(json.dumps(doc))
    else:
        doc = parse_ubjson(src.read_bytes(), "m.ubj")
        doc["learner"]["attributes"]["boostfocal"] = text
        dst.write_bytes(to_ubj(doc))
    return dst


def _stored_meta(path) -> dict:
    from boostfocal._shared.serving import read_metadata

    return read_metadata(path)


#: The estimators and formats whose files the metadata cases edit.
META_FILES = [("FocalXGB", "json"), ("FocalXGB", "ubj"), ("GHMXGB", "json"),
              ("FocalLGBM", "txt"), ("GHMLGBM", "txt")]


@pytest.fixture(scope="module")
def fitted_files(tmp_path_factory):
    """Fitted binary and 3-class models of every estimator, saved in every format."""
    tmp = tmp_path_factory.mktemp("meta")
    out = {}
    for name, (cls, params, fmts) in ESTIMATORS.items():
        for multiclass in (False, True):
            if multiclass and name.startswith("GHM"):
                continue
            X, y = _data(multiclass)
            est = cls(**params).fit(X, y)
            for fmt in fmts:
                path = tmp / f"{name}_{multiclass}.{fmt}"
                est.save_model(path)
                out[name, multiclass, fmt] = path
    return tmp, out


def _snapshot(est) -> dict:
    return dict(est.__dict__)


def _assert_unchanged(est, before: dict, X=None, proba=None) -> None:
    """Same attributes, the very same objects (booster included), same predictions."""
    assert est.__dict__.keys() == before.keys()
    for key, value in before.items():
        assert est.__dict__[key] is value, key
    if X is not None:
        assert_array_equal(est.predict_proba(X), proba)


def _loss_change(meta: dict) -> dict:
    if meta["loss"]["kind"] == "ghm":
        meta["loss"]["momentum"] = 2.0
    else:
        meta["loss"]["gamma"] = -1
    return meta


def _set(path: tuple, value):
    def edit(meta: dict) -> dict:
        target = meta
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return meta
    return edit


def _drop(key: str):
    def edit(meta: dict) -> dict:
        del meta[key]
        return meta
    return edit


#: Refused metadata: (edit of the metadata dict, or the raw text), words of the refusal.
REFUSED_METADATA = {
    "loss parameter out of range (gamma -1, momentum 2)": (
        _loss_change, "loss in its boostfocal metadata: (gamma|momentum) must be"),
    "three classes on a binary booster": (
        _set(("classes",), ["a", "b", "c"]), "has 3 classes in its boostfocal metadata, but "
                                             "its booster gives one margin per row"),
    "one class": (_set(("classes",), ["a"]), "has 1 class in its boostfocal metadata"),
    "duplicate labels": (_set(("classes",), ["ok", "ok"]), "duplicate class labels"),
    "labels cut by a <U1 dtype": (_set(("classes_dtype",), "<U1"),
                                  "classes_dtype '<U1', which would cut them"),
    "a None label": (_set(("classes",), [None, "ok"]), "the class label None"),
    "a dict label": (_set(("classes",), [{"a": 1}, "ok"]), "the class label \\{'a': 1\\}"),
    "mixed label types": (lambda m: dict(m, classes=[1, "ok"], classes_dtype="object"),
                          "class labels of mixed types"),
    "an unsupported dtype": (_set(("classes_dtype",), "<M8[ns]"), "classes_dtype '<M8\\[ns\\]'"),
    "a label beyond its dtype": (lambda m: dict(m, classes=[0, 300], classes_dtype="|i1"),
                                 "outside the range of classes_dtype '|i1'"),
    "params injection: predict_proba": (
        _set(("params", "predict_proba"), 1),
        "has boostfocal params \\['predict_proba'\\] that are not parameters of its loss"),
    "params injection: _Booster": (_set(("params", "_Booster"), None),
                                   "has boostfocal params \\['_Booster'\\]"),
    "params injection: n_estimators": (_set(("params", "n_estimators"), 10**9),
                                       "a model file may set only"),
    "params contradicting the loss": (
        lambda m: _set(("params", "ghm_bins" if m["loss"]["kind"] == "ghm"
                        else "focal_hessian"), 7 if m["loss"]["kind"] == "ghm"
                       else "exact")(m), "contradict its loss"),
    "a non-finite start": (_set(("init_score",), float("nan")), "init_score = nan"),
    "a per-class start on a binary booster": (_set(("init_score",), [0.1, 0.2]),
                                              "two classes have one finite starting margin"),
    "start_in_booster not a bool": (_set(("start_in_booster",), "yes"),
                                    "start_in_booster = 'yes'"),
    "an unknown key": (_set(("shell",), "rm -rf /"), "unknown keys \\['shell'\\]"),
    "a missing key": (_drop("classes"), "lacks \\['classes'\\]"),
    "a newer format": (_set(("format",), 2), "with metadata format 2; this boostfocal reads "
                                             "format 1: upgrade"),
    "a format that is text": (_set(("format",), "1"), "format '1', not an integer"),
    "an unknown loss kind": (_set(("loss", "kind"), "hinge"), "unknown loss kind 'hinge'"),
    "a loss with an extra key": (_set(("loss", "exec"), "x"), "it must have exactly"),
    "a 100 kB estimator name": (_set(("estimator",), "x" * 100_000),
                               "estimator is 'xxxx"),
    "not JSON": ("{not json", "boostfocal metadata that is not valid JSON"),
    "a JSON list": ("[1, 2]", "boostfocal metadata of type list"),
    "nested 100 000 deep": ("[" * 100_000 + "]" * 100_000,
                            "boostfocal metadata (nested too deeply|of [0-9]+ characters)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_METADATA))
@pytest.mark.parametrize(("name", "fmt"), META_FILES)
def test_refused_load_changes_nothing(tmp_path, fitted_files, name, fmt, case):
    _, files = fitted_files
    edit, words = REFUSED_METADATA[case]
    src = files[name, False, fmt]
    meta = _stored_meta(src)
    text = edit(json.loads(json.dumps(meta))) if callable(edit) else edit
    path = _with_meta(src, tmp_path / f"edited.{fmt}",
                      text if isinstance(text, str) else json.dumps(text))
    cls = ESTIMATORS[name][0]
    X, _ = _data(False, seed=5)
    fitted = cls()
    fitted.load_model(src)
    for est in (fitted, cls()):  # a fitted estimator and an unfitted one
        before = _snapshot(est)
        proba = est.predict_proba(X) if est is fitted else None
        with pytest.raises(ValueError, match=words) as info:
            est.load_model(path)
        assert type(info.value) is ValueError
        assert len(str(info.value)) <= 400
        _assert_unchanged(est, before, X if est is fitted else None, proba)
    if case == "params injection: predict_proba":  # the attack of the issue
        assert callable(fitted.predict_proba)


def test_the_issue_gamma_case_leaves_the_fitted_model(tmp_path, fitted_files):
    # Issue 22: a ValueError was raised, but predict_proba had moved by 0.84.
    _, files = fitted_files
    X, _ = _data(False, seed=5)
    other = FocalXGBClassifier(focal_gamma=0.0, **XGB_FAST).fit(*_data(False, seed=9))
    before = other.predict_proba(X)
    booster = other.get_booster()
    meta = _stored_meta(files["FocalXGB", False, "json"])
    meta["loss"]["gamma"] = -1
    path = _with_meta(files["FocalXGB", False, "json"], tmp_path / "m.json", json.dumps(meta))
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0, got -1"):
        other.load_model(path)
    assert other.get_booster() is booster
    assert_array_equal(other.predict_proba(X), before)


@pytest.mark.parametrize(("name", "fmt"), [("FocalXGB", "json"), ("FocalLGBM", "txt")])
def test_binary_metadata_on_a_multiclass_booster_is_refused(tmp_path, fitted_files, name,
                                                            fmt):
    _, files = fitted_files
    binary_meta = _stored_meta(files[name, False, fmt])
    path = _with_meta(files[name, True, fmt], tmp_path / f"m.{fmt}", json.dumps(binary_meta))
    with pytest.raises(ValueError, match="has 2 classes in its boostfocal metadata, but its "
                                         "booster gives 3 margins per row"):
        ESTIMATORS[name][0]().load_model(path)


@pytest.mark.parametrize(("name", "fmt"), [("FocalXGB", "json"), ("FocalXGB", "ubj"),
                                           ("FocalLGBM", "txt")])
def test_a_million_classes_are_refused_fast_without_allocating(tmp_path, fitted_files, name,
                                                                fmt):
    import time
    import tracemalloc

    _, files = fitted_files
    meta = _stored_meta(files[name, False, fmt])
    meta["classes"] = list(range(10**6))
    meta["classes_dtype"] = "<i8"
    path = _with_meta(files[name, False, fmt], tmp_path / f"m.{fmt}", json.dumps(meta))
    size = path.stat().st_size
    est = ESTIMATORS[name][0]()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match="metadata of [0-9]+ characters; model files "
                                             "hold at most 1000000"):
            est.load_model(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Before: LightGBM's predict_proba took about 21 GB. Now reading the file is all.
    assert peak < 8 * size and elapsed < 5.0, (peak, size, elapsed)


@pytest.mark.parametrize(("name", "fmt"), [("FocalXGB", "json"), ("FocalXGB", "ubj"),
                                           ("FocalLGBM", "txt")])
def test_start_contradicting_the_booster_is_refused(tmp_path, fitted_files, name, fmt):
    _, files = fitted_files
    meta = _stored_meta(files[name, False, fmt])
    meta["start_in_booster"] = False
    path = _with_meta(files[name, False, fmt], tmp_path / f"m.{fmt}", json.dumps(meta))
    words = "needs a base_score adding nothing" if name == "FocalXGB" else \
        "has start_in_booster false"
    with pytest.raises(ValueError, match=words):
        ESTIMATORS[name][0]().load_model(path)
    if name == "FocalXGB":
        meta = _stored_meta(files[name, False, fmt])
        meta["init_score"] += 1.0
        path = _with_meta(files[name, False, fmt], tmp_path / f"m.{fmt}", json.dumps(meta))
        with pytest.raises(ValueError, match="needs the booster's base_score"):
            FocalXGBClassifier().load_model(path)


@pytest.mark.parametrize("case", ["three classes on a binary booster",
                                  "params injection: predict_proba", "a newer format",
                                  "labels cut by a <U1 dtype"])
@pytest.mark.parametrize("fmt", ["json", "ubj", "txt"])
def test_serving_refuses_metadata_as_load_model_does(tmp_path, fitted_files, case, fmt):
    from boostfocal import proba_from_margin

    _, files = fitted_files
    name = "FocalLGBM" if fmt == "txt" else "FocalXGB"
    edit, words = REFUSED_METADATA[case]
    meta = edit(_stored_meta(files[name, False, fmt]))
    path = _with_meta(files[name, False, fmt], tmp_path / f"m.{fmt}", json.dumps(meta))
    with pytest.raises(ValueError, match=words) as loading:
        ESTIMATORS[name][0]().load_model(path)
    with pytest.raises(ValueError, match=words) as serving:
        proba_from_margin(path, np.zeros(3))
    assert str(serving.value) == str(loading.value)


def test_missing_params_take_their_defaults(tmp_path, fitted_files):
    _, files = fitted_files
    src = files["FocalXGB", False, "json"]
    meta = _stored_meta(src)
    assert meta["params"]["focal_proba"] == "posterior"
    meta["params"] = {}
    path = _with_meta(src, tmp_path / "m.json", json.dumps(meta))
    est = FocalXGBClassifier(focal_proba="confidence")
    est.load_model(path)  # the constructor defaults agree with the loss
    assert est.focal_proba == "posterior" and est.focal_gamma == 2.0
    reference = FocalXGBClassifier()
    reference.load_model(src)
    X, _ = _data(False, seed=5)
    assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


# --------------------------------------------------------------------------- Dask

@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_dask_refused_load_changes_nothing(tmp_path, dask_client, backend):
    import dask.array as da

    from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier

    X, y = _data(False, n=600)
    dX, dy = da.from_array(X, chunks=(200, 5)), da.from_array(y, chunks=200)
    if backend == "xgb":
        est = DaskFocalXGBClassifier(**XGB_FAST)
        est.client = dask_client
        path = tmp_path / "m.json"
    else:
        est = DaskFocalLGBMClassifier(client=dask_client, **LGBM_FAST)
        path = tmp_path / "m.txt"
    est.fit(dX, dy)
    est.save_model(path)
    proba = est.predict_proba(dX).compute()
    for case in ("loss parameter out of range (gamma -1, momentum 2)",
                 "three classes on a binary booster", "params injection: _Booster"):
        edit, words = REFUSED_METADATA[case]
        bad = _with_meta(path, tmp_path / f"bad{path.suffix}",
                         json.dumps(edit(_stored_meta(path))))
        before = _snapshot(est)
        with pytest.raises(ValueError, match=words):
            est.load_model(bad)
        _assert_unchanged(est, before)
        assert_array_equal(est.predict_proba(dX).compute(), proba)
    est.load_model(path)  # and a good file still loads
    assert_array_equal(est.predict_proba(dX).compute(), proba)


# --------------------------------------------------------------------------- property test

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)

#: How the property test mutates a valid metadata document.
_MUTATIONS = ("drop", "set", "add", "number", "resize", "nest", "retype") + ("relabel",) * 5

#: Label kinds and the dtypes the relabelling stores them with (some cannot hold them).
_LABELS = {
    "int": (st.integers(-10**6, 10**6), ["<i8", "<i4", "|i1", "<u2", "object"]),
    "float": (st.floats(-1e6, 1e6, allow_nan=False), ["<f8", "<f4", "object"]),
    "str": (st.text(max_size=8), ["<U8", "<U1", "object"]),
}


def _relabel(meta: dict, data) -> None:
    """New distinct labels of a random kind, stored with a random dtype."""
    k = len(meta["classes"]) if isinstance(meta.get("classes"), list) else 2
    kind = data.draw(st.sampled_from(sorted(_LABELS) + ["bool"]))
    if kind == "bool":
        meta["classes"], meta["classes_dtype"] = [False, True][:k], "|b1"
        return
    values, dtypes = _LABELS[kind]
    meta["classes"] = data.draw(st.lists(values, min_size=k, max_size=k, unique=True))
    meta["classes_dtype"] = data.draw(st.sampled_from(dtypes))


def _paths(meta: dict) -> list[tuple]:
    """Every key path of the document, down to the class labels and parameters."""
    out = []
    for key, value in meta.items():
        out.append((key,))
        if isinstance(value, dict):
            out.extend((key, k) for k in value)
        elif isinstance(value, list):
            out.extend((key, i) for i in range(min(len(value), 3)))
    return out


def _mutate(meta: dict, data) -> dict:
    """One or two random edits: keys dropped or added, values replaced, retyped,
    resized, nested or nudged, or new class labels."""
    for _ in range(data.draw(st.integers(1, 2))):
        paths = _paths(meta)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = meta
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if not isinstance(parent, (dict, list)) or (isinstance(parent, dict)
                                                    and key not in parent):
            continue
        value = parent[key]
        op = data.draw(st.sampled_from(_MUTATIONS))
        if op == "drop":
            del parent[key]
        elif op == "set":
            parent[key] = data.draw(_JSON_VALUES)
        elif op == "add":
            target = parent if isinstance(parent, dict) else meta
            target[data.draw(st.sampled_from(["extra", "predict_proba", "focal_gamma",
                                              "ghm_bins", "base_score", "_Booster"]))] = \
                data.draw(_JSON_VALUES)
        elif op == "number":
            parent[key] = data.draw(st.sampled_from([0, 1, -1, 0.5, 2.0, 1e300, -1e-300,
                                                     2**63, float("nan")]))
        elif op == "resize":
            n = data.draw(st.sampled_from([0, 1, 2, 3, 5, 300]))
            items = value if isinstance(value, list) else [value]
            parent[key] = (items * n)[:n] if items else [0] * n
        elif op == "nest":
            for _ in range(data.draw(st.integers(1, 40))):
                value = [value]
            parent[key] = value
        elif op == "relabel":
            _relabel(meta, data)
        else:  # retype: the same value as another JSON type
            parent[key] = data.draw(st.sampled_from(
                [str(value), [value], {"v": value}, bool(value) if not isinstance(
                    value, (list, dict)) else None]))
    return meta


#: The files the property test mutates, and its examples per file.
PROPERTY_FILES = [("FocalXGB", False, "json"), ("FocalXGB", True, "ubj"),
                  ("FocalLGBM", False, "txt"), ("FocalLGBM", True, "txt"),
                  ("GHMXGB", False, "json")]
PROPERTY_EXAMPLES = 200


@pytest.mark.parametrize(("name", "multiclass", "fmt"), PROPERTY_FILES)
def test_mutated_metadata_is_refused_whole_or_loaded_consistently(
        tmp_path_factory, fitted_files, name, multiclass, fmt):
    _, files = fitted_files
    src = files[name, multiclass, fmt]
    cls = ESTIMATORS[name][0]
    valid = _stored_meta(src)
    tmp = tmp_path_factory.mktemp("mutated")
    X = _data(multiclass, seed=5)[0][:50]
    victim = cls(n_jobs=1)  # not in the file: stays
    victim.load_model(src)
    n_outputs = victim.decision_function(X).reshape(len(X), -1).shape[1]
    counts = {"refused": 0, "loaded": 0}

    @settings(max_examples=PROPERTY_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        meta = _mutate(json.loads(json.dumps(valid)), data)
        path = _with_meta(src, tmp / f"m.{fmt}", json.dumps(meta))
        before = _snapshot(victim)
        proba = victim.predict_proba(X)
        try:
            victim.load_model(path)
        except (ValueError, TypeError) as exc:
            assert len(str(exc)) <= 400
            _assert_unchanged(victim, before, X, proba)
            counts["refused"] += 1
            return
        counts["loaded"] += 1
        fresh = cls(n_jobs=1)
        fresh.load_model(path)
        got = victim.predict_proba(X)
        assert_array_equal(got, fresh.predict_proba(X))
        assert_array_equal(victim.predict(X), fresh.predict(X))
        assert_array_equal(victim.classes_, fresh.classes_)
        assert len(victim.classes_) == (2 if n_outputs == 1 else n_outputs)
        assert got.shape == (len(X), len(victim.classes_))
        assert np.all(np.isfinite(got))
        assert_allclose(got.sum(axis=1), 1.0, rtol=0, atol=1e-9)

    run()
    # Both outcomes are exercised: the mutations are not all trivially refused.
    assert counts["refused"] >= PROPERTY_EXAMPLES // 4, counts
    assert counts["loaded"] >= PROPERTY_EXAMPLES // 20, counts


# --------------------------------------------------------------------------- early stopping

def test_xgboost_file_after_early_stopping_holds_the_best_iteration(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    cols = [f"f{i}" for i in range(5)]
    frames = [pd.DataFrame(rng.normal(size=(1500, 5)), columns=cols) for _ in range(3)]
    labels = [(f["f0"] + rng.normal(size=len(f)) > 1).astype(int) for f in frames]
    (X, X_val, X_test), (y, y_val, _) = frames, labels
    est = FocalXGBClassifier(n_estimators=300, learning_rate=0.5, early_stopping_rounds=5,
                             n_jobs=1).fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    best, rounds = est.best_iteration, est.get_booster().num_boosted_rounds()
    assert best + 1 < rounds  # it stopped after its best iteration
    for fmt in ("json", "ubj"):
        path = tmp_path / f"m.{fmt}"
        est.save_model(path)
        plain = xgb.Booster()
        plain.load_model(str(path))
        assert plain.num_boosted_rounds() == best + 1
        assert plain.feature_names == cols
        assert plain.attr("best_iteration") is None  # as booster[:n] drops it
        # Plain XGBoost's margins are the estimator's (before: 0.5 apart in a measured case).
        assert_allclose(plain.predict(xgb.DMatrix(X_test), output_margin=True),
                        est.decision_function(X_test), rtol=0, atol=MARGIN_ATOL)
        restored = FocalXGBClassifier()
        restored.load_model(path)
        assert_array_equal(restored.predict_proba(X_test), est.predict_proba(X_test))
    assert est.get_booster().num_boosted_rounds() == rounds  # the estimator keeps its trees

    # Training continues from the file, from the best iteration.
    more = FocalXGBClassifier(n_estimators=5, learning_rate=0.5, n_jobs=1).fit(
        X, y, xgb_model=str(tmp_path / "m.json"))
    assert more.get_booster().num_boosted_rounds() == best + 1 + 5
    assert _train_loss(more, X, y) < _train_loss(restored, X, y)


def test_treelite_reads_the_cut_file_after_early_stopping(tmp_path):
    treelite = pytest.importorskip("treelite")
    X, y = _data(False, n=1500)
    X_val, y_val = _data(False, n=1500, seed=7)
    est = FocalXGBClassifier(n_estimators=300, learning_rate=0.5, early_stopping_rounds=5,
                             n_jobs=1).fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    assert est.best_iteration + 1 < est.get_booster().num_boosted_rounds()
    est.save_model(tmp_path / "m.json")
    model = treelite.frontend.load_xgboost_model(str(tmp_path / "m.json"))
    margins = treelite.gtil.predict(model, X_val.astype(np.float32), pred_margin=True)
    assert_allclose(np.asarray(margins).reshape(-1), est.decision_function(X_val), rtol=0,
                    atol=MARGIN_ATOL)
