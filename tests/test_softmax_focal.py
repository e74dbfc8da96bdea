"""SoftmaxFocalLoss: exact derivatives, stability, curvature, starting score, posterior."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import posterior_mp, softmax_derivatives_mp, softmax_oracle, ulp_errors
from scipy.optimize import minimize
from scipy.special import softmax

from boostfocal import FocalLoss, SoftmaxFocalLoss

GAMMAS = [0.0, 0.5, 1.0, 1.5, 2.0, 5.0]
EPS64 = np.finfo(np.float64).eps


def _logit_cases(k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    cases = [rng.normal(scale=2, size=k) for _ in range(3)]
    cases.append(rng.normal(scale=30, size=k))
    big = np.zeros(k)
    big[0] = 1e3
    cases.append(big)                          # class 0 certain
    cases.append(-big)                         # class 0 impossible
    mixed = np.linspace(-1e3, 1e3, k)
    cases.append(mixed)
    tie = np.full(k, -1e3)
    tie[:2] = 1e3                              # two classes tied at the top
    cases.append(tie)
    return np.array(cases)


def _check_against_reference(y, z, gamma, alpha):
    """Compare float64 and float32 results with one 50-digit reference; return rel. error."""
    ref_l, ref_g, ref_h = softmax_derivatives_mp(y, z, gamma, alpha)
    ref_g = np.array([float(v) for v in ref_g])
    ref_h = np.array([float(v) for v in ref_h])
    worst = 0.0
    for dtype in (np.float64, np.float32):
        loss = SoftmaxFocalLoss(gamma, alpha, hessian="exact")
        zz = z.astype(dtype)[None, :]
        g, h = loss.gradient_hessian(np.array([y]), zz)
        lo = loss.loss(np.array([y]), zz)
        assert g.dtype == h.dtype == lo.dtype == dtype
        # Entries of both signs are summed in each output, so errors are bounded by a few
        # ulps of the row's largest entry, times the conditioning in the logits' size.
        # float32 results may also underflow to 0 below float32's smallest subnormal.
        ulp = np.finfo(dtype).eps
        floor = np.finfo(dtype).smallest_subnormal
        size = 1.0 + np.max(np.abs(z)) * (1.0 + gamma)
        tol_g = 16 * ulp * size * np.max(np.abs(ref_g)) + floor
        tol_h = 64 * ulp * size * max(np.max(np.abs(ref_g)), np.max(np.abs(ref_h))) + floor
        np.testing.assert_allclose(g[0], ref_g, rtol=0, atol=tol_g)
        np.testing.assert_allclose(h[0], ref_h, rtol=0, atol=tol_h)
        np.testing.assert_allclose(lo[0], float(ref_l), rtol=16 * ulp * size, atol=floor)
        if dtype == np.float64 and np.max(np.abs(ref_g)) > 0:
            worst = np.max(np.abs(g[0] - ref_g)) / np.max(np.abs(ref_g))
    return worst


@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_derivatives_match_high_precision_reference(k, gamma):
    alpha = np.linspace(0.5, 2.0, k)
    for z in _logit_cases(k):
        z = z.astype(np.float32).astype(np.float64)  # exactly representable in both dtypes
        for y in sorted({0, 1, k - 1}):  # top, tied/low, and last classes
            _check_against_reference(y, z, gamma, alpha if y % 2 else None)


def test_binary_formula_on_softmax_would_be_caught():
    # One published plugin applies the binary focal formula to softmax outputs (20% error at
    # gamma = 2). Our gradient must match the reference, and differ from that formula.
    z = np.array([[0.3, -1.2, 0.8]])
    y = np.array([1])
    g, _ = SoftmaxFocalLoss(2.0, hessian="exact").gradient_hessian(y, z)
    p = softmax(z, axis=1)
    onehot = np.eye(3)[y]
    pt = np.where(onehot == 1, p, 1 - p)
    s = 2 * onehot - 1
    wrong = s * (1 - pt) ** 2 * (2 * pt * np.log(pt) - (1 - pt))
    assert np.max(np.abs(g - wrong)) / np.max(np.abs(g)) > 0.05


def test_gamma_zero_is_softmax_cross_entropy():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3, size=(300, 4))
    y = rng.integers(0, 4, 300)
    g, h = SoftmaxFocalLoss(0.0).gradient_hessian(y, z)
    p = softmax(z, axis=1)
    np.testing.assert_allclose(g, p - np.eye(4)[y], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h, np.maximum(p * (1 - p), 1e-16), rtol=1e-12)
    lo = SoftmaxFocalLoss(0.0).loss(y, z)
    np.testing.assert_allclose(lo, -np.log(p[np.arange(300), y]), rtol=1e-12)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_two_classes_agree_with_binary_loss(gamma):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=5, size=200)
    y = rng.integers(0, 2, 200)
    zz = np.c_[np.zeros(200), z]
    for policy in ("exact", "majorizer"):
        gb, hb = FocalLoss(gamma, 0.3, policy).gradient_hessian(y, z)
        gm, hm = SoftmaxFocalLoss(gamma, [0.7, 0.3], policy).gradient_hessian(y, zz)
        np.testing.assert_allclose(gm[:, 1], gb, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(hm[:, 1], hb, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(SoftmaxFocalLoss(gamma, [0.7, 0.3]).predict_proba(zz),
                               FocalLoss(gamma, 0.3).predict_proba(z), rtol=1e-12)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_plain_numpy_oracle_agrees(gamma):
    rng = np.random.default_rng(2)
    z = rng.normal(scale=2, size=(500, 5))
    y = rng.integers(0, 5, 500)
    alpha = [1.0, 2.0, 0.5, 1.5, 1.0]
    ref_l, ref_g, ref_h = softmax_oracle(y, z, gamma, alpha)
    loss = SoftmaxFocalLoss(gamma, alpha, hessian="exact")
    g, h = loss.gradient_hessian(y, z)
    np.testing.assert_allclose(loss.loss(y, z), ref_l, rtol=1e-10)
    np.testing.assert_allclose(g, ref_g, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(h, ref_h, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("policy", ["majorizer", "floor"])
def test_default_curvature_positive_and_at_least_exact(policy):
    rng = np.random.default_rng(3)
    z = rng.normal(scale=8, size=(3000, 4))
    y = rng.integers(0, 4, 3000)
    for gamma in GAMMAS:
        _, h = SoftmaxFocalLoss(gamma, hessian=policy).gradient_hessian(y, z)
        _, he = SoftmaxFocalLoss(gamma, hessian="exact").gradient_hessian(y, z)
        assert np.all(h > 0) and np.all(np.isfinite(h))
        assert np.all(h >= he)
        if gamma >= 1:
            assert np.any(he < 0)  # the exact diagonal does go negative


logits = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), k=st.integers(2, 6), gamma=st.floats(0, 6),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_property_finite_and_consistent(data, k, gamma, dtype):
    n = data.draw(st.integers(1, 12))
    z = data.draw(hnp.arrays(dtype, (n, k), elements=logits))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    loss = SoftmaxFocalLoss(gamma)
    g, h = loss.gradient_hessian(y, z)
    _, he = SoftmaxFocalLoss(gamma, hessian="exact").gradient_hessian(y, z)
    lo = loss.loss(y, z)
    p = loss.predict_proba(z)
    for arr in (g, h, he, lo, p):
        assert arr.dtype == dtype
        assert np.all(np.isfinite(arr))
    assert np.all(h > 0) and np.all(h >= he) and np.all(lo >= 0)
    # gradients of a softmax loss sum to zero over classes; the true class's is <= 0
    scale = np.max(np.abs(g.astype(np.float64)), axis=1) + 1e-30
    assert np.all(np.abs(g.astype(np.float64).sum(axis=1)) <= 1e-5 * scale)
    assert np.all(g[np.arange(n), y] <= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------- starting score
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, [1.0, 3.0, 0.5]])
def test_init_score_minimizes_weighted_loss(gamma, alpha):
    rng = np.random.default_rng(4)
    y = rng.choice(3, size=600, p=[0.8, 0.15, 0.05])
    w = rng.uniform(0.5, 2, 600)
    loss = SoftmaxFocalLoss(gamma, alpha)
    c = loss.init_score(y, w)
    assert c.shape == (3,)
    assert abs(c.mean()) < 1e-12

    totals = np.bincount(y, weights=w, minlength=3)

    def total(v):  # the weighted loss of a constant depends on the class totals only
        free = np.r_[v, 0.0]
        return float(np.sum(loss.loss(np.arange(3), np.tile(free, (3, 1)), totals)))

    res = minimize(total, x0=np.zeros(2), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000})
    ref = np.r_[res.x, 0.0]
    np.testing.assert_allclose(c - c[2], ref - ref[2], atol=1e-6)
    # stationarity with the exact gradient
    g, _ = SoftmaxFocalLoss(gamma, alpha, hessian="exact").gradient_hessian(
        y, np.tile(c, (600, 1)), w)
    assert np.max(np.abs(g.sum(axis=0))) < 1e-9 * np.sum(w)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, [2.0, 1.0, 1.0, 0.25]])
def test_constant_maps_back_to_weighted_priors(gamma, alpha):
    rng = np.random.default_rng(5)
    y = rng.choice(4, size=1000, p=[0.6, 0.25, 0.1, 0.05])
    w = rng.uniform(0.2, 3, 1000)
    loss = SoftmaxFocalLoss(gamma, alpha)
    c = loss.init_score(y, w)
    priors = np.bincount(y, weights=w, minlength=4) / w.sum()
    np.testing.assert_allclose(loss.predict_proba(c[None, :])[0], priors, rtol=1e-9)


def test_init_score_binary_consistency():
    y = np.r_[np.ones(5), np.zeros(95)].astype(int)
    for gamma in (0.0, 2.0, 5.0):
        c = SoftmaxFocalLoss(gamma).init_score(y)
        assert c[1] - c[0] == pytest.approx(FocalLoss(gamma).init_score(y), abs=1e-9)


def test_init_score_errors():
    with pytest.raises(ValueError, match="positive total weight"):
        SoftmaxFocalLoss().init_score(np.array([0, 1, 1]), n_classes=3)
    with pytest.raises(ValueError, match="y_true"):  # K = 2 comes from alpha
        SoftmaxFocalLoss(alpha=[1.0, 1.0]).init_score(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxFocalLoss(alpha=[1.0, 1.0]).init_score(np.array([0, 1, 2]), n_classes=3)


def test_class_totals_per_class_and_overflow_names_sample_weight():
    y, w = np.array([0, 1, 2, 1]), np.array([1.0, 1e17, 3.0, 1e17])
    assert SoftmaxFocalLoss().class_totals(y, w).tolist() == [1.0, 2e17, 3.0]
    with pytest.raises(ValueError, match="sample_weight overflows"):
        SoftmaxFocalLoss().class_totals(y, np.array([1.0, 1e308, 1.0, 1e308]))


# ---------------------------------------------------------------- posterior map
def test_posterior_identity_at_gamma_zero_and_with_alpha():
    rng = np.random.default_rng(6)
    z = rng.normal(scale=4, size=(100, 3))
    np.testing.assert_allclose(SoftmaxFocalLoss(0.0).predict_proba(z), softmax(z, axis=1),
                               rtol=1e-12)
    # exactly: gamma = 0 without alpha is the softmax, bit for bit
    np.testing.assert_array_equal(SoftmaxFocalLoss(0.0).predict_proba(z),
                                  SoftmaxFocalLoss(2.0).predict_confidence(z))
    # at gamma = 0, alpha just divides the priors out: eta ~ q / alpha
    alpha = np.array([1.0, 2.0, 4.0])
    expected = softmax(z, axis=1) / alpha
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(SoftmaxFocalLoss(0.0, alpha).predict_proba(z), expected,
                               rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_posterior_extreme_logits_finite(gamma):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e3, 1e3, 1e3], [0.0, 0.0, -700.0]])
    for dtype in (np.float64, np.float32):
        p = SoftmaxFocalLoss(gamma, [1.0, 2.0, 3.0]).predict_proba(z.astype(dtype))
        assert np.all(np.isfinite(p))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    p = SoftmaxFocalLoss(gamma).predict_proba(z)
    assert p[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(p[2], 1 / 3, rtol=1e-12)


def _assert_exact_probabilities(p, z, gamma, alpha, dtype) -> None:
    """Each probability within an ulp (of ``dtype``) of the 60-digit closed form, and every
    row summing to 1 (exactly summed) within 2 ulps."""
    exact = [v for row in z for v in posterior_mp([float(v) for v in row], gamma, alpha)]
    errors = ulp_errors(p, exact, dtype)
    assert np.max(errors) <= 1.0, (np.max(errors), z[np.argmax(errors) // z.shape[1]])
    for row in p.astype(np.float64):
        assert abs(math.fsum(row) - 1.0) <= 2 * np.finfo(dtype).eps


def _wide_logits(width: int):
    return st.one_of(st.floats(-5, 5, width=width), st.floats(-60, 60, width=width),
                     st.floats(-1000, 1000, width=width),
                     st.floats(allow_nan=False, allow_infinity=False, width=width))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), k=st.integers(2, 10), dtype=st.sampled_from([np.float32, np.float64]),
       gamma=st.one_of(st.just(0.0), st.floats(0, 5)), with_alpha=st.booleans())
def test_property_posterior_within_an_ulp_of_mpmath(data, k, dtype, gamma, with_alpha):
    """predict_proba is DESIGN.md's closed form to within an ulp of each probability, for
    2 to 10 classes and logits anywhere in the finite range (float32 and float64), with and
    without class weights; predict_confidence is the softmax to within an ulp."""
    width = 32 if dtype is np.float32 else 64
    z = data.draw(hnp.arrays(dtype, st.tuples(st.integers(1, 3), st.just(k)),
                             elements=_wide_logits(width)), label="z")
    alpha = (data.draw(hnp.arrays(np.float64, k, elements=st.floats(0.05, 20)), label="alpha")
             if with_alpha else None)
    loss = SoftmaxFocalLoss(gamma, alpha)
    p = loss.predict_proba(z)
    assert p.dtype == dtype and p.shape == z.shape
    _assert_exact_probabilities(p, z, gamma, alpha, dtype)
    _assert_exact_probabilities(loss.predict_confidence(z), z, 0.0, None, dtype)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0, 50.0])
@pytest.mark.parametrize("alpha", [None, [1.0, 2.0, 3.0, 0.5], [1e-300, 1.0, 1e300, 5e-324]])
def test_posterior_of_extreme_logits_is_exact_and_finite(gamma, alpha):
    """Finite for every finite logit, and within an ulp: before the kernels,
    SoftmaxFocalLoss(2).predict_proba([[0, 1e308]]) was NaN (gamma log(1 - q) overflowed)."""
    big, f32 = np.finfo(np.float64).max, float(np.finfo(np.float32).max)
    z = np.array([[0.0, 1e308, 0.0, 0.0], [-1e308, 1e308, 0.0, 1.0], [1e308, 1e308, -1e308, 0],
                  [-big, big, -big, big], [1e4, -1e4, 0.0, 1e-300], [5e-324, 0.0, 0.0, -0.0],
                  [4096.0, 0.0, -4096.0, 745.0], [f32, -f32, 0.5, f32], [-1e4, -1e4, -1e4, 1e4]])
    loss = SoftmaxFocalLoss(gamma, alpha)
    p = loss.predict_proba(z)
    assert np.all(np.isfinite(p))
    _assert_exact_probabilities(p, z, gamma, alpha, np.float64)
    p32 = loss.predict_proba(z[-2:].astype(np.float32))
    assert p32.dtype == np.float32 and np.all(np.isfinite(p32))
    _assert_exact_probabilities(p32, z[-2:].astype(np.float32), gamma, alpha, np.float32)
    p2 = SoftmaxFocalLoss(gamma).predict_proba(np.array([[0.0, 1e308], [1e308, -1e308]]))
    np.testing.assert_array_equal(p2, [[0.0, 1.0], [1.0, 0.0]])


def test_predict_proba_threads_layouts_and_errors():
    z = np.random.default_rng(7).normal(scale=5, size=(150_000, 3))
    loss = SoftmaxFocalLoss(2.0, [1.0, 2.0, 0.5])
    expected = loss.predict_proba(z, n_threads=1)
    np.testing.assert_array_equal(loss.predict_proba(z, n_threads=2), expected)
    np.testing.assert_array_equal(loss.predict_proba(np.asfortranarray(z)), expected)
    wide = np.zeros((z.shape[0], 6))
    wide[:, ::2] = z
    np.testing.assert_array_equal(loss.predict_proba(wide[:, ::2]), expected)  # strided
    assert loss.predict_proba(z).flags.c_contiguous
    with pytest.raises(ValueError, match="raw_prediction contains NaN"):
        loss.predict_proba([[0.0, 1.0, np.nan]])
    with pytest.raises(ValueError, match="alpha has 3 class weights"):
        loss.predict_proba(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="n_threads"):
        loss.predict_proba(z[:3], n_threads=0)
    assert loss.predict_proba(np.zeros((0, 3))).shape == (0, 3)


def test_exact_ties_give_equal_probabilities_first_class_wins():
    """Issue 13: zeros over 3 classes gave [1/3, 1/3 + ulp, 1/3 + ulp] (the arg-max column
    had its own formula), so predict's arg-max picked class 1 instead of class 0."""
    for gamma in (0.0, 2.0):
        loss = SoftmaxFocalLoss(gamma)
        for z in (np.zeros((1, 3)), np.array([[1.0, 3.0, 3.0, 3.0]])):
            for p in (loss.predict_proba(z), loss.predict_confidence(z)):
                top = z[0] == z[0].max()
                assert np.unique(p[0, top]).size == 1          # bit-equal, not approx
                assert np.argmax(p[0]) == np.argmax(z[0])      # the first tied class
    np.testing.assert_allclose(SoftmaxFocalLoss(2.0).predict_proba(np.zeros((1, 3))),
                               np.full((1, 3), 1 / 3), rtol=4 * np.finfo(float).eps)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), k=st.integers(2, 7), gamma=st.one_of(st.just(0.0), st.floats(0, 6)),
       uniform_alpha=st.one_of(st.none(), st.floats(0.01, 100)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_property_tied_logits_in_any_order(data, k, gamma, uniform_alpha, dtype):
    """Logits tied at the maximum, in any position: the tied classes get bit-equal
    probabilities (posterior and confidence), and the arg-max of the probabilities is
    the first tied class, as the arg-max of the logits (``decision_function``) is."""
    top = data.draw(st.floats(-300, 300), label="top")
    n_tied = data.draw(st.integers(2, k), label="n_tied")
    # the other logits are below by more than the probabilities can resolve (in float32
    # too): a logit below the maximum by 1e-259 gets the same float64 probability as the
    # tied ones, and predict (the arg-max of predict_proba) may then take it
    below = data.draw(st.lists(st.floats(-50, -1e-3), min_size=k - n_tied,
                               max_size=k - n_tied), label="below")
    row = np.array([top] * n_tied + [top + d for d in below], dtype=np.float64)
    order = data.draw(st.permutations(range(k)), label="order")
    z = row[np.array(order)][None, :].astype(dtype)
    alpha = None if uniform_alpha is None else [uniform_alpha] * k
    loss = SoftmaxFocalLoss(gamma, alpha)
    tied = z[0] == z[0].max()
    first = int(np.argmax(z[0]))
    assert tied[first]
    for p in (loss.predict_proba(z), loss.predict_confidence(z)):
        assert p.dtype == dtype
        assert np.unique(p[0, tied]).size == 1
        assert int(np.argmax(p[0])) == first
        assert np.all(p[0, ~tied] <= p[0, first])


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_posterior_monotone_in_own_logit(gamma):
    base = np.array([0.3, -0.5, 1.0])
    t = np.linspace(-30, 30, 2001)
    z = np.tile(base, (t.size, 1))
    z[:, 1] = t
    p = SoftmaxFocalLoss(gamma).predict_proba(z)[:, 1]
    assert np.all(np.diff(p) >= 0)
    # ranking by the corrected probability of a class equals ranking by its confidence
    q = SoftmaxFocalLoss(gamma).predict_confidence(z)[:, 1]
    assert np.all(np.argsort(p, kind="stable") == np.argsort(q, kind="stable"))


# ---------------------------------------------------------------- validation
def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="gamma"):
        SoftmaxFocalLoss(-1)
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxFocalLoss(alpha=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxFocalLoss(alpha=0.25)
    loss = SoftmaxFocalLoss(alpha=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="alpha"):
        loss.gradient_hessian([0, 1], np.zeros((2, 4)))
    with pytest.raises(ValueError, match="y_true"):
        SoftmaxFocalLoss().gradient_hessian([0, 3], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="y_true"):
        SoftmaxFocalLoss().gradient_hessian([0, 1.5], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="raw_prediction"):
        SoftmaxFocalLoss().gradient_hessian([0, 1], np.zeros(2))
    with pytest.raises(ValueError, match="sample_weight"):
        SoftmaxFocalLoss().gradient_hessian([0, 1], np.zeros((2, 3)), [-1.0, 1.0])


# ---------------------------------------------------------------- alpha="balanced"
def test_balanced_alpha_is_inverse_class_totals_keeping_the_total_weight():
    y = np.r_[np.zeros(60), np.ones(30), np.full(10, 2)].astype(int)
    w = np.r_[np.ones(60), np.full(30, 0.5), np.linspace(1, 3, 10)]
    totals = np.array([60.0, 15.0, 20.0])
    loss = SoftmaxFocalLoss(1.0, "balanced", hessian="exact")
    assert loss.n_classes is None
    resolved = loss.resolve(y, w)
    np.testing.assert_allclose(resolved.alpha, totals.sum() / (3 * totals), rtol=1e-14)
    np.testing.assert_allclose(resolved.alpha * totals, totals.sum() / 3, rtol=1e-14)
    # the loss keeps its overall scale: sum_i w_i alpha_{y_i} = sum_i w_i
    assert np.sum(w * resolved.alpha[y]) == pytest.approx(w.sum(), rel=1e-14)
    assert resolved == SoftmaxFocalLoss(1.0, resolved.alpha, hessian="exact")
    assert resolved.n_classes == 3
    # n_classes fixes K even when the last class has no rows... and then it cannot resolve
    with pytest.raises(ValueError, match="every class with positive total weight"):
        loss.resolve(y, w, n_classes=4)
    numeric = SoftmaxFocalLoss(1.0, [1.0, 2.0, 3.0])
    assert numeric.resolve(y, w) is numeric


def test_unresolved_balanced_softmax_alpha_refuses_the_math():
    loss = SoftmaxFocalLoss(2.0, "balanced")
    y, z = np.array([0, 2]), np.zeros((2, 3))
    for call in (lambda: loss.loss(y, z), lambda: loss.gradient_hessian(y, z),
                 lambda: loss.init_score(y), lambda: loss.predict_proba(z),
                 lambda: loss.init_score_from_totals([1.0, 2.0, 3.0])):
        with pytest.raises(ValueError, match="resolve"):
            call()
    np.testing.assert_allclose(loss.predict_confidence(z), 1 / 3, rtol=1e-15)
    assert loss == SoftmaxFocalLoss(2.0, "balanced") and loss != SoftmaxFocalLoss(2.0)
    assert hash(loss) == hash(SoftmaxFocalLoss(2.0, "balanced"))
    assert "alpha='balanced'" in repr(loss)
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxFocalLoss(2.0, "inverse")


@pytest.mark.parametrize("z_order", ["C", "F"])
@pytest.mark.parametrize("out_order", ["C", "F"])
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
def test_gradient_hessian_into_given_arrays(z_order, out_order, out_dtype):
    """Outputs passed in, in either memory order, are written in place."""
    rng = np.random.default_rng(2)
    z = np.asarray(rng.normal(0.0, 3.0, (2000, 4)), order=z_order)
    y = rng.integers(0, 4, 2000).astype(np.float32)
    w = rng.uniform(0.0, 2.0, 2000)
    loss = SoftmaxFocalLoss(2.0, [0.1, 0.2, 0.3, 0.4])
    g64, h64 = loss.gradient_hessian(y, np.ascontiguousarray(z), w)
    g_out = np.empty((2000, 4), out_dtype, order=out_order)
    h_out = np.empty((2000, 4), out_dtype, order=out_order)
    g, h = loss.gradient_hessian(y, z, w, g_out, h_out)
    assert g is g_out and h is h_out
    np.testing.assert_array_equal(g, g64.astype(out_dtype))
    np.testing.assert_array_equal(h, h64.astype(out_dtype))


@pytest.mark.parametrize("scale", [2.0, 5.0 / 4.0, 0.5])
def test_hessian_scale_scales_the_curvature_only(scale):
    """The boosters' softmax conventions: the curvature times a factor, the gradient as is."""
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 3.0, (1000, 5))
    y = rng.integers(0, 5, 1000)
    w = rng.uniform(0.5, 2.0, 1000)
    loss = SoftmaxFocalLoss(2.0)
    g, h = loss.gradient_hessian(y, z, w)
    g_s, h_s = loss.gradient_hessian(y, z, w, hessian_scale=scale)
    np.testing.assert_array_equal(g_s, g)
    np.testing.assert_allclose(h_s, scale * h, rtol=4e-16, atol=0)


