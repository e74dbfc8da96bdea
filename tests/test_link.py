"""The links between raw predictions and probabilities (losses/link.py)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference import binary_posterior_mp, ulp_errors
from scipy.special import expit, softmax

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal.losses.link import SigmoidLink, SoftmaxLink


def test_sigmoid_inverse_is_exact_symmetric_and_tied_at_zero():
    t = np.array([-800.0, -40.0, -2.5, -1e-9, 0.0, -0.0, 1e-9, 2.5, 40.0, 800.0])
    p = SigmoidLink().inverse(t)
    assert p.shape == (t.shape[0], 2) and p.dtype == np.float64
    # within an ulp of the exact sigmoid (scipy's expit(2.5) is 0.92 ulp off; this 0.08)
    exact = [v for ti in t for v in binary_posterior_mp(float(ti), 0.0)]
    assert np.max(ulp_errors(p, exact, np.float64)) <= 1.0
    assert_allclose(p[:, 1], expit(t), rtol=2 * np.finfo(float).eps)
    assert_array_equal(SigmoidLink().inverse(-t), p[:, ::-1])  # bit for bit
    assert_array_equal(p[4], [0.5, 0.5])
    assert_array_equal(p[5], [0.5, 0.5])
    assert p[0, 1] == 0.0 and p[0, 0] == 1.0 and p[1, 1] > 0  # e^-40, not rounded away
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_inverse_matches_softmax_and_survives_extreme_logits():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(50, 4)) * 5
    assert_allclose(SoftmaxLink().inverse(t), softmax(t, axis=1), rtol=1e-14)
    extreme = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    p = SoftmaxLink().inverse(extreme)
    assert np.all(np.isfinite(p))
    assert_array_equal(p[0], [1.0, 0.0, 0.0])
    assert p[1, 0] == p[1, 1] == p[1, 2]  # an exact tie stays one
    assert_allclose(p[1], 1 / 3, rtol=1e-15)
    with pytest.raises(ValueError, match="raw_prediction contains NaN"):
        SoftmaxLink().inverse(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="raw_prediction contains NaN"):
        SigmoidLink().inverse(np.array([np.inf]))


@pytest.mark.parametrize("loss, z", [
    (FocalLoss(2.0, 0.25), np.linspace(-30, 30, 41)),
    (GHMLoss(), np.linspace(-30, 30, 41)),
    (SoftmaxFocalLoss(1.5, [1.0, 2.0, 3.0]), np.random.default_rng(1).normal(size=(40, 3)))])
def test_the_losses_predict_through_their_link(loss, z):
    """``predict_confidence`` is the link's inverse of the raw prediction; for GHM-C
    (no posterior correction) so is ``predict_proba``."""
    for dtype in (np.float64, np.float32):
        zd = z.astype(dtype)
        expected = type(loss).link.inverse(zd.astype(np.float64)).astype(dtype)
        got = loss.predict_confidence(zd)
        assert got.dtype == dtype
        assert_array_equal(got, expected)
        if isinstance(loss, GHMLoss):
            assert_array_equal(loss.predict_proba(zd), expected)
    assert isinstance(loss.link, SoftmaxLink if z.ndim == 2 else SigmoidLink)
