"""The checks of an XGBoost model document's trees, before XGBoost sees the file.

XGBoost reads a model file's trees as they are: a split feature index beyond the
model's features or a child index outside its tree reads outside an array when it
predicts (SIGSEGV), and a ``tree_info`` entry beyond the classes corrupts the heap
(SIGABRT). :func:`check_xgboost_document` checks, on the parsed JSON/UBJSON document
(``boostfocal._shared.model_files``) and without xgboost:

- the learner's parameters (``num_feature``, ``num_class``, ``num_target``, the
  ``base_score`` vector) and the booster kind (``gbtree``, ``dart``, ``gblinear``);
- every tree: its per-node arrays of ``num_nodes`` integers; split feature indices in
  ``[0, num_feature)``; child indices inside the tree (``-1`` for leaves) forming a tree
  (every node reached exactly once from the root, no cycles; XGBoost's deleted nodes,
  left by pruning, are unreachable leaves and counted by ``num_deleted``); the parents
  agreeing with the children; categorical splits' category lists inside their array;
- the tree count: ``num_trees``, ``tree_info`` and ``iteration_indptr`` agreeing with
  ``num_class`` and ``num_parallel_tree`` (one tree per class per parallel tree per
  iteration, in XGBoost's order);
- ``gblinear``'s weight vector: ``(num_feature + 1) * outputs`` numbers.

The checks are vectorized over all trees at once (numpy), so their cost is a small
fraction of XGBoost's own parsing (``benchmarks/model_files.py`` measures it). Anything
else in a tree body (thresholds, leaf values, statistics) is XGBoost's own parser's
business.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .._shared.model_files import (
    MAX_COUNT,
    XGBLearner,
    field,
    int_text,
    quote,
    refusal,
    xgboost_learner,
)

#: XGBoost's ``split_indices`` of a deleted node (``RegTree``'s deleted-node marker).
DELETED_MARKER = 2**31 - 1

#: XGBoost's ``parents`` of the root: -1 (multi-target trees) or the 31-bit -1.
ROOT_PARENTS = (-1, 2**31 - 1)

#: The largest category XGBoost takes (2^24: float32 represents integers exactly).
MAX_CATEGORY = 2**24


def _int_array(value: Any, n: int | None, what: str, source: str) -> np.ndarray:
    """An array of integers (a JSON list or a UBJSON typed array), of length ``n``."""
    arr = value
    if not isinstance(value, np.ndarray):
        try:
            arr = np.asarray(value if isinstance(value, list) else None)
        except (ValueError, TypeError, OverflowError):  # ragged nesting, huge numbers
            arr = np.asarray(None)
    if arr.ndim != 1 or (arr.dtype.kind not in "iu" and arr.shape[0] > 0):
        raise refusal(source, f"has {what} that is not a list of integers")
    if n is not None and arr.shape[0] != n:
        raise refusal(source, f"has {what} of {arr.shape[0]} entries; the tree has {n} nodes")
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise refusal(source, f"has {what} with an entry beyond int64")
    return arr.astype(np.int64, copy=False)


def check_xgboost_document(doc: dict, source: str) -> XGBLearner:
    """Check an XGBoost model document's learner and trees; refuse what would crash.

    Parameters
    ----------
    doc : dict
        The parsed JSON/UBJSON document
        (``boostfocal._shared.model_files.xgboost_document``).
    source : str
        How messages name the file.

    Returns
    -------
    XGBLearner
        The learner's parameters (``boostfocal._shared.model_files.xgboost_learner``).

    Raises
    ------
    ValueError
        The document is not a complete XGBoost model, or a tree is out of range or not
        a tree; the message names the file and the tree.
    """
    learner = xgboost_learner(doc, source)
    num_feature, n_outputs = learner.num_feature, learner.n_outputs
    gb = field(doc, ("learner", "gradient_booster"), dict, source)
    name = field(gb, ("name",), str, source)
    if name == "gblinear":
        weights = field(gb, ("model", "weights"), (list, np.ndarray), source)
        expected = (num_feature + 1) * n_outputs
        if len(weights) != expected:
            raise refusal(source, f"has a gblinear model of {len(weights)} weights; "
                                  f"{num_feature} features and {n_outputs} outputs need "
                                  f"{expected}")
    elif name in ("gbtree", "dart"):
        model = field(gb, ("model",) if name == "gbtree" else ("gbtree", "model"), dict,
                      source)
        n_trees = _check_forest(model, num_feature, n_outputs, source)
        if name == "dart":
            drops = field(gb, ("weight_drop",), (list, np.ndarray), source)
            if len(drops) != n_trees:
                raise refusal(source, f"has {len(drops)} dart weight_drop values for "
                                      f"{n_trees} trees")
    else:
        raise refusal(source, f"has the booster {quote(name)}; XGBoost models are gbtree, "
                              "dart or gblinear")
    return learner


def _check_forest(model: dict, num_feature: int, n_outputs: int, source: str) -> int:
    """Check the tree count and every tree of a ``gbtree`` model; return the count."""
    param = field(model, ("gbtree_model_param",), dict, source)
    num_trees = int_text(field(param, ("num_trees",), (str, int, np.integer), source),
                         "num_trees", source, high=MAX_COUNT)
    parallel = int_text(param.get("num_parallel_tree", "1"), "num_parallel_tree", source,
                        low=1, high=MAX_COUNT)
    trees = field(model, ("trees",), list, source)
    tree_info = _int_array(field(model, ("tree_info",), (list, np.ndarray), source), None,
                           "tree_info", source)
    if not len(trees) == num_trees == tree_info.shape[0]:
        raise refusal(source, f"states {num_trees} trees but holds {len(trees)}, with "
                              f"{tree_info.shape[0]} tree_info entries")
    multi_target = any(isinstance(t, dict) and isinstance(t.get("tree_param"), dict)
                       and int_text(t["tree_param"].get("size_leaf_vector", "1"),
                                    "size_leaf_vector", source) > 1 for t in trees)
    groups = 1 if multi_target else n_outputs
    per_iteration = groups * parallel
    if num_trees % per_iteration:
        raise refusal(source, f"has {num_trees} trees, not a multiple of {per_iteration} "
                              f"({groups} outputs x {parallel} parallel trees per iteration)")
    n_iter = num_trees // per_iteration
    expected_info = np.tile(np.repeat(np.arange(groups), parallel), n_iter)
    if not np.array_equal(tree_info, expected_info):
        raise refusal(source, f"has tree_info {quote(tree_info.tolist())}, which does not "
                              f"give each of its {groups} outputs {parallel} tree(s) per "
                              "iteration")
    if "iteration_indptr" in model:
        indptr = _int_array(model["iteration_indptr"], None, "iteration_indptr", source)
        if not np.array_equal(indptr, np.arange(n_iter + 1) * per_iteration):
            raise refusal(source, f"has iteration_indptr {quote(indptr.tolist())}; "
                                  f"{n_iter} iterations of {per_iteration} trees")
    if trees:
        _check_trees(trees, num_feature, n_outputs if multi_target else 1, source)
    return num_trees


#: The per-node integer arrays the checks read (``split_type`` may be absent: 0).
_NODE_ARRAYS = ("left_children", "right_children", "split_indices", "parents", "split_type")


def _concat_ints(parts: list, name: str, source: str) -> np.ndarray:
    """One int64 array from every tree's array (JSON lists or UBJSON typed arrays)."""
    if all(isinstance(p, np.ndarray) for p in parts):
        if any(p.dtype.kind not in "iu" for p in parts):
            raise refusal(source, f"has a tree whose {name} are not integers")
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    flat = list(itertools.chain.from_iterable(
        p.tolist() if isinstance(p, np.ndarray) else p for p in parts))
    try:
        arr = np.array(flat)
    except (ValueError, TypeError, OverflowError):  # nested lists, numbers beyond int64
        arr = np.asarray(None)
    if arr.ndim != 1 or (arr.dtype.kind not in "iu" and arr.shape[0] > 0):
        raise refusal(source, f"has a tree whose {name} are not a list of integers")
    return arr.astype(np.int64)


