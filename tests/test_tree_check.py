"""Tree bodies are checked before the booster sees them.

Covers ``boostfocal.xgboost._tree_check`` and ``boostfocal.lightgbm._tree_check``: every
kind of valid model the boosters write passes (so no real file is refused), and corrupted
trees, which crash or hang XGBoost and LightGBM (SIGSEGV, SIGABRT, an endless loop), are
refused by ``load_model``. The corrupted files are loaded in a subprocess, which must
exit normally: a refusal, not a signal.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from ubjson_writer import to_ubj  # noqa: E402

from boostfocal._shared import model_files  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier  # noqa: E402
from boostfocal.lightgbm._tree_check import check_lightgbm_text  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier  # noqa: E402
from boostfocal.xgboost._tree_check import check_xgboost_document  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _data(n: int = 400, seed: int = 0, k: int = 2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n)
    return X, np.digitize(score, [0.0] if k == 2 else [-0.5, 0.5])


def test_the_test_writer_reproduces_xgboost_ubjson():
    X, y = _data(k=3)
    raw = bytes(FocalXGBClassifier(n_estimators=3, max_depth=3).fit(X, y)
                .get_booster().save_raw("ubj"))
    assert to_ubj(model_files.parse_ubjson(raw, "m.ubj")) == raw


# --------------------------------------------------------------------------- valid models

XGB_VALID = {
    "binary": ({}, 2),
    "exact with pruning (deleted nodes)": ({"tree_method": "exact", "max_depth": 6,
                                            "gamma": 2.0}, 2),
    "dart": ({"booster": "dart", "rate_drop": 0.3}, 2),
    "gblinear": ({"booster": "gblinear"}, 2),
    "lossguide": ({"grow_policy": "lossguide", "max_leaves": 30, "max_depth": 0}, 2),
    "multiclass, parallel trees": ({"objective": "multi:softprob", "num_class": 3,
                                    "num_parallel_tree": 2}, 3),
    "multi-output trees": ({"objective": "multi:softprob", "num_class": 3,
                            "multi_strategy": "multi_output_tree"}, 3),
}


def _xgb_documents(booster) -> list[dict]:
    return [model_files.xgboost_document(bytes(booster.save_raw(fmt)), model, fmt)
            for fmt, model in (("json", model_files.XGB_JSON),
                               ("ubj", model_files.XGB_UBJSON))]


@pytest.mark.parametrize("case", sorted(XGB_VALID))
def test_valid_xgboost_models_pass(case):
    params, k = XGB_VALID[case]
    X, y = _data(k=k)
    booster = xgb.train({"objective": "binary:logistic", **params}, xgb.DMatrix(X, y), 5)
    for doc in _xgb_documents(booster):
        learner = check_xgboost_document(doc, "m")
        assert learner.n_outputs == (1 if k == 2 else k) and learner.num_feature == 4
    if case.startswith("exact"):  # the case exists: pruning left deleted nodes
        trees = json.loads(bytes(booster.save_raw("json")))["learner"][
            "gradient_booster"]["model"]["trees"]
        assert any(int(t["tree_param"]["num_deleted"]) > 0 for t in trees)


def test_valid_xgboost_refreshed_and_sliced_models_pass():
    X, y = _data()
    params = {"objective": "binary:logistic", "tree_method": "exact", "max_depth": 6}
    first = xgb.train(params, xgb.DMatrix(X, y), 5)
    with pytest.warns(UserWarning, match="updater"):
        pruned = xgb.train({**params, "process_type": "update", "updater": "refresh,prune",
                            "gamma": 50.0}, xgb.DMatrix(X, y), 5, xgb_model=first)
    for booster in (pruned, first[1:4]):
        for doc in _xgb_documents(booster):
            check_xgboost_document(doc, "m")


@pytest.mark.parametrize("params", [
    {"booster": "dart"}, {"booster": "gblinear", "max_depth": None},
    {"tree_method": "exact", "min_split_loss": 0.05},
    {"multi_strategy": "multi_output_tree"},
], ids=["dart", "gblinear", "exact-pruned", "multi-output"])
def test_boostfocal_models_of_every_booster_round_trip(tmp_path, params):
    k = 3 if "multi_strategy" in params else 2
    X, y = _data(k=k)
    X_test, _ = _data(seed=1, k=k)
    est = FocalXGBClassifier(n_estimators=4, **{"max_depth": 3, **params}).fit(X, y)
    for fmt in ("json", "ubj"):
        est.save_model(tmp_path / f"m.{fmt}")
        restored = FocalXGBClassifier()
        restored.load_model(tmp_path / f"m.{fmt}")
        assert_array_equal(restored.predict_proba(X_test), est.predict_proba(X_test))


def test_boostfocal_categorical_models_round_trip(tmp_path):
    X, y = _data()
    frame = pd.DataFrame({"a": pd.Categorical(np.digitize(X[:, 0], [-1, 0, 1])),
                          "b": X[:, 1]})
    est = FocalXGBClassifier(n_estimators=5, enable_categorical=True, max_cat_to_onehot=1,
                             tree_method="hist").fit(frame, y)
    est.save_model(tmp_path / "m.json")
    trees = json.loads((tmp_path / "m.json").read_text())["learner"]["gradient_booster"][
        "model"]["trees"]
    assert any(len(t["categories_nodes"]) for t in trees)  # categorical splits exist
    restored = FocalXGBClassifier()
    restored.load_model(tmp_path / "m.json")
    assert_array_equal(restored.predict_proba(frame), est.predict_proba(frame))


LGB_VALID = {
    "binary": ({"objective": "binary"}, 2, {}),
    "multiclass": ({"objective": "multiclass", "num_class": 3}, 3, {}),
    "stumps": ({"objective": "binary", "num_leaves": 2}, 2, {}),
    "one-leaf trees": ({"objective": "binary", "min_data_in_leaf": 1000}, 2, {}),
    "categorical": ({"objective": "binary", "min_data_per_group": 5, "cat_smooth": 1},
                    2, {"categorical_feature": [0]}),
    "linear trees": ({"objective": "binary", "linear_tree": True}, 2, {}),
}


@pytest.mark.parametrize("case", sorted(LGB_VALID))
def test_valid_lightgbm_models_pass(case):
    params, k, data_kw = LGB_VALID[case]
    X, y = _data(k=k)
    if data_kw:
        X = X.copy()
        X[:, 0] = np.digitize(X[:, 0], [-1, -0.3, 0.3, 1])
    booster = lgb.train({**params, "verbose": -1}, lgb.Dataset(X, y, **data_kw), 5)
    text = booster.model_to_string()
    info = check_lightgbm_text(text, "m.txt")
    assert info.n_outputs == (1 if k == 2 else k) and info.num_feature == 4
    assert info.n_trees == booster.num_trees() > 0
    if case == "categorical":
        assert "num_cat=0" not in text.split("Tree=0")[1].split("Tree=1")[0]
    if case == "one-leaf trees":
        assert "num_leaves=1" in text


def test_lightgbm_text_with_windows_line_ends_is_read():
    X, y = _data()
    text = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, y), 3) \
        .model_to_string()
    crlf = re.sub(r"tree_sizes=[^\n]*\n", "", text).replace("\n", "\r\n")
    assert check_lightgbm_text(crlf, "m.txt").n_trees == 3


def test_lightgbm_line_readers_agree():
    # Text without carriage returns is read by lines (fast); the general reader walks it
    # as LightGBM's loader does. Both must find the same trees, or refuse alike.
    from boostfocal.lightgbm._tree_check import _Text

    X, y = _data()
    text = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
                     lgb.Dataset(X, y), 3).model_to_string()
    cut = text.index("Tree=2")
    variants = [text, text.rstrip("\n"), text.replace("\n\n\nTree=1", "\n\n\n\n\nTree=1"),
                text.replace("shrinkage=0.1\n\n", "shrinkage\n\n", 1),
                text.replace("shrinkage=0.1\n\n", "shrinkage=0.1\n" + "x=1\n" * 9 + "\n", 1)]
    variants += [text[:cut + k] for k in range(-3, 300, 7)]
    for variant in variants:
        outcomes = []
        for has_cr in (False, True):
            reader = _Text(variant, "m.txt", has_cr=has_cr)
            try:
                outcomes.append(reader.trees(reader.header()[1]))
            except ValueError as exc:
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1]


# --------------------------------------------------------------------------- corrupted trees

def _issue_model(tmp_path: Path) -> Path:
    """The issue's reproducer: a 3-tree binary model on 300 rows of 3 features."""
    X = np.random.default_rng(0).random((300, 3))
    y = (X[:, 0] > 0.5).astype(int)
    FocalXGBClassifier(n_estimators=3).fit(X, y).save_model(tmp_path / "issue.json")
    np.save(tmp_path / "X3.npy", X)
    return tmp_path / "issue.json"


