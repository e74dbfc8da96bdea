"""The statistics of ``boostfocal compare``: a paired test for repeated cross-validation.

**Corrected repeated k-fold t-test** (Bouckaert and Frank, 2004, "Evaluating the
replicability of significance tests for comparing learning algorithms", PAKDD; the
repeated form of Nadeau and Bengio's corrected resampled t-test, Machine Learning 52,
2003). Two entries are scored on the same ``r x k`` folds (``r`` repeats of stratified
``k``-fold cross-validation); ``d`` holds their ``r k`` per-fold differences. The folds'
training sets overlap, so the differences are correlated and the textbook standard error
``sd(d) / sqrt(r k)`` is far too small (it shrinks with every repeat although the data
stay the same). The corrected standard error is::

    SE = sd(d) * sqrt(1 / (r k) + n_test / n_train)

and ``t = mean(d) / SE`` is referred to Student's t with ``r k - 1`` degrees of freedom.
Repeats shrink the first term, and make the mean and ``sd(d)`` less dependent on one
random split; the second term stays, as it should: it is the variation from the data set
itself.

**Many entries at once** (Holm, 1979, "A simple sequentially rejective multiple test
procedure", Scandinavian Journal of Statistics 6): with ``m`` entries each tested against
the same baseline, the ``i``-th smallest p-value is multiplied by ``m - i + 1`` (and kept
increasing). A difference is called real when its adjusted p-value is below 0.05; then a
run where nothing truly differs calls anything real in at most 5% of runs (the family-wise
error rate), whatever the dependence between the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Family-wise error rate: adjusted p-values below it are "beyond noise" (marked ``*``).
LEVEL = 0.05
#: Average-precision differences below this (they print as 0.0000) count as no difference.
NEGLIGIBLE = 5e-5


@dataclass(frozen=True)
class Paired:
    """The corrected repeated k-fold t-test of paired per-fold differences ``a - b``.

    Attributes
    ----------
    diff : float
        Mean per-fold difference.
    se : float
        Corrected standard error (see the module docstring).
    df : int
        Degrees of freedom, ``r k - 1``.
    p_adjusted : float or None
        The Holm-adjusted p-value, when the test is one of a family
        (:func:`holm`); None when it stands alone.
    """

    diff: float
    se: float
    df: int = 1
    p_adjusted: float | None = None

    @property
    def identical(self) -> bool:
        """Every per-fold difference is exactly 0 (the same predictions' scores)."""
        return self.diff == 0.0 and self.se == 0.0

    @property
    def negligible(self) -> bool:
        """``|diff| < NEGLIGIBLE``: it prints as 0.0000 and is no difference."""
        return abs(self.diff) < NEGLIGIBLE

    @property
    def t(self) -> float:
        """``diff / se`` (infinite when every fold differs by the same non-zero amount)."""
        if self.se > 0:
            return self.diff / self.se
        return 0.0 if self.diff == 0 else math.copysign(math.inf, self.diff)

    @property
    def p(self) -> float:
        """Two-sided p-value of ``t`` (1 for a negligible difference)."""
        if self.negligible:
            return 1.0
        return float(2.0 * stats.t.sf(abs(self.t), self.df))

    @property
    def p_shown(self) -> float:
        """The p-value that decides: the adjusted one in a family, else :attr:`p`.

        Rounded to three decimals, as printed, so that a printed ``p=0.050`` is never
        marked and a printed ``p=0.049`` always is.
        """
        p = self.p if self.p_adjusted is None else self.p_adjusted
        return round(p, 3)

    @property
    def within_noise(self) -> bool:
        """Negligible, or not significant at :data:`LEVEL` (after the correction)."""
        return bool(self.negligible or self.p_shown >= LEVEL)

    def describe(self) -> str:
        """The difference as the table prints it.

        ``+0.0123 (3.4 SE, p=0.012) *``; ``identical``; ``0.0000 (negligible)``;
        ``+0.0100 (no spread, p=0.000) *`` when every fold differs by the same amount.
        """
        if self.identical:
            return "identical"
        if self.negligible:
            return "0.0000 (negligible)"
        size = "no spread" if self.se == 0 else f"{abs(self.t):.1f} SE"
        mark = "" if self.within_noise else " *"
        return f"{self.diff:+.4f} ({size}, p={self.p_shown:.3f}){mark}"


def corrected_test(d: np.ndarray, test_train_ratio: float) -> Paired:
    """The corrected repeated k-fold t-test of the per-fold differences ``d``.

    Parameters
    ----------
    d : ndarray of shape (r * k,)
        Paired per-fold differences over every repeat and fold.
    test_train_ratio : float
        Mean ``n_test / n_train`` of the folds.

    Returns
    -------
    Paired
    """
    d = np.asarray(d, dtype=np.float64)
    n = d.shape[0]
    sd = float(np.std(d, ddof=1)) if n > 1 else 0.0
    return Paired(float(np.mean(d)), sd * math.sqrt(1.0 / n + test_train_ratio),
                  max(n - 1, 1))


def holm(tests: dict[str, Paired]) -> dict[str, Paired]:
    """The tests with Holm-adjusted p-values, as one family.

    Parameters
    ----------
    tests : dict
        Name -> :class:`Paired`.

    Returns
    -------
    dict
        Name -> the same test with ``p_adjusted`` set.
    """
    names = sorted(tests, key=lambda name: tests[name].p)
    m = len(names)
    adjusted: dict[str, Paired] = {}
    running = 0.0
    for i, name in enumerate(names):
        running = max(running, min(1.0, (m - i) * tests[name].p))
        test = tests[name]
        adjusted[name] = Paired(test.diff, test.se, test.df, running)
    return {name: adjusted[name] for name in tests}