def _tree_arrays(trees: list, size_leaf_vector: int, source: str):
    """The per-node arrays of every tree, concatenated, and each tree's node count."""
    counts, deleted = [], []
    columns: dict[str, list] = {name: [] for name in _NODE_ARRAYS}
    for t, tree in enumerate(trees):
        where = f"tree {t}"
        if not isinstance(tree, dict):
            raise refusal(source, f"has {where} of type {type(tree).__name__}")
        tree_id = tree.get("id")
        if not (isinstance(tree_id, (int, np.integer)) and int(tree_id) == t):
            raise refusal(source, f"has {where} with id {quote(tree_id)}")
        tp = field(tree, ("tree_param",), dict, source)
        n = int_text(tp.get("num_nodes"), f"{where}'s num_nodes", source, low=1,
                     high=MAX_COUNT)
        size = int_text(tp.get("size_leaf_vector", "1"), f"{where}'s size_leaf_vector",
                        source, high=MAX_COUNT)
        if max(size, 1) != size_leaf_vector:
            raise refusal(source, f"has {where} with size_leaf_vector {size}; the model's "
                                  f"trees have {size_leaf_vector}")
        counts.append(n)
        deleted.append(int_text(tp.get("num_deleted", "0"), f"{where}'s num_deleted",
                                source, high=n - 1))
        for name, column in columns.items():
            value = tree.get(name)
            if value is None and name == "split_type":
                value = np.zeros(n, dtype=np.int64)
            if not isinstance(value, (list, np.ndarray)) or len(value) != n or (
                    isinstance(value, np.ndarray) and value.ndim != 1):
                got = f"{len(value)} entries" if isinstance(value, (list, np.ndarray)) \
                    else type(value).__name__
                raise refusal(source, f"has {where}'s {name} of {got}; the tree has {n} "
                                      "nodes")
            column.append(value)
    return (np.asarray(counts, dtype=np.int64), np.asarray(deleted, dtype=np.int64),
            *(_concat_ints(columns[name], name, source) for name in _NODE_ARRAYS), trees)


