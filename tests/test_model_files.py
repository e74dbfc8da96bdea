"""Model files as untrusted input: formats, parsers, and the plain answer to a wrong file.

Covers ``boostfocal._shared.model_files`` (sniffing, the JSON and UBJSON readers, short
refusals) and, through the estimators' ``load_model`` and ``proba_from_margin``, what a
user sees for a file that is not a boostfocal model of the estimator's backend.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from boostfocal import proba_from_margin  # noqa: E402
from boostfocal._shared import model_files  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier  # noqa: E402

XGB_FAST = {"n_estimators": 4, "max_depth": 3, "n_jobs": 1}
LGBM_FAST = {"n_estimators": 4, "num_leaves": 6, "n_jobs": 1, "verbose": -1}


def _data(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, np.where(X[:, 0] + rng.normal(scale=0.5, size=n) > 0.8, "yes", "no")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A binary model of each backend in each format, and held-out rows."""
    tmp = tmp_path_factory.mktemp("files")
    X, y = _data()
    X_test, _ = _data(seed=1)
    xgb_est = FocalXGBClassifier(**XGB_FAST).fit(X, y)
    lgb_est = FocalLGBMClassifier(**LGBM_FAST).fit(X, y)
    for fmt in ("json", "ubj"):
        xgb_est.save_model(tmp / f"m.{fmt}")
    lgb_est.save_model(tmp / "m.txt")
    return tmp, X_test


def _equal_documents(a, b) -> bool:
    """A UBJSON document equals the JSON one (numbers compared as XGBoost stores them)."""
    if isinstance(a, np.ndarray):
        return a.shape[0] == len(b) and np.array_equal(
            a, np.asarray(b, dtype=a.dtype.newbyteorder("=")))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            _equal_documents(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(
            _equal_documents(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return np.float32(a) == np.float32(b)
    return a == b


# --------------------------------------------------------------------------- sniffing

def test_formats_are_told_apart(files):
    tmp, _ = files
    assert model_files.sniff((tmp / "m.json").read_bytes()) == model_files.XGB_JSON
    assert model_files.sniff((tmp / "m.ubj").read_bytes()) == model_files.XGB_UBJSON
    assert model_files.sniff((tmp / "m.txt").read_bytes()) == model_files.LGBM_TEXT
    assert model_files.sniff(b'\n  {\n "learner": {}}') == model_files.XGB_JSON
    assert model_files.sniff(b"tree\r\nversion=v4") == model_files.LGBM_TEXT
    for other in (b"", b"hello", b"\x80\x04\x95", b"PK\x03\x04", b"{x", b"[1, 2]"):
        assert model_files.sniff(other) is None


# --------------------------------------------------------------------------- UBJSON

@pytest.mark.parametrize("multiclass", [False, True])
def test_ubjson_reader_reads_what_xgboost_writes(multiclass):
    X, y = _data()
    if multiclass:
        y = np.array(["a", "b", "c"])[np.digitize(X[:, 1], [-0.5, 0.5])]
    booster = FocalXGBClassifier(**XGB_FAST).fit(X, y).get_booster()
    doc = model_files.parse_ubjson(bytes(booster.save_raw("ubj")), "m.ubj")
    expected = json.loads(bytes(booster.save_raw("json")))
    assert _equal_documents(doc, expected)
    # The trees' arrays are numpy arrays, of the types XGBoost stores.
    tree = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    assert tree["left_children"].dtype.kind == "i"
    assert tree["split_conditions"].dtype.kind == "f"


def test_ubjson_reader_refuses_every_truncation(files):
    tmp, _ = files
    data = (tmp / "m.ubj").read_bytes()
    for cut in np.unique(np.linspace(1, len(data) - 1, 150).astype(int)):
        with pytest.raises(ValueError, match="is not a valid UBJSON model file") as info:
            model_files.parse_ubjson(data[:cut], "m.ubj")
        assert len(str(info.value)) <= model_files.MAX_MESSAGE


@pytest.mark.parametrize(("data", "what"), [
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x01aSL\x7f\x00\x00\x00\x00\x00\x00\x00x}",
     "a length of 9151314442816847872"),
    (b"[$Z#L\x00\x03\x8d~\xa4\xc6\x80\x00", "a length of 1000000000000000"),
    (b"[$d#L\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00", "a length of 256"),
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x01aQ}", "the unknown type marker 'Q'"),
    (b"[Z]Z", "1 bytes after the document"),
    (b"[" * 100_000, "nesting deeper than 64"),
    (b"[$d]", "a typed container without a count"),
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x02\xff\xfeZ}", "a key that is not UTF-8"),
])
def test_ubjson_reader_refuses_malformed_documents(data, what):
    with pytest.raises(ValueError, match=f"not a valid UBJSON model file \\({what}"):
        model_files.parse_ubjson(data, "m.ubj")