def _tree(doc: dict, i: int = 0) -> dict:
    return doc["learner"]["gradient_booster"]["model"]["trees"][i]


def _deep_internal(tree: dict) -> int:
    """An internal child of the root whose children are both leaves."""
    left, right = np.asarray(tree["left_children"]), np.asarray(tree["right_children"])
    for child in (left[0], right[0]):
        if left[child] != -1 and left[left[child]] == -1 and left[right[child]] == -1:
            return int(child)
    raise AssertionError("no such node in this tree")


def _set(tree: dict, name: str, index: int, value: int) -> None:
    values = np.array(tree[name])
    values[index] = value
    tree[name] = values if isinstance(tree[name], np.ndarray) else values.tolist()


def _closed_cycle(tree: dict) -> None:
    """Cut an internal node off the root into a loop: every node keeps one parent."""
    a = _deep_internal(tree)
    c = int(np.asarray(tree["left_children"])[a])
    side = "left_children" if int(np.asarray(tree["left_children"])[0]) == a \
        else "right_children"
    _set(tree, side, 0, c)                 # the root adopts a's left child ...
    _set(tree, "left_children", a, a)      # ... and a points at itself,
    _set(tree, "parents", c, 0)            # with parents that agree
    _set(tree, "parents", a, a)


#: XGBoost corruptions: (name, edit of the document, the refusal's words).
XGB_CORRUPTIONS = [
    ("split feature out of range",
     lambda d: _set(_tree(d), "split_indices", 0, 999_999), "splits on feature 999999"),
    ("negative split feature", lambda d: _set(_tree(d), "split_indices", 0, -5),
     "splits on feature -5"),
    ("left child outside the tree", lambda d: _set(_tree(d), "left_children", 0, 999),
     "has the left child 999"),
    ("right child negative", lambda d: _set(_tree(d, 1), "right_children", 0, -7),
     "tree 1: node 0 has the right child -7"),
    ("child is the root", lambda d: _set(_tree(d), "left_children", 0, 0),
     "has the left child 0"),
    ("a node with two parents",
     lambda d: _set(_tree(d), "left_children", _deep_internal(_tree(d)),
                    int(np.asarray(_tree(d)["right_children"])[0])),
     "is not reached exactly once from the root"),
    ("a leaf with one child", lambda d: _set(
        _tree(d), "right_children",
        int(np.flatnonzero(np.asarray(_tree(d)["left_children"]) == -1)[0]), 1),
     "has one child index of -1"),
    ("a closed cycle", lambda d: _closed_cycle(_tree(d)), "nodes should be reached from "
                                                          "the root"),
    ("parents disagree", lambda d: _set(_tree(d), "parents", 1, 2),
     "has a parent index that disagrees"),
    ("tree_info beyond the classes",
     lambda d: _set(d["learner"]["gradient_booster"]["model"], "tree_info", 1, 7),
     "has tree_info"),
    ("more trees stated than held",
     lambda d: d["learner"]["gradient_booster"]["model"]["gbtree_model_param"].update(
         num_trees="9"), "states 9 trees but holds 4"),
    ("an array shorter than the tree",
     lambda d: _tree(d).update(split_indices=_tree(d)["split_indices"][:2]),
     "split_indices of 2 entries"),
]


