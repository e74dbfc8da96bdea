"""The checks of a LightGBM text model's trees, before LightGBM sees the text.

LightGBM parses a model's trees in parallel and trusts what it reads: a child index
outside its tree, a split feature beyond ``max_feature_idx``, a ``tree_sizes`` entry
that does not land on a tree, a count that does not match ``num_leaves`` or a line
without ``=`` aborts the process (SIGABRT: its errors are thrown inside an OpenMP
region), and a cycle among the nodes makes prediction loop forever.
:func:`check_lightgbm_text` reads the text the way LightGBM's loader does
(``GBDT::LoadModelFromString`` and ``Tree::Tree(const char*)`` in LightGBM 4) and checks,
without lightgbm:

- the header: ``num_class``, ``num_tree_per_iteration`` (equal to it), ``max_feature_idx``
  and ``tree_sizes`` (each size landing exactly on the next tree);
- every ``Tree=`` block: ``key=value`` lines ended by an empty line; ``num_leaves`` and
  ``num_cat``; every array LightGBM reads holding exactly the count it expects, of
  well-formed numbers; ``split_feature`` in ``[0, max_feature_idx]``; ``left_child`` /
  ``right_child`` inside the tree (non-negative: an internal node below the root;
  negative: ``~leaf``) forming a tree (every node reached exactly once from the root);
  categorical splits' and linear leaves' indices in range;
- the tree count: a multiple of ``num_tree_per_iteration``;
- the ``pandas_categorical`` line that LightGBM's Python package parses as JSON.

The cost is small next to LightGBM's own parsing (``benchmarks/model_files.py``).
Thresholds, leaf values and every other number are LightGBM's own parser's business.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from .._shared.model_files import int_text, quote, refusal

#: ``Tree::Tree`` reads at most this many ``key=value`` lines per tree.
MAX_TREE_LINES = 22

_EOL = re.compile(r"[\r\n]")
_INT = r"[+-]?\d{1,10}"
_FLOAT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?|[+-]?(?i:inf|infinity|nan)"
_INTS = re.compile(rf"(?:{_INT})(?: (?:{_INT}))*")
_FLOATS = re.compile(rf"(?:{_FLOAT})(?: (?:{_FLOAT}))*")

#: The arrays of a tree: (kind, length) with length "n" (num_leaves), "n-1", "cat"
#: (num_cat + 1), "cat_threshold" (the last cat boundary), "linear" (the sum of
#: num_features); and whether LightGBM requires the key.
_ARRAYS = {
    "leaf_value": ("float", "n", True), "leaf_count": ("int", "n", False),
    "left_child": ("int", "n-1", True), "right_child": ("int", "n-1", True),
    "split_feature": ("int", "n-1", True), "threshold": ("float", "n-1", True),
    "split_gain": ("float", "n-1", False), "internal_count": ("int", "n-1", False),
    "internal_value": ("float", "n-1", False), "internal_weight": ("float", "n-1", False),
    "leaf_weight": ("float", "n", False), "decision_type": ("int", "n-1", False),
    "leaf_const": ("float", "n", False), "num_features": ("int", "n", False),
    "leaf_features": ("int", "linear", False), "leaf_coeff": ("float", "linear", False),
    "cat_boundaries": ("int", "cat", True), "cat_threshold": ("int", "cat_threshold", True),
}
_NODE_ARRAYS = ("left_child", "right_child", "split_feature", "threshold", "split_gain",
                "internal_count", "internal_value", "internal_weight", "decision_type")
_LINEAR_ARRAYS = ("leaf_const", "num_features", "leaf_features", "leaf_coeff")


@dataclass(frozen=True)
class LGBMModelInfo:
    """What the checks read from a LightGBM model text.

    Attributes
    ----------
    n_outputs : int
        Raw scores per row: 1 (binary) or K (``num_class``).
    num_feature : int
        ``max_feature_idx + 1``.
    n_trees : int
    """

    n_outputs: int
    num_feature: int
    n_trees: int


class _Text:
    """LightGBM's line reading (``Common::GetLine``/``SkipNewLine``) over the text."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.end = len(text)
        self.source = source

    def line_end(self, pos: int) -> int:
        m = _EOL.search(self.text, pos)
        return self.end if m is None else m.start()

    def skip_newline(self, pos: int) -> int:
        if pos < self.end and self.text[pos] == "\r":
            pos += 1
        if pos < self.end and self.text[pos] == "\n":
            pos += 1
        return pos

    def header(self) -> tuple[dict[str, str], int]:
        """The header's ``key=value`` pairs and where the first ``Tree=`` line starts."""
        values: dict[str, str] = {}
        pos = 0
        while pos < self.end:
            e = self.line_end(pos)
            line = self.text[pos:e]
            if line.startswith("Tree="):
                break
            if line:
                parts = [p for p in line.split("=") if p]
                if len(parts) > 2 and parts[0] not in ("feature_names",
                                                       "monotone_constraints"):
                    raise refusal(self.source, f"has the header line {quote(line)} with "
                                               "several '=': not LightGBM's format")
                if parts:
                    values[parts[0]] = line[len(parts[0]) + 1:] if len(parts) > 1 else ""
            pos = self.skip_newline(e)
        return values, pos

    def tree(self, pos: int, index: int) -> tuple[dict[str, str], int]:
        """The ``key=value`` lines of the tree whose ``Tree=`` line starts at ``pos``."""
        e = self.line_end(pos)
        if self.text[pos:e] != f"Tree={index}":
            raise refusal(self.source, f"has {quote(self.text[pos:e])} where tree {index} "
                                       "should start")
        pos = self.skip_newline(e)
        values: dict[str, str] = {}
        for _ in range(MAX_TREE_LINES):
            if pos >= self.end:
                raise refusal(self.source, f"ends inside tree {index}: was it truncated?")
            if self.text[pos] in "\r\n":
                break
            e = self.line_end(pos)
            key, sep, value = self.text[pos:e].partition("=")
            if not sep or e >= self.end:
                raise refusal(self.source, f"has the line {quote(self.text[pos:e])} in tree "
                                           f"{index}, not a complete key=value line")
            values[key] = value
            pos = self.skip_newline(e)
        return values, pos

    def trees(self, first: int) -> tuple[list[dict[str, str]], list[int], int]:
        """Every tree in sequence (LightGBM's loop without ``tree_sizes``)."""
        trees, starts = [], []
        pos = first
        while pos < self.end:
            e = self.line_end(pos)
            if e > pos:
                if not self.text.startswith("Tree=", pos):
                    break
                starts.append(pos)
                values, pos = self.tree(pos, len(trees))
                trees.append(values)
            pos = self.skip_newline(pos)
        return trees, starts, pos