def test_ubjson_reader_reads_the_other_markers():
    # Draft-12 values XGBoost does not write but a UBJSON file may hold.
    data = (b"{L\x00\x00\x00\x00\x00\x00\x00\x01aTL\x00\x00\x00\x00\x00\x00\x00\x01bF"
            b"i\x01cCzi\x01dI\x01\x00i\x01eD?\xf8\x00\x00\x00\x00\x00\x00"
            b"i\x01f[$i#i\x02\x01\xff]}")
    # A counted array has no closing ']': here it stands where the next key should.
    with pytest.raises(ValueError, match=r"a key length of type '\]' at byte 57"):
        model_files.parse_ubjson(data, "m.ubj")
    data = data[:-2] + b"i\x01g[NZ]}"
    doc = model_files.parse_ubjson(data, "m.ubj")
    assert doc["a"] is True and doc["b"] is False and doc["c"] == "z"
    assert doc["d"] == 256 and doc["e"] == 1.5 and doc["g"] == [None]
    assert_array_equal(doc["f"], [1, -1])


# --------------------------------------------------------------------------- JSON, messages

@pytest.mark.parametrize(("data", "what"), [
    (b'{"learner": \xff}', "is not valid UTF-8 at byte 12"),
    (b'{"learner": {"attributes": ', "is not valid JSON \\(Expecting value at line 1 "
                                     "column 28\\); was it truncated or edited\\?"),
    (b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "is JSON nested too deeply to be a model file"),
])
def test_json_reader_refuses_with_short_messages(data, what):
    with pytest.raises(ValueError, match=f"m.json {what}"):
        model_files.parse_json(data, "m.json")


def test_quotes_and_messages_are_capped():
    huge = "x" * 10_000_000
    assert len(model_files.quote(huge)) == model_files.MAX_QUOTE
    assert len(model_files.quote(list(range(10**6)))) == model_files.MAX_QUOTE
    assert len(str(model_files.refusal("m.json", "has " + huge))) == model_files.MAX_MESSAGE
    assert model_files.quote("short") == "'short'"


# --------------------------------------------------------------------------- wrong files

XGB_ESTIMATORS = (FocalXGBClassifier, GHMXGBClassifier)
LGB_ESTIMATORS = (FocalLGBMClassifier, GHMLGBMClassifier)

