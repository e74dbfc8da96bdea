"""The compiled kernels' exp/log1p polynomials are the ones their generator makes.

The generator is ``boostfocal/losses/_kernels/polynomials.py``.
"""

import pytest

pytest.importorskip("mpmath")


def _generator():
    from boostfocal.losses._kernels import polynomials

    return polynomials


def test_c_sources_hold_the_generated_coefficients():
    generator = _generator()
    assert generator.missing_from_sources() == []


def test_check_detects_a_changed_coefficient(tmp_path):
    generator = _generator()
    source = (generator.C_SOURCES / "elementary.h").read_text()
    assert "0.008333333333326141" in source
    (tmp_path / "elementary.h").write_text(source.replace("0.008333333333326141",
                                                        "0.008333333333333333"))
    assert generator.missing_from_sources(tmp_path) == ["exp_neg q(r), |r| <= ln(2)/2: "
                                                        "0.008333333333326141"]


def test_numpy_fallback_holds_the_generated_coefficients():
    """The numpy fallback's double-double exp and log (``_npdd.py``) use the same
    polynomials as the compiled kernels."""
    from boostfocal.losses._kernels import _npdd

    generated = [c for c, _ in _generator().polynomials(False).values()]
    assert generated == [list(_npdd.EXP_Q), list(_npdd.LOG1P_P)]
