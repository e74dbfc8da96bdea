"""The kernels in plain numpy: the fallback when the compiled extension is missing.

Same functions, arguments and results as the compiled module ``_ckernels`` (see
``_ckernels.c``): :func:`binary`, :func:`softmax`, :func:`binary_proba`,
:func:`softmax_proba` and :func:`elementary` read their inputs in place, write
preallocated outputs, and return the same ``BAD_*`` flags, so that the driver
(``__init__.py``) drives either one. The arithmetic is the same sequence of operations
(log-sigmoids from one ``exp(-|u|)``, the focal factor as products of ``1 - p_t`` times
``exp(frac log(1 - p_t))``, the softmax through its top logit) with numpy's ``exp``,
``log`` and ``log1p`` in place of the C code's polynomials, so results agree with the
compiled kernels to a few ulps (the tests hold both to the same references). Each kernel
runs its C counterpart's stages as functions of their own, in the same order and named
after them (``_binary_*`` after ``binary.h``, ``_softmax_*`` after ``softmax.h``,
``_pm_*`` after ``proba.h``).

Speed: the data are processed in blocks of rows that stay in the L2 cache, every
operation writes into a scratch buffer of the block (``out=``, no temporaries), and the
usual special cases (no ``alpha``, no weights, integer ``gamma``) skip their passes. numpy's
``exp`` and ``log1p`` (scalar libm loops on most CPUs) take most of the time; the kernel
costs several times the compiled one, and the training-time cost is measured in
``benchmarks/speed.py`` (section ``fallback``).

The probability kernels (:func:`binary_proba`, :func:`softmax_proba`) are the compiled
ones' algorithm (``proba.h``) step for step, in double-double arithmetic (``_npdd.py``),
so that both backends return probabilities within an ulp of their exact values.

Only the driver (``__init__.py``) uses it; it assumes checked arguments.
"""

from __future__ import annotations

import numpy as np

from .._curvature import FLOOR_EPSILON, MIN_CURVATURE
from . import _npdd as dd

#: Flags returned by the kernels (mirrors ``common.h``).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

#: Rows per block of the binary kernel: a dozen float64 scratch arrays of this length
#: (about 1 MiB) stay in the L2/L3 cache, and a block is long enough that numpy's per-call
#: overhead (one to a few microseconds per operation, some 35 operations per block) stays
#: small beside the arithmetic. Measured: 4096 to 65536 rows were within noise of each
#: other at 1M rows; 2048 was slower (call overhead), a single block of 1M much slower.
BINARY_BLOCK = 8192

#: Elements per block of the softmax kernel (rows times classes).
SOFTMAX_BLOCK = 16384

#: Rows per block of the binary probability kernel, and elements (rows times classes) per
#: block of the softmax one. Their double-double arithmetic is some 500 numpy operations
#: per block, so numpy's per-call overhead sets the block size: measured at 200k rows,
#: binary 4096 / 16384 / 65536 rows took 427 / 378 / 592 ns a row; softmax (K = 5)
#: 4096 / 16384 / 65536 elements 3763 / 2991 / 2394.
PROBA_BLOCK = 16384
PROBA_SOFTMAX_BLOCK = 65536

#: Margins (and logit differences) are clamped to this magnitude, as in ``proba.h``.
PROBA_CLAMP = 4096.0

_F64 = np.float64


def isa() -> str:
    """The "instruction set" of this backend."""
    return "numpy"


def isas() -> list[str]:
    """The builds this backend offers: numpy only."""
    return ["numpy"]


def set_isa(name: str) -> str:
    """Only ``"numpy"`` exists here; returns the previous (and only) name."""
    if name != "numpy":
        raise ValueError(f"instruction set {name!r} is not available in the numpy kernels")
    return "numpy"


def _flags(label: int, margin: int, weight: int, positive: int) -> int:
    return ((BAD_LABEL if label else 0) | (BAD_MARGIN if margin else 0)
            | (BAD_WEIGHT if weight else 0) | (SAW_POSITIVE_WEIGHT if positive else 0))