def _array(values: dict[str, str], key: str, count: int, t: int, source: str
           ) -> np.ndarray | None:
    """A tree's array ``key``: exactly ``count`` well-formed numbers (None if absent)."""
    kind, _, required = _ARRAYS[key]
    if key not in values:
        if required:
            raise refusal(source, f"has tree {t} without its {key} line")
        return None
    text = values[key]
    if count == 0:
        if text.strip():
            raise refusal(source, f"has tree {t} with a {key} line where none is expected")
        return np.zeros(0, dtype=np.int64 if kind == "int" else np.float64)
    pattern = _INTS if kind == "int" else _FLOATS
    if not pattern.fullmatch(text):
        raise refusal(source, f"has tree {t} with {key} = {quote(text)}, not "
                              f"{'integers' if kind == 'int' else 'numbers'} separated by "
                              "single spaces")
    n = text.count(" ") + 1
    if n != count:
        raise refusal(source, f"has tree {t} with {n} {key} values; it needs {count}")
    if kind == "int":
        return np.array(text.split(" "), dtype=np.int64)
    return None  # the values of float arrays are LightGBM's business


def _check_tree(values: dict[str, str], t: int, num_feature: int, source: str):
    """One tree's counts and indices; its leaves count and child arrays."""
    n = int_text(values.get("num_leaves"), f"tree {t}'s num_leaves", source, low=1)
    num_cat = int_text(values.get("num_cat"), f"tree {t}'s num_cat", source, low=0)
    is_linear = int_text(values.get("is_linear", "0"), f"tree {t}'s is_linear", source,
                         low=0, high=1)
    counts = {"n": n, "n-1": n - 1}
    for key in ("leaf_value", "leaf_count"):
        _array(values, key, n, t, source)
    if n <= 1 and not is_linear:
        return n, None, None
    arrays = {key: _array(values, key, counts[_ARRAYS[key][1]], t, source)
              for key in ("left_child", "right_child", "split_feature", "threshold",
                          "split_gain", "internal_count", "internal_value",
                          "internal_weight", "leaf_weight", "decision_type")}
    feature = arrays["split_feature"]
    if feature.size and (feature.min() < 0 or feature.max() >= num_feature):
        bad = feature[(feature < 0) | (feature >= num_feature)][0]
        raise refusal(source, f"has a corrupted tree {t}: it splits on feature {int(bad)}; "
                              f"the model has {num_feature} features (max_feature_idx "
                              f"{num_feature - 1})")
    if is_linear:
        _check_linear(values, n, t, num_feature, source)
    decision = arrays["decision_type"]
    if decision is None:
        decision = np.zeros(n - 1, dtype=np.int64)
    if np.any((decision < 0) | (decision > 127) | (((decision >> 2) & 3) == 3)):
        raise refusal(source, f"has tree {t} with decision_type "
                              f"{quote(values.get('decision_type'))}, not LightGBM's")
    categorical = (decision & 1) == 1
    if num_cat > 0 or categorical.any():
        _check_categorical(values, num_cat, categorical, t, source)
    return n, arrays["left_child"], arrays["right_child"]


