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
- the ``parameters:`` section's ``[name: value]`` lines, which LightGBM splits unchecked;
- the ``pandas_categorical`` line that LightGBM's Python package parses as JSON.

The cost is small next to LightGBM's own parsing (``benchmarks/model_files.py``).
Thresholds, leaf values and every other number are LightGBM's own parser's business.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from dataclasses import dataclass

import numpy as np

from .._shared.model_files import int_text, quote, refusal

#: ``Tree::Tree`` reads at most this many ``key=value`` lines per tree.
MAX_TREE_LINES = 22

_EOL = re.compile(r"[\r\n]")
_SPLIT_KEY = operator.methodcaller("split", "=", 1)
_SIZES = re.compile(r"\d{1,15}(?: \d{1,15})*")
_NUMBER_START = re.compile(r"[+-]?\.?[0-9]")
_ODD_START = re.compile(r" (?![+-]?\.?[0-9])")
#: The characters of LightGBM's integers and floating-point numbers (and the separator);
#: plain numbers have no words (inf, nan).
_NOT_INT = str.maketrans("", "", "0123456789- ")
_NOT_FLOAT = str.maketrans("", "", "0123456789+-.eEinfatyINFATY ")
_NOT_PLAIN_FLOAT = str.maketrans("", "", "0123456789+-.eE ")

