"""The fused kernels against the straightforward stable numpy implementation (the oracle)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from reference import binary_stable, softmax_stable

from boostfocal import FocalLoss, SoftmaxFocalLoss
from boostfocal.losses import _kernels

GAMMAS = [0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 9.0]  # integer (fast path) and general


def _rel_close(actual, desired, rtol=1e-12):
    # relative to each entry, with an absolute floor far below anything a booster can see
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=1e-300)


def _hessian_close(actual, desired, magnitude, rtol=1e-12):
    # 1e-12 relative to the entry, or to its terms' magnitude where terms of both signs
    # cancel (near the edge of the negative-curvature region)
    assert np.all(np.abs(actual - desired) <= rtol * np.maximum(np.abs(desired), magnitude)
                  + 1e-300)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("policy", ["exact", "majorizer", "floor"])
def test_binary_kernel_matches_oracle(gamma, policy):
    rng = np.random.default_rng(0)
    n = 50_000
    z = np.concatenate([rng.normal(scale=4, size=n), [-1e4, -745, -40, 0.0, 40, 745, 1e4]])
    y = rng.integers(0, 2, z.size)
    w = rng.uniform(0, 3, z.size)
    loss = FocalLoss(gamma, 0.3, policy)
    ref_l, ref_g, ref_h, terms = binary_stable(y, z, gamma, 0.3, w, policy, terms=True)
    g, h = loss.gradient_hessian(y, z, w)
    _rel_close(g, ref_g)
    _hessian_close(h, ref_h, terms)
    _rel_close(loss.loss(y, z, w), ref_l)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("policy", ["exact", "majorizer", "floor"])
def test_softmax_kernel_matches_oracle(gamma, policy):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=4, size=(20_000, 5))
    z[:5] = [[1e3, 0, 0, 0, -1e3], [-1e3, 1e3, 1e3, 0, 0], [0, 0, 0, 0, 0],
             [700, -700, 3, 2, 1], [-5, -5, -5, -5, 40]]
    y = rng.integers(0, 5, z.shape[0])
    alpha = [1.0, 2.0, 0.5, 1.0, 3.0]
    loss = SoftmaxFocalLoss(gamma, alpha, policy)
    ref_l, ref_g, ref_h, terms = softmax_stable(y, z, gamma, alpha, None, policy, terms=True)
    g, h = loss.gradient_hessian(y, z)
    _rel_close(g, ref_g)
    _hessian_close(h, ref_h, terms)
    _rel_close(loss.loss(y, z), ref_l)


def test_exact_hessian_difference_is_cancellation_only():
    # Where the exact Hessian crosses zero, relative agreement is meaningless; there the
    # kernel and the oracle agree to a few ulps of the terms being summed.
    z = np.linspace(-3.2, -2.5, 20001)
    y = np.ones_like(z)
    _, _, ref_h = binary_stable(y, z, 2.0)
    _, h = FocalLoss(2.0, hessian="exact").gradient_hessian(y, z)
    assert np.max(np.abs(h - ref_h)) < 1e-15


def test_layouts_and_dtypes():
    rng = np.random.default_rng(2)
    zf = np.asfortranarray(rng.normal(size=(1000, 4)))    # LightGBM hands (n, K) this way
    y = rng.integers(0, 4, 1000).astype(np.float32)       # XGBoost labels are float32
    loss = SoftmaxFocalLoss(2.0)
    g_f, h_f = loss.gradient_hessian(y, zf)
    g_c, h_c = loss.gradient_hessian(y, np.ascontiguousarray(zf))
    np.testing.assert_array_equal(g_f, g_c)
    np.testing.assert_array_equal(h_f, h_c)
    g32, h32 = loss.gradient_hessian(y, zf.astype(np.float32))
    assert g32.dtype == h32.dtype == np.float32
    z1 = rng.normal(size=1000).astype(np.float32)
    g1, h1 = FocalLoss(2.0).gradient_hessian((z1 > 0).astype(np.float32), z1,
                                             np.ones(1000, dtype=np.float32))
    assert g1.dtype == h1.dtype == np.float32


def test_multithreaded_blocks_equal_single_block(monkeypatch):
    rng = np.random.default_rng(3)
    z = rng.normal(size=300_000)
    y = rng.integers(0, 2, 300_000)
    loss = FocalLoss(2.0)
    g_par, h_par = loss.gradient_hessian(y, z)
    monkeypatch.setattr(_kernels, "MIN_ROWS_PER_THREAD", 10**9)
    g_one, h_one = loss.gradient_hessian(y, z)
    np.testing.assert_array_equal(g_par, g_one)
    np.testing.assert_array_equal(h_par, h_one)


def test_concurrent_callers_are_safe():
    # Dask workers and threaded joblib call objectives from several threads at once.
    rng = np.random.default_rng(4)
    z = rng.normal(size=200_000)
    y = rng.integers(0, 2, 200_000)
    loss = FocalLoss(2.0)
    expected = loss.gradient_hessian(y, z)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(loss.gradient_hessian(y, z))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 20
    for g, h in results:
        np.testing.assert_array_equal(g, expected[0])
        np.testing.assert_array_equal(h, expected[1])


def test_integer_gamma_fast_path_selection():
    assert _kernels.integer_gamma(2.0) == 2
    assert _kernels.integer_gamma(0.0) == 0
    assert _kernels.integer_gamma(2.5) == -1
    assert _kernels.integer_gamma(20.0) == -1


# ---------------------------------------------------------------- elementary functions
# The kernels carry their own branch-free exp / log1p / log so that LLVM vectorizes the
# loops. Held here to 1 ulp of 40-digit mpmath values (libm is about 0.5-0.7 ulp).
def _ulps(values, inputs, fn_mp):
    import mpmath as mp

    errs = []
    with mp.workdps(40):
        for got, x in zip(values, inputs, strict=True):
            ref = fn_mp(mp.mpf(float(x)))
            ref_f = float(ref)
            ulp = np.spacing(abs(ref_f)) if ref_f != 0 else np.finfo(float).smallest_subnormal
            errs.append(float(abs(mp.mpf(float(got)) - ref)) / ulp)
    return np.array(errs)


def _vectorized(fn):
    import numba as nb

    @nb.njit
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
        return out

    return apply


def test_exp_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(5)
    x = np.concatenate([-rng.uniform(0, 745, 3000), -rng.uniform(0, 1, 1000),
                        [-745.1, -744.0, -708.5, -1e-300, -0.0, 0.0, -0.34657359, 0.3465]])
    got = _vectorized(_kernels._exp_neg)(x)
    assert np.max(_ulps(got, x, mp.exp)) <= 1.0
    assert _vectorized(_kernels._exp_neg)(np.array([-800.0, -1e300]))[0] == 0.0


def test_log1p_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(6)
    e = np.concatenate([rng.uniform(-0.5, 1.0, 3000), 10.0 ** rng.uniform(-300, -1, 1000),
                        [0.0, 1.0, -0.5, 5e-324, 1e-17, 0.41421356]])
    got = _vectorized(_kernels._log1p_small)(e)
    assert np.max(_ulps(got, e, mp.log1p)) <= 1.0


def test_log_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(7)
    x = np.concatenate([1.0 + rng.uniform(0, 1, 2000), 10.0 ** rng.uniform(0, 300, 2000),
                        [1.0, 1.4142135623730951, 1.4142135623730954, 2.0, 1e308]])
    got = _vectorized(_kernels._log_ge1)(x)
    assert np.max(_ulps(got, x, mp.log)) <= 1.0
