"""GHMLoss: binning, weights, derivatives against a direct reference, momentum state."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

from boostfocal import FocalLoss, GHMLoss

# ----------------------------------------------------------------------- reference


def reference_ghm(y, z, bins, w=None, density=None):
    """GHM-C written out directly, one example and one bin at a time (moderate z only).

    ``density``: the smoothed histogram to use instead of this batch's (momentum); beta is
    then proportional to 1 / density and normalized to weighted mean 1 over the batch.
    Returns (beta, gradient, hessian, histogram of this batch as weighted fractions).
    """
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    z = np.asarray(z, dtype=float)
    p = 1.0 / (1.0 + np.exp(-z))
    q = 1.0 / (1.0 + np.exp(z))          # 1 - p, without the cancellation of 1 - p
    g = np.where(y == 1, q, p)           # |p - y|
    edges = np.arange(bins + 1) / bins
    idx = np.empty(n, dtype=int)
    for i in range(n):
        for b in range(bins):
            last = b == bins - 1
            if edges[b] <= g[i] and (g[i] < edges[b + 1] or (last and g[i] <= 1.0)):
                idx[i] = b
                break
    mass = np.zeros(bins)
    for i in range(n):
        mass[idx[i]] += w[i]
    total = w.sum()
    hist = mass / total
    if density is None:
        n_nonempty = int(np.sum(mass > 0))
        beta = np.array([total / (mass[idx[i]] * n_nonempty) if mass[idx[i]] > 0 else 0.0
                         for i in range(n)])
    else:
        norm = sum(hist[b] / density[b] for b in range(bins) if hist[b] > 0)
        beta = np.array([1.0 / (density[idx[i]] * norm) if hist[idx[i]] > 0 else 0.0
                         for i in range(n)])
    grad = w * beta * np.where(y == 1, -q, p)   # p - y
    hess = w * beta * np.maximum(p * q, 1e-16)
    return beta, grad, hess, hist


def _data(n=400, seed=0, scale=3.0, weights=False):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=n)
    y = (rng.random(n) < expit(z - 1.0)).astype(float)
    w = rng.uniform(0.2, 3.0, n) if weights else None
    return y, z, w


# ----------------------------------------------------------------------- weights, bins

@pytest.mark.parametrize("bins", [1, 3, 10, 30])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_hessian_match_direct_reference(bins, weighted):
    y, z, w = _data(weights=weighted)
    grad, hess = GHMLoss(bins).gradient_hessian(y, z, w)
    beta_ref, grad_ref, hess_ref, _ = reference_ghm(y, z, bins, w)
    assert_allclose(grad, grad_ref, rtol=1e-12, atol=0)
    assert_allclose(hess, hess_ref, rtol=1e-12, atol=0)
    assert_allclose(GHMLoss(bins).bin_weights(y, z, w), beta_ref, rtol=1e-12, atol=0)


def test_weights_constant_within_a_bin_inversely_proportional_to_counts_mean_one():
    y, z, _ = _data(n=1000, seed=1)
    bins = 10
    beta = GHMLoss(bins).bin_weights(y, z)
    g = np.abs(expit(z) - y)
    idx = np.minimum((g * bins).astype(int), bins - 1)
    counts = np.bincount(idx, minlength=bins)
    n_nonempty = int(np.sum(counts > 0))
    assert n_nonempty >= 8  # the data exercise most bins
    for b in np.flatnonzero(counts):
        in_bin = beta[idx == b]
        assert np.ptp(in_bin) == 0.0                      # constant within the bin
        assert in_bin[0] == pytest.approx(len(y) / (counts[b] * n_nonempty), rel=1e-14)
    # inversely proportional to the counts: beta * count is the same in every bin
    products = [beta[idx == b][0] * counts[b] for b in np.flatnonzero(counts)]
    assert_allclose(products, products[0], rtol=1e-14)
    assert beta.mean() == pytest.approx(1.0, rel=1e-14)


def test_weighted_counts_weighted_mean_one_and_weight_two_is_a_repeated_row():
    y, z, w = _data(n=300, seed=2, weights=True)
    loss = GHMLoss(10)
    beta = loss.bin_weights(y, z, w)
    assert np.sum(w * beta) / np.sum(w) == pytest.approx(1.0, rel=1e-14)
    # integer weights: the same as repeating each row w times
    wi = np.where(np.arange(300) % 3 == 0, 2.0, 1.0)
    rows = np.repeat(np.arange(300), wi.astype(int))
    g_w, h_w = GHMLoss(10).gradient_hessian(y, z, wi)
    g_d, h_d = GHMLoss(10).gradient_hessian(y[rows], z[rows])
    # the repeated copies of a row have equal gradients; their sum is the weighted one
    summed_g = np.bincount(rows, weights=g_d)
    summed_h = np.bincount(rows, weights=h_d)
    assert_allclose(g_w, summed_g, rtol=1e-13)
    assert_allclose(h_w, summed_h, rtol=1e-13)


def test_zero_weight_rows_get_zero_and_take_no_part_in_the_histogram():
    y, z, _ = _data(n=200, seed=3)
    w = np.ones(200)
    w[:50] = 0.0
    g, h = GHMLoss(10).gradient_hessian(y, z, w)
    assert np.all(g[:50] == 0) and np.all(h[:50] == 0)
    assert np.all(h[50:] > 0)
    g_sub, h_sub = GHMLoss(10).gradient_hessian(y[50:], z[50:])
    assert_allclose(g[50:], g_sub, rtol=1e-14)
    assert_allclose(h[50:], h_sub, rtol=1e-14)


def test_last_bin_is_closed_and_extremes_are_binned_stably():
    bins = 10
    # g = 1 exactly: a positive with a hugely negative margin (sigmoid(800) rounds to 1)
    # g = 0.95: in the last bin [0.9, 1]; g = 0 exactly: sigmoid(-800) underflows to 0
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    z = np.array([-800.0, -np.log(0.95 / 0.05), 800.0, 800.0, -800.0])
    g = np.abs(expit(z) - y)
    assert g[0] == 1.0 and g[2] == 1.0 and g[3] == 0.0 and g[4] == 0.0
    beta = GHMLoss(bins).bin_weights(y, z)
    # the three examples with g >= 0.9 share the last bin: 3 of 5 examples, 2 bins used
    assert_allclose(beta[:3], 5 / (3 * 2), rtol=1e-14)
    assert_allclose(beta[3:], 5 / (2 * 2), rtol=1e-14)
    grad, hess = GHMLoss(bins).gradient_hessian(y, z)
    assert np.all(np.isfinite(grad)) and np.all(hess > 0)
    assert grad[0] == pytest.approx(-beta[0]) and grad[2] == pytest.approx(beta[2])


def test_bin_edges_follow_floor_of_g_times_bins():
    # g exactly on an interior edge belongs to the bin above it: [b/M, (b+1)/M)
    bins = 4
    y = np.zeros(3)
    z = np.log(np.array([0.25, 0.5, 0.75]) / (1 - np.array([0.25, 0.5, 0.75])))
    g = expit(z)
    assert_allclose(g, [0.25, 0.5, 0.75], rtol=1e-15)
    beta = GHMLoss(bins).bin_weights(y, z)
    assert_allclose(beta, 1.0, rtol=1e-14)  # three examples, three different bins


def test_one_bin_is_the_logistic_loss():
    y, z, w = _data(weights=True)
    g, h = GHMLoss(bins=1).gradient_hessian(y, z, w)
    g_log, h_log = FocalLoss(gamma=0.0).gradient_hessian(y, z, w)
    assert_allclose(g, g_log, rtol=1e-13)
    assert_allclose(h, h_log, rtol=1e-13)


def test_all_examples_in_one_bin_gives_unit_weights():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([30.0, -30.0, 25.0, -40.0])  # every g is below 1e-10: bin 0
    assert_allclose(GHMLoss(10).bin_weights(y, z), 1.0, rtol=1e-15)


def test_class_weights_cancel_in_class_pure_bins():
    # At a constant margin every positive shares one bin and every negative another, so a
    # class weight multiplies a whole bin and beta divides it out again: the gradients
    # and Hessians are those of the unweighted data, times the mean weight.
    y = (np.arange(400) % 10 == 0).astype(float)
    z = np.full(len(y), -1.7)
    w = np.where(y == 1, 7.0, 0.2)
    plain = GHMLoss(10).gradient_hessian(y, z)
    weighted = GHMLoss(10).gradient_hessian(y, z, w)
    for a, b in zip(plain, weighted, strict=True):
        np.testing.assert_allclose(b, a * w.mean(), rtol=1e-13)
    # and the two classes carry the same total gradient weight, w * beta
    beta = GHMLoss(10).bin_weights(y, z)
    assert np.sum(beta[y == 1]) == pytest.approx(np.sum(beta[y == 0]), rel=1e-14)


def test_root_newton_step_at_the_prior_log_odds_is_class_balanced():
    # documented in GHMLoss: the first round pushes towards margin 0
    y = (np.arange(300) % 30 == 0).astype(float)
    pi = y.mean()
    loss = GHMLoss(10)
    z = np.full(len(y), loss.init_score(y))
    grad, hess = loss.gradient_hessian(y, z)
    assert -grad.sum() / hess.sum() == pytest.approx((1 - 2 * pi) / (2 * pi * (1 - pi)),
                                                     rel=1e-12)


# ----------------------------------------------------------------------- derivatives

def test_gradient_is_the_derivative_of_the_harmonized_loss_with_beta_frozen():
    y, z, w = _data(n=200, seed=4, weights=True)
    loss = GHMLoss(10)
    grad, _ = loss.gradient_hessian(y, z, w)
    g = np.abs(expit(z) - y)
    step = 1e-5
    # examples whose g stays in its bin under the perturbation: beta is unchanged
    safe = np.flatnonzero(np.abs(g * 10 - np.round(g * 10)) > 1e-3)[:20]
    assert safe.size == 20
    for i in safe:
        hi, lo = z.copy(), z.copy()
        hi[i] += step
        lo[i] -= step
        # every other example's harmonized loss is unchanged, to the last bit
        diff = loss.harmonized_loss(y, hi, w) - loss.harmonized_loss(y, lo, w)
        assert np.count_nonzero(diff) == 1
        fd = diff.sum() / (2 * step)
        assert fd == pytest.approx(grad[i], rel=1e-7, abs=1e-11)


def test_stable_at_extreme_margins_and_float32_in_float32_out():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    for y_val in (0.0, 1.0):
        y = np.full(z.shape, y_val)
        for dtype in (np.float32, np.float64):
            zz = z.astype(dtype)
            loss = GHMLoss(10)
            grad, hess = loss.gradient_hessian(y, zz)
            lo = loss.loss(y, zz)
            for arr in (grad, hess, lo, loss.harmonized_loss(y, zz)):
                assert arr.dtype == dtype and np.all(np.isfinite(arr))
            assert np.all(hess > 0)
            assert np.all(np.where(y == 1, grad <= 0, grad >= 0))
            assert loss.predict_proba(zz).dtype == dtype


def test_loss_is_the_logistic_loss_and_harmonized_loss_reweights_it():
    y, z, w = _data(weights=True)
    loss = GHMLoss(10)
    assert_allclose(loss.loss(y, z, w), w * np.logaddexp(0, np.where(y == 1, -z, z)),
                    rtol=1e-14)
    assert_allclose(loss.harmonized_loss(y, z, w), loss.bin_weights(y, z, w) * loss.loss(y, z, w),
                    rtol=1e-14)


# ----------------------------------------------------------------------- momentum state

def test_momentum_is_an_ema_of_the_histogram_started_at_the_first_round():
    m = 0.75
    y, z1, w = _data(n=500, seed=5, weights=True)
    z2 = z1 + np.random.default_rng(6).normal(scale=2.0, size=500)
    loss = GHMLoss(10, momentum=m)
    assert loss.density_ is None and loss.n_updates_ == 0
    g1, h1 = loss.gradient_hessian(y, z1, w)
    _, g1_ref, h1_ref, hist1 = reference_ghm(y, z1, 10, w)
    assert_allclose(g1, g1_ref, rtol=1e-12)        # first round: no warm-up bias
    assert_allclose(h1, h1_ref, rtol=1e-12)
    assert_allclose(loss.density_, hist1, rtol=1e-14)
    g2, h2 = loss.gradient_hessian(y, z2, w)
    _, _, _, hist2 = reference_ghm(y, z2, 10, w)
    density = m * hist1 + (1 - m) * hist2
    beta_ref, g2_ref, h2_ref, _ = reference_ghm(y, z2, 10, w, density=density)
    assert_allclose(loss.density_, density, rtol=1e-14)
    assert_allclose(g2, g2_ref, rtol=1e-12)
    assert_allclose(h2, h2_ref, rtol=1e-12)
    assert np.sum(w * beta_ref) / np.sum(w) == pytest.approx(1.0, rel=1e-13)
    assert loss.n_updates_ == 2
    # the smoothing changed the weights: without momentum the second round differs
    g2_plain, _ = GHMLoss(10).gradient_hessian(y, z2, w)
    assert not np.allclose(g2, g2_plain, rtol=1e-3)


def test_without_momentum_each_round_ignores_the_past():
    y, z1, _ = _data(seed=7)
    z2 = -z1
    loss = GHMLoss(10, momentum=0.0)
    loss.gradient_hessian(y, z1)
    g, h = loss.gradient_hessian(y, z2)
    g_fresh, h_fresh = GHMLoss(10).gradient_hessian(y, z2)
    assert_array_equal(g, g_fresh)
    assert_array_equal(h, h_fresh)


def test_reset_starts_afresh():
    y, z, _ = _data(seed=8)
    loss = GHMLoss(10, momentum=0.9)
    for shift in (0.0, 1.0, 2.0):
        loss.gradient_hessian(y, z + shift)
    assert loss.reset() is loss
    assert loss.density_ is None and loss.n_updates_ == 0
    g, h = loss.gradient_hessian(y, z - 1.0)
    g_new, h_new = GHMLoss(10, momentum=0.9).gradient_hessian(y, z - 1.0)
    assert_array_equal(g, g_new)
    assert_array_equal(h, h_new)


def test_only_gradient_hessian_touches_the_state():
    y, z, w = _data(seed=9, weights=True)
    loss = GHMLoss(10, momentum=0.5)
    loss.gradient_hessian(y, z, w)
    density, n = loss.density_.copy(), loss.n_updates_
    loss.loss(y, z + 3, w)
    loss.harmonized_loss(y, z + 3, w)
    loss.bin_weights(y, z + 3, w)
    loss.init_score(y, w)
    loss.predict_proba(z + 3)
    loss.predict_confidence(z + 3)
    assert_array_equal(loss.density_, density)
    assert loss.n_updates_ == n


@pytest.mark.parametrize("copier", ["pickle", "deepcopy"])
def test_mid_training_state_survives_pickle_and_copies_are_independent(copier):
    y, z, w = _data(seed=10, weights=True)
    loss = GHMLoss(10, momentum=0.75)
    for shift in (0.0, 0.5, 1.0):
        loss.gradient_hessian(y, z + shift, w)
    other = pickle.loads(pickle.dumps(loss)) if copier == "pickle" else copy.deepcopy(loss)
    assert other == loss and other.n_updates_ == 3
    assert_array_equal(other.density_, loss.density_)
    assert other.density_ is not loss.density_
    for shift in (1.5, 2.0):  # both resume identically
        a = loss.gradient_hessian(y, z + shift, w)
        b = other.gradient_hessian(y, z + shift, w)
        assert_array_equal(a[0], b[0])
        assert_array_equal(a[1], b[1])
    other.reset()  # and the copy's state is its own
    assert loss.n_updates_ == 5 and loss.density_ is not None


def test_equality_hash_and_repr_ignore_the_state():
    a, b = GHMLoss(30, 0.75), GHMLoss(30, 0.75)
    a.gradient_hessian(np.array([0.0, 1.0]), np.array([0.3, -0.2]))
    assert a == b and hash(a) == hash(b)
    assert a != GHMLoss(30, 0.5) and a != GHMLoss(10, 0.75) and a != FocalLoss()
    assert repr(a) == "GHMLoss(bins=30, momentum=0.75)"
    assert GHMLoss().n_classes == 2


# ----------------------------------------------------------------------- start, proba

def test_init_score_is_the_weighted_prior_log_odds_and_minimizes_the_mean_loss():
    y, _, w = _data(n=500, seed=11, weights=True)
    loss = GHMLoss(10)
    w1 = np.sum(w[y == 1])
    w0 = np.sum(w[y == 0])
    c = loss.init_score(y, w)
    assert c == pytest.approx(np.log(w1 / w0), rel=1e-14)
    assert np.sum(w * (expit(c) - y)) == pytest.approx(0.0, abs=1e-10 * w.sum())
    assert loss.init_score(y) == pytest.approx(np.log(y.sum() / (len(y) - y.sum())), rel=1e-14)
    with pytest.raises(ValueError, match="both classes"):
        loss.init_score(np.zeros(5))


def test_predict_proba_is_the_sigmoid():
    z = np.array([-50.0, -2.0, 0.0, 3.0, 700.0])
    proba = GHMLoss().predict_proba(z)
    assert proba.shape == (5, 2)
    assert_allclose(proba[:, 1], expit(z), rtol=1e-15)
    assert_allclose(proba[:, 0], expit(-z), rtol=1e-15)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    assert_array_equal(GHMLoss().predict_confidence(z), proba)


# ----------------------------------------------------------------------- validation

@pytest.mark.parametrize("bins,exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                      (True, TypeError), ("10", TypeError)])
def test_bad_bins(bins, exc):
    with pytest.raises(exc, match="bins"):
        GHMLoss(bins=bins)


@pytest.mark.parametrize("momentum,exc", [(1.0, ValueError), (-0.1, ValueError),
                                          (float("nan"), ValueError), ("0.5", TypeError),
                                          (None, TypeError)])
def test_bad_momentum(momentum, exc):
    with pytest.raises(exc, match="momentum"):
        GHMLoss(momentum=momentum)


def test_numpy_integer_bins_are_accepted():
    assert GHMLoss(np.int64(7)).bins == 7


def test_bad_inputs_name_the_argument_and_leave_the_state_alone():
    loss = GHMLoss(momentum=0.5)
    z = np.zeros(3)
    cases = [
        (([0, 1, 2], z), "y_true"),
        (([0, 1, np.nan], z), "y_true"),
        (([0, 1], z), "y_true"),
        (([0, 1, 1], [0.0, np.nan, 1.0]), "raw_prediction"),
        (([0, 1, 1], np.zeros((3, 2))), "raw_prediction"),
        (([0, 1, 1], z, [1.0, -1.0, 1.0]), "sample_weight"),
        (([0, 1, 1], z, [0.0, 0.0, 0.0]), "sample_weight"),
        (([0, 1, 1], z, [1.0, 1.0]), "sample_weight"),
    ]
    for args, match in cases:
        for method in (loss.gradient_hessian, loss.loss, loss.harmonized_loss,
                       loss.bin_weights):
            with pytest.raises(ValueError, match=match):
                method(*args)
    assert loss.n_updates_ == 0 and loss.density_ is None


@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
def test_gradient_hessian_into_given_arrays(out_dtype):
    """Outputs passed in are written in place; the state advances as without them."""
    rng = np.random.default_rng(4)
    z = rng.normal(-1.0, 3.0, 500)
    y = (rng.random(500) < 0.3).astype(float)
    a, b = GHMLoss(bins=10, momentum=0.5), GHMLoss(bins=10, momentum=0.5)
    g_out, h_out = np.empty(500, out_dtype), np.empty(500, out_dtype)
    for _ in range(2):
        g64, h64 = a.gradient_hessian(y, z)
        g, h = b.gradient_hessian(y, z, None, g_out, h_out)
        assert g is g_out and h is h_out
        assert_array_equal(g, g64.astype(out_dtype))
        assert_array_equal(h, h64.astype(out_dtype))
    assert_array_equal(a.density_, b.density_)
    with pytest.raises(ValueError, match="hessian_out must have shape"):
        GHMLoss().gradient_hessian(y, z, None, g_out, np.empty(3))


def test_raw_offset_equals_shifting_the_margins():
    rng = np.random.default_rng(7)
    z = rng.normal(0.0, 3.0, 500)
    y = (rng.random(500) < 0.3).astype(float)
    a, b = GHMLoss(bins=10, momentum=0.5), GHMLoss(bins=10, momentum=0.5)
    for _ in range(2):
        g, h = a.gradient_hessian(y, z, raw_offset=-1.25)
        g_ref, h_ref = b.gradient_hessian(y, z - 1.25)
        assert_array_equal(g, g_ref)
        assert_array_equal(h, h_ref)
    assert_array_equal(a.loss(y, z, raw_offset=-1.25), b.loss(y, z - 1.25))
    with pytest.raises(ValueError, match="raw_offset must be finite"):
        a.loss(y, z, raw_offset=float("nan"))


def test_class_totals_sum_each_class_without_cancellation():
    """Issue 13: W0 was sum(w) - W1, which cancelled to 0 here."""
    y, w = [0, 1, 0, 1], [1.0, 1e17, 1.0, 1e17]
    assert GHMLoss().class_totals(y, w) == (2.0, 2e17)
    assert GHMLoss().init_score(y, w) == pytest.approx(np.log(1e17), rel=1e-12)
    with pytest.raises(ValueError, match="sample_weight overflows"):
        GHMLoss().class_totals([0, 1, 1], [1.0, 1e308, 1e308])