def _int_power(q: np.ndarray, n: int, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``q ** n`` for 0 <= n <= 15 by binary powering, in the compiled kernels' order."""
    if n == 0:
        out.fill(1.0)
        return out
    if n == 1:
        np.copyto(out, q)
        return out
    started = False
    if n & 1:
        np.copyto(out, q)
        started = True
    np.multiply(q, q, out=tmp)  # q^2
    for bit in (2, 4, 8):
        if n & bit:
            if started:
                np.multiply(out, tmp, out=out)
            else:
                np.copyto(out, tmp)
                started = True
        if bit < 8 and n >= 2 * bit:
            np.multiply(tmp, tmp, out=tmp)
    return out


def _check_weights(wb: np.ndarray) -> tuple[int, int]:
    """(bad, saw_positive) for one block of weights: finite and >= 0, and any > 0."""
    if wb.shape[0] == 0:
        return 0, 0
    lo, hi = wb.min(), wb.max()
    bad = not (lo >= 0.0 and hi < np.inf)  # NaN fails both
    return int(bad), int(hi > 0.0)


def _margins(zb: np.ndarray, out: np.ndarray, offset) -> int:
    """``out = zb + offset`` in float64, non-finite values set to 0; returns their count."""
    if isinstance(offset, np.ndarray):
        np.add(zb, offset, out=out, dtype=_F64)
    elif offset:
        np.add(zb, offset, out=out, dtype=_F64)
    else:
        np.copyto(out, zb)
    if out.shape[0] == 0 or (np.isfinite(out.min()) and np.isfinite(out.max())):
        return 0
    bad = ~np.isfinite(out)
    out[bad] = 0.0
    return int(np.count_nonzero(bad))


class _Counts:
    """The rows (or blocks, for weights) that fail each input check, over all blocks."""

    __slots__ = ("label", "margin", "weight", "positive")

    def __init__(self) -> None:
        self.label = self.margin = self.weight = self.positive = 0

    def weights(self, wb: np.ndarray) -> None:
        """Count one block of weights (see :func:`_check_weights`)."""
        bad, positive = _check_weights(wb)
        self.weight += bad
        self.positive += positive

    def flags(self) -> int:
        """The ``BAD_*`` flags of the counts."""
        return _flags(self.label, self.margin, self.weight, self.positive)


# ---------------------------------------------------------------------------------------
# Binary kernel: the steps of ``binary_loop`` in binary.h, a block of rows at a time
# ---------------------------------------------------------------------------------------
class _BinaryScratch:
    """The float64 (and boolean) scratch arrays of one block, named as in ``binary.h``.

    ``z``: the margins plus offset; ``u = s z`` (``s = +1`` for positives, -1 else);
    ``e = exp(-|u|)``; ``l1 = log1p(e)``; ``r = 1 / (1 + e)``; ``er = e r``; ``pt``, ``qt``:
    ``p_t`` and ``1 - p_t``; ``nll = -log p_t``; ``f``: the focal factor; ``t1``, ``t2``:
    temporaries; ``a``: the per-row factor ``alpha_t w`` where it is an array; ``pos``: the
    positives; ``up``: ``u >= 0``; ``b``: a temporary mask.
    """

    __slots__ = ("z", "u", "e", "l1", "r", "er", "pt", "qt", "nll", "f", "t1", "t2", "a",
                 "pos", "up", "b")

    def __init__(self, n: int) -> None:
        for name in self.__slots__[:-3]:
            setattr(self, name, np.empty(n))
        self.pos = np.empty(n, dtype=bool)
        self.up = np.empty(n, dtype=bool)
        self.b = np.empty(n, dtype=bool)

    def head(self, m: int) -> _BinaryScratch:
        """The same arrays' first ``m`` rows (the last, shorter block)."""
        view = _BinaryScratch.__new__(_BinaryScratch)
        for name in self.__slots__:
            setattr(view, name, getattr(self, name)[:m])
        return view


def _binary_checks(yb: np.ndarray, zb: np.ndarray, offset, s: _BinaryScratch,
                   counts: _Counts) -> None:
    """Labels in {0, 1} (``s.pos``: the positives) and finite margins (into ``s.z``)."""
    m = yb.shape[0]
    np.equal(yb, 1.0, out=s.pos)
    np.equal(yb, 0.0, out=s.b)
    counts.label += m - int(np.count_nonzero(s.pos)) - int(np.count_nonzero(s.b))
    counts.margin += _margins(zb, s.z, offset)


def _binary_factor(wb: np.ndarray | None, alpha_pos: float, alpha_neg: float,
                   s: _BinaryScratch, counts: _Counts):
    """The per-row factor ``alpha_t w``: None (1), a float or an array; weights checked."""
    a = None
    if alpha_pos != alpha_neg:
        a = s.a
        a.fill(alpha_neg)
        np.copyto(a, alpha_pos, where=s.pos)
    elif alpha_pos != 1.0:
        a = alpha_pos
    if wb is None:
        return a
    counts.weights(wb)
    if a is None:
        return wb  # read as is (float32 weights are promoted by each product)
    if isinstance(a, np.ndarray):
        return np.multiply(a, wb, out=a)
    return np.multiply(wb, a, out=s.a, dtype=_F64)


def _binary_probabilities(s: _BinaryScratch) -> None:
    """``u``, ``e``, ``log1p(e)``, ``r``, ``e r``, ``up``; ``q_t`` and ``-log p_t``.

    ``p_t`` and ``q_t = 1 - p_t`` each come from their exact branch (``r`` or ``e r``);
    ``-log p_t = log1p(e) - min(u, 0)``.
    """
    zb, u, e, r = s.z, s.u, s.e, s.r
    np.negative(zb, out=u)
    np.copyto(u, zb, where=s.pos)
    np.abs(u, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.log1p(e, out=s.l1)
    np.add(e, 1.0, out=r)
    np.reciprocal(r, out=r)
    np.multiply(e, r, out=s.er)
    np.greater_equal(u, 0.0, out=s.up)
    np.copyto(s.qt, r)
    np.copyto(s.qt, s.er, where=s.up)
    np.minimum(u, 0.0, out=s.t1)
    np.subtract(s.l1, s.t1, out=s.nll)


def _binary_focal(s: _BinaryScratch, n_bits: int, frac: float | None) -> None:
    """The focal factor ``q_t^gamma`` into ``s.f``: products, times ``exp(frac log q_t)``."""
    f, t1 = s.f, s.t1
    _int_power(s.qt, n_bits, f, s.t2)
    if frac is not None:
        # log q_t = -log1p(e) - max(u, 0)
        np.maximum(s.u, 0.0, out=t1)
        np.add(t1, s.l1, out=t1)
        np.multiply(t1, -frac, out=t1)
        np.exp(t1, out=t1)
        np.multiply(f, t1, out=f)


def _binary_loss(s: _BinaryScratch, a, o: np.ndarray) -> None:
    """The loss ``a f nll`` into ``o``."""
    np.multiply(s.f, s.nll, out=s.t1)
    if a is None:
        np.copyto(o, s.t1, casting="same_kind")
    else:
        np.multiply(s.t1, a, out=o, casting="same_kind")


def _binary_gradient(s: _BinaryScratch, a, gamma: float, go: np.ndarray) -> None:
    """``p_t`` into ``s.pt``, and the gradient ``-s a f (q_t + gamma p_t nll)`` into ``go``."""
    pt, t1 = s.pt, s.t1
    np.copyto(pt, s.er)
    np.copyto(pt, s.r, where=s.up)
    np.multiply(pt, s.nll, out=t1)
    if gamma != 1.0:
        np.multiply(t1, gamma, out=t1)
    np.add(t1, s.qt, out=t1)
    np.multiply(t1, s.f, out=t1)
    if a is None:
        np.copyto(go, t1, casting="same_kind")
    else:
        np.multiply(t1, a, out=go, casting="same_kind")
    np.negative(go, out=go, where=s.pos)


def _binary_curvature(s: _BinaryScratch, gamma: float, policy: int) -> np.ndarray:
    """The policy's curvature, into ``s.t1``.

    ``p_t f ((2 gamma + 1) q_t + gamma nll (gamma p_t - q_t))``; the majorizer (1) takes
    at least ``f p_t q_t``, floored, and the floor policy (2) at least
    :data:`FLOOR_EPSILON`.
    """
    pt, qt, t1, t2 = s.pt, s.qt, s.t1, s.t2
    np.multiply(pt, gamma, out=t1)
    np.subtract(t1, qt, out=t1)
    np.multiply(t1, s.nll, out=t1)
    np.multiply(t1, gamma, out=t1)
    np.multiply(qt, 2.0 * gamma + 1.0, out=t2)
    np.add(t1, t2, out=t1)
    np.multiply(t1, pt, out=t1)
    np.multiply(t1, s.f, out=t1)
    if policy == 1:
        np.multiply(pt, qt, out=t2)
        np.multiply(t2, s.f, out=t2)
        np.maximum(t1, t2, out=t1)
        np.maximum(t1, MIN_CURVATURE, out=t1)
    elif policy == 2:
        np.maximum(t1, FLOOR_EPSILON, out=t1)
    return t1


def _binary_store_curvature(h: np.ndarray, a, hess_scale: float, s: _BinaryScratch,
                            ho: np.ndarray) -> None:
    """``(a hess_scale) h`` into ``ho`` (``a`` is scaled in place when it is scratch)."""
    if a is None:
        if hess_scale == 1.0:
            np.copyto(ho, h, casting="same_kind")
        else:
            np.multiply(h, hess_scale, out=ho, casting="same_kind")
        return
    if hess_scale != 1.0:
        if isinstance(a, np.ndarray):
            a = np.multiply(a, hess_scale, out=s.a, dtype=_F64)
        else:
            a = a * hess_scale
    np.multiply(h, a, out=ho, casting="same_kind")


def binary(y, z, w, grad, hess, out, alpha_pos: float, alpha_neg: float, n_bits: int,
           frac: float | None, gamma: float, policy: int, hess_scale: float,
           offset: float) -> int:
    """The binary focal kernel over all rows (see ``binary`` in ``_ckernels.c``).

    Each block of :data:`BINARY_BLOCK` rows goes through the steps of ``binary.h``'s
    loop: the checks, the per-row factor, the probabilities, the focal factor, then the
    loss, or the gradient and the policy's curvature.
    """
    n = z.shape[0]
    full = _BinaryScratch(min(n, BINARY_BLOCK))
    counts = _Counts()
    with np.errstate(all="ignore"):
        for lo in range(0, n, BINARY_BLOCK):
            hi = min(n, lo + BINARY_BLOCK)
            s = full if hi - lo == full.z.shape[0] else full.head(hi - lo)
            _binary_checks(y[lo:hi], z[lo:hi], offset, s, counts)
            a = _binary_factor(None if w is None else w[lo:hi], alpha_pos, alpha_neg, s,
                               counts)
            _binary_probabilities(s)
            _binary_focal(s, n_bits, frac)
            if out is not None:
                _binary_loss(s, a, out[lo:hi])
                continue
            _binary_gradient(s, a, gamma, grad[lo:hi])
            h = _binary_curvature(s, gamma, policy)
            _binary_store_curvature(h, a, hess_scale, s, hess[lo:hi])
    return counts.flags()


# ---------------------------------------------------------------------------------------
# Softmax kernel: the steps of softmax.h (sm_chunk_core, sm_rows, sm_grad), a block at a time
# ---------------------------------------------------------------------------------------
class _SoftmaxBlock:
    """One block of rows of the softmax kernel: its (m, K) scratch and per-row terms.

    The (m, K) arrays (views of scratch kept across blocks) are ``zb`` (the logits plus
    offset; later the curvatures), ``s_`` (``z_j - z_t``; later ``p_j``), ``e`` (``e_j``;
    later the ratios) and ``tt`` (``1 - p_j``). The per-row terms are named as in
    ``softmax.h``'s ``SM_ROW_ARRAYS``: ``top``, ``zt``, ``mx`` (its ``m``), ``acc``,
    ``log_s``, ``log1p_s``, ``p_top``, ``q_top``, ``cr``; the label's ``cls``, ``a_row``,
    ``at_top``, ``py``, ``nll`` and ``am`` (``1 - p_y``); ``f`` (the focal factor),
    ``inv_qy``, ``rs``, ``first`` and ``second``.
    """

    __slots__ = ("ar", "zb", "s_", "e", "tt", "top", "zt", "mx", "acc", "log_s", "log1p_s",
                 "p_top", "q_top", "cr", "cls", "a_row", "at_top", "py", "nll", "am", "f",
                 "inv_qy", "rs", "first", "second")

    def __init__(self, ar: np.ndarray, zb: np.ndarray, s_: np.ndarray, e: np.ndarray,
                 tt: np.ndarray) -> None:
        self.ar, self.zb, self.s_, self.e, self.tt = ar, zb, s_, e, tt


def _softmax_top(b: _SoftmaxBlock) -> None:
    """The top logit (the first one on ties), ``m``, the ``e_j`` and their sum."""
    zb, s_, e, ar = b.zb, b.s_, b.e, b.ar
    top = b.top = np.argmax(zb, axis=1)
    zt = b.zt = zb[ar, top]
    np.subtract(zb, zt[:, None], out=s_)
    s_[ar, top] = -np.inf
    mx = b.mx = s_.max(axis=1)
    # e_j = exp(z_j - z_t - m) (0 for the top), their sum
    np.subtract(s_, mx[:, None], out=e)
    np.minimum(e, 0.0, out=e)
    np.exp(e, out=e)
    b.acc = e.sum(axis=1)


def _softmax_top_terms(b: _SoftmaxBlock) -> None:
    """The top's terms, from one ``exp(-|log s|)``.

    ``log s = m + log(sum)``, ``log(1 + s)``, ``p_t``, ``1 - p_t`` and
    ``cr = exp(m - log(1 + s))`` (``p_j = e_j cr``).
    """
    log_s = b.log_s = np.log(b.acc)
    log_s += b.mx
    es = np.abs(log_s)
    np.negative(es, out=es)
    np.exp(es, out=es)
    log1p_s = b.log1p_s = np.log1p(es)
    log1p_s += np.maximum(log_s, 0.0)
    inv = es + 1.0
    np.reciprocal(inv, out=inv)
    small = log_s <= 0.0
    es_inv = es * inv
    b.p_top = np.where(small, inv, es_inv)
    b.q_top = np.where(small, es_inv, inv)
    b.cr = np.exp(b.mx - log1p_s)


def _softmax_labels(b: _SoftmaxBlock, yb: np.ndarray, wb: np.ndarray | None, alpha,
                    kd: float, counts: _Counts) -> None:
    """The class indices (bad labels counted, read as class 0) and ``a_row = alpha_y w``."""
    ok = (yb >= 0.0) & (yb < kd)
    cls = b.cls = np.where(ok, yb, 0.0).astype(np.intp)
    counts.label += int(np.count_nonzero(cls != yb))
    a_row = None if alpha is None else alpha[cls]
    if wb is not None:
        counts.weights(wb)
        a_row = wb.astype(_F64) if a_row is None else a_row * wb
    b.a_row = a_row


def _softmax_label_terms(b: _SoftmaxBlock, n_bits: int, frac: float | None) -> None:
    """The label's ``p_y``, ``-log p_y`` and ``1 - p_y``, and the focal factor ``f``."""
    ar, cls = b.ar, b.cls
    at_top = b.at_top = cls == b.top
    py = b.py = b.e[ar, cls] * b.cr
    np.copyto(py, b.p_top, where=at_top)
    nll = b.nll = b.zt - b.zb[ar, cls]
    nll += b.log1p_s  # -log p_y = log(1 + s) - (z_y - z_t)
    np.copyto(nll, b.log1p_s, where=at_top)
    am = b.am = 1.0 - py
    np.copyto(am, b.q_top, where=at_top)
    m = am.shape[0]
    f = b.f = _int_power(am, n_bits, np.empty(m), np.empty(m))
    if frac is not None:
        l1my = np.log1p(-py)
        np.copyto(l1my, b.log_s - b.log1p_s, where=at_top)
        l1my *= frac
        np.exp(l1my, out=l1my)
        f *= l1my


def _softmax_loss(b: _SoftmaxBlock, o: np.ndarray) -> None:
    """The loss ``a_row f nll`` into ``o``."""
    v = b.f * b.nll
    if b.a_row is not None:
        v *= b.a_row
    np.copyto(o, v, casting="same_kind")


def _softmax_row_terms(b: _SoftmaxBlock, gamma: float) -> None:
    """``1 / (1 - p_y)``, the ratio's scale ``rs`` and the terms ``first`` and ``second``."""
    py, nll, am = b.py, b.nll, b.am
    b.inv_qy = 1.0 / am
    rs = b.rs = b.cr * b.inv_qy
    np.copyto(rs, 1.0 / b.acc, where=b.at_top)
    first = b.first = gamma * py * nll
    first += am
    second = b.second = 2.0 * am - am * nll + (gamma - 1.0) * py * nll
    second *= gamma * py


def _softmax_class_terms(b: _SoftmaxBlock, policy: int):
    """Per class: ``d_j``, ``c_j`` and the majorizer's term.

    Returns ``d_j`` (in ``b.e``), ``c_j`` (in ``b.tt``) and, for the majorizer,
    ``f p_j q_j`` (in ``b.s_``; else None).
    """
    ar, top, cls, e = b.ar, b.top, b.cls, b.e
    pj = np.multiply(e, b.cr[:, None], out=b.s_)     # p_j (the top's set below)
    pj[ar, top] = b.p_top
    qj = np.subtract(1.0, pj, out=b.tt)              # 1 - p_j
    qj[ar, top] = b.q_top
    ratio = np.multiply(e, b.rs[:, None], out=e)     # p_j / (1 - p_y)
    ratio[ar, top] = b.p_top * b.inv_qy
    mj = None
    if policy == 1:  # the majorizer's term f p_j q_j, before pj is reused
        mj = np.multiply(pj, qj, out=pj)
        mj *= b.f[:, None]
    # c_j = ratio q_j (p_y for the label), into qj
    np.multiply(ratio, qj, out=qj)
    qj[ar, cls] = b.py
    # d_j = -ratio (1 for the label), into ratio
    np.negative(ratio, out=ratio)
    ratio[ar, cls] = 1.0
    return ratio, qj, mj


def _softmax_curvature(b: _SoftmaxBlock, d: np.ndarray, cc: np.ndarray, mj,
                       policy: int) -> np.ndarray:
    """The policy's curvature ``f (second d^2 + first c)``, into ``b.zb``.

    At least ``mj``, floored, for the majorizer (1); at least :data:`FLOOR_EPSILON` for
    the floor policy (2). ``cc`` is scaled in place.
    """
    h = np.multiply(d, d, out=b.zb)
    h *= b.second[:, None]
    cc *= b.first[:, None]
    h += cc
    h *= b.f[:, None]
    if policy == 1:
        np.maximum(h, mj, out=h)
        np.maximum(h, MIN_CURVATURE, out=h)
    elif policy == 2:
        np.maximum(h, FLOOR_EPSILON, out=h)
    return h


def _softmax_store(b: _SoftmaxBlock, d: np.ndarray, h: np.ndarray, hess_scale: float,
                   go: np.ndarray, ho: np.ndarray) -> None:
    """The gradient ``-a f first d`` into ``go``, and ``(a hess_scale) h`` into ``ho``."""
    a_row, m = b.a_row, d.shape[0]
    gscale = b.f * b.first
    np.negative(gscale, out=gscale)
    hscale = None
    if a_row is not None:
        gscale *= a_row
        hscale = a_row * hess_scale if hess_scale != 1.0 else a_row
    elif hess_scale != 1.0:
        hscale = np.full(m, hess_scale)
    np.multiply(d, gscale[:, None], out=go, casting="same_kind")
    if hscale is None:
        np.copyto(ho, h, casting="same_kind")
    else:
        np.multiply(h, hscale[:, None], out=ho, casting="same_kind")


def softmax(y, z, w, grad, hess, out, alpha, n_bits: int, frac: float | None, gamma: float,
            policy: int, rows: int, hess_scale: float, offset) -> int:
    """The softmax focal kernel over all rows (see ``softmax`` in ``_ckernels.c``).

    Each block of rows goes through the steps of ``softmax.h``: the finite check, the top
    logit and the ``e_j``, the top's terms, the labels and weights, the label's terms and
    the focal factor, then the loss, or the per-row and per-class terms, the policy's
    curvature and the gradient. ``rows`` (the compiled kernel's chunk length) is not used:
    numpy's blocks are longer.
    """
    n, k = z.shape
    block = max(64, SOFTMAX_BLOCK // k)
    nb = min(n, block)
    scratch = [np.empty((nb, k)) for _ in range(4)]
    ar_all = np.arange(nb)
    counts = _Counts()
    kd = float(k)
    with np.errstate(all="ignore"):
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            m = hi - lo
            b = _SoftmaxBlock(ar_all[:m], *(a[:m] for a in scratch))
            # logits plus offset, non-finite ones counted and set to 0
            counts.margin += _margins(z[lo:hi], b.zb, offset)
            _softmax_top(b)
            _softmax_top_terms(b)
            _softmax_labels(b, y[lo:hi], None if w is None else w[lo:hi], alpha, kd, counts)
            _softmax_label_terms(b, n_bits, frac)
            if out is not None:
                _softmax_loss(b, out[lo:hi])
                continue
            _softmax_row_terms(b, gamma)
            d, cc, mj = _softmax_class_terms(b, policy)
            h = _softmax_curvature(b, d, cc, mj, policy)
            _softmax_store(b, d, h, hess_scale, grad[lo:hi], hess[lo:hi])
    return counts.flags()


def _finite_margins(zb: np.ndarray) -> tuple[np.ndarray, int]:
    """``zb`` as float64 with non-finite values set to 0, and their count."""
    zb = zb.astype(np.float64, copy=False)
    if zb.size == 0 or (np.isfinite(zb.min()) and np.isfinite(zb.max())):
        return zb, 0
    bad = ~np.isfinite(zb)
    return np.where(bad, 0.0, zb), int(np.count_nonzero(bad))


def _one_if_zero(xh, xl, zero):
    """``x``, or 1 where ``zero``."""
    return np.where(zero, 1.0, xh), np.where(zero, 0.0, xl)


def binary_proba(z, out, gamma: float, c_hi: float, c_lo: float) -> int:
    """The binary probability kernel over all rows (see ``binary_proba`` in ``_ckernels.c``).

    ``out`` (n, 2) gets ``[P(y=0), P(y=1)]`` of the margins ``z`` under the focal
    posterior map of ``gamma`` and ``c = log((1 - alpha) / alpha)``; ``gamma = c = 0`` is
    the sigmoid. The steps are ``binary_proba_loop``'s in ``proba.h``.
    """
    n = z.shape[0]
    n_margin = 0
    g1h, g1l = dd.two_sum(gamma, 1.0)
    with np.errstate(all="ignore"):
        for lo in range(0, n, PROBA_BLOCK):
            hi = min(n, lo + PROBA_BLOCK)
            zb, bad = _finite_margins(z[lo:hi])
            n_margin += bad
            a = np.minimum(np.abs(zb), PROBA_CLAMP)
            neg = zb < 0.0
            zero_lo = np.zeros_like(a)
            if gamma:
                sh, sl = dd.exp(-a, zero_lo)                   # s = e^-a
                lh, ll = dd.log1p(sh, sl)                      # lambda = log(1 + s)
                zero = sh == 0.0
                xah, xal = dd.mul_d(*dd.mul(*dd.add_d(lh, ll, a), sh, sl), gamma)
                rh, rl = dd.div(lh, ll, *_one_if_zero(sh, sl, zero))
                xbh, xbl = dd.mul_d(*_one_if_zero(rh, rl, zero), gamma)
                nah, nal = dd.add_d(xah, xal, 1.0)             # 1 + xA
                nbh, nbl = dd.add_d(xbh, xbl, 1.0)             # 1 + xB
            else:  # xA = xB = 0 exactly: the same bits without the work
                nah = nbh = np.ones_like(a)
                nal = nbl = zero_lo
            kh, kl = dd.mul_d(g1h, g1l, a)                     # K = sign(z) (gamma+1) a + c
            kh, kl = dd.add(np.where(neg, -kh, kh), np.where(neg, -kl, kl), c_hi, c_lo)
            up = kh >= 0.0                                     # class 1 at least as likely
            eh, el, k = dd.exp_scaled(np.where(up, -kh, kh), np.where(up, -kl, kl))
            if gamma:
                flip = up != neg
                rh, rl = dd.div(np.where(flip, nbh, nah), np.where(flip, nbl, nal),
                                np.where(flip, nah, nbh), np.where(flip, nal, nbl))
                mh, ml = dd.mul(eh, el, rh, rl)                # E = m 2^k
            else:  # R = 1 exactly
                mh, ml = eh, el
            oh, ol = dd.add_d(np.ldexp(mh, k), np.ldexp(ml, k), 1.0)
            bh, bl = dd.div(np.ones_like(oh), np.zeros_like(oh), oh, ol)
            sh, sl = dd.div(mh, ml, oh, ol)
            big = bh + bl
            small = np.ldexp(sh + sl, k)
            o = out[lo:hi]
            o[:, 0] = np.where(up, small, big)
            o[:, 1] = np.where(up, big, small)
    return _flags(0, n_margin, 0, 0)


def _pm_differences(zb: np.ndarray) -> tuple:
    """The top logit (the first one on ties) and ``d_j = z_j - z_t``, exact and clamped.

    Returns ``is_top`` (the top's mask), ``d_j`` as ``(dh, dl)`` and ``m``, the largest of
    the others' ``d_j``.
    """
    m, k = zb.shape
    rows_ = np.arange(m)
    top = np.argmax(zb, axis=1)
    is_top = np.zeros((m, k), dtype=bool)
    is_top[rows_, top] = True
    dh, dl = dd.two_sum(zb, -zb[rows_, top][:, None])
    keep = dh >= -PROBA_CLAMP
    dh = np.where(keep, dh, -PROBA_CLAMP)
    dl = np.where(keep, dl, 0.0)
    mx = np.where(is_top, -np.inf, dh).max(axis=1)
    return is_top, dh, dl, mx


def _pm_terms(is_top: np.ndarray, dh: np.ndarray, dl: np.ndarray, mx: np.ndarray) -> tuple:
    """``e_j = exp(d_j - m)`` for ``j != t`` (0 for the top), and their sum ``(ah, al)``."""
    xh, xl = dd.two_sum(dh, -mx[:, None])
    eh, el = dd.exp(np.minimum(xh, 0.0), xl + dl)
    eh = np.where(is_top, 0.0, eh)
    el = np.where(is_top, 0.0, el)
    ah, al = eh[:, 0], el[:, 0]
    for j in range(1, eh.shape[1]):
        ah, al = dd.add(ah, al, eh[:, j], el[:, j])
    return eh, el, ah, al


def _pm_focal_terms(gamma: float, mx: np.ndarray, eh, el, ah, al, sh, sl, lmh, lml, lh, ll,
                    tied: np.ndarray) -> tuple:
    """``L_j`` and ``D_j`` where ``gamma > 0``.

    The top's (and tied columns') from ``log s``, ``s`` and ``lambda``; the others' from
    ``q_j = e_j exp(m - lambda)``: ``m = log(1 - q)``, ``x``, ``D = 1 + x`` and
    ``L = log q - gamma m``.
    """
    g1mh, g1ml = dd.two_sum(gamma, -1.0)
    log_sh, log_sl = dd.add_d(*dd.log(ah, al), mx)
    zero = sh == 0.0
    rh, rl = dd.div(lmh, lml, *_one_if_zero(sh, sl, zero))
    dth, dtl = dd.add_d(*dd.mul_d(*_one_if_zero(rh, rl, zero), gamma), 1.0)
    lth, ltl = dd.add(*dd.mul_d(log_sh, log_sl, -gamma), *dd.mul(lmh, lml, g1mh, g1ml))
    fh, fl = dd.exp(*dd.add_d(-lmh, -lml, mx))
    qh, ql = dd.mul(eh, el, fh[:, None], fl[:, None])
    omh, oml = dd.add_d(-qh, -ql, 1.0)
    mh, ml = dd.log(omh, oml)
    xh, xl = dd.mul_d(*dd.div(*dd.mul(-lh, -ll, qh, ql), omh, oml), gamma)
    Dh, Dl = dd.add_d(xh, xl, 1.0)
    Lh, Ll = dd.add(lh, ll, *dd.mul_d(mh, ml, -gamma))
    Lh = np.where(tied, lth[:, None], Lh)
    Ll = np.where(tied, ltl[:, None], Ll)
    Dh = np.where(tied, dth[:, None], Dh)
    Dl = np.where(tied, dtl[:, None], Dl)
    return Lh, Ll, Dh, Dl


def _pm_normalize(Lh, Ll, Dh, Dl) -> np.ndarray:
    """``eta_j = E_j / sum_i E_i`` with ``E_j = exp(L_j - max L) / D_j`` (``D`` None: 1).

    The exp's power of two is applied after the last division.
    """
    uh, ul = dd.two_sum(Lh, -Lh.max(axis=1)[:, None])
    eh, el, ke = dd.exp_scaled(uh, ul + Ll)
    if Dh is not None:
        eh, el = dd.div(eh, el, Dh, Dl)
    sh, sl = np.ldexp(eh[:, 0], ke[:, 0]), np.ldexp(el[:, 0], ke[:, 0])
    for j in range(1, eh.shape[1]):
        sh, sl = dd.add(sh, sl, np.ldexp(eh[:, j], ke[:, j]), np.ldexp(el[:, j], ke[:, j]))
    ph, pl = dd.div(eh, el, sh[:, None], sl[:, None])
    return np.ldexp(ph + pl, ke)


def softmax_proba(z, out, la_hi, la_lo, gamma: float, rows: int) -> int:
    """The softmax probability kernel over all rows (see ``softmax_proba`` in ``_ckernels.c``).

    ``out`` (n, K) gets the class posterior of the logits ``z`` under the focal posterior
    map of ``gamma`` and the class weights ``exp(la_hi + la_lo)`` (None: all 1; ``gamma =
    0`` without them is the softmax). The steps are ``pm_*``'s in ``proba.h``. ``rows``
    (the compiled kernel's chunk length) is not used.
    """
    n, k = z.shape
    block = max(64, PROBA_SOFTMAX_BLOCK // k)
    n_margin = 0
    with np.errstate(all="ignore"):
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            zb, bad = _finite_margins(z[lo:hi])
            n_margin += bad
            is_top, dh, dl, mx = _pm_differences(zb)
            eh, el, ah, al = _pm_terms(is_top, dh, dl, mx)
            # s, lambda = log(1 + s) and log q_j = d_j - lambda
            sh, sl = dd.mul(*dd.exp(mx, np.zeros(hi - lo)), ah, al)
            lmh, lml = dd.log1p(sh, sl)
            lh, ll = dd.add(dh, dl, -lmh[:, None], -lml[:, None])
            tied = dh == 0.0
            if gamma:
                Lh, Ll, Dh, Dl = _pm_focal_terms(gamma, mx, eh, el, ah, al, sh, sl, lmh, lml,
                                                 lh, ll, tied)
            else:  # D = 1 and L = log q exactly (the top's: -lambda)
                Dh, Dl = None, None
                Lh = np.where(tied, -lmh[:, None], lh)
                Ll = np.where(tied, -lml[:, None], ll)
            if la_hi is not None:
                Lh, Ll = dd.add(Lh, Ll, -la_hi, -la_lo)
            out[lo:hi] = _pm_normalize(Lh, Ll, Dh, Dl)
    return _flags(0, n_margin, 0, 0)


def elementary(which: int, x: np.ndarray, out: np.ndarray) -> None:
    """``out = f(x)``: exp for ``x <= 0`` (0), log1p (1) or log (2), numpy's own."""
    with np.errstate(all="ignore"):
        if which == 0:
            np.maximum(x, -746.0, out=out)
            np.exp(out, out=out)
        elif which == 1:
            np.log1p(x, out=out)
        else:
            np.log(x, out=out)