def _check_trees(trees: list, num_feature: int, size_leaf_vector: int, source: str) -> None:
    """Every tree's children, split features, parents and categories, all at once."""
    counts, deleted, left, right, split, parents, split_type, bodies = _tree_arrays(
        trees, size_leaf_vector, source)
    total = int(counts.sum())
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    tree_of = np.repeat(np.arange(counts.shape[0]), counts)
    local = np.arange(total) - offsets[tree_of]
    size = counts[tree_of]

    def fail(mask: np.ndarray, what: str) -> ValueError:
        i = int(np.flatnonzero(mask)[0])
        return refusal(source, f"has a corrupted tree {int(tree_of[i])}: node "
                               f"{int(local[i])} {what} (XGBoost could read outside the "
                               "tree's arrays)")

    leaf = left == -1
    internal = ~leaf
    if size_leaf_vector == 1:
        bad = leaf != (right == -1)
        if bad.any():
            raise fail(bad, "has one child index of -1 (a leaf has both)")
    else:  # multi-target leaves hold the index of their leaf vector in right_children
        bad = leaf & ((right < 0) | (right >= size))
        if bad.any():
            raise fail(bad, "is a leaf whose leaf vector index is out of range")
    for name, child in (("left", left), ("right", right)):
        bad = internal & ((child < 1) | (child >= size))
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise fail(bad, f"has the {name} child {int(child[i])}; its tree's children "
                            f"are 1 to {int(size[i]) - 1}")
    bad = internal & ((split < 0) | (split >= num_feature))
    if bad.any():
        raise fail(bad, f"splits on feature {int(split[np.flatnonzero(bad)[0]])}; the "
                        f"model has {num_feature} features")
    # Every node has exactly one parent, but the roots and XGBoost's deleted nodes none.
    children = np.concatenate((left[internal] + offsets[tree_of[internal]],
                               right[internal] + offsets[tree_of[internal]]))
    parent_count = np.bincount(children, minlength=total)
    orphan = (parent_count == 0) & (local > 0)
    bad = (parent_count > 1) | (parent_count == 1) & (local == 0) | orphan & ~(
        leaf & (right == -1) & (split == DELETED_MARKER))
    if bad.any():
        raise fail(bad, "is not reached exactly once from the root")
    if orphan.any() or deleted.any():
        per_tree = np.bincount(tree_of[orphan], minlength=counts.shape[0])
        wrong = np.flatnonzero(per_tree != deleted)
        if wrong.size:
            t = int(wrong[0])
            raise refusal(source, f"has a corrupted tree {t}: {int(per_tree[t])} "
                                  f"unreachable nodes, but num_deleted = {int(deleted[t])}")
    # The parents agree with the children (XGBoost walks them for node depths).
    kids = np.concatenate((left[internal], right[internal])) + np.concatenate(
        (offsets[tree_of[internal]],) * 2)
    bad_parent = np.zeros(total, dtype=bool)
    bad_parent[kids] = parents[kids] != np.concatenate((local[internal],) * 2)
    bad_parent |= (local == 0) & ~np.isin(parents, ROOT_PARENTS)
    if bad_parent.any():
        raise fail(bad_parent, "has a parent index that disagrees with the children")
    # Acyclic: children after their parent (as XGBoost allocates nodes) needs no walk;
    # any other order is walked from the root.
    later = np.ones(total, dtype=bool)
    later[internal] = (left[internal] > local[internal]) & (right[internal] > local[internal])
    for t in np.unique(tree_of[~later]):
        _walk(left, right, int(offsets[t]), int(counts[t]), int(counts[t] - deleted[t]),
              int(t), source)
    bad = (split_type != 0) & (split_type != 1)
    if bad.any():
        raise fail(bad, f"has split_type {int(split_type[np.flatnonzero(bad)[0]])} (0: "
                        "numerical, 1: categorical)")
    if (split_type[internal] == 1).any() or any(len(b.get("categories_nodes", ())) for b
                                                in bodies):
        for t, body in enumerate(bodies):
            _check_categories(body, int(counts[t]), split_type[offsets[t]:offsets[t]
                                                              + counts[t]],
                              left[offsets[t]:offsets[t] + counts[t]], t, source)