#: The arrays of a tree: (kind, length, required, how LightGBM reads it). Length "n"
#: (num_leaves), "n-1", "cat" (num_cat + 1), "cat_threshold" (the last cat boundary),
#: "linear" (the sum of num_features). LightGBM requires some keys (a missing one aborts
#: it). How it reads them: "strict" (``StringToArray``: a token without a number at its
#: start aborts), "fast" (``StringToArrayFast``: ``Common::Atof`` aborts on a word other
#: than na/nan/null/inf/infinity, ``Atoi`` never fails); "read": integers the checks
#: read.
_ARRAYS = {
    "leaf_value": ("float", "n", True, "strict"), "leaf_count": ("int", "n", False, "fast"),
    "left_child": ("int", "n-1", True, "read"), "right_child": ("int", "n-1", True, "read"),
    "split_feature": ("int", "n-1", True, "read"),
    "threshold": ("float", "n-1", True, "strict"),
    "split_gain": ("float", "n-1", False, "fast"),
    "internal_count": ("int", "n-1", False, "fast"),
    "internal_value": ("float", "n-1", False, "fast"),
    "internal_weight": ("float", "n-1", False, "fast"),
    "leaf_weight": ("float", "n", False, "strict"),
    "decision_type": ("int", "n-1", False, "read"),
    "leaf_const": ("float", "n", False, "strict"),
    "num_features": ("int", "n", False, "read"),
    "leaf_features": ("int", "linear", False, "read"),
    "leaf_coeff": ("float", "linear", False, "strict"),
    "cat_boundaries": ("int", "cat", True, "read"),
    "cat_threshold": ("int", "cat_threshold", True, "fast"),
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
    objective : str or None
        The header's ``objective=`` value (None: no such line).
    """

    n_outputs: int
    num_feature: int
    n_trees: int
    objective: str | None


class _Text:
    """LightGBM's line reading (``Common::GetLine``/``SkipNewLine``) over the text."""

    def __init__(self, text: str, source: str, has_cr: bool | None = None) -> None:
        self.text = text
        self.end = len(text)
        self.source = source
        self.has_cr = "\r" in text if has_cr is None else has_cr

    def line_end(self, pos: int) -> int:
        if not self.has_cr:
            e = self.text.find("\n", pos)
            return self.end if e < 0 else e
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
        """Every tree in sequence (LightGBM's loop without ``tree_sizes``).

        Returns the trees' ``key=value`` pairs, where each ``Tree=`` line starts, and
        where the loop stops.
        """
        if not self.has_cr:
            return self._trees_by_lines(first)
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


    def _trees_by_lines(self, first: int) -> tuple[list[dict[str, str]], list[int], int]:
        """:meth:`trees` for text without carriage returns: the same loop, over lines."""
        lines = self.text[first:].split("\n")
        last = len(lines) - 1  # lines[last] has no newline after it ("" at the end)
        trees: list[dict[str, str]] = []
        starts: list[int] = []
        pos, i = first, 0
        while i < last or (i == last and lines[i]):
            line = lines[i]
            if line:
                if not line.startswith("Tree="):
                    break
                index = len(trees)
                if line != f"Tree={index}":
                    raise refusal(self.source, f"has {quote(line)} where tree {index} "
                                               "should start")
                starts.append(pos)
                pos += len(line) + 1
                i += 1
                # Up to MAX_TREE_LINES lines, to the first empty one, every one ended by
                # a newline (the text's last piece has none).
                try:
                    j = lines.index("", i, min(i + MAX_TREE_LINES, last + 1))
                except ValueError:
                    j = i + MAX_TREE_LINES
                if j >= last:
                    if j > last and last >= i and lines[last]:
                        raise refusal(self.source, f"has the line {quote(lines[last])} in "
                                                   f"tree {index}, not a complete "
                                                   "key=value line")
                    raise refusal(self.source, f"ends inside tree {index}: was it "
                                               "truncated?")
                block = lines[i:j]
                try:
                    values = dict(map(_SPLIT_KEY, block))
                except ValueError:
                    bad = next(line for line in block if "=" not in line)
                    raise refusal(self.source, f"has the line {quote(bad)} in tree "
                                               f"{index}, not a complete key=value "
                                               "line") from None
                trees.append(values)
                pos += sum(map(len, block)) + len(block)
                i = j
            if i < last and not lines[i]:  # skip one newline
                pos += 1
                i += 1
        return trees, starts, pos


def _array(values: dict[str, str], key: str, count: int, t: int, source: str
           ) -> list | None:
    """A tree's array ``key``: exactly ``count`` numbers LightGBM reads without failing.

    Returns the values of the integer arrays the checks read (a list), None for the
    others (None also if the key is absent).
    """
    kind, _, required, how = _ARRAYS[key]
    if key not in values:
        if required:
            raise refusal(source, f"has tree {t} without its {key} line")
        return None
    text = values[key]
    if count == 0:
        if text.strip():
            raise refusal(source, f"has tree {t} with a {key} line where none is expected")
        return []

    def bad() -> ValueError:
        return refusal(source, f"has tree {t} with {key} = {quote(text)}, not "
                               f"{'integers' if kind == 'int' else 'numbers'} separated "
                               "by single spaces")

    if text.translate(_NOT_INT if kind == "int" else _NOT_FLOAT):
        raise bad()
    # LightGBM's tokens are the non-empty pieces between spaces (linear trees separate
    # their leaves' lists with two).
    spaced = "  " in text or text[:1] == " " or text[-1:] == " "
    tokens = [p for p in text.split(" ") if p] if spaced else None
    found = len(tokens) if spaced else text.count(" ") + 1
    if found != count:
        raise refusal(source, f"has tree {t} with {found} {key} values; it needs {count}")
    if spaced:
        text = " ".join(tokens)
    try:
        if kind == "int":
            return list(map(int, text.split(" "))) if how == "read" else None
        if text.translate(_NOT_PLAIN_FLOAT):
            # Words (inf, nan): every token must be a whole number, or LightGBM's parsers
            # may stop inside one and abort on the rest.
            list(map(float, text.split(" ")))
        elif how == "strict" and (not _NUMBER_START.match(text)
                                  or _ODD_START.search(text)):
            raise bad()  # a token without a number at its start
    except ValueError:
        raise bad() from None
    return None


def _ints(values: list, key: str, t: int, source: str) -> np.ndarray:
    """A parsed integer array as int64 (a value beyond it is a refusal)."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        raise refusal(source, f"has tree {t} with {key} values beyond 64-bit integers") \
            from None


_NODE_KEYS = ("left_child", "right_child", "split_feature", "threshold", "split_gain",
              "internal_count", "internal_value", "internal_weight", "decision_type")
_LEAF_KEYS = ("leaf_value", "leaf_count", "leaf_weight")
_NOT_INT_LINES = str.maketrans("", "", "0123456789- \n")
_NOT_FLOAT_LINES = str.maketrans("", "", "0123456789+-.eEinfatyINFATY \n")
_NOT_PLAIN_FLOAT_LINES = str.maketrans("", "", "0123456789+-.eE \n")


def _scalars(trees: list, key: str, low: int, high: int, default: str | None,
             source: str) -> np.ndarray:
    """One small integer per tree (``num_leaves``...), all at once."""
    texts = [values.get(key, default) for values in trees]
    joined = " ".join(t if t is not None else "" for t in texts)
    if None not in texts and _SIZES.fullmatch(joined):
        out = np.array(list(map(int, joined.split(" "))), dtype=np.int64)
    else:  # a missing or unusual value: read (or refused) tree by tree
        out = np.array([int_text(v, f"tree {t}'s {key}", source, low=low, high=high)
                        for t, v in enumerate(texts)], dtype=np.int64)
    bad = (out < low) | (out > high)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise refusal(source, f"has tree {t}'s {key} = {int(out[t])}, outside "
                              f"[{low}, {high}]")
    return out


def _arrays(trees: list, ids: np.ndarray, key: str, counts: np.ndarray, source: str
            ) -> list | None:
    """:func:`_array` of the trees ``ids`` at once; the values of the "read" arrays.

    The usual files take a few calls on all trees' values joined; anything unusual
    (missing keys, zero counts, repeated spaces, words, malformed numbers) is handed
    to :func:`_array` tree by tree, which refuses it or reads it exactly.
    """
    kind, _, required, how = _ARRAYS[key]
    texts = [trees[t].get(key) for t in ids]
    slow = None in texts or not ids.size or (counts == 0).any()
    words = False
    if not slow:
        joined = "\n".join(texts)
        if kind == "int":
            slow = bool(joined.translate(_NOT_INT_LINES))
        elif joined.translate(_NOT_PLAIN_FLOAT_LINES):  # words (inf, nan) or others
            words = True
            slow = bool(joined.translate(_NOT_FLOAT_LINES))
        slow = slow or "  " in joined or " \n" in joined or "\n " in joined or (
            joined[0] == " " or joined[-1] == " ")
    if not slow:
        found = np.fromiter(map(str.count, texts, itertools.repeat(" ")), np.int64,
                            len(texts)) + 1
        if not np.array_equal(found, counts):
            i = int(np.flatnonzero(found != counts)[0])
            raise refusal(source, f"has tree {int(ids[i])} with {int(found[i])} {key} "
                                  f"values; it needs {int(counts[i])}")
        try:
            if kind == "int":
                return list(map(int, joined.replace("\n", " ").split(" "))) \
                    if how == "read" else None
            if words:
                slow = True  # inf, nan: parsed tree by tree
            elif how == "strict":
                spaced = joined.replace("\n", " ")
                if not _NUMBER_START.match(spaced) or _ODD_START.search(spaced):
                    slow = True  # a token without a number at its start: found per tree
                else:
                    return None
            else:
                return None
        except ValueError:
            slow = True
    values: list = []
    for t, count in zip(ids, counts, strict=True):
        values.extend(_array(trees[t], key, int(count), int(t), source) or [])
    return values if how == "read" else None


def _check_linear(values: dict[str, str], n: int, t: int, num_feature: int, source: str
                  ) -> None:
    _array(values, "leaf_const", n, t, source)
    per_leaf = _array(values, "num_features", n, t, source)
    if per_leaf is None:
        return
    per_leaf = _ints(per_leaf, "num_features", t, source)
    if np.any(per_leaf < 0) or per_leaf.sum() > 2**31:
        raise refusal(source, f"has tree {t} with num_features out of range")
    total = int(per_leaf.sum())
    features = _array(values, "leaf_features", total, t, source)
    _array(values, "leaf_coeff", total, t, source)
    features = _ints(features or [], "leaf_features", t, source)
    if features.size and (features.min() < 0 or features.max() >= num_feature):
        raise refusal(source, f"has a corrupted tree {t}: a linear leaf uses a feature "
                              f"outside [0, {num_feature})")


def _check_categorical(values: dict[str, str], num_cat: int, categorical: np.ndarray,
                       t: int, source: str) -> None:
    """Categorical splits: their category index and bitsets inside the tree's arrays."""
    if num_cat <= 0:
        raise refusal(source, f"has tree {t} with categorical splits but num_cat = "
                              f"{num_cat}")
    bounds = _ints(_array(values, "cat_boundaries", num_cat + 1, t, source),
                   "cat_boundaries", t, source)
    if bounds[0] != 0 or np.any(np.diff(bounds) < 0) or bounds[-1] > 2**31:
        raise refusal(source, f"has tree {t} whose cat_boundaries do not rise from 0")
    _array(values, "cat_threshold", int(bounds[-1]), t, source)
    thresholds = values["threshold"].split(" ")
    for i in np.flatnonzero(categorical):
        text = thresholds[i]
        index = float(text)
        if not (np.isfinite(index) and index == int(index) and 0 <= index < num_cat):
            raise refusal(source, f"has a corrupted tree {t}: categorical split {int(i)} "
                                  f"points to category set {quote(text)} of {num_cat}")


def _check_values(sizes: np.ndarray, ids: list, feature: np.ndarray,
                  decision: np.ndarray, num_feature: int, trees: list, source: str) -> None:
    """Split features and decision types of every tree's internal nodes, all at once."""
    tree_of = np.repeat(np.arange(sizes.shape[0]), sizes - 1)
    bad = (feature < 0) | (feature >= num_feature)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise refusal(source, f"has a corrupted tree {ids[int(tree_of[i])]}: it splits on "
                              f"feature {int(feature[i])}; the model has {num_feature} "
                              f"features (max_feature_idx {num_feature - 1})")
    bad = (decision < 0) | (decision > 127) | (((decision >> 2) & 3) == 3)
    categorical = (decision & 1) == 1
    checked = np.array([int(trees[t].get("num_cat", "0") or 0) > 0 for t in ids])
    bad |= categorical & ~checked[tree_of]
    if bad.any():
        t = ids[int(tree_of[np.flatnonzero(bad)[0]])]
        raise refusal(source, f"has tree {t} with decision_type "
                              f"{quote(trees[t].get('decision_type'))}: not LightGBM's, or "
                              "categorical splits without num_cat")


def _split(values: list, counts: np.ndarray) -> list[list]:
    """A flat list cut into consecutive pieces of ``counts``."""
    ends = np.cumsum(counts).tolist()
    return [values[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _check_structure(sizes: np.ndarray, left: list, right: list, tree_ids: list,
                     source: str) -> None:
    """Every tree's children (all trees at once): in range, each node reached once."""
    internal = sizes - 1
    offsets = np.concatenate(([0], np.cumsum(internal)[:-1]))
    leaf_offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    tree_of = np.repeat(np.arange(sizes.shape[0]), internal)
    node = np.arange(tree_of.shape[0]) - offsets[tree_of]
    child = _ints(list(itertools.chain.from_iterable(itertools.chain(left, right))),
                  "left_child/right_child", tree_ids[0], source)
    owner = np.concatenate((tree_of, tree_of))
    parent = np.concatenate((node, node))
    n = sizes[owner]

    def fail(mask: np.ndarray, what: str) -> ValueError:
        i = int(np.flatnonzero(mask)[0])
        return refusal(source, f"has a corrupted tree {tree_ids[int(owner[i])]}: node "
                               f"{int(parent[i])} {what} (LightGBM could abort or loop "
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
                              "(LightGBM could abort or loop on this file)")
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
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
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


def _check_parameters(reader: _Text, pos: int, source: str) -> None:
    """The ``parameters:`` section, whose lines LightGBM splits at ``:`` unchecked.

    ``GBDT::GetLoadedParam`` (called by ``lightgbm.Booster`` after loading) reads the
    second ``:``-separated part of every line of the section; a line without one reads
    outside a vector.
    """
    inside = False
    while pos < reader.end:
        e = reader.line_end(pos)
        line = reader.text[pos:e]
        if line == "parameters:":
            inside = True
        elif line == "end of parameters":
            return
        elif inside and line and len([p for p in line.split(":") if p]) < 2:
            raise refusal(source, f"has the parameter line {quote(line)}, not '[name: "
                                  "value]' (LightGBM could read outside its memory)")
        pos = reader.skip_newline(e)


def _check_pandas_categorical(text: str, source: str) -> None:
    """The ``pandas_categorical:`` line LightGBM's Python package reads as JSON."""
    key = "pandas_categorical:"
    idx = text.rfind("\n", 0, -len(key))  # as lightgbm.basic._load_pandas_categorical
    last = text[idx:].strip()
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
        if sizes_text and not _SIZES.fullmatch(sizes_text):
            raise refusal(source, f"has tree_sizes = {quote(sizes_text)}, not sizes")
        sizes = np.array([int(v) for v in sizes_text.split(" ")] if sizes_text else [],
                         dtype=np.int64)
        expected = np.diff(np.array([*starts, after], dtype=np.int64))
        if not np.array_equal(sizes, expected):
            raise refusal(source, f"has tree_sizes that do not match its {len(trees)} "
                                  "trees (LightGBM would read a tree where there is none)")
    if len(trees) % per_iteration:
        raise refusal(source, f"has {len(trees)} trees, not a multiple of "
                              f"num_tree_per_iteration = {per_iteration}")
    n = _scalars(trees, "num_leaves", 1, 2**31 - 1, None, source)
    num_cat = _scalars(trees, "num_cat", 0, 2**31 - 1, None, source)
    linear = _scalars(trees, "is_linear", 0, 1, "0", source)
    every = np.arange(len(trees))
    for key in ("leaf_value", "leaf_count"):
        _arrays(trees, every, key, n, source)
    nodes = np.flatnonzero((n > 1) | (linear == 1))  # trees with node arrays
    read = {key: _arrays(trees, nodes, key, n[nodes] - (_ARRAYS[key][1] == "n-1"), source)
            for key in (*_NODE_KEYS, "leaf_weight")}
    for t in np.flatnonzero(linear):
        _check_linear(trees[t], int(n[t]), int(t), num_feature, source)
    ids = np.flatnonzero(n > 1)  # (one-leaf linear trees add no values to ``read``)
    if ids.size:
        sizes = n[ids]
        decision = read["decision_type"]
        if decision is None or len(decision) != int((sizes - 1).sum()):
            decision = [v for t in ids for v in (
                _array(trees[t], "decision_type", int(n[t]) - 1, int(t), source)
                or [0] * (int(n[t]) - 1))]
        decision = _ints(decision, "decision_type", 0, source)
        for t in np.flatnonzero(num_cat):
            if n[t] > 1:
                offset = int((n[ids[ids < t]] - 1).sum())
                categorical = (decision[offset:offset + int(n[t]) - 1] & 1) == 1
                _check_categorical(trees[t], int(num_cat[t]), categorical, int(t), source)
        _check_values(sizes, list(ids), _ints(read["split_feature"], "split_feature", 0,
                                              source), decision, num_feature, trees, source)
        left, right = _split(read["left_child"], sizes - 1), _split(read["right_child"],
                                                                   sizes - 1)
        _check_structure(sizes, left, right, list(ids), source)
    _check_parameters(reader, after, source)
    _check_pandas_categorical(text, source)
    return LGBMModelInfo(n_outputs=num_class, num_feature=num_feature, n_trees=len(trees),
                         objective=header.get("objective"))