def _check_linear(values: dict[str, str], n: int, t: int, num_feature: int, source: str
                  ) -> None:
    _array(values, "leaf_const", n, t, source)
    per_leaf = _array(values, "num_features", n, t, source)
    if per_leaf is None:
        return
    if np.any(per_leaf < 0):
        raise refusal(source, f"has tree {t} with a negative num_features")
    total = int(per_leaf.sum())
    features = _array(values, "leaf_features", total, t, source)
    _array(values, "leaf_coeff", total, t, source)
    if features is not None and features.size and (
            features.min() < 0 or features.max() >= num_feature):
        raise refusal(source, f"has a corrupted tree {t}: a linear leaf uses a feature "
                              f"outside [0, {num_feature})")


def _check_categorical(values: dict[str, str], num_cat: int, categorical: np.ndarray,
                       t: int, source: str) -> None:
    """Categorical splits: their category index and bitsets inside the tree's arrays."""
    if num_cat <= 0:
        raise refusal(source, f"has tree {t} with categorical splits but num_cat = "
                              f"{num_cat}")
    bounds = _array(values, "cat_boundaries", num_cat + 1, t, source)
    if bounds[0] != 0 or np.any(np.diff(bounds) < 0):
        raise refusal(source, f"has tree {t} whose cat_boundaries do not rise from 0")
    _array(values, "cat_threshold", int(bounds[-1]), t, source)
    thresholds = values["threshold"].split(" ")
    for i in np.flatnonzero(categorical):
        text = thresholds[i]
        index = float(text)
        if not (index == int(index) if np.isfinite(index) else False) or not (
                0 <= index < num_cat):
            raise refusal(source, f"has a corrupted tree {t}: categorical split {int(i)} "
                                  f"points to category set {quote(text)} of {num_cat}")


def _check_structure(sizes: np.ndarray, left: list, right: list, tree_ids: list,
                     source: str) -> None:
    """Every tree's children (all trees at once): in range, each node reached once."""
    internal = sizes - 1
    offsets = np.concatenate(([0], np.cumsum(internal)[:-1]))
    leaf_offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    tree_of = np.repeat(np.arange(sizes.shape[0]), internal)
    node = np.arange(tree_of.shape[0]) - offsets[tree_of]
    child = np.concatenate((np.concatenate(left), np.concatenate(right)))
    owner = np.concatenate((tree_of, tree_of))
    parent = np.concatenate((node, node))
    n = sizes[owner]

    def fail(mask: np.ndarray, what: str) -> ValueError:
        i = int(np.flatnonzero(mask)[0])
        return refusal(source, f"has a corrupted tree {tree_ids[int(owner[i])]}: node "
                               f"{int(parent[i])} {what} (LightGBM would abort or loop "
                               "on this file)")

    is_leaf = child < 0
    leaf = ~child
    bad = is_leaf & (leaf >= n) | ~is_leaf & ((child < 1) | (child >= n - 1))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        c, k = int(child[i]), int(n[i])
        raise fail(bad, f"has the child {c}: internal children are 1 to {k - 2}, leaves "
                        f"-1 to {-k}")
    inner_count = np.bincount(child[~is_leaf] + offsets[owner[~is_leaf]],
                              minlength=int(internal.sum()))
    leaf_count = np.bincount(leaf[is_leaf] + leaf_offsets[owner[is_leaf]],
                             minlength=int(sizes.sum()))
    root = node == 0
    if np.any(inner_count != ~root) or np.any(leaf_count != 1):
        raise refusal(source, "has a corrupted tree "
                              f"{_first_bad_tree(inner_count, root, leaf_count, tree_of, sizes)}"
                              ": a node is not reached exactly once from the root "
                              "(LightGBM would abort or loop on this file)")
    # Children after their parent (as LightGBM numbers its splits): no cycle. Any other
    # order is walked from the root.
    later = is_leaf | (child > parent)
    for t in np.unique(owner[~later]):
        _walk(left[t], right[t], tree_ids[t], source)


