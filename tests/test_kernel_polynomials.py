"""The compiled kernels' exp/log1p polynomials are the ones tools/kernel_polynomials.py makes."""

import importlib.util
import pathlib

import pytest

pytest.importorskip("mpmath")

_SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "tools" / "kernel_polynomials.py"


def _generator():
    spec = importlib.util.spec_from_file_location("kernel_polynomials", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_c_sources_hold_the_generated_coefficients():
    generator = _generator()
    assert generator.missing_from_sources() == []


def test_check_detects_a_changed_coefficient(tmp_path):
    generator = _generator()
    source = (generator.C_SOURCES / "_kernels_common.h").read_text()
    assert "0.008333333333326141" in source
    (tmp_path / "_kernels_common.h").write_text(source.replace("0.008333333333326141",
                                                        "0.008333333333333333"))
    assert generator.missing_from_sources(tmp_path) == ["exp_neg q(r), |r| <= ln(2)/2: "
                                                        "0.008333333333326141"]