#: (what the file holds, the estimators given it, the message they answer).
WRONG_FILES = {
    "random bytes": (bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8)),
                     "is not (an XGBoost JSON/UBJSON|a LightGBM text)( or a LightGBM "
                     "text)? model file \\(it starts with b'"),
    "empty": (b"", "is empty: it is not a model file"),
    "a pickle": (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00", "is not an? "),
    "truncated JSON": (b'{"learner": {"attributes": {"boostfocal": "{', "is not valid JSON"),
    "JSON without learner": (b'{"version": [3, 2, 0]}', "is XGBoost JSON but not an "
                                                         "XGBoost model \\(no 'learner'"),
    "nested JSON": (b'{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                    "is JSON nested too deeply"),
    "JSON array": (b'{"learner": []}', "not an XGBoost model"),
    "learner without its parameters": (b'{"learner": {}}', "lacks 'learner/"),
    "UBJSON cut short": (b"{L\x00\x00\x00\x00\x00\x00\x00\x07learner{",
                         "is not a valid UBJSON model file"),
}


@pytest.mark.parametrize("case", sorted(WRONG_FILES))
@pytest.mark.parametrize("cls", XGB_ESTIMATORS + LGB_ESTIMATORS, ids=lambda c: c.__name__)
def test_wrong_file_gets_a_plain_answer(tmp_path, files, case, cls):
    data, message = WRONG_FILES[case]
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    est = cls()
    lgbm = cls in LGB_ESTIMATORS
    if lgbm and data.lstrip()[:1] == b"{":
        message = "is an XGBoost model: load it with " + (
            "GHMXGBClassifier" if cls is GHMLGBMClassifier else "FocalXGBClassifier")
    with pytest.raises(ValueError, match=message) as info:
        est.load_model(path)
    assert type(info.value) is ValueError
    assert len(str(info.value)) <= model_files.MAX_MESSAGE
    assert str(path.name) in str(info.value)
    assert est.__dict__ == cls().__dict__  # nothing was set


@pytest.mark.parametrize("cls", XGB_ESTIMATORS, ids=lambda c: c.__name__)
def test_lightgbm_file_given_to_xgboost_names_the_estimator(files, cls):
    tmp, _ = files
    hint = "GHMLGBMClassifier" if cls is GHMXGBClassifier else "FocalLGBMClassifier"
    with pytest.raises(ValueError, match=f"m.txt' is a LightGBM text model: load it with "
                                         f"{hint}$"):
        cls().load_model(tmp / "m.txt")
    with pytest.raises(ValueError, match=f"the model is a LightGBM text model: load it with "
                                         f"{hint}$"):
        cls().load_model(bytearray((tmp / "m.txt").read_bytes()))


@pytest.mark.parametrize("fmt", ["json", "ubj"])
@pytest.mark.parametrize("cls", LGB_ESTIMATORS, ids=lambda c: c.__name__)
def test_xgboost_file_given_to_lightgbm_names_the_estimator(files, cls, fmt):
    tmp, _ = files
    hint = "GHMXGBClassifier" if cls is GHMLGBMClassifier else "FocalXGBClassifier"
    with pytest.raises(ValueError, match=f"m.{fmt}' is an XGBoost model: load it with "
                                         f"{hint}$"):
        cls().load_model(tmp / f"m.{fmt}")


@pytest.mark.parametrize("bad", [3, None, ["m.json"], 1.5])
def test_a_non_path_is_a_type_error(bad):
    with pytest.raises(TypeError, match="fname must be a path \\(str or os.PathLike\\) or the "
                                        "file's contents \\(bytes or bytearray\\), got"):
        FocalXGBClassifier().load_model(bad)
    with pytest.raises(TypeError, match="filename must be a path \\(str or os.PathLike\\), "
                                        "got"):
        FocalLGBMClassifier().load_model(bad)
    with pytest.raises(TypeError, match="model_file must be the path of a model file"):
        proba_from_margin(bad, np.zeros(3))


def test_xgboost_contents_load_like_the_file(files):
    tmp, X_test = files
    from_file, from_bytes = FocalXGBClassifier(), FocalXGBClassifier()
    from_file.load_model(tmp / "m.ubj")
    from_bytes.load_model(bytearray((tmp / "m.ubj").read_bytes()))
    assert_array_equal(from_bytes.predict_proba(X_test), from_file.predict_proba(X_test))


def test_serving_refuses_a_wrong_file_the_same_way(tmp_path):
    for case in ("random bytes", "empty", "truncated JSON", "UBJSON cut short"):
        data, message = WRONG_FILES[case]
        path = tmp_path / "model.bin"
        path.write_bytes(data)
        with pytest.raises(ValueError, match=message):
            proba_from_margin(path, np.zeros(3))