@pytest.mark.parametrize("scale,err", [(0.0, ValueError), (-1.0, ValueError),
                                       (float("nan"), ValueError), ("2", TypeError),
                                       (True, TypeError)])
def test_hessian_scale_is_checked(scale, err):
    y, z = np.array([0, 1]), np.zeros((2, 3))
    with pytest.raises(err, match="hessian_scale must be"):
        SoftmaxFocalLoss(2.0).gradient_hessian(y, z, hessian_scale=scale)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("z_dtype", [np.float32, np.float64])
def test_raw_offset_equals_shifting_the_logits(order, z_dtype):
    """``raw_offset`` (one constant per class) is added to every row's logits first."""
    rng = np.random.default_rng(6)
    z = np.asarray(rng.normal(0.0, 3.0, (1500, 4)), dtype=z_dtype, order=order)
    y = rng.integers(0, 4, 1500)
    w = rng.uniform(0.0, 2.0, 1500)
    loss, c = SoftmaxFocalLoss(2.5, [0.1, 0.2, 0.3, 0.4]), np.array([0.5, -1.0, 2.0, -3.5])
    shifted = z.astype(np.float64) + c
    g, h = loss.gradient_hessian(y, z, w, raw_offset=c, hessian_scale=4 / 3)
    g_ref, h_ref = loss.gradient_hessian(y, shifted, w, hessian_scale=4 / 3)
    np.testing.assert_array_equal(g, g_ref.astype(z_dtype))
    np.testing.assert_array_equal(h, h_ref.astype(z_dtype))
    np.testing.assert_array_equal(loss.loss(y, z, w, raw_offset=c),
                                  loss.loss(y, shifted, w).astype(z_dtype))


@pytest.mark.parametrize("bad,err,match", [
    (np.zeros(3), ValueError, r"raw_offset must have shape \(4,\)"),
    (np.array([0.0, np.nan, 0.0, 0.0]), ValueError, "raw_offset contains NaN"),
    (np.array(["a"] * 4), TypeError, "raw_offset must be None or 4 real numbers")])
def test_raw_offset_is_checked(bad, err, match):
    with pytest.raises(err, match=match):
        SoftmaxFocalLoss(2.0).gradient_hessian([0, 3], np.zeros((2, 4)), raw_offset=bad)
