"""The fused kernels against the straightforward stable numpy implementation (the oracle).

Every test runs once per kernel backend this installation has: the compiled extension and
the numpy fallback (``_npkernels.py``) are held to the same references. Tests of the
compiled code itself (its constants, its instruction-set builds) run once.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from reference import (
    binary_posterior_mp,
    binary_stable,
    posterior_mp,
    softmax_stable,
    ulp_errors,
)

from boostfocal import FocalLoss, SoftmaxFocalLoss
from boostfocal.losses import _kernels

GAMMAS = [0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 9.0]  # integer (fast path) and general

BACKENDS = _kernels.available_backends()


@pytest.fixture(autouse=True, params=BACKENDS)
def backend(request):
    """Run the test under each kernel backend (the loss objects call whichever is in use)."""
    with _kernels.use_backend(request.param):
        yield request.param


def _compiled_only(backend):
    if backend != "compiled":
        pytest.skip("a test of the compiled extension itself")


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
# The kernels carry their own branch-free exp / log1p / log so that the compiler
# vectorizes the loops (tested here: the C functions, applied elementwise by the
# extension). Held to 1 ulp of 40-digit mpmath values (libm is about 0.5-0.7 ulp).
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


def test_exp_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(5)
    x = np.concatenate([-rng.uniform(0, 745, 3000), -rng.uniform(0, 1, 1000),
                        [-745.1, -744.0, -708.5, -1e-300, -0.0, 0.0, -0.34657359, 0.3465]])
    got = _kernels._exp_neg(x)
    assert np.max(_ulps(got, x, mp.exp)) <= 1.0
    assert _kernels._exp_neg(np.array([-800.0, -1e300]))[0] == 0.0


def test_log1p_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(6)
    e = np.concatenate([rng.uniform(-0.5, 1.0, 3000), 10.0 ** rng.uniform(-300, -1, 1000),
                        [0.0, 1.0, -0.5, 5e-324, 1e-17, 0.41421356]])
    got = _kernels._log1p_small(e)
    assert np.max(_ulps(got, e, mp.log1p)) <= 1.0


def test_log_within_one_ulp():
    import mpmath as mp

    rng = np.random.default_rng(7)
    x = np.concatenate([1.0 + rng.uniform(0, 1, 2000), 10.0 ** rng.uniform(0, 300, 2000),
                        [1.0, 1.4142135623730951, 1.4142135623730954, 2.0, 1e308]])
    got = _kernels._log_ge1(x)
    assert np.max(_ulps(got, x, mp.log)) <= 1.0


# ---------------------------------------------------------------- the compiled extension
def test_compiled_constants_mirror_python(backend):
    _compiled_only(backend)
    from boostfocal.losses._curvature import FLOOR_EPSILON, MIN_CURVATURE
    from boostfocal.losses._kernels import _ckernels

    assert _ckernels.MIN_CURVATURE == MIN_CURVATURE
    assert _ckernels.FLOOR_EPSILON == FLOOR_EPSILON
    assert (_ckernels.BAD_LABEL, _ckernels.BAD_MARGIN, _ckernels.BAD_WEIGHT,
            _ckernels.SAW_POSITIVE_WEIGHT) == (_kernels.BAD_LABEL, _kernels.BAD_MARGIN,
                                               _kernels.BAD_WEIGHT,
                                               _kernels.SAW_POSITIVE_WEIGHT)


def test_loss_objects_do_not_import_numba(backend):
    if backend != BACKENDS[0]:
        pytest.skip("independent of the backend: run once")
    import subprocess
    import sys

    code = ("import sys, numpy as np, boostfocal\n"
            "boostfocal.FocalLoss(2).gradient_hessian(np.array([0., 1.]), np.array([.5, -1.]))\n"
            "boostfocal.SoftmaxFocalLoss(2).gradient_hessian(np.array([0, 2]), np.ones((2, 3)))\n"
            "assert 'numba' not in sys.modules and 'llvmlite' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def _binary_inputs(n=5000, seed=10):
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.normal(scale=4, size=n - 4), [-800.0, -30.0, 30.0, 800.0]])
    y = rng.integers(0, 2, n).astype(np.float64)
    w = rng.uniform(0, 3, n)
    return y, z, w


def _softmax_inputs(n=3000, k=4, seed=11):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=4, size=(n, k))
    z[0, :2] = [800.0, -800.0]
    y = rng.integers(0, k, n).astype(np.float64)
    w = rng.uniform(0, 3, n)
    return y, z, w


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_instruction_sets_agree_bit_for_bit(isa, backend):
    _compiled_only(backend)
    from boostfocal.losses._kernels import _ckernels

    if isa not in _ckernels.isas():
        pytest.skip(f"{isa} not available on this machine")
    y, z, w = _binary_inputs()
    ys, zs, ws = _softmax_inputs()
    x = np.concatenate([-np.linspace(0, 746, 1001), np.linspace(-0.5, 1.0, 1001)])

    def run():
        out = []
        for gamma in (2.0, 2.5):
            for want_loss in (False, True):
                out += _kernels.run_binary(y, z, w, 0.3, 0.7, gamma, "majorizer", want_loss)[0]
                out += _kernels.run_softmax(ys, zs, ws, None, gamma, "exact", want_loss)[0]
        out += [_kernels._exp_neg(x[:1001]), _kernels._log1p_small(x[1001:]),
                _kernels._log_ge1(1.0 + np.abs(x))]
        for gamma in (0.0, 2.0, 2.5):
            out.append(_kernels.run_binary_proba(z, gamma, 0.3)[0])
            out.append(_kernels.run_softmax_proba(zs, gamma, [1.0, 2.0, 0.5, 3.0])[0])
            out.append(_kernels.run_softmax_proba(zs.astype(np.float32), gamma, None,
                                                  dtype=np.float64)[0])
        return out

    expected = run()
    previous = _ckernels.set_isa(isa)
    try:
        got = run()
    finally:
        _ckernels.set_isa(previous)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("want_loss", [False, True])
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
def test_binary_preallocated_outputs(want_loss, out_dtype):
    y, z, w = _binary_inputs()
    args = (0.25, 0.75, 2.5, "majorizer", want_loss)
    expected, flags = _kernels.run_binary(y, z, w, *args)
    if want_loss:
        out = np.full(z.shape, np.nan, dtype=out_dtype)
        got, flags2 = _kernels.run_binary(y, z, w, *args, out=out)
        assert got[0] is out
    else:
        grad = np.full(z.shape, np.nan, dtype=out_dtype)
        hess = np.full(z.shape, np.nan, dtype=out_dtype)
        got, flags2 = _kernels.run_binary(y, z, w, *args, grad=grad, hess=hess)
        assert got[0] is grad and got[1] is hess
    assert flags2 == flags
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == out_dtype
        np.testing.assert_array_equal(a, b.astype(out_dtype))


@pytest.mark.parametrize("want_loss", [False, True])
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("z_order", ["C", "F"])
def test_softmax_preallocated_outputs(want_loss, out_dtype, order, z_order):
    y, z, w = _softmax_inputs()
    z = np.asarray(z, order=z_order)
    alpha = np.array([1.0, 2.0, 0.5, 1.5])
    args = (alpha, 1.5, "floor", want_loss)
    expected, flags = _kernels.run_softmax(y, z, w, *args)
    if want_loss:
        out = np.full(z.shape[0], np.nan, dtype=out_dtype)
        got, _ = _kernels.run_softmax(y, z, w, *args, out=out)
        assert got[0] is out
    else:
        grad = np.full(z.shape, np.nan, dtype=out_dtype, order=order)
        hess = np.full(z.shape, np.nan, dtype=out_dtype, order=order)
        got, _ = _kernels.run_softmax(y, z, w, *args, grad=grad, hess=hess)
        assert got[0] is grad and got[1] is hess
        # allocated outputs follow z's memory order
        assert expected[0].flags.f_contiguous == (z_order == "F")
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b.astype(out_dtype))


def test_only_one_preallocated_output_gives_the_other_its_dtype_and_order():
    y, z, _ = _softmax_inputs()
    grad = np.empty(z.shape, dtype=np.float32, order="F")
    (g, h), _ = _kernels.run_softmax(y, z, None, None, 2.0, "majorizer", False, grad=grad)
    assert g is grad and h.dtype == np.float32 and h.flags.f_contiguous


@pytest.mark.parametrize("policy", ["exact", "majorizer", "floor"])
def test_hess_scale(policy):
    y, z, w = _binary_inputs()
    (g1, h1), _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.0, policy, False)
    ys, zs, ws = _softmax_inputs()
    (sg1, sh1), _ = _kernels.run_softmax(ys, zs, ws, None, 2.0, policy, False)
    for scale in (2.0, 0.5, 4.0):  # powers of two: exact
        (g, h), _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.0, policy, False,
                                        hess_scale=scale)
        np.testing.assert_array_equal(g, g1)
        np.testing.assert_array_equal(h, scale * h1)
        (sg, sh), _ = _kernels.run_softmax(ys, zs, ws, None, 2.0, policy, False,
                                           hess_scale=scale)
        np.testing.assert_array_equal(sg, sg1)
        np.testing.assert_array_equal(sh, scale * sh1)
    # any other scale: (weight * scale) * curvature, within an ulp or so of scale * hess
    (g, h), _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.0, policy, False, hess_scale=1.25)
    _rel_close(h, 1.25 * h1, rtol=4e-16)
    (sg, sh), _ = _kernels.run_softmax(ys, zs, ws, None, 2.0, policy, False, hess_scale=1.25)
    _rel_close(sh, 1.25 * sh1, rtol=4e-16)


@pytest.mark.parametrize("want_loss", [False, True])
@pytest.mark.parametrize("z_dtype", [np.float32, np.float64])
def test_binary_offset_equals_shifted_margins(want_loss, z_dtype):
    y, z, w = _binary_inputs()
    z = z.astype(z_dtype)
    c = -1.2345
    got, _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.5, "majorizer", want_loss, offset=c)
    expected, _ = _kernels.run_binary(y, z.astype(np.float64) + c, w, 0.3, 0.7, 2.5,
                                      "majorizer", want_loss)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b.astype(z_dtype))


@pytest.mark.parametrize("want_loss", [False, True])
@pytest.mark.parametrize("z_order", ["C", "F"])
def test_softmax_offset_equals_shifted_logits(want_loss, z_order):
    y, z, w = _softmax_inputs()
    z = np.asarray(z, order=z_order)
    offset = np.array([0.5, -2.0, 3.25, 0.0])
    got, _ = _kernels.run_softmax(y, z, w, None, 2.0, "majorizer", want_loss, offset=offset)
    expected, _ = _kernels.run_softmax(y, np.asarray(z + offset, order=z_order), w, None, 2.0,
                                       "majorizer", want_loss)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    ref_l, ref_g, ref_h = softmax_stable(y, z + offset, 2.0, None, w, "majorizer")
    if want_loss:
        _rel_close(got[0], ref_l)
    else:
        _rel_close(got[0], ref_g)


_DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("y_dtype", _DTYPES)
@pytest.mark.parametrize("z_dtype", _DTYPES)
@pytest.mark.parametrize("w_dtype", [None, *_DTYPES])
@pytest.mark.parametrize("out_dtype", _DTYPES)
def test_dtype_combinations(y_dtype, z_dtype, w_dtype, out_dtype):
    # every input dtype is read as is (no copy) and computed in float64: the result equals
    # the float64 computation on the same values, rounded once to the output dtype
    y, z, w = _binary_inputs(2000)
    y, z = y.astype(y_dtype), z.astype(z_dtype)
    w = None if w_dtype is None else w.astype(w_dtype)
    w64 = None if w is None else w.astype(np.float64)
    for want_loss in (False, True):
        n = z.shape[0]
        outs = ({"out": np.empty(n, out_dtype)} if want_loss
                else {"grad": np.empty(n, out_dtype), "hess": np.empty(n, out_dtype)})
        got, _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.0, "majorizer", want_loss, **outs)
        expected, _ = _kernels.run_binary(y.astype(np.float64), z.astype(np.float64), w64,
                                          0.3, 0.7, 2.0, "majorizer", want_loss)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b.astype(out_dtype))
    ys, zs, ws = _softmax_inputs(1000)
    ys, zs = ys.astype(y_dtype), zs.astype(z_dtype)
    ws = None if w_dtype is None else ws.astype(w_dtype)
    ws64 = None if ws is None else ws.astype(np.float64)
    for want_loss in (False, True):
        n, k = zs.shape
        outs = ({"out": np.empty(n, out_dtype)} if want_loss
                else {"grad": np.empty((n, k), out_dtype), "hess": np.empty((n, k), out_dtype)})
        got, _ = _kernels.run_softmax(ys, zs, ws, None, 2.5, "majorizer", want_loss, **outs)
        expected, _ = _kernels.run_softmax(ys.astype(np.float64), zs.astype(np.float64), ws64,
                                           None, 2.5, "majorizer", want_loss)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b.astype(out_dtype))
    # and against the oracle
    (g, h), _ = _kernels.run_binary(y, z, w, 0.3, 0.7, 2.0, "majorizer", False)
    _, ref_g, ref_h = binary_stable(y, z.astype(np.float64), 2.0, 0.3, w64, "majorizer")
    rtol = 1e-12 if z_dtype == np.float64 else 2 ** -23
    _rel_close(g, ref_g, rtol=rtol)
    _rel_close(h, ref_h, rtol=rtol)


def test_non_contiguous_inputs():
    y, z, w = _binary_inputs(6000)
    for want_loss in (False, True):
        got, f1 = _kernels.run_binary(y[::2], z[::2], w[::2], 0.3, 0.7, 2.5, "floor", want_loss)
        expected, f2 = _kernels.run_binary(y[::2].copy(), z[::2].copy(), w[::2].copy(), 0.3,
                                           0.7, 2.5, "floor", want_loss)
        assert f1 == f2
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    ys, zs, ws = _softmax_inputs(4000, k=6)
    views = [zs[::2], zs[:, ::-1], np.asfortranarray(zs)[::3, 1:5], zs.T.copy().T[:, ::2]]
    for zv in views:
        n = zv.shape[0]
        for want_loss in (False, True):
            got, _ = _kernels.run_softmax(ys[:n], zv, ws[:n], None, 2.0, "majorizer",
                                          want_loss)
            expected, _ = _kernels.run_softmax(ys[:n], np.ascontiguousarray(zv), ws[:n], None,
                                               2.0, "majorizer", want_loss)
            for a, b in zip(got, expected, strict=True):
                np.testing.assert_array_equal(a, b)


def test_multithreaded_softmax_and_preallocated_blocks(monkeypatch):
    # row blocks of F-ordered logits and outputs are strided views: same bits as one block
    rng = np.random.default_rng(12)
    z = np.asfortranarray(rng.normal(size=(200_000, 3)))
    y = rng.integers(0, 3, 200_000).astype(np.float32)
    grad = np.empty(z.shape, np.float32, order="F")
    hess = np.empty(z.shape, np.float32, order="F")
    monkeypatch.setattr(_kernels, "MIN_ROWS_PER_THREAD", 10_000)
    _kernels.run_softmax(y, z, None, None, 2.0, "majorizer", False, grad=grad, hess=hess,
                         offset=np.array([0.1, 0.2, 0.3]))
    monkeypatch.setattr(_kernels, "MIN_ROWS_PER_THREAD", 10**9)
    (g, h), _ = _kernels.run_softmax(y, z, None, None, 2.0, "majorizer", False,
                                     offset=np.array([0.1, 0.2, 0.3]))
    np.testing.assert_array_equal(grad, g.astype(np.float32))
    np.testing.assert_array_equal(hess, h.astype(np.float32))


def test_bad_preallocated_outputs():
    y, z, w = _binary_inputs(100)
    with pytest.raises(ValueError, match="shape"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", True, out=np.empty(99))
    with pytest.raises(ValueError, match="float32 or float64"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", True, out=np.empty(100, int))
    ro = np.empty(100)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", True, out=ro)
    with pytest.raises(ValueError, match="contiguous"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", True, out=np.empty(200)[::2])
    with pytest.raises(ValueError, match="overlaps"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", False, grad=z, hess=np.empty(100))
    with pytest.raises(ValueError, match="same dtype"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", False, grad=np.empty(100),
                            hess=np.empty(100, np.float32))
    with pytest.raises(ValueError, match="pass out"):
        _kernels.run_binary(y, z, w, 1.0, 1.0, 2.0, "exact", True, grad=np.empty(100))
    ys, zs, _ = _softmax_inputs(100)
    with pytest.raises(ValueError, match="C- or F-contiguous"):
        _kernels.run_softmax(ys, zs, None, None, 2.0, "exact", False,
                             grad=np.empty((100, 8))[:, ::2])
    with pytest.raises(ValueError, match="offset"):
        _kernels.run_softmax(ys, zs, None, None, 2.0, "exact", False, offset=np.zeros(3))


# ---------------------------------------------------------------- first-contact inputs
def _unaligned(values, dtype=np.float64):
    """A contiguous array at an odd byte offset of its buffer: valid, but misaligned."""
    values = np.asarray(values, dtype=dtype)
    buf = bytearray(values.nbytes + 1)
    a = np.frombuffer(buf, dtype, values.size, offset=1).reshape(values.shape)
    a[...] = values
    assert not a.flags.aligned and a.flags.c_contiguous
    return a


def test_unaligned_inputs_are_accepted():
    # np.frombuffer(bytearray(33), np.float64, 4, offset=1): the example
    z0 = np.frombuffer(bytearray(33), np.float64, 4, offset=1)
    g, h = FocalLoss(2.0).gradient_hessian(np.zeros(4), z0)
    np.testing.assert_array_equal(g, FocalLoss(2.0).gradient_hessian(np.zeros(4),
                                                                       np.zeros(4))[0])
    y, z, w = _binary_inputs(1000)
    loss = FocalLoss(2.5, 0.3)
    expected = loss.gradient_hessian(y, z, w)
    got = loss.gradient_hessian(_unaligned(y), _unaligned(z), _unaligned(w))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loss.loss(_unaligned(y, np.float32), _unaligned(z), w),
                                  loss.loss(y, z, w))
    ys, zs, ws = _softmax_inputs(500)
    sloss = SoftmaxFocalLoss(2.0)
    expected = sloss.gradient_hessian(ys, zs, ws)
    got = sloss.gradient_hessian(_unaligned(ys), _unaligned(zs), _unaligned(ws))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_errors_name_the_callers_arguments():
    y, z, w = _binary_inputs(100)
    loss = FocalLoss(2.0)
    with pytest.raises(ValueError, match="gradient_out overlaps") as info:
        loss.gradient_hessian(y, z, w, gradient_out=z)
    with pytest.raises(ValueError, match="gradient_out and hessian_out overlap"):
        g = np.empty(100)
        loss.gradient_hessian(y, z, w, gradient_out=g, hessian_out=g)
    with pytest.raises(ValueError, match="gradient_out and hessian_out must have the same"):
        loss.gradient_hessian(y, z, w, gradient_out=np.empty(100),
                              hessian_out=np.empty(100, np.float32))
    with pytest.raises(ValueError, match="hessian_out must be aligned"):
        loss.gradient_hessian(y, z, w, hessian_out=_unaligned(np.zeros(100)))
    ys, zs, _ = _softmax_inputs(100)
    with pytest.raises(ValueError, match="gradient_out overlaps"):
        SoftmaxFocalLoss(2.0).gradient_hessian(ys, zs, gradient_out=zs)
    for exc in (info,):
        for internal in (" z ", " grad ", " hess ", "'z'", "'grad'"):
            assert internal not in f" {exc.value} "


# ---------------------------------------------------------------- threads
def test_resolve_threads(monkeypatch):
    cpus = _kernels.usable_cpus()
    for var in _kernels.THREAD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    assert _kernels.resolve_threads() == cpus
    assert _kernels.resolve_threads(-1) == cpus
    assert _kernels.resolve_threads(1) == 1
    assert _kernels.resolve_threads(10_000) == cpus  # never more threads than CPUs
    assert _kernels.resolve_threads(-10_000) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert _kernels.resolve_threads() == 1               # the default follows the env
    assert _kernels.resolve_threads(-1) == cpus          # an explicit request does not
    monkeypatch.setenv("OMP_NUM_THREADS", "1,2")         # OpenMP's nested form: the first
    assert _kernels.resolve_threads() == 1
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", str(cpus))  # boostfocal's own comes first
    assert _kernels.resolve_threads() == cpus


def _no_pool():
    raise AssertionError("the kernel used its thread pool")


@pytest.mark.parametrize("call", ["binary", "softmax"])
def test_one_thread_runs_on_the_calling_thread(monkeypatch, call):
    rng = np.random.default_rng(20)
    n = 300_000
    y = rng.integers(0, 3, n).astype(np.float64)
    if call == "binary":
        loss, z, y = FocalLoss(2.0), rng.normal(size=n), (y > 0).astype(np.float64)
    else:
        loss, z = SoftmaxFocalLoss(2.0), rng.normal(size=(n, 3))
    expected = loss.gradient_hessian(y, z)  # possibly multithreaded
    monkeypatch.setattr(_kernels, "_pool", _no_pool)
    got = loss.gradient_hessian(y, z, n_threads=1)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    loss.loss(y, z, n_threads=1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    loss.gradient_hessian(y, z)  # the default follows OMP_NUM_THREADS


def test_threadpoolctl_limits_the_compiled_kernels(backend, monkeypatch):
    _compiled_only(backend)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for var in _kernels.THREAD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    info = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "boostfocal"]
    assert len(info) == 1 and info[0]["num_threads"] == _kernels.usable_cpus()
    with threadpoolctl.threadpool_limits(1, user_api="boostfocal"):
        assert _kernels.thread_limit() == 1
        assert _kernels.resolve_threads() == 1
        assert _kernels.resolve_threads(-1) == 1  # the limit caps explicit requests too
        with monkeypatch.context() as m:
            m.setattr(_kernels, "_pool", _no_pool)
            FocalLoss(2.0).gradient_hessian(np.zeros(300_000), np.zeros(300_000))
    with threadpoolctl.threadpool_limits(1):  # a global limit applies as well
        assert _kernels.resolve_threads() == 1
    assert _kernels.thread_limit() in (None, _kernels.usable_cpus())
    assert _kernels.resolve_threads() == _kernels.usable_cpus()


@pytest.mark.parametrize("bad,error", [(0, ValueError), (1.5, TypeError), ("2", TypeError),
                                       (True, TypeError)])
def test_bad_n_threads(bad, error):
    with pytest.raises(error, match="n_threads"):
        FocalLoss().gradient_hessian([0, 1], [0.0, 1.0], n_threads=bad)
    with pytest.raises(error, match="n_threads"):
        SoftmaxFocalLoss().loss([0, 1], np.zeros((2, 3)), n_threads=bad)


# ---------------------------------------------------------------- probability kernels
def _proba_grid():
    """Binary margins and 3-class logits from 0 to the largest floats."""
    big = np.finfo(np.float64).max
    z = np.array([0.0, 5e-324, 1e-12, 0.3, 2.5, 17.0, 40.0, 300.0, 744.0, 760.0, 4100.0,
                  1e5, 1e308, big])
    z = np.concatenate([z, -z[1:]])
    zs = np.array([[0.0, 0.0, 0.0], [0.1, -0.2, 3.0], [0.0, 1e308, 0.0], [-big, big, 1.0],
                   [30.0, -30.0, 29.0], [-700.0, 0.0, -1e4], [2.0, 2.0, -740.0],
                   [1e-300, 0.0, -1e-300]])
    return z, zs


@pytest.mark.parametrize("gamma", [0.0, 0.7, 2.0, 4.5])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_proba_kernels_within_an_ulp_of_mpmath(gamma, with_alpha):
    """Both backends: each probability within an ulp of the 60-digit closed form, in
    float64 and float32 outputs."""
    z, zs = _proba_grid()
    alpha, alphas = (0.2, [0.5, 1.0, 4.0]) if with_alpha else (None, None)
    exact = [v for zi in z for v in binary_posterior_mp(float(zi), gamma, alpha)]
    exact_s = [v for row in zs for v in posterior_mp(list(row), gamma, alphas)]
    for dtype in (np.float64, np.float32):
        p, flags = _kernels.run_binary_proba(z, gamma, alpha, dtype=dtype)
        assert flags == 0 and p.dtype == dtype and p.shape == (z.shape[0], 2)
        assert np.max(ulp_errors(p, exact, dtype)) <= 1.0
        p, flags = _kernels.run_softmax_proba(zs, gamma, alphas, dtype=dtype)
        assert flags == 0 and p.dtype == dtype and p.shape == zs.shape
        assert np.max(ulp_errors(p, exact_s, dtype)) <= 1.0


def test_proba_kernels_read_every_dtype_and_layout():
    rng = np.random.default_rng(12)
    z = rng.normal(scale=8, size=5000).astype(np.float32)
    zs = rng.normal(scale=8, size=(3000, 5)).astype(np.float32)
    p64, _ = _kernels.run_binary_proba(z.astype(np.float64), 2.5, 0.3)
    p32in, _ = _kernels.run_binary_proba(z, 2.5, 0.3, dtype=np.float64)
    np.testing.assert_array_equal(p32in, p64)            # float32 margins read as they are
    p32, _ = _kernels.run_binary_proba(z, 2.5, 0.3)
    assert p32.dtype == np.float32
    np.testing.assert_array_equal(p32, p64.astype(np.float32))
    expected, _ = _kernels.run_softmax_proba(zs.astype(np.float64), 1.5, None)
    wide = np.zeros((3000, 10), dtype=np.float32)
    wide[:, 1::2] = zs
    for layout in (zs, np.asfortranarray(zs), wide[:, 1::2], zs.astype(np.float64)):
        got, _ = _kernels.run_softmax_proba(layout, 1.5, None, dtype=np.float64)
        np.testing.assert_array_equal(got, expected)
        assert got.flags.c_contiguous
    got32, _ = _kernels.run_softmax_proba(zs, 1.5, None)
    np.testing.assert_array_equal(got32, expected.astype(np.float32))


def test_proba_kernels_flag_non_finite_margins():
    z = np.array([0.0, np.nan, 1.0, -np.inf])
    p, flags = _kernels.run_binary_proba(z, 2.0, None)
    assert flags & _kernels.BAD_MARGIN
    assert np.all(np.isfinite(p))
    p, flags = _kernels.run_softmax_proba(np.array([[0.0, np.inf], [1.0, 2.0]]), 2.0, None)
    assert flags & _kernels.BAD_MARGIN
    assert _kernels.run_softmax_proba(np.zeros((2, 2)), 2.0, None)[1] == 0
    with pytest.raises(ValueError, match="at least 2 columns"):
        _kernels.run_softmax_proba(np.zeros((2, 1)), 2.0, None)
    with pytest.raises(ValueError, match="alpha must have shape"):
        _kernels.run_softmax_proba(np.zeros((2, 3)), 2.0, [1.0, 2.0])


def test_proba_multithreaded_blocks_equal_single_block(monkeypatch):
    rng = np.random.default_rng(13)
    z = rng.normal(scale=6, size=300_000)
    zs = rng.normal(scale=6, size=(140_000, 3))
    par = (_kernels.run_binary_proba(z, 2.5, 0.3, n_threads=2)[0],
           _kernels.run_softmax_proba(zs, 2.5, [1.0, 3.0, 0.5], n_threads=2)[0])
    monkeypatch.setattr(_kernels, "PROBA_MIN_ROWS_PER_THREAD", 10**9)
    one = (_kernels.run_binary_proba(z, 2.5, 0.3, n_threads=2)[0],
           _kernels.run_softmax_proba(zs, 2.5, [1.0, 3.0, 0.5], n_threads=2)[0])
    for a, b in zip(par, one, strict=True):
        np.testing.assert_array_equal(a, b)


def test_class_log_weights_are_double_double():
    """log(alpha) in two parts, good to 1e-17 relative (one float64 holds 1.1e-16)."""
    import mpmath as mp

    alpha = np.array([0.25, 3.0, 1e-310, 1.7e308])
    hi, lo = _kernels.class_log_weights(alpha)
    with mp.workdps(50):
        for a, h, l_ in zip(alpha, hi, lo, strict=True):
            exact = mp.log(mp.mpf(float(a)))
            assert abs(mp.mpf(float(h)) + mp.mpf(float(l_)) - exact) <= abs(exact) * 1e-17
        h, l_ = _kernels.binary_log_odds(0.25)
        assert abs(mp.mpf(h) + mp.mpf(l_) - mp.log(3)) <= mp.log(3) * 1e-17
    assert _kernels.binary_log_odds(None) == (0.0, 0.0)
    assert _kernels.class_log_weights(None) == (None, None)
