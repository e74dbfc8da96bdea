"""`boostfocal compare`'s statistics: the corrected repeated k-fold t-test and Holm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from boostfocal.compare import _stats


def test_corrected_standard_error_and_degrees_of_freedom():
    """Bouckaert & Frank: SE = sd(d) sqrt(1/(r k) + n2/n1), t on r k - 1 df."""
    d = np.array([0.01, 0.03, -0.01, 0.02, 0.00, 0.04, 0.01, 0.02, 0.03, 0.00])
    test = _stats.corrected_test(d, 0.25)
    sd = math.sqrt(sum((x - d.mean()) ** 2 for x in d) / 9)
    assert test.diff == pytest.approx(0.015)
    assert test.se == pytest.approx(sd * math.sqrt(1 / 10 + 0.25))
    assert test.df == 9
    assert test.t == pytest.approx(0.015 / test.se)
    assert test.p == pytest.approx(2 * stats.t.sf(test.t, 9))


def test_repeats_do_not_shrink_the_standard_error_below_the_overlap_term():
    """Copying the same folds again (as if repeats added nothing) leaves the term for the
    overlap: the plain SE would fall as 1/sqrt(n), the corrected one stays above it."""
    d = np.tile([0.01, 0.03, -0.01, 0.02, 0.00], 20)
    many = _stats.corrected_test(d, 0.25)
    plain = np.std(d, ddof=1) / math.sqrt(d.size)
    assert many.se >= np.std(d, ddof=1) * math.sqrt(0.25)
    assert many.se > 5 * plain


def test_holm_adjustment_by_hand():
    """p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005*4 = 0.02, 0.01*3 = 0.03,
    0.03*2 = 0.06, then 0.04*1 = 0.04 is raised to 0.06 to keep the order."""
    def with_p(p: float) -> _stats.Paired:
        t = stats.t.isf(p / 2, 9)
        return _stats.Paired(t * 0.01, 0.01, 9)

    tests = {name: with_p(p) for name, p in
             [("a", 0.01), ("b", 0.04), ("c", 0.03), ("d", 0.005)]}
    adjusted = _stats.holm(tests)
    assert list(adjusted) == ["a", "b", "c", "d"]
    got = {name: test.p_adjusted for name, test in adjusted.items()}
    assert got == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06, "d": 0.02})
    assert [adjusted[n].within_noise for n in "abcd"] == [False, True, True, False]


def test_holm_caps_at_one_and_a_negligible_difference_has_p_one():
    tests = {"tiny": _stats.Paired(0.00001, 0.000001, 9),
             "mid": _stats.Paired(0.001, 0.002, 9)}
    assert tests["tiny"].p == 1.0 and tests["tiny"].within_noise
    adjusted = _stats.holm(tests)
    assert adjusted["tiny"].p_adjusted == 1.0
    assert adjusted["mid"].p_adjusted == pytest.approx(min(1.0, 2 * tests["mid"].p))


def test_the_test_holds_its_level_when_folds_are_independent():
    """Independent normal differences (no overlap at all) with the correction for overlap
    switched off (ratio 0): about 5% of 4000 null runs are beyond noise."""
    rng = np.random.default_rng(0)
    hits = sum(not _stats.corrected_test(rng.normal(0, 0.01, 15), 0.0).within_noise
               for _ in range(4000))
    assert 0.04 < hits / 4000 < 0.06  # binomial sd 0.0034 around 0.05