def _write_lgb_tree_line(text: str, tree: int, key: str, new: str, sizes: bool = True
                         ) -> str:
    """LightGBM model text with one line of one tree replaced (tree_sizes kept right)."""
    head, _, rest = text.partition("\nTree=0\n")
    body, sep, tail = ("Tree=0\n" + rest).partition("end of trees")
    blocks = re.split(r"(?=^Tree=\d+$)", body, flags=re.MULTILINE)[1:]
    block = blocks[tree]
    assert f"\n{key}=" in block, key
    blocks[tree] = re.sub(rf"^{key}=.*$", lambda _: new, block, count=1, flags=re.MULTILINE)
    if sizes:
        head = re.sub(r"^tree_sizes=.*$", "tree_sizes=" + " ".join(
            str(len(b.encode())) for b in blocks), head, count=1, flags=re.MULTILINE)
    return head + "\n" + "".join(blocks) + sep + tail


def _tree_line(text: str, tree: int, key: str) -> list[str]:
    block = re.split(r"(?=^Tree=\d+$)", text, flags=re.MULTILINE)[1 + tree]
    return re.search(rf"^{key}=(.*)$", block, flags=re.MULTILINE).group(1).split(" ")


def _lgb_child(text: str, key: str, index: int, value: int, tree: int = 0) -> str:
    values = _tree_line(text, tree, key)
    values[index] = str(value)
    return _write_lgb_tree_line(text, tree, key, f"{key}={' '.join(values)}")