def _walk(left: np.ndarray, right: np.ndarray, start: int, n: int, reachable: int, t: int,
          source: str) -> None:
    """Walk one tree from its root: no node twice, ``reachable`` nodes in all."""
    seen = np.zeros(n, dtype=bool)
    frontier = np.array([0])
    count = 0
    while frontier.size:
        if seen[frontier].any() or np.unique(frontier).size != frontier.size:
            raise refusal(source, f"has a corrupted tree {t}: a cycle among its nodes "
                                  "(XGBoost could loop or read outside the tree's arrays)")
        seen[frontier] = True
        count += frontier.size
        inner = frontier[left[start + frontier] != -1]
        frontier = np.concatenate((left[start + inner], right[start + inner]))
    if count != reachable:
        raise refusal(source, f"has a corrupted tree {t}: {reachable} nodes should be "
                              f"reached from the root, {count} are")


def _check_categories(body: dict, n: int, split_type: np.ndarray, left: np.ndarray,
                      t: int, source: str) -> None:
    """A tree's categorical splits: each one's category list inside ``categories``."""
    where = f"tree {t}"
    nodes, segments, sizes = (
        _int_array(body.get(name, []), None, f"{where}'s {name}", source)
        for name in ("categories_nodes", "categories_segments", "categories_sizes"))
    m = nodes.shape[0]
    if not segments.shape[0] == sizes.shape[0] == m:
        raise refusal(source, f"has {where} whose categories_nodes, categories_segments "
                              "and categories_sizes differ in length")
    categories = _int_array(body.get("categories", []), None, f"{where}'s categories",
                            source)
    cat_nodes = np.flatnonzero((split_type == 1) & (left != -1))
    if (np.any((nodes < 0) | (nodes >= n)) or np.unique(nodes).size != m
            or not np.array_equal(np.sort(nodes), cat_nodes)):
        raise refusal(source, f"has {where} whose categories_nodes "
                              f"{quote(nodes.tolist())} are not its categorical splits")
    if np.any(segments < 0) or np.any(sizes < 0) or np.any(
            segments + sizes > categories.shape[0]):
        raise refusal(source, f"has {where} whose category lists lie outside its "
                              f"{categories.shape[0]} categories")
    if np.any((categories < 0) | (categories >= MAX_CATEGORY)):
        raise refusal(source, f"has {where} with a category outside [0, {MAX_CATEGORY})")