def _first_bad_tree(inner_count, root, leaf_count, tree_of, sizes) -> int:
    bad_inner = np.flatnonzero(inner_count != ~root)
    if bad_inner.size:
        return int(tree_of[bad_inner[0]])
    leaf_tree = np.repeat(np.arange(sizes.shape[0]), sizes)
    return int(leaf_tree[np.flatnonzero(leaf_count != 1)[0]])


def _walk(left: np.ndarray, right: np.ndarray, t: int, source: str) -> None:
    """Walk one tree from its root: every internal node once, no cycle."""
    seen = np.zeros(left.shape[0], dtype=bool)
    frontier = np.array([0])
    while frontier.size:
        if seen[frontier].any():
            raise refusal(source, f"has a corrupted tree {t}: a cycle among its nodes "
                                  "(LightGBM would loop forever predicting)")
        seen[frontier] = True
        children = np.concatenate((left[frontier], right[frontier]))
        frontier = children[children >= 0]
    if not seen.all():
        raise refusal(source, f"has a corrupted tree {t}: nodes unreachable from its root")


def _check_pandas_categorical(text: str, source: str) -> None:
    """The ``pandas_categorical:`` line LightGBM's Python package reads as JSON."""
    key = "pandas_categorical:"
    idx = text.rfind("\n", 0, len(text) - len(key))
    last = text[idx if idx >= 0 else 0:].strip()
    if not last.startswith(key):
        return
    body = last[len(key):]
    try:
        value = json.loads(body)
    except RecursionError:
        raise refusal(source, "has a pandas_categorical line nested too deeply") from None
    except ValueError:
        raise refusal(source, f"has the pandas_categorical line {quote(body)}, not JSON") \
            from None
    if value is not None and not (isinstance(value, list)
                                  and all(isinstance(v, list) for v in value)):
        raise refusal(source, f"has pandas_categorical = {quote(value)}; LightGBM writes "
                              "null or a list of category lists")


def check_lightgbm_text(text: str, source: str) -> LGBMModelInfo:
    """Check a LightGBM model text's header and trees; refuse what would crash LightGBM.

    Parameters
    ----------
    text : str
        The model text (``boostfocal._shared.model_files.lightgbm_text``).
    source : str
        How messages name the file.

    Returns
    -------
    LGBMModelInfo

    Raises
    ------
    ValueError
        The text is not a complete LightGBM model, or a tree is out of range or not a
        tree; the message names the file and the tree.
    """
    if "\0" in text:
        raise refusal(source, "holds a NUL character: not LightGBM's text format")
    reader = _Text(text, source)
    header, first = reader.header()
    for key in ("num_class", "max_feature_idx"):
        if key not in header:
            raise refusal(source, f"has no {key} line: not a complete LightGBM model")
    num_class = int_text(header["num_class"], "num_class", source, low=1)
    per_iteration = int_text(header.get("num_tree_per_iteration", header["num_class"]),
                             "num_tree_per_iteration", source, low=1)
    if per_iteration != num_class:
        raise refusal(source, f"has num_tree_per_iteration = {per_iteration} but num_class "
                              f"= {num_class}: boostfocal models have one tree per class "
                              "per iteration")
    num_feature = int_text(header["max_feature_idx"], "max_feature_idx", source,
                           low=0) + 1
    trees, starts, after = reader.trees(first)
    if not text[first:after].isascii():
        raise refusal(source, "has non-ASCII characters among its trees")
    if "tree_sizes" in header:
        sizes_text = header["tree_sizes"]
        if sizes_text and not _INTS.fullmatch(sizes_text) or "-" in sizes_text:
            raise refusal(source, f"has tree_sizes = {quote(sizes_text)}, not sizes")
        sizes = np.array(sizes_text.split(" ") if sizes_text else [], dtype=np.int64)
        expected = np.diff(np.array([*starts, after], dtype=np.int64))
        if not np.array_equal(sizes, expected):
            raise refusal(source, f"has tree_sizes that do not match its {len(trees)} "
                                  "trees (LightGBM would read a tree where there is none)")
    if len(trees) % per_iteration:
        raise refusal(source, f"has {len(trees)} trees, not a multiple of "
                              f"num_tree_per_iteration = {per_iteration}")
    leaves, left, right, ids = [], [], [], []
    for t, values in enumerate(trees):
        n, lc, rc = _check_tree(values, t, num_feature, source)
        if lc is not None and n > 1:
            leaves.append(n)
            left.append(lc)
            right.append(rc)
            ids.append(t)
    if leaves:
        _check_structure(np.array(leaves, dtype=np.int64), left, right, ids, source)
    _check_pandas_categorical(text, source)
    return LGBMModelInfo(n_outputs=num_class, num_feature=num_feature, n_trees=len(trees))