def _lgb_two_parents(text: str) -> str:
    # Node 1's left child becomes the leaf its right sibling already has.
    right = _tree_line(text, 0, "right_child")
    return _lgb_child(text, "left_child", 1, int(right[1]))


#: LightGBM corruptions: (name, edit of the text, the refusal's words).
LGB_CORRUPTIONS = [
    ("child beyond the internal nodes", lambda t: _lgb_child(t, "left_child", 0, 99),
     "node 0 has the child 99"),
    ("leaf index beyond the leaves", lambda t: _lgb_child(t, "right_child", 0, -50),
     "node 0 has the child -50"),
    ("child is the root", lambda t: _lgb_child(t, "left_child", 1, 0),
     "node 1 has the child 0"),
    ("a node with two parents", _lgb_two_parents, "not reached exactly once"),
    ("split feature out of range", lambda t: _lgb_child(t, "split_feature", 0, 99),
     "splits on feature 99"),
    ("negative split feature", lambda t: _lgb_child(t, "split_feature", 0, -3),
     "splits on feature -3"),
    ("tree_sizes off by one", lambda t: re.sub(
        r"tree_sizes=(\d+)", lambda m: f"tree_sizes={int(m.group(1)) - 1}", t, count=1),
     "has tree_sizes that do not match"),
    ("a line without '='", lambda t: _write_lgb_tree_line(t, 0, "shrinkage", "shrinkage"),
     "has the line 'shrinkage' in tree 0"),
    ("num_leaves beyond its arrays",
     lambda t: _write_lgb_tree_line(t, 0, "num_leaves", "num_leaves=50000000"),
     "leaf_value values; it needs 50000000"),
    ("a word among numbers", lambda t: _write_lgb_tree_line(
        t, 1, "internal_weight", "internal_weight=" + " ".join(
            ["1n3.73"] + _tree_line(t, 1, "internal_weight")[1:])),
     "tree 1 with internal_weight = '1n3.73"),
    ("a categorical split without categories", lambda t: _lgb_child(
        t, "decision_type", 0, 3), "categorical splits without num_cat"),
    ("a parameter line without ':'", lambda t: t.replace(
        "\n[boosting: gbdt]\n", "\n[boosting gbdt]\n"), "has the parameter line"),
    ("more trees per iteration than classes", lambda t: t.replace(
        "num_tree_per_iteration=1", "num_tree_per_iteration=2"),
     "has num_tree_per_iteration = 2 but num_class = 1"),
]


def _corrupted_files(tmp_path: Path) -> list[tuple[str, str, str]]:
    """Every corrupted file: (path, estimator class name, expected refusal words)."""
    cases = []
    issue = _issue_model(tmp_path)
    doc = json.loads(issue.read_text())
    tree = _tree(doc)
    tree["split_indices"] = [999_999] * len(tree["split_indices"])  # the issue, verbatim
    issue.write_text(json.dumps(doc))
    cases.append((str(issue), "FocalXGBClassifier", "splits on feature 999999"))

    X, y = _data()
    est = FocalXGBClassifier(n_estimators=4, max_depth=2).fit(X, y)  # full trees
    est.save_model(tmp_path / "base.json")
    est.save_model(tmp_path / "base.ubj")
    for i, (_, edit, words) in enumerate(XGB_CORRUPTIONS):
        for fmt in ("json", "ubj"):
            raw = (tmp_path / f"base.{fmt}").read_bytes()
            doc = model_files.xgboost_document(
                raw, model_files.XGB_JSON if fmt == "json" else model_files.XGB_UBJSON, fmt)
            edit(doc)
            path = tmp_path / f"xgb_{i}.{fmt}"
            if fmt == "json":
                path.write_text(json.dumps(doc))
            else:
                path.write_bytes(to_ubj(doc))
            cases.append((str(path), "FocalXGBClassifier", words))

    FocalLGBMClassifier(n_estimators=4, num_leaves=6, verbose=-1).fit(X, y).save_model(
        tmp_path / "base.txt")
    text = (tmp_path / "base.txt").read_text()
    for i, (_, edit, words) in enumerate(LGB_CORRUPTIONS):
        changed = edit(text)
        assert changed != text
        path = tmp_path / f"lgb_{i}.txt"
        path.write_text(changed)
        cases.append((str(path), "FocalLGBMClassifier", words))
    return cases


def test_corrupted_trees_are_refused_and_the_process_lives(tmp_path):
    cases = _corrupted_files(tmp_path)
    np.save(tmp_path / "X4.npy", _data(seed=1)[0])
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        from boostfocal.lightgbm import FocalLGBMClassifier
        from boostfocal.xgboost import FocalXGBClassifier
        X = {{3: np.load({str(tmp_path / "X3.npy")!r}), 4: np.load({str(tmp_path / "X4.npy")!r})}}
        for path, name, _ in json.load(open(sys.argv[1])):
            print("START", path, flush=True)
            est = {{"FocalXGBClassifier": FocalXGBClassifier,
                    "FocalLGBMClassifier": FocalLGBMClassifier}}[name]()
            try:
                est.load_model(path)
                est.predict_proba(X[3 if "issue" in path else 4])
                print("LOADED", path, flush=True)
            except ValueError as exc:
                print("REFUSED", json.dumps([path, str(exc)]), flush=True)
    """)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    res = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cases.json")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    last = [line for line in res.stdout.splitlines() if line.startswith("START")][-1:]
    assert res.returncode == 0, f"the process died (rc {res.returncode}) at {last}: " \
                                f"{res.stderr[-2000:]}"
    refused = dict(json.loads(line[len("REFUSED "):]) for line in res.stdout.splitlines()
                   if line.startswith("REFUSED "))
    for path, _, words in cases:
        assert path in refused, f"{path} was not refused"
        assert words in refused[path], (path, refused[path])
        assert len(refused[path]) <= model_files.MAX_MESSAGE
    assert len(cases) == 1 + 2 * len(XGB_CORRUPTIONS) + len(LGB_CORRUPTIONS)
